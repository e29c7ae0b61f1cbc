//! Fingerprints of secrets in the state file and in saved plans cannot be brute-forced cheaply
//! (issue 8, item 9): every secret goes through Argon2id with the parameters recorded in the file,
//! and state files written by v1 (salted SHA-256) keep working and are upgraded by the next apply.

use argon2::{Algorithm, Argon2, Params, Version};
use mcpform_emulator::Platform;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::*;

const ID: &str = "8a1f0c2e-5b7d-4e3a-9c61-0d2e4f6a8b10";
/// Six digits: 10^6 candidates, 9 s of Python against a salted SHA-256.
const PIN: &str = "493817";
const ADDRESS: &str = "pais/servers/github";

const SERVERS: &str = "      - name: github
        url: https://mcp.example.com/github
        transport: SSE
        headers:
          - { name: X-Api-Pin, value: \"${API_PIN}\", secret: true }
";

fn seeded() -> Emulator {
    Emulator::start(
        Platform::Pais,
        json!({"servers": [{"id": ID, "name": "github", "url": "https://mcp.example.com/github", "transport": "SSE"}]}),
    )
}

fn workdir(pais: &Emulator) -> Workdir {
    let mut work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    work.set_env("API_PIN", PIN);
    work
}

/// The write-only `headers` as PAIS takes them (and as the state fingerprints them).
fn headers(pin: &str) -> Value {
    json!([{"name": "X-Api-Pin", "value": pin, "is_secret": true}])
}

/// JSON with object keys sorted, no whitespace (what both versions fingerprint).
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), canonical(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// What v1 stored for a value: `sha256:` + SHA-256(salt ‖ 0 ‖ canonical JSON). One of these
/// per candidate is the whole 9-second attack.
fn v1_fingerprint(salt: &str, value: &Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update([0]);
    hasher.update(canonical(value).as_bytes());
    format!("sha256:{}", hex(&hasher.finalize()))
}

/// The Argon2id parameters a file records, checked for strength.
struct Kdf {
    salt: String,
    argon: Argon2<'static>,
}

impl Kdf {
    fn from_file(file: &Value) -> Kdf {
        let fp = &file["fingerprint"];
        assert_eq!(fp["alg"], "argon2id", "{file:#}");
        assert_eq!(fp["version"], 19, "Argon2 v1.3");
        let m = fp["m"].as_u64().unwrap() as u32;
        let t = fp["t"].as_u64().unwrap() as u32;
        let p = fp["p"].as_u64().unwrap() as u32;
        // At least OWASP's weakest Argon2id setting (7 MiB × 5 passes) in memory × passes.
        assert!(
            m >= 7 * 1024 && u64::from(m) * u64::from(t) >= 7 * 1024 * 5,
            "{fp}"
        );
        let salt = fp["salt"].as_str().unwrap().to_owned();
        assert!(salt.len() >= 32, "a 128-bit salt at least");
        let params = Params::new(m, t, p, Some(32)).unwrap();
        Kdf {
            salt,
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
        }
    }

    /// `argon2id:` + hex(Argon2id(secret, salt)): what every string of a secret becomes.
    fn token(&self, secret: &str) -> String {
        let mut out = [0u8; 32];
        self.argon
            .hash_password_into(secret.as_bytes(), &unhex(&self.salt), &mut out)
            .unwrap();
        format!("argon2id:{}", hex(&out))
    }

    /// `argon2id:` + hex(SHA-256(canonical [domain, salt, address, field, value with its
    /// secret strings replaced by their tokens])).
    fn record(&self, domain: &str, address: &str, field: &str, value: &Value) -> String {
        let message = json!([domain, self.salt, address, field, value]);
        format!(
            "argon2id:{}",
            hex(&Sha256::digest(canonical(&message).as_bytes()))
        )
    }
}

/// Replaces every string equal to `secret` by `token` (a plan's request) or every string at all
/// (a write-only value in the state).
fn tokenize(value: &Value, kdf: &Kdf, pick: &dyn Fn(&str) -> bool) -> Value {
    match value {
        Value::String(s) if pick(s) => Value::String(kdf.token(s)),
        Value::Array(items) => Value::Array(items.iter().map(|v| tokenize(v, kdf, pick)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), tokenize(v, kdf, pick)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn a_six_digit_header_leaves_only_argon2id_records_in_the_state_and_the_saved_plan() {
    let pais = seeded();
    let work = workdir(&pais);
    work.run(&["plan", "--out", "plan.json"]).expect_code(0);
    work.run(&["apply", "plan.json"]).expect_code(0);
    assert_eq!(pais.writes().len(), 1);

    let state_text = std::fs::read_to_string(work.state_file()).unwrap();
    let plan_text = std::fs::read_to_string(work.path().join("plan.json")).unwrap();
    for text in [&state_text, &plan_text] {
        assert!(!text.contains(PIN), "the value itself:\n{text}");
    }
    assert!(!state_text.contains("sha256:"), "{state_text}");

    // The state: one Argon2id record for the headers, nothing the v1 attack could test.
    let state: Value = serde_json::from_str(&state_text).unwrap();
    assert_eq!(state["format_version"], "3", "{state:#}");
    let kdf = Kdf::from_file(&state);
    let record = state["resources"][ADDRESS]["headers"].as_str().unwrap();
    assert!(record.starts_with("argon2id:"), "{record}");
    assert_ne!(record, v1_fingerprint(&kdf.salt, &headers(PIN)));
    // Testing a candidate takes one Argon2id per secret string: the right one matches, a
    // wrong one does not. (10^6 of them is the attack; two show what each one costs.)
    let candidate = |pin: &str| {
        let value = tokenize(&headers(pin), &kdf, &|_| true);
        kdf.record("mcpform state v2", ADDRESS, "headers", &value)
    };
    assert_eq!(candidate(PIN), record, "the documented scheme");
    assert_ne!(candidate("493818"), record);

    // The saved plan: the request's fingerprint needs the KDF too.
    let plan: Value = serde_json::from_str(&plan_text).unwrap();
    assert_eq!(plan["format_version"], "2", "{plan:#}");
    let kdf = Kdf::from_file(&plan);
    let change = &plan["changes"][0];
    assert!(change["live"].as_str().unwrap().starts_with("argon2id:"));
    let saved = change["request_fingerprint"].as_str().unwrap();
    assert!(saved.starts_with("argon2id:"), "{saved}");
    let request = |pin: &str| {
        let mut request = change["request"].clone();
        request["body"]["headers"][0]["value"] = json!(pin);
        request
    };
    assert_ne!(saved, v1_fingerprint(&kdf.salt, &request(PIN)));
    let candidate = |pin: &str| {
        let value = tokenize(&request(pin), &kdf, &|s| s == pin);
        kdf.record("mcpform plan v2", ADDRESS, "request", &value)
    };
    assert_eq!(candidate(PIN), saved, "the documented scheme");
    assert_ne!(candidate("493818"), saved);
}

#[test]
fn a_state_file_written_by_v1_plans_clean_and_the_next_apply_upgrades_it() {
    let pais = seeded();
    let work = workdir(&pais);
    // As v1 wrote it after applying these headers.
    let salt = "5f1c0e7a9b3d42e8a6c4f0b2d8e1a937";
    let v1 = json!({
        "format_version": "1",
        "salt": salt,
        "resources": {ADDRESS: {"headers": v1_fingerprint(salt, &headers(PIN))}},
    });
    std::fs::write(
        work.state_file(),
        serde_json::to_string_pretty(&v1).unwrap() + "\n",
    )
    .unwrap();

    let run = work.run(&["plan", "--detailed-exitcode"]);
    snapshot!(run, @"
    ----- stdout -----
    No changes. 1 configured resource matches the live state.
    [exit status: 0]
    ");
    assert_eq!(
        std::fs::read_to_string(work.state_file()).unwrap(),
        serde_json::to_string_pretty(&v1).unwrap() + "\n",
        "plan never writes the state"
    );

    let run = work.run(&["apply", "--auto-approve"]);
    snapshot!(run, @"
    ----- stdout -----
    No changes. 1 configured resource matches the live state.
    [exit status: 0]
    ");
    assert!(pais.writes().is_empty(), "no header re-sent");
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(work.state_file()).unwrap()).unwrap();
    assert_eq!(state["format_version"], "3", "{state:#}");
    let kdf = Kdf::from_file(&state);
    assert_eq!(kdf.salt, salt, "the file keeps its salt");
    let record = state["resources"][ADDRESS]["headers"].as_str().unwrap();
    let value = tokenize(&headers(PIN), &kdf, &|_| true);
    assert_eq!(
        record,
        kdf.record("mcpform state v2", ADDRESS, "headers", &value)
    );

    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert!(pais.writes().is_empty());
}

#[test]
fn a_changed_secret_under_a_v1_record_is_re_sent_and_recorded_in_the_new_form() {
    let pais = seeded();
    let mut work = workdir(&pais);
    let salt = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
    let v1 = json!({
        "format_version": "1",
        "salt": salt,
        "resources": {ADDRESS: {"headers": v1_fingerprint(salt, &headers(PIN))}},
    });
    std::fs::write(work.state_file(), v1.to_string()).unwrap();
    work.set_env("API_PIN", "111111");

    work.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(pais.writes().len(), 1, "the new value is sent");
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(work.state_file()).unwrap()).unwrap();
    let record = state["resources"][ADDRESS]["headers"].as_str().unwrap();
    assert!(record.starts_with("argon2id:"), "{state:#}");
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_plan_saved_by_v1_is_refused_as_stale_and_nothing_is_sent() {
    let pais = seeded();
    let work = workdir(&pais);
    work.run(&["plan", "--out", "plan.json"]).expect_code(0);
    // Rewrite it the way v1 saved plans: one `salt`, SHA-256 fingerprints.
    let mut plan: Value =
        serde_json::from_str(&std::fs::read_to_string(work.path().join("plan.json")).unwrap())
            .unwrap();
    let salt = "00112233445566778899aabbccddeeff";
    let object = plan.as_object_mut().unwrap();
    object.remove("fingerprint");
    object.insert("format_version".into(), json!("1"));
    object.insert("salt".into(), json!(salt));
    for change in plan["changes"].as_array_mut().unwrap() {
        change["request_fingerprint"] = json!(v1_fingerprint(salt, &json!("request")));
        change["live"] = json!(v1_fingerprint(salt, &json!("live")));
    }
    std::fs::write(work.path().join("plan.json"), plan.to_string()).unwrap();

    let run = work.run(&["apply", "plan.json"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::apply::stale_plan

      × the saved plan is stale; nothing was sent
      help: run `mcpform plan --out FILE` again, review it, and apply the new file
            - the plan was saved by mcpform 0.1.0 in format 1, whose salted SHA-256 fingerprints let a
            short secret be recovered: delete it

    [exit status: 3]
    ");
    assert!(pais.writes().is_empty());
}

// MCPFORM_FINGERPRINT_KEY: keyed (HMAC-SHA256) fingerprints, fast and useless without the key.

/// Two keys as `openssl rand -hex 32` makes them.
const KEY_A: &str = "3b9f0d6c1e2a47f8a5c3d1e0b7f69284c5a1e3d7f0b2c4e6a8d0f1b3c5e7a9d1";
const KEY_B: &str = "c0ffee11d2e3f405162738495a6b7c8d9eafb0c1d2e3f405162738495a6b7c8d";

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

fn hmac(key: &str, parts: &[&[u8]]) -> Vec<u8> {
    use hmac::{KeyInit, Mac};
    let mut mac = HmacSha256::new_from_slice(key.as_bytes()).unwrap();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// The public id a file records for a key.
fn key_id(key: &str) -> String {
    hex(&hmac(key, &[b"mcpform key id"])[..8])
}

/// `hmac:` + hex(SHA-256(canonical [domain, salt, address, field, value with every string
/// → `hmac:` + hex(HMAC-SHA256(key, salt ‖ string))])).
fn keyed_record(key: &str, salt: &str, address: &str, field: &str, value: &Value) -> String {
    fn tokens(value: &Value, key: &str, salt: &[u8]) -> Value {
        match value {
            Value::String(s) => json!(format!("hmac:{}", hex(&hmac(key, &[salt, s.as_bytes()])))),
            Value::Array(items) => items.iter().map(|v| tokens(v, key, salt)).collect(),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), tokens(v, key, salt)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    let value = tokens(value, key, &unhex(salt));
    let message = json!(["mcpform state v2", salt, address, field, value]);
    format!(
        "hmac:{}",
        hex(&Sha256::digest(canonical(&message).as_bytes()))
    )
}

fn state_json(work: &Workdir) -> Value {
    serde_json::from_str(&std::fs::read_to_string(work.state_file()).unwrap()).unwrap()
}

#[test]
fn with_a_key_apply_records_hmac_fingerprints_and_the_key_id_and_the_key_shows_nowhere() {
    let pais = seeded();
    let mut work = workdir(&pais);
    work.set_env("MCPFORM_FINGERPRINT_KEY", KEY_A);
    let planned = work.run(&["plan", "--out", "plan.json", "--show-requests"]);
    planned.expect_code(0).assert_hides(&[KEY_A, PIN]);
    let applied = work.run(&["--verbose", "apply", "plan.json"]);
    applied.expect_code(0).assert_hides(&[KEY_A, PIN]);
    assert_eq!(pais.writes().len(), 1);

    let state_text = std::fs::read_to_string(work.state_file()).unwrap();
    let plan_text = std::fs::read_to_string(work.path().join("plan.json")).unwrap();
    for text in [&state_text, &plan_text] {
        assert!(!text.contains(KEY_A) && !text.contains(PIN), "{text}");
    }
    let state: Value = serde_json::from_str(&state_text).unwrap();
    let fp = &state["fingerprint"];
    assert_eq!(fp["alg"], "hmac-sha256", "{state:#}");
    assert_eq!(fp["key_id"], key_id(KEY_A).as_str());
    let salt = fp["salt"].as_str().unwrap();
    assert_eq!(salt.len(), 32);
    let record = state["resources"][ADDRESS]["headers"].as_str().unwrap();
    assert_eq!(
        record,
        keyed_record(KEY_A, salt, ADDRESS, "headers", &headers(PIN)),
        "the documented scheme"
    );
    assert_ne!(
        record,
        keyed_record(KEY_B, salt, ADDRESS, "headers", &headers(PIN))
    );
    let plan: Value = serde_json::from_str(&plan_text).unwrap();
    assert_eq!(plan["fingerprint"]["alg"], "hmac-sha256", "{plan:#}");
    assert_eq!(plan["fingerprint"]["key_id"], key_id(KEY_A).as_str());
    let saved = plan["changes"][0]["request_fingerprint"].as_str().unwrap();
    assert!(saved.starts_with("hmac:"), "{saved}");

    let run = work.run(&["--verbose", "plan", "--detailed-exitcode"]);
    run.expect_code(0).assert_hides(&[KEY_A, PIN]);
    assert_eq!(pais.writes().len(), 1, "nothing re-sent");
}

#[test]
fn another_key_re_sends_the_headers_once_and_the_plan_says_why() {
    let pais = seeded();
    let mut work = workdir(&pais);
    work.set_env("MCPFORM_FINGERPRINT_KEY", KEY_A);
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(pais.writes().len(), 1);

    work.set_env("MCPFORM_FINGERPRINT_KEY", KEY_B);
    let run = work.run(&["plan"]);
    run.assert_hides(&[KEY_A, KEY_B, PIN]);
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/github will be updated in place
      ~ pais/servers/github (id 8a1f0c2e-5b7d-4e3a-9c61-0d2e4f6a8b10)
          ~ headers = (write-only) → [{"name":"X-Api-Pin","value":"(sensitive)","is_secret":true}]
              # not readable from the platform; the state's fingerprints were made with another `MCPFORM_FINGERPRINT_KEY` (key id 9e1a2cb2e38d7d3d; this run's is aa59ac62d090d4b9)

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.
    [exit status: 0]
    "#);
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(pais.writes().len(), 2, "sent once more, the same value");
    assert_eq!(pais.writes()[1].body, pais.writes()[0].body);
    let state = state_json(&work);
    assert_eq!(state["fingerprint"]["key_id"], key_id(KEY_B).as_str());
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);

    // Without any key, the keyed records cannot be checked either.
    work.set_env("MCPFORM_FINGERPRINT_KEY", "");
    let run = work.run(&["plan"]);
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/github will be updated in place
      ~ pais/servers/github (id 8a1f0c2e-5b7d-4e3a-9c61-0d2e4f6a8b10)
          ~ headers = (write-only) → [{"name":"X-Api-Pin","value":"(sensitive)","is_secret":true}]
              # not readable from the platform; the state's fingerprints were made with `MCPFORM_FINGERPRINT_KEY` (key id aa59ac62d090d4b9), which this run does not have

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.
    [exit status: 0]
    "#);
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let state = state_json(&work);
    assert_eq!(state["fingerprint"]["alg"], "argon2id", "{state:#}");
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert_eq!(pais.writes().len(), 3);
}

#[test]
fn an_argon2id_state_read_with_a_key_plans_clean_and_the_next_apply_rewrites_it_keyed() {
    let pais = seeded();
    let mut work = workdir(&pais);
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let before = state_json(&work);
    assert_eq!(before["fingerprint"]["alg"], "argon2id");

    work.set_env("MCPFORM_FINGERPRINT_KEY", KEY_A);
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert_eq!(state_json(&work), before, "plan never writes the state");
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(pais.writes().len(), 1, "no header re-sent");
    let state = state_json(&work);
    assert_eq!(state["fingerprint"]["alg"], "hmac-sha256", "{state:#}");
    assert_eq!(
        state["fingerprint"]["salt"], before["fingerprint"]["salt"],
        "the file keeps its salt"
    );
    let salt = state["fingerprint"]["salt"].as_str().unwrap();
    assert_eq!(
        state["resources"][ADDRESS]["headers"].as_str().unwrap(),
        keyed_record(KEY_A, salt, ADDRESS, "headers", &headers(PIN))
    );
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert_eq!(pais.writes().len(), 1);
}

#[test]
fn a_plan_saved_with_one_key_is_stale_with_another_or_none() {
    let pais = seeded();
    let mut work = workdir(&pais);
    work.set_env("MCPFORM_FINGERPRINT_KEY", KEY_A);
    work.run(&["plan", "--out", "plan.json"]).expect_code(0);

    work.set_env("MCPFORM_FINGERPRINT_KEY", KEY_B);
    let run = work.run(&["apply", "plan.json"]);
    run.assert_hides(&[KEY_A, KEY_B, PIN]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::apply::stale_plan

      × the saved plan is stale; nothing was sent
      help: run `mcpform plan --out FILE` again, review it, and apply the new file
            - the plan's fingerprints were made with another `MCPFORM_FINGERPRINT_KEY` (key id
            9e1a2cb2e38d7d3d; this run's is aa59ac62d090d4b9): apply it with that key, or make the
            plan again

    [exit status: 3]
    ");
    work.set_env("MCPFORM_FINGERPRINT_KEY", "");
    let run = work.run(&["apply", "plan.json"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::apply::stale_plan

      × the saved plan is stale; nothing was sent
      help: run `mcpform plan --out FILE` again, review it, and apply the new file
            - the plan's fingerprints were made with `MCPFORM_FINGERPRINT_KEY` (key id
            9e1a2cb2e38d7d3d), which this run does not have: apply it with that key, or make the plan
            again

    [exit status: 3]
    ");
    assert!(pais.writes().is_empty());

    // An Argon2id plan needs no key to be checked.
    work.run(&["plan", "--out", "plain.json"]).expect_code(0);
    work.set_env("MCPFORM_FINGERPRINT_KEY", KEY_B);
    work.run(&["apply", "plain.json"]).expect_code(0);
    assert_eq!(pais.writes().len(), 1);
}
