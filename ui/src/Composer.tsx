// The chat's composer: a message to the client or an internal note, quick replies on `/`,
// files attached or dropped on the window; everything goes through the outbox.
import { useEffect, useRef, useState } from "preact/hooks";
import { errorLine } from "./errors";
import { api, newId, onFileDrop } from "./api";
import { t } from "./i18n";
import { act as queue } from "./store";
import { matchQuickReplies } from "./format";
import { fillPlaceholders, QuickRepliesDialog, useQuickReplies } from "./QuickReplies";
import type { Me } from "./api";
import { Icon } from "./icons";

export function Composer({ consultationId, canReply, clientName, me }: { consultationId: string; canReply: boolean; clientName: string; me: Me }) {
  const [text, setText] = useState("");
  const [note, setNote] = useState(!canReply);
  const [error, setError] = useState<string | null>(null);
  const [pick, setPick] = useState(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const [managing, setManaging] = useState(false);
  const replies = useQuickReplies().map((r) => ({ key: r.shortcut, text: fillPlaceholders(r.text, { client_name: clientName, operator_name: me.name }) }));
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
            <button class={i === pick ? "on" : ""} onClick={() => setText(r.text)} data-testid="quick-reply"><b>/{r.key}</b> {r.text}</button>
          ))}
          <button class="link quick-manage-link" onClick={() => setManaging(true)} data-testid="manage-replies">{t("manageReplies")}</button>
        </div>
      )}
      {managing && <QuickRepliesDialog me={me} onClose={() => setManaging(false)} />}
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

