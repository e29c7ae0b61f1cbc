//! Why a request did not succeed, and how those errors read.

/// Why a request did not succeed.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
pub enum HttpError {
    /// The platform answered with an error status.
    #[error("{method} {url} answered HTTP {status}{}: {message}", attempts_note(*.attempts))]
    #[diagnostic(code(mcpform::http::status))]
    Status {
        /// The request's method.
        method: String,
        /// The request's URL, secrets masked.
        url: String,
        /// The HTTP status.
        status: u16,
        /// What the platform (or the transport) said, secrets masked.
        message: String,
        /// How many times the request was sent.
        attempts: u32,
        /// The platform says it undid the write (see `PlatformError::rolled_back`).
        rolled_back: bool,
        /// What to do instead, when the answer is final (see `PlatformError::fatal`). Boxed to
        /// keep every `Result` carrying an `HttpError` small.
        #[help]
        help: Option<Box<str>>,
    },
    #[error("{method} {url} failed{}: {message}", attempts_note(*.attempts))]
    #[diagnostic(
        code(mcpform::http::transport),
        help("check the provider's `endpoint` and your network")
    )]
    /// No answer came: the connection failed or timed out.
    Transport {
        /// The request's method.
        method: String,
        /// The request's URL, secrets masked.
        url: String,
        /// What the platform (or the transport) said, secrets masked.
        message: String,
        /// How many times the request was sent.
        attempts: u32,
        /// No answer came within the timeout: the platform may still be working on the request.
        timed_out: bool,
    },
    /// The server's certificate is not trusted: not retried, it will not change by itself.
    #[error("{method} {url} failed: the server's TLS certificate is not trusted: {message}")]
    #[diagnostic(
        code(mcpform::http::untrusted_certificate),
        help(
            "if the server uses an internal or self-signed CA, set the provider's `tls.ca_file` to a PEM file of that CA's certificate (relative to the config file)"
        )
    )]
    UntrustedCertificate {
        /// The request's method.
        method: String,
        /// The request's URL, secrets masked.
        url: String,
        /// What the TLS library said.
        message: String,
    },
    /// The provider's OIDC identity provider gave no token (see `oidc`).
    #[error("{message}")]
    #[diagnostic(code(mcpform::http::oidc))]
    Token {
        /// What went wrong, naming the provider; secrets masked.
        message: String,
        /// Which config field to fix.
        #[help]
        help: Box<str>,
    },
    /// A write refused before sending: the command only reads.
    #[error("refused to send {method} {url}: this command only reads")]
    #[diagnostic(code(mcpform::http::read_only))]
    ReadOnly {
        /// The refused request's method.
        method: String,
        /// The refused request's URL, secrets masked.
        url: String,
    },
    /// A redirect that mcpform does not follow: any redirect answering a write, and a read's
    /// redirect to another origin (or past the hop limit).
    #[error("{method} {url} answered HTTP {status}, a redirect to `{location}`; {why}")]
    #[diagnostic(
        code(mcpform::http::redirect),
        help("point the provider's `endpoint` at the address the platform really serves")
    )]
    Redirect {
        /// The request's method.
        method: String,
        /// The request's URL, secrets masked.
        url: String,
        /// The redirect's HTTP status.
        status: u16,
        /// The `Location` it pointed at, secrets masked.
        location: String,
        /// Why it was not followed.
        why: &'static str,
    },
    /// A success whose body is not what the platform documents.
    #[error("{method} {url} returned a body mcpform cannot read: {message}")]
    #[diagnostic(code(mcpform::http::invalid_response))]
    InvalidResponse {
        /// The request's method.
        method: String,
        /// The request's URL, secrets masked.
        url: String,
        /// What the platform (or the transport) said, secrets masked.
        message: String,
    },
    /// A response body larger than mcpform reads; reading stopped at the limit.
    #[error("{method} {url} answered with a body over {}; mcpform stopped reading it", size(*.limit))]
    #[diagnostic(
        code(mcpform::http::too_large),
        help(
            "no answer of the APIs mcpform manages comes near that size: check that the provider's `endpoint` is the platform's API, not a proxy or a download"
        )
    )]
    TooLarge {
        /// The request's method.
        method: String,
        /// The request's URL, secrets masked.
        url: String,
        /// The cap, in bytes.
        limit: usize,
    },
    /// A listing that does not progress or contradicts itself: planning from it would be
    /// planning from a partial or wrong view of the platform.
    #[error("{method} {url}: {message}")]
    #[diagnostic(
        code(mcpform::http::bad_listing),
        help(
            "the platform's listing is inconsistent, so nothing was planned from it: run again later, and report it to the platform's operator if it persists"
        )
    )]
    BadListing {
        /// The listing's method.
        method: String,
        /// The listing's URL, secrets masked.
        url: String,
        /// What is wrong with it.
        message: String,
    },
}

/// A byte count as people read it: `32 MiB`, `64 KiB`, `100 bytes`.
fn size(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    match bytes {
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= 1024 && b % 1024 == 0 => format!("{} KiB", b / 1024),
        b => format!("{b} bytes"),
    }
}

fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

impl HttpError {
    /// The HTTP status of a `Status` error.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// reqwest's top-level message is vague ("error sending request"); the cause says why.
pub(super) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
