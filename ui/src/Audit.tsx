// The audit log (admins): who did what, when, from where — filtered by who, what (an action's
// beginning), which period; paged; exported as CSV. Online only.
import { useEffect, useState } from "preact/hooks";
import { DateField } from "./DateField";
import { api, type AuditQuery, type AuditRecord } from "./api";
import { ExportButton } from "./Export";
import { errorLine } from "./errors";
import { actionWords, actorWords, detailWords } from "./auditWords";
import { calendarDate, when } from "./format";
import { lang, t, type Key } from "./i18n";
import { useLoad } from "./store";

/** The action filter: a prefix of the codes, by the section's name. */
const actions: [string, Key][] = [
  ["", "anyAction"], ["consultation.", "consultations"], ["client.", "clients"], ["report.", "reports"], ["operator.", "operators"],
  ["session.", "sessions"], ["settings.", "settings"], ["red_flag.", "redFlags"], ["tariff.", "tariffs"], ["webhook.", "webhooks"], ["audit.", "tab_audit"],
];

export function Audit() {
  const ops = useLoad(() => api.operators(), []);
  const [operator, setOperator] = useState("");
  const [action, setAction] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [rows, setRows] = useState<AuditRecord[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const names = new Map((ops.data ?? []).map((o) => [o.operator.id, o.operator.name]));
  const query = (cursor: string | null): AuditQuery => ({
    target_id: null, operator_id: operator || null, action: action || null,
    from: from ? calendarDate(from)!.toISOString() : null, to: to ? new Date(calendarDate(to)!.getTime() + 86_400_000).toISOString() : null,
    cursor, limit: 100, format: null,
  });
  const load = (cursor: string | null) => {
    setError(null);
    api.audit(query(cursor)).then((p) => { setRows((r) => (cursor ? [...r, ...p.items] : p.items)); setNext(p.next_cursor); }, (e) => setError(errorLine(e)));
  };
  useEffect(() => load(null), [operator, action, from, to]);
  return (
    <div class="audit" data-testid="audit">
      <div class="filters-row">
        <select value={operator} onChange={(e) => setOperator(e.currentTarget.value)} data-testid="audit-operator">
          <option value="">{t("anyOperator")}</option>
          {(ops.data ?? []).map((o) => <option value={o.operator.id}>{o.operator.name}</option>)}
        </select>
        <select value={action} onChange={(e) => setAction(e.currentTarget.value)} data-testid="audit-action">
          {actions.map(([a, k]) => <option value={a}>{t(k)}</option>)}
        </select>
        <label class="inline">{t("from")} <DateField value={from} onChange={setFrom} testid="audit-from" /></label>
        <label class="inline">{t("to")} <DateField value={to} onChange={setTo} testid="audit-to" /></label>
        <ExportButton what={() => ({ what: "audit", query: query(null) })} />
      </div>
      {error && <div class="form-error">{error}</div>}
      <table class="table report-table" data-testid="audit-table">
        <thead><tr><th>{t("when")}</th><th>{t("who")}</th><th>{t("action")}</th><th>{t("detail")}</th><th>{t("fromWhere")}</th></tr></thead>
        <tbody>
          {rows.map((a) => (
            <tr data-testid="audit-row">
              <td>{when(a.at, lang())}</td>
              <td class="name">{actorWords(a)}</td>
              <td title={a.action}>{actionWords(a.action)}</td>
              <td class="muted detail" title={[a.detail, a.target_id].filter(Boolean).join(" · ")}>{detailWords(a, names)}</td>
              <td class="muted">{a.remote_addr ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && !error && <div class="empty">{t("noAudit")}</div>}
      {next && <button onClick={() => load(next)} data-testid="audit-more">{t("more")}</button>}
    </div>
  );
}
