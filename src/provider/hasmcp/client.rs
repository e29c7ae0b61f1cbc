//! HasMCP HTTP calls.
//! Reads only, decoded into `api.rs` types; writes are the provider's `send`.

use tokio::task::JoinSet;

use super::api::{COLLECTION_PATH, Server, ServerEnvelope, ServerList};
use crate::http::{HttpClient, HttpError};
use crate::provider::listing::ListingGuard;

/// Every server, in one page (HasMCP does not page); one id twice is an error.
pub async fn list_servers(http: &HttpClient) -> Result<Vec<Server>, HttpError> {
    let response = http.get(COLLECTION_PATH, &[]).await?;
    let servers = response.decode::<ServerList>()?.servers;
    ListingGuard::new().page(&response, servers.iter().map(|s| s.id.as_str()), None)?;
    Ok(servers)
}

/// Full objects (with resources and prompts) for the given ids, fetched concurrently: at most
/// `--parallelism` at once (the client's read slots), at the provider's `rate_limit` if it has one.
pub async fn get_servers(
    http: &std::sync::Arc<HttpClient>,
    ids: Vec<String>,
) -> Result<Vec<Server>, HttpError> {
    let mut tasks = JoinSet::new();
    for id in ids {
        let http = std::sync::Arc::clone(http);
        tasks.spawn(async move {
            let path = format!("{COLLECTION_PATH}/{id}");
            let response = http.get(&path, &[]).await?;
            Ok::<_, HttpError>(response.decode::<ServerEnvelope>()?.server)
        });
    }
    let mut servers = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        servers.push(joined.expect("fetch tasks do not panic")?);
    }
    Ok(servers)
}
