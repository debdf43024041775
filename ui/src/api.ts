// The one module through which the UI talks to Rust: typed wrappers over the commands of
// src-tauri/commands.rs, and the channel the desk's events arrive on. Types are generated
// from the Rust ones (gen/types.ts).
import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  Boot, CallbackRow, CallbackView, Client, ClientProfile, ConsultationRow, ConsultationView, Counts, DeskEvent, Entry,
  ListCursor, ListFilter, ListPage, Me, Op, Operator, OperatorReportView, OperatorRow, ReportQuery, ReportView, SearchHit, SessionInfo, Settings, ThreadPage, CreateOperatorRequest, UpdateOperatorRequest,
  DeskSettings, RedFlagRule, RedFlagRuleRequest, AuditPage, AuditQuery, BillingReportView, Board, CallbackReportView, CreateTariffRequest as NewTariff, Export,
  ReportItems, ReportItemsQuery, Tariff, Attachment, Callback, CreateCallbackRequest, CreateClientRequest, QuickReply, QuickReplyRequest,
  WebhookEndpoint, WebhookCreated, CreateWebhookRequest, UpdateWebhookRequest, DeliveryStatus, WebhookDelivery, ClaimCode,
} from "./gen/types";

export type * from "./gen/types";

export { errorOf } from "./errors";

