import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { errorLine, refusalLine } from "./errors";
import { api, newId, onFileDrop, type Me, type MessageRow, type PendingMessage, type Priority } from "./api";
import { defaultQuickReplies, lang, t } from "./i18n";
import { go } from "./nav";
import { act as queue, pref, useCell, useLoad, versions } from "./store";
import { episodeStarts, matchQuickReplies, when } from "./format";
import { around, newest, PAGE, refreshed, refreshLimit, withNewer, withOlder, type ThreadWindow } from "./thread";
import { Icon } from "./icons";
import { Dialog } from "./Dialog";

export function Chat({ id, me, focus }: { id: string; me: Me; focus: number | null }) {
  const v = useCell(versions);
  const row = useLoad(() => api.consultation(id), [id, v.consultations]);
  const c = row.data?.consultation;
  const clientId = c?.client_id;
  const [dialog, setDialog] = useState<null | "close" | "transfer">(null);
  const [error, setError] = useState<string | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const mine = c?.status === "active" && c.operator_id === me.id;

  // Stay at the bottom when new messages arrive, unless the operator scrolled up to read;
  // when pages come and go at either end, keep the message at the top of the view in place.
  const atBottom = useRef(true);
  useEffect(() => {
    api.setInFront(id);
    atBottom.current = true; // another chat opens at its newest message
    return () => void api.setInFront(null);
  }, [id]);

  const anchor = useRef<{ seq: number; dy: number } | null>(null);
  const keepPlace = () => {
    const el = scroller.current;
    anchor.current = null;
    if (!el) return;
    const top = el.getBoundingClientRect().top;
    for (const b of Array.from(el.querySelectorAll<HTMLElement>("[data-seq]"))) {
      const r = b.getBoundingClientRect();
      if (r.bottom > top) {
        anchor.current = { seq: Number(b.dataset.seq), dy: r.top - top };
        return;
      }
    }
  };
  const win = useThreadWindow(clientId, `${clientId ? v.threads[clientId] ?? 0 : 0}:${v.outbox}:${v.everything}`, focus, keepPlace);
  const w = win.window;
  const messages = w?.rows ?? [];
  const pending = w?.pending ?? [];

  useEffect(() => {
    if (mine && w && !w.hasNewer) api.markRead(id);
  }, [mine, w]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || !w) return;
    const target = win.focusPending() ? el.querySelector<HTMLElement>(`[data-seq="${focus}"]`) : null;
    if (target) {
      target.scrollIntoView({ block: "center" });
      atBottom.current = false;
    } else if (atBottom.current && !w.hasNewer) {
      el.scrollTop = el.scrollHeight;
    } else if (anchor.current) {
      const b = el.querySelector<HTMLElement>(`[data-seq="${anchor.current.seq}"]`);
      if (b) el.scrollTop += b.getBoundingClientRect().top - el.getBoundingClientRect().top - anchor.current.dy;
    }
    anchor.current = null;
  }, [w]);

  const onScroll = (e: Event) => {
    const el = e.currentTarget as HTMLDivElement;
    const below = el.scrollHeight - el.scrollTop - el.clientHeight;
    atBottom.current = below < 40 && !w?.hasNewer;
    if (el.scrollTop < 400 && w?.hasOlder) win.older();
    else if (below < 400 && w?.hasNewer) win.newer();
  };

  const act = async (op: Parameters<typeof api.act>[0]) => {
    setError(null);
    try {
      await queue(op);
    } catch (e) {
      setError(errorLine(e));
    }
  };

  if (!c || !row.data) return <div class="empty big">{row.error ?? t("loading")}</div>;
  const starts = episodeStarts(messages.map((m) => m.message.consultation_id));

  return (
    <div class="chat" data-testid="chat">
      <header class="chat-head">
        <div class="who">
          <button class="link name" onClick={() => go({ section: "clients", client: c.client_id })} data-testid="chat-client">
            {row.data.client_vip && <span class="vip">VIP</span>}
            {row.data.client_name}
          </button>
          <div class="meta">
            <span class={`status status-${c.status}`} data-testid="chat-status">{c.status === "active" ? row.data.operator_name ?? t("active") : t(c.status === "new" ? "new" : "closed")}</span>
            <span>{t(c.kind)}</span>
            {c.tags.map((tag) => <span class="tag">{tag}</span>)}
          </div>
        </div>
        <div class="actions">
          {c.status === "new" && <button class="primary" onClick={() => act({ op: "take", consultation_id: c.id })} data-testid="take">{t("take")}</button>}
          {mine && (
            <>
              <select value={c.priority} onChange={(e) => act({ op: "update", consultation_id: c.id, priority: e.currentTarget.value as Priority, tags: null })} title={t("priority")} data-testid="priority">
                {(["low", "normal", "high", "urgent"] as const).map((p) => <option value={p}>{t(p)}</option>)}
              </select>
              <TagAdder onAdd={(tag) => act({ op: "update", consultation_id: c.id, priority: null, tags: [...c.tags, tag] })} />
              <button onClick={() => setDialog("transfer")} data-testid="transfer">{t("transfer")}</button>
              <button onClick={() => act({ op: "release", consultation_id: c.id })} data-testid="release">{t("release")}</button>
              <button class="primary" onClick={() => setDialog("close")} data-testid="close">{t("close")}</button>
            </>
          )}
        </div>
      </header>
      {error && <div class="form-error">{error}</div>}
      <div class="messages" ref={scroller} onScroll={onScroll} data-testid="messages">
        {w?.hasOlder && <button class="older" onClick={win.older} data-testid="older">{t("olderMessages")}</button>}
        {messages.map((m, i) => (
          <>
            {starts.has(i) && <Episode id={m.message.consultation_id} current={c.id} at={m.message.created_at} />}
            <Bubble row={m} me={me} focused={m.message.seq === focus} />
          </>
        ))}
        {pending.map((p) => <PendingBubble p={p} />)}
        {w?.hasNewer && (
          <button class="newest" onClick={() => { atBottom.current = true; win.toNewest(); }} data-testid="to-newest">
            <Icon name="down" size={14} /> {t("newestMessages")}
          </button>
        )}
        {!w?.hasNewer && c.status === "closed" && c.summary && <div class="summary"><b>{t("closeSummary")}:</b> {c.summary}{c.rating ? ` · ${t("rating")}: ${"★".repeat(Number(c.rating))}` : ""}</div>}
      </div>
      {c.status !== "closed" && <Composer consultationId={c.id} canReply={mine} />}
      {dialog === "close" && <CloseDialog onClose={() => setDialog(null)} onDone={(summary) => { setDialog(null); act({ op: "close", consultation_id: c.id, summary: summary || null }); }} />}
      {dialog === "transfer" && <TransferDialog me={me} onClose={() => setDialog(null)} onDone={(op, note) => { setDialog(null); act({ op: "transfer", consultation_id: c.id, operator_id: op, note: note || null }); }} />}
    </div>
  );
}

