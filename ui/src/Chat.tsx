// The chat pane of a consultation: the header (the client, the consultation's state, the
// actions), the client's whole thread, and the composer.
import { useEffect, useState } from "preact/hooks";
import { errorLine } from "./errors";
import { api, type Me, type Op } from "./api";
import { lang, t } from "./i18n";
import { money } from "./format";
import { go } from "./nav";
import { act as queue, useCell, useLoad, versions } from "./store";
import { CallBar } from "./CallBar";
import { ClinicalStrip } from "./Prescriptions";
import { ChatActions } from "./ChatActions";
import { ChatThread } from "./ChatThread";
import { Composer } from "./Composer";
import { Icon } from "./icons";
import { PatientPanel, usePatientPanel } from "./PatientPanel";

export function Chat({ id, me, focus }: { id: string; me: Me; focus: number | null }) {
  const v = useCell(versions);
  const row = useLoad(() => api.consultation(id), [id, v.consultations]);
  const c = row.data?.consultation;
  const [error, setError] = useState<string | null>(null);
  const [panelOpen, togglePanel] = usePatientPanel();
  const mine = c?.status === "active" && c.operator_id === me.id;
  // A supervisor may reply, transfer, hand back and close in a colleague's chat.
  const supervising = !mine && me.role === "admin" && c?.status === "active";

  useEffect(() => {
    api.setInFront(id);
    return () => void api.setInFront(null);
  }, [id]);

  const act = async (op: Op) => {
    setError(null);
    try {
      await queue(op);
    } catch (e) {
      setError(errorLine(e));
    }
  };

  if (!c || !row.data) return <div class="empty big">{row.error ?? t("loading")}</div>;
  return (
    <div class="chat" data-testid="chat">
      <header class="chat-head">
        <div class="who">
          <button class="link name" onClick={() => go({ section: "clients", client: c.client_id })} data-testid="chat-client">
            {row.data.client_vip && <span class="vip">VIP</span>}
            {row.data.client_name}
          </button>
          <div class="meta">
            <span class={`status status-${c.status}`} data-testid="chat-status">{c.status === "active" ? row.data.operator_name ?? t("active") : c.status === "scheduled" ? t("st_scheduled") : t(c.status === "new" ? "new" : "closed")}</span>
            <span>{t(c.kind)}</span>
            {c.price > 0 && <span class="price" data-testid="chat-price">{money(c.price, c.currency, lang())}</span>}
            {c.tags.map((tag) => <span class="tag">{tag}</span>)}
          </div>
        </div>
        <ChatActions c={c} me={me} mine={mine} act={act} />
        <button class={`icon-button pp-toggle ${panelOpen ? "on" : ""}`} onClick={togglePanel} title={t("patientCard")} aria-label={t("patientCard")} aria-pressed={panelOpen} data-testid="toggle-patient"><Icon name="card" /></button>
      </header>
      <CallBar c={c} me={me} />
      <ClinicalStrip c={c} me={me} />
      {c.red_flag && (
        <div class="red-flag-banner" role="alert" data-testid="red-flag">
          <span class="flag-mark">⚑</span> {t("redFlag")}: «{c.red_flag_words ?? c.red_flag}»
        </div>
      )}
      {supervising && <div class="supervising-note" data-testid="supervising">{t("actingFor")}</div>}
      {error && <div class="form-error">{error}</div>}
      <div class="chat-body">
        <div class="chat-main">
          <ChatThread c={c} me={me} focus={focus} mine={mine} />
          {c.status !== "closed" && <Composer consultationId={c.id} canReply={mine || supervising} clientName={row.data?.client_name ?? ""} me={me} />}
        </div>
        {panelOpen && <PatientPanel c={c} />}
      </div>
    </div>
  );
}
