//! The fingerprinter: derives each secret's token once (Argon2id, or HMAC under a key),
//! memoizes it, and seals tokenized values into fingerprints.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::encoding::{canonical_json, hex, unhex};
use super::key::{FingerprintKey, hmac_sha256};
use super::scheme::{
    ALG, HMAC_PREFIX, KdfParams, MAX_M_KIB, MAX_P, MAX_T, PREFIX, Scheme, check_hmac,
};

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
