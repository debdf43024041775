import { describe, expect, it } from "vitest";
import { age, dayHeading, dayWhen, lastSeen, marked, markedWords, previewAround, stranded, threadLayout, dueState, duration, episodeStarts, fillPlaceholders, initials, longDate, matchQuickReplies, waitLevel, when } from "./format";

describe("format", () => {
  it("words durations in each language", () => {
    expect(duration(45_000, "en")).toBe("45 s");
    expect(duration(12 * 60_000, "ru")).toBe("12 мин");
    expect(duration((3 * 60 + 5) * 60_000, "en")).toBe("3 h 5 min");
    expect(duration(2 * 60 * 60_000, "zh")).toBe("2 小时");
    expect(duration(50 * 60 * 60_000, "en")).toBe("2 d");
    expect(duration(-5, "en")).toBe("0 s");
  });

  it("colours waiting times as they grow", () => {
    expect(waitLevel(60_000)).toBe("calm");
    expect(waitLevel(3 * 60_000)).toBe("warn");
    expect(waitLevel(6 * 60_000)).toBe("alarm");
  });

  it("tells callbacks due, overdue after ten minutes, and finished", () => {
    const now = Date.parse("2026-11-22T12:00:00Z");
    expect(dueState("2026-11-22T12:30:00Z", "new", now)).toBe("later");
    expect(dueState("2026-11-22T11:55:00Z", "claimed", now)).toBe("due");
    expect(dueState("2026-11-22T11:45:00Z", "new", now)).toBe("overdue");
    expect(dueState("2026-11-22T11:00:00Z", "done", now)).toBe("final");
  });

  it("marks where each episode of a thread starts", () => {
    expect([...episodeStarts(["a", "a", "b", "b", "c"])]).toEqual([0, 2, 4]);
    expect([...episodeStarts([])]).toEqual([]);
  });

  it("matches quick replies by key prefix or by text", () => {
    const r = [{ key: "hello", text: "Hello!" }, { key: "photo", text: "Please send a photo" }];
    expect(matchQuickReplies("/", r)).toHaveLength(2);
    expect(matchQuickReplies("/ph", r)?.map((x) => x.key)).toEqual(["photo"]);
    expect(matchQuickReplies("/send", r)?.map((x) => x.key)).toEqual(["photo"]);
    expect(matchQuickReplies("hello", r)).toBeNull();
    expect(matchQuickReplies("/a\nb", r)).toBeNull();
  });

  it("makes initials of Latin, Cyrillic and Chinese names", () => {
    expect(initials("Anna Petrova")).toBe("AP");
    expect(initials("иван")).toBe("И");
    expect(initials("李明")).toBe("李");
    expect(initials("  ")).toBe("?");
  });
});

