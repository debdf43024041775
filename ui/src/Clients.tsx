import { ClientConsents } from "./Consents";
import { useState } from "preact/hooks";
import { phoneShown } from "./phone";
import { DateField } from "./DateField";
import { api, type Client, type Me } from "./api";
import { act } from "./store";
import { Dialog } from "./Dialog";
import { lang, t, type Key } from "./i18n";
import { ageWords, sexWords } from "./people";
import { go, nav } from "./nav";
import { useAction, useCell, useLoad, versions } from "./store";
import { VirtualList } from "./VirtualList";
import { dayWhen, initials, longDate, measure, sexOf, today, when } from "./format";
import { errorLine } from "./errors";
import { Icon } from "./icons";
import { NewCallbackDialog, NewClientDialog } from "./Reception";

export function Clients({ me }: { me: Me }) {
  const n = useCell(nav);
  const v = useCell(versions);
  const [query, setQuery] = useState("");
  const [adding, setAdding] = useState(false);
  const list = useLoad(() => api.clients(query || null), [query, v.clients]);
  const rows = list.data ?? [];
  return (
    <div class="split">
      <section class="list-pane">
        <div class="filter-bar">
          <input type="search" placeholder={t("searchClients")} value={query} onInput={(e) => setQuery(e.currentTarget.value)} data-testid="client-search" autoFocus />
          <button class="primary" onClick={() => setAdding(true)} data-testid="new-client" title={t("newClient")} aria-label={t("newClient")}>+ {t("create")}</button>
        </div>
        {adding && <NewClientDialog onClose={() => setAdding(false)} />}
        {rows.length === 0 && list.data ? <div class="empty">{t("noClients")}</div> : (
          <VirtualList items={rows} rowHeight={56} keyOf={(c) => c.id} testid="client-list" render={(c) => <Row c={c} selected={n.client === c.id} />} />
        )}
      </section>
      <section class="detail-pane">
        {n.client ? <Profile id={n.client} me={me} /> : <div class="empty big">{t("selectClient")}</div>}
      </section>
    </div>
  );
}

function Row({ c, selected }: { c: Client; selected: boolean }) {
  return (
    <button class={`row client-row ${selected ? "selected" : ""}`} onClick={() => go({ client: c.id })} data-testid="client-row" data-id={c.id}>
      <span class="avatar">{initials(c.name)}</span>
      <div class="grow">
        <div class="row-top"><span class="name">{c.vip && <span class="vip">VIP</span>}{c.name}</span>{c.blocked && <span class="status blocked">{t("blocked")}</span>}</div>
        <div class="row-bottom"><span class="subject">{phoneShown(c.phone, lang())}{c.city ? ` · ${c.city}` : ""}</span>{c.tags.slice(0, 2).map((x) => <span class="tag">{x}</span>)}</div>
      </div>
    </button>
  );
}

