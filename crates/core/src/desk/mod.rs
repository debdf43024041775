//! A running operator desk: one logged-in session over its cache, with the background work a
//! window needs — following the server live, sending the outbox, fetching files, reminders —
//! and the notification policy applied to what arrives. The desktop shell holds one `Desk`,
//! forwards its [`DeskEvent`]s to the UI and raises the notifications it is handed; it has no
//! logic of its own.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use careline_protocol::{EventData, MessageKind, Presence, SendMessageRequest};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::live::{self, Update};
mod calls;
mod clinical;
mod once;
mod reception;
mod replies;
mod reports;
mod supervision;
mod visits;

use crate::notify::{self, Candidate, Given, Known, Memory};
use crate::{Cache, CoreError, CoreResult, Remote};
pub use calls::Calls;
pub use clinical::{Clinical, PrescriptionStep};
pub use once::{SyncStep, Synced};
pub use reception::Reception;
pub use replies::Replies;
pub use reports::{
    AuditPage, BillingReportView, CallbackReportView, Export, OperatorReportView, ReportView,
    Reports,
};
pub use supervision::Supervision;
pub use visits::{AgendaRow, Visits};

// Every type a caller of the desk sees, named here (their modules are the core's own).
pub use crate::files::{openable, save_dir, Fetched, Files};
pub use crate::notify::{Kind, Notification, Settings, Target};
pub use crate::outbox::{Entry, Flushed, Op};
pub use crate::session::Session;
pub use crate::sla::{Breach, SlaDue};
pub use crate::sync::Progress;
pub use crate::views::{
    Board, CallbackRow, CallbackView, ClientProfile, ConsultationRow, ConsultationView, Counts,
    ListCursor, ListFilter, ListPage, MessageRow, OperatorRow, PendingMessage, Positions,
    SearchHit, Segment, SendState, Sort, ThreadPage, Views, PAGE_MAX,
};

/// What the desk tells the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DeskEvent {
    /// Connected and caught up (`online`), or the connection dropped and is retried.
    Connection {
        online: bool,
        retry_in_ms: Option<u64>,
    },
    /// Some cached records changed: re-read the screens of these kinds. `threads`: the clients
    /// whose thread got messages (the other threads did not change).
    /// `quick_replies`: the team's or my own replies changed (fetch them again). `visits`: a
    /// booked visit changed (read the agenda again).
    Changed {
        consultations: bool,
        callbacks: bool,
        clients: bool,
        operators: bool,
        threads: Vec<Uuid>,
        quick_replies: bool,
        #[serde(default)]
        visits: bool,
        /// Calls of these consultations changed (ringing, answered, ended).
        #[serde(default)]
        calls: Vec<Uuid>,
        /// Prescriptions or refunds changed (a chat's prescriptions, the review queue, the
        /// refunds waiting for a decision).
        #[serde(default)]
        clinical: bool,
    },
    /// Anything in the cache may have changed (caught up after an outage, or re-synced from a
    /// snapshot): re-read every screen and every open thread.
    Reloaded,
    /// The outbox moved: entries were confirmed or refused.
    Outbox { sent: usize, refused: usize },
    /// A notification the policy decided on; the shell shows it natively.
    Notify { notification: Notification },
    /// The server no longer accepts the session (expired, revoked, account disabled): the desk
    /// has stopped and forgotten the session; the window shows the login form with `error`.
    /// The cache and its outbox stay for the next login of the same operator.
    SessionEnded { error: crate::UiError },
    /// A notification was clicked: the window shows its item. Sent by the shell (the desk has
    /// no windows), through the same channel.
    Open { target: crate::notify::Target },
}

/// Who is at the desk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Me {
    pub id: Uuid,
    pub login: String,
    pub name: String,
    pub role: String,
    pub server: String,
    pub presence: Presence,
    pub online: bool,
    /// How the cache opened at this start: the window says so when its key was gone (the
    /// cache began afresh, its unsent actions lost).
    pub cache: crate::Opened,
}

