// Generated from src-tauri/commands.rs by src-tauri/bridge.rs. Do not edit.
// Regenerate: CARELINE_BLESS=1 cargo test -p careline-desktop --lib types

import { Channel, invoke } from "@tauri-apps/api/core";
import type { AgendaRow, Attachment, AuditPage, AuditQuery, BillingReportView, Board, BookRequest, Boot, Call, CallMedia, Callback, CallbackReportView, CallbackRow, CallbackView, ClaimCode, Client, ClientConsent, ClientProfile, Consent, ConsentRecord, ConsentRequest, ConsultationKind, ConsultationRow, ConsultationView, Counts, CreateCallbackRequest, CreateClientRequest, CreateOperatorRequest, CreateTariffRequest, CreateWebhookRequest, DeliveryStatus, DeskEvent, DeskSettings, Entry, Export, ListCursor, ListFilter, ListPage, Me, Message, Op, Operator, OperatorReportView, OperatorRow, Prescription, PrescriptionItem, PrescriptionProblem, PrescriptionRequest, PrescriptionStatus, PrescriptionStep, QuickReply, QuickReplyRequest, RedFlagRule, RedFlagRuleRequest, Refund, RefundStatus, ReportItems, ReportItemsQuery, ReportQuery, ReportView, Schedule, ScheduleRequest, SearchHit, SessionInfo, Settings, Slot, Specialist, Tariff, ThreadPage, UpdateOperatorRequest, UpdateWebhookRequest, WebhookCreated, WebhookDelivery, WebhookEndpoint } from "./types";

