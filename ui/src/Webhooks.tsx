// Webhooks on the admin's Desk rules screen: register an endpoint (its signing secret is shown
// once), choose its events, pause or resume it, remove it, and read its delivery log.
import { useState } from "preact/hooks";
import { api, type WebhookCreated, type WebhookEndpoint, type WebhookEventType } from "./api";
import { Dialog } from "./Dialog";
import { lang, t, type Key } from "./i18n";
import { when } from "./format";
import { useAction, useLoad } from "./store";

const eventTypes: WebhookEventType[] = [
  "message.undelivered", "consultation.created", "consultation.taken", "consultation.transferred", "consultation.released", "consultation.closed",
  "consultation.red_flag", "consultation.sla_breached", "callback.created", "callback.claimed", "callback.due_soon", "callback.done", "callback.failed", "rating.received",
  "appointment.booked", "appointment.rescheduled", "appointment.cancelled", "appointment.declined", "appointment.checked_in",
  "appointment.reminder", "appointment.missed_start", "appointment.missed",
];
const eventKey = (e: WebhookEventType) => `hook_${e.replace(".", "_")}` as Key;

export function Webhooks() {
  const list = useLoad(() => api.webhooks(), []);
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<WebhookEventType[]>(["message.undelivered", "callback.due_soon"]);
  const [created, setCreated] = useState<WebhookCreated | null>(null);
  const [log, setLog] = useState<WebhookEndpoint | null>(null);
  const { busy, error, run } = useAction();
  const toggle = (e: WebhookEventType) => setEvents(events.includes(e) ? events.filter((x) => x !== e) : [...events, e]);
  const add = () => run(async () => {
    setCreated(await api.createWebhook({ url: url.trim(), events, description: null }));
    setUrl("");
    list.reload();
  });
  return (
    <section class="card" data-testid="webhooks">
      <h2>{t("webhooks")}</h2>
      <p class="hint">{t("webhooksHint")}</p>
      <div class="rule-add">
        <input type="url" value={url} placeholder="https://sms-gateway.example/careline" onInput={(e) => setUrl(e.currentTarget.value)} data-testid="webhook-url" />
        <button class="primary" disabled={busy || !url.trim() || events.length === 0} onClick={add} data-testid="webhook-add">{t("addWebhook")}</button>
      </div>
      <div class="hook-events">
        {eventTypes.map((e) => (
          <label class="check" title={e}><input type="checkbox" checked={events.includes(e)} onChange={() => toggle(e)} data-testid={`hook-event-${e}`} /> {t(eventKey(e))}</label>
        ))}
      </div>
      {error && <div class="form-error" data-testid="webhook-error">{error}</div>}
      {list.error && <div class="form-error">{list.error}</div>}
      <table class="table rules">
        <thead><tr><th>{t("address")}</th><th>{t("events")}</th><th>{t("state")}</th><th /></tr></thead>
        <tbody>
          {list.data?.length === 0 && <tr><td colSpan={4} class="muted" data-testid="no-webhooks">{t("noWebhooks")}</td></tr>}
          {(list.data ?? []).map((w) => <Row w={w} onChanged={list.reload} onLog={() => setLog(w)} />)}
        </tbody>
      </table>
      {created && (
        <Dialog title={t("webhookSecret")} onClose={() => setCreated(null)}>
          <p>{t("webhookSecretHint")}</p>
          <code class="secret" data-testid="webhook-secret">{created.secret}</code>
          <div class="dialog-buttons"><button class="primary" onClick={() => setCreated(null)}>{t("closeDialog")}</button></div>
        </Dialog>
      )}
      {log && <DeliveryLog w={log} onClose={() => setLog(null)} />}
    </section>
  );
}

function Row({ w, onChanged, onLog }: { w: WebhookEndpoint; onChanged: () => void; onLog: () => void }) {
  const { busy, error, run } = useAction();
  const set = (enabled: boolean) => run(async () => { await api.updateWebhook(w.id, { url: null, events: null, description: null, enabled }); onChanged(); });
  const remove = () => run(async () => { await api.deleteWebhook(w.id); onChanged(); });
  return (
    <tr class={w.enabled ? "" : "off"} data-testid="webhook-row">
      <td class="phrase">{w.url}{error && <div class="form-error">{error}</div>}</td>
      <td class="muted">{w.events.map((e) => t(eventKey(e))).join(", ")}</td>
      <td>
        <span class={`status ${w.enabled ? "status-active" : "blocked"}`}>{t(w.enabled ? "webhookOn" : "webhookPaused")}</span>
        <div class="muted small">{t("pendingCount")}: {w.pending} · {t("failedCount")}: {w.failed}</div>
        {w.paused_reason && <div class="muted small" data-testid="webhook-paused-reason">{w.paused_reason}</div>}
        {!w.paused_reason && w.last_error && <div class="muted small">{w.last_error}</div>}
      </td>
      <td class="actions">
        <button onClick={onLog} data-testid="webhook-log">{t("deliveryLog")}</button>
        <button disabled={busy} onClick={() => set(!w.enabled)} data-testid="webhook-toggle">{t(w.enabled ? "pause" : "resume")}</button>
        <button class="danger" disabled={busy} onClick={remove}>{t("deleteRule")}</button>
      </td>
    </tr>
  );
}

function DeliveryLog({ w, onClose }: { w: WebhookEndpoint; onClose: () => void }) {
  const items = useLoad(() => api.webhookDeliveries(w.id, null), [w.id]);
  return (
    <Dialog title={`${t("deliveryLog")}: ${w.url}`} onClose={onClose}>
      <div class="delivery-log">
        {items.error && <div class="form-error">{items.error}</div>}
        {items.data && items.data.length === 0 && <div class="empty">{t("noDeliveries")}</div>}
        <table class="table">
          <thead><tr><th>{t("when")}</th><th>{t("events")}</th><th>{t("state")}</th><th>{t("attemptsShort")}</th><th>{t("lastAnswer")}</th></tr></thead>
          <tbody>
            {(items.data ?? []).map((d) => (
              <tr data-testid="delivery-row">
                <td>{when(d.created_at, lang())}</td>
                <td>{t(eventKey(d.event_type))}</td>
                <td><span class={`status delivery-${d.status}`}>{t(`delivery_${d.status}` as Key)}</span></td>
                <td>{d.attempts}</td>
                <td class="muted">{d.last_status ? `HTTP ${d.last_status}` : ""} {d.last_error ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="dialog-buttons"><button onClick={onClose}>{t("closeDialog")}</button></div>
    </Dialog>
  );
}
