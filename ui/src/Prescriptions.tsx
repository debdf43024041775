// Clinical records at the desk. In a chat: its prescriptions (a strip under the header), the
// editor a doctor writes one in (items, the check before submit marking the fields), and a
// refund request. The Prescriptions section: the review queue a pharmacist works (the
// prescription, the chat behind it read-only, approve or reject with a reason), and a doctor's
// own by state. The Refunds section: what waits for an admin's decision.
import { useState } from "preact/hooks";
import { api, type Consultation, type Me, type Prescription, type PrescriptionItem, type PrescriptionProblem, type PrescriptionStatus, type Refund, type RefundStatus } from "./api";
import { Dialog } from "./Dialog";
import { errorLine } from "./errors";
import { lang, t, type Key } from "./i18n";
import { money, when } from "./format";
import { useCell, useLoad, versions } from "./store";

const fields = ["medication", "form", "strength", "dose", "route", "frequency", "duration", "quantity"] as const;
type Field = (typeof fields)[number];
const fieldKey: Record<Field | "instructions", Key> = {
  medication: "rxMedication", form: "rxForm", strength: "rxStrength", dose: "rxDose", route: "rxRoute",
  frequency: "rxFrequency", duration: "rxDuration", quantity: "rxQuantity", instructions: "rxInstructions",
};
const statusKey: Record<PrescriptionStatus, Key> = {
  draft: "rx_draft", submitted: "rx_submitted", approved: "rx_approved", rejected: "rx_rejected", cancelled: "rx_cancelled",
};
const refundKey: Record<RefundStatus, Key> = { requested: "refund_requested", approved: "refund_approved", rejected: "refund_rejected" };

const emptyItem = (): PrescriptionItem => ({ medication: "", form: "", strength: "", dose: "", route: "", frequency: "", duration: "", quantity: "", instructions: null });

/** A problem of the check in the desk's language. */
function problemLine(p: PrescriptionProblem): string {
  const at = p.item !== null ? `${t("rxItem")} ${p.item + 1}: ` : "";
  const field = p.field ? t(fieldKey[p.field as Field] ?? "rxMedication") : "";
  switch (p.kind) {
    case "no_items": return t("rxNoItems");
    case "too_many": return t("rxTooMany");
    case "missing": return `${at}${field} — ${t("rxMissing")}`;
    case "too_long": return `${at}${field} — ${t("rxTooLong")}`;
    case "duplicate": return `${at}${t("rxDuplicate")}`;
  }
}

/** The chat's prescriptions and refunds, under its header, with what the doctor may start. */
export function ClinicalStrip({ c, me }: { c: Consultation; me: Me }) {
  const v = useCell(versions);
  const list = useLoad(() => api.prescriptionsOf(c.id), [c.id, v.clinical]);
  const refunds = useLoad(() => api.refundsOf(c.id), [c.id, v.clinical]);
  const [open, setOpen] = useState<null | "new" | Prescription>(null);
  const [refunding, setRefunding] = useState(false);
  const doctor = c.operator_id === me.id && me.role !== "pharmacist";
  const rx = list.data ?? [];
  const rf = refunds.data ?? [];
  if (!doctor && rx.length === 0 && rf.length === 0 && !(me.role === "admin" && c.price > 0)) return null;
  return (
    <div class="clinical-strip" data-testid="clinical-strip">
      {rx.map((p) => (
        <button class={`rx-chip rx-${p.status}`} onClick={() => setOpen(p)} data-testid="rx-chip" data-status={p.status} title={p.items.map((i) => i.medication).join(", ")}>
          <span class="rx-mark">℞</span>
          <span class="rx-names">{p.items.map((i) => i.medication).filter(Boolean).join(", ") || t("rxEmpty")}</span>
          <span class="rx-state">{t(statusKey[p.status])}</span>
        </button>
      ))}
      {rf.map((r) => (
        <span class={`refund-chip refund-${r.status}`} data-testid="refund-chip" title={r.reason ?? ""}>
          {t("refund")} {money(r.amount, r.currency, lang())} · {t(refundKey[r.status])}
        </span>
      ))}
      <span class="spacer" />
      {doctor && <button onClick={() => setOpen("new")} data-testid="new-prescription">℞ {t("rxWrite")}</button>}
      {c.price > 0 && me.role !== "pharmacist" && <button onClick={() => setRefunding(true)} data-testid="request-refund">{t("refundAsk")}</button>}
      {open === "new" && <PrescriptionEditor c={c} p={null} onClose={() => setOpen(null)} />}
      {open && open !== "new" && (open.prescriber_id === me.id && (open.status === "draft" || open.status === "rejected")
        ? <PrescriptionEditor c={c} p={open} onClose={() => setOpen(null)} />
        : <Dialog title={t("prescription")} onClose={() => setOpen(null)}>
            <PrescriptionCard p={open} />
            <PrescriptionActions p={open} me={me} onDone={() => setOpen(null)} />
          </Dialog>)}
      {refunding && <RefundDialog c={c} onClose={() => setRefunding(false)} />}
    </div>
  );
}

