import { describe, expect, it } from "vitest";
import { plural } from "./i18n";

describe("plural", () => {
  it("chooses the Russian form by the number's ending", () => {
    expect([1, 3, 5, 11, 21, 100_000].map((n) => plural("found", n, "ru"))).toEqual([
      "1 консультация",
      "3 консультации",
      "5 консультаций",
      "11 консультаций",
      "21 консультация",
      "100\u00a0000 консультаций",
    ]);
  });
  it("has one form in Chinese and two in English", () => {
    expect(plural("found", 2, "zh")).toBe("2 个咨询");
    expect([plural("found", 1, "en"), plural("found", 100000, "en")]).toEqual(["1 consultation", "100,000 consultations"]);
  });
});