pub type Emit = Arc<dyn Fn(DeskEvent) + Send + Sync>;

/// How often reminders and long waits are looked for.
const REMINDER_TICK: Duration = Duration::from_secs(15);
/// A burst of notifications is gathered this long before it is shown (coalesced).
const BURST: Duration = Duration::from_millis(150);
/// The outbox is retried this often while something waits in it.
const OUTBOX_RETRY: Duration = Duration::from_secs(3);
/// Attachment store limit unless `CARELINE_FILES_MAX_MB` says otherwise.
const FILES_MAX_MB: u64 = 1024;

struct State {
    presence: Presence,
    in_front: Option<Uuid>,
    online: bool,
    settings: Settings,
    memory: Memory,
    burst: Vec<Candidate>,
    given: Given,
    /// Files of messages that arrived, waiting to be fetched (newest last).
    files_wanted: Vec<(i64, Uuid, careline_protocol::Attachment)>,
    /// A client was erased: their files leave the store.
    sweep_files: bool,
    /// Consultations I took and callback requests I made myself lately: their take is not an
    /// assignment to tell me of, their arrival not news.
    my_own: Vec<Uuid>,
}

pub struct Desk {
    session: Session,
    cache: Cache,
    remote: Remote,
    files: Files,
    kick: tokio::sync::Notify,
    /// Wakes the follower from its reconnect wait.
    wake: tokio::sync::Notify,
    /// Wakes the file fetcher: files of new messages wait.
    files_kick: tokio::sync::Notify,
    state: Mutex<State>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// The server ended the session (told once).
    ended: std::sync::atomic::AtomicBool,
}

impl Desk {
    /// Opens the desk of a session over its cache file (created if new).
    pub async fn open(session: Session, cache_path: PathBuf) -> CoreResult<Arc<Desk>> {
        let cache = Cache::open(&cache_path).await?;
        let remote = session.remote();
        let max_mb = std::env::var("CARELINE_FILES_MAX_MB")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(FILES_MAX_MB);
        let files = Files::beside(&cache, max_mb * 1024 * 1024);
        files.forget_exported();
        let settings = match cache.meta("notify_settings").await? {
            Some(text) => serde_json::from_str(&text).unwrap_or_default(),
            None => Settings::default(),
        };
        // The status the operator chose last time on this computer; online the first time.
        let presence = cache
            .meta("presence")
            .await?
            .and_then(|p| p.parse().ok())
            .unwrap_or(Presence::Online);
        let known = known_from(&cache).await?;
        Ok(Arc::new(Desk {
            session,
            cache,
            remote,
            files,
            kick: tokio::sync::Notify::new(),
            wake: tokio::sync::Notify::new(),
            state: Mutex::new(State {
                presence,
                in_front: None,
                online: false,
                settings,
                memory: Memory::new(known),
                burst: Vec::new(),
                given: Given::default(),
                files_wanted: Vec::new(),
                sweep_files: false,
                my_own: Vec::new(),
            }),
            files_kick: tokio::sync::Notify::new(),
            tasks: Mutex::new(Vec::new()),
            ended: std::sync::atomic::AtomicBool::new(false),
        }))
    }

    pub fn me(&self) -> Me {
        let s = self.state.lock().expect("desk state");
        Me {
            id: self.session.user_id,
            login: self.session.login.clone(),
            name: self.session.user_name.clone(),
            role: self.session.role.clone(),
            server: self.session.server.clone(),
            presence: s.presence,
            online: s.online,
            cache: self.cache.opened(),
        }
    }

    /// Gives back the cache's page memory (the window is up and idle).
    pub async fn shrink_memory(&self) {
        self.cache.shrink_memory().await;
    }

    pub fn files(&self) -> &Files {
        &self.files
    }

