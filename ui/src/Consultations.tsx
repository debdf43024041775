import { useEffect, useState } from "preact/hooks";
import { DateField } from "./DateField";
import { api, type ConsultationRow, type ConsultationView, type ListCursor, type Counts, type ListFilter, type Me, type Sort } from "./api";
import { lang, plural, t, type Key } from "./i18n";
import { usePagedList } from "./pagedList";
import { go, nav } from "./nav";
import { pref, setPref, useCell, useLoad, useNow, versions } from "./store";
import { VirtualList } from "./VirtualList";
import { Chat } from "./Chat";
import { Icon } from "./icons";
import { calendarDate, dayOfIso, duration, money, previewAround, waitLevel, when } from "./format";

const views: { id: ConsultationView; key: Key }[] = [
  { id: "queue", key: "queue" },
  { id: "mine", key: "mine" },
  { id: "active", key: "active" },
  { id: "archive", key: "archive" },
];

const empty: Record<ConsultationView, Key> = { queue: "emptyQueue", mine: "emptyMine", active: "emptyActive", archive: "emptyArchive" };

export function Consultations({ me, counts }: { me: Me; counts: Counts | undefined }) {
  const n = useCell(nav);
  const v = useCell(versions);
  const [filter, setFilter] = useState<ListFilter>(() => ({ ...blankFilter(), sort: pref<Sort>(`sort.${n.view}`, "natural") }));
  const [showFilters, setShowFilters] = useState(false);
  const list = usePagedList<ConsultationRow, ListCursor>((after, limit) => api.list(n.view, filter, after, limit), [n.view, filter], v.consultations);
  const operators = useLoad(() => api.operators(), [v.operators]);
  const now = useNow(10_000);

  const setView = (view: ConsultationView) => {
    go({ view });
    setFilter((f) => ({ ...f, sort: pref<Sort>(`sort.${view}`, "natural") }));
  };
  const patch = (p: Partial<ListFilter>) => {
    if (p.sort) setPref(`sort.${n.view}`, p.sort);
    setFilter((f) => ({ ...f, ...p }));
  };
  const count = (view: ConsultationView) => (counts ? { queue: counts.queue, mine: counts.mine, active: counts.active, archive: 0 }[view] : 0);
  const rows = list.rows ?? [];
  useEffect(() => {
    if (list.rows) requestAnimationFrame(() => api.ready());
  }, [list.rows !== undefined]);

  // Keyboard: ↑/↓ (or k/j) move through the list when no field has the focus.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = document.activeElement;
      if (el && ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName)) return;
      const step = e.key === "ArrowDown" || e.key === "j" ? 1 : e.key === "ArrowUp" || e.key === "k" ? -1 : 0;
      if (!step || rows.length === 0) return;
      e.preventDefault();
      const at = rows.findIndex((r) => r.consultation.id === nav.get().consultation);
      const next = rows[Math.max(0, Math.min(rows.length - 1, at < 0 ? 0 : at + step))];
      go({ consultation: next.consultation.id });
      document.querySelector(`[data-id="${next.consultation.id}"]`)?.scrollIntoView({ block: "nearest" });
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [rows]);

  return (
    <div class="split">
      <section class="list-pane">
        <div class="tabs" role="tablist">
          {views.map((x) => (
            <button role="tab" class={n.view === x.id ? "current" : ""} onClick={() => setView(x.id)} data-testid={`view-${x.id}`}>
              {t(x.key)}
              {count(x.id) > 0 && <span class="count">{count(x.id)}</span>}
            </button>
          ))}
        </div>
        <div class="filter-bar">
          <input type="search" placeholder={t("filterText")} title={t("filterTitle")} aria-label={t("filterTitle")} value={filter.text ?? ""} onInput={(e) => patch({ text: e.currentTarget.value || null })} data-testid="filter-text" />
          <select value={filter.sort} onChange={(e) => patch({ sort: e.currentTarget.value as Sort })} title={t("filters")} data-testid="sort">
            <option value="natural">{t("sortNatural")}</option>
            <option value="oldest">{t("sortOldest")}</option>
            <option value="newest">{t("sortNewest")}</option>
            <option value="priority">{t("sortPriority")}</option>
            <option value="last_message">{t("sortLast")}</option>
          </select>
          <button class={`icon-button ${showFilters ? "on" : ""}`} onClick={() => setShowFilters(!showFilters)} title={t("filters")} data-testid="more-filters">⋯</button>
        </div>
        {showFilters && (
          <div class="filter-more">
            <select value={filter.kind ?? ""} data-testid="filter-kind" onChange={(e) => patch({ kind: (e.currentTarget.value || null) as ListFilter["kind"] })}>
              <option value="">{t("allKinds")}</option>
              <option value="chat">{t("chat")}</option>
              <option value="phone">{t("phone")}</option>
              <option value="video">{t("video")}</option>
            </select>
            <select value={filter.priority ?? ""} onChange={(e) => patch({ priority: (e.currentTarget.value || null) as ListFilter["priority"] })}>
              <option value="">{t("allPriorities")}</option>
              {(["urgent", "high", "normal", "low"] as const).map((p) => <option value={p}>{t(p)}</option>)}
            </select>
            {n.view !== "mine" && n.view !== "queue" && (
              <select value={filter.operator_id ?? ""} onChange={(e) => patch({ operator_id: e.currentTarget.value || null })}>
                <option value="">{t("anyOperator")}</option>
                {(operators.data ?? []).map((o) => <option value={o.operator.id}>{o.operator.name}</option>)}
              </select>
            )}
            <input placeholder={t("tags")} value={filter.tag ?? ""} onInput={(e) => patch({ tag: e.currentTarget.value || null })} />
            <label>{t("from")} <DateField value={dayOfIso(filter.from)} onChange={(v) => patch({ from: v ? calendarDate(v)!.toISOString() : null })} testid="archive-from" /></label>
            <label>{t("to")} <DateField value={dayOfIso(filter.to)} onChange={(v) => patch({ to: v ? new Date(calendarDate(v)!.getTime() + 86_399_999).toISOString() : null })} testid="archive-to" /></label>
            <label class="check"><input type="checkbox" checked={filter.unread_only} onChange={(e) => patch({ unread_only: e.currentTarget.checked })} /> {t("unreadOnly")}</label>
          </div>
        )}
        {list.rows && rows.length > 0 && (
          <div class="list-total" data-testid="list-total">
            {plural("found", list.total)}
          </div>
        )}
        {list.error && <div class="form-error">{list.error}</div>}
        {rows.length === 0 && list.rows ? (
          <div class="empty" data-testid="list-empty">{t(empty[n.view])}</div>
        ) : (
          <VirtualList
            items={rows}
            rowHeight={68}
            keyOf={(r) => r.consultation.id}
            testid="consultation-list"
            onNearEnd={list.more}
            render={(r) => <Row row={r} now={now} selected={n.consultation === r.consultation.id} view={n.view} />}
          />
        )}
      </section>
      <section class="detail-pane">
        {n.consultation ? <Chat id={n.consultation} me={me} focus={n.message} /> : <div class="empty big">{t("selectConsultation")}</div>}
      </section>
    </div>
  );
}

