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

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

type HmacSha256 = hmac::Hmac<sha2_0_11::Sha256>;

/// The only algorithm written and read.
pub const ALG: &str = "argon2id";
/// Prefix of every token and fingerprint made here.
pub const PREFIX: &str = "argon2id:";

/// The keyed algorithm, written when `MCPFORM_FINGERPRINT_KEY` is set.
pub const HMAC_ALG: &str = "hmac-sha256";
/// Prefix of every keyed token and fingerprint.
pub const HMAC_PREFIX: &str = "hmac:";

/// Defaults for new files: OWASP's second Argon2id setting, 19 MiB and 2 passes, one lane.
/// 31–63 ms (median 47) per distinct secret string on one core of the shared 2-core development
/// machine under load (release, `cargo bench --bench plan`).
pub const DEFAULT_M_KIB: u32 = 19 * 1024;
/// Passes over the memory.
pub const DEFAULT_T: u32 = 2;
/// Lanes (the parallelism *inside* one evaluation; mcpform parallelizes across secrets).
pub const DEFAULT_P: u32 = 1;

/// Upper bounds a file may ask for, so a hostile or corrupt file cannot make a plan take
/// gigabytes or hours.
const MAX_M_KIB: u32 = 1024 * 1024;
const MAX_T: u32 = 16;
const MAX_P: u32 = 8;

/// The KDF a file's fingerprints were made with, recorded in the file so it can change later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// Always `argon2id`.
    pub alg: String,
    /// Argon2 version: 19 (0x13).
    pub version: u32,
    /// Memory in KiB.
    pub m: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
    /// 128 random bits per file, hex.
    pub salt: String,
}

impl KdfParams {
    /// The defaults with a fresh random salt.
    pub fn new() -> KdfParams {
        KdfParams::with_salt(new_salt())
    }

    /// The defaults with a given salt (a v1 file keeps its own when upgraded).
    pub fn with_salt(salt: String) -> KdfParams {
        KdfParams {
            alg: ALG.into(),
            version: 0x13,
            m: DEFAULT_M_KIB,
            t: DEFAULT_T,
            p: DEFAULT_P,
            salt,
        }
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams::new()
    }
}

/// The keyed scheme's record in a file: the key itself is never written, only its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmacParams {
    /// Always `hmac-sha256`.
    pub alg: String,
    /// [`FingerprintKey::id`] of the key the fingerprints were made with.
    pub key_id: String,
    /// 128 random bits per file, hex.
    pub salt: String,
}

/// How a file's fingerprints were made: `"fingerprint"` in state files and saved plans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scheme {
    /// Argon2id, no key.
    Argon2id(KdfParams),
    /// HMAC-SHA256 under `MCPFORM_FINGERPRINT_KEY`.
    Hmac(HmacParams),
}

impl Scheme {
    /// A new file's scheme: keyed when there is a key, else Argon2id with the defaults.
    pub fn new(key: Option<&FingerprintKey>) -> Scheme {
        Scheme::with_salt(key, new_salt())
    }

    /// The same with a given salt.
    pub fn with_salt(key: Option<&FingerprintKey>, salt: String) -> Scheme {
        match key {
            Some(key) => Scheme::Hmac(HmacParams {
                alg: HMAC_ALG.into(),
                key_id: key.id().to_owned(),
                salt,
            }),
            None => Scheme::Argon2id(KdfParams::with_salt(salt)),
        }
    }

    /// The file's salt, hex.
    pub fn salt(&self) -> &str {
        match self {
            Scheme::Argon2id(p) => &p.salt,
            Scheme::Hmac(p) => &p.salt,
        }
    }

    /// The key id a keyed scheme needs.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            Scheme::Argon2id(_) => None,
            Scheme::Hmac(p) => Some(&p.key_id),
        }
    }

    /// Checks the scheme without building anything that needs a key.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Scheme::Argon2id(p) => Fingerprinter::new(p.clone()).map(|_| ()),
            Scheme::Hmac(p) => check_hmac(p),
        }
    }

    /// Why this run cannot check fingerprints made with this scheme, if it cannot: a keyed
    /// scheme needs the same key. `what` names the file ("the state's", "the plan's").
    pub fn key_mismatch(&self, key: Option<&FingerprintKey>, what: &str) -> Option<String> {
        let id = self.key_id()?;
        match key {
            Some(key) if key.id() == id => None,
            Some(key) => Some(format!(
                "{what} fingerprints were made with another `MCPFORM_FINGERPRINT_KEY` (key id {id}; this run's is {})",
                key.id()
            )),
            None => Some(format!(
                "{what} fingerprints were made with `MCPFORM_FINGERPRINT_KEY` (key id {id}), which this run does not have"
            )),
        }
    }
}

