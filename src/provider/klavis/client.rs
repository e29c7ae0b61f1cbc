//! Klavis HTTP calls: no list endpoint exists, so each configured instance is read by id.
//! Reads only; the one write (`PATCH`) is the provider's `send`.

use std::sync::Arc;

use tokio::task::JoinSet;

use super::api::{INSTANCE_PATH, Instance};
use crate::http::{HttpClient, HttpError};

/// The instances that exist among `ids`; a 404 means the instance does not exist.
/// Requests run concurrently; the provider's rate limit spaces them out.
pub async fn get_instances(
    http: &Arc<HttpClient>,
    ids: Vec<String>,
) -> Result<Vec<(String, Instance)>, HttpError> {
    let mut tasks = JoinSet::new();
    for id in ids {
        let http = Arc::clone(http);
        tasks.spawn(async move {
            let path = format!("{INSTANCE_PATH}/{id}");
            match http.get(&path, &[]).await {
                Ok(response) => Ok(Some((id, response.decode()?))),
                Err(e) if e.status() == Some(404) => Ok(None),
                Err(e) => Err(e),
            }
        });
    }
    let mut found = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        found.extend(joined.expect("fetch tasks do not panic")?);
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}
