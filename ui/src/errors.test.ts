import { describe, expect, it } from "vitest";
import { errorLine, errorSentence, errorText, refusalLine } from "./errors";

describe("errors in the interface's language", () => {
  it("words a server refusal in Russian and Chinese, the English message as detail", () => {
    const e = { code: "already_taken" as const, message: "the consultation was taken by someone else" };
    expect(errorText(e, "ru")).toEqual({ text: "Коллега успел взять это раньше.", detail: null });
    expect(errorText(e, "en")).toEqual({ text: "A colleague took it first.", detail: "the consultation was taken by someone else" });
    expect(errorText(e, "zh").text).toBe("同事已抢先接手。");
    expect(errorText(e, "en").text).toBe("A colleague took it first.");
  });

  it("words the desk's own codes", () => {
    expect(errorSentence("offline", "ru")).toBe("Нет связи с сервером.");
    expect(errorSentence("unexpected_answer", "zh")).toBe("服务器返回了无法识别的内容。");
    expect(errorSentence("not_logged_in", "en")).toBe("You are not logged in.");
  });

  it("never shows English in a Russian window for a known code", () => {
    for (const code of ["unauthorized", "account_disabled", "capacity_reached", "rate_limited", "cache", "file"]) {
      expect(errorSentence(code, "ru")).toMatch(/[а-яё]/i);
      expect(errorSentence(code, "zh")).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it("puts no English words inside a Russian or Chinese sentence that says it all", () => {
    const disabled = { code: "account_disabled" as const, message: "this account is disabled" };
    expect(errorLine(disabled, "ru")).toBe("Ваша учётная запись отключена. Обратитесь к руководителю.");
    expect(errorLine(disabled, "zh")).not.toMatch(/[a-z]/);
    // A refusal of a value keeps the server's words: they name the field to fix.
    expect(errorText({ code: "validation_failed", message: "name: must not be empty" }, "ru").detail).toBe("name: must not be empty");
  });

  it("an outbox refusal keeps the server's words as detail", () => {
    expect(refusalLine("unexpected_answer", "HTTP 200: <html>", "ru")).toBe("Сервер ответил что-то непредвиденное. (HTTP 200: <html>)");
    expect(refusalLine(null, "plain", "ru")).toBe("plain");
  });
});
