//! Idun HTTP calls. Password mode authenticates with a session cookie: log in once, keep
//! the cookie (the HTTP client's jar), and log in again if the session expires.

use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::api::{COLLECTION_PATH, LOGIN_PATH, McpServerRead};
use crate::http::{HttpClient, HttpError, HttpResponse};

pub struct IdunClient {
    http: HttpClient,
    password: Option<String>,
    logged_in: Mutex<bool>,
}

impl IdunClient {
    pub fn new(http: HttpClient, password: Option<String>) -> IdunClient {
        IdunClient {
            http,
            password,
            logged_in: Mutex::new(false),
        }
    }

    pub async fn list_servers(&self) -> Result<Vec<McpServerRead>, HttpError> {
        self.send(reqwest::Method::GET, COLLECTION_PATH, None, true)
            .await?
            .decode()
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        idempotent: bool,
    ) -> Result<HttpResponse, HttpError> {
        self.ensure_login(false).await?;
        match self
            .http
            .send(method.clone(), path, &[], body, idempotent)
            .await
        {
            // The session expired: log in again once and repeat (a 401 means nothing was done).
            Err(e) if e.status() == Some(401) && self.password.is_some() => {
                self.ensure_login(true).await?;
                self.http.send(method, path, &[], body, idempotent).await
            }
            result => result,
        }
    }

    async fn ensure_login(&self, force: bool) -> Result<(), HttpError> {
        let Some(password) = &self.password else {
            return Ok(());
        };
        let mut logged_in = self.logged_in.lock().await;
        if *logged_in && !force {
            return Ok(());
        }
        self.http
            .login(LOGIN_PATH, &json!({"password": password}))
            .await?;
        *logged_in = true;
        Ok(())
    }
}
