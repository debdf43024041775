// What the operator does with a consultation from the chat's header: take it, set its priority
// and tags, transfer it to a colleague, hand it back to the queue, close it with a summary.
import { useState } from "preact/hooks";
import { api, type Consultation, type Me, type Op, type Priority } from "./api";
import { t } from "./i18n";
import { useLoad } from "./store";
import { Dialog } from "./Dialog";

export function ChatActions({ c, me, mine, act }: { c: Consultation; me: Me; mine: boolean; act: (op: Op) => void }) {
  const [dialog, setDialog] = useState<null | "close" | "transfer">(null);
  return (
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
      {dialog === "close" && <CloseDialog onClose={() => setDialog(null)} onDone={(summary) => { setDialog(null); act({ op: "close", consultation_id: c.id, summary: summary || null }); }} />}
      {dialog === "transfer" && <TransferDialog me={me} onClose={() => setDialog(null)} onDone={(op, note) => { setDialog(null); act({ op: "transfer", consultation_id: c.id, operator_id: op, note: note || null }); }} />}
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

