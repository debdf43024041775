// Generated from the Rust types by src-tauri/types.rs (ts-rs). Do not edit.
// Regenerate: CARELINE_BLESS=1 cargo test -p careline-desktop --lib types

export type Role = "client" | "operator" | "admin" | "pharmacist";

export type Presence = "online" | "away" | "busy" | "offline";

export type ConsultationKind = "chat" | "phone" | "video";

export type ConsultationStatus = "new" | "active" | "closed" | "scheduled";

export type Priority = "low" | "normal" | "high" | "urgent";

export type AuthorKind = "client" | "operator" | "system";

export type MessageKind = "text" | "image" | "file" | "audio" | "video" | "system";

export type ClientSource = "app" | "qr" | "phone" | "web";

export type CallbackStatus = "new" | "claimed" | "done" | "failed" | "cancelled";

export type AttemptOutcome = "reached" | "no_answer" | "busy" | "wrong_number";

export type Operator = { id: string, login: string, name: string, role: Role, department: string | null, 
/**
 * Maximum concurrent active consultations.
 */
capacity: number, disabled: boolean, status: Presence, last_seen: string | null, 
/**
 * Active consultations assigned now (the load); filled in lists, not in events.
 */
active_count: number, created_at: string, };

export type SessionInfo = { 
/**
 * Names the session for `DELETE /api/v1/sessions/{id}` (derived from the token's hash).
 */
id: string, user_id: string, created_at: string, expires_at: string, 
/**
 * The session of this request.
 */
current: boolean, };

export type Client = { id: string, name: string, phone: string, email: string | null, gender: string | null, 
/**
 * `YYYY-MM-DD`.
 */
birthday: string | null, city: string | null, height_cm: number | null, weight_kg: number | null, source: ClientSource, tags: Array<string>, 
/**
 * Private operator notes: never sent to the client.
 */
notes: string | null, vip: boolean, blocked: boolean, created_at: string, 
/**
 * Allergies, as written ("пенициллин, орехи"): shown beside every chat with the client.
 */
allergies: string | null, 
/**
 * Long-term medication, as written.
 */
medications: string | null, };

export type ClaimCode = { client_id: string, 
/**
 * Eight letters and digits in two groups (`ABCD-EFGH`); case, spaces and dashes do not
 * matter when it is typed.
 */
code: string, };

export type Consultation = { id: string, client_id: string, kind: ConsultationKind, status: ConsultationStatus, operator_id: string | null, priority: Priority, tags: Array<string>, tariff_id: string | null, 
/**
 * Fixed from the tariff when the consultation was created, in minor units.
 */
price: number, currency: string, 
/**
 * The first message.
 */
subject: string | null, created_at: string, taken_at: string | null, first_response_at: string | null, closed_at: string | null, summary: string | null, rating: number | null, rating_comment: string | null, last_message_at: string | null, 
/**
 * The red-flag phrase that last raised it to `urgent` (see [`RedFlagRule`]).
 */
red_flag: string | null, 
/**
 * The client's own words that rule fired on, as written ("давит в груди" for the rule
 * "дав* в груд*"): what the desk shows, and marks in the message.
 */
red_flag_words: string | null, 
/**
 * The booked visit this consultation carries (see [`Appointment`]); none for one that
 * began in the queue.
 */
appointment_id: string | null, };

export type Attachment = { id: string, 
/**
 * Hex SHA-256 of the content.
 */
sha256: string, file_name: string, media_type: string, size: number, created_at: string, 
/**
 * An image's size (upright) and its thumbnail; none for other files.
 */
image?: ImageInfo | null, };

export type ImageInfo = { width: number, height: number, 
/**
 * Hex SHA-256 of the thumbnail (content-addressed beside the original).
 */
thumb_sha256: string, thumb_width: number, thumb_height: number, thumb_size: number, };

export type Message = { id: string, consultation_id: string, 
/**
 * The client whose thread this is.
 */
client_id: string, author_kind: AuthorKind, 
/**
 * The client or operator who wrote it; none for system messages.
 */
author_id: string | null, kind: MessageKind, body: string, attachment: Attachment | null, client_msg_id: string | null, internal: boolean, created_at: string, seq: number, };

export type SendMessageRequest = { 
/**
 * Made by the sender; sending the same one again stores nothing new.
 */
client_msg_id: string, kind: MessageKind, body: string, attachment_id: string | null, 
/**
 * An operator's note that the client never sees.
 */
internal: boolean, };

export type Callback = { id: string, client_id: string | null, phone: string, 
/**
 * Start of the preferred window; none means "as soon as possible".
 */
preferred_at: string | null, preferred_until: string | null, reason: string | null, status: CallbackStatus, operator_id: string | null, 
/**
 * When the request is due: the preferred time, or the next retry after `no_answer`.
 */
due_at: string, attempts: Array<CallbackAttempt>, created_at: string, closed_at: string | null, };

