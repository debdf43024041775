import { useState } from "preact/hooks";
import { api, type Kind, type Me, type Settings } from "./api";
import { QuickRepliesDialog } from "./QuickReplies";
import { lang, t, type Key } from "./i18n";
import { pref, setPref, useLoad } from "./store";
import { Dialog } from "./Dialog";
import { applyTheme } from "./theme";
import { Sessions } from "./Sessions";

const kinds: Kind[] = ["new_queue_item", "new_callback", "new_message", "transferred_to_me", "callback_due_soon", "callback_overdue", "long_wait", "sla_breach", "assigned_to_me", "webhook_paused", "visit_soon", "patient_waiting", "visit_late", "prescription_to_review", "prescription_approved", "prescription_rejected", "refund_requested"];

export function SettingsDialog({ me, onClose, onLanguage, onLogout }: { me: Me; onClose: () => void; onLanguage: (l: string) => void; onLogout: () => void }) {
  const [replies, setReplies] = useState(false);
  const s = useLoad(() => api.settings(), []);
  const [theme, setTheme] = useState(pref("theme", "auto"));
  const [wipe, setWipe] = useState(false);
  const save = (next: Settings) => api.setSettings(next).then(s.reload);
  return (
    <Dialog title={t("settings")} onClose={onClose}>
      <div class="settings">
        <label>
          {t("language")}
          <select value={lang()} onChange={(e) => { setPref("lang", e.currentTarget.value); onLanguage(e.currentTarget.value); }} data-testid="language">
            <option value="ru">Русский</option>
            <option value="zh">中文</option>
            <option value="en">English</option>
          </select>
        </label>
        <label>
          {t("theme")}
          <select value={theme} onChange={(e) => { const v = e.currentTarget.value; setTheme(v); setPref("theme", v); applyTheme(v); }} data-testid="theme">
            <option value="auto">{t("themeAuto")}</option>
            <option value="light">{t("themeLight")}</option>
            <option value="dark">{t("themeDark")}</option>
          </select>
        </label>
        <label>
          {t("quickReplies")}
          <button onClick={() => setReplies(true)} data-testid="settings-quick-replies">{t("manageReplies")}</button>
        </label>
        {replies && <QuickRepliesDialog me={me} onClose={() => setReplies(false)} />}
        {s.data && (
          <fieldset>
            <legend>{t("notifications")}</legend>
            {kinds.map((k) => (
              <label class="check">
                <input type="checkbox" checked={s.data!.enabled[k] ?? true} onChange={(e) => save({ ...s.data!, enabled: { ...s.data!.enabled, [k]: e.currentTarget.checked } })} />
                {t(`kind_${k}` as Key)}
              </label>
            ))}
            <label class="check"><input type="checkbox" checked disabled /> {t("kind_red_flag")}</label>
            <label class="check"><input type="checkbox" checked={s.data.sound} onChange={(e) => save({ ...s.data!, sound: e.currentTarget.checked })} /> {t("sound")}</label>
            <label class="check">
              <input type="checkbox" checked={s.data.repeat_until_taken !== null} onChange={(e) => save({ ...s.data!, repeat_until_taken: e.currentTarget.checked ? { secs: 120, nanos: 0 } : null })} />
              {t("repeatUntilTaken")}
            </label>
          </fieldset>
        )}
        <Sessions userId={null} />
        <fieldset>
          <legend>{t("logout")}</legend>
          <label class="check"><input type="checkbox" checked={wipe} onChange={(e) => setWipe(e.currentTarget.checked)} /> {t("wipeCache")}</label>
          <button class="danger" onClick={() => api.logout(wipe).then(() => { onClose(); onLogout(); })} data-testid="logout">{t("logout")}</button>
        </fieldset>
      </div>
      <div class="dialog-buttons"><button onClick={onClose}>OK</button></div>
    </Dialog>
  );
}
