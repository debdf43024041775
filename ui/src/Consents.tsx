// A client's consents in their profile: each text the clinic asks for, where the client stands
// (accepted, withdrawn, an earlier version accepted, never), every answer with its channel and
// who recorded it; reception records a consent given (or withdrawn) by phone, with a note.
import { useState } from "preact/hooks";
import { api, type ClientConsent, type Consent, type ConsentPurpose, type ConsentState, type Localized } from "./api";
import { Dialog } from "./Dialog";
import { errorLine } from "./errors";
import { lang, t, type Key } from "./i18n";
import { when } from "./format";
import { useLoad } from "./store";

const stateKey: Record<ConsentState, Key> = { accepted: "consentAccepted", withdrawn: "consentWithdrawn", outdated: "consentOutdated", never: "consentNever" };
const local = (l: Localized) => l[lang()] || l.en;

export function ClientConsents({ clientId }: { clientId: string }) {
  const list = useLoad(() => api.clientConsents(clientId), [clientId]);
  const [recording, setRecording] = useState<ClientConsent | null>(null);
  const rows = list.data ?? [];
  if (list.error) return <div class="empty small" data-testid="consents-offline">{t("consentsNeedServer")}</div>;
  if (list.data && rows.length === 0) return null;
  return (
    <>
      <h3>{t("consentsTitle")}</h3>
      <ul class="consent-list" data-testid="client-consents">
        {rows.map((c) => (
          <li data-testid="client-consent" data-key={c.consent.key} data-state={c.state}>
            <div class="consent-top">
              <b>{local(c.consent.title)}</b>
              {c.consent.required && <span class="muted"> · {t("consentRequired")}</span>}
              <span class={`consent-state consent-${c.state}`}>{t(stateKey[c.state])}{c.state === "accepted" ? ` · v${c.consent.version}` : ""}</span>
              <button class="link" onClick={() => setRecording(c)} data-testid="record-consent">{t("consentRecord")}</button>
            </div>
            {c.history.slice(0, 3).map((r) => (
              <div class="muted consent-line">
                {when(r.at, lang())} · {t(r.action === "accept" ? "consentAcceptedAct" : "consentWithdrawnAct")} v{r.version} · {t(r.channel === "web" ? "consentViaWeb" : "consentViaPhone")}
                {r.recorded_by_name ? ` (${r.recorded_by_name})` : ""}{r.note ? ` — ${r.note}` : ""}
              </div>
            ))}
          </li>
        ))}
      </ul>
      {recording && <RecordConsent c={recording} clientId={clientId} onClose={() => setRecording(null)} onDone={() => { setRecording(null); list.reload(); }} />}
    </>
  );
}

function RecordConsent({ c, clientId, onClose, onDone }: { c: ClientConsent; clientId: string; onClose: () => void; onDone: () => void }) {
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const send = async (accept: boolean) => {
    setError(null);
    try {
      await api.recordConsent(c.consent.id, clientId, accept, c.consent.version, note.trim() || null);
      onDone();
    } catch (e) {
      setError(errorLine(e));
    }
  };
  return (
    <Dialog title={local(c.consent.title)} onClose={onClose}>
      <p class="muted">{t("consentRecordHint")}</p>
      <details><summary>{t("consentText")} (v{c.consent.version})</summary><p class="consent-text">{local(c.consent.text)}</p></details>
      <label>
        <span>{t("consentNote")}</span>
        <input value={note} onInput={(e) => setNote(e.currentTarget.value)} placeholder={t("consentNoteHint")} data-testid="consent-note" />
      </label>
      {error && <div class="form-error">{error}</div>}
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("cancel")}</button>
        {c.state === "accepted" && <button class="danger" onClick={() => send(false)} data-testid="consent-record-withdraw">{t("consentWithdrawBtn")}</button>}
        {c.consent.active && c.state !== "accepted" && <button class="primary" onClick={() => send(true)} data-testid="consent-record-accept">{t("consentAcceptBtn")}</button>}
      </div>
    </Dialog>
  );
}

const purposes = ["booking", "call"] as const;
const langs = ["ru", "zh", "en"] as const;
const emptyText = (): Localized => ({ ru: "", zh: "", en: "" });

/** The admin's consent texts (Desk rules): each with its version and what it gates; a new one,
 * or an edit (new words make a new version: every client is asked again). */
