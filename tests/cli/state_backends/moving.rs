//! `state push` between backends, secrets in the state and the lock, the s3 block's
//! validation and errors, and what one apply costs the S3 store.

use std::time::Duration;

use super::*;

/// `state push` from the local file to `target`: the config pointed at the pushed state plans
/// no change, as it did with the file.
fn state_push_from_local(target: Backend) -> Option<(Workdir, Run)> {
    let mut s = setup(Backend::Local, "", 0)?;
    for (name, value) in backend_env(target)? {
        s.work.set_env(name, &value);
    }
    s.work.run(APPLY).expect_code(0);
    let plan = &["plan", "--detailed-exitcode"];
    s.work.run(plan).expect_code(0);

    let target_file = s.work.path().join("target.yaml");
    let block = state_block(target, "pushed");
    std::fs::write(&target_file, format!("version: 1\n{block}")).unwrap();
    let push = s.work.run(&["state", "push", "--to", "target.yaml"]);
    push.expect_code(0);
    push.assert_hides(&[PG_PASSWORD, SECRET, S3_SECRET_KEY, S3_KEY_ID]);

    // The same config with the pushed state plans no change, as with the file.
    let config = format!(
        "version: 1\n{block}providers:\n{}",
        pais_provider(&s.pais.url(), &servers())
    );
    s.work.write_config(&config);
    std::fs::remove_file(s.work.state_file()).unwrap();
    s.work.run(plan).expect_code(0);
    // Without the pushed state, the headers would be planned again.
    let other = format!(
        "version: 1\n{}providers:\n{}",
        state_block(target, "never_pushed"),
        pais_provider(&s.pais.url(), &servers())
    );
    s.work.write_config(&other);
    s.work.run(plan).expect_code(2);

    // A push over a different state is refused without --force.
    s.work.write_config(&config);
    let over = s.work.run(&[
        "--state",
        "other.json",
        "state",
        "push",
        "--to",
        "target.yaml",
    ]);
    over.expect_code(1);
    assert!(over.stderr.contains("already holds a different"), "{over}");
    s.work.run(plan).expect_code(0);
    // The refused push gave both locks back: an apply on the target goes at once.
    let apply = s.work.run(APPLY);
    apply.expect_code(0);
    assert!(apply.stdout.contains("No changes"), "{apply}");
    Some((s.work, push))
}

