//! Platforms that answer too much, or listings that never end, loop or contradict themselves:
//! every one is a clear error naming the endpoint, never a hang, an out-of-memory or a plan
//! made from a partial listing.
//!
//! The answers come from a tiny HTTP server in this file: one that streams a body of any size
//! without holding it, and pages a listing however the test says.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::support::*;

/// An answer: a JSON document, or `size` bytes streamed without a `Content-Length`.
enum Answer {
    Json(Value),
    Stream { prefix: &'static str, size: usize },
}

/// A server answering every request with `answer(path_and_query)`, on its own thread; counts
/// the requests it saw.
struct Hostile {
    url: String,
    requests: Arc<AtomicUsize>,
}

impl Hostile {
    fn start(answer: impl Fn(&str) -> Answer + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&requests);
        let answer = Arc::new(answer);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (answer, seen) = (Arc::clone(&answer), Arc::clone(&seen));
                std::thread::spawn(move || {
                    let _ = serve(stream, &*answer, &seen);
                });
            }
        });
        Hostile { url, requests }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn serve(
    stream: TcpStream,
    answer: &(dyn Fn(&str) -> Answer + Send + Sync),
    seen: &AtomicUsize,
) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 || header == "\r\n" {
                break;
            }
        }
        seen.fetch_add(1, Ordering::SeqCst);
        match answer(&target) {
            Answer::Json(value) => {
                let body = value.to_string();
                // One write: a response in pieces would wait on delayed acknowledgements.
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(response.as_bytes())?;
            }
            Answer::Stream { prefix, size } => {
                // Ends with the connection: the client cannot know the size in advance.
                write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{prefix}"
                )?;
                let chunk = vec![b' '; 64 * 1024];
                let mut sent = prefix.len();
                while sent < size {
                    stream.write_all(&chunk)?;
                    sent += chunk.len();
                }
                return Ok(());
            }
        }
    }
}

fn server(id: &str) -> Value {
    json!({"id": id, "object": "mcp_server", "name": format!("server-{id}"),
           "url": "https://mcp.example.com/a", "transport": "SSE"})
}

/// A PAIS page: the given ids, and `has_more` with `last_id` as told.
fn page(ids: &[&str], last_id: Option<&str>) -> Answer {
    Answer::Json(json!({
        "object": "list",
        "data": ids.iter().map(|id| server(id)).collect::<Vec<_>>(),
        "has_more": last_id.is_some(),
        "last_id": last_id.or(ids.last().copied()),
    }))
}

/// The `after` cursor of a request target, if any.
fn after(target: &str) -> Option<String> {
    let query = target.split_once('?')?.1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("after="))
        .map(str::to_owned)
}

fn workdir(url: &str) -> Workdir {
    Workdir::new(&config(&[pais_provider(
        url,
        "      - name: server-a\n        url: https://mcp.example.com/a\n        transport: SSE\n",
    )]))
}

