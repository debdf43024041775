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

/** The Intl locale of an interface language. */
export function localeOf(lang: Lang): string {
  return lang === "zh" ? "zh-CN" : lang === "ru" ? "ru-RU" : "en-GB";
}

/** Whole calendar days from `d` to `now` on the desk's clock (1 = yesterday, -1 = tomorrow). */
function daysBefore(d: Date, now: Date): number {
  const a = Date.UTC(d.getFullYear(), d.getMonth(), d.getDate());
  const b = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  return Math.round((b - a) / 86_400_000);
}

/** "today", "yesterday", "tomorrow" in the language's own words (`Intl.RelativeTimeFormat`). */
function nearDay(days: number, lang: Lang): string | null {
  if (days < -1 || days > 1) return null;
  return new Intl.RelativeTimeFormat(localeOf(lang), { numeric: "auto" }).format(-days, "day");
}

/** A calendar day: "вчера", "3 дек.", "3 дек. 2025 г."; the year only when it is not this one. */
function dayOf(d: Date, lang: Lang, now: Date): string {
  const near = nearDay(daysBefore(d, now), lang);
  if (near) return near;
  const year = d.getFullYear() === now.getFullYear() ? undefined : "numeric";
  return d.toLocaleDateString(localeOf(lang), { day: "numeric", month: "short", year });
}

/**
 * A moment: the time of day when it is today, else its day too — "вчера, 21:03",
 * "3 дек., 21:03", "3 дек. 2025 г., 21:03" (in Chinese "昨天 21:03", "12月3日 21:03").
 */
export function when(iso: string, lang: Lang, now = Date.now()): string {
  const d = new Date(iso);
  const today = new Date(now);
  const time = d.toLocaleTimeString(localeOf(lang), { hour: "2-digit", minute: "2-digit" });
  const days = daysBefore(d, today);
  if (days === 0) return time;
  const near = nearDay(days, lang);
  if (near) return lang === "zh" ? `${near} ${time}` : `${near}, ${time}`;
  const year = d.getFullYear() === today.getFullYear() ? undefined : "numeric";
  return d.toLocaleString(localeOf(lang), { day: "numeric", month: "short", year, hour: "2-digit", minute: "2-digit" });
}

/** The day of a moment, without its time ("client since"): "сегодня", "3 дек.", "3 дек. 2025 г.". */
export function dayWhen(iso: string, lang: Lang, now = Date.now()): string {
  return dayOf(new Date(iso), lang, new Date(now));
}

/** A local calendar date `YYYY-MM-DD` (a birthday), or null when it is not one. */
export function calendarDate(ymd: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return d.getMonth() === Number(m[2]) - 1 ? d : null;
}

/** A date in full, in the language's order: "2 ноября 1964 г.", "1964年11月2日", "2 November 1964". */
export function longDate(ymd: string, lang: Lang): string {
  const d = calendarDate(ymd);
  return d ? d.toLocaleDateString(localeOf(lang), { day: "numeric", month: "long", year: "numeric" }) : ymd;
}

