//! moto's S3-compatible server (PyPI `moto[server]`, installed by `tests/s3/setup.sh`), started
//! once for the whole test binary on a loopback port and stopped when the binary exits (a
//! watchdog shell beside it stops the server once this process is gone, even after a panic).
//!
//! Finds `moto_server` in `$MCPFORM_TEST_MOTO_BIN` (`.ci/run` sets it), else in
//! `target/moto-venv`. When it cannot start, tests that need it are skipped with a loud message,
//! except under `CI=true`, where they fail.
//!
//! The tests talk to it with plain HTTP/1.1 requests: moto does not check signatures (it only
//! wants an `Authorization` header, else it treats the request as anonymous and refuses it on a
//! private object), and the status codes and headers on the wire are what the tests assert.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The secret access key the binary signs with: must never show up anywhere.
pub const S3_SECRET_KEY: &str = "s3-secret-access-key-5521";
pub const S3_KEY_ID: &str = "AKIAMCPFORMTEST0001";
/// What the tests' own requests send: a well-formed, unchecked SigV4 header.
const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=AKIAMCPFORMTEST0001/20260101/us-east-1/s3/\
     aws4_request, SignedHeaders=host, Signature=00";

const SHARED_BUCKET: &str = "mcpform-state-tests";

pub struct Moto {
    port: u16,
    log: PathBuf,
}

static MOTO: OnceLock<Result<Moto, String>> = OnceLock::new();

/// The shared server; `None` (after a loud message) when it cannot start outside CI.
pub fn moto() -> Option<&'static Moto> {
    match MOTO.get_or_init(start) {
        Ok(moto) => Some(moto),
        Err(reason) => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(
                !ci,
                "moto's S3 server could not start, and CI must run the s3 tests: {reason}"
            );
            eprintln!(
                "\n!!!!! SKIPPED: this test needs moto's S3 server, which could not start: \
                 {reason}\n!!!!! install it with `bash tests/s3/setup.sh`\n"
            );
            None
        }
    }
}

/// A response: status, headers (names lowercased) and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Moto {
    /// The endpoint URL for the config's `endpoint`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One unsigned HTTP/1.1 request.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Response {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("moto listens");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\
             Authorization: {AUTHORIZATION}\r\nContent-Length: {}\r\n",
            self.port,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("an HTTP status line");
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Response {
            status,
            headers,
            body: body.to_owned(),
        }
    }

    /// The bucket the state-backend tests share (created once); each test uses its own keys.
    pub fn shared_bucket(&self) -> &'static str {
        static CREATED: OnceLock<()> = OnceLock::new();
        CREATED.get_or_init(|| self.create_bucket(SHARED_BUCKET));
        SHARED_BUCKET
    }

    /// Creates `bucket`.
    pub fn create_bucket(&self, bucket: &str) {
        let created = self.request("PUT", &format!("/{bucket}"), &[], "");
        assert_eq!(created.status, 200, "{created:?}");
    }

    /// The object's body, `None` when there is none.
    pub fn get(&self, bucket: &str, key: &str) -> Option<String> {
        let got = self.request("GET", &format!("/{bucket}/{key}"), &[], "");
        match got.status {
            200 => Some(got.body),
            404 => None,
            _ => panic!("GET {bucket}/{key}: {got:?}"),
        }
    }

    /// The request lines the server logged under `prefix` (`bucket/dir`), e.g.
    /// `PUT /bucket/dir/state.json.lock`, query strings cut.
    pub fn requests_under(&self, prefix: &str) -> Vec<String> {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        // Werkzeug colours some lines even into a file.
        let log = regex_lite::Regex::new("\x1b\\[[0-9;]*m")
            .unwrap()
            .replace_all(&log, "");
        let needle = format!(" /{prefix}/");
        log.lines()
            .filter_map(|line| {
                let start = line.find('"')? + 1;
                let request = &line[start..];
                let end = request.find(" HTTP/")?;
                Some(request[..end].to_owned())
            })
            .filter(|request| request.contains(&needle))
            .map(|request| request.split('?').next().unwrap_or_default().to_owned())
            .collect()
    }
}

