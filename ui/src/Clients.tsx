import { useState } from "preact/hooks";
import { api, type Client, type Me } from "./api";
import { lang, t, type Key } from "./i18n";
import { go, nav } from "./nav";
import { useCell, useLoad, versions } from "./store";
import { VirtualList } from "./VirtualList";
import { initials, when } from "./format";
import { Icon } from "./icons";

export function Clients({ me }: { me: Me }) {
  const n = useCell(nav);
  const v = useCell(versions);
  const [query, setQuery] = useState("");
  const list = useLoad(() => api.clients(query || null), [query, v.clients]);
  const rows = list.data ?? [];
  return (
    <div class="split">
      <section class="list-pane">
        <div class="filter-bar">
          <input type="search" placeholder={t("searchClients")} value={query} onInput={(e) => setQuery(e.currentTarget.value)} data-testid="client-search" autoFocus />
        </div>
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
        <div class="row-bottom"><span class="subject">{c.phone}{c.city ? ` · ${c.city}` : ""}</span>{c.tags.slice(0, 2).map((x) => <span class="tag">{x}</span>)}</div>
      </div>
    </button>
  );
}

function Profile({ id, me }: { id: string; me: Me }) {
  const v = useCell(versions);
  const p = useLoad(() => api.clientProfile(id), [id, v.clients, v.consultations, v.callbacks]);
  const d = p.data;
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
      <dl class="facts">
        {fact("phone", c.phone)}
        {fact("email", c.email)}
        {fact("gender", c.gender)}
        {fact("birthday", c.birthday)}
        {fact("city", c.city)}
        {fact("height", c.height_cm ? `${c.height_cm} cm` : null)}
        {fact("weight", c.weight_kg ? `${c.weight_kg} kg` : null)}
        {fact("source", t(`source_${c.source}` as Key))}
        {fact("since", when(c.created_at, lang()))}
      </dl>
      {c.tags.length > 0 && <div class="tags">{c.tags.map((x) => <span class="tag">{x}</span>)}</div>}
      {c.notes && (<><h3>{t("notes")}</h3><p class="notes">{c.notes}</p></>)}
      <h3>{t("history")}</h3>
      {d.consultations.length === 0 ? <div class="empty small">{t("noHistory")}</div> : (
        <ul class="history">
          {d.consultations.map((r) => (
            <li>
              <button class="link" onClick={() => go({ section: "consultations", view: r.consultation.status === "closed" ? "archive" : r.consultation.status === "new" ? "queue" : r.consultation.operator_id === me.id ? "mine" : "active", consultation: r.consultation.id })}>
                {when(r.consultation.created_at, lang())}
              </button>
              <span class={`status status-${r.consultation.status}`}>{t(r.consultation.status === "active" ? "active" : r.consultation.status === "new" ? "new" : "closed")}</span>
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
                <span class="subject">{r.callback.reason ?? r.callback.phone}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>{t("files")}</h3>
      {d.files.length === 0 ? <div class="empty small">{t("noFiles")}</div> : (
        <ul class="files">
          {d.files.map((m) => m.attachment && (
            <li><button class="file" onClick={() => api.openFile(m.attachment!.sha256)}><Icon name="file" /> {m.attachment.file_name}</button> <span class="muted">{when(m.created_at, lang())}</span></li>
          ))}
        </ul>
      )}
    </div>
  );
}
