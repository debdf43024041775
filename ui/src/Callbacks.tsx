import { useState } from "preact/hooks";
import { errorLine } from "./errors";
import { api, type AttemptOutcome, type CallbackRow, type Me } from "./api";
import { lang, t, type Key } from "./i18n";
import { go, nav } from "./nav";
import { act, Cell, useCell, useLoad, useNow, versions } from "./store";
import { VirtualList } from "./VirtualList";
import { dueState, duration, when } from "./format";
import { Icon } from "./icons";
import { NewCallbackDialog } from "./Reception";
import { phoneShown } from "./phone";

/** The request just rung from this desk: its detail asks how the call went. */
const calling = new Cell<string | null>(null);

const outcomes: { id: AttemptOutcome; key: Key }[] = [
  { id: "reached", key: "reached" },
  { id: "no_answer", key: "no_answer" },
  { id: "busy", key: "busyLine" },
  { id: "wrong_number", key: "wrong_number" },
];

export function Callbacks({ me }: { me: Me }) {
  const n = useCell(nav);
  const v = useCell(versions);
  const [text, setText] = useState("");
  const [adding, setAdding] = useState(false);
  const list = useLoad(() => api.callbacks(n.callbackView, text || null), [n.callbackView, text, v.callbacks, v.clients]);
  const now = useNow(15_000);
  const rows = list.data ?? [];
  return (
    <div class="split">
      <section class="list-pane">
        <div class="tabs" role="tablist">
          <button class={n.callbackView === "open" ? "current" : ""} onClick={() => go({ callbackView: "open" })} data-testid="callbacks-open">{t("open")}</button>
          <button class={n.callbackView === "archive" ? "current" : ""} onClick={() => go({ callbackView: "archive" })} data-testid="callbacks-archive">{t("archive")}</button>
        </div>
        <div class="filter-bar">
          <input type="search" placeholder={t("searchClients")} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          <button class="primary" onClick={() => setAdding(true)} data-testid="new-callback" title={t("newCallback")} aria-label={t("newCallback")}>+ {t("create")}</button>
        </div>
        {adding && <NewCallbackDialog onClose={() => setAdding(false)} />}
        {rows.length === 0 && list.data ? (
          <div class="empty">{t(n.callbackView === "open" ? "noCallbacks" : "noArchivedCallbacks")}</div>
        ) : (
          <VirtualList items={rows} rowHeight={68} keyOf={(r) => r.callback.id} testid="callback-list"
            render={(r) => <Row r={r} me={me} now={now} selected={n.callback === r.callback.id} />} />
        )}
      </section>
      <section class="detail-pane">
        {n.callback ? <Detail id={n.callback} me={me} now={now} /> : <div class="empty big">{t("selectCallback")}</div>}
      </section>
    </div>
  );
}

/** Who may ring this request from here: anyone while it is new (ringing claims it), its owner
 * while claimed. */
function callable(r: CallbackRow, me: Me): boolean {
  return r.callback.status === "new" || (r.callback.status === "claimed" && r.callback.operator_id === me.id);
}

/** Rings the request's phone: claims it first when it is new, then hands the number to the
 * telephone (tel: or the SIP template); the detail then asks how the call went. */
async function ring(r: CallbackRow): Promise<string> {
  if (r.callback.status === "new") await act({ op: "claim_callback", callback_id: r.callback.id });
  go({ callback: r.callback.id });
  calling.set(r.callback.id);
  return api.call(r.callback.phone);
}

function Row({ r, me, now, selected }: { r: CallbackRow; me: Me; now: number; selected: boolean }) {
  const cb = r.callback;
  const state = dueState(cb.due_at, cb.status, now);
  const late = r.sla !== null && now >= Date.parse(r.sla.at);
  const open = () => go({ callback: cb.id });
  return (
    <div class={`row callback-row ${selected ? "selected" : ""} due-${state} ${late ? "sla-late" : ""}`} role="button" tabIndex={0}
      onClick={open} onKeyDown={(e) => e.key === "Enter" && open()} data-testid="callback-row" data-id={cb.id}>
      <div class="row-top">
        <span class="name">{r.client_name ?? phoneShown(cb.phone, lang())}</span>
        <span class={`wait ${state === "overdue" ? "alarm" : state === "due" ? "warn" : "calm"}`}>
          {state === "final" ? t(cb.status as Key) : cb.preferred_at || state === "later" ? when(cb.due_at, lang(), now) : t("asap")}
        </span>
      </div>
      <div class="row-bottom">
        <span class="subject">{cb.reason ?? phoneShown(cb.phone, lang())}</span>
        {cb.status === "claimed" && <span class="tag">{r.operator_name}</span>}
        {cb.attempts.length > 0 && <span class="count">{t("attempts")}: {cb.attempts.length}</span>}
        {late && <span class="sla" title={t("sla_callback_asap")} data-testid="row-sla">SLA · {t("slaShort_callback_asap")}</span>}
        {callable(r, me) && (
          <button class="row-call" title={`${t("call")} ${phoneShown(cb.phone, lang())}`} aria-label={t("call")} data-testid="row-call"
            onClick={(e) => { e.stopPropagation(); ring(r).catch(() => undefined); }}>
            <Icon name="phone" size={15} />
          </button>
        )}
      </div>
    </div>
  );
}

