//! Creates happen once: a create whose outcome is unknown is never sent again blindly.
//!
//! The HTTP client re-sends a `POST` only when the platform provably did not process it (a 429,
//! no connection). After any other failure (a 5xx, a 408, a broken connection, a redirect, an
//! answer that shows nothing) the platform may have stored the object, so it is looked up by
//! name first: found, it is confirmed like any answer; absent, the create is sent again only if
//! the failure was one a retry can cure. A 4xx other than 408 proves nothing was stored. A create
//! that timed out is never sent again in the same run: the platform may still be storing it, so
//! a lookup that finds nothing proves nothing yet.
//! Pure sequencing: what a platform's answer and listing mean is the platform module's.

use super::{BoxFuture, Verdict, WriteError};
use crate::http::{HttpError, HttpResponse, RetryPolicy};
use crate::plan::Request;

/// What `create_once` needs from a platform that can list its objects.
pub(super) trait Creates: Sync {
    /// An object as the platform's listing shows it.
    type Found: Send;
    /// Sends the planned `POST` (the HTTP client's own safe retries included).
    fn post<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<HttpResponse, HttpError>>;
    /// Whether the answer to the `POST` shows the object as sent; `Ok` holds its id.
    fn check_answer(&self, request: &Request, answer: &HttpResponse) -> Result<String, WriteError>;
    /// The name the request creates the object under, if it has one.
    fn name<'r>(&self, request: &'r Request) -> Option<&'r str>;
    /// Every live object with that name.
    fn find<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Vec<Self::Found>, HttpError>>;
    /// Whether a found object shows what the request sent; `Ok` holds its id.
    fn check_found(&self, request: &Request, found: &Self::Found) -> Result<String, WriteError>;
    /// When and how long to wait before sending the create again.
    fn retry_policy(&self) -> RetryPolicy;
}

/// Sends a create, settling an unknown outcome by name before anything is sent again; `Ok`
/// holds the created object's id.
pub(super) async fn create_once<C: Creates>(
    platform: &C,
    request: &Request,
) -> Result<String, WriteError> {
    let policy = platform.retry_policy();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (error, cured_by_retry, may_still_land) = match platform.post(request).await {
            Ok(answer) => match platform.check_answer(request, &answer) {
                // A success that does not show the object (an empty 201): look it up.
                Err(unsure) if unsure.verdict == Verdict::NotConfirmed => {
                    (unsure.to_string(), false, false)
                }
                checked => return checked,
            },
            Err(error) if !outcome_unknown(&error) => return Err(error.into()),
            Err(error) => {
                let cured = retry_cures(&error);
                let timed_out = matches!(
                    error,
                    HttpError::Transport {
                        timed_out: true,
                        ..
                    }
                );
                (error.to_string(), cured, timed_out)
            }
        };
        let Some(name) = platform.name(request) else {
            return Err(WriteError::settled(
                Verdict::NotConfirmed,
                error,
                "a create without a name cannot be looked up to see whether it took effect",
            ));
        };
        let found = match platform.find(name).await {
            Ok(found) => found,
            Err(lookup) => {
                return Err(WriteError::settled(
                    Verdict::NotConfirmed,
                    error,
                    format!("looking `{name}` up afterwards failed too: {lookup}"),
                ));
            }
        };
        match found.as_slice() {
            [one] => return platform.check_found(request, one),
            [] if may_still_land => {
                return Err(WriteError::settled(
                    Verdict::NotConfirmed,
                    error,
                    format!(
                        "nothing named `{name}` exists yet, but the platform may still be \
                         storing it, so it is not sent again"
                    ),
                ));
            }
            [] if cured_by_retry && attempt <= policy.max_retries => {
                tokio::time::sleep(policy.backoff(attempt, crate::http::jitter())).await;
            }
            [] => {
                return Err(WriteError::settled(
                    Verdict::LeftUntouched,
                    error,
                    format!("nothing named `{name}` exists afterwards, so nothing was created"),
                ));
            }
            many => {
                return Err(WriteError::settled(
                    Verdict::NotConfirmed,
                    error,
                    format!(
                        "{} objects are named `{name}` afterwards; pin the one to keep with `id:`",
                        many.len()
                    ),
                ));
            }
        }
    }
}

/// Whether the platform may have stored the create despite the error.
fn outcome_unknown(error: &HttpError) -> bool {
    match error {
        HttpError::Status {
            status,
            rolled_back,
            ..
        } => !rolled_back && (*status >= 500 || *status == 408),
        HttpError::Transport { .. }
        | HttpError::Redirect { .. }
        | HttpError::InvalidResponse { .. }
        | HttpError::TooLarge { .. }
        | HttpError::BadListing { .. } => true,
        // Refused before anything was sent (a handshake or the token), or after a 401.
        HttpError::ReadOnly { .. }
        | HttpError::UntrustedCertificate { .. }
        | HttpError::Token { .. } => false,
    }
}

