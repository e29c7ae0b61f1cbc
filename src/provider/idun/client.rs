//! Idun HTTP calls. Password mode authenticates with a session cookie (the HTTP client's jar):
//! one login per run, shared by every request, renewed at most once per expiry however many
//! requests see it expire, and ended by `close` (each login is a session row on the platform
//! that would otherwise live 24 hours).

use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::api::{COLLECTION_PATH, LOGIN_PATH, LOGOUT_PATH, McpServerRead};
use crate::http::{HttpClient, HttpError, HttpResponse};
use crate::provider::listing::{self, ListingGuard};

pub struct IdunClient {
    http: HttpClient,
    password: Option<String>,
    session: Mutex<Session>,
}

/// The run's session, behind one lock: whoever holds it is the only one logging in.
#[derive(Default)]
struct Session {
    /// Bumped by each successful login; 0 = never logged in. A request that got 401 with the
    /// session of generation `g` logs in again only if the generation is still `g`: the
    /// others that saw the same expiry wait on the lock, then reuse the new cookie.
    generation: u64,
    /// A failed login: every later request fails the same way instead of logging in again.
    failed: Option<HttpError>,
    /// Logged out already: `logout` sends nothing again.
    closed: bool,
}

impl IdunClient {
    pub fn new(http: HttpClient, password: Option<String>) -> IdunClient {
        IdunClient {
            http,
            password,
            session: Mutex::new(Session::default()),
        }
    }

    /// The whole collection (Idun does not page); one id twice is an error.
    pub async fn list_servers(&self) -> Result<Vec<McpServerRead>, HttpError> {
        let response = self
            .send(reqwest::Method::GET, COLLECTION_PATH, None, true)
            .await
            .map_err(|e| listing::first_page_not_found(e, "/admin/api/v1"))?;
        let servers: Vec<McpServerRead> = response.decode()?;
        ListingGuard::new().page(&response, servers.iter().map(|s| s.id.as_str()), None)?;
        Ok(servers)
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        idempotent: bool,
    ) -> Result<HttpResponse, HttpError> {
        let Some(password) = &self.password else {
            return self.http.send(method, path, &[], body, idempotent).await;
        };
        let seen = self.logged_in(password).await?;
        match self
            .http
            .send(method.clone(), path, &[], body, idempotent)
            .await
        {
            // The session ended: renew it once and repeat (a 401 means nothing was done).
            Err(e) if e.status() == Some(401) => {
                self.renew(password, seen).await?;
                self.http.send(method, path, &[], body, idempotent).await
            }
            result => result,
        }
    }

    /// Ends the session, if this client opened one. Best effort: a session left open expires
    /// on the platform by itself.
    pub async fn logout(&self) {
        let mut session = self.session.lock().await;
        if session.generation > 0 && !session.closed {
            let _ = self.http.logout(LOGOUT_PATH).await;
        }
        session.closed = true;
    }

    /// The current session's generation, logging in first if there is none yet.
    async fn logged_in(&self, password: &str) -> Result<u64, HttpError> {
        let mut session = self.session.lock().await;
        if session.generation == 0 {
            self.login(&mut session, password).await?;
        }
        Ok(session.generation)
    }

    /// Logs in again after a 401 on the session of generation `seen`, unless another request
    /// already did.
    async fn renew(&self, password: &str, seen: u64) -> Result<(), HttpError> {
        let mut session = self.session.lock().await;
        if session.generation == seen {
            self.login(&mut session, password).await?;
        }
        Ok(())
    }

    async fn login(&self, session: &mut Session, password: &str) -> Result<(), HttpError> {
        if let Some(error) = &session.failed {
            return Err(error.clone());
        }
        match self
            .http
            .login(LOGIN_PATH, &json!({"password": password}))
            .await
        {
            Ok(_) => {
                session.generation += 1;
                Ok(())
            }
            Err(error) => {
                session.failed = Some(error.clone());
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mcpform_emulator::{EmulatorAuth, EmulatorOptions, Platform, RunningEmulator};

    use super::*;
    use crate::http::ClientSettings;
    use crate::mask::Secrets;

    const PASSWORD: &str = "hunter2";

    async fn emulator() -> RunningEmulator {
        mcpform_emulator::start(EmulatorOptions {
            platform: Platform::Idun,
            listen: "127.0.0.1:0".parse().unwrap(),
            data: None,
            seed: None,
            auth: EmulatorAuth::Password(PASSWORD.into()),
            rate_limit: None,
        })
        .await
        .unwrap()
    }

    fn client(emulator: &RunningEmulator) -> IdunClient {
        let http = HttpClient::new(
            &emulator.url(),
            None,
            None,
            None,
            super::super::api::error_message,
            &ClientSettings::default(),
            &Secrets::default(),
        )
        .unwrap();
        IdunClient::new(http, Some(PASSWORD.into()))
    }

    fn logins(emulator: &RunningEmulator) -> usize {
        let requests = emulator.requests();
        requests.iter().filter(|r| r.path == LOGIN_PATH).count()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_share_one_login_and_one_renewal() {
        let emulator = emulator().await;
        let idun = Arc::new(client(&emulator));
        let reads = |n| {
            (0..n)
                .map(|_| {
                    let idun = Arc::clone(&idun);
                    tokio::spawn(async move { idun.list_servers().await.map(|_| ()) })
                })
                .collect::<Vec<_>>()
        };
        for read in reads(8) {
            read.await.unwrap().unwrap();
        }
        assert_eq!(logins(&emulator), 1, "the first use logs in, once");

        // The platform forgets the session (a restart); eight reads at once all get 401.
        let cookie = emulator.requests().pop().unwrap().cookie.unwrap();
        let ended = reqwest::Client::new()
            .delete(format!("{}/_emulator/sessions", emulator.url()))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(ended.status().as_u16(), 204);
        for read in reads(8) {
            read.await.unwrap().unwrap();
        }
        assert_eq!(
            logins(&emulator),
            2,
            "one renewal for all: {:#?}",
            emulator.requests()
        );

        idun.logout().await;
        idun.logout().await;
        let last = emulator.requests().pop().unwrap();
        assert_eq!(last.path, LOGOUT_PATH);
        let logouts = emulator
            .requests()
            .iter()
            .filter(|r| r.path == LOGOUT_PATH)
            .count();
        assert_eq!(logouts, 1);
    }
}
