// The part of a client's thread the chat pane holds: at most WINDOW messages, paged in from the
// cache as the operator scrolls either way, so a thread of any length keeps a small DOM.
import type { MessageRow, PendingMessage, ThreadPage } from "./api";

export const PAGE = 100;
export const WINDOW = 300;

export interface ThreadWindow {
  rows: MessageRow[];
  /** Older messages exist before the first row. */
  hasOlder: boolean;
  /** Newer messages exist after the last row: the window is in the history, not at the live end. */
  hasNewer: boolean;
  /** The outbox's messages for this thread; only at the live end. */
  pending: PendingMessage[];
}

/** The newest page: the live end of the thread. */
export function newest(p: ThreadPage): ThreadWindow {
  return { rows: p.messages, hasOlder: p.has_more, hasNewer: false, pending: p.pending };
}

/** Around a message: `before` ends with it (asked before its seq + 1), `after` follows it. */
export function around(before: ThreadPage, after: ThreadPage): ThreadWindow {
  return { rows: [...before.messages, ...after.messages], hasOlder: before.has_more, hasNewer: after.has_more, pending: after.has_more ? [] : after.pending };
}

/** A page of older messages put before the window; past `max`, the newest rows fall off. */
export function withOlder(w: ThreadWindow, p: ThreadPage, max = WINDOW): ThreadWindow {
  const rows = [...p.messages, ...w.rows];
  if (rows.length <= max) return { ...w, rows, hasOlder: p.has_more };
  return { rows: rows.slice(0, max), hasOlder: p.has_more, hasNewer: true, pending: [] };
}

/** A page of newer messages put after the window; past `max`, the oldest rows fall off. */
export function withNewer(w: ThreadWindow, p: ThreadPage, max = WINDOW): ThreadWindow {
  const rows = [...w.rows, ...p.messages];
  const cut = Math.max(0, rows.length - max);
  return { rows: rows.slice(cut), hasOlder: w.hasOlder || cut > 0, hasNewer: p.has_more, pending: p.has_more ? [] : p.pending };
}

/**
 * The window read again from its first row on (`p` was asked after the first row's seq - 1):
 * the same messages with their new states (delivered, read), and at the live end what arrived
 * since, the oldest rows falling off past `max`.
 */
export function refreshed(w: ThreadWindow, p: ThreadPage, max = WINDOW): ThreadWindow {
  return withNewer({ rows: [], hasOlder: w.hasOlder, hasNewer: false, pending: [] }, p, max);
}

/** How many messages to read again for `refreshed`: the window, plus room for arrivals at the live end. */
export function refreshLimit(w: ThreadWindow): number {
  return w.hasNewer ? Math.max(1, w.rows.length) : WINDOW + PAGE;
}
