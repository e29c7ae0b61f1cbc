//! Fingerprints of secret material that cannot be brute-forced cheaply.
//!
//! The state file and saved plans must tell whether a secret changed without holding it. A salted
//! SHA-256 is not enough: a 6-digit header value falls to 10^6 guesses in seconds. So every
//! secret *string* first goes through Argon2id (memory-hard, parameters and salt recorded in the
//! file, see [`KdfParams`]) and only its 256-bit output enters the fingerprint:
//!
//! ```text
//! token(s)    = "argon2id:" ‖ hex(Argon2id(password = s, salt = the file's salt, m, t, p, 32 bytes))
//! fingerprint = "argon2id:" ‖ hex(SHA-256(canonical JSON of
//!                   [domain, salt hex, address, field, value with each secret string → token(s)])))
//! ```
//!
//! Testing one candidate secret therefore costs one Argon2id evaluation. The address and field
//! (and a domain per file kind) are mixed in afterwards with SHA-256, so one secret used by many
//! resources gives different fingerprints but is derived once per run: [`Fingerprinter`] memoizes
//! the KDF per distinct string, and [`Fingerprinter::precompute`] spreads the distinct strings of a
//! whole plan over a few threads before the (sequential) diff asks for them.
//!
//! With a key (`MCPFORM_FINGERPRINT_KEY`, a high-entropy secret kept outside the file, see
//! [`FingerprintKey`]) the token is keyed instead and costs microseconds:
//!
//! ```text
//! token(s)    = "hmac:" ‖ hex(HMAC-SHA256(key, salt ‖ s))
//! fingerprint = "hmac:" ‖ hex(SHA-256(the same canonical JSON))
//! ```
//!
//! and the file records `{"alg": "hmac-sha256", "key_id": …, "salt": …}` ([`HmacParams`]): the
//! key id is a public digest of the key, so a run with another key (or none) can say why the
//! records do not match. Without the key a guess cannot even be tested.
//!
//! Which strings are secret is the caller's choice: the state hashes every string of a
//! write-only value (the platform never shows them, so none is assumed public); a saved plan
//! hashes the strings its masked copy hides (see [`crate::plan::file`]), the rest being in the
//! file in clear anyway.

mod encoding;
mod fingerprinter;
mod key;
mod scheme;
#[cfg(test)]
mod tests;

pub use encoding::{canonical_json, hex, new_salt, strings};
pub use fingerprinter::Fingerprinter;
pub use key::FingerprintKey;
#[cfg(test)]
pub use scheme::cheap_params;
pub use scheme::{
    ALG, DEFAULT_M_KIB, DEFAULT_P, DEFAULT_T, HMAC_ALG, HMAC_PREFIX, HmacParams, KdfParams, PREFIX,
    Scheme,
};
