//! Per backend: two applies at once never both run, a waiting one then finds nothing to do,
//! disjoint targets keep every record, and a killed run never tears the state; `force-unlock`
//! refuses a live lock and clears a dead run's.

use std::time::Duration;

use serde_json::Value;

use super::*;

/// The tests of `scenario`, one per backend, named as given; `name` keeps the postgres row and
/// the s3 key of this scenario apart from the others' (the local state is the test's own).
macro_rules! per_backend {
    ($scenario:ident, $name:literal: $local:ident, $postgres:ident, $s3:ident $(,)?) => {
        #[test]
        fn $local() {
            $scenario(Backend::Local, "");
        }

        #[test]
        fn $postgres() {
            $scenario(Backend::Postgres, $name);
        }

        #[test]
        fn $s3() {
            $scenario(Backend::S3, $name);
        }
    };
}

fn two_applies_at_once(backend: Backend, name: &str) {
    let Some(s) = setup(backend, name, 150) else {
        return;
    };
    let (first, second) = s.run_two_at_once(APPLY, APPLY);
    // Exactly one ran; the other says who holds the lock and how to proceed.
    let (ran, refused) = match (first.code, second.code) {
        (0, 1) => (&first, &second),
        (1, 0) => (&second, &first),
        _ => panic!("expected one apply to run and one to be refused:\n{first}\n{second}"),
    };
    assert!(ran.stdout.contains("Apply complete: 5 applied"), "{ran}");
    for expected in [
        "the state is locked by another run",
        "running `apply` since",
        "lock id",
        "--lock-timeout",
        "mcpform force-unlock",
    ] {
        assert!(refused.stderr.contains(expected), "{expected}:\n{refused}");
    }
    assert!(
        refused.stdout.is_empty(),
        "the refused run planned:\n{refused}"
    );
    refused.assert_hides(&[SECRET, PG_PASSWORD, S3_SECRET_KEY, S3_KEY_ID]);
    match backend {
        Backend::Local => snapshot!(holder_normalized(refused), @"
        ----- stderr -----
        mcpform::state::locked

          × the state is locked by another run, lock id [LOCK_ID]
          │ held by unknown@[HOST] (pid [PID]), running `apply` since [TIME]
          help: wait for that run to finish, or let this one wait with `--lock-timeout 10m`; if that run
                is dead, `mcpform force-unlock [LOCK_ID]` removes its lock

        [exit status: 1]
        "),
        Backend::S3 => snapshot!(holder_normalized(refused), @"
        ----- stderr -----
        mcpform::state::locked

          × the state is locked by another run, lock id [LOCK_ID]
          │ held by unknown@[HOST] (pid [PID]), running `apply` since [TIME]
          help: wait for that run to finish, or let this one wait with `--lock-timeout 10m`.
                This lock is an object in the bucket: if that run was killed, its lock stays until
                `mcpform force-unlock [LOCK_ID]` deletes it
                (make sure that run has ended first)

        [exit status: 1]
        "),
        Backend::Postgres => {}
    }
    assert_eq!(s.server_names(), all_names(), "no duplicate servers");
    assert_eq!(s.records(), all_records(), "no lost state records");
    assert_eq!(s.stored_lock(), None, "the lock record is cleared");
}

per_backend! {
    two_applies_at_once, "two_at_once":
    local_two_applies_at_once_one_runs_the_other_names_the_holder,
    postgres_two_applies_at_once_one_runs_the_other_names_the_holder,
    s3_two_applies_at_once_one_runs_the_other_names_the_holder,
}

fn a_waiting_apply_then_finds_nothing_to_do(backend: Backend, name: &str) {
    let Some(s) = setup(backend, name, 150) else {
        return;
    };
    let args = ["apply", "--auto-approve", "--lock-timeout", "30s"];
    let (first, second) = s.run_two_at_once(&args, &args);
    first.expect_code(0);
    second.expect_code(0);
    let (ran, waited) = if first.stdout.contains("Apply complete") {
        (&first, &second)
    } else {
        (&second, &first)
    };
    assert!(ran.stdout.contains("Apply complete: 5 applied"), "{ran}");
    assert!(waited.stderr.contains("waiting up to 30s"), "{waited}");
    assert!(waited.stdout.contains("No changes"), "{waited}");
    let creates = s
        .pais
        .writes()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(creates, 5, "each server created once");
    assert_eq!(s.server_names(), all_names());
    assert_eq!(s.records(), all_records());
}

per_backend! {
    a_waiting_apply_then_finds_nothing_to_do, "waits":
    local_a_waiting_apply_then_finds_nothing_to_do,
    postgres_a_waiting_apply_then_finds_nothing_to_do,
    s3_a_waiting_apply_then_finds_nothing_to_do,
}

fn disjoint_targets_keep_every_record(backend: Backend, name: &str) {
    let Some(s) = setup(backend, name, 100) else {
        return;
    };
    // Two runs at once with disjoint targets take turns; each saves over what the other wrote.
    let targets = |names: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = ["apply", "--auto-approve", "--lock-timeout", "30s"]
            .map(String::from)
            .to_vec();
        for n in names {
            args.extend(["--target".to_owned(), format!("pais/servers/{n}")]);
        }
        args
    };
    let a = targets(&NAMES[..3]);
    let b = targets(&NAMES[3..]);
    let (first, second) = s.run_two_at_once(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        &b.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    first.expect_code(0);
    second.expect_code(0);
    assert_eq!(s.records(), all_records());
    // And in sequence: a later targeted run keeps the records it does not cover.
    s.work
        .run(&["apply", "--auto-approve", "--target", "pais/servers/s1"])
        .expect_code(0);
    assert_eq!(s.records(), all_records());
    assert_eq!(s.server_names(), all_names());
}

per_backend! {
    disjoint_targets_keep_every_record, "disjoint":
    local_disjoint_targets_keep_every_record,
    postgres_disjoint_targets_keep_every_record,
    s3_disjoint_targets_keep_every_record,
}

/// A killed apply: the local and postgres locks die with it, so the next apply goes at once;
/// the s3 lock object stays, and the next apply says so until `force-unlock` deletes it.
fn a_killed_apply(backend: Backend, name: &str) {
    let Some(s) = setup(backend, name, 400) else {
        return;
    };
    let mut child = s.spawn(APPLY);
    let stale = s.wait_for_lock_and_traffic();
    for secret in [SECRET, PG_PASSWORD, S3_SECRET_KEY, S3_KEY_ID] {
        assert!(!stale.contains(secret), "{stale}");
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Whatever the killed run wrote is whole (or was never written).
    if let Some(text) = s.stored_state() {
        serde_json::from_str::<Value>(&text).expect("no torn state");
    }
    s.pais.set_latency(Duration::ZERO);
    if backend == Backend::S3 {
        assert_eq!(
            s.stored_lock(),
            Some(stale.clone()),
            "the lock object stays"
        );
        let id = recorded_lock_id(&stale);
        let blocked = s.work.run(APPLY);
        blocked.expect_code(1);
        assert!(blocked.stderr.contains("lock stays until"), "{blocked}");
        assert!(
            blocked
                .stderr
                .contains(&format!("`mcpform force-unlock {id}` deletes it")),
            "{blocked}"
        );
        snapshot!(holder_normalized(&blocked), @"
        ----- stderr -----
        mcpform::state::locked

          × the state is locked by another run, lock id [LOCK_ID]
          │ held by unknown@[HOST] (pid [PID]), running `apply` since [TIME]
          help: wait for that run to finish, or let this one wait with `--lock-timeout 10m`.
                This lock is an object in the bucket: if that run was killed, its lock stays until
                `mcpform force-unlock [LOCK_ID]` deletes it
                (make sure that run has ended first)

        [exit status: 1]
        ");
        s.work.run(&["force-unlock", &id]).expect_code(0);
    }
    // The OS (or the server) released the lock with the process, or force-unlock deleted the
    // lock object: the next run goes at once.
    let run = s.work.run(APPLY);
    run.expect_code(0);
    assert_eq!(s.server_names(), all_names(), "no duplicate servers");
    assert_eq!(s.records(), all_records());
}

per_backend! {
    a_killed_apply, "killed":
    local_a_killed_apply_leaves_no_lock,
    postgres_a_killed_apply_leaves_no_lock,
    s3_a_killed_apply_leaves_its_lock_until_force_unlock,
}

/// The lock id recorded by the run holding (or having held) the lock.
fn recorded_lock_id(lock: &str) -> String {
    let info: Value = serde_json::from_str(lock).expect("a lock record");
    info["id"].as_str().unwrap().to_owned()
}

/// The apply is slow (5 s a request) so that it is surely still running when `force-unlock`
/// starts, however loaded the machine; it is killed right after, so the test does not wait.
fn force_unlock(backend: Backend, name: &str) {
    let Some(s) = setup(backend, name, 5_000) else {
        return;
    };
    let mut child = s.spawn(APPLY);
    let id = recorded_lock_id(&s.wait_for_lock_and_traffic());
    // A live run's lock is not stale: refused, saying why.
    let live = s.work.run(&["force-unlock", &id]);
    live.expect_code(1);
    match backend {
        Backend::Local => snapshot!(holder_normalized(&live), @"
        ----- stderr -----
        mcpform::state::lock_alive

          × lock [LOCK_ID] is held by a run that is still alive
          │ held by unknown@[HOST] (pid [PID]), running `apply` since [TIME]
          help: a file lock is released by the OS when its process ends, so this one is not stale: stop
                that run (process [PID] on [HOST]) if it must not finish

        [exit status: 1]
        "),
        Backend::Postgres => snapshot!(holder_normalized(&live), @"
        ----- stderr -----
        mcpform::state::lock_alive

          × lock [LOCK_ID] is held by a run that is still alive
          │ held by unknown@[HOST] (pid [PID]), running `apply` since [TIME]
          help: a PostgreSQL session lock ends with its session, so this one is not stale: stop that run
                if it must not finish (mcpform never terminates another session; an administrator can,
                with `pg_terminate_backend`)

        [exit status: 1]
        "),
        Backend::S3 => snapshot!(holder_normalized(&live), @"
        ----- stderr -----
        mcpform::state::lock_alive

          × lock [LOCK_ID] is held by a run that is still alive
          │ held by unknown@[HOST] (pid [PID]), running `apply` since [TIME]
          help: that run is still running on this machine (process [PID]): stop it first if it must not
                finish; its lock goes away when it ends

        [exit status: 1]
        "),
    }
    assert!(live.stderr.contains("still alive"), "{live}");
    child.kill().unwrap();
    child.wait().unwrap();
    // A killed run left only a record (if any): force-unlock clears it and says so.
    let wrong = s.work.run(&["force-unlock", "nottheid"]);
    wrong.expect_code(1);
    assert!(
        wrong.stderr.contains("is not locked by") && wrong.stderr.contains("`nottheid`"),
        "{wrong}"
    );
    let cleared = s.work.run(&["force-unlock", &id]);
    cleared.expect_code(0);
    match backend {
        Backend::Local => snapshot!(holder_normalized(&cleared), @"
        ----- stdout -----
        No run held the lock on the state file `mcpform.state.json`: a file lock dies with its process. Cleared the record of lock [LOCK_ID] (unknown@[HOST] (pid [PID]), running `apply` since [TIME]).
        [exit status: 0]
        "),
        Backend::Postgres => snapshot!(holder_normalized(&cleared), @"
        ----- stdout -----
        No session held the lock on the PostgreSQL state `force_unlock` on 127.0.0.1:[PORT]/postgres: a session lock dies with its session. Cleared the record of lock [LOCK_ID] (unknown@[HOST] (pid [PID]), running `apply` since [TIME]).
        [exit status: 0]
        "),
        Backend::S3 => snapshot!(holder_normalized(&cleared), @"
        ----- stdout -----
        Deleted the lock object of the S3 state `s3://mcpform-state-tests/force_unlock/mcpform.state.json` (lock [LOCK_ID], unknown@[HOST] (pid [PID]), running `apply` since [TIME]).
        [exit status: 0]
        "),
    }
    assert!(cleared.stdout.contains(&id), "{cleared}");
    assert_eq!(s.stored_lock(), None);
    cleared.assert_hides(&[PG_PASSWORD, S3_SECRET_KEY, S3_KEY_ID]);
}

per_backend! {
    force_unlock, "force_unlock":
    local_force_unlock_clears_a_killed_runs_record_and_refuses_a_live_lock,
    postgres_force_unlock_clears_a_killed_runs_record_and_refuses_a_live_lock,
    s3_force_unlock_deletes_a_killed_runs_lock_and_refuses_a_live_one,
}