fn start() -> Result<Moto, String> {
    let bin = match std::env::var_os("MCPFORM_TEST_MOTO_BIN") {
        Some(bin) => PathBuf::from(bin),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/moto-venv/bin/moto_server"),
    };
    if !bin.is_file() {
        return Err(format!(
            "no moto server at `{}` (set MCPFORM_TEST_MOTO_BIN)",
            bin.display()
        ));
    }
    let dir = tempfile::Builder::new()
        .prefix("mcpform-moto-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    let log = dir.join("log");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    drop(listener);
    // The watchdog: runs the server, and stops it (and removes its directory) once this test
    // process is gone.
    let script = format!(
        "'{bin}' -H 127.0.0.1 -p {port} >'{log}' 2>&1 & pid=$!; \
         while [ -d /proc/{parent} ] && kill -0 $pid 2>/dev/null; do sleep 0.5; done; \
         kill $pid 2>/dev/null; wait $pid; rm -rf '{dir}'",
        bin = bin.display(),
        log = log.display(),
        dir = dir.display(),
        parent = std::process::id(),
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start moto: {e}"))?;
    let moto = Moto { port, log };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(moto);
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(&moto.log).unwrap_or_default();
            return Err(format!("moto did not listen within 60s:\n{log}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Before the s3 backend relies on it: moto refuses a second create (`If-None-Match: *`) and
/// a write over a stale ETag (`If-Match`) with what real S3 sends, `412 PreconditionFailed`.
#[test]
fn moto_enforces_conditional_writes_like_s3() {
    let Some(moto) = moto() else {
        return;
    };
    moto.create_bucket("conditional-writes");
    let object = "/conditional-writes/state.json";
    let create = [("If-None-Match", "*")];

    let first = moto.request("PUT", object, &create, "one");
    assert_eq!(first.status, 200, "{first:?}");
    let first_etag = first.header("etag").expect("an ETag").to_owned();
    let second = moto.request("PUT", object, &create, "two");
    assert_eq!(second.status, 412, "a second create is refused: {second:?}");
    assert!(
        second.body.contains("<Code>PreconditionFailed</Code>"),
        "{second:?}"
    );
    assert_eq!(moto.get("conditional-writes", "state.json").unwrap(), "one");

    let update = moto.request("PUT", object, &[("If-Match", &first_etag)], "three");
    assert_eq!(update.status, 200, "a write over the ETag read: {update:?}");
    let new_etag = update.header("etag").unwrap().to_owned();
    assert_ne!(new_etag, first_etag);
    let stale = moto.request("PUT", object, &[("If-Match", &first_etag)], "four");
    assert_eq!(stale.status, 412, "a stale ETag is refused: {stale:?}");
    assert!(
        stale.body.contains("<Code>PreconditionFailed</Code>"),
        "{stale:?}"
    );
    assert_eq!(
        moto.get("conditional-writes", "state.json").unwrap(),
        "three"
    );

    // Real S3 answers `If-Match` on a missing object with 404 NoSuchKey; the backend treats
    // it (and a 409 ConditionalRequestConflict) like a 412.
    let missing = moto.request(
        "PUT",
        "/conditional-writes/missing.json",
        &[("If-Match", &new_etag)],
        "x",
    );
    assert!(
        [404, 412].contains(&missing.status),
        "If-Match on a missing object: {missing:?}"
    );
    assert_eq!(moto.get("conditional-writes", "missing.json"), None);
    // And deletes are unconditional: the lock object goes away.
    let deleted = moto.request("DELETE", object, &[], "");
    assert_eq!(deleted.status, 204, "{deleted:?}");
    assert_eq!(moto.get("conditional-writes", "state.json"), None);
}
