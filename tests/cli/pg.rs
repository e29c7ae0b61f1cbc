//! A throwaway PostgreSQL cluster, started once for the whole test binary on a loopback port
//! and stopped when the binary exits (a watchdog shell beside it stops the server and removes
//! its directory once this process is gone, even after a panic).
//!
//! Finds `initdb`/`postgres` on `PATH`, in `$MCPFORM_TEST_PG_BIN`, or in
//! `/usr/lib/postgresql/*/bin`. PostgreSQL refuses to run as root: as root, the cluster runs
//! as the `postgres` user (else `nobody`) through `runuser`. When it cannot start, tests that
//! need it are skipped with a loud message, except under `CI=true`, where they fail.
//!
//! The cluster serves TLS too (`ssl=on`), with a server certificate for `127.0.0.1` signed by
//! a CA made for this run ([`Pg::ca_file`]); the role [`PG_TLS_ONLY_USER`] may only log in
//! over TLS, so a connection as that role proves the TLS is real.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The cluster's superuser password (scram-sha-256 auth): must never show up anywhere.
pub const PG_PASSWORD: &str = "pg-s3cret-pw-4417";
pub const PG_USER: &str = "mcpform";
/// A superuser the server admits over TLS only (`hostnossl … reject`); same password.
pub const PG_TLS_ONLY_USER: &str = "mcpform_tls_only";

pub struct Pg {
    port: u16,
    ca_file: PathBuf,
}

static PG: OnceLock<Result<Pg, String>> = OnceLock::new();

/// The shared cluster; `None` (after a loud message) when it cannot start outside CI.
pub fn postgres() -> Option<&'static Pg> {
    match PG.get_or_init(start) {
        Ok(pg) => Some(pg),
        Err(reason) => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(
                !ci,
                "PostgreSQL could not start, and CI must run the postgres tests: {reason}"
            );
            eprintln!(
                "\n!!!!! SKIPPED: this test needs PostgreSQL, which could not start: {reason}\n"
            );
            None
        }
    }
}

impl Pg {
    /// A connection URL to the cluster's `postgres` database (password in it, TLS off).
    pub fn url(&self) -> String {
        format!(
            "postgres://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }

    /// The port the cluster listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The PEM file of the CA that signed the server's certificate (for `sslrootcert`).
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// Runs `sql` and returns every row's columns as text (`None` for NULL).
    pub fn query(&self, sql: &str, params: &[&str]) -> Vec<Vec<Option<String>>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&self.url(), tokio_postgres::NoTls)
                .await
                .expect("connects to the test cluster");
            tokio::spawn(connection);
            let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
                .iter()
                .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
                .collect();
            let rows = client.query(sql, &params).await.expect("query runs");
            rows.iter()
                .map(|row| (0..row.len()).map(|i| row.get(i)).collect())
                .collect()
        })
    }
}

