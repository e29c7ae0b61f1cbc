#!/usr/bin/env bash
# Installs the third-party OIDC server the OIDC tests run against (npm oauth2-mock-server,
# pinned) into target/oidc-mock, for tests/cli/oidc.rs (started there by tests/oidc/serve.mjs).
# Idempotent: a second run with the pinned version already installed takes well under a second.
# Prints the install directory on stdout (everything else goes to stderr).
#
#   dir=$(bash tests/oidc/setup.sh) && MCPFORM_OIDC_MOCK_DIR=$dir cargo test --test cli oidc
set -euo pipefail
cd "$(dirname "$0")/../.."

# 8.2.3: the newest release that runs on Node 20 (9.x needs Node 22).
VERSION=8.2.3
DIR=target/oidc-mock
STAMP="$DIR/.oauth2-mock-server-$VERSION"

if [[ -f "$STAMP" && -d "$DIR/node_modules/oauth2-mock-server" ]]; then
    echo "$PWD/$DIR"
    exit 0
fi
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    echo "tests/oidc/setup.sh: node and npm are needed (Node >= 20.19) to install oauth2-mock-server $VERSION" >&2
    exit 1
fi

start=$SECONDS
echo "tests/oidc/setup.sh: installing oauth2-mock-server@$VERSION into $DIR" >&2
rm -rf "$DIR"
mkdir -p "$DIR"
echo '{"private": true}' >"$DIR/package.json"
npm install --prefix "$DIR" --no-audit --no-fund --ignore-scripts --loglevel=error \
    "oauth2-mock-server@$VERSION" >&2
touch "$STAMP"
echo "tests/oidc/setup.sh: installed in $((SECONDS - start)) s" >&2
echo "$PWD/$DIR"
