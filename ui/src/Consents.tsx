// A client's consents in their profile: each text the clinic asks for, where the client stands
// (accepted, withdrawn, an earlier version accepted, never), every answer with its channel and
// who recorded it; reception records a consent given (or withdrawn) by phone, with a note.
import { useState } from "preact/hooks";
import { api, type ClientConsent, type ConsentState, type Localized } from "./api";
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