/** A doctor writes or revises a prescription: saved as a draft (offline too), then submitted
 * after the check. */
function PrescriptionEditor({ c, p, onClose }: { c: Consultation; p: Prescription | null; onClose: () => void }) {
  const [items, setItems] = useState<PrescriptionItem[]>(p ? p.items.map((i) => ({ ...i })) : [emptyItem()]);
  const [note, setNote] = useState(p?.note ?? "");
  const [problems, setProblems] = useState<PrescriptionProblem[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (i: number, f: Field | "instructions", value: string) =>
    setItems((all) => all.map((it, j) => (j === i ? { ...it, [f]: f === "instructions" ? value || null : value } : it)));
  const bad = (i: number, f: string) => problems.some((x) => x.item === i && x.field === f);
  const save = async (submit: boolean) => {
    setError(null);
    if (submit) {
      const found = await api.checkPrescription(items);
      setProblems(found);
      if (found.length) return;
    }
    setBusy(true);
    try {
      const id = await api.savePrescription(c.id, p?.id ?? null, { id: null, items, note: note.trim() || null });
      if (submit) await api.submitPrescription(id);
      onClose();
    } catch (e) {
      setError(errorLine(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={p ? t("rxRevise") : t("rxWrite")} onClose={onClose}>
      <div class="rx-editor" data-testid="rx-editor">
        {p?.status === "rejected" && p.reason && (
          <div class="rx-rejected" role="note" data-testid="rx-rejection">{t("rxRejectedBy").replace("{name}", p.reviewer_name ?? "—")}: {p.reason}</div>
        )}
        {items.map((it, i) => (
          <fieldset class="rx-item" data-testid="rx-item">
            <legend>{t("rxItem")} {i + 1}</legend>
            <div class="rx-grid">
              {fields.map((f) => (
                <label class={f === "medication" ? "wide" : ""}>
                  <span>{t(fieldKey[f])}</span>
                  <input value={it[f]} onInput={(e) => set(i, f, e.currentTarget.value)} aria-invalid={bad(i, f)} class={bad(i, f) ? "bad" : ""} data-testid={`rx-${f}`} />
                </label>
              ))}
              <label class="wide">
                <span>{t(fieldKey.instructions)}</span>
                <input value={it.instructions ?? ""} onInput={(e) => set(i, "instructions", e.currentTarget.value)} data-testid="rx-instructions" />
              </label>
            </div>
            {items.length > 1 && <button class="link" onClick={() => setItems((all) => all.filter((_, j) => j !== i))} data-testid="rx-remove">{t("rxRemove")}</button>}
          </fieldset>
        ))}
        <button onClick={() => setItems((all) => [...all, emptyItem()])} data-testid="rx-add">+ {t("rxAdd")}</button>
        <label class="rx-note">
          <span>{t("rxNote")}</span>
          <textarea rows={2} value={note} onInput={(e) => setNote(e.currentTarget.value)} data-testid="rx-note" />
        </label>
        {problems.length > 0 && (
          <ul class="form-error rx-problems" role="alert" data-testid="rx-problems">
            {problems.map((x) => <li>{problemLine(x)}</li>)}
          </ul>
        )}
        {error && <div class="form-error">{error}</div>}
      </div>
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("cancel")}</button>
        <button onClick={() => save(false)} disabled={busy} data-testid="rx-save">{t("rxSaveDraft")}</button>
        <button class="primary" onClick={() => save(true)} disabled={busy} data-testid="rx-submit">{t("rxSubmit")}</button>
      </div>
    </Dialog>
  );
}

/** A prescription as everyone reads it: its items, the note, who wrote and who reviewed it. */
export function PrescriptionCard({ p }: { p: Prescription }) {
  return (
    <article class="rx-card" data-testid="rx-card" data-status={p.status}>
      <header>
        <span class={`rx-state rx-${p.status}`} data-testid="rx-status">{t(statusKey[p.status])}</span>
        <span class="muted">{p.prescriber_name} · {when(p.updated_at, lang())}{p.revision > 1 ? ` · ${t("rxRevision").replace("{n}", String(p.revision))}` : ""}</span>
      </header>
      <table class="rx-items">
        <thead><tr><th>{t("rxMedication")}</th><th>{t("rxDose")}</th><th>{t("rxFrequency")}</th><th>{t("rxDuration")}</th><th>{t("rxQuantity")}</th></tr></thead>
        <tbody>
          {p.items.map((i) => (
            <tr>
              <td><b>{i.medication}</b> <span class="muted">{[i.form, i.strength].filter(Boolean).join(", ")}</span>{i.instructions && <div class="muted">{i.instructions}</div>}</td>
              <td>{i.dose}{i.route && <div class="muted">{i.route}</div>}</td>
              <td>{i.frequency}</td>
              <td>{i.duration}</td>
              <td>{i.quantity}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {p.note && <p class="rx-card-note">{p.note}</p>}
      {p.reviewer_name && <p class="muted">{t("rxReviewedBy").replace("{name}", p.reviewer_name)}{p.reviewed_at ? ` · ${when(p.reviewed_at, lang())}` : ""}</p>}
      {p.reason && (p.status === "rejected" || p.status === "cancelled") && <p class="rx-reason" data-testid="rx-reason">{p.reason}</p>}
    </article>
  );
}

/** What the reader may do with it: a pharmacist approves or rejects a submitted one; its doctor
 * cancels an approved one. */
function PrescriptionActions({ p, me, onDone }: { p: Prescription; me: Me; onDone: () => void }) {
  const [reason, setReason] = useState("");
  const [asking, setAsking] = useState<null | "reject" | "cancel">(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (step: "approve" | "reject" | "cancel") => {
    setError(null);
    try {
      await api.prescriptionStep(p.id, step, step === "approve" ? null : reason.trim() || null);
      setAsking(null);
      setReason("");
      onDone();
    } catch (e) {
      setError(errorLine(e));
    }
  };
  const reviewer = me.role === "pharmacist" && p.status === "submitted";
  const canCancel = p.prescriber_id === me.id && p.status === "approved";
  if (!reviewer && !canCancel) return null;
  return (
    <div class="rx-actions">
      {asking ? (
        <>
          <textarea rows={2} placeholder={t(asking === "reject" ? "rxRejectWhy" : "rxCancelWhy")} value={reason} onInput={(e) => setReason(e.currentTarget.value)} data-testid="rx-reason-input" autoFocus />
          <div class="dialog-buttons">
            <button onClick={() => setAsking(null)}>{t("back")}</button>
            <button class="danger" disabled={!reason.trim()} onClick={() => run(asking)} data-testid="rx-confirm">{t(asking === "reject" ? "rxReject" : "rxCancel")}</button>
          </div>
        </>
      ) : (
        <div class="dialog-buttons">
          {reviewer && <button onClick={() => setAsking("reject")} data-testid="rx-reject">{t("rxReject")}</button>}
          {reviewer && <button class="primary" onClick={() => run("approve")} data-testid="rx-approve">{t("rxApprove")}</button>}
          {canCancel && <button class="danger" onClick={() => setAsking("cancel")} data-testid="rx-cancel">{t("rxCancel")}</button>}
        </div>
      )}
      {error && <div class="form-error">{error}</div>}
    </div>
  );
}

function RefundDialog({ c, onClose }: { c: Consultation; onClose: () => void }) {
  const [amount, setAmount] = useState((c.price / 100).toString());
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const send = async () => {
    setError(null);
    const minor = Math.round(Number(amount.replace(",", ".")) * 100);
    if (!Number.isFinite(minor) || minor <= 0) return setError(t("refundAmountBad"));
    try {
      await api.requestRefund(c.id, minor, reason.trim());
      onClose();
    } catch (e) {
      setError(errorLine(e));
    }
  };
  return (
    <Dialog title={t("refundAsk")} onClose={onClose}>
      <label>
        <span>{t("refundAmount")} ({c.currency}, ≤ {money(c.price, c.currency, lang())})</span>
        <input inputMode="decimal" value={amount} onInput={(e) => setAmount(e.currentTarget.value)} data-testid="refund-amount" />
      </label>
      <label>
        <span>{t("refundReason")}</span>
        <textarea rows={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} data-testid="refund-reason" />
      </label>
      {error && <div class="form-error">{error}</div>}
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("cancel")}</button>
        <button class="primary" disabled={!reason.trim()} onClick={send} data-testid="refund-send">{t("refundAsk")}</button>
      </div>
    </Dialog>
  );
}

/** The Prescriptions section: the review queue (a pharmacist's work), and the others by state. */
export function Prescriptions({ me }: { me: Me }) {
  const v = useCell(versions);
  const tabs: PrescriptionStatus[] = me.role === "pharmacist" ? ["submitted", "approved", "rejected"] : ["draft", "submitted", "rejected", "approved", "cancelled"];
  const [tab, setTab] = useState<PrescriptionStatus>(me.role === "pharmacist" ? "submitted" : "draft");
  const [selected, setSelected] = useState<string | null>(null);
  const list = useLoad(() => api.prescriptionsByStatus(tab), [tab, v.clinical, v.everything]);
  const rows = (list.data ?? []).filter((p) => me.role !== "operator" || p.prescriber_id === me.id || tab === "submitted");
  const current = rows.find((p) => p.id === selected) ?? null;
  return (
    <div class="split">
      <section class="list-pane">
        <div class="tabs" role="tablist">
          {tabs.map((s) => <button class={tab === s ? "current" : ""} onClick={() => { setTab(s); setSelected(null); }} data-testid={`rx-tab-${s}`}>{t(statusKey[s])}</button>)}
        </div>
        {rows.length === 0 && list.data ? <div class="empty" data-testid="rx-empty">{t(tab === "submitted" ? "rxQueueEmpty" : "rxNone")}</div> : (
          <div class="rx-list" data-testid="rx-list">
            {rows.map((p) => (
              <div class={`row rx-row ${selected === p.id ? "selected" : ""}`} role="button" tabIndex={0} onClick={() => setSelected(p.id)}
                onKeyDown={(e) => e.key === "Enter" && setSelected(p.id)} data-testid="rx-row" data-id={p.id}>
                <div class="row-top"><b>{p.items.map((i) => i.medication).filter(Boolean).join(", ") || t("rxEmpty")}</b></div>
                <div class="row-bottom muted">{p.prescriber_name} · {when(p.submitted_at ?? p.updated_at, lang())}</div>
              </div>
            ))}
          </div>
        )}
      </section>
      <section class="detail-pane">
        {current ? <PrescriptionDetail p={current} me={me} onDone={() => setSelected(null)} /> : <div class="empty big">{t("rxSelect")}</div>}
      </section>
    </div>
  );
}

function PrescriptionDetail({ p, me, onDone }: { p: Prescription; me: Me; onDone: () => void }) {
  const thread = useLoad(() => api.prescriptionThread(p.consultation_id), [p.consultation_id]);
  return (
    <div class="rx-detail" data-testid="rx-detail">
      <PrescriptionCard p={p} />
      <PrescriptionActions p={p} me={me} onDone={onDone} />
      <h3>{t("rxBehind")}</h3>
      <div class="rx-thread" data-testid="rx-thread">
        {thread.error && <div class="form-error">{thread.error}</div>}
        {(thread.data ?? []).filter((m) => m.kind === "text" || m.kind === "system").map((m) => (
          <div class={`rx-msg from-${m.author_kind}`}>
            <span class="muted">{m.author_kind === "client" ? t("patient") : m.author_kind === "operator" ? t("rxDoctor") : ""} · {when(m.created_at, lang())}</span>
            <div>{m.body}</div>
          </div>
        ))}
      </div>
    </div>
  );
}

/** The Refunds section (admins): requests waiting for a decision, and the decided ones. */
export function Refunds() {
  const v = useCell(versions);
  const [tab, setTab] = useState<RefundStatus>("requested");
  const list = useLoad(() => api.refunds(tab), [tab, v.clinical]);
  const [rejecting, setRejecting] = useState<Refund | null>(null);
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const decide = async (r: Refund, approve: boolean) => {
    setError(null);
    try {
      await api.decideRefund(r.id, approve, approve ? null : reason.trim());
      setRejecting(null);
      setReason("");
      list.reload();
    } catch (e) {
      setError(errorLine(e));
    }
  };
  const rows = list.data ?? [];
  return (
    <div class="refunds-page" data-testid="refunds">
      <div class="tabs" role="tablist">
        {(["requested", "approved", "rejected"] as RefundStatus[]).map((s) => (
          <button class={tab === s ? "current" : ""} onClick={() => setTab(s)} data-testid={`refunds-tab-${s}`}>{t(refundKey[s])}</button>
        ))}
      </div>
      {list.error && <div class="form-error">{list.error}</div>}
      {error && <div class="form-error">{error}</div>}
      {rows.length === 0 && list.data && <div class="empty" data-testid="refunds-empty">{t("refundsNone")}</div>}
      <table class="refund-table">
        <tbody>
          {rows.map((r) => (
            <tr data-testid="refund-row" data-id={r.id}>
              <td class="amount">{money(r.amount, r.currency, lang())}</td>
              <td>{r.reason}<div class="muted">{r.requested_by_name ?? t("refundAutomatic")} · {when(r.created_at, lang())}</div>
                {r.decision_note && <div class="muted">{r.decision_note}</div>}</td>
              <td class="actions">
                {r.status === "requested" && (
                  <>
                    <button onClick={() => setRejecting(r)} data-testid="refund-reject">{t("rxReject")}</button>
                    <button class="primary" onClick={() => decide(r, true)} data-testid="refund-approve">{t("rxApprove")}</button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rejecting && (
        <Dialog title={t("refundRejectTitle")} onClose={() => setRejecting(null)}>
          <textarea rows={3} placeholder={t("refundRejectWhy")} value={reason} onInput={(e) => setReason(e.currentTarget.value)} data-testid="refund-reject-reason" autoFocus />
          <div class="dialog-buttons">
            <button onClick={() => setRejecting(null)}>{t("cancel")}</button>
            <button class="danger" disabled={!reason.trim()} onClick={() => decide(rejecting, false)} data-testid="refund-reject-confirm">{t("rxReject")}</button>
          </div>
        </Dialog>
      )}
    </div>
  );
}
