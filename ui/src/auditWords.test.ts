import { describe, expect, it } from "vitest";
import { actionWords, actorWords, detailWords } from "./auditWords";
import { setLang } from "./i18n";
import type { AuditRecord } from "./gen/types";

const record = (over: Partial<AuditRecord>): AuditRecord => ({
  id: "00000000-0000-7000-8000-000000000001", operator_id: "0193a000-0000-7000-8000-000000000002", action: "client.viewed",
  target_id: null, detail: null, remote_addr: null, at: "2026-12-07T10:00:00Z", actor_name: "Елена Смирнова", target_name: null, ...over,
});

describe("the audit log in words", () => {
  it("words every action the server records, in each language", () => {
    setLang("ru");
    expect(actionWords("client.viewed")).toBe("Просмотр карточки клиента");
    setLang("zh");
    expect(actionWords("consultation.transfer")).toBe("转接咨询");
    setLang("en");
    expect(actionWords("settings.update")).toBe("Changed the rules");
    expect(actionWords("something.new")).toBe("something.new");
  });

  it("shows names and field labels, never ids or keys", () => {
    setLang("ru");
    const anna = "0193a000-0000-7000-8000-0000000000aa";
    const names = new Map([[anna, "Анна Петрова"]]);
    expect(detailWords(record({ action: "client.updated", detail: "name,birthday,height_cm", target_name: "Мария Иванова" }), names)).toBe("Мария Иванова · Имя, Дата рождения, Рост");
    expect(detailWords(record({ action: "consultation.assign", detail: `to=${anna} over_capacity`, target_name: "Мария Иванова" }), names)).toBe("Мария Иванова · → Анна Петрова (сверх нагрузки)");
    expect(detailWords(record({ action: "report.exported", detail: "billing" }), names)).toBe("по оплате");
    expect(detailWords(record({ action: "client.erased", target_id: anna }), names)).toBe("удалённый клиент");
    expect(actorWords(record({ actor_name: null, operator_id: "00000000-0000-0000-0000-000000000000" }))).toBe("Система");
    expect(actorWords(record({ actor_name: null }))).toBe("учётная запись удалена");
  });
});
