//! The state as it is now, in pages, for a first sync (or one after the log was pruned): every
//! entity the viewer may see, as `EventData`, with the log position (`head`) it is at least as
//! new as. The reader applies the pages, then the events after `head`; a change made while it
//! was paging is in those events, and applying it again is an upsert.

use careline_protocol::{EventData, ForClient, ReadPosition, Role, SnapshotPage};
use sqlx::Row;

use super::callbacks::{attach_attempts, attempts_of, callback_row, CALLBACK_COLS};
use super::clients::{client_row, CLIENT_COLS};
use super::consultation_rows::{consultation_row, CONSULTATION_COLS};
use super::messages::{message_row, MESSAGE_SELECT};
use super::operators::{operator_row, OPERATOR_COLS};
use super::prescriptions::{prescription_row, PRESCRIPTION_SELECT};
use super::rows::{get_enum, get_uuid};
use super::tariffs::tariff_row;
use super::SqlBuf;
use super::Store;
use crate::error::{AppError, AppResult};
use crate::store::events::Viewer;

/// The parts of a snapshot, in the order they are sent.
const PARTS: [&str; 8] = [
    "operators",
    "tariffs",
    "clients",
    "consultations",
    "messages",
    "callbacks",
    "reads",
    "prescriptions",
];

impl Store {
    pub async fn snapshot_page(
        &self,
        viewer: Viewer,
        cursor: Option<&str>,
        limit: i64,
    ) -> AppResult<SnapshotPage> {
        let head = self.last_seq().await?;
        let (mut part, mut after) = match cursor {
            None => (0usize, String::new()),
            Some(c) => {
                let (p, k) = c
                    .split_once('~')
                    .ok_or_else(|| AppError::bad_request("cursor is not valid"))?;
                let p: usize = p
                    .parse()
                    .map_err(|_| AppError::bad_request("cursor is not valid"))?;
                if p >= PARTS.len() {
                    return Err(AppError::bad_request("cursor is not valid"));
                }
                (p, k.to_owned())
            }
        };
        let mut items = Vec::new();
        let shown = |items: Vec<EventData>| match viewer {
            Viewer::Staff | Viewer::Pharmacy => items,
            Viewer::Client(_) => items.into_iter().map(ForClient::for_client).collect(),
        };
        while part < PARTS.len() && (items.len() as i64) < limit {
            let want = limit - items.len() as i64;
            let (got, last_key) = self
                .snapshot_part(viewer, PARTS[part], &after, want)
                .await?;
            let full = got.len() as i64 == want;
            items.extend(got);
            if full {
                after = last_key.unwrap_or_default();
                return Ok(SnapshotPage {
                    head,
                    items: shown(items),
                    next_cursor: Some(format!("{part}~{after}")),
                });
            }
            part += 1;
            after.clear();
        }
        Ok(SnapshotPage {
            head,
            items: shown(items),
            next_cursor: None,
        })
    }