function Episode({ id, current, at }: { id: string; current: string; at: string }) {
  return (
    <div class={`episode ${id === current ? "current" : ""}`}>
      <span>{t("episode")} · {t("startedAt")} {when(at, lang())}</span>
    </div>
  );
}

function Bubble({ row, me, focused }: { row: MessageRow; me: Me; focused: boolean }) {
  const m = row.message;
  const side = m.author_kind === "client" ? "theirs" : m.author_kind === "system" ? "system" : "ours";
  const author = m.author_kind === "client" ? null : m.author_kind === "system" ? t("system") : m.author_id === me.id ? t("you") : row.author_name;
  return (
    <div class={`bubble ${side} ${m.internal ? "internal" : ""} ${focused ? "focus" : ""}`} data-testid="message" data-seq={m.seq}>
      {(author || m.internal) && <div class="author">{m.internal ? `${t("internal")} · ` : ""}{author}</div>}
      {m.attachment && <Attachment a={m.attachment} />}
      {m.body && <div class="body">{m.body}</div>}
      <div class="foot">
        <span>{when(m.created_at, lang())}</span>
        {row.state && <span class={`state ${row.state}`} title={t(row.state)} data-testid="message-state" data-state={row.state}><Icon name={row.state === "sent" ? "check" : "checks"} size={16} /></span>}
      </div>
    </div>
  );
}

function Attachment({ a }: { a: NonNullable<MessageRow["message"]["attachment"]> }) {
  const isImage = a.media_type.startsWith("image/");
  const img = useLoad(() => (isImage ? api.image(a.sha256, a.media_type) : Promise.resolve(null)), [a.sha256]);
  if (isImage && img.data) return <img class="thumb" src={img.data} alt={a.file_name} onClick={() => api.openFile(a.sha256)} />;
  return (
    <button class="file" onClick={() => api.openFile(a.sha256)} title={a.file_name}>
      <Icon name="file" /> <span>{a.file_name}</span> <small>{Math.max(1, Math.round(a.size / 1024))} KB</small>
    </button>
  );
}