/// Whether sending the create again can succeed where it failed (a redirect or an unreadable
/// answer cannot).
fn retry_cures(error: &HttpError) -> bool {
    matches!(
        error,
        HttpError::Status { .. } | HttpError::Transport { .. }
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use serde_json::{Value, json};

    use super::*;
    use crate::plan::Method;

    /// A platform whose answers are scripted: each `POST` takes the next answer, each lookup
    /// the next listing of names.
    struct Scripted {
        answers: Mutex<Vec<Result<Value, HttpError>>>,
        listings: Mutex<Vec<Result<Vec<&'static str>, HttpError>>>,
        log: Mutex<Vec<&'static str>>,
    }

    impl Scripted {
        fn new(
            answers: Vec<Result<Value, HttpError>>,
            listings: Vec<Result<Vec<&'static str>, HttpError>>,
        ) -> Scripted {
            Scripted {
                answers: Mutex::new(answers),
                listings: Mutex::new(listings),
                log: Mutex::new(Vec::new()),
            }
        }

        fn log(&self) -> Vec<&'static str> {
            self.log.lock().unwrap().clone()
        }
    }

    impl Creates for Scripted {
        type Found = &'static str;

        fn post<'a>(&'a self, _: &'a Request) -> BoxFuture<'a, Result<HttpResponse, HttpError>> {
            self.log.lock().unwrap().push("POST");
            let answer = self.answers.lock().unwrap().remove(0);
            Box::pin(async move { answer.map(|body| HttpResponse::for_test(201, body)) })
        }

        fn check_answer(&self, _: &Request, answer: &HttpResponse) -> Result<String, WriteError> {
            match &answer.json() {
                Value::Null => Err(WriteError::answered(Verdict::NotConfirmed, "empty")),
                body if body["name"] == "a" => Ok("id".into()),
                _ => Err(WriteError::answered(Verdict::NotAppliedAsPlanned, "other")),
            }
        }

        fn name<'r>(&self, request: &'r Request) -> Option<&'r str> {
            request.body["name"].as_str()
        }

        fn find<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Vec<&'static str>, HttpError>> {
            self.log.lock().unwrap().push("GET");
            let listing = self.listings.lock().unwrap().remove(0);
            Box::pin(async move { listing })
        }

        fn check_found(&self, _: &Request, found: &&'static str) -> Result<String, WriteError> {
            match *found {
                "as sent" => Ok("id".into()),
                _ => Err(WriteError::answered(Verdict::NotAppliedAsPlanned, "other")),
            }
        }

        fn retry_policy(&self) -> RetryPolicy {
            RetryPolicy {
                max_retries: 2,
                base_delay: Duration::ZERO,
                max_delay: Duration::ZERO,
            }
        }
    }

    fn create(name: Option<&str>) -> Request {
        Request {
            method: Method::Post,
            path: "/servers".into(),
            body: name.map_or_else(|| json!({}), |n| json!({ "name": n })),
            sensitive: Vec::new(),
        }
    }

    fn status(status: u16) -> HttpError {
        HttpError::Status {
            method: "POST".into(),
            url: "http://127.0.0.1:1/servers".into(),
            status,
            message: "m".into(),
            attempts: 1,
            rolled_back: false,
            help: None,
        }
    }

    fn reset() -> HttpError {
        HttpError::Transport {
            method: "POST".into(),
            url: "http://127.0.0.1:1/servers".into(),
            message: "connection reset".into(),
            attempts: 1,
            timed_out: false,
        }
    }

    fn timeout() -> HttpError {
        HttpError::Transport {
            method: "POST".into(),
            url: "http://127.0.0.1:1/servers".into(),
            message: "no response within 0.5s".into(),
            attempts: 1,
            timed_out: true,
        }
    }

    async fn run(platform: &Scripted, name: Option<&str>) -> Result<String, WriteError> {
        create_once(platform, &create(name)).await
    }

    #[tokio::test]
    async fn a_confirmed_answer_needs_no_lookup() {
        let platform = Scripted::new(vec![Ok(json!({"name": "a"}))], vec![]);
        assert!(run(&platform, Some("a")).await.is_ok());
        assert_eq!(platform.log(), ["POST"]);
    }

    #[tokio::test]
    async fn an_unknown_outcome_found_by_name_is_confirmed_and_never_resent() {
        for error in [status(503), status(500), status(408), reset()] {
            let platform = Scripted::new(vec![Err(error)], vec![Ok(vec!["as sent"])]);
            assert!(run(&platform, Some("a")).await.is_ok());
            assert_eq!(platform.log(), ["POST", "GET"]);
        }
    }

    #[tokio::test]
    async fn an_empty_success_is_settled_by_the_lookup() {
        let platform = Scripted::new(vec![Ok(Value::Null)], vec![Ok(vec!["as sent"])]);
        assert!(run(&platform, Some("a")).await.is_ok());
        let platform = Scripted::new(vec![Ok(Value::Null)], vec![Ok(vec![])]);
        let error = run(&platform, Some("a")).await.unwrap_err();
        assert_eq!(error.verdict, Verdict::LeftUntouched, "{error}");
        assert_eq!(
            platform.log(),
            ["POST", "GET"],
            "an empty success is not re-sent"
        );
    }

    #[tokio::test]
    async fn a_found_object_with_other_values_is_not_applied_as_planned() {
        let platform = Scripted::new(vec![Err(status(503))], vec![Ok(vec!["changed"])]);
        let error = run(&platform, Some("a")).await.unwrap_err();
        assert_eq!(error.verdict, Verdict::NotAppliedAsPlanned);
    }

    #[tokio::test]
    async fn a_create_not_found_is_sent_again_within_the_retry_limit() {
        let platform = Scripted::new(
            vec![Err(status(503)), Err(reset()), Ok(json!({"name": "a"}))],
            vec![Ok(vec![]), Ok(vec![])],
        );
        assert!(run(&platform, Some("a")).await.is_ok());
        assert_eq!(platform.log(), ["POST", "GET", "POST", "GET", "POST"]);

        let platform = Scripted::new(
            vec![Err(status(503)), Err(status(503)), Err(status(503))],
            vec![Ok(vec![]), Ok(vec![]), Ok(vec![])],
        );
        let error = run(&platform, Some("a")).await.unwrap_err();
        assert_eq!(error.verdict, Verdict::LeftUntouched);
        assert!(
            error.to_string().contains("nothing named `a` exists"),
            "{error}"
        );
        assert_eq!(
            platform.log().len(),
            6,
            "one try, two retries, each looked up"
        );
    }

    /// A server that answers late may store the create after the lookup found nothing: sending
    /// it again would create it twice.
    #[tokio::test]
    async fn a_timed_out_create_not_found_is_not_confirmed_and_never_resent() {
        let platform = Scripted::new(vec![Err(timeout())], vec![Ok(vec![])]);
        let error = run(&platform, Some("a")).await.unwrap_err();
        assert_eq!(error.verdict, Verdict::NotConfirmed, "{error}");
        assert!(
            error.to_string().contains("may still be storing it"),
            "{error}"
        );
        assert_eq!(platform.log(), ["POST", "GET"]);

        let platform = Scripted::new(vec![Err(timeout())], vec![Ok(vec!["as sent"])]);
        assert!(run(&platform, Some("a")).await.is_ok());
        assert_eq!(platform.log(), ["POST", "GET"]);
    }

    #[tokio::test]
    async fn a_refusal_is_final_and_needs_no_lookup() {
        for code in [400, 404, 409, 422] {
            let platform = Scripted::new(vec![Err(status(code))], vec![]);
            let error = run(&platform, Some("a")).await.unwrap_err();
            assert_eq!(error.verdict, Verdict::LeftUntouched, "HTTP {code}");
            assert_eq!(platform.log(), ["POST"]);
        }
    }

    #[tokio::test]
    async fn what_a_lookup_cannot_settle_is_not_confirmed() {
        let unnamed = Scripted::new(vec![Err(status(503))], vec![]);
        let error = run(&unnamed, None).await.unwrap_err();
        assert_eq!(error.verdict, Verdict::NotConfirmed);
        assert_eq!(unnamed.log(), ["POST"]);

        let failed = Scripted::new(vec![Err(status(503))], vec![Err(reset())]);
        let error = run(&failed, Some("a")).await.unwrap_err();
        assert_eq!(error.verdict, Verdict::NotConfirmed);
        assert!(
            error
                .to_string()
                .contains("looking `a` up afterwards failed too")
        );

        let twins = Scripted::new(vec![Err(reset())], vec![Ok(vec!["as sent", "as sent"])]);
        let error = run(&twins, Some("a")).await.unwrap_err();
        assert_eq!(error.verdict, Verdict::NotConfirmed);
        assert!(
            error.to_string().contains("2 objects are named `a`"),
            "{error}"
        );
    }
}