export type UpdateClientRequest = { name: string | null, email: string | null, gender: string | null, birthday: string | null, city: string | null, height_cm: number | null, weight_kg: number | null, tags: Array<string> | null, notes: string | null, vip: boolean | null, blocked: boolean | null, 
/**
 * The client's phone (also their login), normalised; another client's is refused with
 * `already_exists`.
 */
phone: string | null, 
/**
 * Where the client came from.
 */
source: ClientSource | null, 
/**
 * Allergies; the client may write their own. Empty clears.
 */
allergies: string | null, 
/**
 * Long-term medication; the client may write their own. Empty clears.
 */
medications: string | null, };

export type CreateClientRequest = { 
/**
 * The id the desk gave the record (so a callback request made offline can name it); the
 * server makes one when left out. An id already in use is refused with `already_exists`.
 */
id: string | null, name: string, 
/**
 * Normalised as at registration; a phone another client has is refused with
 * `already_exists` naming that client.
 */
phone: string, email: string | null, gender: string | null, 
/**
 * `YYYY-MM-DD`.
 */
birthday: string | null, city: string | null, 
/**
 * `phone` when left out (reception's usual case).
 */
source: ClientSource | null, tags: Array<string>, notes: string | null, };

export type CreateCallbackRequest = { 
/**
 * The id the sender gave the request (a desk recording it offline); made by the server when
 * left out. An id already in use is refused with `already_exists`.
 */
id: string | null, phone: string, preferred_at: string | null, preferred_until: string | null, reason: string | null, 
/**
 * Staff only: the client this request is for (clients always create their own).
 */
client_id: string | null, };

export type QuickReply = { id: string, 
/**
 * What follows `/` in the composer to find it: one word.
 */
shortcut: string, 
/**
 * May name `{client_name}` and `{operator_name}`.
 */
text: string, 
/**
 * Shown to operators whose interface is in this language; none: in every language.
 */
language: RuleLanguage | null, 
/**
 * The operator whose own reply this is; none: the team's.
 */
owner_id: string | null, updated_at: string, };

export type QuickReplyRequest = { 
/**
 * 1 to 32 characters, no spaces, no `/`.
 */
shortcut: string, 
/**
 * 1 to 4000 characters; placeholders only from the known ones.
 */
text: string, language: RuleLanguage | null, 
/**
 * Mine alone (any operator), or the team's (admins). Fixed when the reply is created.
 */
personal: boolean, };

export type WebhookEventType = "message.undelivered" | "consultation.created" | "consultation.taken" | "consultation.transferred" | "consultation.released" | "consultation.closed" | "consultation.red_flag" | "consultation.sla_breached" | "callback.created" | "callback.claimed" | "callback.due_soon" | "callback.done" | "callback.failed" | "rating.received" | "appointment.booked" | "appointment.rescheduled" | "appointment.cancelled" | "appointment.declined" | "appointment.checked_in" | "appointment.reminder" | "appointment.missed_start" | "appointment.missed" | "call.ringing" | "call.answered" | "call.ended" | "prescription.submitted" | "prescription.approved" | "prescription.rejected" | "prescription.cancelled" | "refund.requested" | "refund.decided";

export type WebhookEndpoint = { id: string, url: string, events: Array<WebhookEventType>, description: string | null, 
/**
 * Off: nothing is sent (deliveries wait). Switched off by an admin, or by the server when
 * the endpoint kept failing (`paused_reason` says why).
 */
enabled: boolean, paused_reason: string | null, created_at: string, 
/**
 * Deliveries waiting to be sent or retried, and those that failed for good.
 */
pending: number, failed: number, last_success_at: string | null, last_error: string | null, };

export type WebhookCreated = { 
/**
 * `whsec_` + base64 of 32 random bytes: the key of the HMAC-SHA256 signatures.
 */
secret: string, id: string, url: string, events: Array<WebhookEventType>, description: string | null, 
/**
 * Off: nothing is sent (deliveries wait). Switched off by an admin, or by the server when
 * the endpoint kept failing (`paused_reason` says why).
 */
enabled: boolean, paused_reason: string | null, created_at: string, 
/**
 * Deliveries waiting to be sent or retried, and those that failed for good.
 */
pending: number, failed: number, last_success_at: string | null, last_error: string | null, };

export type CreateWebhookRequest = { 
/**
 * `https://…` (or `http://`); loopback, link-local and private addresses only when the
 * server allows them (`webhook_allow_private`).
 */
url: string, 
/**
 * At least one.
 */
events: Array<WebhookEventType>, description: string | null, };

export type UpdateWebhookRequest = { url: string | null, events: Array<WebhookEventType> | null, description: string | null, enabled: boolean | null, };

export type DeliveryStatus = "pending" | "delivered" | "failed";

export type WebhookDelivery = { 
/**
 * Also the `webhook-id` header: the same on every retry, so a receiver drops duplicates.
 */
id: string, endpoint_id: string, event_type: WebhookEventType, status: DeliveryStatus, attempts: number, 
/**
 * The HTTP status of the last attempt, if one came back.
 */
last_status: number | null, last_error: string | null, created_at: string, next_attempt_at: string | null, delivered_at: string | null, 
/**
 * The JSON body sent.
 */
payload: unknown, };