export function ConsentTexts() {
  const list = useLoad(() => api.consentTexts(), []);
  const [editing, setEditing] = useState<Consent | "new" | null>(null);
  return (
    <section class="card" data-testid="consent-texts">
      <h2>{t("consentsTitle")}</h2>
      <p class="muted">{t("consentTextsHint")}</p>
      {list.error && <div class="form-error">{list.error}</div>}
      <ul class="consent-list">
        {(list.data ?? []).map((c) => (
          <li data-testid="consent-text" data-key={c.key}>
            <div class="consent-top">
              <b>{local(c.title)}</b>
              <span class="muted">{c.key} · v{c.version}{c.required ? ` · ${t("consentRequired")}` : ""}{c.needed_for.length ? ` · ${t("consentGates")}: ${c.needed_for.map((p) => t(p === "call" ? "consentForCall" : "consentForBooking")).join(", ")}` : ""}{c.active ? "" : ` · ${t("consentInactive")}`}</span>
              <button class="link" onClick={() => setEditing(c)} data-testid="edit-consent">{t("edit")}</button>
            </div>
          </li>
        ))}
      </ul>
      <button onClick={() => setEditing("new")} data-testid="new-consent">+ {t("consentNew")}</button>
      {editing && <ConsentEditor c={editing === "new" ? null : editing} onClose={() => setEditing(null)} onDone={() => { setEditing(null); list.reload(); }} />}
    </section>
  );
}

function ConsentEditor({ c, onClose, onDone }: { c: Consent | null; onClose: () => void; onDone: () => void }) {
  const [key, setKey] = useState(c?.key ?? "");
  const [required, setRequired] = useState(c?.required ?? false);
  const [active, setActive] = useState(c?.active ?? true);
  const [neededFor, setNeededFor] = useState<ConsentPurpose[]>(c?.needed_for ?? []);
  const [title, setTitle] = useState<Localized>(c?.title ?? emptyText());
  const [text, setText] = useState<Localized>(c?.text ?? emptyText());
  const [error, setError] = useState<string | null>(null);
  const save = async () => {
    setError(null);
    try {
      await api.saveConsentText(c?.id ?? null, { key, required, needed_for: neededFor, title, text, active });
      onDone();
    } catch (e) {
      setError(errorLine(e));
    }
  };
  return (
    <Dialog title={c ? local(c.title) : t("consentNew")} onClose={onClose}>
      <div class="consent-editor" data-testid="consent-editor">
        <label><span>{t("consentKey")}</span><input value={key} disabled={!!c} onInput={(e) => setKey(e.currentTarget.value)} placeholder="health_data" data-testid="consent-key" /></label>
        <label class="check"><input type="checkbox" checked={required} onChange={(e) => setRequired(e.currentTarget.checked)} data-testid="consent-required" /> {t("consentRequiredLong")}</label>
        {purposes.map((p) => (
          <label class="check"><input type="checkbox" checked={neededFor.includes(p)} onChange={(e) => setNeededFor((all) => (e.currentTarget.checked ? [...all, p] : all.filter((x) => x !== p)))} data-testid={`consent-for-${p}`} /> {t(p === "call" ? "consentForCallLong" : "consentForBookingLong")}</label>
        ))}
        <label class="check"><input type="checkbox" checked={active} onChange={(e) => setActive(e.currentTarget.checked)} /> {t("consentActive")}</label>
        {langs.map((l) => (
          <fieldset class="consent-lang">
            <legend>{l.toUpperCase()}</legend>
            <input value={title[l]} placeholder={t("consentTitleField")} onInput={(e) => setTitle({ ...title, [l]: e.currentTarget.value })} data-testid={`consent-title-${l}`} />
            <textarea rows={3} value={text[l]} placeholder={t("consentText")} onInput={(e) => setText({ ...text, [l]: e.currentTarget.value })} data-testid={`consent-body-${l}`} />
          </fieldset>
        ))}
        {c && <p class="muted">{t("consentNewVersionHint")}</p>}
        {error && <div class="form-error">{error}</div>}
      </div>
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("cancel")}</button>
        <button class="primary" onClick={save} data-testid="consent-save">{t("save")}</button>
      </div>
    </Dialog>
  );
}