describe("fillPlaceholders", () => {
  it("fills the known names and leaves other braces alone", () => {
    const v = { client_name: "Мария", operator_name: "Анна Петрова" };
    expect(fillPlaceholders("Здравствуйте, {client_name}! Я {operator_name}.", v)).toBe("Здравствуйте, Мария! Я Анна Петрова.");
    expect(fillPlaceholders("{client_name}{client_name} {x} {}", v)).toBe("МарияМария {x} {}");
    expect(fillPlaceholders("{client_name}", { client_name: "$& $1", operator_name: "" })).toBe("$& $1");
  });

  it("gives a moment its day whenever it is not today, in the window's language", () => {
    const now = new Date(2026, 11, 7, 15, 0).getTime();
    const at = (y: number, mo: number, d: number, h: number, mi: number) => new Date(y, mo, d, h, mi).toISOString();
    expect(when(at(2026, 11, 7, 9, 5), "ru", now)).toBe("09:05");
    expect(when(at(2026, 11, 6, 21, 3), "ru", now)).toBe("вчера, 21:03");
    expect(when(at(2026, 11, 6, 21, 3), "zh", now)).toBe("昨天 21:03");
    expect(when(at(2026, 11, 6, 21, 3), "en", now)).toBe("yesterday, 21:03");
    expect(when(at(2026, 11, 8, 10, 0), "ru", now)).toBe("завтра, 10:00");
    expect(when(at(2026, 11, 3, 21, 3), "ru", now)).toBe("3 дек., 21:03");
    expect(when(at(2026, 11, 3, 21, 3), "zh", now)).toBe("12月3日 21:03");
    expect(when(at(2026, 11, 3, 21, 3), "en", now)).toBe("3 Dec, 21:03");
    expect(when(at(2025, 11, 3, 21, 3), "ru", now)).toBe("3 дек. 2025 г., 21:03");
    expect(when(at(2025, 11, 3, 21, 3), "zh", now)).toBe("2025年12月3日 21:03");
    expect(dayWhen(at(2026, 11, 7, 9, 5), "ru", now)).toBe("сегодня");
    expect(dayWhen(at(2026, 10, 20, 9, 5), "ru", now)).toBe("20 нояб.");
    expect(dayWhen(at(2024, 1, 29, 9, 5), "en", now)).toBe("29 Feb 2024");
  });

  it("words a birthday in the language's order and counts the age", () => {
    expect(longDate("1964-11-02", "ru")).toBe("2 ноября 1964 г.");
    expect(longDate("1964-11-02", "zh")).toBe("1964年11月2日");
    expect(longDate("1964-11-02", "en")).toBe("2 November 1964");
    expect(age("1964-11-02", new Date(2026, 11, 7).getTime())).toBe(62);
    expect(age("1964-12-08", new Date(2026, 11, 7).getTime())).toBe(61);
    expect(age("1964-02-30")).toBe(null);
  });

  it("says a connected colleague is here now and when an offline one left", () => {
    const now = new Date(2026, 11, 7, 15, 0).getTime();
    expect(lastSeen("online", new Date(2026, 11, 7, 9, 0).toISOString(), "ru", now)).toBe("сейчас");
    expect(lastSeen("busy", null, "en", now)).toBe("now");
    expect(lastSeen("offline", new Date(2026, 11, 6, 18, 30).toISOString(), "ru", now)).toBe("вчера, 18:30");
    expect(lastSeen("offline", null, "ru", now)).toBe("—");
    expect(stranded("offline", 2)).toBe(true);
    expect(stranded("offline", 0)).toBe(false);
    expect(stranded("away", 2)).toBe(false);
  });

  it("marks a red flag's words in the message and never cuts them out of a preview", () => {
    expect(marked("мне трудно дышать и давит в груди", "давит в груди")).toEqual([
      { text: "мне трудно дышать и ", mark: false }, { text: "давит в груди", mark: true },
    ]);
    expect(marked("ничего", null)).toEqual([{ text: "ничего", mark: false }]);
    const p = previewAround("Здравствуйте, доктор. Со вчерашнего вечера мне трудно дышать и давит в груди", "давит в груди");
    expect(p).toEqual({ pre: "…трудно дышать и ", hit: "давит в груди", post: "" });
    expect(previewAround("short давит в груди!", "давит в груди")).toEqual({ pre: "short ", hit: "давит в груди", post: "!" });
    expect(previewAround("nothing here", "давит")).toBe(null);
  });

  it("marks the searched words in a message, in any case", () => {
    expect(markedWords("Болит ГОРЛО и горло саднит", "горло")).toEqual([
      { text: "Болит ", mark: false }, { text: "ГОРЛО", mark: true }, { text: " и ", mark: false }, { text: "горло", mark: true }, { text: " саднит", mark: false },
    ]);
    expect(markedWords("孩子发烧", "发烧")).toEqual([{ text: "孩子", mark: false }, { text: "发烧", mark: true }]);
    expect(markedWords("a (b)", "(b")).toEqual([{ text: "a ", mark: false }, { text: "(b", mark: true }, { text: ")", mark: false }]);
  });

  it("heads each day of a thread and groups messages by author and minute", () => {
    const now = new Date(2026, 11, 7, 15, 0).getTime();
    expect(dayHeading(new Date(2026, 11, 7, 9).toISOString(), "ru", now)).toBe("Сегодня");
    expect(dayHeading(new Date(2026, 11, 6, 9).toISOString(), "en", now)).toBe("Yesterday");
    expect(dayHeading(new Date(2026, 11, 3, 9).toISOString(), "ru", now)).toBe("3 декабря");
    const at = (d: number, h: number, m: number) => new Date(2026, 11, d, h, m).toISOString();
    const msg = (kind: string, who: string | null, created_at: string, internal = false) => ({ author_kind: kind, author_id: who, internal, consultation_id: "c", created_at });
    const layout = threadLayout([
      msg("client", "p", at(6, 21, 0)),
      msg("client", "p", at(7, 9, 0)), // another day
      msg("client", "p", at(7, 9, 2)),
      msg("operator", "a", at(7, 9, 3)),
      msg("operator", "a", at(7, 9, 20)), // a quarter of an hour later
      msg("system", null, at(7, 9, 20), true),
    ]);
    expect(layout.map((l) => [l.newDay, l.first, l.last])).toEqual([
      [true, true, true],
      [true, true, false],
      [false, false, true],
      [false, true, true],
      [false, true, true],
      [false, true, true],
    ]);
  });
});
