import { useEffect, useState } from "preact/hooks";
import { api, type SearchHit } from "./api";
import { t, type Key } from "./i18n";
import { go } from "./nav";
import { Dialog } from "./Dialog";

/** The global search (Ctrl/Cmd+K) over everything cached: messages, clients, consultations. */
export function SearchPalette({ onClose }: { onClose: () => void }) {
  const [q, setQ] = useState("");
  const [hits, setHits] = useState<SearchHit[]>([]);
  const [pick, setPick] = useState(0);
  useEffect(() => {
    let live = true;
    if (q.trim().length < 2 && !/[\u3400-\u9fff]/.test(q)) {
      setHits([]);
      return;
    }
    api.search(q).then((h) => live && (setHits(h), setPick(0)));
    return () => {
      live = false;
    };
  }, [q]);
  const open = (h: SearchHit) => {
    onClose();
    if (h.kind === "client" && h.client_id) go({ section: "clients", client: h.client_id });
    else if (h.consultation_id) go({ section: "consultations", consultation: h.consultation_id });
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown") (e.preventDefault(), setPick(Math.min(pick + 1, hits.length - 1)));
    else if (e.key === "ArrowUp") (e.preventDefault(), setPick(Math.max(pick - 1, 0)));
    else if (e.key === "Enter" && hits[pick]) open(hits[pick]);
  };
  return (
    <Dialog title={t("search")} onClose={onClose}>
      <input class="search-input" autoFocus placeholder={t("searchHint")} value={q} onInput={(e) => setQ(e.currentTarget.value)} onKeyDown={onKey} data-testid="search-input" />
      <div class="hits" data-testid="search-hits">
        {q && hits.length === 0 && <div class="empty small">{q.trim().length < 2 ? t("typeToSearch") : t("noResults")}</div>}
        {hits.map((h, i) => (
          <button class={`hit ${i === pick ? "on" : ""}`} onClick={() => open(h)} data-testid="search-hit" data-kind={h.kind}>
            <span class={`kind kind-${h.kind}`}>{t((h.kind === "message" ? "chat" : h.kind === "client" ? "client" : "episode") as Key)}</span>
            <span class="hit-title">{h.title}</span>
            <span class="hit-text">{h.segments.map((s) => (s.mark ? <mark>{s.text}</mark> : s.text))}</span>
          </button>
        ))}
      </div>
    </Dialog>
  );
}
