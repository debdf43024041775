import { describe, expect, it } from "vitest";
import { phoneShown } from "./phone";

describe("phones for display", () => {
  it("shows every number the same way, whatever way it was written", () => {
    expect(phoneShown("+79161234501", "ru")).toBe("+7 916 123 45 01");
    expect(phoneShown("89161234501", "ru")).toBe("+7 916 123 45 01");
    expect(phoneShown("+7 (916) 123-45-01", "en")).toBe("+7 916 123 45 01");
    expect(phoneShown("+8613800138001", "zh")).toBe("+86 138 0013 8001");
    expect(phoneShown("+447700900001", "en")).toBe("+44 7700 900001");
  });

  it("leaves what is not a phone number as it was typed", () => {
    expect(phoneShown("123", "ru")).toBe("123");
    expect(phoneShown("call me", "en")).toBe("call me");
  });
});