export type CreateOperatorRequest = { login: string, password: string, name: string, role: Role, department: string | null, capacity: number | null, };

export type UpdateOperatorRequest = { name: string | null, role: Role | null, department: string | null, capacity: number | null, disabled: boolean | null, password: string | null, };

export type CallbackAttempt = { at: string, operator_id: string, outcome: AttemptOutcome, note: string | null, };

export type Kind = "new_queue_item" | "new_callback" | "new_message" | "transferred_to_me" | "callback_due_soon" | "callback_overdue" | "long_wait" | "red_flag" | "sla_breach" | "assigned_to_me" | "webhook_paused" | "visit_soon" | "patient_waiting" | "visit_late" | "prescription_to_review" | "prescription_approved" | "prescription_rejected" | "refund_requested";

export type Target = { "type": "consultation", "id": string } | { "type": "callback", "id": string } | { "type": "webhook", "id": string } | { "type": "appointment", "id": string } | { "type": "prescription", "id": string } | { "type": "refund", "id": string };

export type Notification = { kind: Kind, count: number, 
/**
 * The item a click opens: the single one, or the first of a burst.
 */
target: Target, text: string, sound: boolean, };

export type Settings = { enabled: { [key in Kind]?: boolean }, sound: boolean, 
/**
 * A queue item waiting longer than this raises `LongWait`.
 */
long_wait_after: { secs: number, nanos: number }, 
/**
 * Repeat the long-wait alert every this long until someone takes the item (none: once).
 */
repeat_until_taken: { secs: number, nanos: number } | null, 
/**
 * Callback reminder this long before the preferred time.
 */
remind_before: { secs: number, nanos: number }, 
/**
 * And again when it is this long overdue.
 */
remind_overdue_after: { secs: number, nanos: number }, };

export type Op = { "op": "send_message", consultation_id: string, message: SendMessageRequest, } | { "op": "set_status", status: Presence, } | { "op": "take", consultation_id: string, } | { "op": "release", consultation_id: string, } | { "op": "close", consultation_id: string, summary: string | null, } | { "op": "transfer", consultation_id: string, operator_id: string, note: string | null, over_capacity: boolean, } | { "op": "assign", consultation_id: string, operator_id: string, note: string | null, over_capacity: boolean, } | { "op": "claim_callback", callback_id: string, } | { "op": "release_callback", callback_id: string, } | { "op": "update", consultation_id: string, priority: Priority | null, tags: Array<string> | null, } | { "op": "read", consultation_id: string, seq: number, } | { "op": "cancel_callback", callback_id: string, } | { "op": "update_client", client_id: string, changes: UpdateClientRequest, } | { "op": "create_client", client: CreateClientRequest, } | { "op": "create_callback", callback: CreateCallbackRequest, } | { "op": "callback_attempt", callback_id: string, outcome: AttemptOutcome, note: string | null, key: string, } | { "op": "create_prescription", consultation_id: string, prescription: PrescriptionRequest, } | { "op": "update_prescription", prescription_id: string, prescription: PrescriptionRequest, } | { "op": "submit_prescription", prescription_id: string, };

export type Entry = { id: number, op: Op, state: string, error_code: string | null, error_message: string | null, attempts: number, 
/**
 * Sent as Idempotency-Key.
 */
key: string, };

export type Breach = "queue_wait" | "first_response" | "unanswered" | "callback_asap";

export type SlaDue = { breach: Breach, at: string, };

export type ConsultationView = "queue" | "mine" | "active" | "archive";

export type Sort = "natural" | "oldest" | "newest" | "priority" | "last_message";

export type ListFilter = { kind: ConsultationKind | null, priority: Priority | null, operator_id: string | null, client_id: string | null, tag: string | null, 
/**
 * Words of the subject, summary, tags or the client's name.
 */
text: string | null, from: string | null, to: string | null, unread_only: boolean, sort: Sort, };

export type ConsultationRow = { consultation: Consultation, client_name: string, client_vip: boolean, operator_name: string | null, 
/**
 * The client's messages after my read position.
 */
unread: number, 
/**
 * When it is (or was) late by the desk's SLA, if a threshold applies (see `sla`).
 */
sla: SlaDue | null, 
/**
 * The last message the client and staff exchanged in it (not notes, not the server's
 * own): its text, or a file's name; what the list shows under the name.
 */
last_text: string | null, 
/**
 * Whether the client wrote that last message.
 */
last_from_client: boolean, 
/**
 * Whether I wrote it (the list marks it "You:").
 */
last_by_me: boolean, 
/**
 * Whether it was a file without words (`last_text` is then the file's name).
 */
last_is_file: boolean, };

export type ListCursor = { key: number, id: string, };

export type ListPage = { rows: Array<ConsultationRow>, 
/**
 * Every consultation of the view matching the filter, not only this page.
 */
total: number, 
/**
 * Where the next page starts; none after the last page.
 */
next: ListCursor | null, };

export type SendState = "pending" | "failed" | "sent" | "delivered" | "read";