#[test]
fn a_huge_body_is_cut_off_at_the_cap_with_a_clear_error() {
    // 400 MB, streamed: mcpform must stop at its 32 MiB cap, not buffer it all.
    let hostile = Hostile::start(|_| Answer::Stream {
        prefix: r#"{"object": "list", "data": ["#,
        size: 400 * 1024 * 1024,
    });
    let run = workdir(&hostile.url).run(&["plan"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::fetch_failed

      × provider `pais`: cannot read the live state
      ╰─▶ mcpform::http::too_large
          
            × GET http://127.0.0.1:[PORT]/api/v1/control/mcp-servers answered with a body over 32 MiB;
            │ mcpform stopped reading it
            help: no answer of the APIs mcpform manages comes near that size: check that the
                  provider's `endpoint` is the platform's API, not a proxy or a download
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    [exit status: 1]
    ");
    assert_eq!(
        hostile.requests(),
        1,
        "not retried: the answer would be as large again"
    );
}

#[test]
fn a_cursor_that_repeats_is_an_error_not_a_truncated_listing() {
    // Page 2 hands back the cursor of page 1: the listing goes nowhere.
    let hostile = Hostile::start(|target| match after(target).as_deref() {
        None => page(&["a"], Some("a")),
        Some(_) => page(&["b"], Some("a")),
    });
    let run = workdir(&hostile.url).run(&["plan"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::fetch_failed

      × provider `pais`: cannot read the live state
      ╰─▶ mcpform::http::bad_listing
          
            × GET http://127.0.0.1:[PORT]/api/v1/control/mcp-servers: page 2 of the listing gives the
            │ cursor `a` again: the listing does not progress
            help: the platform's listing is inconsistent, so nothing was planned from it: run again
                  later, and report it to the platform's operator if it persists
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    [exit status: 1]
    ");
}

#[test]
fn a_cursor_that_cycles_is_an_error() {
    // a → b → a → b …: no cursor repeats its predecessor, yet the listing never ends.
    let hostile = Hostile::start(|target| match after(target).as_deref() {
        None => page(&["a"], Some("a")),
        Some("a") => page(&["b"], Some("b")),
        Some(_) => page(&["c"], Some("a")),
    });
    let run = workdir(&hostile.url).run(&["plan"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::fetch_failed

      × provider `pais`: cannot read the live state
      ╰─▶ mcpform::http::bad_listing
          
            × GET http://127.0.0.1:[PORT]/api/v1/control/mcp-servers: page 3 of the listing gives the
            │ cursor `a` again: the listing does not progress
            help: the platform's listing is inconsistent, so nothing was planned from it: run again
                  later, and report it to the platform's operator if it persists
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    [exit status: 1]
    ");
    assert_eq!(hostile.requests(), 3);
}

#[test]
fn a_cursor_that_changes_forever_ends_at_the_page_limit() {
    // A new cursor on every page, always "more to come". A server that is still paging after
    // 1,500 pages answers 500 instead, so that a client without a limit fails too (not hangs).
    let hostile = Arc::new(AtomicUsize::new(0));
    let pages = Arc::clone(&hostile);
    let server = Hostile::start(move |_| {
        let n = pages.fetch_add(1, Ordering::SeqCst) + 1;
        if n > 1_500 {
            return Answer::Json(json!({"detail": "gave up"}));
        }
        let id = format!("00000000-0000-4000-8000-{n:012}");
        let id: &'static str = Box::leak(id.into_boxed_str());
        page(&[id], Some(id))
    });
    let run = workdir(&server.url).run(&["plan"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::fetch_failed

      × provider `pais`: cannot read the live state
      ╰─▶ mcpform::http::bad_listing
          
            × GET http://127.0.0.1:[PORT]/api/v1/control/mcp-servers: the listing still has more after
            │ 1000 pages, mcpform's limit
            help: the platform's listing is inconsistent, so nothing was planned from it: run again
                  later, and report it to the platform's operator if it persists
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    [exit status: 1]
    ");
    assert_eq!(server.requests(), 1_000);
}

#[test]
fn two_live_objects_with_one_id_are_an_error_naming_the_id() {
    let hostile = Hostile::start(|_| {
        Answer::Json(json!({
            "object": "list",
            "data": [server("a"), {"id": "a", "object": "mcp_server", "name": "server-b",
                                   "url": "https://mcp.example.com/b", "transport": "SSE"}],
            "has_more": false,
            "last_id": "a",
        }))
    });
    let run = workdir(&hostile.url).run(&["plan"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::fetch_failed

      × provider `pais`: cannot read the live state
      ╰─▶ mcpform::http::bad_listing
          
            × GET http://127.0.0.1:[PORT]/api/v1/control/mcp-servers: the listing holds two objects
            │ with the id `a`
            help: the platform's listing is inconsistent, so nothing was planned from it: run again
                  later, and report it to the platform's operator if it persists
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    [exit status: 1]
    ");
}
