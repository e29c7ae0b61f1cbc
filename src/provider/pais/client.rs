//! PAIS HTTP calls.
//! Reads only, decoded into `api.rs` types; writes are the provider's `send`.

use super::api::{COLLECTION_PATH, McpServer, McpServerList};
use crate::http::{HttpClient, HttpError};

/// The largest page PAIS serves (`0 < limit < 1000`): one request per 999 servers.
const PAGE_SIZE: u32 = 999;

/// Every MCP server, following the `after` cursor until `has_more` is false.
pub async fn list_servers(http: &HttpClient) -> Result<Vec<McpServer>, HttpError> {
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
        let response = http.get(COLLECTION_PATH, &query).await?;
        let page: McpServerList = response.decode()?;
        let next = page
            .last_id
            .filter(|_| page.has_more && !page.data.is_empty());
        servers.extend(page.data);
        match next {
            // A cursor that does not advance would loop forever on a misbehaving server.
            Some(cursor) if after.as_deref() != Some(cursor.as_str()) => after = Some(cursor),
            _ => return Ok(servers),
        }
    }
}
