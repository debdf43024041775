// Reception's tools: record a client who walked in or phoned, and a callback request for a
// client or a bare phone. Both work offline (the desk shows them at once and sends them when
// the server answers); a phone a known client has is offered, never recorded twice.
import { useEffect, useState } from "preact/hooks";
import { phoneShown } from "./phone";
import { today } from "./format";
import { DateField } from "./DateField";
import { api, newId, type Client } from "./api";
import { Dialog } from "./Dialog";
import { lang, t, type Key } from "./i18n";
import { go } from "./nav";
import { useAction, versions } from "./store";

/** Known clients with the phone being typed (the desk's cache: works offline). */
function useSamePhone(phone: string): Client[] {
  const [found, setFound] = useState<Client[]>([]);
  useEffect(() => {
    let live = true;
    api.clientsWithPhone(phone).then((c) => live && setFound(c), () => live && setFound([]));
    return () => {
      live = false;
    };
  }, [phone]);
  return found;
}

function changed() {
  versions.update((v) => ({ ...v, clients: v.clients + 1, callbacks: v.callbacks + 1, outbox: v.outbox + 1 }));
}

export function NewClientDialog({ onClose }: { onClose: () => void }) {
  const [f, setF] = useState({ name: "", phone: "", source: "phone" as Client["source"], email: "", birthday: "", city: "", notes: "" });
  const { busy, error, run } = useAction();
  const same = useSamePhone(f.phone);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const save = () =>
    run(async () => {
      const c = await api.createClient({
        id: newId(), name: f.name, phone: f.phone, source: f.source, email: f.email.trim() || null, gender: null,
        birthday: f.birthday || null, city: f.city.trim() || null, tags: [], notes: f.notes.trim() || null,
      });
      changed();
      go({ section: "clients", client: c.id });
      onClose();
    });
  return (
    <Dialog title={t("newClient")} onClose={onClose}>
      <div class="form-grid">
        <label>{t("displayName")}<input value={f.name} onInput={set("name")} data-testid="new-client-name" autoFocus /></label>
        <label>{t("phoneNumber")}<input type="tel" value={f.phone} onInput={set("phone")} data-testid="new-client-phone" aria-describedby="phone-hint" /></label>
        {same.length > 0 && (
          <div class="wide duplicate" role="status" data-testid="duplicate-client">
            <strong>{t("alreadyClient")}</strong>
            {same.map((c) => (
              <div class="duplicate-row">
                <span>{c.name} · {phoneShown(c.phone, lang())}{c.city ? ` · ${c.city}` : ""}</span>
                <button onClick={() => { go({ section: "clients", client: c.id }); onClose(); }} data-testid="duplicate-open">{t("openProfile")}</button>
              </div>
            ))}
          </div>
        )}
        <p class="wide field-hint" id="phone-hint">{t("phoneHint")}</p>
        <label>{t("source")}
          <select value={f.source} onChange={(e) => setF({ ...f, source: e.currentTarget.value as Client["source"] })}>
            {(["phone", "app", "qr", "web"] as const).map((x) => <option value={x}>{t(`source_${x}` as Key)}</option>)}
          </select>
        </label>
        <label>{t("email")}<input type="email" value={f.email} onInput={set("email")} /></label>
        <label>{t("birthday")}<DateField value={f.birthday} onChange={(v) => setF({ ...f, birthday: v })} max={today()} testid="new-client-birthday" /></label>
        <label>{t("city")}<input value={f.city} onInput={set("city")} /></label>
        <label class="wide">{t("notes")}<textarea rows={3} value={f.notes} onInput={set("notes")} /></label>
      </div>
      {error && <div class="form-error" data-testid="new-client-error">{error}</div>}
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("cancel")}</button>
        <button class="primary" disabled={busy || same.length > 0 || !f.name.trim() || !f.phone.trim()} onClick={save} data-testid="new-client-save">{t("create")}</button>
      </div>
    </Dialog>
  );
}

/** `client` given: the request is theirs (from the profile); otherwise a phone, tied to the
 * known client who has it. */
export function NewCallbackDialog({ client, onClose }: { client?: Client; onClose: () => void }) {
  const [phone, setPhone] = useState(client?.phone ?? "");
  const [windowed, setWindowed] = useState(false);
  const [from, setFrom] = useState("");
  const [until, setUntil] = useState("");
  const [reason, setReason] = useState("");
  const { busy, error, run } = useAction();
  const same = useSamePhone(client ? "" : phone);
  const who = client ?? same[0] ?? null;
  const save = () =>
    run(async () => {
      const at = windowed && from ? new Date(from).toISOString() : null;
      const to = windowed && until ? new Date(until).toISOString() : null;
      const cb = await api.createCallback({ id: newId(), phone, preferred_at: at, preferred_until: to, reason: reason.trim() || null, client_id: who?.id ?? null });
      changed();
      go({ section: "callbacks", callbackView: "open", callback: cb.id });
      onClose();
    });
  return (
    <Dialog title={client ? `${t("requestCallback")}: ${client.name}` : t("newCallback")} onClose={onClose}>
      <div class="form-grid">
        <label class="wide">{t("phoneNumber")}<input type="tel" value={phone} onInput={(e) => setPhone(e.currentTarget.value)} data-testid="new-callback-phone" autoFocus={!client} /></label>
        {!client && who && <div class="wide field-hint" data-testid="callback-for">{t("forClient")}: <strong>{who.name}</strong></div>}
        <div class="wide when-to-call" role="radiogroup" aria-labelledby="when-label">
          <span id="when-label">{t("preferred")}</span>
          <label class="check"><input type="radio" name="when" checked={!windowed} onChange={() => setWindowed(false)} /> {t("asap")}</label>
          <label class="check"><input type="radio" name="when" checked={windowed} onChange={() => setWindowed(true)} data-testid="callback-window" /> {t("inWindow")}</label>
        </div>
        {windowed && (
          <>
            <label>{t("from")}<DateField time value={from} onChange={setFrom} testid="callback-from" /></label>
            <label>{t("until")}<DateField time value={until} onChange={setUntil} min={from.slice(0, 10)} testid="callback-until" /></label>
          </>
        )}
        <label class="wide">{t("reason")}<textarea rows={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} data-testid="new-callback-reason" /></label>
      </div>
      {error && <div class="form-error" data-testid="new-callback-error">{error}</div>}
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("cancel")}</button>
        <button class="primary" disabled={busy || !phone.trim() || (windowed && !from)} onClick={save} data-testid="new-callback-save">{t("create")}</button>
      </div>
    </Dialog>
  );
}
