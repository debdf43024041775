//! Search hits as the window shows them: a title and the snippet in marked parts.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Views;
use crate::CoreResult;

/// Part of a snippet; marked parts matched the query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Segment {
    pub text: String,
    pub mark: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchHit {
    /// `message`, `client` or `consultation`.
    pub kind: String,
    pub id: Uuid,
    pub consultation_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    /// A message's seq: the chat opens there.
    pub seq: Option<i64>,
    /// The client's name, for the line's title.
    pub title: String,
    pub segments: Vec<Segment>,
}

impl Views<'_> {
    /// Search hits with the client's name as their title and the snippet in parts.
    pub async fn search_hits(&self, query: &str, limit: i64) -> CoreResult<Vec<SearchHit>> {
        let mut out = Vec::new();
        for h in self.cache.search(query, limit).await? {
            let title = match h.client_id {
                Some(id) => self
                    .cache
                    .client(id)
                    .await?
                    .map(|c| c.name)
                    .unwrap_or_default(),
                None => String::new(),
            };
            let mut segments = Vec::new();
            let mut at = 0;
            for &(a, b) in &h.snippet.marks {
                if a > at {
                    segments.push(Segment {
                        text: h.snippet.text[at..a].to_owned(),
                        mark: false,
                    });
                }
                segments.push(Segment {
                    text: h.snippet.text[a..b].to_owned(),
                    mark: true,
                });
                at = b;
            }
            if at < h.snippet.text.len() {
                segments.push(Segment {
                    text: h.snippet.text[at..].to_owned(),
                    mark: false,
                });
            }
            out.push(SearchHit {
                kind: h.kind.to_owned(),
                id: h.id,
                consultation_id: h.consultation_id,
                client_id: h.client_id,
                seq: h.seq,
                title,
                segments,
            });
        }
        Ok(out)
    }
}
