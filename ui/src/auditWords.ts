// The audit log in words: each action as a phrase of the window's language, the changed fields
// by their labels, ids by names. Codes the desk does not know yet (a newer server) read as
// themselves, so nothing is ever hidden.
import type { AuditRecord } from "./gen/types";
import { known as has, t, type Key } from "./i18n";

/** Labels of the fields an `*.updated` record lists (`name,birthday,city`). */
const fields: Record<string, Key> = {
  name: "displayName", phone: "phone", email: "email", gender: "gender", birthday: "birthday", city: "city",
  height_cm: "height", weight_kg: "weight", height: "height", weight: "weight", tags: "tags", notes: "notes", vip: "vip",
  blocked: "blocked", source: "source", role: "role", department: "department", capacity: "capacity",
  disabled: "disabled", password: "password",
};

/** An action's phrase: `client.viewed` → "Просмотр карточки клиента". */
export function actionWords(action: string): string {
  const key = `act_${action.replace(/\./g, "_")}`;
  return has(key) ? t(key) : action;
}

/** Who did it: the name, "system" for the server's own actions, else that the account is gone. */
export function actorWords(a: AuditRecord): string {
  if (a.actor_name) return a.actor_name;
  if (/^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(a.operator_id)) return t("system");
  return t("unknownAccount");
}

/** What it was done to and how, in words: names instead of ids, labels instead of field keys. */
export function detailWords(a: AuditRecord, names: Map<string, string>): string {
  const parts: string[] = [];
  // A client's id that names nobody any more is a client since erased.
  const target = a.target_name ?? (a.target_id && a.action.startsWith("client.") ? t("erasedClient") : null);
  if (target) parts.push(target);
  const d = a.detail ?? "";
  if (d && (a.action.endsWith(".updated") || a.action === "client.possible_duplicate") && /^[a-z_]+(,[a-z_]+)*$/.test(d)) {
    parts.push(d.split(",").map((f) => (fields[f] ? t(fields[f]) : f)).join(", "));
  } else if (a.action.startsWith("report.") && has(`report_${d}`)) {
    parts.push(t(`report_${d}` as Key));
  } else if (a.action === "client.created" && has(`source_${d}`)) {
    parts.push(t(`source_${d}` as Key));
  } else if (/^to=/.test(d)) {
    const m = /^to=([0-9a-f-]{36})( over_capacity)?$/.exec(d);
    parts.push(m ? `→ ${names.get(m[1]) ?? t("unknownAccount")}${m[2] ? ` (${t("overCapacityShort")})` : ""}` : d);
  } else if (d && !(a.target_name && d === a.target_name)) {
    parts.push(d);
  }
  return parts.join(" · ");
}