    /// An attachment's original, fetched now if the store let it go (opened from its
    /// thumbnail); true when it is here.
    pub async fn ensure_file(&self, a: &careline_protocol::Attachment) -> CoreResult<bool> {
        self.files.ensure(&self.remote, a).await
    }

    /// Starts the background work; events go to `emit`. Call once. Opening the desk puts the
    /// operator back in the status they chose last (online the first time).
    pub fn start(self: &Arc<Self>, emit: Emit) {
        let desk = self.clone();
        let status = self.me().presence;
        // Every task that may hold a connection to the cache is the desk's, so `close` stops
        // them all before the cache closes.
        // A pharmacist takes no consultations: they have no status to set.
        let takes_work = self.session.role != "pharmacist";
        let set_status = tokio::spawn(async move {
            if !takes_work {
                return;
            }
            if let Err(e) = desk.act(Op::SetStatus { status }).await {
                tracing::warn!(error = %e, "queueing the status");
            }
        });
        // Messages a download (or an older cache's upgrade) left out of the search index are
        // indexed now, also when the server cannot be reached.
        self.cache.index_in_background();
        let mut tasks = self.tasks.lock().expect("desk tasks");
        tasks.push(set_status);
        tasks.push(tokio::spawn(follow(self.clone(), emit.clone())));
        tasks.push(tokio::spawn(send_outbox(self.clone(), emit.clone())));
        tasks.push(tokio::spawn(remind(self.clone())));
        tasks.push(tokio::spawn(show_bursts(self.clone(), emit.clone())));
        tasks.push(tokio::spawn(fetch_files(self.clone(), emit)));
    }

    /// Stops the background work (logout, quit).
    pub fn stop(&self) {
        for t in self.tasks.lock().expect("desk tasks").drain(..) {
            t.abort();
        }
    }

    /// Queues an operation and sends it at once if the server is reachable.
    pub async fn act(&self, op: Op) -> CoreResult<i64> {
        if let Op::SetStatus { status } = &op {
            // Do-not-disturb follows the switch at once, not when the server confirms it.
            self.state.lock().expect("desk state").presence = *status;
            self.cache.set_meta("presence", status.as_str()).await?;
        }
        match &op {
            // My own take is not "assigned to me", my own request not a new one to tell me of.
            Op::Take {
                consultation_id: id,
            }
            | Op::CreateCallback {
                callback: careline_protocol::CreateCallbackRequest { id: Some(id), .. },
            } => {
                let mut s = self.state.lock().expect("desk state");
                s.my_own.push(*id);
                let extra = s.my_own.len().saturating_sub(64);
                s.my_own.drain(..extra);
            }
            _ => {}
        }
        let id = self.cache.enqueue(&op).await?;
        self.kick.notify_one();
        Ok(id)
    }

    pub async fn retry(&self, outbox_id: i64) -> CoreResult<()> {
        self.cache.retry(outbox_id).await?;
        self.kick.notify_one();
        Ok(())
    }

    /// Sends a file or an image: uploaded now (files need the network), then the message goes
    /// through the outbox like any other.
    pub async fn send_file(
        &self,
        consultation_id: Uuid,
        name: &str,
        bytes: Vec<u8>,
        internal: bool,
    ) -> CoreResult<i64> {
        // The server names the media type from the file name (as for any octet-stream upload).
        let attachment = self
            .remote
            .upload(name, "application/octet-stream", bytes)
            .await?;
        let kind = match attachment.media_type.split('/').next() {
            Some("image") => MessageKind::Image,
            Some("audio") => MessageKind::Audio,
            Some("video") => MessageKind::Video,
            _ => MessageKind::File,
        };
        let message = SendMessageRequest {
            client_msg_id: Uuid::now_v7(),
            kind,
            body: String::new(),
            attachment_id: Some(attachment.id),
            internal,
        };
        self.act(Op::SendMessage {
            consultation_id,
            message,
        })
        .await
    }

    /// The chat in front of the operator (messages there raise no notification).
    pub fn set_in_front(&self, consultation: Option<Uuid>) {
        self.state.lock().expect("desk state").in_front = consultation;
    }

