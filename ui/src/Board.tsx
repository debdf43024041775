// The live board: the queue now, callbacks due, SLA breaches in progress, operators by status
// with their load — from the desk's cache, which the event stream keeps current: redrawn on
// every change (and each 15 s, as waits grow), never polled from the server.
import { api } from "./api";
import { duration, initials } from "./format";
import { lang, t, type Key } from "./i18n";
import { go } from "./nav";
import { useCell, useLoad, useNow, versions } from "./store";

export function Board() {
  const v = useCell(versions);
  const now = useNow(15_000);
  const b = useLoad(() => api.board(), [v.consultations, v.callbacks, v.operators, now]);
  if (!b.data) return <div class="empty">{b.error ?? t("loading")}</div>;
  const d = b.data;
  const tile = (key: Key, value: string, level: "" | "warn" | "alarm", onClick?: () => void, id?: string) => (
    <button class={`tile board-tile ${level}`} onClick={onClick} disabled={!onClick} data-testid={id}>
      <div class="tile-label">{t(key)}</div>
      <div class="tile-value">{value}</div>
    </button>
  );
  const toQueue = () => go({ section: "consultations", view: "queue" });
  const toCallbacks = () => go({ section: "callbacks" });
  const slaTotal = d.sla_queue_wait + d.sla_first_response + d.sla_unanswered + d.sla_callbacks;
  return (
    <div class="board" data-testid="board">
      <div class="tiles">
        {tile("boardQueue", String(d.queue), d.queue_red_flags > 0 ? "alarm" : d.queue > 0 ? "warn" : "", toQueue, "board-queue")}
        {tile("boardRedFlags", String(d.queue_red_flags), d.queue_red_flags > 0 ? "alarm" : "", toQueue, "board-red-flags")}
        {tile("boardLongest", d.longest_wait_since ? duration(now - Date.parse(d.longest_wait_since), lang()) : "—", d.sla_queue_wait > 0 ? "alarm" : "", toQueue)}
        {tile("boardActive", String(d.active), "")}
        {tile("boardCallbacksDue", String(d.callbacks_due), d.callbacks_due > 0 ? "warn" : "", toCallbacks)}
        {tile("boardCallbacksOverdue", String(d.callbacks_overdue), d.callbacks_overdue > 0 ? "alarm" : "", toCallbacks)}
        {tile("boardSla", String(slaTotal), slaTotal > 0 ? "alarm" : "", undefined, "board-sla")}
      </div>
      {slaTotal > 0 && (
        <div class="board-sla muted">
          {t("slaShort_queue_wait")}: {d.sla_queue_wait} · {t("slaShort_first_response")}: {d.sla_first_response} · {t("slaShort_unanswered")}: {d.sla_unanswered} · {t("slaShort_callback_asap")}: {d.sla_callbacks}
        </div>
      )}
      <div class="board-people">
        {d.operators.filter((o) => !o.operator.disabled).map((o) => (
          <div class={`board-person presence-${o.operator.status}`} data-testid="board-person">
            <span class={`avatar presence-${o.operator.status}`}>{initials(o.operator.name)}</span>
            <div class="board-person-text">
              <div class="name" title={o.operator.name}>{o.operator.name}</div>
              <div class="muted">{t(o.operator.status)} · {o.load}/{o.operator.capacity}</div>
            </div>
            <div class="load-bar"><i style={{ width: `${Math.min(100, (100 * o.load) / Math.max(1, o.operator.capacity))}%` }} class={o.load >= o.operator.capacity ? "full" : ""} /></div>
          </div>
        ))}
      </div>
    </div>
  );
}
