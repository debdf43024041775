//! The commands the UI calls (through `ui/src/api.ts`, the one typed module): each a line or
//! two over the desk.

use std::path::PathBuf;
use std::sync::Arc;

use careline_core::desk;
use careline_core::desk::{
    CallbackRow, CallbackView, ClientProfile, ConsultationRow, ConsultationView, Counts,
    ListCursor, ListFilter, ListPage, OperatorRow, SearchHit, ThreadPage,
};
use careline_core::desk::{Desk, DeskEvent, Entry, Me, Op, Session, Settings};
use careline_core::{LocalCode, UiError};
use careline_protocol::{Client, CreateOperatorRequest, Operator, UpdateOperatorRequest};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;
use uuid::Uuid;

use crate::Shell;

type Res<T> = Result<T, UiError>;

/// What the window needs to start: who is logged in (none: show the login form), the
/// language, and the defaults of the login form.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Boot {
    pub me: Option<Me>,
    pub lang: String,
    /// The language was set by CARELINE_LANG: it wins over the one chosen in the settings.
    pub lang_fixed: bool,
    pub server: String,
    pub login: String,
    /// Why the automatic login failed, if it did.
    pub error: Option<UiError>,
}

fn cache_path(session: &Session) -> PathBuf {
    std::env::var_os("CARELINE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| session.default_cache_path())
}

async fn open(app: &AppHandle, shell: &Shell, session: Session) -> Res<Me> {
    let desk = Desk::open(session.clone(), cache_path(&session)).await?;
    let me = desk.me();
    shell.install(app, desk).await;
    Ok(me)
}

/// Opens the desk at start: the session from CARELINE_SERVER/LOGIN/PASSWORD (kiosks, the run
/// command, tests), else the remembered one, else none.
#[tauri::command]
pub async fn boot(app: AppHandle, shell: State<'_, Shell>) -> Res<Boot> {
    let server = std::env::var("CARELINE_SERVER").unwrap_or_default();
    let login = std::env::var("CARELINE_LOGIN").unwrap_or_default();
    let mut boot = Boot {
        me: None,
        lang: shell.lang(),
        lang_fixed: std::env::var_os("CARELINE_LANG").is_some(),
        server: server.clone(),
        login: login.clone(),
        error: None,
    };
    if let Some(desk) = shell.has_desk().await.filter(|d| !d.ended()) {
        boot.me = Some(desk.me());
        return Ok(boot);
    }
    let remembered = Session::load().filter(|s| {
        server.is_empty() || (s.server == server.trim_end_matches('/') && s.login == login)
    });
    if let Some(s) = remembered {
        boot.me = Some(open(&app, &shell, s).await?);
    } else if let (false, false, Ok(password)) = (
        server.is_empty(),
        login.is_empty(),
        std::env::var("CARELINE_PASSWORD"),
    ) {
        match Session::login(&server, &login, &password).await {
            Ok(s) => boot.me = Some(open(&app, &shell, s).await?),
            Err(e) => boot.error = Some(e.into()),
        }
    }
    Ok(boot)
}

#[tauri::command]
pub async fn login(
    app: AppHandle,
    shell: State<'_, Shell>,
    server: String,
    login: String,
    password: String,
) -> Res<Me> {
    let session = Session::login(server.trim(), login.trim(), &password).await?;
    open(&app, &shell, session).await
}

#[tauri::command]
pub async fn logout(shell: State<'_, Shell>, wipe: bool) -> Res<()> {
    if let Some(desk) = shell.remove().await {
        desk.logout(wipe).await;
    }
    Ok(())
}

/// The one channel the desk's events reach the UI through.
#[tauri::command]
pub fn subscribe(shell: State<'_, Shell>, events: Channel<DeskEvent>) {
    shell.subscribe(events);
}

#[tauri::command]
pub async fn counts(shell: State<'_, Shell>) -> Res<Counts> {
    Ok(shell.desk().await?.counts().await?)
}

/// A page of a consultation list: `after` is the previous page's `next` (none for the first).
#[tauri::command]
pub async fn list(
    shell: State<'_, Shell>,
    view: ConsultationView,
    filter: ListFilter,
    after: Option<ListCursor>,
    limit: i64,
) -> Res<ListPage> {
    let desk = shell.desk().await?;
    Ok(desk.views().list_page(view, &filter, after, limit).await?)
}

/// One consultation as a list row (for the chat's header).
#[tauri::command]
pub async fn consultation(shell: State<'_, Shell>, id: Uuid) -> Res<Option<ConsultationRow>> {
    let desk = shell.desk().await?;
    Ok(desk.views().consultation_row(id).await?)
}

#[tauri::command]
pub async fn thread(
    shell: State<'_, Shell>,
    client_id: Uuid,
    before_seq: Option<i64>,
    limit: i64,
) -> Res<ThreadPage> {
    Ok(shell
        .desk()
        .await?
        .views()
        .thread_page(client_id, before_seq, limit.clamp(1, 500))
        .await?)
}

#[tauri::command]
pub async fn thread_after(
    shell: State<'_, Shell>,
    client_id: Uuid,
    after_seq: i64,
    limit: i64,
) -> Res<ThreadPage> {
    Ok(shell
        .desk()
        .await?
        .views()
        .thread_page_after(client_id, after_seq, limit.clamp(1, 500))
        .await?)
}

/// Anything the operator does (through the outbox: works offline).
#[tauri::command]
pub async fn act(shell: State<'_, Shell>, op: Op) -> Res<i64> {
    Ok(shell.desk().await?.act(op).await?)
}

#[tauri::command]
pub async fn send_file(
    shell: State<'_, Shell>,
    consultation_id: Uuid,
    name: String,
    bytes: Vec<u8>,
    internal: bool,
) -> Res<i64> {
    Ok(shell
        .desk()
        .await?
        .send_file(consultation_id, &name, bytes, internal)
        .await?)
}

/// A file dropped on the window.
#[tauri::command]
pub async fn send_path(
    shell: State<'_, Shell>,
    consultation_id: Uuid,
    path: PathBuf,
    internal: bool,
) -> Res<i64> {
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| UiError::local(LocalCode::File, format!("{}: {e}", path.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    Ok(shell
        .desk()
        .await?
        .send_file(consultation_id, &name, bytes, internal)
        .await?)
}

#[tauri::command]
pub async fn outbox(shell: State<'_, Shell>) -> Res<Vec<Entry>> {
    Ok(shell.desk().await?.outbox().await?)
}

#[tauri::command]
pub async fn retry(shell: State<'_, Shell>, id: i64) -> Res<()> {
    Ok(shell.desk().await?.retry(id).await?)
}

#[tauri::command]
pub async fn dismiss(shell: State<'_, Shell>, id: i64) -> Res<()> {
    Ok(shell.desk().await?.dismiss(id).await?)
}

#[tauri::command]
pub async fn callbacks(
    shell: State<'_, Shell>,
    view: CallbackView,
    text: Option<String>,
) -> Res<Vec<CallbackRow>> {
    Ok(shell
        .desk()
        .await?
        .views()
        .callback_list(view, text.as_deref())
        .await?)
}

#[tauri::command]
pub async fn callback(shell: State<'_, Shell>, id: Uuid) -> Res<Option<CallbackRow>> {
    Ok(shell.desk().await?.views().callback(id).await?)
}

#[tauri::command]
pub async fn clients(shell: State<'_, Shell>, query: Option<String>) -> Res<Vec<Client>> {
    Ok(shell
        .desk()
        .await?
        .views()
        .client_list(query.as_deref())
        .await?)
}

/// A client's profile from the cache; the view is recorded in the server's audit log.
#[tauri::command]
pub async fn client_profile(shell: State<'_, Shell>, id: Uuid) -> Res<Option<ClientProfile>> {
    let desk = shell.desk().await?;
    desk.audit_profile_view(id);
    Ok(desk.views().client_profile(id).await?)
}

/// Known clients with this phone (however written): offered instead of a duplicate.
#[tauri::command]
pub async fn clients_with_phone(shell: State<'_, Shell>, phone: String) -> Res<Vec<Client>> {
    Ok(shell
        .desk()
        .await?
        .reception()
        .clients_with_phone(&phone)
        .await?)
}

/// Reception records a client (online or offline); in the cache at once.
#[tauri::command]
pub async fn create_client(
    shell: State<'_, Shell>,
    req: careline_protocol::CreateClientRequest,
) -> Res<Client> {
    Ok(shell.desk().await?.reception().create_client(req).await?)
}

/// A callback request made by staff (online or offline); in the queue at once.
#[tauri::command]
pub async fn create_callback(
    shell: State<'_, Shell>,
    req: careline_protocol::CreateCallbackRequest,
) -> Res<careline_protocol::Callback> {
    Ok(shell.desk().await?.reception().create_callback(req).await?)
}

/// The team's quick replies and mine; offline, the ones fetched last.
#[tauri::command]
pub async fn quick_replies(shell: State<'_, Shell>) -> Res<Vec<careline_protocol::QuickReply>> {
    Ok(shell.desk().await?.replies().quick_replies().await?)
}

/// A new reply (`id` null) or a changed one (online only); the list as it is now.
#[tauri::command]
pub async fn save_quick_reply(
    shell: State<'_, Shell>,
    id: Option<Uuid>,
    req: careline_protocol::QuickReplyRequest,
) -> Res<Vec<careline_protocol::QuickReply>> {
    Ok(shell
        .desk()
        .await?
        .replies()
        .save_quick_reply(id, &req)
        .await?)
}

#[tauri::command]
pub async fn delete_quick_reply(
    shell: State<'_, Shell>,
    id: Uuid,
) -> Res<Vec<careline_protocol::QuickReply>> {
    Ok(shell.desk().await?.replies().delete_quick_reply(id).await?)
}

/// Webhook endpoints (admin; online only).
#[tauri::command]
pub async fn webhooks(shell: State<'_, Shell>) -> Res<Vec<careline_protocol::WebhookEndpoint>> {
    Ok(shell.desk().await?.supervision().webhooks().await?)
}

#[tauri::command]
pub async fn create_webhook(
    shell: State<'_, Shell>,
    req: careline_protocol::CreateWebhookRequest,
) -> Res<careline_protocol::WebhookCreated> {
    Ok(shell
        .desk()
        .await?
        .supervision()
        .create_webhook(&req)
        .await?)
}

#[tauri::command]
pub async fn update_webhook(
    shell: State<'_, Shell>,
    id: Uuid,
    req: careline_protocol::UpdateWebhookRequest,
) -> Res<careline_protocol::WebhookEndpoint> {
    Ok(shell
        .desk()
        .await?
        .supervision()
        .update_webhook(id, &req)
        .await?)
}

#[tauri::command]
pub async fn delete_webhook(shell: State<'_, Shell>, id: Uuid) -> Res<()> {
    Ok(shell.desk().await?.supervision().delete_webhook(id).await?)
}

/// The newest deliveries to an endpoint.
#[tauri::command]
pub async fn webhook_deliveries(
    shell: State<'_, Shell>,
    id: Uuid,
    status: Option<careline_protocol::DeliveryStatus>,
) -> Res<Vec<careline_protocol::WebhookDelivery>> {
    Ok(shell
        .desk()
        .await?
        .supervision()
        .webhook_deliveries(id, status)
        .await?)
}

#[tauri::command]
pub async fn operators(shell: State<'_, Shell>) -> Res<Vec<OperatorRow>> {
    Ok(shell.desk().await?.views().operator_list().await?)
}

#[tauri::command]
pub async fn search(shell: State<'_, Shell>, query: String) -> Res<Vec<SearchHit>> {
    Ok(shell.desk().await?.views().search_hits(&query, 50).await?)
}

/// Cached messages not searchable yet (a first download is being indexed).
#[tauri::command]
pub async fn search_backlog(shell: State<'_, Shell>) -> Res<i64> {
    Ok(shell.desk().await?.unindexed().await?)
}

#[tauri::command]
pub async fn set_in_front(shell: State<'_, Shell>, consultation_id: Option<Uuid>) -> Res<()> {
    let desk = shell.desk().await?;
    desk.set_in_front(consultation_id.filter(|_| shell.focused()));
    Ok(())
}

#[tauri::command]
pub async fn mark_read(shell: State<'_, Shell>, consultation_id: Uuid) -> Res<()> {
    Ok(shell.desk().await?.mark_read(consultation_id).await?)
}

#[tauri::command]
pub async fn settings(shell: State<'_, Shell>) -> Res<Settings> {
    Ok(shell.desk().await?.settings())
}

#[tauri::command]
pub async fn set_settings(shell: State<'_, Shell>, settings: Settings) -> Res<()> {
    Ok(shell.desk().await?.set_settings(settings).await?)
}

/// Calls a phone number: `tel:` through the system, or the `CARELINE_SIP_TEMPLATE` URI
/// (`{phone}` is replaced: e.g. `sip:{phone}@pbx.clinic.example`).
#[tauri::command]
pub fn call(app: AppHandle, phone: String) -> Res<String> {
    let digits: String = phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    let uri = match std::env::var("CARELINE_SIP_TEMPLATE") {
        Ok(t) if !t.is_empty() => t.replace("{phone}", &digits),
        _ => format!("tel:{digits}"),
    };
    app.opener()
        .open_url(&uri, None::<&str>)
        .map_err(|e| UiError::local(LocalCode::File, format!("{uri}: {e}")))?;
    Ok(uri)
}

/// Opens a call's page in the system browser; `CARELINE_CALL_OPENER` (a program) opens it
/// instead where set (a kiosk browser, or the end-to-end test's recorder).
fn open_call_page(app: &AppHandle, link: &str) -> Res<()> {
    match std::env::var("CARELINE_CALL_OPENER") {
        Ok(program) if !program.is_empty() => std::process::Command::new(&program)
            .arg(link)
            .spawn()
            .map(|_| ())
            .map_err(|e| UiError::local(LocalCode::File, format!("{program}: {e}"))),
        _ => app
            .opener()
            .open_url(link, None::<&str>)
            .map_err(|e| UiError::local(LocalCode::File, format!("opening the call page: {e}"))),
    }
}

/// An image attachment from the local store as a data URL (none until it was fetched).
#[tauri::command]
pub async fn image(
    shell: State<'_, Shell>,
    sha256: String,
    media_type: String,
) -> Res<Option<String>> {
    use base64::Engine as _;
    let desk = shell.desk().await?;
    let Ok(Some(bytes)) = tokio::task::spawn_blocking(move || desk.files().read(&sha256)).await
    else {
        return Ok(None);
    };
    Ok(Some(format!(
        "data:{media_type};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )))
}

/// An audio or video attachment as a `data:` URL to play in the chat (fetched if it is not
/// here); none when it cannot be had or is too big to play inline (then it is opened instead).
#[tauri::command]
pub async fn media(
    shell: State<'_, Shell>,
    attachment: careline_protocol::Attachment,
) -> Res<Option<String>> {
    use base64::Engine as _;
    const INLINE_MAX: i64 = 40 * 1024 * 1024;
    let desk = shell.desk().await?;
    if attachment.size > INLINE_MAX || !desk.ensure_file(&attachment).await? {
        return Ok(None);
    }
    let sha = attachment.sha256.clone();
    let Ok(Some(bytes)) = tokio::task::spawn_blocking(move || desk.files().read(&sha)).await else {
        return Ok(None);
    };
    Ok(Some(format!(
        "data:{};base64,{}",
        attachment.media_type,
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )))
}

/// Opens an attachment with the system's program for it, fetching the original first if the
/// store let it go (an old photo opened from its thumbnail).
#[tauri::command]
pub async fn open_attachment(
    app: AppHandle,
    shell: State<'_, Shell>,
    attachment: careline_protocol::Attachment,
) -> Res<bool> {
    let desk: Arc<Desk> = shell.desk().await?;
    if !desk.ensure_file(&attachment).await? {
        return Ok(false);
    }
    open_file(
        app,
        shell,
        attachment.sha256,
        attachment.file_name,
        attachment.media_type,
    )
    .await
}

/// Opens an attachment from the local store with the system's program for it (decrypted into
/// a folder of the user's alone, emptied at the next start and at logout) — only when its name
/// ends in a safe extension for its media type (`careline_core::desk::openable`). Anything
/// else is saved into the Downloads folder under a name no program runs, and the window is
/// told where (`file_not_opened`): never run.
#[tauri::command]
pub async fn open_file(
    app: AppHandle,
    shell: State<'_, Shell>,
    sha256: String,
    file_name: String,
    media_type: String,
) -> Res<bool> {
    let desk: Arc<Desk> = shell.desk().await?;
    if !careline_core::desk::openable(&media_type, &file_name) {
        let dir = careline_core::desk::save_dir();
        let saved = tokio::task::spawn_blocking(move || {
            desk.files().save_blocked(&sha256, &file_name, &dir)
        })
        .await
        .map_err(|e| UiError::local(LocalCode::File, e.to_string()))?;
        let Some(path) = saved? else {
            return Ok(false);
        };
        return Err(UiError::local(
            LocalCode::FileNotOpened,
            path.display().to_string(),
        ));
    }
    let exported = tokio::task::spawn_blocking(move || desk.files().export(&sha256, &file_name))
        .await
        .map_err(|e| UiError::local(LocalCode::File, e.to_string()))?;
    let Some(path) = exported? else {
        return Ok(false);
    };
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|e| UiError::local(LocalCode::File, e.to_string()))?;
    Ok(true)
}

#[tauri::command]
pub async fn create_operator(shell: State<'_, Shell>, req: CreateOperatorRequest) -> Res<Operator> {
    Ok(shell
        .desk()
        .await?
        .supervision()
        .create_operator(&req)
        .await?)
}

/// A claim code for a record reception made: the patient registers with it to take the record
/// over (shown once).
#[tauri::command]
pub async fn claim_code(shell: State<'_, Shell>, id: Uuid) -> Res<careline_protocol::ClaimCode> {
    Ok(shell.desk().await?.reception().claim_code(id).await?)
}

/// Erases a client (admin): everything of them leaves the server and every desk.
#[tauri::command]
pub async fn erase_client(shell: State<'_, Shell>, id: Uuid) -> Res<()> {
    Ok(shell.desk().await?.supervision().erase_client(id).await?)
}

/// The consultations report (the last one fetched when offline).
#[tauri::command]
pub async fn consultation_report(
    shell: State<'_, Shell>,
    query: careline_protocol::ReportQuery,
) -> Res<careline_core::desk::ReportView> {
    Ok(shell
        .desk()
        .await?
        .reports()
        .consultation_report(&query)
        .await?)
}

/// The operators' report (the last one fetched when offline).
#[tauri::command]
pub async fn operator_report(
    shell: State<'_, Shell>,
    query: careline_protocol::ReportQuery,
) -> Res<careline_core::desk::OperatorReportView> {
    Ok(shell
        .desk()
        .await?
        .reports()
        .operator_report(&query)
        .await?)
}

/// Sessions of an operator (admin) or mine.
#[tauri::command]
pub async fn sessions(
    shell: State<'_, Shell>,
    user_id: Option<Uuid>,
) -> Res<Vec<careline_protocol::SessionInfo>> {
    Ok(shell.desk().await?.supervision().sessions(user_id).await?)
}

#[tauri::command]
pub async fn revoke_session(shell: State<'_, Shell>, id: String) -> Res<()> {
    Ok(shell
        .desk()
        .await?
        .supervision()
        .revoke_session(&id)
        .await?)
}

#[tauri::command]
pub async fn update_operator(
    shell: State<'_, Shell>,
    id: Uuid,
    req: UpdateOperatorRequest,
) -> Res<Operator> {
    Ok(shell
        .desk()
        .await?
        .supervision()
        .update_operator(id, &req)
        .await?)
}

#[tauri::command]
pub async fn callback_report(
    shell: State<'_, Shell>,
    query: careline_protocol::ReportQuery,
) -> Res<careline_core::desk::CallbackReportView> {
    Ok(shell
        .desk()
        .await?
        .reports()
        .callback_report(&query)
        .await?)
}

#[tauri::command]
pub async fn billing_report(
    shell: State<'_, Shell>,
    query: careline_protocol::ReportQuery,
) -> Res<careline_core::desk::BillingReportView> {
    Ok(shell.desk().await?.reports().billing_report(&query).await?)
}

/// The consultations behind a figure (online only).
#[tauri::command]
pub async fn report_items(
    shell: State<'_, Shell>,
    query: careline_protocol::ReportItemsQuery,
) -> Res<careline_protocol::ReportItems> {
    Ok(shell.desk().await?.reports().report_items(&query).await?)
}

#[tauri::command]
pub async fn audit(
    shell: State<'_, Shell>,
    query: careline_protocol::AuditQuery,
) -> Res<careline_core::desk::AuditPage> {
    Ok(shell.desk().await?.reports().audit(&query).await?)
}

/// Saves a report (or the audit log) as CSV in the downloads folder; the file's path.
#[tauri::command]
pub async fn export_csv(
    shell: State<'_, Shell>,
    export: careline_core::desk::Export,
) -> Res<String> {
    Ok(shell
        .desk()
        .await?
        .reports()
        .export_csv(&export)
        .await?
        .display()
        .to_string())
}

/// Shows a file (an export) in the system's file manager.
#[tauri::command]
pub fn reveal(app: AppHandle, path: String) -> Res<()> {
    app.opener()
        .reveal_item_in_dir(&path)
        .map_err(|e| UiError::local(LocalCode::File, e.to_string()))
}

/// The live board, from the cache.
#[tauri::command]
pub async fn board(shell: State<'_, Shell>) -> Res<careline_core::desk::Board> {
    Ok(shell.desk().await?.reports().board().await?)
}

#[tauri::command]
pub async fn tariffs(shell: State<'_, Shell>) -> Res<Vec<careline_protocol::Tariff>> {
    Ok(shell.desk().await?.supervision().tariffs().await?)
}

#[tauri::command]
pub async fn create_tariff(
    shell: State<'_, Shell>,
    req: careline_protocol::CreateTariffRequest,
) -> Res<careline_protocol::Tariff> {
    Ok(shell
        .desk()
        .await?
        .supervision()
        .create_tariff(&req)
        .await?)
}

/// Red-flag rules (admin; online only).
#[tauri::command]
pub async fn red_flags(shell: State<'_, Shell>) -> Res<Vec<careline_protocol::RedFlagRule>> {
    Ok(shell.desk().await?.supervision().red_flags().await?)
}

/// A new rule (`id` none) or a rule's new state.
#[tauri::command]
pub async fn save_red_flag(
    shell: State<'_, Shell>,
    id: Option<Uuid>,
    req: careline_protocol::RedFlagRuleRequest,
) -> Res<careline_protocol::RedFlagRule> {
    Ok(shell
        .desk()
        .await?
        .supervision()
        .save_red_flag(id, &req)
        .await?)
}

#[tauri::command]
pub async fn delete_red_flag(shell: State<'_, Shell>, id: Uuid) -> Res<()> {
    Ok(shell
        .desk()
        .await?
        .supervision()
        .delete_red_flag(id)
        .await?)
}

/// Which rule fires on a text, if any (nothing changes).
#[tauri::command]
pub async fn test_red_flags(shell: State<'_, Shell>, text: String) -> Res<Option<String>> {
    Ok(shell
        .desk()
        .await?
        .supervision()
        .test_red_flags(&text)
        .await?)
}

/// Assignment policy and SLA thresholds; offline, the last ones fetched.
#[tauri::command]
pub async fn desk_settings(shell: State<'_, Shell>) -> Res<careline_protocol::DeskSettings> {
    Ok(shell.desk().await?.supervision().desk_settings().await?)
}

#[tauri::command]
pub async fn set_desk_settings(
    shell: State<'_, Shell>,
    settings: careline_protocol::DeskSettings,
) -> Res<careline_protocol::DeskSettings> {
    Ok(shell
        .desk()
        .await?
        .supervision()
        .set_desk_settings(&settings)
        .await?)
}

#[tauri::command]
pub fn set_language(shell: State<'_, Shell>, lang: String) {
    shell.set_lang(&lang);
}

/// The window shows the operator's queue: with `CARELINE_STARTUP_TRACE` set, say how long the
/// start took (the app benchmark reads it).
#[tauri::command]
pub async fn ready(shell: State<'_, Shell>) -> Res<()> {
    if std::env::var_os("CARELINE_STARTUP_TRACE").is_some() {
        if let Some(t) = crate::STARTED.get() {
            eprintln!("careline: interactive after {} ms", t.elapsed().as_millis());
        }
    }
    // What the start read stays decrypted in SQLite's page caches: give it back, then trim.
    if let Ok(desk) = shell.desk().await {
        desk.shrink_memory().await;
    }
    crate::memory::trim_after_start();
    Ok(())
}

/// Visits starting in `[from, to)` by start time: one specialist's (`operator_id`) or
/// everyone's; offline, what the cache kept.
#[tauri::command]
pub async fn agenda(
    shell: State<'_, Shell>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    operator_id: Option<Uuid>,
) -> Res<Vec<desk::AgendaRow>> {
    Ok(shell
        .desk()
        .await?
        .visits()
        .agenda(from, to, operator_id)
        .await?)
}

/// The specialists patients may book (online).
#[tauri::command]
pub async fn specialists(shell: State<'_, Shell>) -> Res<Vec<careline_protocol::Specialist>> {
    Ok(shell.desk().await?.visits().specialists().await?)
}

/// Free slots of a kind of visit (online): of one specialist, or of a specialty's.
#[tauri::command]
pub async fn free_slots(
    shell: State<'_, Shell>,
    kind: careline_protocol::ConsultationKind,
    specialty: Option<String>,
    operator_id: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Res<Vec<careline_protocol::Slot>> {
    let q = careline_protocol::SlotQuery {
        kind,
        specialty,
        operator_id,
        language: None,
        from: Some(from),
        to: Some(to),
    };
    Ok(shell.desk().await?.visits().slots(&q).await?)
}

/// Books a caller into a free slot (online).
#[tauri::command]
pub async fn book_visit(
    shell: State<'_, Shell>,
    req: careline_protocol::BookRequest,
) -> Res<desk::AgendaRow> {
    Ok(shell.desk().await?.visits().book(&req).await?)
}

/// Moves a booked visit to another free slot of its specialist (online).
#[tauri::command]
pub async fn reschedule_visit(
    shell: State<'_, Shell>,
    id: Uuid,
    starts_at: DateTime<Utc>,
) -> Res<desk::AgendaRow> {
    Ok(shell
        .desk()
        .await?
        .visits()
        .reschedule(id, starts_at)
        .await?)
}

/// Cancels a visit that has not begun (online).
#[tauri::command]
pub async fn cancel_visit(
    shell: State<'_, Shell>,
    id: Uuid,
    reason: Option<String>,
) -> Res<desk::AgendaRow> {
    Ok(shell.desk().await?.visits().cancel(id, reason).await?)
}

/// The specialist declines a visit with a reason; the patient is told and refunded (online).
#[tauri::command]
pub async fn decline_visit(
    shell: State<'_, Shell>,
    id: Uuid,
    reason: String,
) -> Res<desk::AgendaRow> {
    Ok(shell.desk().await?.visits().decline(id, reason).await?)
}

/// A specialist's schedule (online).
#[tauri::command]
pub async fn schedule(
    shell: State<'_, Shell>,
    operator_id: Uuid,
) -> Res<careline_protocol::Schedule> {
    Ok(shell.desk().await?.visits().schedule(operator_id).await?)
}

/// Replaces a specialist's schedule: my own, or (an admin) anyone's (online).
#[tauri::command]
pub async fn set_schedule(
    shell: State<'_, Shell>,
    operator_id: Uuid,
    req: careline_protocol::ScheduleRequest,
) -> Res<careline_protocol::Schedule> {
    Ok(shell
        .desk()
        .await?
        .visits()
        .set_schedule(operator_id, &req)
        .await?)
}

/// Rings the consultation's client (online) and opens the call's page in the system browser
/// (the desk's web view has no WebRTC on Linux); the desk shows the call's state from events.
#[tauri::command]
pub async fn start_call(
    app: AppHandle,
    shell: State<'_, Shell>,
    consultation_id: Uuid,
    media: careline_protocol::CallMedia,
) -> Res<careline_protocol::Call> {
    let (call, link) = shell
        .desk()
        .await?
        .calls()
        .start(consultation_id, media)
        .await?;
    open_call_page(&app, &link)?;
    Ok(call)
}

/// Opens a running call's page again (its window was closed), with a new one-time link.
#[tauri::command]
pub async fn open_call(app: AppHandle, shell: State<'_, Shell>, call_id: Uuid) -> Res<()> {
    let link = shell.desk().await?.calls().link(call_id).await?;
    open_call_page(&app, &link)
}

/// Ends a call from the desk (online).
#[tauri::command]
pub async fn hang_up_call(shell: State<'_, Shell>, call_id: Uuid) -> Res<careline_protocol::Call> {
    Ok(shell.desk().await?.calls().hang_up(call_id).await?)
}

/// The consultation's latest call, from the cache.
#[tauri::command]
pub async fn latest_call(
    shell: State<'_, Shell>,
    consultation_id: Uuid,
) -> Res<Option<careline_protocol::Call>> {
    Ok(shell.desk().await?.calls().latest(consultation_id).await?)
}

/// A consultation's prescriptions, from the cache (offline too).
#[tauri::command]
pub async fn prescriptions_of(
    shell: State<'_, Shell>,
    consultation_id: Uuid,
) -> Res<Vec<careline_protocol::Prescription>> {
    Ok(shell
        .desk()
        .await?
        .clinical()
        .of_consultation(consultation_id)
        .await?)
}

/// Prescriptions in one state from the cache (`submitted`: the review queue, oldest first).
#[tauri::command]
pub async fn prescriptions_by_status(
    shell: State<'_, Shell>,
    status: careline_protocol::PrescriptionStatus,
) -> Res<Vec<careline_protocol::Prescription>> {
    Ok(shell.desk().await?.clinical().by_status(status).await?)
}

/// The same, asked of the server and kept (online).
#[tauri::command]
pub async fn refresh_prescriptions(
    shell: State<'_, Shell>,
    status: careline_protocol::PrescriptionStatus,
) -> Res<Vec<careline_protocol::Prescription>> {
    Ok(shell.desk().await?.clinical().refresh(status).await?)
}

/// What the check before submit finds (missing fields, a medication twice): the window marks
/// the fields; the desk runs the same check again before it sends.
#[tauri::command]
pub fn check_prescription(
    items: Vec<careline_protocol::PrescriptionItem>,
) -> Vec<careline_protocol::PrescriptionProblem> {
    careline_protocol::check_prescription(&items)
}

/// Saves a draft (a new one when `id` is none); shown at once, sent through the outbox.
#[tauri::command]
pub async fn save_prescription(
    shell: State<'_, Shell>,
    consultation_id: Uuid,
    id: Option<Uuid>,
    request: careline_protocol::PrescriptionRequest,
) -> Res<Uuid> {
    Ok(shell
        .desk()
        .await?
        .clinical()
        .save(consultation_id, id, request)
        .await?)
}

/// Sends a saved draft for the pharmacist's review (through the outbox).
#[tauri::command]
pub async fn submit_prescription(shell: State<'_, Shell>, id: Uuid) -> Res<()> {
    Ok(shell.desk().await?.clinical().submit(id).await?)
}

/// Approve, reject (with a reason) or cancel (with a reason): online.
#[tauri::command]
pub async fn prescription_step(
    shell: State<'_, Shell>,
    id: Uuid,
    step: desk::PrescriptionStep,
    reason: Option<String>,
) -> Res<careline_protocol::Prescription> {
    Ok(shell
        .desk()
        .await?
        .clinical()
        .step(id, step, reason)
        .await?)
}

/// The messages of the consultation behind a prescription (a pharmacist reads them).
#[tauri::command]
pub async fn prescription_thread(
    shell: State<'_, Shell>,
    consultation_id: Uuid,
) -> Res<Vec<careline_protocol::Message>> {
    Ok(shell
        .desk()
        .await?
        .clinical()
        .thread(consultation_id)
        .await?)
}

/// Refunds from the server (all, or those in one state), kept.
#[tauri::command]
pub async fn refunds(
    shell: State<'_, Shell>,
    status: Option<careline_protocol::RefundStatus>,
) -> Res<Vec<careline_protocol::Refund>> {
    Ok(shell.desk().await?.clinical().refunds(status).await?)
}

/// A consultation's refunds, from the cache.
#[tauri::command]
pub async fn refunds_of(
    shell: State<'_, Shell>,
    consultation_id: Uuid,
) -> Res<Vec<careline_protocol::Refund>> {
    Ok(shell
        .desk()
        .await?
        .clinical()
        .refunds_of(consultation_id)
        .await?)
}

/// Asks for a refund of a consultation (amount in minor units, with a reason): online.
#[tauri::command]
pub async fn request_refund(
    shell: State<'_, Shell>,
    consultation_id: Uuid,
    amount: i64,
    reason: String,
) -> Res<careline_protocol::Refund> {
    Ok(shell
        .desk()
        .await?
        .clinical()
        .request_refund(consultation_id, amount, reason)
        .await?)
}

/// An admin approves a refund, or rejects it with a reason: online.
#[tauri::command]
pub async fn decide_refund(
    shell: State<'_, Shell>,
    id: Uuid,
    approve: bool,
    reason: Option<String>,
) -> Res<careline_protocol::Refund> {
    Ok(shell
        .desk()
        .await?
        .clinical()
        .decide_refund(id, approve, reason)
        .await?)
}

/// Where a client stands with each consent, with every answer (online).
#[tauri::command]
pub async fn client_consents(
    shell: State<'_, Shell>,
    client_id: Uuid,
) -> Res<Vec<careline_protocol::ClientConsent>> {
    Ok(shell
        .desk()
        .await?
        .clinical()
        .consents_of(client_id)
        .await?)
}

/// Records a consent given (or withdrawn) by phone, with a note (online).
#[tauri::command]
pub async fn record_consent(
    shell: State<'_, Shell>,
    consent_id: Uuid,
    client_id: Uuid,
    accept: bool,
    version: i64,
    note: Option<String>,
) -> Res<careline_protocol::ConsentRecord> {
    Ok(shell
        .desk()
        .await?
        .clinical()
        .record_consent(consent_id, client_id, accept, version, note)
        .await?)
}

/// The clinic's consent texts (an admin also gets the inactive ones; online).
#[tauri::command]
pub async fn consent_texts(shell: State<'_, Shell>) -> Res<Vec<careline_protocol::Consent>> {
    Ok(shell.desk().await?.clinical().consent_texts().await?)
}

/// An admin writes a consent text (`id` none) or edits one: new words make a new version, asked
/// of every client again.
#[tauri::command]
pub async fn save_consent_text(
    shell: State<'_, Shell>,
    id: Option<Uuid>,
    request: careline_protocol::ConsentRequest,
) -> Res<careline_protocol::Consent> {
    Ok(shell
        .desk()
        .await?
        .clinical()
        .save_consent_text(id, request)
        .await?)
}