function blankFilter(): ListFilter {
  return { kind: null, priority: null, operator_id: null, client_id: null, tag: null, text: null, from: null, to: null, unread_only: false, sort: "natural" };
}

/** The row's text: the last message exchanged ("You: …" for the staff's), else the first; with
 * a red flag, the client's words that raised it, marked and never cut. */
function Preview({ row }: { row: ConsultationRow }) {
  const c = row.consultation;
  const mineLast = row.last_text !== null && row.last_by_me;
  const text = row.last_text ?? c.subject ?? "—";
  const words = c.red_flag_words ?? c.red_flag;
  if (!words) {
    return (
      <span class="subject" data-testid="row-preview">
        {mineLast && <b class="you">{t("youPrefix")}</b>}
        {row.last_is_file && <Icon name="clip" size={13} />}
        {text}
      </span>
    );
  }
  const p = previewAround(text, words);
  const flag = <mark class="flag-words" title={`${t("redFlag")}: ${words}`} data-testid="row-red-flag">⚑ {words}</mark>;
  return p
    ? <span class="subject flagged">{p.pre}{flag}{p.post}</span>
    : <span class="subject flagged">{flag} {text}</span>;
}

function Row({ row, now, selected, view }: { row: ConsultationRow; now: number; selected: boolean; view: ConsultationView }) {
  const c = row.consultation;
  const waited = now - Date.parse(c.created_at);
  const late = row.sla !== null && now >= Date.parse(row.sla.at);
  return (
    <button class={`row ${selected ? "selected" : ""} ${c.red_flag && c.status === "new" ? "red" : ""} ${late ? "sla-late" : ""}`} onClick={() => go({ consultation: c.id })} data-testid="consultation-row" data-id={c.id}>
      <div class="row-top">
        <span class="name" title={row.client_name}>
          {row.client_vip && <span class="vip">VIP</span>}
          {row.client_name}
        </span>
        {view === "queue" ? (
          <span class={`wait ${late ? "alarm" : waitLevel(waited)}`}>{duration(waited, lang())}</span>
        ) : (
          <span class="time">{when(c.last_message_at ?? c.created_at, lang(), now)}</span>
        )}
      </div>
      <div class="row-bottom">
        <Preview row={row} />
        {c.priority !== "normal" && !c.red_flag && <span class={`prio prio-${c.priority}`}>{t(c.priority)}</span>}
        {late && <span class="sla" title={t(`sla_${row.sla!.breach}` as Key)} data-testid="row-sla">SLA · {t(`slaShort_${row.sla!.breach}` as Key)}</span>}
        {row.unread > 0 && <span class="unread" title={t("unread")}>{row.unread}</span>}
      </div>
      {view !== "queue" && view !== "mine" && (row.operator_name || (view === "archive" && c.price > 0)) && (
        <div class="row-op">
          <span>{row.operator_name}</span>
          {view === "archive" && c.price > 0 && <span class="price">{money(c.price, c.currency, lang())}</span>}
        </div>
      )}
    </button>
  );
}