function PendingBubble({ p }: { p: PendingMessage }) {
  return (
    <div class={`bubble ours ${p.internal ? "internal" : ""} ${p.state}`} data-testid="pending-message" data-state={p.state}>
      {p.internal && <div class="author">{t("internal")}</div>}
      <div class="body">{p.body}</div>
      <div class="foot">
        {p.state === "pending" ? (
          <span class="state" title={t("pending")}><Icon name="clock" size={13} /> {t("pending")}</span>
        ) : (
          <span class="state bad">
            <Icon name="warn" size={13} /> {t("failed")}{p.error_code || p.error_message ? `: ${refusalLine(p.error_code, p.error_message)}` : ""}
            <button class="link" onClick={() => api.retry(Number(p.outbox_id))}>{t("retry")}</button>
            <button class="link" onClick={() => api.dismiss(Number(p.outbox_id))}>{t("dismiss")}</button>
          </span>
        )}
      </div>
    </div>
  );
}

function Composer({ consultationId, canReply }: { consultationId: string; canReply: boolean }) {
  const [text, setText] = useState("");
  const [note, setNote] = useState(!canReply);
  const [error, setError] = useState<string | null>(null);
  const [pick, setPick] = useState(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const replies = pref("quickReplies", defaultQuickReplies[lang()]);
  const matches = matchQuickReplies(text, replies);
  const internal = note || !canReply;

  useEffect(() => setNote(!canReply), [canReply, consultationId]);
  useEffect(() => {
    let off: (() => void) | undefined;
    onFileDrop((paths) => paths.forEach((p) => api.sendPath(consultationId, p, internal).catch((e) => setError(errorLine(e))))).then((f) => (off = f));
    return () => off?.();
  }, [consultationId, internal]);

  const send = async () => {
    const body = text.trim();
    if (!body) return;
    setText("");
    setError(null);
    try {
      await queue({ op: "send_message", consultation_id: consultationId, message: { client_msg_id: newId(), kind: "text", body, attachment_id: null, internal } });
    } catch (e) {
      setError(errorLine(e));
      setText(body);
    }
  };

  const attach = async (files: FileList | null) => {
    for (const f of Array.from(files ?? [])) {
      try {
        await api.sendFile(consultationId, f.name, Array.from(new Uint8Array(await f.arrayBuffer())), internal);
      } catch (e) {
        setError(errorLine(e));
      }
    }
  };

  const onKey = (e: KeyboardEvent) => {
    if (matches && matches.length > 0) {
      if (e.key === "ArrowDown") return e.preventDefault(), setPick((pick + 1) % matches.length);
      if (e.key === "ArrowUp") return e.preventDefault(), setPick((pick + matches.length - 1) % matches.length);
      if (e.key === "Enter" || e.key === "Tab") return e.preventDefault(), setText(matches[Math.min(pick, matches.length - 1)].text), setPick(0);
      if (e.key === "Escape") return setText("");
    }
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      send();
    }
  };

  return (
    <div class={`composer ${internal ? "internal" : ""}`}>
      {matches && (
        <div class="quick" data-testid="quick-replies">
          <div class="quick-title">{t("quickReplies")}</div>
          {matches.length === 0 && <div class="quick-none">{t("noQuickReplies")}</div>}
          {matches.map((r, i) => (
            <button class={i === pick ? "on" : ""} onClick={() => setText(r.text)}><b>/{r.key}</b> {r.text}</button>
          ))}
        </div>
      )}
      {error && <div class="form-error">{error}</div>}
      <textarea
        rows={3}
        value={text}
        placeholder={internal ? t("typeNote") : t("typeMessage")}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={onKey}
        data-testid="composer"
      />
      <div class="composer-bar">
        <label class={`check note-toggle ${internal ? "on" : ""}`}>
          <input type="checkbox" checked={internal} disabled={!canReply} onChange={(e) => setNote(e.currentTarget.checked)} data-testid="note-toggle" /> {t("note")}
        </label>
        <button class="icon-button" onClick={() => fileInput.current?.click()} title={t("attach")}><Icon name="clip" /></button>
        <input type="file" multiple hidden ref={fileInput} onChange={(e) => attach(e.currentTarget.files)} />
        <span class="grow" />
        <button class="primary" onClick={send} disabled={!text.trim()} data-testid="send"><Icon name="send" size={15} /> {t("send")}</button>
      </div>
    </div>
  );
}

function TagAdder({ onAdd }: { onAdd: (tag: string) => void }) {
  const [v, setV] = useState("");
  return (
    <input class="tag-input" placeholder={t("addTag")} value={v} onInput={(e) => setV(e.currentTarget.value)}
      onKeyDown={(e) => { if (e.key === "Enter" && v.trim()) { onAdd(v.trim()); setV(""); } }} />
  );
}

