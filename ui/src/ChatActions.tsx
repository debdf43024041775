// What the operator does with a consultation from the chat's header: take it, set its priority
// and tags, transfer it to a colleague, hand it back to the queue, close it with a summary. A
// supervisor (admin) also assigns a queued one to an operator and does all of this in a
// colleague's chat, past the receiver's capacity if they say so.
import { useState } from "preact/hooks";
import { api, type Consultation, type Me, type Op, type Priority } from "./api";
import { t } from "./i18n";
import { useLoad } from "./store";
import { Dialog } from "./Dialog";

export function ChatActions({ c, me, mine, act }: { c: Consultation; me: Me; mine: boolean; act: (op: Op) => void }) {
  const [dialog, setDialog] = useState<null | "close" | "transfer" | "assign">(null);
  const admin = me.role === "admin";
  const canAct = mine || (admin && c.status === "active");
  return (
    <div class="actions">
      {c.status === "new" && <button class="primary" onClick={() => act({ op: "take", consultation_id: c.id })} data-testid="take">{t("take")}</button>}
      {c.status === "new" && admin && <button onClick={() => setDialog("assign")} data-testid="assign">{t("assign")}</button>}
      {canAct && (
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
      {dialog === "transfer" && (
        <TransferDialog me={me} exclude={c.operator_id} title={t("transferTo")} button={t("transfer")} testid="transfer"
          onClose={() => setDialog(null)}
          onDone={(op, note, over) => { setDialog(null); act({ op: "transfer", consultation_id: c.id, operator_id: op, note: note || null, over_capacity: over }); }} />
      )}
      {dialog === "assign" && (
        <TransferDialog me={me} exclude={null} title={t("assignTo")} button={t("assign")} testid="assign"
          onClose={() => setDialog(null)}
          onDone={(op, note, over) => { setDialog(null); act({ op: "assign", consultation_id: c.id, operator_id: op, note: note || null, over_capacity: over }); }} />
      )}
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

function TransferDialog({ me, exclude, title, button, testid, onClose, onDone }: {
  me: Me; exclude: string | null; title: string; button: string; testid: string;
  onClose: () => void; onDone: (operator: string, note: string, overCapacity: boolean) => void;
}) {
  const ops = useLoad(() => api.operators(), []);
  const [to, setTo] = useState("");
  const [note, setNote] = useState("");
  const [over, setOver] = useState(false);
  const admin = me.role === "admin";
  const choices = (ops.data ?? []).filter((o) => o.operator.id !== me.id && o.operator.id !== exclude && !o.operator.disabled);
  const chosen = choices.find((o) => o.operator.id === to);
  const full = chosen ? chosen.load >= chosen.operator.capacity : false;
  return (
    <Dialog title={title} onClose={onClose}>
      <select value={to} onChange={(e) => setTo(e.currentTarget.value)} data-testid={`${testid}-to`}>
        <option value="">—</option>
        {choices.map((o) => <option value={o.operator.id}>{o.operator.name} · {t(o.operator.status)} · {o.load}/{o.operator.capacity}</option>)}
      </select>
      <textarea rows={3} value={note} placeholder={t("transferNote")} onInput={(e) => setNote(e.currentTarget.value)} />
      {admin && full && (
        <label class="check"><input type="checkbox" checked={over} onChange={(e) => setOver(e.currentTarget.checked)} data-testid="over-capacity" /> {t("overCapacity")}</label>
      )}
      <div class="dialog-buttons">
        <button onClick={onClose}>{t("cancel")}</button>
        <button class="primary" disabled={!to} onClick={() => onDone(to, note, admin && full && over)} data-testid={`confirm-${testid}`}>{button}</button>
      </div>
    </Dialog>
  );
}