function Detail({ id, me, now }: { id: string; me: Me; now: number }) {
  const v = useCell(versions);
  const row = useLoad(() => api.callback(id), [id, v.callbacks]);
  const [note, setNote] = useState("");
  const [info, setInfo] = useState<string | null>(null);
  const r = row.data;
  if (!r) return <div class="empty big">{row.error ?? t("loading")}</div>;
  const cb = r.callback;
  const mineClaimed = cb.status === "claimed" && cb.operator_id === me.id;
  const state = dueState(cb.due_at, cb.status, now);
  const run = async (f: () => Promise<unknown>) => {
    setInfo(null);
    try {
      await f();
    } catch (e) {
      setInfo(errorLine(e));
    }
  };
  const rang = useCell(calling) === cb.id;
  const record = (o: AttemptOutcome) =>
    run(async () => {
      await act({ op: "callback_attempt", callback_id: cb.id, outcome: o, note: note || null, key: crypto.randomUUID() });
      setNote("");
      calling.set(null);
    });
  return (
    <div class="card-detail" data-testid="callback-detail">
      <h2>
        {r.client_name ? <button class="link" onClick={() => cb.client_id && go({ section: "clients", client: cb.client_id })}>{r.client_name}</button> : phoneShown(cb.phone, lang())}
        <span class={`status status-${cb.status}`} data-testid="callback-status">{t(cb.status as Key)}</span>
        {state === "overdue" && <span class="status overdue">{t("overdue")} · {duration(now - Date.parse(cb.due_at), lang())}</span>}
      </h2>
      {/* The one obvious path: ring the number, then say how it went. */}
      {callable(r, me) && (
        <div class={`call-block ${rang ? "rang" : ""}`} data-testid="call-block">
          <div class="call-line">
            <span class="call-phone" data-testid="callback-phone">{phoneShown(cb.phone, lang())}</span>
            <button class="primary call-button" onClick={() => run(async () => setInfo(t("callHandedOff").replace("{uri}", await ring(r))))} data-testid="call">
              <Icon name="phone" size={16} /> {cb.status === "new" ? t("claimAndCall") : t("call")}
            </button>
          </div>
          {mineClaimed && (
            <div class="attempt-form">
              <div class="attempt-ask">{rang ? t("howDidItGo") : t("recordAttempt")}</div>
              <textarea rows={2} value={note} placeholder={t("attemptNoteHint")} onInput={(e) => setNote(e.currentTarget.value)} data-testid="attempt-note" />
              <div class="outcomes">
                {outcomes.map((o) => (
                  <button class={`outcome out-${o.id}`} onClick={() => record(o.id)} data-testid={`outcome-${o.id}`}>{t(o.key)}</button>
                ))}
              </div>
            </div>
          )}
        </div>
      )}
      <dl class="facts">
        {!callable(r, me) && (<><dt>{t("phone")}</dt><dd class="phone">{phoneShown(cb.phone, lang())}</dd></>)}
        <dt>{t("reason")}</dt><dd>{cb.reason ?? "—"}</dd>
        <dt>{t("preferred")}</dt><dd>{cb.preferred_at ? `${when(cb.preferred_at, lang())}${cb.preferred_until ? ` – ${when(cb.preferred_until, lang())}` : ""}` : t("asap")}</dd>
        <dt>{t("due")}</dt><dd>{when(cb.due_at, lang())}</dd>
        {r.operator_name && (<><dt>{t("claimedBy")}</dt><dd>{r.operator_name}</dd></>)}
      </dl>
      <div class="actions">
        {cb.status === "new" && <button onClick={() => run(() => act({ op: "claim_callback", callback_id: cb.id }))} data-testid="claim">{t("claim")}</button>}
        {mineClaimed && <button onClick={() => run(() => act({ op: "release_callback", callback_id: cb.id }))}>{t("releaseCb")}</button>}
        {(cb.status === "new" || mineClaimed) && <button class="danger" onClick={() => run(() => act({ op: "cancel_callback", callback_id: cb.id }))}>{t("cancelRequest")}</button>}
      </div>
      {info && <div class="info-line" data-testid="call-info">{info}</div>}
      <h3>{t("attempts")}</h3>
      {cb.attempts.length === 0 ? <div class="empty small">—</div> : (
        <ul class="attempts" data-testid="attempts">
          {cb.attempts.map((a) => (
            <li><span class={`pill out-${a.outcome}`}>{t((a.outcome === "busy" ? "busyLine" : a.outcome) as Key)}</span> {when(a.at, lang())} {a.note && <span class="muted">— {a.note}</span>}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
