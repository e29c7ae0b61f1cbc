//! TLS to PostgreSQL with rustls (the process's `ring` provider), with libpq's meaning of
//! `sslmode` and `sslrootcert`, which tokio-postgres itself does not parse beyond `require`:
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `prefer` (libpq's default) | if the server offers it | not checked |
//! | `require` | always | not checked; checked like `verify-ca` when `sslrootcert` is given |
//! | `verify-ca` | always | chains to `sslrootcert` (else the system's CAs) |
//! | `verify-full` | always | as `verify-ca`, and names the host connected to |
//!
//! libpq falls back to `~/.postgresql/root.crt` without `sslrootcert`; mcpform uses the system's
//! CAs instead (libpq's `sslrootcert=system`), which is what a managed database's certificate
//! chains to.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// What the connection string asks of TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsParams {
    /// No TLS at all (`sslmode=disable`).
    pub disabled: bool,
    /// How much of the server's certificate is checked.
    pub verify: Verify,
    /// `sslrootcert`: the CA certificates (PEM) the server's must chain to.
    pub root_cert: Option<PathBuf>,
}

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    /// Nothing: the connection is encrypted, but to whoever answers (libpq's `require`).
    Nothing,
    /// That it chains to a trusted CA (`verify-ca`).
    Chain,
    /// That it chains to a trusted CA and names the host (`verify-full`).
    Full,
}

/// Takes `sslmode` and `sslrootcert` out of a libpq connection string or URL; returns what
/// tokio-postgres can parse (`sslmode` `disable`, `prefer` or `require`) and what they ask.
/// Errors never quote the string: it holds the password.
pub fn split_tls_params(url: &str) -> Result<(String, TlsParams), String> {
    let mut mode = None;
    let mut root_cert = None;
    let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut parsed = url::Url::parse(url)
            .map_err(|_| "the `url` is not a libpq connection string or postgres:// URL")?;
        let mut kept = Vec::new();
        for (key, value) in parsed.query_pairs() {
            match key.as_ref() {
                "sslmode" => mode = Some(value.into_owned()),
                "sslrootcert" => root_cert = Some(value.into_owned()),
                _ => kept.push((key.into_owned(), value.into_owned())),
            }
        }
        parsed.set_query(None);
        if !kept.is_empty() {
            parsed.query_pairs_mut().extend_pairs(kept);
        }
        parsed.to_string()
    } else {
        let pattern =
            regex_lite::Regex::new(r"(?:^|\s)(sslmode|sslrootcert)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)")
                .expect("a valid pattern");
        for found in pattern.captures_iter(url) {
            let value = found[2].trim_matches('\'').replace("\\'", "'");
            match &found[1] {
                "sslmode" => mode = Some(value),
                _ => root_cert = Some(value),
            }
        }
        pattern.replace_all(url, "").into_owned()
    };
    let root_cert = root_cert.map(PathBuf::from);
    let (tokio_mode, disabled, verify) = match mode.as_deref().unwrap_or("prefer") {
        "disable" => ("disable", true, Verify::Nothing),
        "allow" | "prefer" => ("prefer", false, Verify::Nothing),
        "require" if root_cert.is_some() => ("require", false, Verify::Chain),
        "require" => ("require", false, Verify::Nothing),
        "verify-ca" => ("require", false, Verify::Chain),
        "verify-full" => ("require", false, Verify::Full),
        other => {
            return Err(format!(
                "`sslmode={other}` is not one of disable, allow, prefer, require, verify-ca, \
                 verify-full"
            ));
        }
    };
    let separator = if url.starts_with("postgres") {
        if rest.contains('?') { "&" } else { "?" }
    } else {
        " "
    };
    let rest = format!("{}{separator}sslmode={tokio_mode}", rest.trim_end());
    Ok((
        rest,
        TlsParams {
            disabled,
            verify,
            root_cert,
        },
    ))
}

/// The rustls configuration for `params`; the error says what is wrong with `sslrootcert`.
pub fn client_config(params: &TlsParams) -> Result<ClientConfig, String> {
    crate::http::install_crypto_provider();
    let provider = CryptoProvider::get_default()
        .ok_or("no TLS crypto provider is installed")?
        .clone();
    let trusted: Arc<dyn ServerCertVerifier> = match (&params.root_cert, params.verify) {
        // `require` (and `prefer`) without `sslrootcert`: libpq encrypts without checking who
        // answers; the handshake's signatures are still checked.
        (_, Verify::Nothing) => Arc::new(crate::http::SkipVerify(provider.clone())),
        (Some(path), _) => {
            let mut roots = RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("cannot read `sslrootcert` {}: {e}", path.display()))?;
            for cert in certs {
                let cert =
                    cert.map_err(|e| format!("`sslrootcert` {} is not PEM: {e}", path.display()))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("`sslrootcert` {}: {e}", path.display()))?;
            }
            if roots.is_empty() {
                return Err(format!(
                    "`sslrootcert` {} holds no certificate",
                    path.display()
                ));
            }
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| e.to_string())?
        }
        (None, _) => Arc::new(
            rustls_platform_verifier::Verifier::new(provider.clone())
                .map_err(|e| format!("cannot load the system's CA certificates: {e}"))?,
        ),
    };
    let verifier: Arc<dyn ServerCertVerifier> = match params.verify {
        Verify::Chain => Arc::new(AnyName(trusted)),
        Verify::Nothing | Verify::Full => trusted,
    };
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// `verify-ca`: the certificate must chain to a trusted CA, whatever name it is for.
#[derive(Debug)]
struct AnyName(Arc<dyn ServerCertVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> (String, TlsParams) {
        split_tls_params(url).unwrap()
    }

    #[test]
    fn libpq_modes_become_what_tokio_postgres_parses() {
        let (rest, params) = split(
            "postgres://u:p@h:5432/db?sslmode=verify-full&sslrootcert=/ca.pem&connect_timeout=5",
        );
        assert_eq!(
            rest,
            "postgres://u:p@h:5432/db?connect_timeout=5&sslmode=require"
        );
        assert_eq!(params.verify, Verify::Full);
        assert_eq!(params.root_cert, Some(PathBuf::from("/ca.pem")));
        assert!(!params.disabled);

        let (rest, params) =
            split("host=h user=u sslmode = verify-ca sslrootcert='/a b.pem' dbname=d");
        assert_eq!(rest, "host=h user=u dbname=d sslmode=require");
        assert_eq!(params.verify, Verify::Chain);
        assert_eq!(params.root_cert, Some(PathBuf::from("/a b.pem")));

        let (rest, params) = split("postgres://h/db");
        assert_eq!(rest, "postgres://h/db?sslmode=prefer");
        assert_eq!(params.verify, Verify::Nothing);
        assert!(split("host=h sslmode=disable").1.disabled);
        assert_eq!(
            split("host=h sslmode=require sslrootcert=/ca.pem").1.verify,
            Verify::Chain
        );
        let bad = split_tls_params("postgres://u:secret@h/db?sslmode=maybe").unwrap_err();
        assert!(
            bad.contains("sslmode=maybe") && !bad.contains("secret"),
            "{bad}"
        );
    }
}
