// Careline's web page, visits: the patient's bookings with how soon they start, the waiting
// room, booking a doctor's free time. Loaded by app.js the first time visits are opened; it
// draws with app.js's own helpers, handed over by `start`.

const WORDS = {
  en: {
    visitsTitle: "Visits to a doctor", noVisits: "No visits booked.", bookVisit: "Book a visit", specialist: "Doctor", kind: "How",
    video: "Video call", phoneCall: "Phone call", day: "Day", noSlots: "No free times this day: choose another.", book: "Book", booked: "Booked",
    waitingRoom: "In the waiting room", inCall: "In call", done: "Took place", missed: "Missed", cancelled: "Cancelled", declined: "Declined by the doctor",
    startsIn: "starts {in}", cancelVisit: "Cancel the visit", checkIn: "Enter the waiting room", waitHere: "You are in the waiting room: the doctor will call you here.",
    visitBooked: "Booked: {when}.", checkDevices: "Check the camera and microphone", why: "Reason: {why}", refunded: "The payment is refunded in full.", back: "Back",
  },
  ru: {
    visitsTitle: "Приёмы у врача", noVisits: "Записей нет.", bookVisit: "Записаться на приём", specialist: "Врач", kind: "Как",
    video: "Видеозвонок", phoneCall: "Звонок по телефону", day: "День", noSlots: "В этот день свободного времени нет: выберите другой.", book: "Записаться", booked: "Вы записаны",
    waitingRoom: "В зале ожидания", inCall: "Идёт звонок", done: "Состоялся", missed: "Не состоялся", cancelled: "Отменён", declined: "Врач отказал в приёме",
    startsIn: "начнётся {in}", cancelVisit: "Отменить запись", checkIn: "Войти в зал ожидания", waitHere: "Вы в зале ожидания: врач позвонит вам здесь.",
    visitBooked: "Вы записаны: {when}.", checkDevices: "Проверить камеру и микрофон", why: "Причина: {why}", refunded: "Оплата возвращена полностью.", back: "Назад",
  },
  zh: {
    visitsTitle: "预约就诊", noVisits: "暂无预约。", bookVisit: "预约就诊", specialist: "医生", kind: "方式",
    video: "视频问诊", phoneCall: "电话问诊", day: "日期", noSlots: "当天没有空闲时段，请选择其他日期。", book: "预约", booked: "已预约",
    waitingRoom: "候诊中", inCall: "通话中", done: "已完成", missed: "未就诊", cancelled: "已取消", declined: "医生已退诊",
    startsIn: "{in}开始", cancelVisit: "取消预约", checkIn: "进入候诊室", waitHere: "您已在候诊室，医生会在这里呼叫您。",
    visitBooked: "预约成功：{when}。", checkDevices: "检查摄像头和麦克风", why: "原因：{why}", refunded: "费用已全额退还。", back: "返回",
  },
};

let h, call, t, state, render, openSheet, timeFmt, LANG, loadCalls;

/** Takes app.js's helpers; returns what app.js draws the visits' sheets with. */
export function start(page) {
  ({ h, call, state, render, openSheet, timeFmt, LANG, loadCalls } = page);
  document.head.append(h("link", { rel: "stylesheet", href: "/chat/visits.css" }));
  LOCALE = LANG === "zh" ? "zh-CN" : LANG === "ru" ? "ru-RU" : "en-GB";
  whenFmt = new Intl.DateTimeFormat(LOCALE, { weekday: "short", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" });
  t = (key, vars = {}) => (WORDS[LANG]?.[key] ? (WORDS[LANG][key]).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? "")) : page.t(key, vars));
  return { visitsList, bookForm, stopCheck };
}

// In the page's language, set by `start`.
let LOCALE = "en-GB";
let whenFmt = null;
const VISIT_WORDS = { booked: "booked", waiting: "waitingRoom", in_call: "inCall", done: "done", missed: "missed", cancelled: "cancelled", declined: "declined" };

/** "in 2 hours", "через 15 минут": how soon a visit starts (nothing once it has). */
function startsIn(iso) {
  const ms = Date.parse(iso) - Date.now();
  if (ms <= 0) return "";
  const rel = new Intl.RelativeTimeFormat(LOCALE, { numeric: "auto" });
  const [n, unit] = ms < 3600000 ? [Math.ceil(ms / 60000), "minute"] : ms < 2 * 86400000 ? [Math.round(ms / 3600000), "hour"] : [Math.round(ms / 86400000), "day"];
  return t("startsIn", { in: rel.format(n, unit) });
}

