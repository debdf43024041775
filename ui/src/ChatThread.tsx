// A client's whole thread in the chat pane: the messages of every consultation of the client
// (each consultation's start marked), what still waits in the outbox, paged at either end as
// the operator scrolls, kept at the bottom as messages arrive unless they scrolled up to read.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { errorLine, refusalLine } from "./errors";
import { api, type Consultation, type Me, type MessageRow, type PendingMessage } from "./api";
import { lang, t } from "./i18n";
import { systemNote } from "./systemNotes";
import { useCell, useLoad, versions } from "./store";
import { dayHeading, episodeStarts, fileSize, marked, markedWords, threadLayout, when } from "./format";
import { nav } from "./nav";
import { around, newest, PAGE, refreshed, refreshLimit, withNewer, withOlder, type ThreadWindow } from "./thread";
import { Icon } from "./icons";

export function ChatThread({ c, me, focus, mine }: { c: Consultation; me: Me; focus: number | null; mine: boolean }) {
  const v = useCell(versions);
  const clientId = c.client_id;
  const scroller = useRef<HTMLDivElement>(null);

  // Stay at the bottom when new messages arrive, unless the operator scrolled up to read;
  // when pages come and go at either end, keep the message at the top of the view in place.
  const atBottom = useRef(true);
  useEffect(() => {
    atBottom.current = true; // another chat opens at its newest message
  }, [c.id]);

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
  const win = useThreadWindow(clientId, `${v.threads[clientId] ?? 0}:${v.outbox}:${v.everything}`, focus, keepPlace);
  const w = win.window;
  const messages = w?.rows ?? [];
  const pending = w?.pending ?? [];

  useEffect(() => {
    if (mine && w && !w.hasNewer) api.markRead(c.id);
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

  const starts = episodeStarts(messages.map((m) => m.message.consultation_id));
  const layout = threadLayout(messages.map((m) => m.message));
  const find = useCell(nav).find;
  return (
    <div class="messages" ref={scroller} onScroll={onScroll} data-testid="messages">
      {w?.hasOlder && <button class="older" onClick={win.older} data-testid="older">{t("olderMessages")}</button>}
      {messages.map((m, i) => (
        <>
          {layout[i].newDay && <div class="day-heading" data-testid="day-heading"><span>{dayHeading(m.message.created_at, lang())}</span></div>}
          {starts.has(i) && <Episode id={m.message.consultation_id} current={c.id} at={m.message.created_at} />}
          {m.message.author_kind === "system" ? (
            <SystemLine row={m} />
          ) : (
            <Bubble row={m} me={me} focused={m.message.seq === focus} flag={m.message.consultation_id === c.id ? c.red_flag_words : null}
              find={m.message.seq === focus ? find : null} first={layout[i].first} last={layout[i].last} />
          )}
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
  );
}

function Episode({ id, current, at }: { id: string; current: string; at: string }) {
  return (
    <div class={`episode ${id === current ? "current" : ""}`}>
      <span>{t("episode")} · {t("startedAt")} {when(at, lang())}</span>
    </div>
  );
}

/** What the server notes in a thread (a red flag, an assignment, a transfer): a quiet line,
 * not a card. */
function SystemLine({ row }: { row: MessageRow }) {
  const m = row.message;
  return (
    <div class="sysline" data-testid="message" data-seq={m.seq} data-kind="system">
      <span>{systemNote(m.body, lang())}</span>
      <time title={new Date(m.created_at).toLocaleString()}>{when(m.created_at, lang())}</time>
    </div>
  );
}

/** One message: the author named on the first of a run, the time on the last (and on hover). */
function Bubble({ row, me, focused, flag, find, first, last }: { row: MessageRow; me: Me; focused: boolean; flag: string | null; find: string | null; first: boolean; last: boolean }) {
  const m = row.message;
  const side = m.author_kind === "client" ? "theirs" : "ours";
  const author = m.author_kind === "client" ? null : m.author_id === me.id ? t("you") : row.author_name;
  const parts = find ? markedWords(m.body, find) : m.author_kind === "client" ? marked(m.body, flag) : [{ text: m.body, mark: false }];
  return (
    <div class={`bubble ${side} ${m.internal ? "internal" : ""} ${focused ? "focus" : ""} ${first ? "first" : "cont"} ${last ? "last" : ""}`}
      data-testid="message" data-seq={m.seq} title={last ? undefined : when(m.created_at, lang())}>
      {first && (author || m.internal) && <div class="author">{m.internal ? `${t("internal")} · ` : ""}{author}</div>}
      {m.attachment && <Attachment a={m.attachment} />}
      {m.body && (
        <div class="body">
          {parts.map((p) => (!p.mark ? p.text : find ? <mark class="found" data-testid="found-words">{p.text}</mark> : <mark class="flag-words" data-testid="flag-words">{p.text}</mark>))}
        </div>
      )}
      {(last || row.state) && (
        <div class="foot">
          {last && <span>{when(m.created_at, lang())}</span>}
          {row.state && <span class={`state ${row.state}`} title={t(row.state)} data-testid="message-state" data-state={row.state}><Icon name={row.state === "sent" ? "check" : "checks"} size={16} /></span>}
        </div>
      )}
    </div>
  );
}

function Attachment({ a }: { a: NonNullable<MessageRow["message"]["attachment"]> }) {
  const [refusal, setRefusal] = useState<string | null>(null);
  // An image shows its thumbnail (kept for every image, offline too); a click opens the original.
  const thumb = useLoad(() => (a.image ? api.image(a.image.thumb_sha256, "image/jpeg") : Promise.resolve(null)), [a.sha256]);
  const playable = a.media_type.startsWith("audio/") || a.media_type.startsWith("video/");
  const [media, setMedia] = useState<string | null | undefined>(undefined);
  if (a.image && thumb.data) {
    return (
      <img class="thumb" src={thumb.data} alt={a.file_name} width={a.image.thumb_width / 2} height={a.image.thumb_height / 2}
        title={`${a.file_name} · ${a.image.width} × ${a.image.height}`} onClick={() => api.openAttachment(a)} data-testid="thumbnail" />
    );
  }
  if (playable && media) {
    return a.media_type.startsWith("audio/")
      ? <audio class="media" controls src={media} data-testid="audio" />
      : <video class="media" controls src={media} data-testid="video" />;
  }
  const open = async () => {
    if (playable && media === undefined) {
      const m = await api.media(a);
      setMedia(m);
      if (m) return;
    }
    setRefusal(null);
    try {
      await api.openAttachment(a);
    } catch (e) {
      setRefusal(errorLine(e));
    }
  };
  return (
    <>
      <button class="file" onClick={open} title={a.file_name} data-testid={playable ? "play-media" : "file"}>
        <Icon name={playable ? "play" : "file"} /> <span>{a.file_name}</span> <small>{fileSize(a.size, lang())}</small>
      </button>
      {refusal && <div class="file-refusal" role="alert" data-testid="file-refusal">{refusal}</div>}
    </>
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
