//! State backends with locking, per backend (local file, PostgreSQL, S3 on moto's server): two
//! applies at once never both run, a killed run never tears the state and blocks the next one
//! only where the lock outlives it (s3, until `force-unlock`), `state push` moves the state
//! without changing any plan, and no secret reaches the state or the lock.

use std::process::Child;
use std::time::{Duration, Instant};

use mcpform_emulator::Platform;
use serde_json::{Value, json};

use crate::moto::{S3_KEY_ID, S3_SECRET_KEY, moto};
use crate::pg::{PG_PASSWORD, postgres};
use crate::support::*;

const SECRET: &str = "ghp_header_secret_value_77";
const NAMES: [&str; 5] = ["s1", "s2", "s3", "s4", "s5"];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Backend {
    Local,
    Postgres,
    S3,
}

/// The state object's key for test `name`, in the shared bucket.
fn s3_key(name: &str) -> String {
    format!("{name}/mcpform.state.json")
}

/// Five PAIS servers, each with a secret header: each gets a state record when applied.
fn servers() -> String {
    NAMES
        .iter()
        .map(|name| {
            format!(
                "      - name: {name}
        url: https://mcp.example.com/{name}
        transport: STREAMABLE_HTTP
        headers:
          - {{ name: Authorization, value: \"Bearer ${{GITHUB_TOKEN}}\", secret: true }}
"
            )
        })
        .collect()
}

/// The `state:` block for `backend`; `name` keeps each test's postgres row or s3 key apart.
fn state_block(backend: Backend, name: &str) -> String {
    match backend {
        Backend::Local => String::new(),
        Backend::Postgres => {
            format!("state:\n  backend: postgres\n  url: \"${{PG_URL}}\"\n  name: {name}\n")
        }
        Backend::S3 => format!(
            "state:\n  backend: s3\n  bucket: {bucket}\n  key: {key}\n  \
             endpoint: \"${{S3_ENDPOINT}}\"\n  region: us-east-1\n",
            bucket = moto().expect("moto runs").shared_bucket(),
            key = s3_key(name),
        ),
    }
}

/// The environment the binary needs for `backend`'s state: the URL, or the endpoint and the
/// standard AWS credentials. `None` when its server cannot start (outside CI).
fn backend_env(backend: Backend) -> Option<Vec<(&'static str, String)>> {
    Some(match backend {
        Backend::Local => Vec::new(),
        Backend::Postgres => vec![("PG_URL", postgres()?.url())],
        Backend::S3 => vec![
            ("S3_ENDPOINT", moto()?.endpoint()),
            ("AWS_ACCESS_KEY_ID", S3_KEY_ID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY.to_owned()),
        ],
    })
}

struct Setup {
    pais: Emulator,
    work: Workdir,
    backend: Backend,
    name: String,
}

/// An empty, slow PAIS and a workdir whose state is in `backend`; `None` when the backend's
/// server is needed and cannot start (outside CI).
fn setup(backend: Backend, name: &str, latency_ms: u64) -> Option<Setup> {
    let env = backend_env(backend)?;
    let pais = Emulator::start(Platform::Pais, json!({"servers": []}));
    pais.set_latency(Duration::from_millis(latency_ms));
    let config = format!(
        "version: 1\n{}providers:\n{}",
        state_block(backend, name),
        pais_provider(&pais.url(), &servers())
    );
    let mut work = Workdir::new(&config);
    work.set_env("GITHUB_TOKEN", SECRET);
    for (name, value) in env {
        work.set_env(name, &value);
    }
    Some(Setup {
        pais,
        work,
        backend,
        name: name.to_owned(),
    })
}

impl Setup {
    /// The state document as stored (the file, or the row's `document`); `None` when absent.
    fn stored_state(&self) -> Option<String> {
        match self.backend {
            Backend::Local => std::fs::read_to_string(self.work.state_file()).ok(),
            Backend::Postgres => self.row("document::text"),
            Backend::S3 => self.object(&s3_key(&self.name)),
        }
    }

    /// The lock record as stored (the lock file's text, or the row's `lock_info`).
    fn stored_lock(&self) -> Option<String> {
        match self.backend {
            Backend::Local => {
                let path = self.work.path().join("mcpform.state.json.lock");
                std::fs::read_to_string(path).ok().filter(|t| !t.is_empty())
            }
            Backend::Postgres => self.row("lock_info::text"),
            Backend::S3 => self.object(&format!("{}.lock", s3_key(&self.name))),
        }
    }

    fn object(&self, key: &str) -> Option<String> {
        let moto = moto().expect("moto runs");
        moto.get(moto.shared_bucket(), key)
    }

    fn row(&self, column: &str) -> Option<String> {
        let pg = postgres().expect("postgres runs");
        let exists = pg.query("SELECT to_regclass('mcpform_state')::text", &[]);
        exists[0][0].as_ref()?;
        let rows = pg.query(
            &format!("SELECT {column} FROM mcpform_state WHERE name = $1"),
            &[&self.name],
        );
        rows.into_iter().next().and_then(|mut r| r.remove(0))
    }

    /// Addresses recorded in the state, sorted.
    fn records(&self) -> Vec<String> {
        let text = self.stored_state().expect("a state was written");
        let state: Value = serde_json::from_str(&text).expect("the state is whole JSON");
        let mut addresses: Vec<String> = state["resources"]
            .as_object()
            .expect("resources")
            .keys()
            .cloned()
            .collect();
        addresses.sort();
        addresses
    }

    /// Server names on the platform, sorted (duplicates kept).
    fn server_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.pais.state()["servers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.work.command(args).spawn().expect("the binary starts")
    }

    fn finish(&self, child: Child) -> Run {
        Run::new(child.wait_with_output().unwrap(), self.work.path())
    }

    /// Waits until a run has sent a request while holding the lock; its lock record.
    fn wait_for_lock_and_traffic(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if !self.pais.requests().is_empty() {
                if let Some(lock) = self.stored_lock() {
                    return lock;
                }
            }
            assert!(Instant::now() < deadline, "the apply never took the lock");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A run's output with the lock holder's host, pid, start time and lock id replaced.
fn holder_normalized(run: &Run) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim();
    let text = run
        .to_string()
        .replace(&format!("@{host} "), "@[HOST] ")
        .replace(&format!(" on {host})"), " on [HOST])");
    let replacements = [
        (r"\b[0-9a-f]{32}\b", "[LOCK_ID]"),
        (r"\b(pid|process) \d+", "$1 [PID]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[TIME]"),
    ];
    replacements
        .iter()
        .fold(text, |text, (pattern, replacement)| {
            regex_lite::Regex::new(pattern)
                .unwrap()
                .replace_all(&text, *replacement)
                .into_owned()
        })
}

fn all_records() -> Vec<String> {
    NAMES.iter().map(|n| format!("pais/servers/{n}")).collect()
}

fn all_names() -> Vec<String> {
    NAMES.iter().map(|n| (*n).to_owned()).collect()
}

const APPLY: &[&str] = &["apply", "--auto-approve"];

fn two_applies_at_once(backend: Backend, name: &str) {
    let Some(s) = setup(backend, name, 150) else {
        return;
    };
    let first = s.spawn(APPLY);
    std::thread::sleep(Duration::from_millis(50));
    let second = s.finish(s.spawn(APPLY));
    let first = s.finish(first);
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

#[test]
fn local_two_applies_at_once_one_runs_the_other_names_the_holder() {
    two_applies_at_once(Backend::Local, "");
}

#[test]
fn postgres_two_applies_at_once_one_runs_the_other_names_the_holder() {
    two_applies_at_once(Backend::Postgres, "two_at_once");
}

#[test]
fn s3_two_applies_at_once_one_runs_the_other_names_the_holder() {
    two_applies_at_once(Backend::S3, "two_at_once");
}

fn a_waiting_apply_then_finds_nothing_to_do(backend: Backend, name: &str) {
    let Some(s) = setup(backend, name, 150) else {
        return;
    };
    let args = ["apply", "--auto-approve", "--lock-timeout", "30s"];
    let first = s.spawn(&args);
    std::thread::sleep(Duration::from_millis(50));
    let second = s.finish(s.spawn(&args));
    let first = s.finish(first);
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

#[test]
fn local_a_waiting_apply_then_finds_nothing_to_do() {
    a_waiting_apply_then_finds_nothing_to_do(Backend::Local, "");
}

#[test]
fn postgres_a_waiting_apply_then_finds_nothing_to_do() {
    a_waiting_apply_then_finds_nothing_to_do(Backend::Postgres, "waits");
}

#[test]
fn s3_a_waiting_apply_then_finds_nothing_to_do() {
    a_waiting_apply_then_finds_nothing_to_do(Backend::S3, "waits");
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
    let first = s.spawn(&a.iter().map(String::as_str).collect::<Vec<_>>());
    std::thread::sleep(Duration::from_millis(50));
    let second = s.spawn(&b.iter().map(String::as_str).collect::<Vec<_>>());
    s.finish(first).expect_code(0);
    s.finish(second).expect_code(0);
    assert_eq!(s.records(), all_records());
    // And in sequence: a later targeted run keeps the records it does not cover.
    s.work
        .run(&["apply", "--auto-approve", "--target", "pais/servers/s1"])
        .expect_code(0);
    assert_eq!(s.records(), all_records());
    assert_eq!(s.server_names(), all_names());
}

#[test]
fn local_disjoint_targets_keep_every_record() {
    disjoint_targets_keep_every_record(Backend::Local, "");
}

#[test]
fn postgres_disjoint_targets_keep_every_record() {
    disjoint_targets_keep_every_record(Backend::Postgres, "disjoint");
}

#[test]
fn s3_disjoint_targets_keep_every_record() {
    disjoint_targets_keep_every_record(Backend::S3, "disjoint");
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

#[test]
fn local_a_killed_apply_leaves_no_lock() {
    a_killed_apply(Backend::Local, "");
}

#[test]
fn postgres_a_killed_apply_leaves_no_lock() {
    a_killed_apply(Backend::Postgres, "killed");
}

#[test]
fn s3_a_killed_apply_leaves_its_lock_until_force_unlock() {
    a_killed_apply(Backend::S3, "killed");
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

#[test]
fn local_force_unlock_clears_a_killed_runs_record_and_refuses_a_live_lock() {
    force_unlock(Backend::Local, "");
}

#[test]
fn postgres_force_unlock_clears_a_killed_runs_record_and_refuses_a_live_lock() {
    force_unlock(Backend::Postgres, "force_unlock");
}

#[test]
fn s3_force_unlock_deletes_a_killed_runs_lock_and_refuses_a_live_one() {
    force_unlock(Backend::S3, "force_unlock");
}

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