function visitsList(close) {
  const list = [...state.appointments.values()].sort((a, b) => (a.starts_at < b.starts_at ? -1 : 1));
  const items = h("ul.visits", { "data-testid": "visits" });
  for (const a of list) {
    const live = a.status === "booked" || a.status === "waiting";
    const opensAt = Date.parse(a.starts_at) - 15 * 60000;
    const li = h(
      "li.visit",
      { "data-testid": "visit", "data-status": a.status },
      h("strong", { text: whenFmt.format(new Date(a.starts_at)) }),
      h("span.muted", { text: `${a.kind === "video" ? t("video") : t("phoneCall")} · ${t(VISIT_WORDS[a.status])}` }),
      live && a.status === "booked" ? h("span.countdown", { "data-testid": "countdown", text: startsIn(a.starts_at) }) : "",
      a.status === "waiting" ? h("p.waiting", { role: "status", "data-testid": "waiting-room", text: t("waitHere") }) : "",
      a.status_reason ? h("p.muted", { text: t("why", { why: a.status_reason }) }) : "",
      a.status === "declined" ? h("p.muted", { text: t("refunded") }) : "",
    );
    const error = h("p.error", { role: "alert" });
    const act = (path) => async () => {
      try {
        const changed = await call("POST", `/api/v1/appointments/${a.id}/${path}`, path === "cancel" ? {} : undefined);
        state.appointments.set(changed.id, changed);
        render();
      } catch (err) {
        error.textContent = err.message;
      }
    };
    if (a.status === "waiting") li.append(checkDevices(a));
    if (a.status === "booked" && Date.now() >= opensAt) li.append(h("button.primary", { type: "button", onclick: act("check-in"), "data-testid": "check-in" }, t("checkIn")));
    if (a.status === "booked") li.append(h("button.link", { type: "button", onclick: act("cancel"), "data-testid": "cancel-visit" }, t("cancelVisit")));
    li.append(error);
    items.append(li);
  }
  if (list.length === 0) items.append(h("li.empty", { text: t("noVisits") }));
  return h(
    "div",
    {},
    h("h2", { id: "sheet-title", text: t("visitsTitle") }),
    items,
    h("div.buttons", {}, h("button", { type: "button", onclick: close }, t("close")), h("button.primary", { type: "button", onclick: () => openSheet("book"), "data-testid": "book-visit" }, t("bookVisit"))),
  );
}

// The waiting room's camera and microphone check: made once and kept across the list's
// redraws (its preview plays on), stopped when the visit leaves the waiting room.
let check = null; // { id, el, stop }
function checkDevices(a) {
  if (check?.id === a.id) return check.el;
  check?.stop();
  const holder = h("div", { "data-testid": "check-holder" });
  check = { id: a.id, el: holder, stop: () => {} };
  const mine = check;
  const button = h("button", { type: "button", "data-testid": "check-devices", onclick: async () => {
    const m = await loadCalls();
    const c = await m.deviceCheck(a.kind === "video");
    if (check !== mine) return c.stop();
    mine.stop = c.stop;
    holder.replaceChildren(c.el);
  } }, t("checkDevices"));
  holder.append(button);
  return holder;
}
// A call that rings ends the check: the call takes the camera and microphone.
export function stopCheck() {
  check?.stop();
  check = null;
}

