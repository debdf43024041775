//! What the desk's screens show, read from the cache alone (nothing here waits on the
//! network and nothing here writes): consultation lists with filters and sorting, a thread in
//! pages with each message's send state, callback queues, clients with their history,
//! operators with their load, badge counts and search hits — one module per screen, all read
//! through [`Views`], the cache as one operator sees it. Every type here is also a TypeScript
//! type of the UI.

mod board;
mod callbacks;
mod clients;
mod counts;
mod hits;
mod lists;
mod operators;
mod thread;

use std::collections::HashMap;

use uuid::Uuid;

use crate::{Cache, CoreError, CoreResult};

pub use board::Board;
pub use callbacks::{CallbackRow, CallbackView};
pub use clients::ClientProfile;
pub use counts::Counts;
pub use hits::{SearchHit, Segment};
pub use lists::{
    ConsultationRow, ConsultationView, ListCursor, ListFilter, ListPage, Sort, PAGE_MAX,
};
pub use operators::OperatorRow;
pub use thread::{MessageRow, PendingMessage, Positions, SendState, ThreadPage};

/// The most rows of a list that is not paged (callbacks, clients).
const LIST_LIMIT: i64 = 2000;

/// The cache's screens as the operator `me` sees them (their queue, their unread counts).
#[derive(Clone, Copy)]
pub struct Views<'a> {
    cache: &'a Cache,
    me: Uuid,
}

impl Cache {
    /// What the screens of operator `me` read.
    pub fn views(&self, me: Uuid) -> Views<'_> {
        Views { cache: self, me }
    }
}

impl Views<'_> {
    /// Operators' names by id, for the lines that name an author or an assignee.
    async fn operator_names(&self) -> CoreResult<HashMap<Uuid, String>> {
        Ok(self
            .cache
            .operators()
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect())
    }
}

fn uuid_of(s: &str) -> CoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| CoreError::Corrupt(format!("an id in the cache: {e}")))
}
