import { describe, expect, it } from "vitest";
import type { MessageRow, ThreadPage } from "./api";
import { around, newest, refreshed, withNewer, withOlder } from "./thread";

/** Messages seq a..b of one thread. */
function rows(a: number, b: number): MessageRow[] {
  const out: MessageRow[] = [];
  for (let seq = a; seq <= b; seq++) {
    out.push({
      message: {
        id: `m${seq}`, consultation_id: "c", client_id: "k", author_kind: "client", author_id: null, kind: "text", body: `#${seq}`,
        attachment: null, client_msg_id: null, internal: false, created_at: "2026-11-22T10:00:00Z", seq,
      } as unknown as MessageRow["message"],
      author_name: null,
      state: null,
    });
  }
  return out;
}
const page = (a: number, b: number, has_more: boolean, pending: ThreadPage["pending"] = []): ThreadPage => ({ messages: rows(a, b), has_more, pending });
const seqs = (w: { rows: MessageRow[] }) => [w.rows[0].message.seq, w.rows[w.rows.length - 1].message.seq, w.rows.length];
const pendingOne = [{ outbox_id: 1, client_msg_id: "x", consultation_id: "c", body: "on its way", internal: false, state: "pending" as const, error_code: null, error_message: null }];

describe("thread window", () => {
  it("pages back through a long thread keeping at most WINDOW messages", () => {
    let w = newest(page(901, 1000, true, pendingOne));
    w = withOlder(w, page(801, 900, true));
    w = withOlder(w, page(701, 800, true));
    expect(seqs(w)).toEqual([701, 1000, 300]);
    expect(w.hasNewer).toBe(false);
    expect(w.pending).toHaveLength(1);
    // The fourth page pushes the newest hundred out: the window is now in the history.
    w = withOlder(w, page(601, 700, true));
    expect(seqs(w)).toEqual([601, 900, 300]);
    expect([w.hasOlder, w.hasNewer, w.pending.length]).toEqual([true, true, 0]);
    // Back towards the newest: the oldest fall off; the last page brings the outbox back.
    w = withNewer(w, page(901, 1000, false, pendingOne));
    expect(seqs(w)).toEqual([701, 1000, 300]);
    expect([w.hasOlder, w.hasNewer, w.pending.length]).toEqual([true, false, 1]);
  });

  it("reaches the first message and says there is nothing older", () => {
    let w = newest(page(51, 150, true));
    w = withOlder(w, page(1, 50, false));
    expect(seqs(w)).toEqual([1, 150, 150]);
    expect(w.hasOlder).toBe(false);
  });

  it("opens around a found message", () => {
    const w = around(page(451, 500, true), page(501, 550, true));
    expect(seqs(w)).toEqual([451, 550, 100]);
    expect([w.hasOlder, w.hasNewer, w.pending.length]).toEqual([true, true, 0]);
    const end = around(page(951, 1000, true), page(1001, 1003, false, pendingOne));
    expect([end.hasNewer, end.pending.length]).toEqual([false, 1]);
  });

  it("takes new arrivals at the live end and lets the oldest go past WINDOW", () => {
    const w = newest(page(1, 300, false));
    // Read again from seq 1 on: 20 new messages arrived.
    const r = refreshed(w, page(1, 320, false));
    expect(seqs(r)).toEqual([21, 320, 300]);
    expect([r.hasOlder, r.hasNewer]).toEqual([true, false]);
  });

  it("keeps a window in the history where it is when read again", () => {
    const w = { ...withOlder(newest(page(301, 400, true)), page(1, 300, false)), hasNewer: true };
    const r = refreshed(w, page(1, 300, true));
    expect(seqs(r)).toEqual([1, 300, 300]);
    expect([r.hasOlder, r.hasNewer]).toEqual([false, true]);
  });
});
