import { useEffect, useState } from "preact/hooks";
import { api, errorOf, subscribe, type Boot, type DeskEvent, type Me, type UiError } from "./api";
import { lang, setLang, t } from "./i18n";
import { Login } from "./Login";
import { Desk } from "./Desk";
import { go } from "./nav";
import { online, pref, versions } from "./store";
import { applyTheme } from "./theme";

let sessionEnded: (error: UiError) => void = () => {};

function onDeskEvent(e: DeskEvent) {
  switch (e.type) {
    case "connection":
      online.set(e.online);
      // Back online: the replies may have changed meanwhile.
      if (e.online) versions.update((v) => ({ ...v, quickReplies: v.quickReplies + 1 }));
      break;
    case "changed":
      versions.update((v) => {
        const threads = { ...v.threads };
        for (const c of e.threads) threads[c] = (threads[c] ?? 0) + 1;
        return {
          ...v,
          consultations: v.consultations + (e.consultations ? 1 : 0),
          callbacks: v.callbacks + (e.callbacks ? 1 : 0),
          clients: v.clients + (e.clients ? 1 : 0),
          operators: v.operators + (e.operators ? 1 : 0),
          quickReplies: v.quickReplies + (e.quick_replies ? 1 : 0),
          visits: v.visits + (e.visits ? 1 : 0),
          calls: v.calls + (e.calls.length ? 1 : 0),
          clinical: v.clinical + (e.clinical ? 1 : 0),
          threads,
        };
      });
      break;
    case "reloaded":
      // Anything may have changed (caught up after an outage, or re-synced): threads too.
      versions.update((v) => ({
        ...v,
        everything: v.everything + 1,
        consultations: v.consultations + 1,
        callbacks: v.callbacks + 1,
        clients: v.clients + 1,
        operators: v.operators + 1,
        quickReplies: v.quickReplies + 1,
        visits: v.visits + 1,
        calls: v.calls + 1,
        clinical: v.clinical + 1,
      }));
      break;
    case "outbox":
      // A refused creation takes back the client or request the desk showed.
      versions.update((v) => ({ ...v, outbox: v.outbox + 1, consultations: v.consultations + 1, callbacks: v.callbacks + 1, clients: v.clients + 1 }));
      break;
    case "session_ended":
      // The desk stopped and forgot the session: the login form, saying why.
      sessionEnded(e.error);
      break;
    case "notify":
      break;
    case "open":
      // A notification was clicked: its consultation or callback request, in front.
      if (e.target.type === "consultation") go({ section: "consultations", consultation: e.target.id });
      else if (e.target.type === "webhook") go({ section: "supervision" });
      else if (e.target.type === "appointment") go({ section: "visits" });
      else if (e.target.type === "prescription") go({ section: "prescriptions" });
      else if (e.target.type === "refund") go({ section: "refunds" });
      else go({ section: "callbacks", callbackView: "open", callback: e.target.id });
      break;
  }
}

export function App() {
  const [boot, setBoot] = useState<Boot | null>(null);
  const [me, setMe] = useState<Me | null>(null);
  const [, setLangTick] = useState(0);

  sessionEnded = (error) => {
    setBoot((b) => (b ? { ...b, me: null, error, server: me?.server ?? b.server, login: me?.login ?? b.login } : b));
    setMe(null);
  };

  useEffect(() => {
    applyTheme(pref("theme", "auto"));
    subscribe(onDeskEvent);
    api.boot().then(
      (b) => {
        setLang(b.lang_fixed ? b.lang : pref("lang", b.lang));
        api.setLanguage(lang());
        setBoot(b);
        setMe(b.me);
      },
      (e) => setBoot({ me: null, lang: "en", lang_fixed: false, server: "", login: "", error: errorOf(e) }),
    );
  }, []);

  if (!boot) return <div class="splash">{t("loading")}</div>;
  if (!me) return <Login boot={boot} onLogin={setMe} />;
  return (
    <Desk
      me={me}
      onLogout={() => setMe(null)}
      onLanguage={(l) => {
        setLang(l);
        api.setLanguage(l);
        setLangTick((n) => n + 1);
      }}
    />
  );
}
