use serde_json::{Value, json};

use super::fingerprints::legacy_fingerprint;
use super::*;
use crate::fingerprint::{FingerprintKey, KdfParams};

fn cheap() -> State {
    State::with_params(crate::fingerprint::cheap_params()).unwrap()
}

#[test]
fn fingerprints_ignore_key_order_and_depend_on_the_salt_and_the_value() {
    let a = cheap();
    let b = cheap();
    let v1 = json!({"name": "A", "value": "x"});
    let v2 = json!({"value": "x", "name": "A"});
    assert_eq!(a.fingerprint("r", "f", &v1), a.fingerprint("r", "f", &v2));
    assert_ne!(a.fingerprint("r", "f", &v1), b.fingerprint("r", "f", &v1));
    assert_ne!(
        a.fingerprint("r", "f", &v1),
        a.fingerprint("r", "f", &json!({"name": "A", "value": "y"}))
    );
    assert!(a.fingerprint("r", "f", &v1).starts_with("argon2id:"));
}

#[test]
fn one_secret_in_two_resources_gives_two_fingerprints_and_one_derivation() {
    let state = cheap();
    let headers = json!([{"name": "Authorization", "value": "123456", "is_secret": true}]);
    let a = state.fingerprint("pais/servers/a", "headers", &headers);
    let b = state.fingerprint("pais/servers/b", "headers", &headers);
    assert_ne!(a, b);
    assert_eq!(
        state.derivations(),
        2,
        "`Authorization` and `123456`, once each"
    );
}

#[test]
fn precompute_memoizes_every_string_of_every_value() {
    let state = cheap();
    let values: Vec<Value> = (0..100)
        .map(|i| json!([{"name": "Authorization", "value": format!("t{}", i % 3)}]))
        .collect();
    state.precompute(&values);
    assert_eq!(state.derivations(), 4);
    for (i, v) in values.iter().enumerate() {
        state.fingerprint(&format!("r{i}"), "headers", v);
    }
    assert_eq!(state.derivations(), 4);
}

#[test]
fn saves_atomically_and_loads_back_with_the_parameters_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mcpform.state.json");
    let mut state = State::load(&path).unwrap();
    let fp = state.fingerprint("pais/servers/github", "headers", &json!("secret-value"));
    state.set_record(
        "pais/servers/github",
        BTreeMap::from([("headers".into(), fp.clone())]),
    );
    state.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("secret-value"));
    let file: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(file["format_version"], "3");
    assert_eq!(
        file["fingerprint"],
        serde_json::to_value(state.kdf.params()).unwrap()
    );
    assert_eq!(file["fingerprint"]["alg"], "argon2id");
    assert_eq!(file["fingerprint"]["m"], crate::fingerprint::DEFAULT_M_KIB);
    assert_eq!(file["fingerprint"]["t"], crate::fingerprint::DEFAULT_T);
    assert_eq!(file["fingerprint"]["p"], crate::fingerprint::DEFAULT_P);
    let loaded = State::load(&path).unwrap();
    assert_eq!(loaded, state);
    assert!(loaded.matches(
        "pais/servers/github",
        "headers",
        &json!("secret-value"),
        &fp
    ));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left behind"
    );
}

#[test]
fn a_format_1_record_matches_its_value_and_is_upgraded_at_the_next_save() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let salt = "00112233445566778899aabbccddeeff";
    let value = json!([{"name": "X-Pin", "value": "123456", "is_secret": true}]);
    let legacy = legacy_fingerprint(salt, &value);
    let other = legacy_fingerprint(salt, &json!(true));
    std::fs::write(
        &path,
        json!({"format_version": "1", "salt": salt, "resources": {
            "a": {"headers": legacy},
            "b": {"is_read_only": other},
        }})
        .to_string(),
    )
    .unwrap();
    let state = State::load(&path).unwrap();
    assert_eq!(state.kdf.salt(), salt, "the file keeps its salt");
    assert!(!state.matches("a", "headers", &json!([]), &legacy));
    assert!(!state.has_upgrades(), "a mismatch upgrades nothing");
    assert!(state.matches("a", "headers", &value, &legacy));
    assert!(state.has_upgrades());
    state.save(&path).unwrap();

    let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(file["format_version"], "3");
    assert!(file.get("salt").is_none());
    assert_eq!(file["fingerprint"]["salt"], salt);
    let upgraded = file["resources"]["a"]["headers"].as_str().unwrap();
    assert_eq!(upgraded, state.fingerprint("a", "headers", &value));
    assert_eq!(
        file["resources"]["b"]["is_read_only"], other,
        "a record not seen this run keeps its legacy form, still matchable"
    );
    let reloaded = State::load(&path).unwrap();
    assert!(reloaded.matches("a", "headers", &value, upgraded));
    assert!(reloaded.matches("b", "is_read_only", &json!(true), &other));
}

#[test]
fn an_upgrade_never_overwrites_a_record_set_since() {
    let state = cheap();
    let salt = state.kdf.salt().to_owned();
    let mut state = state;
    let legacy = legacy_fingerprint(&salt, &json!("v"));
    state.set_record("a", BTreeMap::from([("f".into(), legacy.clone())]));
    assert!(state.matches("a", "f", &json!("v"), &legacy));
    state.set_record("a", BTreeMap::from([("f".into(), "argon2id:new".into())]));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    state.save(&path).unwrap();
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(file["resources"]["a"]["f"], "argon2id:new");
}

