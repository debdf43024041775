// Who the patient is, beside the chat: age and sex, allergies and long-term medication (what a
// doctor must know before answering), tags, VIP, open callback requests, the last
// consultations. Collapsible; the choice is remembered.
import { useState } from "preact/hooks";
import { api, type Consultation } from "./api";
import { dayWhen, when } from "./format";
import { lang, t, type Key } from "./i18n";
import { go } from "./nav";
import { ageWords, sexWords } from "./people";
import { phoneShown } from "./phone";
import { pref, setPref, useCell, useLoad, versions } from "./store";
import { Icon } from "./icons";

export function usePatientPanel(): [boolean, () => void] {
  const [open, setOpen] = useState(pref("patientPanel", true));
  return [open, () => { setPref("patientPanel", !open); setOpen(!open); }];
}

export function PatientPanel({ c }: { c: Consultation }) {
  const v = useCell(versions);
  const p = useLoad(() => api.clientProfile(c.client_id), [c.client_id, v.clients, v.consultations, v.callbacks]);
  const d = p.data;
  if (!d) return <aside class="patient-panel" data-testid="patient-panel"><div class="empty small">{p.error ?? t("loading")}</div></aside>;
  const k = d.client;
  const who = [ageWords(k.birthday), sexWords(k.gender)].filter(Boolean).join(" · ");
  const open = d.callbacks.filter((r) => r.callback.status === "new" || r.callback.status === "claimed");
  const past = d.consultations.filter((r) => r.consultation.id !== c.id).slice(0, 3);
  return (
    <aside class="patient-panel" data-testid="patient-panel" aria-label={t("patientCard")}>
      <div class="pp-head">
        <button class="link pp-name" onClick={() => go({ section: "clients", client: k.id })} data-testid="pp-name">
          {k.vip && <span class="vip">VIP</span>} {k.name}
        </button>
        {who && <div class="pp-who" data-testid="pp-who">{who}</div>}
        <div class="pp-phone muted">{phoneShown(k.phone, lang())}</div>
      </div>
      <section class={`pp-block ${k.allergies ? "alert" : ""}`} data-testid="pp-allergies">
        <h4>{t("allergies")}</h4>
        {k.allergies ? <p>{k.allergies}</p> : <p class="muted">{t("noneRecorded")}</p>}
      </section>
      <section class="pp-block" data-testid="pp-medications">
        <h4>{t("medications")}</h4>
        {k.medications ? <p>{k.medications}</p> : <p class="muted">{t("noneRecorded")}</p>}
      </section>
      {k.tags.length > 0 && <div class="tags pp-tags">{k.tags.map((x) => <span class="tag">{x}</span>)}</div>}
      {k.notes && (
        <section class="pp-block">
          <h4>{t("notes")}</h4>
          <p class="pp-notes">{k.notes}</p>
        </section>
      )}
      {open.length > 0 && (
        <section class="pp-block" data-testid="pp-callbacks">
          <h4>{t("callbacks")}</h4>
          <ul>
            {open.map((r) => (
              <li>
                <button class="link" onClick={() => go({ section: "callbacks", callbackView: "open", callback: r.callback.id })}>
                  <Icon name="phone" size={13} /> {when(r.callback.due_at, lang())}
                </button>{" "}
                <span class="muted">{r.callback.reason ?? ""}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section class="pp-block" data-testid="pp-history">
        <h4>{t("lastConsultations")}</h4>
        {past.length === 0 ? <p class="muted">{t("firstConsultation")}</p> : (
          <ul>
            {past.map((r) => (
              <li>
                <button class="link" onClick={() => go({ section: "consultations", view: r.consultation.status === "closed" ? "archive" : "active", consultation: r.consultation.id })}>
                  {dayWhen(r.consultation.created_at, lang())}
                </button>{" "}
                <span class={`status status-${r.consultation.status}`}>{t(`st_${r.consultation.status}` as Key)}</span>
                <div class="pp-summary">{r.consultation.summary ?? r.consultation.subject ?? "—"}</div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </aside>
  );
}
