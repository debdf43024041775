// A list read page by page as it scrolls (the consultation archive may hold 100,000): the
// first page when the query changes, the next when the view nears the end of what is loaded,
// and, when the data changes underneath, the same number of rows again from the start.
import { useEffect, useRef, useState } from "preact/hooks";
import { errorLine } from "./errors";

export type Page<T, C> = { rows: T[]; total: number; next: C | null };

/** The first page: enough to fill the tallest window, quick to draw. */
const PAGE = 200;
/** The pages after it: scrolling far into an archive takes a hundred reads, not five hundred. */
const NEXT_PAGE = 1000;
/** The most rows one reload asks for at once (the desk's page limit). */
const RELOAD_STEP = 1000;

export function usePagedList<T, C>(
  load: (after: C | null, limit: number) => Promise<Page<T, C>>,
  query: unknown[],
  version: unknown,
): { rows: T[] | undefined; total: number; error: string | null; more: () => void } {
  const [state, setState] = useState<{ rows: T[] | undefined; total: number; next: C | null }>({ rows: undefined, total: 0, next: null });
  const [error, setError] = useState<string | null>(null);
  const busy = useRef(false);
  const generation = useRef(0);
  const loaded = useRef(0);
  const queryKey = JSON.stringify(query);
  const lastQuery = useRef(queryKey);

  useEffect(() => {
    const sameQuery = lastQuery.current === queryKey;
    lastQuery.current = queryKey;
    const want = sameQuery ? Math.max(PAGE, loaded.current) : PAGE;
    const gen = ++generation.current;
    busy.current = true;
    (async () => {
      let rows: T[] = [];
      let page = await load(null, Math.min(want, RELOAD_STEP));
      rows = rows.concat(page.rows);
      while (page.next !== null && rows.length < want) {
        page = await load(page.next, Math.min(want - rows.length, RELOAD_STEP));
        rows = rows.concat(page.rows);
      }
      return { rows, total: page.total, next: page.next };
    })().then(
      (s) => {
        if (gen !== generation.current) return;
        loaded.current = s.rows.length;
        busy.current = false;
        setState(s);
        setError(null);
      },
      (e) => {
        if (gen !== generation.current) return;
        busy.current = false;
        setError(errorLine(e));
      },
    );
  }, [queryKey, version]);

  const more = () => {
    if (busy.current || state.next === null || state.rows === undefined) return;
    busy.current = true;
    const gen = generation.current;
    load(state.next, NEXT_PAGE).then(
      (page) => {
        if (gen !== generation.current) return;
        busy.current = false;
        setState((s) => {
          const rows = (s.rows ?? []).concat(page.rows);
          loaded.current = rows.length;
          return { rows, total: page.total, next: page.next };
        });
      },
      (e) => {
        if (gen !== generation.current) return;
        busy.current = false;
        setError(errorLine(e));
      },
    );
  };
  return { rows: state.rows, total: state.total, error, more };
}