fn start() -> Result<Pg, String> {
    let bin = find_bin().ok_or("no `initdb`/`postgres` on PATH or in /usr/lib/postgresql")?;
    let dir = tempfile::Builder::new()
        .prefix("mcpform-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    let run_as = run_as_user()?;
    if let Some((_, uid, gid)) = &run_as {
        std::os::unix::fs::chown(&dir, Some(*uid), Some(*gid)).map_err(|e| e.to_string())?;
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| e.to_string())?;
    let pwfile = dir.join("pw");
    std::fs::write(&pwfile, PG_PASSWORD).map_err(|e| e.to_string())?;
    if let Some((_, uid, gid)) = &run_as {
        std::os::unix::fs::chown(&pwfile, Some(*uid), Some(*gid)).map_err(|e| e.to_string())?;
    }
    let data = dir.join("data");
    let initdb = as_user(&run_as, &bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            PG_USER,
            "-A",
            "scram-sha-256",
            "--no-sync",
            "-E",
            "UTF8",
        ])
        .args(["--locale=C", "--no-instructions"])
        .arg(format!("--pwfile={}", pwfile.display()))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run initdb: {e}"))?;
    if !initdb.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&initdb.stderr)
        ));
    }
    let (ca_file, cert_file, key_file) = make_certificates(&dir, &run_as)?;
    // First match wins: the TLS-only role is refused without TLS, then initdb's rules apply.
    let hba = data.join("pg_hba.conf");
    let rules = std::fs::read_to_string(&hba).map_err(|e| e.to_string())?;
    std::fs::write(
        &hba,
        format!("hostnossl all {PG_TLS_ONLY_USER} 0.0.0.0/0 reject\n{rules}"),
    )
    .map_err(|e| e.to_string())?;
    let port = free_port()?;
    // The watchdog: runs the server, and stops it (and removes its directory) once this test
    // process is gone.
    let script = format!(
        "'{postgres}' -D '{data}' -p {port} -k '{dir}' -c listen_addresses=127.0.0.1 \
         -c fsync=off -c max_connections=200 -c ssl=on -c ssl_cert_file='{cert}' \
         -c ssl_key_file='{key}' >'{dir}/log' 2>&1 & pid=$!; \
         while [ -d /proc/{parent} ] && kill -0 $pid 2>/dev/null; do sleep 0.5; done; \
         kill -INT $pid 2>/dev/null; wait $pid; rm -rf '{dir}'",
        postgres = bin.join("postgres").display(),
        data = data.display(),
        dir = dir.display(),
        cert = cert_file.display(),
        key = key_file.display(),
        parent = std::process::id(),
    );
    as_user(&run_as, Path::new("sh"))
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start postgres: {e}"))?;
    let pg = Pg { port, ca_file };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = Command::new(bin.join("pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q"])
            .status()
            .is_ok_and(|s| s.success());
        if ready {
            pg.query(
                &format!("CREATE ROLE {PG_TLS_ONLY_USER} SUPERUSER LOGIN PASSWORD '{PG_PASSWORD}'"),
                &[],
            );
            return Ok(pg);
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
            return Err(format!("postgres did not get ready in 30s:\n{log}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A CA, and a server certificate for `127.0.0.1` it signed; the key readable by the server's
/// user only, as PostgreSQL demands. The CA file, the certificate and the key.
fn make_certificates(
    dir: &Path,
    run_as: &Option<(String, u32, u32)>,
) -> Result<(PathBuf, PathBuf, PathBuf), String> {
    let error = |e: rcgen::Error| e.to_string();
    let ca_key = rcgen::KeyPair::generate().map_err(error)?;
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(error)?;
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "mcpform test CA");
    let ca_cert = ca.self_signed(&ca_key).map_err(error)?;
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let server_key = rcgen::KeyPair::generate().map_err(error)?;
    let server = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).map_err(error)?;
    let server_cert = server.signed_by(&server_key, &issuer).map_err(error)?;
    let files = (
        dir.join("ca.pem"),
        dir.join("server.crt"),
        dir.join("server.key"),
    );
    let write = |path: &Path, text: String, mode: u32| -> Result<(), String> {
        std::fs::write(path, text).map_err(|e| e.to_string())?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| e.to_string())?;
        if let Some((_, uid, gid)) = run_as {
            std::os::unix::fs::chown(path, Some(*uid), Some(*gid)).map_err(|e| e.to_string())?;
        }
        Ok(())
    };
    write(&files.0, ca_cert.pem(), 0o644)?;
    write(&files.1, server_cert.pem(), 0o644)?;
    write(&files.2, server_key.serialize_pem(), 0o600)?;
    Ok(files)
}

fn find_bin() -> Option<PathBuf> {
    let has = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = std::env::var_os("MCPFORM_TEST_PG_BIN") {
        return Some(PathBuf::from(dir)).filter(|d| has(d));
    }
    let mut versioned: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .collect();
    versioned.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    });
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain(versioned.into_iter().rev())
        // `initdb` on PATH is often a symlink into the versioned directory, beside `pg_isready`.
        .map(|d| {
            d.join("initdb")
                .canonicalize()
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .unwrap_or(d)
        })
        .find(|d| has(d))
}

/// As root: the user to run PostgreSQL as (`postgres`, else `nobody`), with uid and gid.
fn run_as_user() -> Result<Option<(String, u32, u32)>, String> {
    let uid = |args: &[&str]| -> Option<u32> {
        let out = Command::new("id").args(args).output().ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    };
    if uid(&["-u"]) != Some(0) {
        return Ok(None);
    }
    for user in ["postgres", "nobody"] {
        if let (Some(u), Some(g)) = (uid(&["-u", user]), uid(&["-g", user])) {
            return Ok(Some((user.to_owned(), u, g)));
        }
    }
    Err("running as root and there is neither a `postgres` nor a `nobody` user".into())
}

fn as_user(run_as: &Option<(String, u32, u32)>, program: &Path) -> Command {
    match run_as {
        Some((user, _, _)) => {
            let mut command = Command::new("runuser");
            command.args(["-u", user, "--"]).arg(program);
            command
        }
        None => Command::new(program),
    }
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}