export const api = {
  boot: () => invoke<Boot>("boot"),
  login: (server: string, login: string, password: string) => invoke<Me>("login", { server, login, password }),
  logout: (wipe: boolean) => invoke<void>("logout", { wipe }),
  counts: () => invoke<Counts>("counts"),
  /** A page of a consultation list: `after` is the previous page's `next` (none for the first). */
  list: (view: ConsultationView, filter: ListFilter, after: ListCursor | null, limit: number) =>
    invoke<ListPage>("list", { view, filter, after, limit }),
  consultation: (id: string) => invoke<ConsultationRow | null>("consultation", { id }),
  thread: (clientId: string, beforeSeq: number | null, limit = 100) => invoke<ThreadPage>("thread", { clientId, beforeSeq, limit }),
  threadAfter: (clientId: string, afterSeq: number, limit = 100) => invoke<ThreadPage>("thread_after", { clientId, afterSeq, limit }),
  act: (op: Op) => invoke<number>("act", { op }),
  sendFile: (consultationId: string, name: string, bytes: number[], internal: boolean) =>
    invoke<number>("send_file", { consultationId, name, bytes, internal }),
  sendPath: (consultationId: string, path: string, internal: boolean) => invoke<number>("send_path", { consultationId, path, internal }),
  outbox: () => invoke<Entry[]>("outbox"),
  retry: (id: number) => invoke<void>("retry", { id }),
  dismiss: (id: number) => invoke<void>("dismiss", { id }),
  callbacks: (view: CallbackView, text: string | null) => invoke<CallbackRow[]>("callbacks", { view, text }),
  callback: (id: string) => invoke<CallbackRow | null>("callback", { id }),
  clients: (query: string | null) => invoke<Client[]>("clients", { query }),
  /** Known clients with this phone, however written (offered instead of a duplicate). */
  clientsWithPhone: (phone: string) => invoke<Client[]>("clients_with_phone", { phone }),
  /** Reception records a client (offline too); in the cache at once. */
  createClient: (req: CreateClientRequest) => invoke<Client>("create_client", { req }),
  /** A callback request made by staff (offline too); in the queue at once. */
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
  clientProfile: (id: string) => invoke<ClientProfile | null>("client_profile", { id }),
  operators: () => invoke<OperatorRow[]>("operators"),
  search: (query: string) => invoke<SearchHit[]>("search", { query }),
  searchBacklog: () => invoke<number>("search_backlog"),
  setInFront: (consultationId: string | null) => invoke<void>("set_in_front", { consultationId }),
  markRead: (consultationId: string) => invoke<void>("mark_read", { consultationId }),
  settings: () => invoke<Settings>("settings"),
  setSettings: (settings: Settings) => invoke<void>("set_settings", { settings }),
  call: (phone: string) => invoke<string>("call", { phone }),
  image: (sha256: string, mediaType: string) => invoke<string | null>("image", { sha256, mediaType }),
  openFile: (sha256: string, fileName: string, mediaType: string) => invoke<boolean>("open_file", { sha256, fileName, mediaType }),
  /** Opens an attachment, fetching the original if the store let it go. */
  openAttachment: (attachment: Attachment) => invoke<boolean>("open_attachment", { attachment }),
  /** An audio or video attachment to play inline (`null`: too big, or not to be had). */
  media: (attachment: Attachment) => invoke<string | null>("media", { attachment }),
  ready: () => invoke<void>("ready"),
  setLanguage: (lang: string) => invoke<void>("set_language", { lang }),
  createOperator: (req: CreateOperatorRequest) => invoke<Operator>("create_operator", { req }),
  updateOperator: (id: string, req: UpdateOperatorRequest) => invoke<Operator>("update_operator", { id, req }),
  /** Erases a client everywhere (admin; online only). */
  eraseClient: (id: string) => invoke<void>("erase_client", { id }),
  claimCode: (id: string) => invoke<ClaimCode>("claim_code", { id }),
  /** The consultations report; offline, the last one fetched. */
  consultationReport: (query: ReportQuery) => invoke<ReportView>("consultation_report", { query }),
  operatorReport: (query: ReportQuery) => invoke<OperatorReportView>("operator_report", { query }),
  /** Sessions of an operator (admin), or mine (`null`); online only. */
  sessions: (userId: string | null) => invoke<SessionInfo[]>("sessions", { userId }),
  revokeSession: (id: string) => invoke<void>("revoke_session", { id }),
  /** Red-flag rules (admin; online only). `id` null: a new rule. */
  redFlags: () => invoke<RedFlagRule[]>("red_flags"),
  saveRedFlag: (id: string | null, req: RedFlagRuleRequest) => invoke<RedFlagRule>("save_red_flag", { id, req }),
  deleteRedFlag: (id: string) => invoke<void>("delete_red_flag", { id }),
  /** Which rule fires on a text, if any (nothing changes). */
  testRedFlags: (text: string) => invoke<string | null>("test_red_flags", { text }),
  /** Assignment policy and SLA thresholds; offline, the last ones fetched. */
  deskSettings: () => invoke<DeskSettings>("desk_settings"),
  setDeskSettings: (settings: DeskSettings) => invoke<DeskSettings>("set_desk_settings", { settings }),
  callbackReport: (query: ReportQuery) => invoke<CallbackReportView>("callback_report", { query }),
  billingReport: (query: ReportQuery) => invoke<BillingReportView>("billing_report", { query }),
  /** The consultations behind a figure (online only). */
  reportItems: (query: ReportItemsQuery) => invoke<ReportItems>("report_items", { query }),
  audit: (query: AuditQuery) => invoke<AuditPage>("audit", { query }),
  /** Saves a report as CSV in the downloads folder; its path. */
  exportCsv: (exp: Export) => invoke<string>("export_csv", { export: exp }),
  reveal: (path: string) => invoke<void>("reveal", { path }),
  /** The live board, from the cache. */
  board: () => invoke<Board>("board"),
  tariffs: () => invoke<Tariff[]>("tariffs"),
  createTariff: (req: NewTariff) => invoke<Tariff>("create_tariff", { req }),
};

/** Starts receiving the desk's events. */
export function subscribe(onEvent: (e: DeskEvent) => void): Promise<void> {
  const events = new Channel<DeskEvent>();
  events.onmessage = onEvent;
  return invoke<void>("subscribe", { events });
}

/** A fresh idempotency key for a message. */
export function newId(): string {
  return crypto.randomUUID();
}

/** Files dropped on the window (their paths); returns the unsubscribe function. */
export async function onFileDrop(handler: (paths: string[]) => void): Promise<() => void> {
  const { getCurrentWebview } = await import("@tauri-apps/api/webview");
  return getCurrentWebview().onDragDropEvent((e) => {
    if (e.payload.type === "drop") handler(e.payload.paths);
  });
}
