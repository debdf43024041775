//! Call signalling on the WebSocket: a party's `call.offer`, `call.answer`, `call.ice` or
//! `call.hangup` frame is relayed unchanged (with `from` added) to the other party's sockets on
//! this instance and, when instances share the database, through it to the others. Frames from
//! anyone who is not a party of the call are refused with an error frame.
//!
//! Who receives: the patient's every socket (`client:{id}`); on the operator's side only the
//! call page's socket (`call:{id}`, a session scoped to that call), never the desk's own
//! connection, which carries no media.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use axum::extract::ws::Utf8Bytes;
use careline_protocol::{ApiError, CallState, ErrorCode, Role, SignalHead, SIGNAL_TYPES};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::store::Store;

/// Frames waiting for one slow socket; more are dropped (signalling is live: WebRTC recovers
/// by an ICE restart, not by an old candidate).
const QUEUE: usize = 256;

type Sockets = HashMap<String, Vec<(u64, mpsc::Sender<Utf8Bytes>)>>;

/// Who a socket belongs to, as far as signalling cares: its account, and the one call a call
/// page's session is for.
#[derive(Debug, Clone, Copy)]
pub struct Party {
    pub user_id: Uuid,
    pub role: Role,
    pub call: Option<Uuid>,
}

pub struct Signals {
    /// This instance, to skip its own frames coming back through the database.
    origin: String,
    store: Store,
    local: Mutex<Sockets>,
    next: AtomicU64,
}

/// A socket's registration: frames for it arrive on `rx`; dropping it unregisters.
pub struct Inbox {
    pub rx: mpsc::Receiver<Utf8Bytes>,
    signals: Weak<Signals>,
    routes: Vec<String>,
    id: u64,
}

impl Drop for Inbox {
    fn drop(&mut self) {
        if let Some(s) = self.signals.upgrade() {
            let mut local = s.local.lock().expect("signals lock");
            for r in &self.routes {
                if let Some(list) = local.get_mut(r) {
                    list.retain(|(id, _)| *id != self.id);
                    if list.is_empty() {
                        local.remove(r);
                    }
                }
            }
        }
    }
}

fn client_route(id: Uuid) -> String {
    format!("client:{id}")
}

fn call_route(id: Uuid) -> String {
    format!("call:{id}")
}

impl Signals {
    /// Starts relaying; with a shared database, also watches other instances' frames.
    pub async fn start(store: Store) -> AppResult<Arc<Signals>> {
        let signals = Arc::new(Signals {
            origin: Uuid::new_v4().to_string(),
            store: store.clone(),
            local: Mutex::default(),
            next: AtomicU64::new(1),
        });
        if store.shared() {
            let weak = Arc::downgrade(&signals);
            store
                .backend_handle()
                .watch_signals(Arc::new(move |id| {
                    if let Some(s) = weak.upgrade() {
                        tokio::spawn(async move { s.relay_from_elsewhere(id).await });
                    }
                }))
                .await?;
        }
        Ok(signals)
    }

    /// Registers a socket of `session`: a patient's gets its calls' frames, a call page's the
    /// frames of its call; any other socket none.
    pub fn register(self: &Arc<Self>, session: Party) -> Inbox {
        let routes = match (session.call, session.role) {
            (Some(call), _) => vec![call_route(call)],
            (None, Role::Client) => vec![client_route(session.user_id)],
            (None, _) => Vec::new(),
        };
        let (tx, rx) = mpsc::channel(QUEUE);
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        {
            let mut local = self.local.lock().expect("signals lock");
            for r in &routes {
                local.entry(r.clone()).or_default().push((id, tx.clone()));
            }
        }
        Inbox {
            rx,
            signals: Arc::downgrade(self),
            routes,
            id,
        }
    }

    fn deliver(&self, route: &str, text: Utf8Bytes) {
        let local = self.local.lock().expect("signals lock");
        if let Some(list) = local.get(route) {
            for (_, tx) in list {
                let _ = tx.try_send(text.clone());
            }
        }
    }

    async fn relay_from_elsewhere(&self, id: i64) {
        match self.store.signal_in(id).await {
            Ok(Some((origin, route, body))) if origin != self.origin => {
                self.deliver(&route, body.into())
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reading a call signal failed"),
        }
    }

    /// Relays a party's frame to the other party. `Err` is the error frame for the sender.
    pub async fn relay(&self, session: Party, text: &str) -> Result<(), ApiError> {
        let bad = |m: &str| ApiError::new(ErrorCode::BadRequest, m);
        let head: SignalHead = serde_json::from_str(text)
            .map_err(|_| bad("a call frame is {\"type\": \"call.…\", \"call_id\": …}"))?;
        if !SIGNAL_TYPES.contains(&head.kind.as_str()) {
            return Err(bad(
                "type must be call.offer, call.answer, call.ice or call.hangup",
            ));
        }
        let refused = || {
            ApiError::new(
                ErrorCode::Forbidden,
                format!("not a party of call {}", head.call_id),
            )
        };
        let call = match self.store.get_call(head.call_id).await {
            Ok(c) => c,
            Err(AppError::Refused(e)) if e.code == ErrorCode::NotFound => return Err(refused()),
            Err(e) => {
                tracing::warn!(error = %e, "reading a call for its signal failed");
                return Err(ApiError::new(ErrorCode::Internal, "try again"));
            }
        };
        let to = if session.call == Some(call.id) && call.operator_id == session.user_id {
            client_route(call.client_id)
        } else if session.call.is_none()
            && session.role == Role::Client
            && call.client_id == session.user_id
        {
            call_route(call.id)
        } else {
            return Err(refused());
        };
        if call.state == CallState::Ended {
            return Err(ApiError::new(
                ErrorCode::IllegalTransition,
                format!("call {} is over", call.id),
            ));
        }
        let mut frame: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|_| bad("a call frame is a JSON object"))?;
        frame.insert("from".into(), session.user_id.to_string().into());
        let body = serde_json::Value::Object(frame).to_string();
        if self.store.shared() {
            if let Err(e) = self.store.signal_out(&self.origin, &to, &body).await {
                tracing::warn!(error = %e, "passing a call signal to the other instances failed");
            }
        }
        self.deliver(&to, body.into());
        Ok(())
    }
}