    /// Up to `limit` items of one part after `after` (an id, or a seq for messages).
    async fn snapshot_part(
        &self,
        viewer: Viewer,
        part: &str,
        after: &str,
        limit: i64,
    ) -> AppResult<(Vec<EventData>, Option<String>)> {
        let client = match viewer {
            Viewer::Client(c) => Some(c.to_string()),
            Viewer::Staff | Viewer::Pharmacy => None,
        };
        let staff_only = matches!(part, "operators" | "tariffs" | "clients");
        if (client.is_some() && staff_only)
            || (viewer == Viewer::Pharmacy && part != "prescriptions")
        {
            return Ok((Vec::new(), None));
        }
        let mut q = match part {
            "operators" => SqlBuf::new(&format!("SELECT {OPERATOR_COLS} FROM operators")),
            "tariffs" => SqlBuf::new("SELECT id, name, kind, price, currency, active FROM tariffs"),
            "clients" => SqlBuf::new(&format!("SELECT {CLIENT_COLS} FROM clients")),
            "consultations" => SqlBuf::new(&format!("SELECT {CONSULTATION_COLS} FROM consultations")),
            "messages" => SqlBuf::new(MESSAGE_SELECT),
            "callbacks" => SqlBuf::new(&format!("SELECT {CALLBACK_COLS} FROM callbacks")),
            "prescriptions" => SqlBuf::new(&format!("SELECT {PRESCRIPTION_SELECT}")),
            _ => SqlBuf::new(
                "SELECT r.consultation_id, r.reader_id, r.reader_role, r.seq, r.delivered_seq, c.client_id FROM reads r JOIN consultations c ON c.id = r.consultation_id",
            ),
        };
        let (key, prefix) = match part {
            "messages" => ("seq", "m."),
            "reads" => ("consultation_id || ':' || r.reader_id", "r."),
            "prescriptions" => ("id", "p."),
            _ => ("id", ""),
        };
        if let Some(c) = &client {
            let p = q.arg(c.as_str());
            match part {
                "messages" => q.and(&format!("m.client_id = {p} AND m.internal = 0")),
                "reads" => q.and(&format!("c.client_id = {p}")),
                "prescriptions" => q.and(&format!(
                    "p.client_id = {p} AND p.status IN ('approved', 'cancelled')"
                )),
                _ => q.and(&format!("client_id = {p}")),
            }
        }
        if viewer == Viewer::Pharmacy {
            q.and("p.status <> 'draft'");
        }
        if !after.is_empty() {
            if part == "messages" {
                let seq: i64 = after
                    .parse()
                    .map_err(|_| AppError::bad_request("cursor is not valid"))?;
                let p = q.arg(seq);
                q.and(&format!("m.seq > {p}"));
            } else {
                let p = q.arg(after);
                q.and(&format!("{prefix}{key} > {p}"));
            }
        }
        let p = q.arg(limit);
        q.push(&format!(" ORDER BY {prefix}{key} LIMIT {p}"));
        let rows = q.query().fetch_all(&self.reader).await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut last = None;
        for r in &rows {
            let (item, k) = match part {
                "operators" => {
                    let o = operator_row(r)?;
                    let k = o.id.to_string();
                    (EventData::Operator(o), k)
                }
                "tariffs" => {
                    let t = tariff_row(r)?;
                    let k = t.id.to_string();
                    (EventData::Tariff(t), k)
                }
                "clients" => {
                    let c = client_row(r)?;
                    let k = c.id.to_string();
                    (EventData::Client(c), k)
                }
                "consultations" => {
                    let c = consultation_row(r)?;
                    let k = c.id.to_string();
                    (EventData::Consultation(c), k)
                }
                "messages" => {
                    let m = message_row(r)?;
                    let k = m.seq.to_string();
                    (EventData::Message(m), k)
                }
                "prescriptions" => {
                    let p = prescription_row(r)?;
                    let k = p.id.to_string();
                    (EventData::Prescription(p), k)
                }
                "callbacks" => {
                    let c = callback_row(r)?;
                    let k = c.id.to_string();
                    (EventData::Callback(c), k)
                }
                _ => {
                    let pos = ReadPosition {
                        consultation_id: get_uuid(r, "consultation_id")?,
                        reader_id: get_uuid(r, "reader_id")?,
                        reader_role: get_enum::<Role>(r, "reader_role")?,
                        seq: r.try_get("seq")?,
                        delivered_seq: r.try_get("delivered_seq")?,
                        client_id: get_uuid(r, "client_id")?,
                    };
                    let k = format!("{}:{}", pos.consultation_id, pos.reader_id);
                    (EventData::Read(pos), k)
                }
            };
            out.push(item);
            last = Some(k);
        }
        if part == "callbacks" {
            let mut cbs: Vec<_> = out
                .iter()
                .filter_map(|e| {
                    if let EventData::Callback(c) = e {
                        Some(c.clone())
                    } else {
                        None
                    }
                })
                .collect();
            let ids: Vec<String> = cbs.iter().map(|c| c.id.to_string()).collect();
            let attempts = attempts_of(&self.reader, &ids).await?;
            attach_attempts(&mut cbs, attempts);
            out = cbs.into_iter().map(EventData::Callback).collect();
        }
        Ok((out, last))
    }
}
