import { useState } from "preact/hooks";
import { errorLine } from "./errors";
import { api, type Me, type Operator, type Role } from "./api";
import { lang, plural, t } from "./i18n";
import { useCell, useLoad, versions } from "./store";
import { initials, lastSeen, stranded } from "./format";
import { Dialog } from "./Dialog";
import { Sessions } from "./Sessions";

export function Operators({ me }: { me: Me }) {
  const v = useCell(versions);
  const list = useLoad(() => api.operators(), [v.operators, v.consultations]);
  const admin = me.role === "admin";
  const [editing, setEditing] = useState<Operator | "new" | null>(null);
  return (
    <div class="page">
      <div class="page-head">
        <h1>{t("operators")}</h1>
        {admin && <button class="primary" onClick={() => setEditing("new")} data-testid="new-operator">{t("newOperator")}</button>}
      </div>
      <table class="table" data-testid="operator-table">
        <thead>
          <tr><th>{t("operators")}</th><th>{t("role")}</th><th>{t("department")}</th><th>{t("load")}</th><th>{t("lastSeen")}</th>{admin && <th />}</tr>
        </thead>
        <tbody>
          {(list.data ?? []).map((r) => {
            const o = r.operator;
            const full = r.load >= o.capacity;
            return (
              <tr class={o.disabled ? "disabled" : stranded(o.status, r.load) ? "stranded" : ""} data-testid="operator-row" data-login={o.login}>
                <td>
                  <span class={`avatar presence-${o.status}`}>{initials(o.name)}</span>
                  <span class="name">{o.name}{o.id === me.id ? ` (${t("you")})` : ""}</span>
                  {stranded(o.status, r.load) && !o.disabled
                    ? <span class="pill stranded" data-testid="operator-stranded">{plural("strandedWarn", r.load)}</span>
                    : <span class={`presence-label presence-${o.status}`} data-testid="operator-status">{o.disabled ? t("disabled") : t(o.status)}</span>}
                </td>
                <td>{t(o.role === "admin" ? "admin" : "operator")}</td>
                <td>{o.department ?? "—"}</td>
                <td>
                  <div class={`meter ${full ? "full" : ""}`} title={`${r.load}/${o.capacity}`}><div style={{ width: `${Math.min(100, (100 * r.load) / Math.max(1, o.capacity))}%` }} /></div>
                  <span class="muted">{r.load}/{o.capacity}</span>
                </td>
                <td class="muted" data-testid="operator-last-seen">{lastSeen(o.status, o.last_seen, lang())}</td>
                {admin && <td><button onClick={() => setEditing(o)}>{t("edit")}</button></td>}
              </tr>
            );
          })}
        </tbody>
      </table>
      {editing && <OperatorDialog operator={editing === "new" ? null : editing} onClose={() => { setEditing(null); list.reload(); }} />}
    </div>
  );
}

function OperatorDialog({ operator, onClose }: { operator: Operator | null; onClose: () => void }) {
  const [login, setLogin] = useState("");
  const [name, setName] = useState(operator?.name ?? "");
  const [role, setRole] = useState<Role>(operator?.role ?? "operator");
  const [department, setDepartment] = useState(operator?.department ?? "");
  const [capacity, setCapacity] = useState(String(operator?.capacity ?? 5));
  const [disabled, setDisabled] = useState(operator?.disabled ?? false);
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const save = async () => {
    setError(null);
    try {
      const cap = Number(capacity) || null;
      if (operator) {
        await api.updateOperator(operator.id, { name, role, department: department || null, capacity: cap, disabled, password: password || null });
      } else {
        await api.createOperator({ login, password, name, role, department: department || null, capacity: cap });
      }
      onClose();
    } catch (e) {
      setError(errorLine(e));
    }
  };
  return (
    <Dialog title={operator ? `${t("edit")}: ${operator.name}` : t("newOperator")} onClose={onClose}>
      <div class="form-grid">
        {!operator && <label>{t("loginName")}<input value={login} onInput={(e) => setLogin(e.currentTarget.value)} data-testid="op-login" /></label>}
        <label>{t("displayName")}<input value={name} onInput={(e) => setName(e.currentTarget.value)} data-testid="op-name" /></label>
        <label>{t("role")}<select value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}><option value="operator">{t("operator")}</option><option value="admin">{t("admin")}</option></select></label>
        <label>{t("department")}<input value={department} onInput={(e) => setDepartment(e.currentTarget.value)} /></label>
        <label>{t("capacity")}<input type="number" min={1} max={50} value={capacity} onInput={(e) => setCapacity(e.currentTarget.value)} /></label>
        <label>{operator ? t("newPassword") : t("password")}<input type="password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} data-testid="op-password" /></label>
        {operator && <label class="check"><input type="checkbox" checked={disabled} onChange={(e) => setDisabled(e.currentTarget.checked)} /> {t("disabled")}</label>}
      </div>
      {operator && <Sessions userId={operator.id} />}
      {error && <div class="form-error">{error}</div>}
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("cancel")}</button>
        <button class="primary" onClick={save} disabled={!name || (!operator && (!login || !password))} data-testid="op-save">{t("save")}</button>
      </div>
    </Dialog>
  );
}