export type MessageRow = { message: Message, author_name: string | null, 
/**
 * For staff messages to the client: sent, delivered or read; client, system and
 * internal messages have none.
 */
state: SendState | null, };

export type PendingMessage = { outbox_id: number, client_msg_id: string, consultation_id: string, body: string, internal: boolean, state: SendState, 
/**
 * Why it was refused: the server's code (or `unexpected_answer`) and its words.
 */
error_code: string | null, error_message: string | null, };

export type ThreadPage = { messages: Array<MessageRow>, 
/**
 * More messages exist beyond the page in the direction it was asked for: older ones
 * before a page of older or newest messages, newer ones after a page of newer messages.
 */
has_more: boolean, 
/**
 * Only with the page that reaches the newest message.
 */
pending: Array<PendingMessage>, };

export type Counts = { queue: number, mine: number, active: number, 
/**
 * Open callback requests that are due.
 */
callbacks_due: number, callbacks_open: number, 
/**
 * Unread client messages in my consultations.
 */
unread: number, operators_online: number, clients: number, 
/**
 * Outbox entries not confirmed yet, and refused ones.
 */
outbox_pending: number, outbox_failed: number, };

export type CallbackView = "open" | "archive";

export type CallbackRow = { callback: Callback, client_name: string | null, operator_name: string | null, 
/**
 * When an "as soon as possible" request is (or was) late by the desk's SLA.
 */
sla: SlaDue | null, };

export type OperatorRow = { operator: Operator, 
/**
 * Active consultations assigned to them, as the cache knows.
 */
load: number, };

export type ClientProfile = { client: Client, consultations: Array<ConsultationRow>, callbacks: Array<CallbackRow>, 
/**
 * Files and images of the thread, newest first.
 */
files: Array<Message>, };

export type Segment = { text: string, mark: boolean, };

export type SearchHit = { 
/**
 * `message`, `client` or `consultation`.
 */
kind: string, id: string, consultation_id: string | null, client_id: string | null, 
/**
 * A message's seq: the chat opens there.
 */
seq: number | null, 
/**
 * The client's name, for the line's title.
 */
title: string, segments: Array<Segment>, };

export type DeskEvent = { "type": "connection", online: boolean, retry_in_ms: number | null, } | { "type": "changed", consultations: boolean, callbacks: boolean, clients: boolean, operators: boolean, threads: Array<string>, quick_replies: boolean, visits: boolean, 
/**
 * Calls of these consultations changed (ringing, answered, ended).
 */
calls: Array<string>, 
/**
 * Prescriptions or refunds changed (a chat's prescriptions, the review queue, the
 * refunds waiting for a decision).
 */
clinical: boolean, } | { "type": "reloaded" } | { "type": "outbox", sent: number, refused: number, } | { "type": "notify", notification: Notification, } | { "type": "session_ended", error: UiError, } | { "type": "open", target: Target, };

export type Opened = "new" | "existing" | "migrated" | "key_lost";

export type Me = { id: string, login: string, name: string, role: string, server: string, presence: Presence, online: boolean, 
/**
 * How the cache opened at this start: the window says so when its key was gone (the
 * cache began afresh, its unsent actions lost).
 */
cache: Opened, };

export type ReportView = { report: ConsultationReport, fetched_at: string, 
/**
 * The server could not be reached: this is the last report fetched (for any period).
 */
offline: boolean, };

export type OperatorReportView = { report: OperatorReport, fetched_at: string, offline: boolean, };

export type StatusTimes = { online: number, away: number, busy: number, offline: number, };

export type CallFigures = { calls: number, 
/**
 * Answered and hung up.
 */
completed: number, 
/**
 * Rang out, declined by the patient, or cancelled by the caller before an answer.
 */
unanswered: number, 
/**
 * The media could not connect, or the call was lost.
 */
failed: number, 
/**
 * Ringing or running now.
 */
live: number, 
/**
 * Seconds talked, over the completed and failed calls that were answered.
 */
talk_seconds: number, };

export type OperatorFigures = { operator_id: string, name: string, 
/**
 * Active consultations now, and the most the operator takes.
 */
load: number, capacity: number, 
/**
 * Time in each status within the period (up to now).
 */
status_ms: StatusTimes, 
/**
 * The same, in each of the report's buckets (`OperatorReport::buckets`).
 */
status_by_bucket: Array<StatusTimes>, 
/**
 * The calls this operator made that rang in the period.
 */
calls: CallFigures, 
/**
 * Consultations created.
 */
arrivals: number, 
/**
 * Consultations taken from the queue for the first time.
 */
taken: number, 
/**
 * Consultations closed.
 */
closed: number, 
/**
 * Closed without any operator message the client could see.
 */
abandoned: number, 
/**
 * From creation to the first take, of those taken.
 */
time_to_take: DurationFigure, 
/**
 * From creation to the first operator message the client could see, of those answered.
 */
first_response: DurationFigure, 
/**
 * From creation to closing, of those closed.
 */
resolution: DurationFigure, 
/**
 * Closed consultations the client rated.
 */
rated: number, 
/**
 * The mean rating (1–5) of those.
 */
rating_average: number | null, 
/**
 * Of those taken, how many waited in the queue past the SLA's queue-wait threshold (as
 * set now; none set: 0).
 */
sla_queue_wait_breaches: number, 
/**
 * Of those answered, how many got their first answer past the SLA's first-response
 * threshold after the take.
 */
sla_first_response_breaches: number, };

