import { useEffect, useState } from "preact/hooks";
import { api, type Me, type Presence } from "./api";
import { plural, t, type Key } from "./i18n";
import { go, nav, type Section } from "./nav";
import { act, online, useCell, useLoad, versions } from "./store";
import { Consultations } from "./Consultations";
import { Callbacks } from "./Callbacks";
import { Visits } from "./Visits";
import { Clients } from "./Clients";
import { Operators } from "./Operators";
import { Supervision } from "./Supervision";
import { Prescriptions, Refunds } from "./Prescriptions";
import { SearchPalette } from "./Search";
import { SettingsDialog } from "./Settings";
import { OutboxDialog } from "./OutboxDialog";
import { initials } from "./format";
import { Icon } from "./icons";

const sections: { id: Section; key: Key; icon: string }[] = [
  { id: "consultations", key: "consultations", icon: "chat" },
  { id: "callbacks", key: "callbacks", icon: "phone" },
  { id: "visits", key: "visits", icon: "calendar" },
  { id: "clients", key: "clients", icon: "card" },
  { id: "operators", key: "operators", icon: "people" },
  { id: "prescriptions", key: "prescriptions", icon: "rx" },
  { id: "refunds", key: "refunds", icon: "coin" },
  { id: "reports", key: "reports", icon: "chart" },
  { id: "supervision", key: "supervision", icon: "shield" },
];

export function Desk({ me, onLogout, onLanguage }: { me: Me; onLogout: () => void; onLanguage: (l: string) => void }) {
  const n = useCell(nav);
  const v = useCell(versions);
  const isOnline = useCell(online);
  const [presence, setPresence] = useState<Presence>(me.presence);
  const [searching, setSearching] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [outboxOpen, setOutboxOpen] = useState(false);
  const [keyLostSeen, setKeyLostSeen] = useState(false);
  const counts = useLoad(() => api.counts(), [v.consultations, v.callbacks, v.operators, v.outbox, v.clients, isOnline]);
  const c = counts.data;
  // Desk rules and refunds are an admin's; a pharmacist reviews prescriptions and nothing else.
  const shown = me.role === "pharmacist"
    ? sections.filter((s) => s.id === "prescriptions")
    : sections.filter((s) => (s.id !== "supervision" && s.id !== "refunds") || me.role === "admin");

  // A pharmacist's desk is the review queue.
  useEffect(() => {
    if (me.role === "pharmacist" && nav.get().section !== "prescriptions") go({ section: "prescriptions" });
  }, [me.role]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setSearching(true);
      } else if (mod && e.key >= "1" && e.key <= String(shown.length)) {
        e.preventDefault();
        go({ section: shown[Number(e.key) - 1].id });
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const badge = (s: Section) => {
    if (!c) return 0;
    if (s === "consultations") return c.queue + c.unread;
    if (s === "callbacks") return c.callbacks_due;
    if (s === "operators") return c.operators_online;
    return 0;
  };

  const setStatus = (p: Presence) => {
    setPresence(p);
    act({ op: "set_status", status: p });
  };

  return (
    <div class="desk">
      <nav class="sidebar">
        <div class="brand small">
          <img src="/icon.png" alt="" width={28} height={28} />
          <span>{t("appName")}</span>
        </div>
        <button class="search-button" onClick={() => setSearching(true)} data-testid="open-search">
          <span><Icon name="search" size={15} /> {t("search")}</span>
          <kbd>{t("searchKeys")}</kbd>
        </button>
        {shown.map((s, i) => (
          <button
            class={`section-link ${n.section === s.id ? "current" : ""}`}
            onClick={() => go({ section: s.id })}
            data-testid={`section-${s.id}`}
            title={`Ctrl+${i + 1}`}
          >
            <Icon name={s.icon} />
            <span class="label">{t(s.key)}</span>
            {badge(s.id) > 0 && <span class={`badge ${s.id === "operators" ? "quiet" : ""}`} data-testid={`badge-${s.id}`}>{badge(s.id)}</span>}
          </button>
        ))}
        <div class="sidebar-foot">
          {c && (c.outbox_pending > 0 || c.outbox_failed > 0) && (
            <button class={`outbox-note ${c.outbox_failed ? "bad" : ""}`} data-testid="outbox-note" onClick={() => setOutboxOpen(true)}>
              {c.outbox_pending > 0 && <span><Icon name="clock" size={14} /> {plural("toSend", c.outbox_pending)}</span>}
              {c.outbox_failed > 0 && <span><Icon name="warn" size={14} /> {c.outbox_failed} {t("refused")}</span>}
            </button>
          )}
          <div class="me">
            {/* Without a connection the server (and so every colleague) sees this desk offline,
                whatever was chosen: the dot and a line say so; the choice is kept for the return. */}
            <span class={`avatar presence-${isOnline ? presence : "offline"}`} data-testid="my-presence">{initials(me.name)}</span>
            <div class="me-text">
              <div class="me-name" title={me.name}>{me.name}</div>
              {/* A pharmacist takes no consultations: no presence to choose. */}
              {me.role !== "pharmacist" && (
                <select value={presence} onChange={(e) => setStatus(e.currentTarget.value as Presence)} data-testid="my-status">
                  {(["online", "away", "busy", "offline"] as Presence[]).map((p) => (
                    <option value={p}>{t(p)}</option>
                  ))}
                </select>
              )}
              {!isOnline && <div class="me-link" data-testid="my-link">{t("noLinkStatus")}</div>}
            </div>
            <button class="icon-button" onClick={() => setSettingsOpen(true)} title={t("settings")} data-testid="open-settings"><Icon name="gear" /></button>
          </div>
        </div>
      </nav>
      <main class="main">
        {!isOnline && (
          <div class="offline-banner" role="status" data-testid="offline-banner">
            {t("offlineBanner")}
          </div>
        )}
        {me.cache === "key_lost" && !keyLostSeen && (
          <div class="offline-banner notice-banner" role="alert" data-testid="key-lost-banner">
            <span>{t("cacheKeyLost")}</span>
            <button class="link" onClick={() => setKeyLostSeen(true)}>{t("dismissNotice")}</button>
          </div>
        )}
        {n.section === "consultations" && <Consultations me={me} counts={c} />}
        {n.section === "callbacks" && <Callbacks me={me} />}
        {n.section === "visits" && <Visits me={me} />}
        {n.section === "clients" && <Clients me={me} />}
        {n.section === "operators" && <Operators me={me} />}
        {n.section === "reports" && <LazyReports me={me} />}
        {n.section === "supervision" && me.role === "admin" && <Supervision />}
        {n.section === "prescriptions" && <Prescriptions me={me} />}
        {n.section === "refunds" && me.role === "admin" && <Refunds />}
      </main>
      {searching && <SearchPalette onClose={() => setSearching(false)} />}
      {outboxOpen && <OutboxDialog onClose={() => setOutboxOpen(false)} />}
      {settingsOpen && <SettingsDialog me={me} onClose={() => setSettingsOpen(false)} onLanguage={onLanguage} onLogout={onLogout} />}
    </div>
  );
}

/** The reports (and their charting library) load when first opened, not at start. */
function LazyReports({ me }: { me: Me }) {
  const [m, setM] = useState<typeof import("./Reports") | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    import("./Reports").then(setM, (e) => setError(String(e)));
  }, []);
  if (error) return <div class="form-error">{error}</div>;
  return m ? <m.Reports me={me} /> : null;
}