#[test]
fn an_empty_record_removes_the_resource() {
    let mut state = cheap();
    state.set_record("a", BTreeMap::from([("headers".into(), "x".into())]));
    state.set_record("a", BTreeMap::new());
    assert!(state.record("a").is_none());
}

#[test]
fn a_corrupt_file_or_mixed_format_is_an_error_not_an_empty_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let params = serde_json::to_value(crate::fingerprint::cheap_params()).unwrap();
    for text in [
        "{not json".to_owned(),
        json!({"format_version": "4", "resources": {}}).to_string(),
        json!({"format_version": "2", "fingerprint": params, "resources": {},
               "managed": {"pais": {"x": {"address": "pais/servers/a"}}}}).to_string(),
        json!({"format_version": "2", "salt": "00112233445566778899aabbccddeeff", "resources": {}})
            .to_string(),
        json!({"format_version": "1", "fingerprint": params, "resources": {}}).to_string(),
        json!({"format_version": "2", "fingerprint": {"alg": "sha256", "version": 19, "m": 64, "t": 1, "p": 1, "salt": "00112233445566778899aabbccddeeff"}, "resources": {}}).to_string(),
    ] {
        std::fs::write(&path, &text).unwrap();
        assert!(
            matches!(State::load(&path), Err(StateError::Invalid { .. })),
            "{text}"
        );
    }
}

fn key(c: char) -> FingerprintKey {
    FingerprintKey::new(&c.to_string().repeat(64)).unwrap()
}

#[test]
fn an_argon2id_state_read_with_a_key_matches_and_is_rewritten_keyed_at_the_next_save() {
    let value = json!([{"name": "X", "value": "123456"}]);
    let mut argon = cheap();
    let record = argon.fingerprint("a", "headers", &value);
    argon.set_record("a", BTreeMap::from([("headers".into(), record.clone())]));
    let mut state = State::parse(&argon.to_text()).unwrap();
    state.use_key(Some(&key('a')));
    assert_eq!(state.unverifiable(&record), None);
    state.precompute([&value]);
    assert!(state.matches("a", "headers", &value, &record));
    assert!(!state.matches("a", "headers", &json!("other"), &record));
    assert!(state.has_upgrades());
    let file: Value = serde_json::from_str(&state.to_text()).unwrap();
    assert_eq!(file["fingerprint"]["alg"], "hmac-sha256");
    assert_eq!(file["fingerprint"]["key_id"], key('a').id());
    assert_eq!(file["fingerprint"]["salt"], argon.kdf.salt());
    let upgraded = file["resources"]["a"]["headers"].as_str().unwrap();
    assert!(upgraded.starts_with("hmac:"), "{file:#}");
    assert_eq!(upgraded, state.fingerprint("a", "headers", &value));

    // Read back with the same key: matches, nothing more to rewrite.
    let mut again = State::parse(&state.to_text()).unwrap();
    again.use_key(Some(&key('a')));
    assert!(again.matches("a", "headers", &value, upgraded));
    assert!(!again.has_upgrades());
    assert_eq!(again.unverifiable(upgraded), None);
}

#[test]
fn a_keyed_state_read_with_another_key_or_none_cannot_match_and_says_why() {
    let value = json!("secret");
    let mut keyed = cheap();
    keyed.use_key(Some(&key('a')));
    let record = keyed.fingerprint("a", "headers", &value);
    keyed.set_record("a", BTreeMap::from([("headers".into(), record.clone())]));
    let text = keyed.to_text();

    let mut other = State::parse(&text).unwrap();
    other.use_key(Some(&key('b')));
    assert!(!other.matches("a", "headers", &value, &record));
    let why = other.unverifiable(&record).unwrap();
    assert!(why.contains("another `MCPFORM_FINGERPRINT_KEY`"), "{why}");
    let file: Value = serde_json::from_str(&other.to_text()).unwrap();
    assert_eq!(
        file["fingerprint"]["key_id"],
        key('b').id(),
        "rewritten for the new key"
    );

    let mut none = State::parse(&text).unwrap();
    none.use_key(None);
    assert!(!none.matches("a", "headers", &value, &record));
    assert!(
        none.unverifiable(&record)
            .unwrap()
            .contains("does not have")
    );
    let file: Value = serde_json::from_str(&none.to_text()).unwrap();
    assert_eq!(file["fingerprint"]["alg"], "argon2id");

    // Without `use_key` (`state migrate`), the file is written back as read.
    assert_eq!(State::parse(&text).unwrap().to_text(), text);
}

#[test]
fn an_argon2id_record_left_in_a_keyed_file_still_matches() {
    let value = json!("secret");
    let mut state = cheap();
    state.use_key(Some(&key('a')));
    // As a targeted apply leaves an uncovered record: Argon2id (defaults) under the salt.
    let argon = State::with_params(KdfParams::with_salt(state.kdf.salt().into())).unwrap();
    let old = argon.fingerprint("b", "headers", &value);
    state.set_record("b", BTreeMap::from([("headers".into(), old.clone())]));
    let mut read = State::parse(&state.to_text()).unwrap();
    read.use_key(Some(&key('b')));
    assert_eq!(read.unverifiable(&old), None);
    assert!(read.matches("b", "headers", &value, &old));
    assert!(read.has_upgrades());
}