export type OperatorReport = { from: string, to: string, 
/**
 * The starts of the buckets (hours, days or weeks of the reader's time zone) that each
 * operator's `status_by_bucket` follows.
 */
buckets: Array<string>, operators: Array<OperatorFigures>, };

export type ReportGroup = "hour" | "day" | "week";

export type ReportFormat = "json" | "csv";

export type ReportQuery = { 
/**
 * The period's start (RFC 3339), inclusive; seven days before `to` when left out.
 */
from: string, 
/**
 * The period's end (RFC 3339), exclusive, at most 366 days after `from`; now when left out.
 */
to: string, 
/**
 * `hour`, `day` (the default) or `week`.
 */
group: ReportGroup | null, 
/**
 * The reader's offset from UTC in minutes (Moscow: 180): days and weeks start at its
 * midnight.
 */
tz_offset_minutes: number | null, 
/**
 * Only consultations this operator handled (the one holding it now, or when it closed).
 */
operator_id: string | null, kind: ConsultationKind | null, priority: Priority | null, 
/**
 * Only consultations with this tag (whole, any case).
 */
tag: string | null, 
/**
 * `json` (the default) or `csv`.
 */
format: ReportFormat | null, };

export type DurationFigure = { 
/**
 * How many durations were measured.
 */
count: number, 
/**
 * Nearest-rank median, milliseconds (none when nothing was measured).
 */
median_ms: number | null, 
/**
 * Nearest-rank 90th percentile, milliseconds.
 */
p90_ms: number | null, };

export type ConsultationFigures = { 
/**
 * Consultations created.
 */
arrivals: number, 
/**
 * Consultations taken from the queue for the first time.
 */
taken: number, 
/**
 * Consultations closed.
 */
closed: number, 
/**
 * Closed without any operator message the client could see.
 */
abandoned: number, 
/**
 * From creation to the first take, of those taken.
 */
time_to_take: DurationFigure, 
/**
 * From creation to the first operator message the client could see, of those answered.
 */
first_response: DurationFigure, 
/**
 * From creation to closing, of those closed.
 */
resolution: DurationFigure, 
/**
 * Closed consultations the client rated.
 */
rated: number, 
/**
 * The mean rating (1–5) of those.
 */
rating_average: number | null, 
/**
 * Of those taken, how many waited in the queue past the SLA's queue-wait threshold (as
 * set now; none set: 0).
 */
sla_queue_wait_breaches: number, 
/**
 * Of those answered, how many got their first answer past the SLA's first-response
 * threshold after the take.
 */
sla_first_response_breaches: number, };

export type ConsultationBucket = { 
/**
 * The bucket's start (the reader's local midnight or hour, as UTC).
 */
start: string, 
/**
 * Consultations created.
 */
arrivals: number, 
/**
 * Consultations taken from the queue for the first time.
 */
taken: number, 
/**
 * Consultations closed.
 */
closed: number, 
/**
 * Closed without any operator message the client could see.
 */
abandoned: number, 
/**
 * From creation to the first take, of those taken.
 */
time_to_take: DurationFigure, 
/**
 * From creation to the first operator message the client could see, of those answered.
 */
first_response: DurationFigure, 
/**
 * From creation to closing, of those closed.
 */
resolution: DurationFigure, 
/**
 * Closed consultations the client rated.
 */
rated: number, 
/**
 * The mean rating (1–5) of those.
 */
rating_average: number | null, 
/**
 * Of those taken, how many waited in the queue past the SLA's queue-wait threshold (as
 * set now; none set: 0).
 */
sla_queue_wait_breaches: number, 
/**
 * Of those answered, how many got their first answer past the SLA's first-response
 * threshold after the take.
 */
sla_first_response_breaches: number, };

export type ConsultationReport = { from: string, to: string, group: ReportGroup, buckets: Array<ConsultationBucket>, total: ConsultationFigures, 
/**
 * Arrivals by weekday (Monday first) and hour of the reader's day, over the whole
 * period: 7 rows of 24, for staffing to follow demand.
 */
heatmap: Array<Array<number>>, };

export type RuleLanguage = "ru" | "zh" | "en";

export type AssignmentPolicy = "manual" | "round_robin" | "least_loaded";

export type RedFlagRule = { id: string, 
/**
 * Whole words; a word ending in `*` matches any word beginning with it; Chinese
 * characters match in a row.
 */
phrase: string, 
/**
 * Phrases that cancel a match they cover ("中风" unless "中风险").
 */
unless: Array<string>, language: RuleLanguage, enabled: boolean, created_at: string, };

export type RedFlagRuleRequest = { phrase: string, unless: Array<string>, language: RuleLanguage, enabled: boolean, };