/** Whole years from a birthday to `now`. */
export function age(ymd: string, now = Date.now()): number | null {
  const b = calendarDate(ymd);
  if (!b) return null;
  const n = new Date(now);
  let years = n.getFullYear() - b.getFullYear();
  if (n.getMonth() < b.getMonth() || (n.getMonth() === b.getMonth() && n.getDate() < b.getDate())) years -= 1;
  return years >= 0 ? years : null;
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

/**
 * How a typed date looks in each language, in flatpickr's tokens: day first in Russian
 * (07.12.2026), year first in Chinese (2026-12-07), the month's name in English (7 Dec 2026)
 * so that neither order is guessed.
 */
export function dateShape(lang: Lang, time: boolean): string {
  const date = lang === "ru" ? "d.m.Y" : lang === "zh" ? "Y-m-d" : "j M Y";
  return time ? `${date}${lang === "en" ? "," : ""} H:i` : date;
}

/** A moment's calendar day on the desk's clock, `YYYY-MM-DD` ("" for none). */
export function dayOfIso(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** Today on the desk's clock, `YYYY-MM-DD`. */
export function today(): string {
  return dayOfIso(new Date().toISOString());
}

/** A measurement with its unit in the window's language: "170 см", "72,5 кг", "170厘米". */
export function measure(value: number, unit: "centimeter" | "kilogram", lang: Lang): string {
  return new Intl.NumberFormat(localeOf(lang), { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: 1 }).format(value);
}

/** A file's size: "23 кБ", "1,5 МБ". */
export function fileSize(bytes: number, lang: Lang): string {
  const mb = bytes >= 1024 * 1024;
  const value = mb ? bytes / (1024 * 1024) : Math.max(1, Math.round(bytes / 1024));
  return new Intl.NumberFormat(localeOf(lang), { style: "unit", unit: mb ? "megabyte" : "kilobyte", unitDisplay: "short", maximumFractionDigits: 1 }).format(value);
}

/** When a colleague was last seen: "now" while connected, else the moment they left ("—" never). */
export function lastSeen(status: string, seen: string | null, lang: Lang, now = Date.now()): string {
  if (status !== "offline") return new Intl.RelativeTimeFormat(localeOf(lang), { numeric: "auto" }).format(0, "second");
  return seen ? when(seen, lang, now) : "—";
}

/** An operator who is offline yet still holds patients: nobody answers them. */
export function stranded(status: string, load: number): boolean {
  return status === "offline" && load > 0;
}

/** A text in parts, the occurrences of `words` (as written) marked. */
export function marked(text: string, words: string | null | undefined): { text: string; mark: boolean }[] {
  if (!words) return [{ text, mark: false }];
  const out: { text: string; mark: boolean }[] = [];
  let at = 0;
  for (let i = text.indexOf(words); i >= 0; i = text.indexOf(words, at)) {
    if (i > at) out.push({ text: text.slice(at, i), mark: false });
    out.push({ text: words, mark: true });
    at = i + words.length;
  }
  if (at < text.length) out.push({ text: text.slice(at), mark: false });
  return out;
}

/**
 * A one-line preview that never hides `words`: the text from a little before them (cut at a
 * word, with "…"), so a narrow row still shows the symptom. Null when the words are not in it.
 */
export function previewAround(text: string, words: string, before = 20): { pre: string; hit: string; post: string } | null {
  const i = text.indexOf(words);
  if (i < 0) return null;
  let pre = text.slice(0, i);
  if (pre.length > before) {
    const cut = pre.slice(pre.length - before);
    const space = cut.search(/\s/);
    pre = `…${space >= 0 && space < cut.length - 1 ? cut.slice(space + 1) : cut}`;
  }
  return { pre, hit: words, post: text.slice(i + words.length) };
}

/** A text in parts, every word of `query` (two letters or more, any case) marked: a search hit. */
export function markedWords(text: string, query: string | null | undefined): { text: string; mark: boolean }[] {
  const words = (query ?? "").split(/\s+/).filter((w) => w.length >= 2 || /[\u3400-\u9fff]/.test(w));
  if (words.length === 0) return [{ text, mark: false }];
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  // Split on a capturing group: the matches are the odd parts.
  const parts = text.split(new RegExp(`(${escaped.join("|")})`, "iu"));
  return parts.map((p, i) => ({ text: p, mark: i % 2 === 1 })).filter((p) => p.text !== "");
}

/** A day separator's words: "Сегодня", "Вчера", "3 декабря", "3 декабря 2025 г.". */
export function dayHeading(iso: string, lang: Lang, now = Date.now()): string {
  const d = new Date(iso);
  const today = new Date(now);
  const near = nearDay(daysBefore(d, today), lang);
  if (near) return near.charAt(0).toLocaleUpperCase(localeOf(lang)) + near.slice(1);
  const year = d.getFullYear() === today.getFullYear() ? undefined : "numeric";
  return d.toLocaleDateString(localeOf(lang), { day: "numeric", month: "long", year });
}

/** How a thread's messages are laid out: a day's heading before the first of each day, and
 * messages grouped by author (one name above, one time below) while they follow each other
 * within five minutes in the same consultation. */
export function threadLayout(
  rows: { author_kind: string; author_id: string | null; internal: boolean; consultation_id: string; created_at: string }[],
): { newDay: boolean; first: boolean; last: boolean }[] {
  const same = (a: (typeof rows)[number], b: (typeof rows)[number]) =>
    a.author_kind !== "system" && b.author_kind !== "system" && a.author_kind === b.author_kind && a.author_id === b.author_id &&
    a.internal === b.internal && a.consultation_id === b.consultation_id &&
    new Date(a.created_at).toDateString() === new Date(b.created_at).toDateString() &&
    Math.abs(Date.parse(b.created_at) - Date.parse(a.created_at)) <= 5 * 60_000;
  return rows.map((m, i) => {
    const prev = rows[i - 1];
    const next = rows[i + 1];
    return {
      newDay: !prev || new Date(prev.created_at).toDateString() !== new Date(m.created_at).toDateString(),
      first: !prev || !same(prev, m),
      last: !next || !same(m, next),
    };
  });
}

/** A stored sex (free text from older records: "female", "ж", "F", "女"…) as `female`/`male`,
 * or null when it is something else or nothing. */
export function sexOf(stored: string | null | undefined): "female" | "male" | null {
  const s = (stored ?? "").trim().toLowerCase();
  if (["female", "f", "ж", "жен", "женский", "女"].includes(s)) return "female";
  if (["male", "m", "м", "муж", "мужской", "男"].includes(s)) return "male";
  return null;
}