    pub fn settings(&self) -> Settings {
        self.state.lock().expect("desk state").settings.clone()
    }

    pub async fn set_settings(&self, settings: Settings) -> CoreResult<()> {
        self.cache
            .set_meta(
                "notify_settings",
                &serde_json::to_string(&settings).expect("settings serialize"),
            )
            .await?;
        self.state.lock().expect("desk state").settings = settings;
        Ok(())
    }

    /// Marks the consultation read up to its newest cached message (through the outbox).
    pub async fn mark_read(&self, consultation_id: Uuid) -> CoreResult<()> {
        let Some(c) = self.cache.consultation(consultation_id).await? else {
            return Ok(());
        };
        let newest = self
            .cache
            .thread(c.client_id, None, 200)
            .await?
            .into_iter()
            .filter(|m| m.consultation_id == consultation_id)
            .map(|m| m.seq)
            .max();
        let Some(seq) = newest else { return Ok(()) };
        if self
            .views()
            .read_position(consultation_id, self.session.user_id)
            .await?
            >= seq
        {
            return Ok(());
        }
        self.cache
            .set_read_position(consultation_id, self.session.user_id, seq)
            .await?;
        self.act(Op::Read {
            consultation_id,
            seq,
        })
        .await
        .map(|_| ())
    }

    /// Records on the server that the operator opened a client's profile (medical data: every
    /// read is audited). Best effort: offline, the cached profile is shown anyway.
    pub fn audit_profile_view(self: &Arc<Self>, client_id: Uuid) {
        let desk = self.clone();
        tokio::spawn(async move {
            if let Err(e) = desk.remote.client(client_id).await {
                tracing::debug!(error = %e, "profile view not recorded on the server");
            }
        });
    }

    /// Ends the session on the server and forgets it here; `wipe` deletes the cache too.
    pub async fn logout(&self, wipe: bool) {
        self.stop();
        if let Err(e) = self.remote.logout().await {
            tracing::info!(error = %e, "the server did not take the logout; the token expires on its own");
        }
        self.session.forget();
        self.files.forget_exported();
        if wipe {
            self.cache.close().await;
            crate::unlock::wipe_cache(self.cache.path());
        }
    }

    /// The server refused the session: forget it (so the next start shows the login form, not
    /// this dead desk), tell the window once, and stop. The cache and its outbox stay: the next
    /// login of the same operator opens the same cache and sends what waits.
    fn end_session(&self, error: CoreError, emit: &Emit) {
        if self.ended.swap(true, std::sync::atomic::Ordering::AcqRel) {
            return;
        }
        if Session::load().is_some_and(|s| {
            s.server == self.session.server
                && s.login == self.session.login
                && s.token == self.session.token
        }) {
            self.session.forget();
        }
        tracing::info!(error = %error, "the server ended the session");
        emit(DeskEvent::SessionEnded {
            error: error.into(),
        });
        self.stop();
    }

    /// Whether the server ended this desk's session.
    pub fn ended(&self) -> bool {
        self.ended.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The counts for the tray and the badges.
    pub async fn counts(&self) -> CoreResult<crate::views::Counts> {
        self.views().counts().await
    }

    /// Reception's tools: clients and callback requests recorded from the desk.
    pub fn reception(&self) -> Reception<'_> {
        Reception { desk: self }
    }

