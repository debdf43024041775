// The server writes its notes in a thread (transfers, hand-backs, assignments, red flags) in
// English, the same for every desk and the API; the desk words them in its own language. A
// note of a form it does not know is shown as written.
import type { Lang } from "./i18n";

type Words = Record<"redFlag" | "assigned" | "assignedAuto" | "transferred" | "handedBack" | "roundRobin" | "leastLoaded", string>;

const words: Record<Lang, Words> = {
  en: { redFlag: "Red flag", assigned: "Assigned to", assignedAuto: "Assigned automatically to", transferred: "Transferred to", handedBack: "Handed back to the queue", roundRobin: "round robin", leastLoaded: "least loaded" },
  ru: { redFlag: "Красный флаг", assigned: "Назначена оператору", assignedAuto: "Автоматически назначена оператору", transferred: "Передана оператору", handedBack: "Возвращена в очередь", roundRobin: "по очереди", leastLoaded: "наименьшая нагрузка" },
  zh: { redFlag: "危急信号", assigned: "已分配给", assignedAuto: "已自动分配给", transferred: "已转给", handedBack: "已退回队列", roundRobin: "轮流分配", leastLoaded: "负载最少" },
};

/** A server note in `lang`. */
export function systemNote(body: string, lang: Lang): string {
  const w = words[lang];
  let m: RegExpMatchArray | null;
  if ((m = body.match(/^Red flag: «(.*)»$/s))) return `${w.redFlag}: «${m[1]}»`;
  if ((m = body.match(/^Assigned to (.*) automatically \((round robin|least loaded)\)$/s))) {
    return `${w.assignedAuto} ${m[1]} (${m[2] === "round robin" ? w.roundRobin : w.leastLoaded})`;
  }
  if ((m = body.match(/^Assigned to ([^:]*)(: (.*))?$/s))) return `${w.assigned} ${m[1]}${m[3] ? `: ${m[3]}` : ""}`;
  if ((m = body.match(/^Transferred to ([^:]*)(: (.*))?$/s))) return `${w.transferred} ${m[1]}${m[3] ? `: ${m[3]}` : ""}`;
  if ((m = body.match(/^Handed back to the queue(: (.*))?$/s))) return `${w.handedBack}${m[2] ? `: ${m[2]}` : ""}`;
  return body;
}