fn check_hmac(params: &HmacParams) -> Result<(), String> {
    if params.alg != HMAC_ALG {
        return Err(format!(
            "unsupported fingerprint algorithm `{}`",
            params.alg
        ));
    }
    if params.key_id.len() != 16 || unhex(&params.key_id).is_none() {
        return Err("the fingerprint key id is not 8 hex-encoded bytes".into());
    }
    unhex(&params.salt)
        .filter(|s| s.len() >= 16)
        .ok_or("the fingerprint salt is not 16 or more hex-encoded bytes")?;
    Ok(())
}

/// `MCPFORM_FINGERPRINT_KEY`: a secret that never enters a file, an output or a log. Its
/// [`id`](FingerprintKey::id) is public: the first 8 bytes of HMAC-SHA256(key, "mcpform key id").
#[derive(Clone)]
pub struct FingerprintKey {
    key: Vec<u8>,
    id: String,
}

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FingerprintKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl FingerprintKey {
    /// The key is the variable's bytes (e.g. the 64 characters of `openssl rand -hex 32`),
    /// surrounding whitespace removed (a secret store's trailing newline); `None` when empty.
    pub fn new(secret: &str) -> Option<FingerprintKey> {
        let secret = secret.trim();
        if secret.is_empty() {
            return None;
        }
        let key = secret.as_bytes().to_vec();
        let id = hex(&hmac_sha256(&key, &[b"mcpform key id"])[..8]);
        Some(FingerprintKey { key, id })
    }

    /// The public id recorded in files.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The secret, for registering with the output masking only.
    pub fn expose(&self) -> &str {
        std::str::from_utf8(&self.key).expect("made from a str")
    }
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

enum Engine {
    Argon(Argon2<'static>),
    Hmac(Vec<u8>),
}

/// Derives and memoizes tokens for one file's scheme and salt (Argon2id, or HMAC under a key).
pub struct Fingerprinter {
    scheme: Scheme,
    params: KdfParams,
    engine: Engine,
    salt: Vec<u8>,
    memo: Mutex<HashMap<String, [u8; 32]>>,
    derived: AtomicUsize,
}

impl std::fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the memo: its keys are secrets.
        f.debug_struct("Fingerprinter")
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl Fingerprinter {
    /// Checks a file's parameters; the message says what is wrong (never a secret: there is
    /// none in the parameters).
    pub fn new(params: KdfParams) -> Result<Fingerprinter, String> {
        if params.alg != ALG {
            return Err(format!(
                "unsupported fingerprint algorithm `{}`",
                params.alg
            ));
        }
        if params.version != 0x13 {
            return Err(format!("unsupported Argon2 version {}", params.version));
        }
        if params.m > MAX_M_KIB || params.t > MAX_T || params.p > MAX_P {
            return Err(format!(
                "fingerprint parameters m={} t={} p={} exceed the limits m={MAX_M_KIB} t={MAX_T} p={MAX_P}",
                params.m, params.t, params.p
            ));
        }
        let salt = unhex(&params.salt)
            .filter(|s| s.len() >= 16)
            .ok_or("the fingerprint salt is not 16 or more hex-encoded bytes")?;
        let argon = Params::new(params.m, params.t, params.p, Some(32))
            .map(|p| Argon2::new(Algorithm::Argon2id, Version::V0x13, p))
            .map_err(|e| format!("invalid Argon2id parameters: {e}"))?;
        Ok(Fingerprinter {
            scheme: Scheme::Argon2id(params.clone()),
            params,
            engine: Engine::Argon(argon),
            salt,
            memo: Mutex::new(HashMap::new()),
            derived: AtomicUsize::new(0),
        })
    }

    /// A fingerprinter for a file's scheme; a keyed one needs the key it was made with.
    pub fn for_scheme(
        scheme: Scheme,
        key: Option<&FingerprintKey>,
    ) -> Result<Fingerprinter, String> {
        let params = match &scheme {
            Scheme::Argon2id(params) => return Fingerprinter::new(params.clone()),
            Scheme::Hmac(params) => params,
        };
        check_hmac(params)?;
        if let Some(reason) = scheme.key_mismatch(key, "the file's") {
            return Err(reason);
        }
        let key = key.expect("a matching key");
        Ok(Fingerprinter {
            salt: unhex(&params.salt).expect("checked"),
            params: KdfParams::with_salt(params.salt.clone()),
            engine: Engine::Hmac(key.key.clone()),
            scheme,
            memo: Mutex::new(HashMap::new()),
            derived: AtomicUsize::new(0),
        })
    }

    /// The Argon2id parameters (for a keyed fingerprinter: the defaults with its salt).
    pub fn params(&self) -> &KdfParams {
        &self.params
    }

    /// The scheme, as the file records it.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// What every token and fingerprint of this fingerprinter starts with.
    pub fn prefix(&self) -> &'static str {
        match self.engine {
            Engine::Argon(_) => PREFIX,
            Engine::Hmac(_) => HMAC_PREFIX,
        }
    }

    /// The salt, hex (also what legacy SHA-256 records were salted with).
    pub fn salt(&self) -> &str {
        self.scheme.salt()
    }

    /// How many derivations (Argon2id or HMAC) this fingerprinter has run (memo hits excluded).
    pub fn derivations(&self) -> usize {
        self.derived.load(Ordering::Relaxed)
    }

    /// Argon2id's working memory (`m` KiB): one per thread, reused for every derivation, so
    /// deriving a thousand secrets holds `m` × threads, not what the allocator keeps of a
    /// thousand freed 19 MiB buffers.
    fn blocks(&self) -> Vec<Block> {
        match &self.engine {
            Engine::Argon(argon) => vec![Block::default(); argon.params().block_count()],
            Engine::Hmac(_) => Vec::new(),
        }
    }

    fn derive(&self, secret: &str, blocks: &mut [Block]) -> [u8; 32] {
        let out = match &self.engine {
            Engine::Argon(argon) => {
                let mut out = [0u8; 32];
                argon
                    .hash_password_into_with_memory(secret.as_bytes(), &self.salt, &mut out, blocks)
                    .expect("parameters and salt were checked, any password length is valid");
                out
            }
            Engine::Hmac(key) => hmac_sha256(key, &[&self.salt, secret.as_bytes()]),
        };
        self.derived.fetch_add(1, Ordering::Relaxed);
        out
    }

    fn memo(&self) -> std::sync::MutexGuard<'_, HashMap<String, [u8; 32]>> {
        self.memo.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `argon2id:` ‖ hex(Argon2id(secret)), derived at most once per distinct secret.
    pub fn token(&self, secret: &str) -> String {
        let cached = self.memo().get(secret).copied();
        let key = cached.unwrap_or_else(|| {
            let key = self.derive(secret, &mut self.blocks());
            self.memo().insert(secret.to_owned(), key);
            key
        });
        format!("{}{}", self.prefix(), hex(&key))
    }

    /// Derives the tokens of all these secrets that are not memoized yet, on up to as many
    /// threads as there are cores (plain OS threads, off any async runtime's workers).
    /// A keyed fingerprinter derives in microseconds, on demand: nothing to do.
    pub fn precompute<'a>(&self, secrets: impl IntoIterator<Item = &'a str>) {
        if matches!(self.engine, Engine::Hmac(_)) {
            return;
        }
        let todo: Vec<&str> = {
            let memo = self.memo();
            let distinct: BTreeSet<&str> = secrets.into_iter().collect();
            distinct
                .into_iter()
                .filter(|s| !memo.contains_key(*s))
                .collect()
        };
        // Nothing to derive: not even the memory blocks (tens of MiB) are worth allocating.
        if todo.is_empty() {
            return;
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(todo.len());
        let next = AtomicUsize::new(0);
        let work = || {
            let mut blocks = self.blocks();
            while let Some(secret) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
                let key = self.derive(secret, &mut blocks);
                self.memo().insert((*secret).to_owned(), key);
            }
        };
        if threads <= 1 {
            work();
            return;
        }
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(work);
            }
        });
    }

    /// `value` with every string that `is_secret` picks replaced by its token.
    pub fn tokenize(&self, value: &Value, is_secret: &dyn Fn(&str) -> bool) -> Value {
        match value {
            Value::String(s) if is_secret(s) => Value::String(self.token(s)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.tokenize(v, is_secret)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.tokenize(v, is_secret)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The fingerprint of an already tokenized value at `address`/`field` (see the module doc).
    pub fn seal(&self, domain: &str, address: &str, field: &str, tokenized: &Value) -> String {
        let message = serde_json::json!([domain, self.salt(), address, field, tokenized]);
        format!(
            "{}{}",
            self.prefix(),
            hex(&Sha256::digest(canonical_json(&message).as_bytes()))
        )
    }
}

/// Every string inside a JSON value (object keys excluded: they are field and header names).
pub fn strings(value: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    collect_strings(value, &mut out);
    out
}

fn collect_strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// 128 random bits, hex-encoded.
pub fn new_salt() -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system's random source is unavailable");
    hex(&salt)
}

/// JSON with object keys sorted and no whitespace: the same value always hashes the same.
pub fn canonical_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), canonical_json(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(canonical_json)
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// Cheap parameters for unit tests elsewhere in the crate (the real ones run end to end).
#[cfg(test)]
pub fn cheap_params() -> KdfParams {
    KdfParams {
        m: 64,
        t: 1,
        ..KdfParams::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cheap() -> Fingerprinter {
        Fingerprinter::new(cheap_params()).unwrap()
    }

    #[test]
    fn a_token_is_argon2id_of_the_secret_under_the_files_salt() {
        let fp = cheap();
        let mut expected = [0u8; 32];
        Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(64, 1, 1, Some(32)).unwrap(),
        )
        .hash_password_into(b"123456", &unhex(fp.salt()).unwrap(), &mut expected)
        .unwrap();
        assert_eq!(fp.token("123456"), format!("argon2id:{}", hex(&expected)));
        let other = Fingerprinter::new(cheap_params()).unwrap();
        assert_ne!(fp.token("123456"), other.token("123456"), "per-file salt");
    }

    #[test]
    fn each_distinct_secret_is_derived_once_however_many_times_it_is_used() {
        let fp = cheap();
        let secrets: Vec<String> = (0..40).map(|i| format!("s{}", i % 4)).collect();
        fp.precompute(secrets.iter().map(String::as_str));
        assert_eq!(fp.derivations(), 4);
        for s in &secrets {
            fp.token(s);
        }
        fp.precompute(["s0", "s1"]);
        assert_eq!(fp.derivations(), 4, "all memoized");
        fp.token("new");
        assert_eq!(fp.derivations(), 5);
    }

    #[test]
    fn parallel_and_sequential_derivations_agree() {
        let a = cheap();
        let b = Fingerprinter::new(a.params().clone()).unwrap();
        let secrets = ["a", "b", "c", "d", "e"];
        a.precompute(secrets);
        for s in secrets {
            assert_eq!(a.token(s), b.token(s));
        }
    }

    #[test]
    fn address_and_field_separate_equal_values() {
        let fp = cheap();
        let value = fp.tokenize(&json!(["Bearer 123456"]), &|_| true);
        let a = fp.seal("d", "pais/servers/a", "headers", &value);
        let b = fp.seal("d", "pais/servers/b", "headers", &value);
        let c = fp.seal("d", "pais/servers/a", "other", &value);
        assert!(a.starts_with(PREFIX));
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(fp.derivations(), 1);
    }

    #[test]
    fn tokenize_replaces_only_the_picked_strings() {
        let fp = cheap();
        let value = json!({"name": "Authorization", "value": "Bearer x", "n": 1, "secret": true});
        let out = fp.tokenize(&value, &|s| s.starts_with("Bearer"));
        assert_eq!(out["name"], "Authorization");
        assert_eq!(out["n"], 1);
        assert!(out["value"].as_str().unwrap().starts_with(PREFIX));
        assert!(!out.to_string().contains("Bearer x"));
    }

    #[test]
    fn hostile_or_unknown_parameters_are_refused() {
        let bad = [
            KdfParams {
                alg: "sha256".into(),
                ..cheap_params()
            },
            KdfParams {
                m: MAX_M_KIB + 1,
                ..cheap_params()
            },
            KdfParams {
                t: 0,
                ..cheap_params()
            },
            KdfParams {
                salt: "abc".into(),
                ..cheap_params()
            },
            KdfParams {
                salt: "00".into(),
                ..cheap_params()
            },
        ];
        for params in bad {
            assert!(Fingerprinter::new(params.clone()).is_err(), "{params:?}");
        }
    }

    #[test]
    fn debug_output_never_shows_memoized_secrets() {
        let fp = cheap();
        fp.token("hunter2-secret");
        assert!(!format!("{fp:?}").contains("hunter2"));
    }

    fn keyed(key: &FingerprintKey, salt: &str) -> Fingerprinter {
        Fingerprinter::for_scheme(Scheme::with_salt(Some(key), salt.into()), Some(key)).unwrap()
    }

    #[test]
    fn hmac_tokens_are_deterministic_per_key_salt_and_value_and_record_the_key_id() {
        let a = FingerprintKey::new("key-a-0123456789abcdef0123456789abcdef").unwrap();
        let b = FingerprintKey::new("key-b-0123456789abcdef0123456789abcdef").unwrap();
        let salt = "00112233445566778899aabbccddeeff";
        let token = keyed(&a, salt).token("123456");
        assert_eq!(token, keyed(&a, salt).token("123456"), "deterministic");
        assert_eq!(
            token,
            format!(
                "hmac:{}",
                hex(&hmac_sha256(
                    b"key-a-0123456789abcdef0123456789abcdef",
                    &[&unhex(salt).unwrap(), b"123456"]
                ))
            )
        );
        assert_ne!(token, keyed(&b, salt).token("123456"), "per key");
        assert_ne!(
            token,
            keyed(&a, "ffeeddccbbaa99887766554433221100").token("123456"),
            "per salt"
        );
        assert_ne!(token, keyed(&a, salt).token("123457"));

        let fp = keyed(&a, salt);
        assert_eq!(fp.scheme().key_id(), Some(a.id()));
        assert_eq!(a.id().len(), 16);
        assert_ne!(a.id(), b.id());
        let file = serde_json::to_value(fp.scheme()).unwrap();
        assert_eq!(
            file,
            json!({"alg": "hmac-sha256", "key_id": a.id(), "salt": salt})
        );
        let back: Scheme = serde_json::from_value(file).unwrap();
        assert_eq!(&back, fp.scheme());
        let sealed = fp.seal("d", "r", "f", &fp.tokenize(&json!("x"), &|_| true));
        assert!(sealed.starts_with(HMAC_PREFIX), "{sealed}");
        fp.precompute(["p", "q"]);
        assert_eq!(
            fp.derivations(),
            1,
            "nothing precomputed: derived on demand"
        );
    }

    #[test]
    fn a_keyed_scheme_needs_its_key_and_says_which_one() {
        let a = FingerprintKey::new("a".repeat(64).as_str()).unwrap();
        let b = FingerprintKey::new("b".repeat(64).as_str()).unwrap();
        let scheme = Scheme::new(Some(&a));
        assert!(scheme.check().is_ok());
        assert_eq!(scheme.key_mismatch(Some(&a), "the x's"), None);
        let other = scheme.key_mismatch(Some(&b), "the x's").unwrap();
        assert!(other.contains("another") && other.contains(a.id()) && other.contains(b.id()));
        let none = scheme.key_mismatch(None, "the x's").unwrap();
        assert!(none.contains("does not have") && none.contains(a.id()));
        assert!(Fingerprinter::for_scheme(scheme.clone(), Some(&b)).is_err());
        assert!(Fingerprinter::for_scheme(scheme, None).is_err());
        assert_eq!(Scheme::new(None).key_mismatch(Some(&a), "the x's"), None);
        assert!(FingerprintKey::new("").is_none());
    }

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let secret = "s3cr3t-key-0123456789abcdef0123456789";
        let key = FingerprintKey::new(secret).unwrap();
        let fp = keyed(&key, "00112233445566778899aabbccddeeff");
        for text in [format!("{key:?}"), format!("{fp:?}")] {
            assert!(!text.contains(secret) && !text.contains("s3cr3t"), "{text}");
        }
    }

    #[test]
    fn hostile_keyed_schemes_are_refused() {
        let good = json!({"alg": "hmac-sha256", "key_id": "0011223344556677", "salt": "00112233445566778899aabbccddeeff"});
        assert!(
            serde_json::from_value::<Scheme>(good.clone())
                .unwrap()
                .check()
                .is_ok()
        );
        for (field, value) in [("alg", "hmac-md5"), ("key_id", "00"), ("salt", "zz")] {
            let mut bad = good.clone();
            bad[field] = json!(value);
            let scheme: Scheme = serde_json::from_value(bad).unwrap();
            assert!(scheme.check().is_err(), "{scheme:?}");
        }
        let mut unknown = good;
        unknown["m"] = json!(64);
        assert!(serde_json::from_value::<Scheme>(unknown).is_err());
    }
}