    /// The team's quick replies and mine.
    pub fn replies(&self) -> Replies<'_> {
        Replies { desk: self }
    }

    /// The reports, the audit log, the board and their CSV exports.
    pub fn reports(&self) -> Reports<'_> {
        Reports { desk: self }
    }

    /// What an admin sets and manages: rules, settings, tariffs, webhooks, staff and sessions.
    pub fn supervision(&self) -> Supervision<'_> {
        Supervision { desk: self }
    }

    /// Booked visits: the agenda, booking for a caller, schedules.
    pub fn visits(&self) -> Visits<'_> {
        Visits { desk: self }
    }

    pub fn calls(&self) -> Calls<'_> {
        Calls { desk: self }
    }

    pub fn clinical(&self) -> Clinical<'_> {
        Clinical { desk: self }
    }

    /// What the screens show: the cache as this operator sees it (reads only).
    pub fn views(&self) -> crate::views::Views<'_> {
        self.cache.views(self.session.user_id)
    }

    /// The outbox: what waits to be sent, and what the server refused.
    pub async fn outbox(&self) -> CoreResult<Vec<crate::outbox::Entry>> {
        self.cache.outbox().await
    }

    /// Forgets a refused operation (the operator read why and gave it up).
    pub async fn dismiss(&self, outbox_id: i64) -> CoreResult<()> {
        self.cache.dismiss(outbox_id).await
    }

    /// Messages not in the search index yet (a big first download is indexed in the background).
    pub async fn unindexed(&self) -> CoreResult<i64> {
        self.cache.unindexed().await
    }

    /// Stops the desk and closes its cache (the window closes); the session stays for the next start.
    /// The background tasks are aborted and *waited for*: an aborted task lets go of its cache
    /// connection only when it is next polled, and a connection handed back to a closing pool
    /// is closed on its own thread after the pool says it is closed — the process could exit
    /// first and leave the write-ahead log behind (under load, 3 runs in 10).
    pub async fn close(&self) {
        let tasks: Vec<_> = self.tasks.lock().expect("desk tasks").drain(..).collect();
        for t in &tasks {
            t.abort();
        }
        for t in tasks {
            let _ = t.await;
        }
        self.cache.close().await;
    }

    /// The items whose SLA this operator is told about, with when each is (or was) late: a
    /// supervisor (admin) hears of every one — the queue, every active chat, every asap
    /// callback; an operator of their own chats and the callbacks they claimed (the queue's long
    /// waits reach operators as `long_wait`).
    async fn late_items(
        &self,
        queue: &[careline_protocol::Consultation],
        callbacks: &[careline_protocol::Callback],
    ) -> CoreResult<Vec<(notify::Target, crate::sla::SlaDue, String)>> {
        let me = self.session.user_id;
        let supervisor = self.session.role == "admin";
        let thresholds = self.cache.sla_thresholds().await?;
        let active = self
            .cache
            .consultations(
                &[careline_protocol::ConsultationStatus::Active],
                true,
                i64::MAX,
            )
            .await?;
        let active: Vec<_> = active
            .into_iter()
            .filter(|c| supervisor || c.operator_id == Some(me))
            .collect();
        let waiting = self.views().unanswered_since(&active).await?;
        let mut out = Vec::new();
        let consultations = active.iter().chain(queue.iter().filter(|_| supervisor));
        for c in consultations {
            if let Some(due) =
                crate::sla::consultation_due(c, waiting.get(&c.id).copied(), &thresholds)
            {
                out.push((
                    notify::Target::Consultation(c.id),
                    due,
                    c.subject.clone().unwrap_or_default(),
                ));
            }
        }
        for cb in callbacks
            .iter()
            .filter(|cb| supervisor || cb.operator_id == Some(me))
        {
            if let Some(due) = crate::sla::callback_due(cb, &thresholds) {
                out.push((
                    notify::Target::Callback(cb.id),
                    due,
                    cb.reason.clone().unwrap_or_else(|| cb.phone.clone()),
                ));
            }
        }
        Ok(out)
    }

    /// Decides on events just applied; returns what changed for the window.
    fn on_applied(&self, events: &[careline_protocol::Event]) -> DeskEvent {
        let mut s = self.state.lock().expect("desk state");
        let me = self.session.user_id;
        let (mut consultations, mut callbacks, mut clients, mut operators, mut threads) =
            (false, false, false, false, Vec::new());
        let (mut quick_replies, mut visits) = (false, false);
        let mut calls: Vec<Uuid> = Vec::new();
        let mut clinical = false;
        for e in events {
            let before = s.memory.known().before(&e.data);
            let op = notify::Operator {
                me,
                role: self
                    .session
                    .role
                    .parse()
                    .unwrap_or(careline_protocol::Role::Operator),
                presence: s.presence,
                in_front: s.in_front,
            };
            let candidate = notify::on_event(e, before, op, &s.settings, |id| {
                s.memory.known().is_mine(id, me)
            });
            let candidate = candidate.filter(|c| !match (c.kind, c.target) {
                (notify::Kind::AssignedToMe, notify::Target::Consultation(id))
                | (notify::Kind::NewCallback, notify::Target::Callback(id)) => {
                    s.my_own.contains(&id)
                }
                _ => false,
            });
            if let Some(c) = candidate {
                if c.kind == notify::Kind::RedFlag {
                    // Repeated from now on, not told again at the next reminder tick.
                    s.given.told(c.kind, c.target, Utc::now());
                }
                s.burst.push(c);
            }
            s.memory.learn(&e.data);
            match &e.data {
                EventData::Consultation(_) => consultations = true,
                EventData::Read(r) => {
                    consultations = true;
                    // A client's receipt turns my messages' ticks in that thread.
                    if r.reader_role == careline_protocol::Role::Client {
                        threads.push(r.client_id);
                    }
                }
                EventData::Message(m) => {
                    consultations = true;
                    threads.push(m.client_id);
                    if let Some(a) = &m.attachment {
                        if !self.files.has(a) {
                            s.files_wanted.push((m.seq, m.client_id, a.clone()));
                        }
                    }
                }
                EventData::Callback(_) => callbacks = true,
                EventData::Client(_) => clients = true,
                EventData::Operator(o) => {
                    operators = true;
                    if o.id == me {
                        s.presence = o.status;
                    }
                }
                EventData::Tariff(_) => {}
                EventData::Appointment(_) => visits = true,
                EventData::Call(c) => calls.push(c.consultation_id),
                EventData::Prescription(_) | EventData::Refund(_) => clinical = true,
                // SLA thresholds: every list's marks may change.
                EventData::Settings(_) => (consultations, callbacks) = (true, true),
                EventData::QuickReplies(q) => quick_replies |= q.owner_id.is_none_or(|o| o == me),
                EventData::WebhookPaused(w)
                    if self.session.role == "admin"
                        && s.settings.allows(notify::Kind::WebhookPaused) =>
                {
                    // The address alone: the title says what happened in the desk's language, and
                    // the server's (English) reason waits in the webhooks' page for the admin.
                    let text = w.target.clone();
                    s.burst.push(notify::Candidate {
                        kind: notify::Kind::WebhookPaused,
                        target: notify::Target::Webhook(w.endpoint_id),
                        text,
                    });
                }
                EventData::WebhookPaused(_) => {}
                EventData::Erased(_) => {
                    (consultations, callbacks, clients) = (true, true, true);
                    s.sweep_files = true;
                }
            }
        }
        threads.sort_unstable();
        threads.dedup();
        calls.sort();
        calls.dedup();
        DeskEvent::Changed {
            consultations,
            callbacks,
            clients,
            operators,
            threads,
            quick_replies,
            visits,
            calls,
            clinical,
        }
    }
}

