// Small shared state of the window: which things changed (views re-read the cache when their
// counter moves), connection, who is logged in; and preferences kept in localStorage.
import { useEffect, useState } from "preact/hooks";
import { api, type Op } from "./api";
import { errorLine } from "./errors";

type Listener = () => void;

/** A value with subscribers: the minimum a few components need to share. */
export class Cell<T> {
  private listeners = new Set<Listener>();
  constructor(private value: T) {}
  get(): T {
    return this.value;
  }
  set(v: T) {
    this.value = v;
    this.listeners.forEach((l) => l());
  }
  update(f: (v: T) => T) {
    this.set(f(this.value));
  }
  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

export function useCell<T>(cell: Cell<T>): T {
  const [, force] = useState(0);
  useEffect(() => cell.subscribe(() => force((n) => n + 1)), [cell]);
  return cell.get();
}

/** Change counters: bumped by the desk's events. */
export const versions = new Cell({ everything: 0, consultations: 0, callbacks: 0, clients: 0, operators: 0, outbox: 0, quickReplies: 0, visits: 0, calls: 0, clinical: 0, threads: {} as Record<string, number> });

export const online = new Cell(true);

export function pref<T>(key: string, fallback: T): T {
  try {
    const v = localStorage.getItem(`careline.${key}`);
    return v === null ? fallback : (JSON.parse(v) as T);
  } catch {
    return fallback;
  }
}

export function setPref<T>(key: string, value: T) {
  localStorage.setItem(`careline.${key}`, JSON.stringify(value));
}

/** Re-runs `load` when any of `deps` change; keeps the last result while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => live && (setData(d), setError(null)),
      (e) => live && setError(errorLine(e)),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((n) => n + 1) };
}

/** `value` once it has stayed the same for `ms` (a search asked once typing pauses). */
export function useSettled<T>(value: T, ms = 250): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return settled;
}

/** The current time, refreshed every `ms`. */
/** Runs a user's action once at a time: `busy` while it runs, `error` the worded refusal. */
export function useAction(): { busy: boolean; error: string | null; run: (f: () => Promise<void>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(errorLine(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

export function useNow(ms = 15_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

/** Does something through the outbox and shows it as pending at once. */
export async function act(op: Op): Promise<number> {
  const id = await api.act(op);
  versions.update((v) => ({ ...v, outbox: v.outbox + 1 }));
  return id;
}
