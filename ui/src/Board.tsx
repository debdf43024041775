// The live board: the queue now, callbacks due, SLA breaches in progress, operators by status
// with their load — from the desk's cache, which the event stream keeps current: redrawn on
// every change (and each 15 s, as waits grow), never polled from the server.
import { api } from "./api";
import { duration, initials, stranded } from "./format";
import { lang, plural, t, type Key } from "./i18n";
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
  const toActive = () => go({ section: "consultations", view: "active" });
  const strandedPatients = d.operators.filter((o) => !o.operator.disabled && stranded(o.operator.status, o.load)).reduce((n, o) => n + o.load, 0);
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
        {tile("boardStranded", String(strandedPatients), strandedPatients > 0 ? "alarm" : "", toActive, "board-stranded-tile")}
      </div>
      {/* What the SLA figure counts, always: each threshold and how many are past it now. */}
      <div class={`board-sla ${slaTotal > 0 ? "late" : "muted"}`} data-testid="board-sla-detail">
        {t("slaCounts")}{" "}
        {([
          ["slaShort_queue_wait", d.sla.queue_wait_minutes, d.sla_queue_wait],
          ["slaShort_first_response", d.sla.first_response_minutes, d.sla_first_response],
          ["slaShort_unanswered", d.sla.unanswered_minutes, d.sla_unanswered],
          ["slaShort_callback_asap", d.sla.callback_asap_minutes, d.sla_callbacks],
        ] as [Key, number | null, number][]).map(([k, min, n], i) => (
          <span class={n > 0 ? "late" : ""}>
            {i > 0 && " · "}
            {t(k)} {min ? `> ${duration(min * 60_000, lang())}` : `(${t("notWatched")})`}: {n}
          </span>
        ))}
      </div>
      <div class="board-people">
        {d.operators
          .filter((o) => !o.operator.disabled)
          .sort((a, b) => Number(stranded(b.operator.status, b.load)) - Number(stranded(a.operator.status, a.load)))
          .map((o) => (
          <div class={`board-person presence-${o.operator.status} ${stranded(o.operator.status, o.load) ? "stranded" : ""}`} data-testid="board-person">
            <span class={`avatar presence-${o.operator.status}`}>{initials(o.operator.name)}</span>
            <div class="board-person-text">
              <div class="name" title={o.operator.name}>{o.operator.name}</div>
              {stranded(o.operator.status, o.load)
                ? <div class="stranded-note" data-testid="board-stranded">{plural("strandedWarn", o.load)}</div>
                : <div class="muted">{t(o.operator.status)} · {o.load}/{o.operator.capacity}</div>}
            </div>
            <div class="load-bar"><i style={{ width: `${Math.min(100, (100 * o.load) / Math.max(1, o.operator.capacity))}%` }} class={o.load >= o.operator.capacity ? "full" : ""} /></div>
          </div>
        ))}
      </div>
    </div>
  );
}
