import { describe, expect, it } from "vitest";
import { systemNote } from "./systemNotes";

describe("systemNote", () => {
  it("words the server's notes in the desk's language", () => {
    expect(systemNote("Red flag: «бол* в груд*»", "ru")).toBe("Красный флаг: «бол* в груд*»");
    expect(systemNote("Assigned to Анна Петрова", "ru")).toBe("Назначена оператору Анна Петрова");
    expect(systemNote("Assigned to 王伟 automatically (least loaded)", "zh")).toBe("已自动分配给 王伟 (负载最少)");
    expect(systemNote("Transferred to John Smith: needs a cardiologist", "ru")).toBe("Передана оператору John Smith: needs a cardiologist");
    expect(systemNote("Handed back to the queue", "zh")).toBe("已退回队列");
  });
  it("words a call's note: the kind, who called, how it ended and how long it took", () => {
    expect(systemNote("Video call by Анна Петрова: completed (192 s)", "ru")).toBe("Видеозвонок · Анна Петрова · состоялся · 3:12");
    expect(systemNote("Audio call by 王伟: no answer", "zh")).toBe("语音通话 · 王伟 · 无人接听");
    expect(systemNote("Audio call by Anna: failed", "en")).toBe("Voice call · Anna · did not connect");
  });
  it("leaves what it does not know as written", () => {
    expect(systemNote("Something new from a later server", "ru")).toBe("Something new from a later server");
  });
});
