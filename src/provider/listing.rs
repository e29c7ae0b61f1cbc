//! The guard every listing goes through: a listing must progress and agree with itself, or fail
//! loudly. A plan made from a partial listing would propose creating servers that exist.
//!
//! - Each page's cursor for the next page must be one not seen before in this listing (a cursor
//!   that repeats would loop or, if the loop were cut short, silently truncate).
//! - At most [`MAX_PAGES`] pages and [`MAX_OBJECTS`] objects: a cursor that changes forever with
//!   "more to come" ends in an error, not in an endless run.
//! - No id twice: two live objects with one id cannot both be the object a config names.

use std::collections::HashSet;

use crate::http::{HttpError, HttpResponse};

/// The most pages one listing may take: a million PAIS servers at 999 a page.
pub const MAX_PAGES: usize = 1_000;

/// The most objects one listing may hold.
pub const MAX_OBJECTS: usize = 1_000_000;

/// A 404 on a listing's first request: the collection's path is wrong, and mcpform builds it
/// from the provider's `endpoint` and `api` (`/api/v1/control`, `/admin/api/v1`), so the
/// endpoint most likely holds part of that path already. Says so in the error's help.
pub fn first_page_not_found(error: HttpError, api: &str) -> HttpError {
    match error {
        HttpError::Status {
            method,
            url,
            status: 404,
            message,
            attempts,
            rolled_back,
            help: _,
        } => HttpError::Status {
            method,
            url,
            status: 404,
            message,
            attempts,
            rolled_back,
            help: Some(
                format!(
                    "the provider's `endpoint` should be the platform's base URL (e.g. \
                     `https://host`): mcpform adds `{api}/…` to it"
                )
                .into(),
            ),
        },
        other => other,
    }
}

/// One listing's progress, checked page by page.
#[derive(Default)]
pub struct ListingGuard {
    cursors: HashSet<String>,
    ids: HashSet<String>,
    pages: usize,
}

impl ListingGuard {
    pub fn new() -> ListingGuard {
        ListingGuard::default()
    }

    /// Checks one page: the ids of its objects, and the cursor it gives for the next page
    /// (`None` on the last one). `response` is the page's answer, named in errors.
    pub fn page<'i>(
        &mut self,
        response: &HttpResponse,
        ids: impl IntoIterator<Item = &'i str>,
        next: Option<&str>,
    ) -> Result<(), HttpError> {
        self.pages += 1;
        for id in ids {
            if !self.ids.insert(id.to_owned()) {
                return Err(response
                    .bad_listing(format!("the listing holds two objects with the id `{id}`")));
            }
            if self.ids.len() > MAX_OBJECTS {
                return Err(response.bad_listing(format!(
                    "the listing holds more than {MAX_OBJECTS} objects, mcpform's limit"
                )));
            }
        }
        let Some(next) = next else {
            return Ok(());
        };
        if !self.cursors.insert(next.to_owned()) {
            return Err(response.bad_listing(format!(
                "page {} of the listing gives the cursor `{next}` again: the listing does not progress",
                self.pages
            )));
        }
        if self.pages >= MAX_PAGES {
            return Err(response.bad_listing(format!(
                "the listing still has more after {MAX_PAGES} pages, mcpform's limit"
            )));
        }
        Ok(())
    }
}
