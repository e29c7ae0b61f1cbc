//! Serving over HTTPS (`start_https`): a TCP listener whose connections are TLS-handshaken
//! each in its own task, so one client that never finishes its handshake (or refuses the
//! certificate, which is what the TLS tests provoke) holds up no other.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The certificate chain (leaf first) and private key the emulator serves HTTPS with, PEM.
#[derive(Clone)]
pub struct TlsIdentity {
    /// One or more `CERTIFICATE` blocks, the server's own first.
    pub cert_chain_pem: Vec<u8>,
    /// The server certificate's private key (PKCS#8, PKCS#1 or SEC1).
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsIdentity(..)")
    }
}

impl TlsIdentity {
    fn server_config(&self) -> io::Result<rustls::ServerConfig> {
        let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidInput, what);
        let chain = CertificateDer::pem_slice_iter(&self.cert_chain_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(format!("the TLS certificate is not PEM: {e}")))?;
        if chain.is_empty() {
            return Err(invalid(
                "the TLS certificate file holds no certificate".into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(&self.key_pem)
            .map_err(|e| invalid(format!("the TLS key is not a PEM private key: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| invalid(format!("the TLS certificate and key do not fit: {e}")))
    }
}

/// Accepted and handshaken connections, for `axum::serve`.
pub(crate) struct TlsListener {
    addr: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    /// Starts accepting on `listener`; the accept loop ends when the `TlsListener` is dropped.
    pub fn new(listener: TcpListener, identity: &TlsIdentity) -> io::Result<TlsListener> {
        let addr = listener.local_addr()?;
        let acceptor = TlsAcceptor::from(Arc::new(identity.server_config()?));
        let (send, ready) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok(accepted) => accepted,
                        // Out of file descriptors and the like: try again shortly.
                        Err(_) => {
                            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                            continue;
                        }
                    },
                    () = send.closed() => return,
                };
                let acceptor = acceptor.clone();
                let send = send.clone();
                tokio::spawn(async move {
                    // A failed handshake is the client's business (it refused the certificate).
                    if let Ok(stream) = acceptor.accept(stream).await {
                        let _ = send.send((stream, peer)).await;
                    }
                });
            }
        });
        Ok(TlsListener { addr, ready })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept loop only ends once this listener is gone.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.addr)
    }
}