#[test]
fn state_push_from_local_to_postgres_leaves_the_plan_unchanged() {
    let Some((_, push)) = state_push_from_local(Backend::Postgres) else {
        return;
    };
    snapshot!(push, @"
    ----- stdout -----
    Copied the state (5 resource records) from the state file `mcpform.state.json` to the PostgreSQL state `pushed` on 127.0.0.1:[PORT]/postgres.
    Point the config's `state:` block at the new backend; the old state is left as it was.
    [exit status: 0]
    ");
}

#[test]
fn state_push_from_local_to_s3_leaves_the_plan_unchanged() {
    let Some((_, push)) = state_push_from_local(Backend::S3) else {
        return;
    };
    snapshot!(push, @"
    ----- stdout -----
    Copied the state (5 resource records) from the state file `mcpform.state.json` to the S3 state `s3://mcpform-state-tests/pushed/mcpform.state.json`.
    Point the config's `state:` block at the new backend; the old state is left as it was.
    [exit status: 0]
    ");
}

#[test]
fn no_secret_reaches_the_state_or_the_lock_in_any_backend() {
    let secrets = [SECRET, PG_PASSWORD, PAIS_TOKEN, S3_SECRET_KEY, S3_KEY_ID];
    for (backend, name) in [
        (Backend::Local, ""),
        (Backend::Postgres, "secrets"),
        (Backend::S3, "secrets"),
    ] {
        let Some(s) = setup(backend, name, 300) else {
            continue;
        };
        let child = s.spawn(APPLY);
        let lock = s.wait_for_lock_and_traffic();
        let run = s.finish(child);
        run.expect_code(0);
        run.assert_hides(&secrets);
        let state = s.stored_state().unwrap();
        for secret in secrets {
            assert!(
                !lock.contains(secret),
                "{backend:?} lock shows {secret}: {lock}"
            );
            assert!(!state.contains(secret), "{backend:?} state shows {secret}");
        }
        if backend == Backend::Postgres {
            let pg = postgres().unwrap();
            let rows = pg.query(
                "SELECT name, document::text, coalesce(lock_info::text, '') FROM mcpform_state",
                &[],
            );
            let all = format!("{rows:?}");
            assert!(!all.contains(SECRET) && !all.contains(PG_PASSWORD), "{all}");
        }
    }
}

#[test]
fn an_s3_state_without_a_key_is_refused_by_validate() {
    let bad = Workdir::new("version: 1\nstate:\n  backend: s3\n  bucket: team-state\n");
    snapshot!(bad.run(&["validate"]), @"
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::missing_field

      × `state` is missing `key`
       ╭─[mcpform.yaml:2:1]
     1 │ version: 1
     2 │ state:
       · ──┬──
       ·   ╰── missing `key`
     3 │   backend: s3
       ╰────
      help: add `key`: the state object's key; the lock object is `KEY.lock`

    [exit status: 1]
    ");
}

/// What one apply costs the S3 store: the lock, one read, one conditional write, and the
/// release (which checks the lock is still its own before deleting it); `plan` only reads.
#[test]
fn s3_one_apply_sends_five_requests_and_a_plan_one() {
    let Some(s) = setup(Backend::S3, "requests", 0) else {
        return;
    };
    let moto = moto().unwrap();
    let prefix = format!("{}/requests", moto.shared_bucket());
    s.work.run(APPLY).expect_code(0);
    let state = format!("/{prefix}/mcpform.state.json");
    let lock = format!("{state}.lock");
    let expected = [
        format!("PUT {lock}"),
        format!("GET {state}"),
        format!("PUT {state}"),
        format!("GET {lock}"),
        format!("DELETE {lock}"),
    ];
    // moto logs a request once it has answered it.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(moto.requests_under(&prefix), expected);
    s.work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(moto.requests_under(&prefix)[5..], [format!("GET {state}")]);
}

/// A store error says what the store said, in a line, and shows no credential.
#[test]
fn s3_a_missing_bucket_is_named_and_no_credential_shows() {
    let Some(s) = setup(Backend::S3, "no_bucket", 0) else {
        return;
    };
    let config = format!(
        "version: 1\n{}providers:\n{}",
        state_block(Backend::S3, "no_bucket").replace("mcpform-state-tests", "mcpform-missing"),
        pais_provider(&s.pais.url(), &servers())
    );
    s.work.write_config(&config);
    for command in [APPLY, &["plan"]] {
        let run = s.work.run(command);
        run.expect_code(1);
        assert!(
            run.stderr
                .contains("NoSuchBucket: The specified bucket does not exist"),
            "{run}"
        );
        run.assert_hides(&[S3_SECRET_KEY, S3_KEY_ID, SECRET]);
    }
    assert!(
        s.pais.writes().is_empty(),
        "nothing applied without a state"
    );
}

/// A run that cannot read the state fails, and gives the s3 lock back rather than leave an
/// object that would block every later run.
#[test]
fn s3_an_unreadable_state_object_fails_and_leaves_no_lock() {
    let Some(s) = setup(Backend::S3, "unreadable", 0) else {
        return;
    };
    let moto = moto().unwrap();
    let key = format!("/{}/{}", moto.shared_bucket(), s3_key("unreadable"));
    assert_eq!(moto.request("PUT", &key, &[], "{not json").status, 200);
    let run = s.work.run(APPLY);
    run.expect_code(1);
    assert!(run.stderr.contains("does not hold valid"), "{run}");
    assert_eq!(s.stored_lock(), None, "the lock object was deleted");
    assert!(s.pais.writes().is_empty());
}
