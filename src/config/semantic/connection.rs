//! How mcpform reaches a platform: URL schemes, credentials written into a URL, the `tls`
//! block and PAIS `auth`.

use super::{Checker, is_set};
use crate::config::diagnostic::{Code, ConfigDiagnostic};
use crate::config::model::Platform;
use crate::config::suggest;
use crate::config::tree::{Kind, Node};

impl Checker<'_> {
    /// `ca_file` trusts one more CA; `insecure_skip_verify` trusts anything: both at once is a
    /// contradiction, not a setting.
    pub(super) fn check_tls(&self, tls: &Node, out: &mut Vec<ConfigDiagnostic>) {
        let skip = tls
            .entry("insecure_skip_verify")
            .filter(|e| e.value.kind == Kind::Bool(true));
        if let (Some(_), Some(skip)) = (tls.get("ca_file").filter(|n| is_set(n)), skip) {
            out.push(
                self.file
                    .error(
                        Code::Invalid,
                        format!(
                            "provider `{}` sets both `tls.ca_file` and `tls.insecure_skip_verify`",
                            self.provider
                        ),
                    )
                    .at(skip.key_span, "turns off the check `ca_file` is for")
                    .help("keep `ca_file` (the certificate is then checked against that CA) and remove `insecure_skip_verify`"),
            );
        }
    }

    /// PAIS `auth`: exactly one of `bearer` and `oidc`; an `oidc` block names its token
    /// endpoint once and gives a user's name and password together.
    pub(super) fn check_pais_auth(&self, auth: &Node, out: &mut Vec<ConfigDiagnostic>) {
        if !matches!(auth.kind, Kind::Mapping(_)) {
            return;
        }
        let provider = self.provider;
        let one_of = |node: &Node,
                      a: &str,
                      b: &str,
                      what: &str,
                      out: &mut Vec<ConfigDiagnostic>| {
            match (node.entry(a), node.entry(b)) {
                (Some(_), Some(second)) => out.push(
                    self.file
                        .error(
                            Code::Invalid,
                            format!("provider `{provider}`: `{a}` and `{b}` both given; {what} takes one"),
                        )
                        .at(second.key_span, "the second one")
                        .help(format!("keep either `{a}` or `{b}`")),
                ),
                (None, None) => out.push(
                    self.file
                        .error(
                            Code::MissingField,
                            format!("provider `{provider}`: {what} needs `{a}` or `{b}`"),
                        )
                        .at(node.head(self.file), format!("neither `{a}` nor `{b}`"))
                        .help(format!("add `{a}` or `{b}`")),
                ),
                _ => {}
            }
        };
        one_of(auth, "bearer", "oidc", "`auth`", out);
        let Some(oidc) = auth
            .get("oidc")
            .filter(|n| matches!(n.kind, Kind::Mapping(_)))
        else {
            return;
        };
        one_of(oidc, "token_url", "issuer", "`auth.oidc`", out);
        match (oidc.entry("username"), oidc.entry("password")) {
            (Some(given), None) | (None, Some(given)) => {
                let missing = if given.key == "username" {
                    "password"
                } else {
                    "username"
                };
                out.push(
                    self.file
                        .error(
                            Code::MissingField,
                            format!(
                                "provider `{provider}`: `auth.oidc.{}` without `{missing}`",
                                given.key
                            ),
                        )
                        .at(given.key_span, format!("no `{missing}` beside it"))
                        .help(format!(
                            "the password grant needs both `username` and `password`; remove `{}` \
                             to use the `client_credentials` grant",
                            given.key
                        )),
                );
            }
            _ => {}
        }
    }

    /// `https://user:pass@host` would print the credentials in logs and errors, and send them
    /// as Basic auth in place of the token: credentials belong under `auth`. The message never
    /// quotes the URL (its snippet has the credentials blanked out, see `sensitive`).
    pub(super) fn check_endpoint_credentials(
        &self,
        node: Option<&Node>,
        out: &mut Vec<ConfigDiagnostic>,
    ) {
        let Some(node) = node else {
            return;
        };
        let Some(Ok(url)) = node.as_str().map(url::Url::parse) else {
            return;
        };
        if url.username().is_empty() && url.password().is_none() {
            return;
        }
        let auth = match self.platform {
            Platform::Idun => "auth: { password: \"${IDUN_ADMIN_PASSWORD}\" }",
            _ => "auth: { bearer: \"${API_TOKEN}\" }",
        };
        out.push(
            self.file
                .error(
                    Code::UrlCredentials,
                    format!(
                        "the `endpoint` of provider `{}` has credentials in it",
                        self.provider
                    ),
                )
                .at(node.span, "a user name or password before `@`")
                .help(format!(
                    "mcpform would print them and send them in place of the token; remove them \
                     from the URL and give the credential under `auth`, e.g. `{auth}`"
                )),
        );
    }

    /// The schema checks that a URL is absolute; here its scheme must suit its use.
    pub(super) fn check_url(
        &self,
        node: Option<&Node>,
        field: &str,
        websocket: bool,
        out: &mut Vec<ConfigDiagnostic>,
    ) {
        let Some(node) = node else {
            return;
        };
        let Some(Ok(url)) = node.as_str().map(url::Url::parse) else {
            return;
        };
        let (schemes, help) = if websocket {
            (
                ["ws", "wss"],
                "transport `websocket` connects to a `ws://` or `wss://` URL",
            )
        } else {
            (
                ["http", "https"],
                "mcpform and the platforms speak HTTP; use an `http://` or `https://` URL",
            )
        };
        if !schemes.contains(&url.scheme()) {
            out.push(
                self.file
                    .error(
                        Code::InvalidUrl,
                        format!("invalid value `{}` for `{field}`", node.shown(self.file)),
                    )
                    .at(
                        node.span,
                        format!("expected {}", suggest::list(schemes, "or")),
                    )
                    .help(help),
            );
        }
    }
}
