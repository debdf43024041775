// Pure helpers of the UI (tested by Vitest): durations, waiting colours, due states, episodes,
// quick-reply matching.
import type { Lang } from "./i18n";

/** "45 s", "12 min", "3 h 5 min", "2 d" in the interface's language. */
export function duration(ms: number, lang: Lang): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const u = units[lang];
  if (s < 60) return `${s} ${u.s}`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} ${u.m}`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} ${u.h} ${m % 60} ${u.m}` : `${h} ${u.h}`;
  return `${Math.floor(h / 24)} ${u.d}`;
}

const units: Record<Lang, { s: string; m: string; h: string; d: string }> = {
  en: { s: "s", m: "min", h: "h", d: "d" },
  ru: { s: "с", m: "мин", h: "ч", d: "дн" },
  zh: { s: "秒", m: "分钟", h: "小时", d: "天" },
};

/** How a queue item's waiting time is coloured: calm, warning after 2 min, alarm after 5. */
export function waitLevel(ms: number): "calm" | "warn" | "alarm" {
  if (ms >= 5 * 60_000) return "alarm";
  if (ms >= 2 * 60_000) return "warn";
  return "calm";
}

/** A callback request's standing at `now`. */
export function dueState(dueAt: string, status: string, now: number): "final" | "overdue" | "due" | "later" {
  if (status === "done" || status === "failed" || status === "cancelled") return "final";
  const due = Date.parse(dueAt);
  if (now - due > 10 * 60_000) return "overdue";
  if (due <= now) return "due";
  return "later";
}

/** Indexes of messages that begin a new episode (consultation) of the thread. */
export function episodeStarts(consultationIds: string[]): Set<number> {
  const out = new Set<number>();
  consultationIds.forEach((id, i) => {
    if (i === 0 || consultationIds[i - 1] !== id) out.add(i);
  });
  return out;
}

/** A quick reply's text with its placeholders filled in. */
export function fillPlaceholders(text: string, values: { client_name: string; operator_name: string }): string {
  return text.replace(/\{(client_name|operator_name)\}/g, (_, k: "client_name" | "operator_name") => values[k]);
}

/** Quick replies whose key starts with what follows the `/`, or all for a bare `/`. */
export function matchQuickReplies<T extends { key: string; text: string }>(input: string, replies: T[]): T[] | null {
  if (!input.startsWith("/") || input.includes("\n")) return null;
  const q = input.slice(1).toLowerCase();
  return replies.filter((r) => r.key.toLowerCase().startsWith(q) || (q.length >= 2 && r.text.toLowerCase().includes(q)));
}

/** The time of day, or the date and time when not today. */
/** The Intl locale of an interface language. */
export function localeOf(lang: Lang): string {
  return lang === "zh" ? "zh-CN" : lang === "ru" ? "ru-RU" : "en-GB";
}

export function when(iso: string, lang: Lang, now = Date.now()): string {
  const d = new Date(iso);
  const locale = localeOf(lang);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return sameDay
    ? d.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleString(locale, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

/** Initials for an avatar: first letters of two words, or the first character (CJK names). */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return "?";
  if (/[\u3400-\u9fff]/.test(words[0][0])) return words[0][0];
  return (words[0][0] + (words[1]?.[0] ?? "")).toUpperCase();
}

/** Money in minor units (kopecks, fen, cents) in the reader's locale: "500,00 ₽", "¥500.00". */
export function money(minor: number, currency: string, lang: Lang): string {
  try {
    return new Intl.NumberFormat(localeOf(lang), { style: "currency", currency }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}