/// What the policy needs to know of every cached consultation and callback.
async fn known_from(cache: &Cache) -> CoreResult<Known> {
    let mut known = Known::default();
    for c in cache
        .consultations(
            &[
                careline_protocol::ConsultationStatus::New,
                careline_protocol::ConsultationStatus::Active,
            ],
            true,
            i64::MAX,
        )
        .await?
    {
        known.learn(&EventData::Consultation(c));
    }
    for cb in cache.open_callbacks(i64::MAX).await? {
        known.learn(&EventData::Callback(cb));
    }
    Ok(known)
}

/// Follows the server until the session is refused.
async fn follow(desk: Arc<Desk>, emit: Emit) {
    let result = live::follow(&desk.remote, &desk.cache, &desk.wake, |u| {
        match u {
            Update::Live => {
                desk.state.lock().expect("desk state").online = true;
                desk.kick.notify_one();
                emit(DeskEvent::Connection {
                    online: true,
                    retry_in_ms: None,
                });
                // Caught up over REST: anything may have changed.
                emit(DeskEvent::Reloaded);
                // The catch-up's events went past the policy: learn them from the cache, without
                // forgetting what live events teach meanwhile.
                let generation = desk
                    .state
                    .lock()
                    .expect("desk state")
                    .memory
                    .rebuild_begins();
                let d = desk.clone();
                let after = tokio::spawn(async move {
                    if let Ok(k) = known_from(&d.cache).await {
                        d.state
                            .lock()
                            .expect("desk state")
                            .memory
                            .rebuilt(generation, k);
                    }
                    // The desk's settings (SLA thresholds) as they are now; later changes arrive
                    // as events.
                    if let Err(e) = d.supervision().desk_settings().await {
                        tracing::debug!(error = %e, "fetching the desk's settings");
                    }
                    if let Err(e) = d.files.fetch(&d.remote, &d.cache).await {
                        tracing::debug!(error = %e, "fetching files");
                    }
                });
                let mut tasks = desk.tasks.lock().expect("desk tasks");
                tasks.retain(|t| !t.is_finished());
                tasks.push(after);
            }
            Update::Applied(events) => {
                emit(desk.on_applied(&events));
                let work = {
                    let s = desk.state.lock().expect("desk state");
                    !s.files_wanted.is_empty() || s.sweep_files
                };
                if work {
                    desk.files_kick.notify_one();
                }
            }
            Update::Offline { retry_in } => {
                desk.state.lock().expect("desk state").online = false;
                emit(DeskEvent::Connection {
                    online: false,
                    retry_in_ms: Some(retry_in.as_millis() as u64),
                });
            }
            Update::Resynced => emit(DeskEvent::Reloaded),
        }
        true
    })
    .await;
    if let Err(e) = result {
        desk.end_session(e, &emit);
    }
}