function Profile({ id, me }: { id: string; me: Me }) {
  const v = useCell(versions);
  const p = useLoad(() => api.clientProfile(id), [id, v.clients, v.consultations, v.callbacks]);
  const d = p.data;
  const [editing, setEditing] = useState(false);
  const [erasing, setErasing] = useState(false);
  const [calling, setCalling] = useState(false);
  const [fileRefusal, setFileRefusal] = useState<string | null>(null);
  const [claiming, setClaiming] = useState(false);
  const open = async (a: { sha256: string; file_name: string; media_type: string }) => {
    setFileRefusal(null);
    try {
      await api.openFile(a.sha256, a.file_name, a.media_type);
    } catch (e) {
      setFileRefusal(errorLine(e));
    }
  };
  if (!d) return <div class="empty big">{p.error ?? t("loading")}</div>;
  const c = d.client;
  const fact = (k: Key, val: string | number | null | undefined) => (val === null || val === undefined || val === "" ? null : (<><dt>{t(k)}</dt><dd>{val}</dd></>));
  return (
    <div class="card-detail profile" data-testid="client-profile">
      <h2>
        <span class="avatar big">{initials(c.name)}</span>
        <span data-testid="profile-name">{c.name}</span>
        {c.vip && <span class="vip">VIP</span>}
        {c.blocked && <span class="status blocked">{t("blocked")}</span>}
      </h2>
      <div class="profile-actions">
        <button class="primary" onClick={() => setCalling(true)} data-testid="request-callback">{t("requestCallback")}</button>
        <button onClick={() => setEditing(true)} data-testid="edit-client">{t("editProfile")}</button>
        <button onClick={() => setClaiming(true)} data-testid="claim-code" title={t("claimCodeHint")}>{t("claimCode")}</button>
        <span class="grow" />
        {me.role === "admin" && <button class="danger" onClick={() => setErasing(true)} data-testid="erase-client">{t("eraseClient")}</button>}
      </div>
      {editing && <EditClient client={c} admin={me.role === "admin"} onClose={() => setEditing(false)} />}
      {erasing && <EraseClient client={c} onClose={() => setErasing(false)} />}
      {claiming && <ClaimCodeDialog client={c} onClose={() => setClaiming(false)} />}
      {calling && <NewCallbackDialog client={c} onClose={() => setCalling(false)} />}
      <dl class="facts">
        {fact("phone", phoneShown(c.phone, lang()))}
        {fact("email", c.email)}
        {fact("gender", sexWords(c.gender))}
        {fact("birthday", c.birthday ? `${longDate(c.birthday, lang())}${ageWords(c.birthday) ? ` (${ageWords(c.birthday)})` : ""}` : null)}
        {fact("city", c.city)}
        {fact("allergies", c.allergies)}
        {fact("medications", c.medications)}
        {fact("height", c.height_cm ? measure(c.height_cm, "centimeter", lang()) : null)}
        {fact("weight", c.weight_kg ? measure(c.weight_kg, "kilogram", lang()) : null)}
        {fact("source", t(`source_${c.source}` as Key))}
        {fact("since", dayWhen(c.created_at, lang()))}
      </dl>
      {c.tags.length > 0 && <div class="tags">{c.tags.map((x) => <span class="tag">{x}</span>)}</div>}
      {c.notes && (<><h3>{t("notes")}</h3><p class="notes">{c.notes}</p></>)}
      <ClientConsents clientId={c.id} />
      <h3>{t("history")}</h3>
      {d.consultations.length === 0 ? <div class="empty small">{t("noHistory")}</div> : (
        <ul class="history">
          {d.consultations.map((r) => (
            <li>
              <button class="link" onClick={() => go({ section: "consultations", view: r.consultation.status === "closed" ? "archive" : r.consultation.status === "new" ? "queue" : r.consultation.operator_id === me.id ? "mine" : "active", consultation: r.consultation.id })}>
                {when(r.consultation.created_at, lang())}
              </button>
              <span class={`status status-${r.consultation.status}`}>{t(`st_${r.consultation.status}` as Key)}</span>
              <span class="subject">{r.consultation.subject ?? "—"}</span>
              {r.operator_name && <span class="muted">{r.operator_name}</span>}
            </li>
          ))}
        </ul>
      )}
      {d.callbacks.length > 0 && (
        <>
          <h3>{t("callbacks")}</h3>
          <ul class="history">
            {d.callbacks.map((r) => (
              <li>
                <button class="link" onClick={() => go({ section: "callbacks", callbackView: ["new", "claimed"].includes(r.callback.status) ? "open" : "archive", callback: r.callback.id })}>{when(r.callback.created_at, lang())}</button>
                <span class={`status status-${r.callback.status}`}>{t(r.callback.status as Key)}</span>
                <span class="subject">{r.callback.reason ?? phoneShown(r.callback.phone, lang())}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>{t("files")}</h3>
      {fileRefusal && <div class="file-refusal" role="alert" data-testid="file-refusal">{fileRefusal}</div>}
      {d.files.length === 0 ? <div class="empty small">{t("noFiles")}</div> : (
        <ul class="files">
          {d.files.map((m) => m.attachment && (
            <li><button class="file" onClick={() => open(m.attachment!)}><Icon name="file" /> {m.attachment.file_name}</button> <span class="muted">{when(m.created_at, lang())}</span></li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Reception hands a patient the code that lets their registration take over this record (a
 * registration without it gets a separate account). Shown once; a new one replaces it. */
function ClaimCodeDialog({ client, onClose }: { client: Client; onClose: () => void }) {
  const [code, setCode] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const make = () => run(async () => setCode((await api.claimCode(client.id)).code));
  return (
    <Dialog title={`${t("claimCode")}: ${client.name}`} onClose={onClose}>
      <p>{t("claimCodeExplain")}</p>
      {code && <p class="claim-code" data-testid="claim-code-value">{code}</p>}
      {code && <p class="muted">{t("claimCodeOnce")}</p>}
      {error && <div class="form-error">{error}</div>}
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("closeDialog")}</button>
        <button class="primary" disabled={busy} onClick={make} data-testid="claim-code-make">{code ? t("claimCodeAgain") : t("claimCodeMake")}</button>
      </div>
    </Dialog>
  );
}

/** An admin erases a client for good, typing the name to confirm (the right to erasure). */
function EraseClient({ client, onClose }: { client: Client; onClose: () => void }) {
  const [typed, setTyped] = useState("");
  const { busy, error, run } = useAction();
  const erase = () =>
    run(async () => {
      await api.eraseClient(client.id);
      go({ client: null });
      onClose();
    });
  return (
    <Dialog title={`${t("eraseClient")}: ${client.name}`} onClose={onClose}>
      <p class="warning-text">{t("eraseWarning")}</p>
      <label class="stacked">{t("eraseConfirm")}<input value={typed} onInput={(e) => setTyped(e.currentTarget.value)} data-testid="erase-confirm-name" /></label>
      {error && <div class="form-error">{error}</div>}
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("cancel")}</button>
        <button class="danger" disabled={busy || typed.trim() !== client.name.trim()} onClick={erase} data-testid="erase-confirm">{t("eraseClient")}</button>
      </div>
    </Dialog>
  );
}

/** Staff edit a client's data; VIP and blocking are the supervisor's call. Saved through the outbox. */
function EditClient({ client, admin, onClose }: { client: Client; admin: boolean; onClose: () => void }) {
  const [f, setF] = useState({
    name: client.name, email: client.email ?? "", gender: client.gender ?? "", birthday: client.birthday ?? "", city: client.city ?? "",
    height: client.height_cm?.toString() ?? "", weight: client.weight_kg?.toString() ?? "", tags: client.tags.join(", "), notes: client.notes ?? "",
    vip: client.vip, blocked: client.blocked, phone: client.phone, source: client.source,
    allergies: client.allergies ?? "", medications: client.medications ?? "",
  });
  const set = (k: keyof typeof f) => (e: Event) => {
    const el = e.currentTarget as HTMLInputElement;
    setF({ ...f, [k]: el.type === "checkbox" ? el.checked : el.value });
  };
  const num = (v: string) => (v.trim() === "" ? null : Number(v.replace(",", ".")));
  const save = async () => {
    await act({
      op: "update_client",
      client_id: client.id,
      changes: {
        name: f.name.trim() || null, email: f.email.trim() || null, gender: f.gender.trim() || null, birthday: f.birthday || null, city: f.city.trim() || null,
        height_cm: num(f.height), weight_kg: num(f.weight), tags: f.tags.split(",").map((x) => x.trim()).filter(Boolean), notes: f.notes,
        vip: admin ? f.vip : null, blocked: admin ? f.blocked : null,
        // Only what changed: the phone is the client's login.
        phone: f.phone.trim() !== client.phone ? f.phone.trim() : null, source: f.source !== client.source ? f.source : null,
        allergies: f.allergies.trim() !== (client.allergies ?? "") ? f.allergies.trim() : null,
        medications: f.medications.trim() !== (client.medications ?? "") ? f.medications.trim() : null,
      },
    });
    onClose();
  };
  return (
    <Dialog title={`${t("editProfile")}: ${client.name}`} onClose={onClose}>
      <div class="form-grid">
        <label>{t("displayName")}<input value={f.name} onInput={set("name")} /></label>
        <label>{t("phoneNumber")}<input type="tel" value={f.phone} onInput={set("phone")} data-testid="client-phone" /></label>
        <label>{t("source")}
          <select value={f.source} onChange={(e) => setF({ ...f, source: e.currentTarget.value as Client["source"] })}>
            {(["app", "qr", "phone", "web"] as const).map((x) => <option value={x}>{t(`source_${x}` as Key)}</option>)}
          </select>
        </label>
        <label>{t("email")}<input value={f.email} onInput={set("email")} /></label>
        <label>{t("gender")}
          <select value={sexOf(f.gender) ?? (f.gender ? "other" : "")} onChange={(e) => setF({ ...f, gender: e.currentTarget.value === "other" ? f.gender : e.currentTarget.value })} data-testid="client-sex">
            <option value="">—</option>
            <option value="female">{t("sex_female")}</option>
            <option value="male">{t("sex_male")}</option>
            {f.gender && !sexOf(f.gender) && <option value="other">{f.gender}</option>}
          </select>
        </label>
        <label>{t("birthday")}<DateField value={f.birthday} onChange={(v) => setF({ ...f, birthday: v })} max={today()} testid="client-birthday" /></label>
        <label>{t("city")}<input value={f.city} onInput={set("city")} /></label>
        <label>{t("height")}, {t("unitCm")}<input inputMode="decimal" value={f.height} onInput={set("height")} /></label>
        <label>{t("weight")}, {t("unitKg")}<input inputMode="decimal" value={f.weight} onInput={set("weight")} /></label>
        <label class="wide">{t("allergies")}<input value={f.allergies} onInput={set("allergies")} placeholder={t("allergiesHint")} data-testid="client-allergies" /></label>
        <label class="wide">{t("medications")}<input value={f.medications} onInput={set("medications")} placeholder={t("medicationsHint")} data-testid="client-medications" /></label>
        <label class="wide">{t("tagsComma")}<input value={f.tags} onInput={set("tags")} /></label>
        <label class="wide">{t("notes")}<textarea rows={3} value={f.notes} onInput={set("notes")} data-testid="client-notes" /></label>
        {admin && <label class="check"><input type="checkbox" checked={f.vip} onChange={set("vip")} /> {t("vip")}</label>}
        {admin && <label class="check"><input type="checkbox" checked={f.blocked} onChange={set("blocked")} /> {t("blocked")}</label>}
      </div>
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("cancel")}</button>
        <button class="primary" onClick={save} data-testid="save-client">{t("save")}</button>
      </div>
    </Dialog>
  );
}