export type SlaThresholds = { 
/**
 * A consultation waiting in the queue.
 */
queue_wait_minutes: number | null, 
/**
 * From the take to the first answer the client can see.
 */
first_response_minutes: number | null, 
/**
 * A client's message in an active chat with no operator answer after it.
 */
unanswered_minutes: number | null, 
/**
 * An `asap` callback request without a first attempt.
 */
callback_asap_minutes: number | null, };

export type DeskSettings = { assignment: AssignmentPolicy, sla: SlaThresholds, visits: VisitSettings, };

export type VisitSettings = { 
/**
 * A patient may cancel or move a visit until this many minutes before it starts (staff
 * may at any time before it begins); 0 allows it until the start.
 */
cancel_before_minutes: number, };

export type AppointmentStatus = "booked" | "waiting" | "in_call" | "done" | "missed" | "cancelled" | "declined";

export type Appointment = { id: string, client_id: string, operator_id: string, 
/**
 * The consultation that carries the visit in the client's thread.
 */
consultation_id: string, kind: ConsultationKind, starts_at: string, ends_at: string, reason: string | null, status: AppointmentStatus, 
/**
 * Why it was cancelled or declined.
 */
status_reason: string | null, 
/**
 * Who booked it (the client, or a member of staff for them).
 */
booked_by: string, created_at: string, checked_in_at: string | null, updated_at: string, };

export type WorkingHours = { 
/**
 * 1 = Monday … 7 = Sunday (ISO 8601).
 */
weekday: number, 
/**
 * `"HH:MM"`.
 */
from: string, 
/**
 * `"HH:MM"`, after `from`; `"24:00"` is the end of the day.
 */
to: string, };

export type TimeRange = { from: string, to: string, };

export type ScheduleException = { 
/**
 * `"YYYY-MM-DD"`, local.
 */
date: string, hours: Array<TimeRange>, 
/**
 * Why (a holiday, a conference); shown to staff only.
 */
note: string | null, };

export type VisitLengths = { phone: number, video: number, };

export type Schedule = { operator_id: string, 
/**
 * IANA time zone of the hours and dates below, e.g. `"Europe/Moscow"`.
 */
time_zone: string, 
/**
 * E.g. `"therapist"`, `"paediatrician"`: words the clinic chooses, matched exactly.
 */
specialties: Array<string>, 
/**
 * Languages consulted in (BCP 47: `"ru"`, `"zh"`, `"en"`).
 */
languages: Array<string>, weekly: Array<WorkingHours>, exceptions: Array<ScheduleException>, visit_minutes: VisitLengths, 
/**
 * Whether patients may book this specialist (an admin may keep a schedule unpublished).
 */
bookable: boolean, updated_at: string | null, };

export type ScheduleRequest = { time_zone: string, specialties: Array<string>, languages: Array<string>, weekly: Array<WorkingHours>, exceptions: Array<ScheduleException>, visit_minutes: VisitLengths | null, bookable: boolean, };

export type Slot = { operator_id: string, kind: ConsultationKind, starts_at: string, ends_at: string, };

export type Specialist = { operator_id: string, name: string, specialties: Array<string>, languages: Array<string>, visit_minutes: VisitLengths, };

export type BookRequest = { 
/**
 * The specialist.
 */
operator_id: string, 
/**
 * `phone` or `video`.
 */
kind: ConsultationKind, 
/**
 * One of the specialist's free slots' start.
 */
starts_at: string, 
/**
 * For staff booking for a caller; a client books for itself and leaves it out.
 */
client_id: string | null, reason: string | null, };

export type AgendaRow = { appointment: Appointment, client_name: string | null, client_phone: string | null, specialist_name: string | null, };

export type CallMedia = "audio" | "video";

export type CallState = "ringing" | "active" | "ended";

export type CallEnd = "completed" | "no_answer" | "declined" | "cancelled" | "failed";

export type Call = { id: string, consultation_id: string, client_id: string, 
/**
 * The operator who called.
 */
operator_id: string, 
/**
 * The booked visit the call is for, if any.
 */
appointment_id: string | null, media: CallMedia, state: CallState, end: CallEnd | null, 
/**
 * When it began to ring.
 */
rang_at: string, answered_at: string | null, ended_at: string | null, 
/**
 * Seconds from the answer to the end; 0 for a call never answered.
 */
duration_seconds: number | null, };

export type PrescriptionStatus = "draft" | "submitted" | "approved" | "rejected" | "cancelled";

export type PrescriptionItem = { 
/**
 * "Amoxicillin".
 */
medication: string, 
/**
 * "tablets", "syrup".
 */
form: string, 
/**
 * "500 mg".
 */
strength: string, 
/**
 * "1 tablet".
 */
dose: string, 
/**
 * "by mouth".
 */
route: string, 
/**
 * "3 times a day".
 */
frequency: string, 
/**
 * "7 days".
 */
duration: string, 
/**
 * "21 tablets".
 */
quantity: string, 
/**
 * "after meals"; optional.
 */
instructions: string | null, };