function bookForm(close) {
  const who = h("select", { id: "bk-who", "data-testid": "bk-who" });
  const kind = h("select", { id: "bk-kind", "data-testid": "bk-kind" }, h("option", { value: "video" }, t("video")), h("option", { value: "phone" }, t("phoneCall")));
  // The next two weeks as buttons in the page's language (a native date field follows the
  // device's locale, not the page's).
  const dayName = new Intl.DateTimeFormat(LOCALE, { weekday: "short", day: "numeric", month: "short" });
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  const dayStarts = [];
  for (let i = 0; i <= 14; i++) {
    const d = new Date(midnight);
    d.setDate(d.getDate() + i);
    dayStarts.push(d.getTime());
  }
  // The two weeks' free times are asked at once: a day without any is greyed out, and the
  // first day with some is chosen (late in the evening that is tomorrow, not an empty today).
  let free = [];
  let picked = 0;
  const days = h("div.days", { id: "bk-day", role: "radiogroup", "aria-label": t("day"), "data-testid": "bk-days" });
  const dayButtons = dayStarts.slice(0, 14).map((start, i) => {
    const b = h("button", { type: "button", role: "radio", "aria-checked": "false", "data-testid": "bk-day", onclick: () => pick(i) }, dayName.format(new Date(start)));
    days.append(b);
    return b;
  });
  const slots = h("div.slots", { "data-testid": "bk-slots" });
  const reason = h("textarea", { id: "bk-reason", rows: 2, "data-testid": "bk-reason" });
  const error = h("p.error", { role: "alert" });
  const send = h("button.primary", { type: "submit", disabled: true, "data-testid": "bk-send" }, t("book"));
  let chosen = null;
  let asked = 0;
  const ofDay = (i) => free.filter((s) => {
    const at = new Date(s.starts_at).getTime();
    return at >= dayStarts[i] && at < dayStarts[i + 1];
  });
  const pick = (i) => {
    picked = i;
    chosen = null;
    send.disabled = true;
    dayButtons.forEach((x, j) => x.setAttribute("aria-checked", String(j === i)));
    days.scrollLeft = Math.max(0, dayButtons[i].offsetLeft - dayButtons[0].offsetLeft - 48);
    const mine = ofDay(i);
    slots.replaceChildren();
    if (mine.length === 0) slots.append(h("p.muted", { "data-testid": "bk-none", text: t("noSlots") }));
    for (const s of mine) {
      const b = h("button", { type: "button", "data-testid": "bk-slot", "aria-pressed": "false", onclick: () => {
        chosen = s;
        slots.querySelectorAll("button").forEach((x) => x.setAttribute("aria-pressed", String(x === b)));
        send.disabled = false;
      } }, timeFmt.format(new Date(s.starts_at)));
      slots.append(b);
    }
  };
  const loadSlots = async () => {
    chosen = null;
    send.disabled = true;
    slots.replaceChildren();
    if (!who.value) return;
    const from = new Date(dayStarts[0]);
    const to = new Date(dayStarts[14]);
    // Only the answer to the last question is shown (an earlier one may arrive after it).
    const mine = ++asked;
    try {
      const answer = await call("GET", `/api/v1/slots?kind=${kind.value}&operator_id=${who.value}&from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`);
      if (mine !== asked) return;
      free = answer;
      const open = dayButtons.map((_, i) => ofDay(i).length > 0);
      dayButtons.forEach((b, i) => b.classList.toggle("none", !open[i]));
      const first = open.indexOf(true);
      pick(open[picked] || first < 0 ? picked : first);
    } catch (err) {
      error.textContent = err.message;
    }
  };
  call("GET", "/api/v1/specialists").then((list) => {
    for (const sp of list) who.append(h("option", { value: sp.operator_id }, `${sp.name} — ${sp.specialties.join(", ")}`));
    loadSlots();
  }, (err) => (error.textContent = err.message));
  for (const el of [who, kind]) el.addEventListener("change", loadSlots);
  return h(
    "form",
    {
      onsubmit: async (e) => {
        e.preventDefault();
        if (!chosen) return;
        try {
          const a = await call("POST", "/api/v1/appointments", { operator_id: chosen.operator_id, kind: kind.value, starts_at: chosen.starts_at, reason: reason.value.trim() || null });
          state.appointments.set(a.id, a);
          state.done = { id: "visit-booked", text: t("visitBooked", { when: whenFmt.format(new Date(a.starts_at)) }) };
          state.sheet = "visits";
          render();
        } catch (err) {
          error.textContent = err.message;
          loadSlots();
        }
      },
    },
    h("h2", { id: "sheet-title", text: t("bookVisit") }),
    h("label", { for: "bk-who" }, t("specialist")),
    who,
    h("label", { for: "bk-kind" }, t("kind")),
    kind,
    h("label", { for: "bk-day" }, t("day")),
    days,
    slots,
    h("label", { for: "bk-reason" }, t("reason")),
    reason,
    error,
    h("div.buttons", {}, h("button", { type: "button", onclick: () => openSheet("visits") }, t("back")), send),
  );
}

