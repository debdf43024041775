// The sessions (logins on devices) of one account: an admin's view of an operator's, or an
// operator's own. Ending one closes its live connection within seconds; the server audits it.
// Online only: the list comes from the server.
import { useState } from "preact/hooks";
import { api } from "./api";
import { errorLine } from "./errors";
import { when } from "./format";
import { lang, t } from "./i18n";
import { useLoad } from "./store";

export function Sessions({ userId }: { userId: string | null }) {
  const list = useLoad(() => api.sessions(userId), [userId]);
  const [error, setError] = useState<string | null>(null);
  const revoke = async (id: string) => {
    setError(null);
    try {
      await api.revokeSession(id);
    } catch (e) {
      setError(errorLine(e));
    }
    list.reload();
  };
  return (
    <fieldset class="sessions" data-testid="sessions">
      <legend>{t("sessions")}</legend>
      {list.error && <div class="form-error">{list.error}</div>}
      {list.data && list.data.length === 0 && <p class="muted" data-testid="no-sessions">{t("noSessions")}</p>}
      {list.data && list.data.length > 0 && (
        <ul>
          {list.data.map((s) => (
            <li data-testid="session-row" data-current={s.current ? "1" : "0"}>
              <span>
                {t("signedIn")} {when(s.created_at, lang())}
                <span class="muted"> · {t("sessionExpires")} {when(s.expires_at, lang())}</span>
              </span>
              {s.current
                ? <span class="tag" data-testid="this-device">{t("thisDevice")}</span>
                : <button class="danger" onClick={() => revoke(s.id)} data-testid="revoke-session">{t("endSession")}</button>}
            </li>
          ))}
        </ul>
      )}
      {error && <div class="form-error">{error}</div>}
    </fieldset>
  );
}