export type Prescription = { id: string, consultation_id: string, client_id: string, 
/**
 * The doctor who wrote it.
 */
prescriber_id: string, prescriber_name: string, status: PrescriptionStatus, items: Array<PrescriptionItem>, 
/**
 * A word for the patient and the pharmacist ("take with food"); optional.
 */
note: string | null, 
/**
 * How many times it was submitted (a revision after a rejection counts again).
 */
revision: number, 
/**
 * The pharmacist who approved or rejected it, and when.
 */
reviewer_id: string | null, reviewer_name: string | null, reviewed_at: string | null, 
/**
 * Why it was rejected, or cancelled.
 */
reason: string | null, created_at: string, updated_at: string, submitted_at: string | null, };

export type PrescriptionRequest = { 
/**
 * A new draft's id, chosen by the desk (so a draft written offline is the same record
 * once the server has it); left out, the server chooses. Ignored by `PATCH`.
 */
id: string | null, items: Array<PrescriptionItem>, note: string | null, };

export type PrescriptionProblemKind = "no_items" | "missing" | "too_long" | "duplicate" | "too_many";

export type PrescriptionProblem = { kind: PrescriptionProblemKind, item: number | null, field: string | null, };

export type RefundStatus = "requested" | "approved" | "rejected";

export type Refund = { id: string, consultation_id: string, client_id: string, 
/**
 * Minor units, at most the consultation's price (less what was refunded before).
 */
amount: number, currency: string, reason: string | null, status: RefundStatus, 
/**
 * Who asked (a client or staff); none for a refund the server made (a declined visit).
 */
requested_by: string | null, requested_by_name: string | null, 
/**
 * The admin who decided, when, and what they said (the reason of a rejection).
 */
decided_by: string | null, decided_at: string | null, decision_note: string | null, created_at: string, };

export type RefundRequest = { 
/**
 * Minor units; more than zero, at most what is left of the price.
 */
amount: number, reason: string, };

export type PrescriptionStep = "approve" | "reject" | "cancel";

export type ConsentPurpose = "booking" | "call";

export type ConsentChannel = "web" | "phone";

export type ConsentAction = "accept" | "withdraw";

export type ConsentState = "accepted" | "withdrawn" | "outdated" | "never";

export type Localized = { ru: string, zh: string, en: string, };

export type Consent = { id: string, 
/**
 * A short name that stays across versions (`health_data`, `video_calls`, `sms`).
 */
key: string, 
/**
 * 1 for the first text; every edit of the title or text makes the next.
 */
version: number, required: boolean, needed_for: Array<ConsentPurpose>, title: Localized, text: Localized, 
/**
 * An inactive text is not asked for and gates nothing.
 */
active: boolean, updated_at: string, };

export type ConsentRequest = { key: string, required: boolean, needed_for: Array<ConsentPurpose>, title: Localized, text: Localized, active: boolean, };

export type ConsentRecord = { id: string, client_id: string, consent_id: string, version: number, action: ConsentAction, channel: ConsentChannel, 
/**
 * Who recorded an answer given by phone.
 */
recorded_by: string | null, recorded_by_name: string | null, note: string | null, at: string, };

export type ClientConsent = { consent: Consent, state: ConsentState, history: Array<ConsentRecord>, };

export type ReportMoment = "arrived" | "taken" | "answered" | "closed" | "abandoned" | "any";

export type ReportItemsQuery = { 
/**
 * As in the reports: seven days before `to` when left out.
 */
from: string, 
/**
 * Now when left out.
 */
to: string, moment: ReportMoment, 
/**
 * The reader's offset from UTC in minutes, for the CSV's local times.
 */
tz_offset_minutes: number | null, operator_id: string | null, kind: ConsultationKind | null, priority: Priority | null, tag: string | null, 
/**
 * Only those whose moment falls on this weekday (0 = Monday) and hour of the reader's day
 * (a heatmap cell).
 */
weekday: number | null, hour: number | null, 
/**
 * At most this many, oldest moment first (JSON: 1–1000, default 200; CSV: every one).
 */
limit: number | null, format: ReportFormat | null, };

export type ReportItem = { id: string, client_id: string, client_name: string, kind: ConsultationKind, priority: Priority, operator_id: string | null, operator_name: string | null, created_at: string, first_taken_at: string | null, first_response_at: string | null, closed_at: string | null, time_to_take_ms: number | null, first_response_ms: number | null, resolution_ms: number | null, rating: number | null, 
/**
 * What the client wrote with the rating.
 */
rating_comment: string | null, price: number, currency: string, red_flag: string | null, };

export type ReportItems = { items: Array<ReportItem>, more: boolean, };

