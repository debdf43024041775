// The admin's desk rules: who gets a new consultation (manual, round robin, least loaded), the
// SLA thresholds, and the red-flag phrases the server raises consultations on — with a box to
// try a client's message against them. Changes go to the server at once (online only); the
// server audits each one.
import { Webhooks } from "./Webhooks";
import { ConsentTexts } from "./Consents";
import { useState } from "preact/hooks";
import { api, type AssignmentPolicy, type ConsultationKind, type DeskSettings, type RedFlagRule, type RuleLanguage, type SlaThresholds } from "./api";
import { money } from "./format";
import { errorLine } from "./errors";
import { lang, t, type Key } from "./i18n";
import { useCell, useLoad, versions } from "./store";

const policies: AssignmentPolicy[] = ["manual", "round_robin", "least_loaded"];
const slaKeys: (keyof SlaThresholds)[] = ["queue_wait_minutes", "first_response_minutes", "unanswered_minutes", "callback_asap_minutes"];
const languages: RuleLanguage[] = ["ru", "zh", "en"];

export function Supervision() {
  return (
    <div class="page supervision" data-testid="supervision">
      <div class="page-head"><h1>{t("supervision")}</h1></div>
      <div class="page-body">
        <Assignment />
        <RedFlags />
        <Tariffs />
        <ConsentTexts />
        <Webhooks />
      </div>
    </div>
  );
}

function Assignment() {
  const s = useLoad(() => api.deskSettings(), []);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  // The thresholds as typed, saved together (a field half-typed is not sent).
  const [draft, setDraft] = useState<Record<string, string> | null>(null);
  const save = (next: DeskSettings) => {
    setError(null);
    setSaved(false);
    api.setDeskSettings(next).then(() => { setSaved(true); setDraft(null); s.reload(); }, (e) => setError(errorLine(e)));
  };
  if (!s.data) return <section class="card">{s.error ?? t("loading")}</section>;
  const d = s.data;
  const shown = (k: keyof SlaThresholds) => draft?.[k] ?? (d.sla[k] === null ? "" : String(d.sla[k]));
  const saveThresholds = () => {
    const sla = { ...d.sla };
    for (const k of slaKeys) {
      const v = shown(k).trim();
      sla[k] = v === "" ? null : Number(v);
    }
    save({ ...d, sla });
  };
  return (
    <section class="card">
      <h2>{t("assignmentPolicy")}</h2>
      <div class="choices" role="radiogroup">
        {policies.map((p) => (
          <label class="check">
            <input type="radio" name="policy" checked={d.assignment === p} onChange={() => save({ ...d, assignment: p })} data-testid={`policy-${p}`} />
            {t(`policy_${p}` as Key)}
          </label>
        ))}
      </div>
      <p class="hint">{t("policyHint")}</p>
      <h2>{t("slaThresholds")}</h2>
      <div class="sla-grid">
        {slaKeys.map((k) => (
          <label>
            {t(`sla_${k}` as Key)}
            <input type="number" min={1} max={1440} value={shown(k)} data-testid={`sla-${k}`}
              onInput={(e) => setDraft({ ...(draft ?? {}), [k]: e.currentTarget.value })} />
          </label>
        ))}
      </div>
      <div class="dialog-buttons left">
        <button class="primary" disabled={draft === null} onClick={saveThresholds} data-testid="sla-save">{t("save")}</button>
        {saved && <span class="hint ok">{t("saved")}</span>}
      </div>
      {error && <div class="form-error">{error}</div>}
    </section>
  );
}

