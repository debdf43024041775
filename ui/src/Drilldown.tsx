// The consultations behind a figure: a bar, a tile, a heatmap cell, an operator's row. Fetched
// from the server (online only); a click opens the consultation's chat.
import { api, type ReportItemsQuery, type ReportMoment } from "./api";
import { Dialog } from "./Dialog";
import { ExportButton } from "./Export";
import { duration, when } from "./format";
import { lang, t, type Key } from "./i18n";
import { go } from "./nav";
import { useLoad } from "./store";

export interface Drill {
  title: string;
  query: ReportItemsQuery;
}

export function drillQuery(from: string, to: string, moment: ReportMoment, extra: Partial<ReportItemsQuery> = {}): ReportItemsQuery {
  return {
    from, to, moment, tz_offset_minutes: -new Date().getTimezoneOffset(), operator_id: null, kind: null, priority: null, tag: null,
    weekday: null, hour: null, limit: 500, format: null, ...extra,
  };
}

export function Drilldown({ drill, onClose }: { drill: Drill; onClose: () => void }) {
  const items = useLoad(() => api.reportItems(drill.query), [JSON.stringify(drill.query)]);
  const d = (v: number | null) => (v === null ? "—" : duration(v, lang()));
  return (
    <Dialog title={drill.title} onClose={onClose}>
      <div class="drilldown" data-testid="drilldown">
        {items.error && <div class="form-error">{items.error}</div>}
        {items.data && (
          <>
            <div class="drill-head">
              <span class="muted">{items.data.items.length}{items.data.more ? "+" : ""} · {t(`moment_${drill.query.moment}` as Key)}</span>
              <ExportButton what={() => ({ what: "items", query: drill.query })} />
            </div>
            {items.data.items.length === 0 ? (
              <div class="empty">{t("noneBehind")}</div>
            ) : (
              <div class="drill-scroll">
                <table class="table report-table">
                  <thead>
                    <tr><th>{t("client")}</th><th>{t("startedAt")}</th><th>{t("timeToTake")}</th><th>{t("firstResponse")}</th><th>{t("resolution")}</th><th>{t("operator")}</th><th>{t("rating")}</th></tr>
                  </thead>
                  <tbody>
                    {items.data.items.map((i) => (
                      <tr class="clickable" data-testid="drill-row" onClick={() => { go({ section: "consultations", view: i.closed_at ? "archive" : i.first_taken_at ? "active" : "queue", consultation: i.id }); onClose(); }}>
                        <td class="name">{i.red_flag && <span class="flag" title={i.red_flag}>⚑</span>} {i.client_name}</td>
                        <td>{when(i.created_at, lang())}</td>
                        <td>{d(i.time_to_take_ms)}</td><td>{d(i.first_response_ms)}</td><td>{d(i.resolution_ms)}</td>
                        <td>{i.operator_name ?? "—"}</td><td>{i.rating ?? "—"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )}
        {!items.data && !items.error && <div class="empty">{t("loading")}</div>}
      </div>
      <div class="dialog-buttons"><button onClick={onClose}>OK</button></div>
    </Dialog>
  );
}
