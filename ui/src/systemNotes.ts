// The server writes its notes in a thread (transfers, hand-backs, assignments, red flags) in
// English, the same for every desk and the API; the desk words them in its own language. A
// note of a form it does not know is shown as written.
import type { Lang } from "./i18n";

type Words = Record<"redFlag" | "assigned" | "assignedAuto" | "transferred" | "handedBack" | "roundRobin" | "leastLoaded" | "video" | "audio" | "completed" | "no answer" | "declined" | "cancelled" | "failed", string>;

const words: Record<Lang, Words> = {
  en: { redFlag: "Red flag", assigned: "Assigned to", assignedAuto: "Assigned automatically to", transferred: "Transferred to", handedBack: "Handed back to the queue", roundRobin: "round robin", leastLoaded: "least loaded", video: "Video call", audio: "Voice call", completed: "completed", "no answer": "no answer", declined: "declined", cancelled: "cancelled", failed: "did not connect" },
  ru: { redFlag: "Красный флаг", assigned: "Назначена оператору", assignedAuto: "Автоматически назначена оператору", transferred: "Передана оператору", handedBack: "Возвращена в очередь", roundRobin: "по очереди", leastLoaded: "наименьшая нагрузка", video: "Видеозвонок", audio: "Голосовой звонок", completed: "состоялся", "no answer": "нет ответа", declined: "отклонён", cancelled: "отменён", failed: "не соединился" },
  zh: { redFlag: "危急信号", assigned: "已分配给", assignedAuto: "已自动分配给", transferred: "已转给", handedBack: "已退回队列", roundRobin: "轮流分配", leastLoaded: "负载最少", video: "视频通话", audio: "语音通话", completed: "已完成", "no answer": "无人接听", declined: "已拒绝", cancelled: "已取消", failed: "未接通" },
};

/** A server note in `lang`. */
export function systemNote(body: string, lang: Lang): string {
  const w = words[lang];
  let m: RegExpMatchArray | null;
  if ((m = body.match(/^(Audio|Video) call by (.*): (completed|no answer|declined|cancelled|failed)(?: \((\d+) s\))?$/s))) {
    const kind = m[3] as "completed" | "no answer" | "declined" | "cancelled" | "failed";
    const secs = Number(m[4] ?? 0);
    const length = m[4] ? ` · ${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}` : "";
    return `${m[1] === "Video" ? w.video : w.audio} · ${m[2]} · ${w[kind]}${length}`;
  }
  if ((m = body.match(/^Red flag: «(.*)»$/s))) return `${w.redFlag}: «${m[1]}»`;
  if ((m = body.match(/^Assigned to (.*) automatically \((round robin|least loaded)\)$/s))) {
    return `${w.assignedAuto} ${m[1]} (${m[2] === "round robin" ? w.roundRobin : w.leastLoaded})`;
  }
  if ((m = body.match(/^Assigned to ([^:]*)(: (.*))?$/s))) return `${w.assigned} ${m[1]}${m[3] ? `: ${m[3]}` : ""}`;
  if ((m = body.match(/^Transferred to ([^:]*)(: (.*))?$/s))) return `${w.transferred} ${m[1]}${m[3] ? `: ${m[3]}` : ""}`;
  if ((m = body.match(/^Handed back to the queue(: (.*))?$/s))) return `${w.handedBack}${m[2] ? `: ${m[2]}` : ""}`;
  return body;
}
