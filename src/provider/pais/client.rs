//! PAIS HTTP calls.
//! Reads only, decoded into `api.rs` types; writes are the provider's `send`.

use super::api::{COLLECTION_PATH, McpServer, McpServerList};
use crate::http::{HttpClient, HttpError};
use crate::provider::listing::{self, ListingGuard};

/// The largest page PAIS serves (`0 < limit < 1000`): one request per 999 servers.
const PAGE_SIZE: u32 = 999;

/// Every MCP server, following the `after` cursor until `has_more` is false. A listing that
/// does not progress, or holds one id twice, is an error (`ListingGuard`).
pub async fn list_servers(http: &HttpClient) -> Result<Vec<McpServer>, HttpError> {
    let mut guard = ListingGuard::new();
    let mut servers = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = vec![
            ("limit", PAGE_SIZE.to_string()),
            ("order", "asc".to_owned()),
        ];
        if let Some(cursor) = &after {
            query.push(("after", cursor.clone()));
        }
        let response = match http.get(COLLECTION_PATH, &query).await {
            Ok(response) => response,
            Err(error) if after.is_none() => {
                return Err(listing::first_page_not_found(error, "/api/v1/control"));
            }
            Err(error) => return Err(error),
        };
        let page: McpServerList = response.decode()?;
        let next = match (page.has_more, page.last_id) {
            (false, _) => None,
            (true, Some(cursor)) => Some(cursor),
            (true, None) => {
                return Err(response.bad_listing(
                    "a page says more objects follow but gives no `last_id` to continue from",
                ));
            }
        };
        guard.page(
            &response,
            page.data.iter().map(|s| s.id.as_str()),
            next.as_deref(),
        )?;
        servers.extend(page.data);
        match next {
            Some(cursor) => after = Some(cursor),
            None => return Ok(servers),
        }
    }
}
