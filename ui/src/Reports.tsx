// The supervisor's reports: consultation figures over a period (an admin sees everyone's, an
// operator their own), a chart of arrivals and closings per bucket (uPlot, themed from the CSS
// variables), and the numbers as a table. Offline, the last report fetched is shown and said
// to be so. Every figure's definition: docs/reports.md.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { DateField } from "./DateField";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import {
  api, type BillingReportView, type CallbackReportView, type ConsultationFigures, type DurationFigure, type Me, type OperatorReportView, type ReportGroup,
  type ReportItem, type ReportMoment, type ReportQuery, type ReportView, type StatusTimes,
} from "./api";
import { useLoad } from "./store";
import { Audit } from "./Audit";
import { Board } from "./Board";
import { type Drill, Drilldown, drillQuery } from "./Drilldown";
import { errorLine } from "./errors";
import { ExportButton } from "./Export";
import { duration, localeOf, money, when } from "./format";
import { lang, t, type Key } from "./i18n";

type Period = "today" | "7d" | "30d" | "custom";

/** A custom range of local dates (`YYYY-MM-DD`, both included), grouped by what fits. */
function customRange(from: string, to: string): { from: string; to: string; group: ReportGroup } {
  const [a, b] = [new Date(`${from}T00:00:00`), new Date(`${to}T00:00:00`)];
  const end = new Date(b.getTime() + 86_400_000);
  const days = (end.getTime() - a.getTime()) / 86_400_000;
  return { from: a.toISOString(), to: end.toISOString(), group: days <= 2 ? "hour" : days <= 62 ? "day" : "week" };
}

const localDate = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

function range(period: Period, now = new Date()): { from: string; to: string; group: ReportGroup } {
  const end = new Date(now.getTime() + 60_000);
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const days = period === "today" ? 0 : period === "7d" ? 6 : 29;
  const start = new Date(midnight.getTime() - days * 86_400_000);
  return { from: start.toISOString(), to: end.toISOString(), group: period === "today" ? "hour" : "day" };
}

const ms = (d: DurationFigure, which: "median_ms" | "p90_ms") => (d[which] === null ? "—" : duration(d[which]!, lang()));

type Tab = "overview" | "board" | "audit";

export function Reports({ me }: { me: Me }) {
  const admin = me.role === "admin";
  const [tab, setTab] = useState<Tab>(admin ? "board" : "overview");
  return (
    <div class="page reports" data-testid="reports">
      <div class="page-head">
        <h1>{admin ? t("reports") : t("myFigures")}</h1>
        {admin && (
          <div class="segmented" role="tablist">
            {(["board", "overview", "audit"] as Tab[]).map((x) => (
              <button role="tab" class={tab === x ? "current" : ""} onClick={() => setTab(x)} data-testid={`report-tab-${x}`}>{t(`tab_${x}` as Key)}</button>
            ))}
          </div>
        )}
      </div>
      {tab === "board" && <Board />}
      {tab === "overview" && <Overview me={me} />}
      {tab === "audit" && <Audit />}
    </div>
  );
}

