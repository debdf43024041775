//! Pages of lists: a cursor is the last item's id; one extra row tells whether more follow.

use careline_protocol::Page;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// A cursor that is an id.
pub(crate) fn parse_id_cursor(c: &str) -> AppResult<String> {
    Uuid::parse_str(c)
        .map(|u| u.to_string())
        .map_err(|_| AppError::bad_request("cursor is not valid"))
}

/// Trims the extra row fetched to learn whether there is a next page.
pub(crate) fn finish_page<T>(
    items: &mut Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> String,
) -> Page<T> {
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = if more { items.last().map(key) } else { None };
    Page {
        items: std::mem::take(items),
        next_cursor,
    }
}
