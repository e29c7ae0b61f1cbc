//! Tests of tokens, seals, memoization, schemes and keys.

use argon2::{Algorithm, Argon2, Params, Version};
use serde_json::json;

use super::encoding::unhex;
use super::key::hmac_sha256;
use super::scheme::MAX_M_KIB;
use super::*;

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