/// Sends the outbox whenever something is queued, and retries while anything waits.
async fn send_outbox(desk: Arc<Desk>, emit: Emit) {
    loop {
        let _ = tokio::time::timeout(OUTBOX_RETRY, desk.kick.notified()).await;
        let waiting = match desk.cache.outbox().await {
            Ok(entries) => entries.iter().any(|e| e.state == "pending"),
            Err(_) => false,
        };
        if !waiting {
            continue;
        }
        match desk.cache.flush(&desk.remote).await {
            Ok(f) if f.session_ended.is_some() => {
                let refusal = f.session_ended.expect("checked");
                return desk.end_session(CoreError::Refused(refusal), &emit);
            }
            Ok(f) if f.sent > 0 || f.refused > 0 => {
                // The server answers again: the follower need not wait out its backoff.
                if !desk.state.lock().expect("desk state").online {
                    desk.wake.notify_one();
                }
                emit(DeskEvent::Outbox {
                    sent: f.sent,
                    refused: f.refused,
                })
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "sending the outbox"),
        }
    }
}

/// How often the reminders read the next day's visits from the server.
const AGENDA_REFRESH: std::time::Duration = std::time::Duration::from_secs(300);

/// Callback reminders, long waits, SLA breaches and visits, looked for every few seconds.
async fn remind(desk: Arc<Desk>) {
    // The first sync's snapshot has no visits (they come with events and the agenda): the next
    // day's are read from the server now and every few minutes, so a desk started after a
    // booking still reminds of it.
    let mut agenda_read: Option<std::time::Instant> = None;
    loop {
        tokio::time::sleep(REMINDER_TICK).await;
        if agenda_read.is_none_or(|t| t.elapsed() > AGENDA_REFRESH) {
            let now = Utc::now();
            let near = desk
                .visits()
                .agenda(
                    now - chrono::Duration::hours(1),
                    now + chrono::Duration::days(1),
                    None,
                )
                .await;
            if near.is_ok() {
                agenda_read = Some(std::time::Instant::now());
            }
        }
        let Ok(callbacks) = desk.cache.open_callbacks(i64::MAX).await else {
            continue;
        };
        let Ok(queue) = desk
            .cache
            .consultations(
                &[careline_protocol::ConsultationStatus::New],
                true,
                i64::MAX,
            )
            .await
        else {
            continue;
        };
        let late = desk
            .late_items(&queue, &callbacks)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "looking for SLA breaches");
                Vec::new()
            });
        let now = Utc::now();
        let visits = desk.visits_near(now).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "looking for visits to tell of");
            Vec::new()
        });
        let admin = desk.session.role == "admin";
        let mut s = desk.state.lock().expect("desk state");
        let s = &mut *s;
        let op = notify::Operator {
            me: desk.session.user_id,
            role: desk
                .session
                .role
                .parse()
                .unwrap_or(careline_protocol::Role::Operator),
            presence: s.presence,
            in_front: s.in_front,
        };
        let due = s.given.due(now, &callbacks, &queue, op, &s.settings);
        s.burst.extend(due);
        let breaches = s.given.due_breaches(now, &late, op, &s.settings);
        s.burst.extend(breaches);
        let told = s.given.due_visits(now, &visits, op, admin, &s.settings);
        s.burst.extend(told);
    }
}