function CloseDialog({ onClose, onDone }: { onClose: () => void; onDone: (summary: string) => void }) {
  const [s, setS] = useState("");
  return (
    <Dialog title={t("closeSummary")} onClose={onClose}>
      <textarea rows={4} value={s} placeholder={t("summaryPlaceholder")} onInput={(e) => setS(e.currentTarget.value)} autoFocus data-testid="summary" />
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("cancel")}</button>
        <button class="primary" onClick={() => onDone(s)} data-testid="confirm-close">{t("close")}</button>
      </div>
    </Dialog>
  );
}

function TransferDialog({ me, onClose, onDone }: { me: Me; onClose: () => void; onDone: (operator: string, note: string) => void }) {
  const ops = useLoad(() => api.operators(), []);
  const [to, setTo] = useState("");
  const [note, setNote] = useState("");
  const choices = (ops.data ?? []).filter((o) => o.operator.id !== me.id && !o.operator.disabled);
  return (
    <Dialog title={t("transferTo")} onClose={onClose}>
      <select value={to} onChange={(e) => setTo(e.currentTarget.value)} data-testid="transfer-to">
        <option value="">—</option>
        {choices.map((o) => <option value={o.operator.id}>{o.operator.name} · {t(o.operator.status)} · {o.load}/{o.operator.capacity}</option>)}
      </select>
      <textarea rows={3} value={note} placeholder={t("transferNote")} onInput={(e) => setNote(e.currentTarget.value)} />
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("cancel")}</button>
        <button class="primary" disabled={!to} onClick={() => onDone(to, note)} data-testid="confirm-transfer">{t("transfer")}</button>
      </div>
    </Dialog>
  );
}

/**
 * The window of a client's thread the pane shows: the newest page, or the page around `focus`
 * (a search hit); read again when the thread changes; paged at either end on demand. `beforeChange`
 * runs just before the window changes, while the old rows are still on screen.
 */
function useThreadWindow(clientId: string | undefined, version: string, focus: number | null, beforeChange: () => void) {
  const [shown, setShown] = useState<ThreadWindow | null>(null);
  const current = useRef<ThreadWindow | null>(null);
  const busy = useRef(false);
  const focusToShow = useRef<number | null>(null);
  const set = (w: ThreadWindow | null) => {
    beforeChange();
    current.current = w;
    setShown(w);
  };

  const open = (client: string, at: number | null) =>
    at === null
      ? api.thread(client, null, PAGE).then(newest)
      : Promise.all([api.thread(client, at + 1, PAGE / 2), api.threadAfter(client, at, PAGE / 2)]).then(([b, a]) => around(b, a));

  useEffect(() => {
    if (!clientId) return;
    let live = true;
    current.current = null;
    focusToShow.current = focus;
    open(clientId, focus).then((w) => live && set(w));
    return () => {
      live = false;
    };
  }, [clientId, focus]);

  // Read again on every change of the thread (new messages, ticks, the outbox); if the window
  // moved meanwhile (a page came in), read again from where it is now.
  useEffect(() => {
    if (!clientId) return;
    let live = true;
    (async () => {
      for (;;) {
        const w = current.current;
        if (!w) return;
        const first = w.rows[0];
        const next = first ? refreshed(w, await api.threadAfter(clientId, first.message.seq - 1, refreshLimit(w))) : newest(await api.thread(clientId, null, PAGE));
        if (!live) return;
        if (current.current === w) return set(next);
      }
    })();
    return () => {
      live = false;
    };
  }, [version]);

  /** Loads a page at one end, once at a time. */
  const page = async (load: (client: string, w: ThreadWindow) => Promise<ThreadWindow>) => {
    const w = current.current;
    if (!clientId || !w || busy.current) return;
    busy.current = true;
    try {
      const next = await load(clientId, w);
      if (current.current === w) set(next);
    } finally {
      busy.current = false;
    }
  };
  const older = () => page(async (client, w) => (w.rows[0] ? withOlder(w, await api.thread(client, w.rows[0].message.seq, PAGE)) : w));
  const newer = () => page(async (client, w) => (w.rows.length ? withNewer(w, await api.threadAfter(client, w.rows[w.rows.length - 1].message.seq, PAGE)) : w));
  const toNewest = () => page(async (client) => newest(await api.thread(client, null, PAGE)));
  /** Whether the focused message still waits to be scrolled to (asked once, after the first window). */
  const focusPending = () => {
    const f = focusToShow.current;
    focusToShow.current = null;
    return f !== null;
  };
  return { window: shown, older, newer, toNewest, focusPending };
}
