// Starts oauth2-mock-server (installed by tests/oidc/setup.sh into MCPFORM_OIDC_MOCK_DIR) on
// 127.0.0.1 at a free port, with access tokens that live TOKEN_TTL seconds (`expires_in`;
// `exp` is at least that far ahead). Prints one JSON line `{"issuer", "jwks"}` on stdout, then
// one line `token <grant_type>` per token answered, and stops when its stdin closes.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.env.MCPFORM_OIDC_MOCK_DIR;
const ttl = Number(process.env.TOKEN_TTL ?? '300');
const entry = path.join(dir, 'node_modules', 'oauth2-mock-server', 'dist', 'index.mjs');
const { OAuth2Server } = await import(pathToFileURL(entry).href);

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
server.service.on('beforeTokenSigning', (token) => {
    token.payload.exp = Math.ceil(Date.now() / 1000) + ttl;
});
server.service.on('beforeResponse', (response, req) => {
    if (response.body.expires_in !== undefined) {
        response.body.expires_in = ttl;
    }
    console.log(`token ${req.body.grant_type}`);
});
await server.start(0, '127.0.0.1');
console.log(JSON.stringify({ issuer: server.issuer.url, jwks: { keys: server.issuer.keys.toJSON() } }));

process.stdin.resume();
process.stdin.on('end', async () => {
    await server.stop();
    process.exit(0);
});
