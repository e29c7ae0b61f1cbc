//! PAIS HTTP calls.
//! Reads only, decoded into `api.rs` types; writes are the provider's `send`.

use serde::de::DeserializeOwned;

use super::api::{COLLECTION_PATH, McpServer, McpTool, Page, TOOLS_PATH};
use crate::http::{HttpClient, HttpError};
use crate::provider::listing::{self, ListingGuard};

/// The largest page PAIS serves (`0 < limit < 1000`): one request per 999 objects.
const PAGE_SIZE: u32 = 999;

/// Every MCP server, in creation order.
pub async fn list_servers(http: &HttpClient) -> Result<Vec<McpServer>, HttpError> {
    let query = [
        ("limit", PAGE_SIZE.to_string()),
        ("order", "asc".to_owned()),
    ];
    list_all(http, COLLECTION_PATH, &query, |s: &McpServer| &s.id)
        .await
        .map_err(|error| match error {
            Listed::FirstPage(error) => listing::first_page_not_found(error, "/api/v1/control"),
            Listed::Later(error) => error,
        })
}

/// Every tool PAIS has discovered for one server.
pub async fn list_tools(http: &HttpClient, server_id: &str) -> Result<Vec<McpTool>, HttpError> {
    let query = [
        ("server", server_id.to_owned()),
        ("limit", PAGE_SIZE.to_string()),
    ];
    list_all(http, TOOLS_PATH, &query, |t: &McpTool| &t.id)
        .await
        .map_err(Listed::into_inner)
}

/// Where a listing failed: a 404 on the first page means the path is wrong.
enum Listed {
    FirstPage(HttpError),
    Later(HttpError),
}

impl Listed {
    fn into_inner(self) -> HttpError {
        match self {
            Listed::FirstPage(error) | Listed::Later(error) => error,
        }
    }
}

/// Every object of a listing (`query` holds the page size and filters), following the `after` cursor until `has_more` is false. A listing
/// that does not progress, or holds one id twice, is an error (`ListingGuard`).
async fn list_all<T: DeserializeOwned>(
    http: &HttpClient,
    path: &str,
    query: &[(&str, String)],
    id_of: fn(&T) -> &str,
) -> Result<Vec<T>, Listed> {
    let mut guard = ListingGuard::new();
    let mut objects = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut page_query = query.to_vec();
        if let Some(cursor) = &after {
            page_query.push(("after", cursor.clone()));
        }
        let response = match http.get(path, &page_query).await {
            Ok(response) => response,
            Err(error) if after.is_none() => return Err(Listed::FirstPage(error)),
            Err(error) => return Err(Listed::Later(error)),
        };
        let page: Page<T> = response.decode().map_err(Listed::Later)?;
        let next = match (page.has_more, page.last_id) {
            (false, _) => None,
            (true, Some(cursor)) => Some(cursor),
            (true, None) => {
                return Err(Listed::Later(response.bad_listing(
                    "a page says more objects follow but gives no `last_id` to continue from",
                )));
            }
        };
        guard
            .page(&response, page.data.iter().map(id_of), next.as_deref())
            .map_err(Listed::Later)?;
        objects.extend(page.data);
        match next {
            Some(cursor) => after = Some(cursor),
            None => return Ok(objects),
        }
    }
}