function RedFlags() {
  const rules = useLoad(() => api.redFlags(), []);
  const [error, setError] = useState<string | null>(null);
  const [phrase, setPhrase] = useState("");
  const [unless, setUnless] = useState("");
  const [language, setLanguage] = useState<RuleLanguage>("ru");
  const [sample, setSample] = useState("");
  const [fired, setFired] = useState<string | null | undefined>(undefined);
  const run = (p: Promise<unknown>) => {
    setError(null);
    p.then(() => rules.reload(), (e) => setError(errorLine(e)));
  };
  const toggle = (r: RedFlagRule) => run(api.saveRedFlag(r.id, { phrase: r.phrase, unless: r.unless, language: r.language, enabled: !r.enabled }));
  const add = () => {
    const list = unless.split(/[,，;]/).map((u) => u.trim()).filter(Boolean);
    setError(null);
    api.saveRedFlag(null, { phrase, unless: list, language, enabled: true }).then(() => { setPhrase(""); setUnless(""); rules.reload(); }, (e) => setError(errorLine(e)));
  };
  const tryIt = () => api.testRedFlags(sample).then(setFired, (e) => setError(errorLine(e)));
  return (
    <section class="card">
      <h2>{t("redFlags")}</h2>
      <p class="hint">{t("redFlagHint")}</p>
      <div class="try-row">
        <input value={sample} placeholder={t("tryText")} onInput={(e) => { setSample(e.currentTarget.value); setFired(undefined); }}
          onKeyDown={(e) => e.key === "Enter" && sample.trim() && tryIt()} data-testid="red-flag-sample" />
        <button onClick={tryIt} disabled={!sample.trim()} data-testid="red-flag-try">{t("tryText")}</button>
        {fired !== undefined && (
          <span class={fired ? "flag" : "hint"} data-testid="red-flag-fired">{fired ? `${t("fires")}: ${fired}` : t("firesNothing")}</span>
        )}
      </div>
      <div class="rule-add">
        <input value={phrase} placeholder={t("phrase")} onInput={(e) => setPhrase(e.currentTarget.value)} data-testid="rule-phrase" />
        <input value={unless} placeholder={t("unless")} onInput={(e) => setUnless(e.currentTarget.value)} data-testid="rule-unless" />
        <select value={language} onChange={(e) => setLanguage(e.currentTarget.value as RuleLanguage)} title={t("ruleLanguage")}>
          {languages.map((l) => <option value={l}>{l}</option>)}
        </select>
        <button class="primary" disabled={!phrase.trim()} onClick={add} data-testid="rule-add">{t("addRule")}</button>
      </div>
      {error && <div class="form-error" data-testid="rules-error">{error}</div>}
      {rules.error && <div class="form-error">{rules.error} {t("onlineOnly")}</div>}
      <table class="table rules" data-testid="rules">
        <thead>
          <tr><th>{t("phrase")}</th><th>{t("unless")}</th><th>{t("ruleLanguage")}</th><th>{t("enabled")}</th><th /></tr>
        </thead>
        <tbody>
          {(rules.data ?? []).map((r) => (
            <tr class={r.enabled ? "" : "off"} data-testid="rule-row">
              <td class="phrase">{r.phrase}</td>
              <td class="muted">{r.unless.join(", ")}</td>
              <td>{r.language}</td>
              <td><input type="checkbox" checked={r.enabled} onChange={() => toggle(r)} /></td>
              <td><button class="link danger" onClick={() => run(api.deleteRedFlag(r.id))}>{t("deleteRule")}</button></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Tariffs: the price of a consultation of each kind, fixed when it is created. A new tariff
 * replaces the active one of its kind; the replaced ones stay for the consultations priced by
 * them. */
function Tariffs() {
  const v = useCell(versions);
  const list = useLoad(() => api.tariffs(), [v.consultations]);
  const [name, setName] = useState("");
  const [kind, setKind] = useState<ConsultationKind>("chat");
  const [price, setPrice] = useState("");
  const [currency, setCurrency] = useState("RUB");
  const [error, setError] = useState<string | null>(null);
  const add = () => {
    setError(null);
    const minor = Math.round(Number(price.replace(",", ".")) * 100);
    api.createTariff({ name: name.trim(), kind, price: minor, currency: currency.trim().toUpperCase() }).then(
      () => { setName(""); setPrice(""); list.reload(); },
      (e) => setError(errorLine(e)),
    );
  };
  return (
    <section class="card" data-testid="tariffs">
      <h2>{t("tariffs")}</h2>
      <div class="rule-add">
        <input value={name} placeholder={t("tariffName")} onInput={(e) => setName(e.currentTarget.value)} data-testid="tariff-name" />
        <select value={kind} onChange={(e) => setKind(e.currentTarget.value as ConsultationKind)}>
          {(["chat", "phone", "video"] as const).map((k) => <option value={k}>{t(k)}</option>)}
        </select>
        <input class="narrow" inputMode="decimal" value={price} placeholder={t("price")} onInput={(e) => setPrice(e.currentTarget.value)} data-testid="tariff-price" />
        <input class="narrow" value={currency} maxLength={3} onInput={(e) => setCurrency(e.currentTarget.value)} title={t("currency")} />
        <button class="primary" disabled={!name.trim() || !(Number(price.replace(",", ".")) >= 0) || price.trim() === ""} onClick={add} data-testid="tariff-add">{t("addTariff")}</button>
      </div>
      <p class="hint">{t("newTariff")}</p>
      {error && <div class="form-error">{error}</div>}
      <table class="table rules">
        <thead><tr><th>{t("tariffName")}</th><th>{t("kindLabel")}</th><th>{t("price")}</th><th /></tr></thead>
        <tbody>
          {(list.data ?? []).map((x) => (
            <tr class={x.active ? "" : "off"} data-testid="tariff-row">
              <td class="phrase">{x.name}</td><td>{t(x.kind)}</td><td>{money(x.price, x.currency, lang())}</td>
              <td class="muted">{x.active ? t("activeTariff") : t("archivedTariff")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