export type CallbackFigures = { 
/**
 * Requests created.
 */
created: number, 
/**
 * Of those, with at least one call attempt.
 */
attempted: number, 
/**
 * From when the client wanted the call (asap: creation; scheduled: the window's start)
 * to the first attempt.
 */
time_to_first_attempt: DurationFigure, 
/**
 * Of those attempted, reached on the first attempt.
 */
reached_first_try: number, 
/**
 * Of every attempt on them, how many went unanswered (no answer or a busy line).
 */
attempts: number, no_answer: number, 
/**
 * Of those attempted, the first attempt within its due time: asap within the SLA's
 * threshold, scheduled within its window (its start to its end, or to the start + the
 * threshold when no end was given).
 */
due_hits: number, 
/**
 * Of those finished (done or failed), attempts per request, on average.
 */
finished: number, attempts_per_finished: number | null, 
/**
 * Open requests past their due time now (of any period).
 */
overdue_now: number, };

export type CallbackReport = { from: string, to: string, total: CallbackFigures, };

export type BillingRow = { tariff_id: string | null, tariff_name: string | null, kind: ConsultationKind, operator_id: string | null, operator_name: string | null, currency: string, 
/**
 * Consultations billed: closed in the period after an answer the client could see.
 */
consultations: number, 
/**
 * Their prices (fixed when each was created), in minor units.
 */
revenue: number, 
/**
 * What was refunded of them (approved refunds), in minor units: the net is
 * `revenue - refunded`.
 */
refunded: number, };

export type BillingTotal = { currency: string, consultations: number, revenue: number, refunded: number, };

export type BillingReport = { from: string, to: string, rows: Array<BillingRow>, totals: Array<BillingTotal>, };

export type AuditRecord = { id: string, operator_id: string, 
/**
 * e.g. `client.viewed`, `operator.created`.
 */
action: string, target_id: string | null, detail: string | null, remote_addr: string | null, at: string, 
/**
 * Who did it, by name (an operator, or a client for what a client does); none when the
 * account is gone.
 */
actor_name: string | null, 
/**
 * What it was done to, by name: a client, an operator, a consultation's client, a tariff,
 * a red-flag phrase; none for an erased client or a target without a name.
 */
target_name: string | null, };

export type AuditQuery = { 
/**
 * Only records about this client, operator, consultation or rule.
 */
target_id: string | null, 
/**
 * Only what this operator (or admin) did.
 */
operator_id: string | null, 
/**
 * Only actions beginning with this (`consultation.` for every consultation action).
 */
action: string | null, 
/**
 * Only records at or after this time, and before `to`.
 */
from: string | null, to: string | null, cursor: string | null, limit: number | null, 
/**
 * `json` (the default, a page) or `csv` (every matching record, newest first; at most
 * 100,000).
 */
format: ReportFormat | null, };

export type Tariff = { id: string, name: string, kind: ConsultationKind, price: number, currency: string, active: boolean, };

export type CreateTariffRequest = { name: string, kind: ConsultationKind, price: number, currency: string, };

export type CallbackReportView = { report: CallbackReport, fetched_at: string, offline: boolean, };

export type BillingReportView = { report: BillingReport, fetched_at: string, offline: boolean, };

export type AuditPage = { items: Array<AuditRecord>, next_cursor: string | null, };

export type Export = { "what": "consultations", "query": ReportQuery } | { "what": "operators", "query": ReportQuery } | { "what": "items", "query": ReportItemsQuery } | { "what": "callbacks", "query": ReportQuery } | { "what": "billing", "query": ReportQuery } | { "what": "audit", "query": AuditQuery };

export type Board = { 
/**
 * When it was read.
 */
at: string, 
/**
 * Consultations waiting in the queue, of them urgent, and of them raised by a red flag.
 */
queue: number, queue_urgent: number, queue_red_flags: number, 
/**
 * Since when the longest-waiting one waits.
 */
longest_wait_since: string | null, 
/**
 * Active consultations.
 */
active: number, 
/**
 * Open callback requests due now, and of them late by more than ten minutes.
 */
callbacks_due: number, callbacks_overdue: number, 
/**
 * Items past an SLA threshold now: waiting, unanswered, callbacks.
 */
sla_queue_wait: number, sla_first_response: number, sla_unanswered: number, sla_callbacks: number, 
/**
 * The thresholds those counts are measured against (minutes; none = not watched), so
 * that a zero says what it counts.
 */
sla: SlaThresholds, 
/**
 * Every operator, online first, with the load.
 */
operators: Array<OperatorRow>, };

export type ErrorCode = "bad_request" | "validation_failed" | "unauthorized" | "invalid_credentials" | "forbidden" | "not_found" | "illegal_transition" | "already_taken" | "capacity_reached" | "not_assigned" | "already_exists" | "already_rated" | "consent_required" | "account_disabled" | "payload_too_large" | "unsupported_media_type" | "rate_limited" | "resync_required" | "internal";

export type LocalCode = "offline" | "unexpected_answer" | "not_logged_in" | "cache" | "file" | "key_unavailable" | "file_not_opened";

export type UiCode = ErrorCode | LocalCode;

export type UiError = { code: UiCode, message: string, };

export type Boot = { me: Me | null, lang: string, 
/**
 * The language was set by CARELINE_LANG: it wins over the one chosen in the settings.
 */
lang_fixed: boolean, server: string, login: string, 
/**
 * Why the automatic login failed, if it did.
 */
error: UiError | null, };