/** Every command of the desk, as the window calls it. */
export const commands = {
  /**
   * Opens the desk at start: the session from CARELINE_SERVER/LOGIN/PASSWORD (kiosks, the run
   * command, tests), else the remembered one, else none.
   */
  boot: () => invoke<Boot>("boot"),
  login: (server: string, login: string, password: string) => invoke<Me>("login", { server, login, password }),
  logout: (wipe: boolean) => invoke<void>("logout", { wipe }),
  /** The one channel the desk's events reach the UI through. */
  subscribe: (events: Channel<DeskEvent>) => invoke<void>("subscribe", { events }),
  counts: () => invoke<Counts>("counts"),
  /** A page of a consultation list: `after` is the previous page's `next` (none for the first). */
  list: (view: ConsultationView, filter: ListFilter, after: ListCursor | null, limit: number) => invoke<ListPage>("list", { view, filter, after, limit }),
  /** One consultation as a list row (for the chat's header). */
  consultation: (id: string) => invoke<ConsultationRow | null>("consultation", { id }),
  thread: (clientId: string, beforeSeq: number | null, limit: number) => invoke<ThreadPage>("thread", { clientId, beforeSeq, limit }),
  threadAfter: (clientId: string, afterSeq: number, limit: number) => invoke<ThreadPage>("thread_after", { clientId, afterSeq, limit }),
  /** Anything the operator does (through the outbox: works offline). */
  act: (op: Op) => invoke<number>("act", { op }),
  sendFile: (consultationId: string, name: string, bytes: number[], internal: boolean) => invoke<number>("send_file", { consultationId, name, bytes, internal }),
  /** A file dropped on the window. */
  sendPath: (consultationId: string, path: string, internal: boolean) => invoke<number>("send_path", { consultationId, path, internal }),
  outbox: () => invoke<Entry[]>("outbox"),
  retry: (id: number) => invoke<void>("retry", { id }),
  dismiss: (id: number) => invoke<void>("dismiss", { id }),
  callbacks: (view: CallbackView, text: string | null) => invoke<CallbackRow[]>("callbacks", { view, text }),
  callback: (id: string) => invoke<CallbackRow | null>("callback", { id }),
  clients: (query: string | null) => invoke<Client[]>("clients", { query }),
  /** A client's profile from the cache; the view is recorded in the server's audit log. */
  clientProfile: (id: string) => invoke<ClientProfile | null>("client_profile", { id }),
  /** Known clients with this phone (however written): offered instead of a duplicate. */
  clientsWithPhone: (phone: string) => invoke<Client[]>("clients_with_phone", { phone }),
  /** Reception records a client (online or offline); in the cache at once. */
  createClient: (req: CreateClientRequest) => invoke<Client>("create_client", { req }),
  /** A callback request made by staff (online or offline); in the queue at once. */
  createCallback: (req: CreateCallbackRequest) => invoke<Callback>("create_callback", { req }),
  /** The team's quick replies and mine; offline, the ones fetched last. */
  quickReplies: () => invoke<QuickReply[]>("quick_replies"),
  /** A new reply (`id` null) or a changed one (online only); the list as it is now. */
  saveQuickReply: (id: string | null, req: QuickReplyRequest) => invoke<QuickReply[]>("save_quick_reply", { id, req }),
  deleteQuickReply: (id: string) => invoke<QuickReply[]>("delete_quick_reply", { id }),
  /** Webhook endpoints (admin; online only). */
  webhooks: () => invoke<WebhookEndpoint[]>("webhooks"),
  createWebhook: (req: CreateWebhookRequest) => invoke<WebhookCreated>("create_webhook", { req }),
  updateWebhook: (id: string, req: UpdateWebhookRequest) => invoke<WebhookEndpoint>("update_webhook", { id, req }),
  deleteWebhook: (id: string) => invoke<void>("delete_webhook", { id }),
  /** The newest deliveries to an endpoint. */
  webhookDeliveries: (id: string, status: DeliveryStatus | null) => invoke<WebhookDelivery[]>("webhook_deliveries", { id, status }),
  operators: () => invoke<OperatorRow[]>("operators"),
  search: (query: string) => invoke<SearchHit[]>("search", { query }),
  /** Cached messages not searchable yet (a first download is being indexed). */
  searchBacklog: () => invoke<number>("search_backlog"),
  setInFront: (consultationId: string | null) => invoke<void>("set_in_front", { consultationId }),
  markRead: (consultationId: string) => invoke<void>("mark_read", { consultationId }),
  settings: () => invoke<Settings>("settings"),
  setSettings: (settings: Settings) => invoke<void>("set_settings", { settings }),
  /**
   * Calls a phone number: `tel:` through the system, or the `CARELINE_SIP_TEMPLATE` URI
   * (`{phone}` is replaced: e.g. `sip:{phone}@pbx.clinic.example`).
   */
  call: (phone: string) => invoke<string>("call", { phone }),
  /** An image attachment from the local store as a data URL (none until it was fetched). */
  image: (sha256: string, mediaType: string) => invoke<string | null>("image", { sha256, mediaType }),
  /**
   * An audio or video attachment as a `data:` URL to play in the chat (fetched if it is not
   * here); none when it cannot be had or is too big to play inline (then it is opened instead).
   */
  media: (attachment: Attachment) => invoke<string | null>("media", { attachment }),
  /**
   * Opens an attachment with the system's program for it, fetching the original first if the
   * store let it go (an old photo opened from its thumbnail).
   */
  openAttachment: (attachment: Attachment) => invoke<boolean>("open_attachment", { attachment }),
  /**
   * Opens an attachment from the local store with the system's program for it (decrypted into
   * a folder of the user's alone, emptied at the next start and at logout) — only when its name
   * ends in a safe extension for its media type (`careline_core::desk::openable`). Anything
   * else is saved into the Downloads folder under a name no program runs, and the window is
   * told where (`file_not_opened`): never run.
   */
  openFile: (sha256: string, fileName: string, mediaType: string) => invoke<boolean>("open_file", { sha256, fileName, mediaType }),
  createOperator: (req: CreateOperatorRequest) => invoke<Operator>("create_operator", { req }),
  /**
   * A claim code for a record reception made: the patient registers with it to take the record
   * over (shown once).
   */
  claimCode: (id: string) => invoke<ClaimCode>("claim_code", { id }),
  /** Erases a client (admin): everything of them leaves the server and every desk. */
  eraseClient: (id: string) => invoke<void>("erase_client", { id }),
  /** The consultations report (the last one fetched when offline). */
  consultationReport: (query: ReportQuery) => invoke<ReportView>("consultation_report", { query }),
  /** The operators' report (the last one fetched when offline). */
  operatorReport: (query: ReportQuery) => invoke<OperatorReportView>("operator_report", { query }),
  /** Sessions of an operator (admin) or mine. */
  sessions: (userId: string | null) => invoke<SessionInfo[]>("sessions", { userId }),
  revokeSession: (id: string) => invoke<void>("revoke_session", { id }),
  updateOperator: (id: string, req: UpdateOperatorRequest) => invoke<Operator>("update_operator", { id, req }),
  callbackReport: (query: ReportQuery) => invoke<CallbackReportView>("callback_report", { query }),
  billingReport: (query: ReportQuery) => invoke<BillingReportView>("billing_report", { query }),
  /** The consultations behind a figure (online only). */
  reportItems: (query: ReportItemsQuery) => invoke<ReportItems>("report_items", { query }),
  audit: (query: AuditQuery) => invoke<AuditPage>("audit", { query }),
  /** Saves a report (or the audit log) as CSV in the downloads folder; the file's path. */
  exportCsv: (export_: Export) => invoke<string>("export_csv", { export: export_ }),
  /** Shows a file (an export) in the system's file manager. */
  reveal: (path: string) => invoke<void>("reveal", { path }),
  /** The live board, from the cache. */
  board: () => invoke<Board>("board"),
  tariffs: () => invoke<Tariff[]>("tariffs"),
  createTariff: (req: CreateTariffRequest) => invoke<Tariff>("create_tariff", { req }),
  /** Red-flag rules (admin; online only). */
  redFlags: () => invoke<RedFlagRule[]>("red_flags"),
  /** A new rule (`id` none) or a rule's new state. */
  saveRedFlag: (id: string | null, req: RedFlagRuleRequest) => invoke<RedFlagRule>("save_red_flag", { id, req }),
  deleteRedFlag: (id: string) => invoke<void>("delete_red_flag", { id }),
  /** Which rule fires on a text, if any (nothing changes). */
  testRedFlags: (text: string) => invoke<string | null>("test_red_flags", { text }),
  /** Assignment policy and SLA thresholds; offline, the last ones fetched. */
  deskSettings: () => invoke<DeskSettings>("desk_settings"),
  setDeskSettings: (settings: DeskSettings) => invoke<DeskSettings>("set_desk_settings", { settings }),
  setLanguage: (lang: string) => invoke<void>("set_language", { lang }),
  /**
   * The window shows the operator's queue: with `CARELINE_STARTUP_TRACE` set, say how long the
   * start took (the app benchmark reads it).
   */
  ready: () => invoke<void>("ready"),
  /**
   * Visits starting in `[from, to)` by start time: one specialist's (`operator_id`) or
   * everyone's; offline, what the cache kept.
   */
  agenda: (from: string, to: string, operatorId: string | null) => invoke<AgendaRow[]>("agenda", { from, to, operatorId }),
  /** The specialists patients may book (online). */
  specialists: () => invoke<Specialist[]>("specialists"),
  /** Free slots of a kind of visit (online): of one specialist, or of a specialty's. */
  freeSlots: (kind: ConsultationKind, specialty: string | null, operatorId: string | null, from: string, to: string) => invoke<Slot[]>("free_slots", { kind, specialty, operatorId, from, to }),
  /** Books a caller into a free slot (online). */
  bookVisit: (req: BookRequest) => invoke<AgendaRow>("book_visit", { req }),
  /** Moves a booked visit to another free slot of its specialist (online). */
  rescheduleVisit: (id: string, startsAt: string) => invoke<AgendaRow>("reschedule_visit", { id, startsAt }),
  /** Cancels a visit that has not begun (online). */
  cancelVisit: (id: string, reason: string | null) => invoke<AgendaRow>("cancel_visit", { id, reason }),
  /** The specialist declines a visit with a reason; the patient is told and refunded (online). */
  declineVisit: (id: string, reason: string) => invoke<AgendaRow>("decline_visit", { id, reason }),
  /** A specialist's schedule (online). */
  schedule: (operatorId: string) => invoke<Schedule>("schedule", { operatorId }),
  /** Replaces a specialist's schedule: my own, or (an admin) anyone's (online). */
  setSchedule: (operatorId: string, req: ScheduleRequest) => invoke<Schedule>("set_schedule", { operatorId, req }),
  /**
   * Rings the consultation's client (online) and opens the call's page in the system browser
   * (the desk's web view has no WebRTC on Linux); the desk shows the call's state from events.
   */
  startCall: (consultationId: string, media: CallMedia) => invoke<Call>("start_call", { consultationId, media }),
  /** Opens a running call's page again (its window was closed), with a new one-time link. */
  openCall: (callId: string) => invoke<void>("open_call", { callId }),
  /** Ends a call from the desk (online). */
  hangUpCall: (callId: string) => invoke<Call>("hang_up_call", { callId }),
  /** The consultation's latest call, from the cache. */
  latestCall: (consultationId: string) => invoke<Call | null>("latest_call", { consultationId }),
  /** A consultation's prescriptions, from the cache (offline too). */
  prescriptionsOf: (consultationId: string) => invoke<Prescription[]>("prescriptions_of", { consultationId }),
  /** Prescriptions in one state from the cache (`submitted`: the review queue, oldest first). */
  prescriptionsByStatus: (status: PrescriptionStatus) => invoke<Prescription[]>("prescriptions_by_status", { status }),
  /** The same, asked of the server and kept (online). */
  refreshPrescriptions: (status: PrescriptionStatus) => invoke<Prescription[]>("refresh_prescriptions", { status }),
  /**
   * What the check before submit finds (missing fields, a medication twice): the window marks
   * the fields; the desk runs the same check again before it sends.
   */
  checkPrescription: (items: PrescriptionItem[]) => invoke<PrescriptionProblem[]>("check_prescription", { items }),
  /** Saves a draft (a new one when `id` is none); shown at once, sent through the outbox. */
  savePrescription: (consultationId: string, id: string | null, request: PrescriptionRequest) => invoke<string>("save_prescription", { consultationId, id, request }),
  /** Sends a saved draft for the pharmacist's review (through the outbox). */
  submitPrescription: (id: string) => invoke<void>("submit_prescription", { id }),
  /** Approve, reject (with a reason) or cancel (with a reason): online. */
  prescriptionStep: (id: string, step: PrescriptionStep, reason: string | null) => invoke<Prescription>("prescription_step", { id, step, reason }),
  /** The messages of the consultation behind a prescription (a pharmacist reads them). */
  prescriptionThread: (consultationId: string) => invoke<Message[]>("prescription_thread", { consultationId }),
  /** Refunds from the server (all, or those in one state), kept. */
  refunds: (status: RefundStatus | null) => invoke<Refund[]>("refunds", { status }),
  /** A consultation's refunds, from the cache. */
  refundsOf: (consultationId: string) => invoke<Refund[]>("refunds_of", { consultationId }),
  /** Asks for a refund of a consultation (amount in minor units, with a reason): online. */
  requestRefund: (consultationId: string, amount: number, reason: string) => invoke<Refund>("request_refund", { consultationId, amount, reason }),
  /** An admin approves a refund, or rejects it with a reason: online. */
  decideRefund: (id: string, approve: boolean, reason: string | null) => invoke<Refund>("decide_refund", { id, approve, reason }),
  /** Where a client stands with each consent, with every answer (online). */
  clientConsents: (clientId: string) => invoke<ClientConsent[]>("client_consents", { clientId }),
  /** Records a consent given (or withdrawn) by phone, with a note (online). */
  recordConsent: (consentId: string, clientId: string, accept: boolean, version: number, note: string | null) => invoke<ConsentRecord>("record_consent", { consentId, clientId, accept, version, note }),
  /** The clinic's consent texts (an admin also gets the inactive ones; online). */
  consentTexts: () => invoke<Consent[]>("consent_texts"),
  /**
   * An admin writes a consent text (`id` none) or edits one: new words make a new version, asked
   * of every client again.
   */
  saveConsentText: (id: string | null, request: ConsentRequest) => invoke<Consent>("save_consent_text", { id, request }),
};
