import { api, type Me } from "./api";
import { lang, t } from "./i18n";
import { useCell, useLoad, versions } from "./store";
import { initials, when } from "./format";

export function Operators({ me }: { me: Me }) {
  const v = useCell(versions);
  const list = useLoad(() => api.operators(), [v.operators, v.consultations]);
  return (
    <div class="page">
      <h1>{t("operators")}</h1>
      <table class="table" data-testid="operator-table">
        <thead>
          <tr><th>{t("operators")}</th><th>{t("role")}</th><th>{t("department")}</th><th>{t("load")}</th><th>{t("lastSeen")}</th></tr>
        </thead>
        <tbody>
          {(list.data ?? []).map((r) => {
            const o = r.operator;
            const full = r.load >= o.capacity;
            return (
              <tr class={o.disabled ? "disabled" : ""} data-testid="operator-row" data-login={o.login}>
                <td>
                  <span class={`avatar presence-${o.status}`}>{initials(o.name)}</span>
                  <span class="name">{o.name}{o.id === me.id ? ` (${t("you")})` : ""}</span>
                  <span class={`presence-label presence-${o.status}`} data-testid="operator-status">{t(o.status)}</span>
                </td>
                <td>{t(o.role === "admin" ? "admin" : "operator")}</td>
                <td>{o.department ?? "—"}</td>
                <td>
                  <div class={`meter ${full ? "full" : ""}`} title={`${r.load}/${o.capacity}`}><div style={{ width: `${Math.min(100, (100 * r.load) / Math.max(1, o.capacity))}%` }} /></div>
                  <span class="muted">{r.load}/{o.capacity}</span>
                </td>
                <td class="muted">{o.last_seen ? when(o.last_seen, lang()) : "—"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
