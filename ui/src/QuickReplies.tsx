// Quick replies kept on the server: the team's (admins edit them) and each operator's own. The
// composer's `/` picker shows those in the interface's language (and those for every language)
// with {client_name} and {operator_name} filled in; this dialog edits them (online only).
import { useState } from "preact/hooks";
import { api, type Me, type QuickReply, type RuleLanguage } from "./api";
import { Dialog } from "./Dialog";
import { lang, t } from "./i18n";
import { useAction, useCell, useLoad, versions } from "./store";
export { fillPlaceholders } from "./format";

/** The replies an operator is offered now: their language's and everyone's. */
export function useQuickReplies(): QuickReply[] {
  const v = useCell(versions);
  const all = useLoad(() => api.quickReplies(), [v.quickReplies]);
  return (all.data ?? []).filter((r) => r.language === null || r.language === lang());
}

const languages: (RuleLanguage | null)[] = [null, "ru", "zh", "en"];
const languageName = (l: RuleLanguage | null) => (l === null ? t("anyLanguage") : l === "ru" ? "Русский" : l === "zh" ? "中文" : "English");

export function QuickRepliesDialog({ me, onClose }: { me: Me; onClose: () => void }) {
  const [list, setList] = useState<QuickReply[] | null>(null);
  const loaded = useLoad(() => api.quickReplies(), []);
  const replies = list ?? loaded.data ?? [];
  const [editing, setEditing] = useState<QuickReply | "new" | null>(null);
  const { error, run } = useAction();
  const admin = me.role === "admin";
  const mayEdit = (r: QuickReply) => r.owner_id === me.id || (r.owner_id === null && admin);
  const changed = (next: QuickReply[]) => {
    setList(next);
    versions.update((v) => ({ ...v, quickReplies: v.quickReplies + 1 }));
  };
  const groups: { key: "teamReplies" | "myReplies"; items: QuickReply[] }[] = [
    { key: "myReplies", items: replies.filter((r) => r.owner_id !== null) },
    { key: "teamReplies", items: replies.filter((r) => r.owner_id === null) },
  ];
  return (
    <Dialog title={t("quickReplies")} onClose={onClose}>
      <p class="field-hint">{t("quickRepliesHint")}</p>
      {error && <div class="form-error">{error}</div>}
      {editing ? (
        <ReplyForm reply={editing === "new" ? null : editing} admin={admin} onDone={(next) => { if (next) changed(next); setEditing(null); }} />
      ) : (
        <>
          <div class="quick-manage" data-testid="quick-reply-list">
            {groups.map((g) => (
              <section>
                <h3>{t(g.key)}</h3>
                {g.items.length === 0 && <div class="empty small">{t("noQuickRepliesYet")}</div>}
                {g.items.map((r) => (
                  <div class="quick-item" data-testid="quick-reply-item">
                    <b>/{r.shortcut}</b>
                    <span class="quick-lang">{languageName(r.language)}</span>
                    <span class="quick-text">{r.text}</span>
                    {mayEdit(r) && (
                      <span class="quick-buttons">
                        <button onClick={() => setEditing(r)}>{t("edit")}</button>
                        <button class="danger" onClick={() => run(async () => changed(await api.deleteQuickReply(r.id)))}>{t("deleteRule")}</button>
                      </span>
                    )}
                  </div>
                ))}
              </section>
            ))}
          </div>
          <div class="dialog-buttons">
            <button onClick={onClose}>{t("closeDialog")}</button>
            <button class="primary" onClick={() => setEditing("new")} data-testid="new-quick-reply">+ {t("newQuickReply")}</button>
          </div>
        </>
      )}
    </Dialog>
  );
}

function ReplyForm({ reply, admin, onDone }: { reply: QuickReply | null; admin: boolean; onDone: (next: QuickReply[] | null) => void }) {
  const [shortcut, setShortcut] = useState(reply?.shortcut ?? "");
  const [text, setText] = useState(reply?.text ?? "");
  const [language, setLanguage] = useState<RuleLanguage | null>(reply ? reply.language : (lang() as RuleLanguage));
  const [personal, setPersonal] = useState(reply ? reply.owner_id !== null : true);
  const { busy, error, run } = useAction();
  const save = () => run(async () => onDone(await api.saveQuickReply(reply?.id ?? null, { shortcut, text, language, personal })));
  return (
    <div class="form-grid">
      <label>{t("shortcut")}<input value={shortcut} onInput={(e) => setShortcut(e.currentTarget.value)} data-testid="quick-reply-shortcut" autoFocus /></label>
      <label>{t("language")}
        <select value={language ?? ""} onChange={(e) => setLanguage((e.currentTarget.value || null) as RuleLanguage | null)}>
          {languages.map((l) => <option value={l ?? ""}>{languageName(l)}</option>)}
        </select>
      </label>
      <label class="wide">{t("replyText")}<textarea rows={4} value={text} onInput={(e) => setText(e.currentTarget.value)} data-testid="quick-reply-text" /></label>
      <p class="wide field-hint">{t("placeholdersHint")}</p>
      {admin && !reply && (
        <label class="check wide"><input type="checkbox" checked={!personal} onChange={(e) => setPersonal(!e.currentTarget.checked)} data-testid="quick-reply-team" /> {t("forTheTeam")}</label>
      )}
      {error && <div class="wide form-error" data-testid="quick-reply-error">{error}</div>}
      <div class="wide dialog-buttons">
        <button onClick={() => onDone(null)}>{t("cancel")}</button>
        <button class="primary" disabled={busy || !shortcut.trim() || !text.trim()} onClick={save} data-testid="quick-reply-save">{t("save")}</button>
      </div>
    </div>
  );
}
