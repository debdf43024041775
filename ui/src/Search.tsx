import { useEffect, useRef, useState } from "preact/hooks";
import { api, type SearchHit } from "./api";
import { lang, t, type Key } from "./i18n";
import { go } from "./nav";
import { Dialog } from "./Dialog";

/** The global search (Ctrl/Cmd+K) over everything cached: messages, clients, consultations. */
export function SearchPalette({ onClose }: { onClose: () => void }) {
  const [q, setQ] = useState("");
  const [hits, setHits] = useState<SearchHit[]>([]);
  const [pick, setPick] = useState(0);
  const [backlog, setBacklog] = useState(0);
  const asked = useRef("");
  // While a first download is being indexed, say so (and how much is left) instead of letting
  // missing results look like "nothing there".
  useEffect(() => {
    let live = true;
    let timer = 0;
    const poll = () =>
      api.searchBacklog().then((n) => {
        if (!live) return;
        setBacklog(n);
        if (n > 0) timer = window.setTimeout(poll, 1000);
      });
    poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, []);
  useEffect(() => {
    let live = true;
    if (q.trim().length < 2 && !/[\u3400-\u9fff]/.test(q)) {
      setHits([]);
      return;
    }
    api.search(q).then((h) => {
      if (!live) return;
      setHits(h);
      // A new query starts at the top; the same one asked again keeps the operator's place.
      if (asked.current !== q) setPick(0);
      asked.current = q;
    });
    return () => {
      live = false;
    };
    // Asked again as the index grows, so what was just indexed shows up.
  }, [q, backlog]);
  const open = (h: SearchHit) => {
    onClose();
    if (h.kind === "client" && h.client_id) go({ section: "clients", client: h.client_id });
    else if (h.consultation_id) go({ section: "consultations", consultation: h.consultation_id, message: h.seq === null ? null : Number(h.seq), find: q.trim() || null });
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown") (e.preventDefault(), setPick(Math.min(pick + 1, hits.length - 1)));
    else if (e.key === "ArrowUp") (e.preventDefault(), setPick(Math.max(pick - 1, 0)));
    else if (e.key === "Enter" && hits[pick]) open(hits[pick]);
  };
  return (
    <Dialog title={t("search")} onClose={onClose}>
      <input class="search-input" autoFocus placeholder={t("searchHint")} value={q} onInput={(e) => setQ(e.currentTarget.value)} onKeyDown={onKey} data-testid="search-input" />
      {backlog > 0 && (
        <div class="notice small" data-testid="search-indexing">
          {t("indexing").replace("{n}", backlog.toLocaleString(lang()))}
        </div>
      )}
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
