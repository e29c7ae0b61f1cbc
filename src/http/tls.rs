//! TLS: the run's shared configuration (the platform's verifier, whose system roots are read
//! once per run) and a provider's own (`tls:`), built on top of it without changing it.
//!
//! A provider's `ca_file` adds roots: its verifier asks the shared one first, then one that
//! trusts only the bundle's CAs. So the system roots are still read once per run, however many
//! providers have a bundle of their own. `insecure_skip_verify` checks no certificate (the
//! handshake's signatures still are, so the connection is at least to whoever holds the key).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::install_crypto_provider;

/// A provider's TLS settings, read and checked (`tls:` in its block).
#[derive(Clone)]
pub enum TlsOptions {
    /// Trust these CAs besides the system's.
    ExtraRoots(Arc<rustls::RootCertStore>),
    /// Check no certificate.
    InsecureSkipVerify,
}

/// Why a provider's `tls:` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsFileError {
    /// The file cannot be read.
    #[error("cannot read `{path}`")]
    Read {
        /// The file, as resolved against the config file's directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not a PEM bundle of certificates rustls accepts.
    #[error("`{path}` holds no usable PEM certificate{}", detail.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    NoCertificate {
        /// The file, as resolved against the config file's directory.
        path: String,
        /// What was wrong with the certificates found, if any.
        detail: Option<String>,
    },
}

impl TlsOptions {
    /// Reads `ca_file` (a PEM bundle; every certificate must parse) or takes the skip switch.
    /// `None` when the provider needs nothing but the shared configuration.
    pub fn load(ca_file: Option<&str>, insecure: bool) -> Result<Option<TlsOptions>, TlsFileError> {
        if insecure {
            return Ok(Some(TlsOptions::InsecureSkipVerify));
        }
        let Some(path) = ca_file else {
            return Ok(None);
        };
        let bytes = std::fs::read(Path::new(path)).map_err(|source| TlsFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        let no_certificate = |detail: Option<String>| TlsFileError::NoCertificate {
            path: path.to_owned(),
            detail,
        };
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&bytes) {
            let cert = cert.map_err(|e| no_certificate(Some(e.to_string())))?;
            roots
                .add(cert)
                .map_err(|e| no_certificate(Some(e.to_string())))?;
        }
        if roots.is_empty() {
            return Err(no_certificate(None));
        }
        Ok(Some(TlsOptions::ExtraRoots(Arc::new(roots))))
    }
}

/// The platform's verifier, built once per run: building it reads and parses the system's CA
/// store. `None` when that fails (no CA store): clients then let reqwest report it.
fn platform_verifier() -> Option<Arc<rustls_platform_verifier::Verifier>> {
    static SHARED: OnceLock<Option<Arc<rustls_platform_verifier::Verifier>>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let provider = crypto_provider()?;
            rustls_platform_verifier::Verifier::new(provider)
                .ok()
                .map(Arc::new)
        })
        .clone()
}

fn crypto_provider() -> Option<Arc<CryptoProvider>> {
    install_crypto_provider();
    CryptoProvider::get_default().cloned()
}

fn config_with(verifier: Arc<dyn ServerCertVerifier>) -> Option<rustls::ClientConfig> {
    let provider = crypto_provider()?;
    Some(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .ok()?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth(),
    )
}

/// The TLS configuration every client without `tls:` of its own shares.
fn shared() -> Option<&'static rustls::ClientConfig> {
    static SHARED: OnceLock<Option<rustls::ClientConfig>> = OnceLock::new();
    SHARED
        .get_or_init(|| config_with(platform_verifier()?))
        .as_ref()
}

/// The TLS configuration for a client with these options: the shared one, or one of its own.
pub(super) fn client_config(options: Option<&TlsOptions>) -> Option<rustls::ClientConfig> {
    match options {
        None => shared().cloned(),
        Some(TlsOptions::InsecureSkipVerify) => {
            config_with(Arc::new(SkipVerify(crypto_provider()?)))
        }
        Some(TlsOptions::ExtraRoots(roots)) => {
            let provider = crypto_provider()?;
            let extra = WebPkiServerVerifier::builder_with_provider(Arc::clone(roots), provider)
                .build()
                .ok()?;
            config_with(Arc::new(SystemOrExtra {
                system: platform_verifier(),
                extra,
            }))
        }
    }
}

/// Whether `error` (or a cause of it) is a certificate the client did not trust. Read from
/// the text: reqwest wraps the handshake's `rustls::Error` in boxed causes that cannot be
/// downcast to it, and rustls words every certificate refusal `invalid peer certificate: …`.
pub(super) fn is_untrusted_certificate(error: &(dyn std::error::Error + 'static)) -> bool {
    super::error_chain(error).contains("invalid peer certificate")
}

/// The system's roots, then the provider's bundle: a certificate either accepts is accepted.
#[derive(Debug)]
struct SystemOrExtra {
    system: Option<Arc<rustls_platform_verifier::Verifier>>,
    extra: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for SystemOrExtra {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let by_system = self.system.as_ref().map(|system| {
            system.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        });
        match by_system {
            Some(Ok(verified)) => Ok(verified),
            _ => self.extra.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.extra.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.extra.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.extra.supported_verify_schemes()
    }
}

/// Accepts any certificate; still checks that the server holds its key (`insecure_skip_verify`,
/// and libpq's `sslmode=require` for the PostgreSQL state).
#[derive(Debug)]
pub(crate) struct SkipVerify(pub(crate) Arc<CryptoProvider>);

impl ServerCertVerifier for SkipVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