/// At most this many files of new messages wait to be fetched; older ones beyond it are left
/// to the full fetch after the next connect.
const FILES_WANTED_MAX: usize = 256;

/// Fetches the files of messages as they arrive (the client's photo, the operator's own
/// upload), newest first, one at a time, and tells the window to redraw their threads.
async fn fetch_files(desk: Arc<Desk>, emit: Emit) {
    loop {
        desk.files_kick.notified().await;
        if std::mem::take(&mut desk.state.lock().expect("desk state").sweep_files) {
            match desk.files.sweep(&desk.cache).await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "files of an erased client removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sweeping the attachment store"),
            }
        }
        loop {
            let next = {
                let mut s = desk.state.lock().expect("desk state");
                if s.files_wanted.len() > FILES_WANTED_MAX {
                    s.files_wanted.sort_by_key(|w| w.0);
                    let extra = s.files_wanted.len() - FILES_WANTED_MAX;
                    s.files_wanted.drain(..extra);
                }
                // The newest message's file first.
                let newest = s
                    .files_wanted
                    .iter()
                    .enumerate()
                    .max_by_key(|(_, w)| w.0)
                    .map(|(i, _)| i);
                newest.map(|i| s.files_wanted.swap_remove(i))
            };
            let Some((_, client_id, attachment)) = next else {
                break;
            };
            match desk
                .files
                .fetch_new(&desk.remote, &desk.cache, &attachment)
                .await
            {
                Ok(true) => emit(DeskEvent::Changed {
                    consultations: false,
                    callbacks: false,
                    clients: false,
                    operators: false,
                    threads: vec![client_id],
                    quick_replies: false,
                    visits: false,
                    calls: Vec::new(),
                    clinical: false,
                }),
                Ok(false) => {}
                Err(e) => tracing::debug!(error = %e, "fetching the file of a new message"),
            }
        }
    }
}

/// Shows what gathered in a burst, coalesced.
async fn show_bursts(desk: Arc<Desk>, emit: Emit) {
    loop {
        tokio::time::sleep(BURST).await;
        let shown = {
            let mut s = desk.state.lock().expect("desk state");
            if s.burst.is_empty() {
                continue;
            }
            let burst = std::mem::take(&mut s.burst);
            notify::coalesce(&burst, &s.settings)
        };
        for n in shown {
            emit(DeskEvent::Notify { notification: n });
        }
    }
}