function Overview({ me }: { me: Me }) {
  const [period, setPeriod] = useState<Period>("7d");
  // When the period was chosen: its end does not move with every redraw.
  const [stamp, setStamp] = useState(Date.now());
  const [custom, setCustom] = useState(() => ({ from: localDate(new Date(Date.now() - 6 * 86_400_000)), to: localDate(new Date()) }));
  const [group, setGroup] = useState<ReportGroup | "auto">("auto");
  const [filter, setFilter] = useState<{ operator_id: string | null; kind: ReportQuery["kind"]; priority: ReportQuery["priority"]; tag: string }>({
    operator_id: null, kind: null, priority: null, tag: "",
  });
  const ops = useLoad(() => api.operators(), []);
  const [view, setView] = useState<ReportView | null>(null);
  const [people, setPeople] = useState<OperatorReportView | null>(null);
  const [callbacks, setCallbacks] = useState<CallbackReportView | null>(null);
  const [billing, setBilling] = useState<BillingReportView | null>(null);
  const [drill, setDrill] = useState<Drill | null>(null);
  const [error, setError] = useState<string | null>(null);
  const admin = me.role === "admin";
  const r = period === "custom" ? customRange(custom.from, custom.to) : range(period, new Date(stamp));
  const query: ReportQuery = {
    ...r,
    group: group === "auto" ? r.group : group,
    tz_offset_minutes: -new Date().getTimezoneOffset(),
    operator_id: admin ? filter.operator_id : me.id,
    kind: filter.kind,
    priority: filter.priority,
    tag: filter.tag.trim() || null,
    format: null,
  };
  const asked = JSON.stringify(query);
  const comments = useLoad(
    () => (admin ? api.reportItems(drillQuery(query.from, query.to, "closed", { ...query, limit: 1000 })) : Promise.resolve(null)),
    [asked],
  );
  useEffect(() => {
    setError(null);
    api.consultationReport(query).then(setView, (e) => setError(errorLine(e)));
    api.operatorReport(query).then(setPeople, () => setPeople(null));
    if (admin) {
      api.callbackReport(query).then(setCallbacks, () => setCallbacks(null));
      api.billingReport(query).then(setBilling, () => setBilling(null));
    }
  }, [asked]);
  const report = view?.report;
  // The chart redraws when its numbers change, not on every redraw of the page.
  const bars = useMemo(() => report?.buckets.map((b) => [Date.parse(b.start) / 1000, b.arrivals, b.closed] as [number, number, number]), [report]);
  // The consultations behind a figure: of the whole period, or of one bucket.
  const open = (moment: ReportMoment, title: string, from = query.from, to = query.to, extra = {}) =>
    setDrill({ title, query: drillQuery(from, to, moment, { operator_id: query.operator_id, ...extra }) });
  const bucketEnd = (i: number) => report!.buckets[i + 1]?.start ?? query.to;
  const bucketName = (start: string) =>
    new Date(start).toLocaleString(localeOf(lang()), report!.group === "hour" ? { hour: "2-digit", minute: "2-digit" } : { day: "numeric", month: "short", weekday: "short" });
  return (
    <div class="overview">
      <div class="overview-head">
        <div class="segmented" role="tablist">
          {(["today", "7d", "30d", "custom"] as Period[]).map((p) => (
            <button role="tab" class={period === p ? "current" : ""} onClick={() => { setPeriod(p); setStamp(Date.now()); }} data-testid={`period-${p}`}>{t(`period_${p}` as Key)}</button>
          ))}
        </div>
        {period === "custom" && (
          <span class="custom-range">
            <DateField value={custom.from} max={custom.to} onChange={(v) => v && setCustom({ ...custom, from: v })} testid="range-from" />
            –
            <DateField value={custom.to} min={custom.from} onChange={(v) => v && setCustom({ ...custom, to: v })} testid="range-to" />
          </span>
        )}
        <select value={group} onChange={(e) => setGroup(e.currentTarget.value as ReportGroup | "auto")} title={t("groupBy")} data-testid="report-group">
          <option value="auto">{t("groupAuto")}</option>
          <option value="hour">{t("hour")}</option>
          <option value="day">{t("day")}</option>
          <option value="week">{t("week")}</option>
        </select>
        {report && <ExportButton what={() => ({ what: "items", query: drillQuery(query.from, query.to, "any", { operator_id: query.operator_id }) })} label={t("exportAll")} />}
      </div>
      <div class="report-filters">
        {admin && (
          <select value={filter.operator_id ?? ""} onChange={(e) => setFilter({ ...filter, operator_id: e.currentTarget.value || null })} data-testid="report-operator">
            <option value="">{t("anyOperator")}</option>
            {(ops.data ?? []).map((o) => <option value={o.operator.id}>{o.operator.name}</option>)}
          </select>
        )}
        <select value={filter.kind ?? ""} onChange={(e) => setFilter({ ...filter, kind: (e.currentTarget.value || null) as ReportQuery["kind"] })}>
          <option value="">{t("allKinds")}</option>
          {(["chat", "phone", "video"] as const).map((k) => <option value={k}>{t(k)}</option>)}
        </select>
        <select value={filter.priority ?? ""} onChange={(e) => setFilter({ ...filter, priority: (e.currentTarget.value || null) as ReportQuery["priority"] })}>
          <option value="">{t("allPriorities")}</option>
          {(["urgent", "high", "normal", "low"] as const).map((p) => <option value={p}>{t(p)}</option>)}
        </select>
        <input class="tag-filter" placeholder={t("tags")} value={filter.tag} onChange={(e) => setFilter({ ...filter, tag: e.currentTarget.value })} />
      </div>
      {error && <div class="form-error">{error}</div>}
      {view?.offline && <div class="offline-banner" data-testid="report-offline">{t("reportOffline")} {when(view.fetched_at, lang())}</div>}
      {report && (
        <>
          <Tiles f={report.total} open={open} />
          <Chart
            buckets={bars!}
            group={report.group}
            onPick={(i, closings) => {
              const b = report.buckets[i];
              open(closings ? "closed" : "arrived", `${t(closings ? "closedCount" : "arrivals")} · ${bucketName(b.start)}`, b.start, bucketEnd(i));
            }}
          />
          <Heatmap rows={report.heatmap} onPick={(d, h, label) => open("arrived", `${t("arrivals")} · ${label}`, query.from, query.to, { weekday: d, hour: h })} />
          <div class="table-head"><h2>{t("byDay")}</h2><ExportButton what={() => ({ what: "consultations", query })} /></div>
          <table class="table report-table" data-testid="report-table">
            <thead>
              <tr>
                <th>{t(report.group === "hour" ? "hour" : "day")}</th><th>{t("arrivals")}</th><th>{t("taken")}</th><th>{t("closedCount")}</th><th>{t("abandoned")}</th>
                <th>{t("firstResponse")}</th><th>{t("resolution")}</th><th>{t("rating")}</th>
              </tr>
            </thead>
            <tbody>
              {report.buckets.map((b, i) => [b, i] as const).filter(([b]) => b.arrivals + b.taken + b.closed > 0).map(([b, i]) => (
                <tr class="clickable" onClick={() => open("arrived", `${t("arrivals")} · ${bucketName(b.start)}`, b.start, bucketEnd(i))} data-testid="report-day-row">
                  <td>{bucketName(b.start)}</td>
                  <td>{b.arrivals}</td><td>{b.taken}</td><td>{b.closed}</td><td>{b.abandoned}</td>
                  <td>{ms(b.first_response, "median_ms")}</td><td>{ms(b.resolution, "median_ms")}</td>
                  <td>{b.rating_average === null ? "—" : b.rating_average.toFixed(1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {people && (
        <>
          <div class="table-head"><h2>{t("operators")}</h2><ExportButton what={() => ({ what: "operators", query })} /></div>
          <OperatorTable view={people} onPick={(id, name) => open("closed", `${t("handled")} · ${name}`, query.from, query.to, { operator_id: id })} />
        </>
      )}
      {admin && comments.data && <Comments items={comments.data.items} />}
      {admin && callbacks && <CallbackTiles view={callbacks} query={query} />}
      {admin && billing && <Billing view={billing} query={query} />}
      {drill && <Drilldown drill={drill} onClose={() => setDrill(null)} />}
    </div>
  );
}

/** What clients wrote with their ratings in the period, newest first. */
function Comments({ items }: { items: ReportItem[] }) {
  const said = items.filter((i) => i.rating !== null && i.rating_comment).reverse().slice(0, 20);
  if (said.length === 0) return null;
  return (
    <section data-testid="rating-comments">
      <div class="table-head"><h2>{t("ratingComments")}</h2></div>
      <ul class="comments">
        {said.map((i) => (
          <li>
            <span class="score">{"★".repeat(i.rating!)}<span class="muted">{"★".repeat(5 - i.rating!)}</span></span>
            <span class="comment">{i.rating_comment}</span>
            <span class="muted">{i.client_name} · {i.operator_name ?? "—"} · {i.closed_at ? when(i.closed_at, lang()) : ""}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Callback requests of the period. */
function CallbackTiles({ view, query }: { view: CallbackReportView; query: ReportQuery }) {
  const f = view.report.total;
  const pct = (n: number, of: number) => (of > 0 ? `${Math.round((100 * n) / of)}%` : "—");
  const tile = (key: Key, value: string, sub?: string) => (
    <div class="tile"><div class="tile-label">{t(key)}</div><div class="tile-value">{value}</div>{sub && <div class="tile-sub muted">{sub}</div>}</div>
  );
  return (
    <section data-testid="callback-report">
      <div class="table-head"><h2>{t("callbacks")}</h2><ExportButton what={() => ({ what: "callbacks", query })} /></div>
      <div class="tiles">
        {tile("cbCreated", String(f.created), `${t("cbAttempted")}: ${f.attempted}`)}
        {tile("cbFirstAttempt", ms(f.time_to_first_attempt, "median_ms"), `${t("median")} · p90 ${ms(f.time_to_first_attempt, "p90_ms")}`)}
        {tile("cbReachedFirst", pct(f.reached_first_try, f.attempted), `${f.reached_first_try} / ${f.attempted}`)}
        {tile("cbNoAnswer", pct(f.no_answer, f.attempts), `${f.no_answer} / ${f.attempts}`)}
        {tile("cbDueHits", pct(f.due_hits, f.attempted), `${f.due_hits} / ${f.attempted}`)}
        {tile("cbAttemptsPer", f.attempts_per_finished === null ? "—" : f.attempts_per_finished.toFixed(1), `${t("cbFinished")}: ${f.finished}`)}
        {tile("cbOverdueNow", String(f.overdue_now))}
      </div>
    </section>
  );
}

/** Revenue of the period by tariff, kind and operator, per currency. */
function Billing({ view, query }: { view: BillingReportView; query: ReportQuery }) {
  const r = view.report;
  return (
    <section data-testid="billing-report">
      <div class="table-head">
        <h2>{t("billing")}</h2>
        <span class="muted">{r.totals.map((x) => `${money(x.revenue, x.currency, lang())} · ${x.consultations}`).join(" · ") || "—"}</span>
        <ExportButton what={() => ({ what: "billing", query })} />
      </div>
      {r.rows.length > 0 && (
        <table class="table report-table">
          <thead><tr><th>{t("tariff")}</th><th>{t("kindLabel")}</th><th>{t("operator")}</th><th>{t("consultations")}</th><th>{t("revenue")}</th><th>{t("refunded")}</th></tr></thead>
          <tbody>
            {r.rows.map((b) => (
              <tr data-testid="billing-row">
                <td class="name">{b.tariff_name ?? "—"}</td><td>{t(b.kind)}</td><td>{b.operator_name ?? "—"}</td><td>{b.consultations}</td>
                <td>{money(b.revenue, b.currency, lang())}</td>
                <td>{b.refunded ? money(b.refunded, b.currency, lang()) : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Arrivals by weekday and hour of the day: where staffing should follow demand. */
function Heatmap({ rows, onPick }: { rows: number[][]; onPick: (weekday: number, hour: number, label: string) => void }) {
  const max = Math.max(1, ...rows.flat());
  const locale = localeOf(lang());
  // 2024-01-01 was a Monday.
  const day = (i: number) => new Date(2024, 0, 1 + i).toLocaleDateString(locale, { weekday: "short" });
  return (
    <div class="heatmap" data-testid="heatmap">
      <div class="heatmap-title">{t("arrivalsByHour")}</div>
      <div class="heatmap-grid">
        <span />
        {Array.from({ length: 24 }, (_, h) => <span class="heatmap-hour">{h % 3 === 0 ? h : ""}</span>)}
        {rows.map((row, d) => (
          <>
            <span class="heatmap-day">{day(d)}</span>
            {row.map((n, h) => (
              <span class={`heatmap-cell ${n ? "clickable" : ""}`} style={{ opacity: n ? 0.15 + (0.85 * n) / max : 1, background: n ? "var(--accent)" : "var(--panel-2)" }}
                title={`${day(d)} ${h}:00 — ${n}`} data-testid="heatmap-cell" data-n={n} onClick={() => n && onPick(d, h, `${day(d)} ${h}:00`)} />
            ))}
          </>
        ))}
      </div>
    </div>
  );
}

/** A row per operator: what they handled, how fast, how rated, their load, and time in each
 * status over the period. */
function OperatorTable({ view, onPick }: { view: OperatorReportView; onPick: (id: string, name: string) => void }) {
  const hours = (v: number) => (v > 0 ? duration(v, lang()) : "—");
  return (
    <table class="table report-table" data-testid="operator-report">
      <thead>
        <tr>
          <th>{t("operators")}</th><th>{t("handled")}</th><th>{t("abandoned")}</th><th>{t("firstResponse")}</th><th>{t("resolution")}</th><th>{t("rating")}</th>
          <th>{t("load")}</th><th>{t("online")}</th><th>{t("away")}</th><th>{t("busy")}</th><th>{t("statusByPeriod")}</th>
          <th>{t("repCalls")}</th><th>{t("repCallsUnanswered")}</th><th>{t("repCallsFailed")}</th><th>{t("repTalkTime")}</th>
        </tr>
      </thead>
      <tbody>
        {view.report.operators.map((o) => (
          <tr class="clickable" data-testid="operator-report-row" onClick={() => onPick(o.operator_id, o.name)}>
            <td class="name">{o.name}</td>
            <td>{o.closed}</td><td>{o.abandoned}</td>
            <td>{ms(o.first_response, "median_ms")}</td><td>{ms(o.resolution, "median_ms")}</td>
            <td>{o.rating_average === null ? "—" : o.rating_average.toFixed(1)}</td>
            <td>{o.load}/{o.capacity}</td>
            <td>{hours(o.status_ms.online)}</td><td>{hours(o.status_ms.away)}</td><td>{hours(o.status_ms.busy)}</td>
            <td><StatusStrip starts={view.report.buckets} times={o.status_by_bucket} /></td>
            <td data-testid="op-calls">{o.calls.calls || "—"}</td><td>{o.calls.unanswered || "—"}</td><td>{o.calls.failed || "—"}</td>
            <td>{hours(o.calls.talk_seconds * 1000)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Time in each status in each bucket, as one small stacked bar per bucket (online, busy,
 * away from the bottom; offline is what is left), the numbers in each bar's tooltip. */
function StatusStrip({ starts, times }: { starts: string[]; times: StatusTimes[] }) {
  if (times.length === 0 || times.length > 62) return <span class="muted">—</span>;
  const locale = localeOf(lang());
  return (
    <span class="status-strip" data-testid="status-strip">
      {times.map((x, i) => {
        const all = Math.max(1, x.online + x.away + x.busy + x.offline);
        const pct = (v: number) => `${(100 * v) / all}%`;
        const label = `${new Date(starts[i]).toLocaleString(locale, { day: "numeric", month: "short", hour: times.length > 31 ? "2-digit" : undefined })}: ${t("online")} ${duration(x.online, lang())}, ${t("busy")} ${duration(x.busy, lang())}, ${t("away")} ${duration(x.away, lang())}`;
        return (
          <span class="strip-bar" title={label}>
            <i class="s-online" style={{ height: pct(x.online) }} />
            <i class="s-busy" style={{ height: pct(x.busy) }} />
            <i class="s-away" style={{ height: pct(x.away) }} />
          </span>
        );
      })}
    </span>
  );
}

function Tiles({ f, open }: { f: ConsultationFigures; open: (m: ReportMoment, title: string) => void }) {
  const tile = (key: Key, value: string, sub?: string, id?: string, moment?: ReportMoment) => (
    <button class="tile" data-testid={id} disabled={!moment} onClick={() => moment && open(moment, t(key))}>
      <div class="tile-label">{t(key)}</div>
      <div class="tile-value">{value}</div>
      {sub && <div class="tile-sub muted">{sub}</div>}
    </button>
  );
  const p90 = (d: DurationFigure) => `${t("median")} · p90 ${ms(d, "p90_ms")}`;
  return (
    <div class="tiles">
      {tile("arrivals", String(f.arrivals), undefined, "tile-arrivals", "arrived")}
      {tile("taken", String(f.taken), undefined, "tile-taken", "taken")}
      {tile("closedCount", String(f.closed), `${t("abandoned")}: ${f.abandoned}`, "tile-closed", "closed")}
      {tile("abandoned", String(f.abandoned), undefined, "tile-abandoned", "abandoned")}
      {tile("timeToTake", ms(f.time_to_take, "median_ms"), `${p90(f.time_to_take)} · SLA: ${f.sla_queue_wait_breaches}`, undefined, "taken")}
      {tile("firstResponse", ms(f.first_response, "median_ms"), `${p90(f.first_response)} · SLA: ${f.sla_first_response_breaches}`, undefined, "answered")}
      {tile("resolution", ms(f.resolution, "median_ms"), p90(f.resolution))}
      {tile("rating", f.rating_average === null ? "—" : f.rating_average.toFixed(2), `${t("rated")}: ${f.rated} / ${f.closed}${f.closed > 0 ? ` (${Math.round((100 * f.rated) / f.closed)}%)` : ""}`)}
    </div>
  );
}

/** Arrivals and closings per bucket as bars, one slot per bucket, labelled in the interface's
 * language; colours from the theme. */
function Chart({ buckets, group, onPick }: { buckets: [number, number, number][]; group: ReportGroup; onPick: (bucket: number, closings: boolean) => void }) {
  const box = useRef<HTMLDivElement>(null);
  const css = getComputedStyle(document.documentElement);
  const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const [accent, muted] = [color("--accent", "#0f766e"), color("--muted", "#888")];
  useEffect(() => {
    if (!box.current) return;
    const [line, text] = [color("--line", "#ddd"), color("--text", "#222")];
    const locale = localeOf(lang());
    const label = (i: number) => {
      const b = buckets[Math.round(i)];
      if (!b) return "";
      const d = new Date(b[0] * 1000);
      return group === "hour" ? d.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" }) : d.toLocaleDateString(locale, { day: "numeric", month: "short" });
    };
    // Side by side in each slot: arrivals to the left of the middle, closings to the right.
    const left = uPlot.paths.bars!({ size: [0.35, 14], align: -1 });
    const right = uPlot.paths.bars!({ size: [0.35, 14], align: 1 });
    const data: uPlot.AlignedData = [buckets.map((_, i) => i), buckets.map((b) => b[1]), buckets.map((b) => b[2])];
    const axis = { stroke: text, grid: { stroke: line, width: 1 }, ticks: { stroke: line } };
    const plot = new uPlot(
      {
        width: box.current.clientWidth || 600,
        height: 220,
        legend: { show: false },
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        scales: { x: { time: false, range: () => [-0.6, buckets.length - 0.4] }, y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] } },
        axes: [
          { ...axis, grid: { show: false }, space: 60, incrs: [1, 2, 3, 4, 6, 12, 24], values: (_u, splits) => splits.map(label) },
          { ...axis, size: 40, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], values: (_u, splits) => splits.map((v) => String(v)) },
        ],
        series: [
          {},
          { label: t("arrivals"), stroke: accent, fill: accent + "cc", paths: left, points: { show: false } },
          { label: t("closedCount"), stroke: muted, fill: muted + "99", paths: right, points: { show: false } },
        ],
      },
      data,
      box.current,
    );
    // A click in a slot opens what is behind its bar: left of the middle the arrivals, right the
    // closings.
    const pick = (e: MouseEvent) => {
      const left = e.clientX - plot.over.getBoundingClientRect().left;
      if (left < 0) return;
      const x = plot.posToVal(left, "x");
      const i = Math.round(x);
      if (i >= 0 && i < buckets.length) onPick(i, x > i);
    };
    plot.over.addEventListener("click", pick);
    plot.over.style.cursor = "pointer";
    const resize = () => box.current && plot.setSize({ width: box.current.clientWidth, height: 220 });
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      plot.destroy();
    };
  }, [buckets, group]);
  return (
    <div class="chart">
      <div class="chart-legend">
        <span><i style={{ background: accent }} /> {t("arrivals")}</span>
        <span><i style={{ background: muted }} /> {t("closedCount")}</span>
      </div>
      <div ref={box} data-testid="report-chart" data-buckets={buckets.length} />
    </div>
  );
}
