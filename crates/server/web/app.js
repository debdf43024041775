// Careline's web chat for patients: served by the server itself, no framework, no external
// requests. Log in or register with a phone; write to the doctor (text, photos, files) in the
// open consultation, or open one; see the whole thread with its episodes; replies arrive live
// over the WebSocket, which resumes where it stopped; what was written while the connection was
// down is kept (in this browser) and sent when it is back, under the same id, so never twice.
// Delivery and read receipts go back; a callback can be requested and a closed consultation
// rated; visits are booked in a doctor's free times, counted down and entered through the
// waiting room. Russian, Chinese or English from the browser's language.

const MAX_UPLOAD = Number(document.documentElement.dataset.maxUpload || 26214400);

const WORDS = {
  en: {
    title: "Careline", tagline: "Your doctor, in writing", login: "Log in", register: "Create an account", phone: "Phone number", password: "Password",
    name: "Your name", haveAccount: "I have an account", noAccount: "I am new here", logout: "Log out", write: "Write to the doctor…", send: "Send",
    attach: "Attach a photo or a file", start: "Describe what worries you: a doctor will answer here.", waiting: "Waiting for a doctor",
    withDoctor: "A doctor is answering", closed: "Consultation closed", started: "Consultation started", you: "You", doctor: "Doctor",
    callback: "Request a call", callbackTitle: "We will call you", asap: "As soon as possible", window: "At a time that suits me", from: "From", until: "Until",
    reason: "What is it about? (optional)", requestCall: "Request the call", callbackDone: "Thank you: we will call you.", rate: "How was the consultation?",
    comment: "A comment (optional)", rateSend: "Send the rating", rated: "Thank you for your rating.", tooBig: "This file is larger than {mb} MB: it cannot be sent.",
    uploading: "Sending {name}…", offline: "No connection: your messages will be sent when it is back.", pending: "not sent yet", delivered: "delivered", read: "read",
    close: "Close", error: "Something went wrong: {e}", passwordHint: "8 to 64 characters", claimCode: "Code from reception (if you were given one)", claimHint: "It links this account to the record the clinic already keeps for you", limit: "Files up to {mb} MB", stars: "{n} of 5", pickStars: "Tap a star", starWords: ["Very bad", "Bad", "So-so", "Good", "Excellent"], closedNote: "This consultation is closed. Writing starts a new one.",
    visitSoon: "Your visit starts in a few minutes: enter the waiting room.", videoCall: "Video call", audioCall: "Voice call", call_no_answer: "no answer", call_declined: "declined", call_cancelled: "cancelled", call_failed: "did not connect",
    newConsultation: "Ask a new question", photo: "Photo",
    visits: "Visits", records: "Prescriptions", readText: "Read the text", consentNeeded: "Accept the consents marked * to register.",
  },
  ru: {
    title: "Careline", tagline: "Врач на связи — в переписке", login: "Войти", register: "Создать аккаунт", phone: "Номер телефона", password: "Пароль",
    name: "Ваше имя", haveAccount: "У меня есть аккаунт", noAccount: "Я здесь впервые", logout: "Выйти", write: "Напишите врачу…", send: "Отправить",
    attach: "Приложить фото или файл", start: "Опишите, что вас беспокоит: врач ответит здесь.", waiting: "Ждём врача",
    withDoctor: "Врач отвечает", closed: "Консультация завершена", started: "Консультация начата", you: "Вы", doctor: "Врач",
    callback: "Заказать звонок", callbackTitle: "Мы вам перезвоним", asap: "Как можно скорее", window: "В удобное время", from: "С", until: "До",
    reason: "По какому вопросу? (необязательно)", requestCall: "Заказать звонок", callbackDone: "Спасибо: мы вам перезвоним.", rate: "Как прошла консультация?",
    comment: "Комментарий (необязательно)", rateSend: "Отправить оценку", rated: "Спасибо за оценку.", tooBig: "Файл больше {mb} МБ: его нельзя отправить.",
    uploading: "Отправляем {name}…", offline: "Нет связи: сообщения уйдут, когда она появится.", pending: "ещё не отправлено", delivered: "доставлено", read: "прочитано",
    close: "Закрыть", error: "Что-то пошло не так: {e}", passwordHint: "От 8 до 64 символов", claimCode: "Код из регистратуры (если вам его дали)", claimHint: "Соединит аккаунт с картой, которую клиника уже ведёт на вас", limit: "Файлы до {mb} МБ", stars: "{n} из 5", pickStars: "Нажмите на звезду", starWords: ["Очень плохо", "Плохо", "Так себе", "Хорошо", "Отлично"], closedNote: "Консультация завершена. Новое сообщение начнёт новую консультацию.",
    visitSoon: "Ваш приём начнётся через несколько минут: войдите в зал ожидания.", videoCall: "Видеозвонок", audioCall: "Голосовой звонок", call_no_answer: "нет ответа", call_declined: "отклонён", call_cancelled: "отменён", call_failed: "не соединился",
    newConsultation: "Задать новый вопрос", photo: "Фото",
    visits: "Приёмы", records: "Рецепты", readText: "Прочитать текст", consentNeeded: "Чтобы зарегистрироваться, примите согласия, отмеченные *.",
  },
  zh: {
    title: "Careline", tagline: "医生在线，文字问诊", login: "登录", register: "注册账号", phone: "手机号", password: "密码",
    name: "您的姓名", haveAccount: "我已有账号", noAccount: "我是新用户", logout: "退出", write: "给医生留言…", send: "发送",
    attach: "添加照片或文件", start: "请描述您的情况，医生会在这里回复。", waiting: "正在等待医生",
    withDoctor: "医生正在回复", closed: "咨询已结束", started: "咨询开始", you: "您", doctor: "医生",
    callback: "预约回电", callbackTitle: "我们会给您回电", asap: "尽快", window: "在我方便的时间", from: "从", until: "至",
    reason: "什么问题？（可选）", requestCall: "预约回电", callbackDone: "谢谢，我们会给您回电。", rate: "这次咨询怎么样？",
    comment: "留言（可选）", rateSend: "提交评价", rated: "感谢您的评价。", tooBig: "文件超过 {mb} MB，无法发送。",
    uploading: "正在发送 {name}…", offline: "网络已断开：恢复后会自动发送您的消息。", pending: "尚未发送", delivered: "已送达", read: "已读",
    close: "关闭", error: "出错了：{e}", passwordHint: "8 到 64 个字符", claimCode: "前台给您的代码（如有）", claimHint: "将此账号与诊所为您建立的档案关联", limit: "文件不超过 {mb} MB", stars: "{n} / 5", pickStars: "请点击星星评分", starWords: ["很差", "差", "一般", "好", "非常好"], closedNote: "本次咨询已结束。发送新消息将开始新的咨询。",
    visitSoon: "您的就诊即将开始，请进入候诊室。", videoCall: "视频通话", audioCall: "语音通话", call_no_answer: "无人接听", call_declined: "已拒绝", call_cancelled: "已取消", call_failed: "未接通",
    newConsultation: "提出新问题", photo: "照片",
    visits: "预约", records: "处方", readText: "阅读全文", consentNeeded: "请先同意标有 * 的条款再注册。",
  },
};

const LANG = (navigator.languages || [navigator.language || "en"]).map((l) => l.slice(0, 2).toLowerCase()).find((l) => l in WORDS) || "en";
document.documentElement.lang = LANG;
const t = (key, vars = {}) => (WORDS[LANG][key] || WORDS.en[key] || key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
const mb = Math.floor(MAX_UPLOAD / (1024 * 1024));
const timeFmt = new Intl.DateTimeFormat(LANG === "zh" ? "zh-CN" : LANG === "ru" ? "ru-RU" : "en-GB", { hour: "2-digit", minute: "2-digit" });
const dayFmt = new Intl.DateTimeFormat(LANG === "zh" ? "zh-CN" : LANG === "ru" ? "ru-RU" : "en-GB", { day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" });

// ---------------------------------------------------------------------------------------------
// State, kept small: the session, the thread, what waits to be sent.

const state = {
  token: localStorage.getItem("careline.token"),
  me: null,
  consultations: new Map(), // id → consultation
  messages: new Map(), // id → message
  outbox: JSON.parse(localStorage.getItem("careline.outbox") || "[]"), // messages written, not confirmed
  lastSeq: 0,
  online: true,
  ws: null,
  sheet: null, // "callback" | "rate" | "visits" | "book" | null
  appointments: new Map(), // id → appointment (a booked visit)
  notice: null,
  done: null, // { id, text }: what a sheet did, shown under the thread until the next action
  upload: null, // { name, loaded, total }
  receipts: { delivered: 0, read: 0 },
};
const saveOutbox = () => localStorage.setItem("careline.outbox", JSON.stringify(state.outbox));

async function call(method, path, body, raw) {
  const headers = {};
  if (state.token) headers.authorization = `Bearer ${state.token}`;
  let payload;
  if (raw) payload = body;
  else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const r = await fetch(path, { method, headers, body: payload });
  if (r.status === 401 && state.token) {
    signOut();
    throw new Error("session ended");
  }
  const text = await r.text();
  const data = text ? JSON.parse(text) : null;
  if (!r.ok) throw Object.assign(new Error(data?.message || `HTTP ${r.status}`), { code: data?.code, status: r.status });
  return data;
}

// ---------------------------------------------------------------------------------------------
// A small element builder: h("button.primary", { onclick }, "Send").

function h(spec, attrs = {}, ...children) {
  const [tag, ...classes] = spec.split(".");
  const el = document.createElement(tag);
  if (classes.length) el.className = classes.join(" ");
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

// ---------------------------------------------------------------------------------------------
// Log in or register.

function renderLogin(mode = "login", error = null) {
  const phone = h("input", { id: "phone", type: "tel", autocomplete: "tel", required: true, inputmode: "tel" });
  const password = h("input", { id: "password", type: "password", autocomplete: mode === "login" ? "current-password" : "new-password", required: true, minlength: 8, maxlength: 64, "aria-describedby": "pw-hint" });
  const name = h("input", { id: "name", autocomplete: "name", required: true });
  const claim = h("input", { id: "claim", autocomplete: "off", autocapitalize: "characters", spellcheck: "false", maxlength: 16, "aria-describedby": "claim-hint" });
  // The clinic's consents, asked on the registration form (required ones marked).
  const consents = h("div.consents", { "data-testid": "reg-consents" });
  const said = h("p.error", { role: "alert" });
  if (mode === "register") {
    call("GET", "/api/v1/consents").then((list) => {
      for (const c of list) {
        const box = h("input", { type: "checkbox", "data-id": c.id, "data-version": c.version, "data-required": c.required ? "1" : "", "data-testid": `consent-${c.key}` });
        consents.append(h("label.check", {}, box, `${c.title[LANG] || c.title.en}${c.required ? " *" : ""}`), h("details", {}, h("summary", { text: t("readText") }), h("p.muted", { text: c.text[LANG] || c.text.en })));
      }
    }, () => {});
  }
  const form = h(
    "form.card.login",
    {
      onsubmit: async (e) => {
        e.preventDefault();
        const boxes = [...consents.querySelectorAll("input")];
        if (boxes.some((b) => b.dataset.required && !b.checked)) return (said.textContent = t("consentNeeded"));
        const given = boxes.filter((b) => b.checked).map((b) => ({ id: b.dataset.id, version: Number(b.dataset.version) }));
        try {
          const r = mode === "login"
            ? await call("POST", "/api/v1/auth/login", { login: phone.value, password: password.value })
            : await call("POST", "/api/v1/clients/register", { name: name.value, phone: phone.value, password: password.value, source: "web", claim_code: claim.value.trim() || null, consents: given });
          state.token = r.token;
          localStorage.setItem("careline.token", r.token);
          await start();
        } catch (err) {
          renderLogin(mode, err.message);
        }
      },
    },
    h("h1", {}, h("img", { src: "/chat/icon.svg", alt: "", width: 32, height: 32 }), t("title")),
    h("p.muted", { text: t("tagline") }),
    mode === "register" && h("label", { for: "name" }, t("name")),
    mode === "register" && name,
    h("label", { for: "phone" }, t("phone")),
    phone,
    h("label", { for: "password" }, t("password")),
    password,
    h("small.muted", { id: "pw-hint", text: t("passwordHint") }),
    mode === "register" && h("label", { for: "claim" }, t("claimCode")),
    mode === "register" && claim,
    mode === "register" && h("small.muted", { id: "claim-hint", text: t("claimHint") }),
    mode === "register" && consents,
    said,
    error && h("p.error", { role: "alert", "data-testid": "login-error", text: error }),
    h("button.primary", { type: "submit", "data-testid": mode }, mode === "login" ? t("login") : t("register")),
    h("button.link", { type: "button", onclick: () => renderLogin(mode === "login" ? "register" : "login"), "data-testid": "switch-mode" }, mode === "login" ? t("noAccount") : t("haveAccount")),
  );
  document.getElementById("app").replaceChildren(form);
  (mode === "register" ? name : phone).focus();
}

// Log out ends the session on the server too (the token no longer works anywhere), then
// forgets it here. Offline, the token is forgotten all the same; it expires on its own.
function logOut() {
  const token = state.token;
  if (token) fetch("/api/v1/auth/logout", { method: "POST", headers: { authorization: `Bearer ${token}` } }).catch(() => {});
  signOut();
}

function signOut() {
  state.token = null;
  localStorage.removeItem("careline.token");
  state.ws?.close();
  state.ws = null;
  state.consultations.clear();
  state.messages.clear();
  renderLogin();
}

// ---------------------------------------------------------------------------------------------
// The thread.

async function start() {
  state.me = await call("GET", "/api/v1/me");
  const page = await call("GET", "/api/v1/consultations?limit=200");
  for (const c of page.items) state.consultations.set(c.id, c);
  // The whole thread (every consultation of the client), through any one of them.
  const any = [...state.consultations.keys()][0];
  if (any) {
    const msgs = await call("GET", `/api/v1/consultations/${any}/messages?thread=true&before_seq=9007199254740991&limit=200`);
    for (const m of msgs.items) keep(m);
  }
  await loadVisits();
  render();
  connect();
  flush();
  // A required consent not given (a new text, or withdrawn): asked at once.
  const mine = await call("GET", `/api/v1/clients/${state.me.user.id}/consents`).catch(() => []);
  if (mine.some((c) => c.consent.active && c.consent.required && c.state !== "accepted")) openSheet("consents");
}

async function loadVisits() {
  // Yesterday to three months ahead (the server answers at most 92 days at once).
  const now = Date.now();
  const from = new Date(now - 86400000).toISOString();
  const to = new Date(now + 90 * 86400000).toISOString();
  try {
    const list = await call("GET", `/api/v1/appointments?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    state.appointments = new Map(list.map((a) => [a.id, a]));
  } catch {
    // The chat works without them; the next event about a visit brings it.
  }
}

function keep(m) {
  state.messages.set(m.id, m);
  state.lastSeq = Math.max(state.lastSeq, m.seq);
  // Confirmed: no longer waits in the outbox.
  const before = state.outbox.length;
  state.outbox = state.outbox.filter((o) => o.client_msg_id !== m.client_msg_id);
  if (state.outbox.length !== before) saveOutbox();
}

// The consultation the composer writes to: not a booked visit's (that one opens with its visit).
const openConsultation = () => [...state.consultations.values()].find((c) => c.status !== "closed" && !c.appointment_id) || null;
// A booked visit's consultation counts as a conversation once the visit took place; one
// cancelled, declined or missed was never held: nothing to rate, nothing "closed" to reopen.
const held = (c) => !c.appointment_id || state.appointments.get(c.appointment_id)?.status === "done";
const lastClosedUnrated = () => [...state.consultations.values()].filter((c) => c.status === "closed" && c.rating === null && held(c)).sort((a, b) => (a.closed_at < b.closed_at ? 1 : -1))[0] || null;

function render() {
  const open = openConsultation();
  const list = [...state.messages.values()].filter((m) => !m.internal).sort((a, b) => a.seq - b.seq);
  const thread = h("ol.thread", { "data-testid": "thread", "aria-label": t("title") });
  let episode = null;
  for (const m of list) {
    if (m.consultation_id !== episode) {
      episode = m.consultation_id;
      const c = state.consultations.get(episode);
      thread.append(h("li.episode", { text: `${t("started")} · ${dayFmt.format(new Date(c?.created_at || m.created_at))}` }));
    }
    thread.append(bubble(m));
  }
  for (const o of state.outbox) thread.append(h("li.bubble.mine.pending", { "data-testid": "pending" }, h("p", { text: o.body }), h("small", { text: t("pending") })));
  if (list.length === 0 && state.outbox.length === 0) thread.append(h("li.empty", { text: t("start") }));

  const status = open ? (open.status === "new" ? t("waiting") : t("withDoctor")) : list.length ? t("closed") : "";
  const header = h(
    "header.top",
    {},
    h("div.who", {}, h("img", { src: "/chat/icon.svg", alt: "", width: 28, height: 28 }), h("div", {}, h("strong", { text: t("title") }), h("small", { "data-testid": "status", text: status }))),
    h("button.ghost", { type: "button", onclick: () => openSheet("visits"), "data-testid": "open-visits" }, t("visits")),
    h("button.ghost", { type: "button", onclick: () => openSheet("records"), "data-testid": "open-records" }, t("records")),
    h("button.ghost", { type: "button", onclick: () => openSheet("callback"), "data-testid": "open-callback" }, t("callback")),
    h("button.ghost", { type: "button", onclick: logOut, "aria-label": t("logout"), "data-testid": "logout" }, t("logout")),
  );
  const banner = !state.online ? h("p.banner", { role: "status", "data-testid": "offline", text: t("offline") }) : null;
  // Five minutes before a booked visit the page says so, over whatever is open.
  const soon = soonVisit();
  const soonBar = soon ? h("p.banner.soon", { role: "alert", "data-testid": "visit-soon" }, t("visitSoon"), " ", h("button.link", { type: "button", onclick: () => openSheet("visits") }, t("visits"))) : null;
  const unrated = lastClosedUnrated();
  const rateBar = !open && unrated ? h("p.rate-bar", {}, h("button.link", { type: "button", onclick: () => openSheet("rate"), "data-testid": "open-rate" }, t("rate"))) : null;
  const app = document.getElementById("app");
  const keepText = app.querySelector("#composer")?.value ?? localStorage.getItem("careline.draft") ?? "";
  // Kept in the state, not appended to the page: a live event re-renders right after the
  // answer (the rating's own consultation event did), and the confirmation would vanish.
  const done = state.done ? h("p.done", { role: "status", "data-testid": state.done.id, text: state.done.text }) : "";
  app.replaceChildren(header, banner || "", soonBar || "", h("section.scroll", { id: "scroll" }, thread, done), rateBar || "", composer(keepText), sheet());
  const scroll = document.getElementById("scroll");
  scroll.scrollTop = scroll.scrollHeight;
  receipts(list);
}

function bubble(m) {
  const mine = m.author_kind === "client";
  const li = h(`li.bubble.${mine ? "mine" : m.author_kind === "system" ? "system" : "theirs"}`, { "data-testid": "message", "data-seq": m.seq });
  if (!mine && m.author_kind !== "system") li.append(h("small.author", { text: t("doctor") }));
  if (m.attachment) li.append(attachment(m.attachment));
  if (m.body) li.append(h("p", { text: m.author_kind === "system" ? callNote(m.body) : m.body }));
  li.append(h("small.time", { text: timeFmt.format(new Date(m.created_at)) }));
  return li;
}

// The server notes a call in English ("Video call by Anna: completed (192 s)"); the page words
// it in its language. Any other note is shown as written.
function callNote(body) {
  const m = body.match(/^(Audio|Video) call by (.*): (completed|no answer|declined|cancelled|failed)(?: \((\d+) s\))?$/s);
  if (!m) return body;
  const what = t(m[1] === "Video" ? "videoCall" : "audioCall");
  const secs = Number(m[4] || 0);
  const end = m[3] === "completed" ? `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}` : t(`call_${m[3].replace(" ", "_")}`);
  return `${what} · ${m[2]} · ${end}`;
}

function attachment(a) {
  if (a.image) {
    const img = h("img.thumb", { alt: a.file_name, width: Math.round(a.image.thumb_width / 2), height: Math.round(a.image.thumb_height / 2), "data-testid": "thumbnail" });
    blobOf(`/api/v1/attachments/${a.id}/thumbnail`).then((url) => (img.src = url)).catch(() => {});
    return h("button.image", { type: "button", onclick: () => openBlob(`/api/v1/attachments/${a.id}`), "aria-label": `${t("photo")}: ${a.file_name}` }, img);
  }
  if (a.media_type.startsWith("audio/") || a.media_type.startsWith("video/")) {
    const media = h(a.media_type.startsWith("audio/") ? "audio" : "video", { controls: true, preload: "none", "data-testid": "media" });
    blobOf(`/api/v1/attachments/${a.id}`).then((url) => (media.src = url)).catch(() => {});
    return media;
  }
  return h("button.file", { type: "button", onclick: () => openBlob(`/api/v1/attachments/${a.id}`) }, `${a.file_name} · ${Math.max(1, Math.round(a.size / 1024))} KB`);
}

const blobs = new Map();
async function blobOf(path) {
  if (!blobs.has(path)) {
    blobs.set(path, (async () => {
      const r = await fetch(path, { headers: { authorization: `Bearer ${state.token}` } });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return URL.createObjectURL(await r.blob());
    })());
  }
  return blobs.get(path);
}
async function openBlob(path) {
  window.open(await blobOf(path), "_blank", "noopener");
}

function composer(text) {
  // After a closed consultation the field says what writing does: it starts a new one.
  const closed = !openConsultation() && [...state.consultations.values()].some(held);
  const input = h("textarea", { id: "composer", rows: 1, placeholder: closed ? t("newConsultation") : t("write"), "aria-label": t("write"), "data-testid": "composer" });
  input.value = text;
  input.addEventListener("input", () => localStorage.setItem("careline.draft", input.value));
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      sendText(input);
    }
  });
  const file = h("input", { type: "file", id: "file", hidden: true, accept: "image/*,audio/*,video/*,.pdf,.doc,.docx,.txt" });
  file.addEventListener("change", () => file.files[0] && sendFile(file.files[0]));
  let progress = null;
  if (state.upload) {
    // Sized through the CSSOM: the page's CSP allows no inline style attributes.
    const bar = h("i");
    bar.style.width = `${Math.round((state.upload.loaded / state.upload.total) * 100)}%`;
    progress = h("div.progress", { role: "progressbar", "aria-valuemin": 0, "aria-valuemax": state.upload.total, "aria-valuenow": state.upload.loaded, "data-testid": "progress" },
      h("span", { text: t("uploading", { name: state.upload.name }) }), bar);
  }
  return h(
    "footer.composer",
    {},
    progress || "",
    state.notice ? h("p.error", { role: "alert", "data-testid": "notice", text: state.notice }) : "",
    closed ? h("p.closed-note", { "data-testid": "closed-note", text: t("closedNote") }) : "",
    h("div.row", {},
      h("button.icon", { type: "button", onclick: () => file.click(), "aria-label": t("attach"), title: `${t("attach")} · ${t("limit", { mb })}`, "data-testid": "attach" }, "+"),
      input,
      h("button.primary", { type: "button", onclick: () => sendText(input), "data-testid": "send" }, t("send"))),
    file,
  );
}

async function sendText(input) {
  const body = input.value.trim();
  if (!body) return;
  input.value = "";
  localStorage.removeItem("careline.draft");
  state.outbox.push({ client_msg_id: crypto.randomUUID(), kind: "text", body });
  state.done = null;
  saveOutbox();
  render();
  await flush();
}

async function sendFile(f) {
  state.notice = null;
  if (f.size > MAX_UPLOAD) {
    state.notice = t("tooBig", { mb });
    return render();
  }
  state.upload = { name: f.name, loaded: 0, total: f.size };
  render();
  try {
    const a = await new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      x.open("POST", `/api/v1/attachments?name=${encodeURIComponent(f.name)}`);
      x.setRequestHeader("authorization", `Bearer ${state.token}`);
      x.setRequestHeader("content-type", f.type || "application/octet-stream");
      x.upload.onprogress = (e) => {
        state.upload.loaded = e.loaded;
        const bar = document.querySelector(".progress i");
        if (bar) bar.style.width = `${Math.round((e.loaded / f.size) * 100)}%`;
      };
      x.onload = () => (x.status < 300 ? resolve(JSON.parse(x.responseText)) : reject(new Error(JSON.parse(x.responseText || "{}").message || `HTTP ${x.status}`)));
      x.onerror = () => reject(new Error("network"));
      x.send(f);
    });
    const kind = a.media_type.startsWith("image/") ? "image" : a.media_type.startsWith("audio/") ? "audio" : a.media_type.startsWith("video/") ? "video" : "file";
    state.outbox.push({ client_msg_id: crypto.randomUUID(), kind, body: "", attachment_id: a.id, label: f.name });
    saveOutbox();
  } catch (e) {
    state.notice = t("error", { e: e.message });
  }
  state.upload = null;
  render();
  await flush();
}

// Sends what waits, in order, each under its own id: a retry never makes a second message.
let flushing = false;
async function flush() {
  if (flushing || !state.token) return;
  flushing = true;
  try {
    while (state.outbox.length) {
      const o = state.outbox[0];
      let open = openConsultation();
      if (!open) {
        // The first text opens the consultation (and is its subject); sent again below under
        // the same id, it is answered with the message stored, not stored twice.
        const r = await call("POST", "/api/v1/consultations", { kind: "chat", text: o.kind === "text" ? o.body : null, client_msg_id: o.kind === "text" ? o.client_msg_id : null });
        state.consultations.set(r.consultation.id, r.consultation);
        open = r.consultation;
      }
      const stored = await call("POST", `/api/v1/consultations/${open.id}/messages`, { client_msg_id: o.client_msg_id, kind: o.kind, body: o.body, attachment_id: o.attachment_id || null });
      keep(stored);
      if (state.outbox[0] === o) {
        state.outbox.shift();
        saveOutbox();
      }
      setOnline(true);
      render();
    }
  } catch (e) {
    if (e.status && e.status < 500) {
      // Refused for good (too long, not allowed): say so, drop it.
      state.notice = t("error", { e: e.message });
      state.outbox.shift();
      saveOutbox();
      render();
    } else {
      setOnline(false);
    }
  } finally {
    flushing = false;
  }
}

function setOnline(on) {
  if (state.online !== on) {
    state.online = on;
    render();
  }
}

// Delivery and read receipts for the doctor's messages shown (the page is in front: read).
function receipts(list) {
  const theirs = list.filter((m) => m.author_kind !== "client");
  const last = theirs[theirs.length - 1];
  const open = openConsultation() || state.consultations.get(last?.consultation_id);
  if (!last || !open) return;
  if (last.seq > state.receipts.delivered) {
    state.receipts.delivered = last.seq;
    call("POST", `/api/v1/consultations/${last.consultation_id}/delivered`, { seq: last.seq }).catch(() => {});
  }
  if (document.visibilityState === "visible" && last.seq > state.receipts.read) {
    state.receipts.read = last.seq;
    call("POST", `/api/v1/consultations/${last.consultation_id}/read`, { seq: last.seq }).catch(() => {});
  }
}
document.addEventListener("visibilitychange", () => state.me && render());

// ---------------------------------------------------------------------------------------------
// Live: the WebSocket, resumed after the last event seen; reconnects with backoff.

let retry = 500;
function connect() {
  if (!state.token) return;
  const proto = location.protocol === "https:" ? "wss" : "ws";
  // The token goes in the first frame, never in the URL (proxies log request lines).
  const ws = new WebSocket(`${proto}://${location.host}/api/v1/ws`);
  state.ws = ws;
  // The calls' module signals on it.
  window.carelineSocket = ws;
  ws.onopen = () => ws.send(JSON.stringify({ token: state.token, resume: state.lastSeq }));
  ws.onmessage = (e) => {
    const ev = JSON.parse(e.data);
    if (ev.control === "live") {
      retry = 500;
      setOnline(true);
      flush();
      return;
    }
    if (ev.control === "resync_required") {
      location.reload();
      return;
    }
    if (typeof ev.seq === "number") state.lastSeq = Math.max(state.lastSeq, ev.seq);
    if (ev.kind === "message") keep(ev.data);
    else if (ev.kind === "consultation") state.consultations.set(ev.data.id, ev.data);
    else if (ev.kind === "appointment") state.appointments.set(ev.data.id, ev.data);
    else if (ev.kind === "call" || (typeof ev.type === "string" && ev.type.startsWith("call."))) return toCalls(ev);
    else if (ev.kind === "prescription" || ev.kind === "refund") {
      if (!records) return;
      records.receive(ev);
    }
    else return;
    // A form being filled in is not drawn again under the patient's fingers.
    if (state.sheet !== "book" && state.sheet !== "callback") render();
  };
  ws.onclose = () => {
    if (state.ws !== ws || !state.token) return;
    setOnline(false);
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 15000);
  };
}
window.addEventListener("online", () => flush());

// ---------------------------------------------------------------------------------------------
// Sheets: request a callback, rate a closed consultation.

function openSheet(which) {
  state.sheet = which;
  state.done = null;
  render();
  document.querySelector(".sheet input, .sheet textarea, .sheet button")?.focus();
}

function sheet() {
  if (!state.sheet) return "";
  const close = () => {
    state.sheet = null;
    render();
  };
  const body =
    state.sheet === "callback" ? callbackForm(close)
    : state.sheet === "visits" || state.sheet === "book" ? visitsSheet(state.sheet, close)
    : state.sheet === "records" || state.sheet === "consents" ? recordsSheet(close)
    : rateForm(close);
  const wrap = h("div.overlay", { onclick: (e) => e.target === e.currentTarget && close() }, h("div.sheet", { role: "dialog", "aria-modal": "true", "aria-labelledby": "sheet-title" }, body));
  wrap.addEventListener("keydown", (e) => e.key === "Escape" && close());
  return wrap;
}

function callbackForm(close) {
  const when = h("input", { type: "checkbox", id: "cb-window" });
  const from = h("input", { type: "datetime-local", id: "cb-from" });
  const until = h("input", { type: "datetime-local", id: "cb-until" });
  const reason = h("textarea", { id: "cb-reason", rows: 2, "data-testid": "cb-reason" });
  const times = h("div.times", { hidden: true }, h("label", { for: "cb-from" }, t("from")), from, h("label", { for: "cb-until" }, t("until")), until);
  when.addEventListener("change", () => (times.hidden = !when.checked));
  const error = h("p.error", { role: "alert" });
  return h(
    "form",
    {
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await call("POST", "/api/v1/callbacks", {
            phone: state.me.client?.phone || state.me.user.name,
            preferred_at: when.checked && from.value ? new Date(from.value).toISOString() : null,
            preferred_until: when.checked && until.value ? new Date(until.value).toISOString() : null,
            reason: reason.value.trim() || null,
          });
          state.sheet = null;
          state.notice = null;
          state.done = { id: "callback-done", text: t("callbackDone") };
          render();
        } catch (err) {
          error.textContent = err.message;
        }
      },
    },
    h("h2", { id: "sheet-title", text: t("callbackTitle") }),
    h("p.muted", { text: state.me.client?.phone || "" }),
    h("label.check", {}, when, t("window")),
    times,
    h("label", { for: "cb-reason" }, t("reason")),
    reason,
    error,
    h("div.buttons", {}, h("button", { type: "button", onclick: close }, t("close")), h("button.primary", { type: "submit", "data-testid": "cb-send" }, t("requestCall"))),
  );
}

function rateForm(close) {
  const c = lastClosedUnrated();
  let score = 0;
  const stars = h("div.stars", { role: "radiogroup", "aria-label": t("rate") });
  // Nothing is chosen until the client taps: no star is lit, and the rating cannot be sent.
  const said = h("p.stars-said", { "data-testid": "stars-said", text: t("pickStars") });
  const send = h("button.primary", { type: "submit", disabled: true, "data-testid": "rate-send" }, t("rateSend"));
  const paint = () => {
    stars.querySelectorAll("button").forEach((b, i) => b.setAttribute("aria-checked", String(i < score)));
    said.textContent = score ? (WORDS[LANG].starWords || WORDS.en.starWords)[score - 1] : t("pickStars");
    send.disabled = !score;
  };
  for (let n = 1; n <= 5; n++) {
    stars.append(h("button", { type: "button", role: "radio", "aria-label": t("stars", { n }), "aria-checked": "false", "data-testid": `star-${n}`, onclick: () => ((score = n), paint()) }, "★"));
  }
  const comment = h("textarea", { id: "rate-comment", rows: 2, "data-testid": "rate-comment" });
  const error = h("p.error", { role: "alert" });
  return h(
    "form",
    {
      onsubmit: async (e) => {
        e.preventDefault();
        if (!score || !c) return;
        try {
          const r = await call("POST", `/api/v1/consultations/${c.id}/rating`, { score, comment: comment.value.trim() || null });
          state.consultations.set(c.id, r);
          state.done = { id: "rated", text: t("rated") };
          close();
        } catch (err) {
          error.textContent = err.message;
        }
      },
    },
    h("h2", { id: "sheet-title", text: t("rate") }),
    stars,
    said,
    h("label", { for: "rate-comment" }, t("comment")),
    comment,
    error,
    h("div.buttons", {}, h("button", { type: "button", onclick: close }, t("close")), send),
  );
}

// ---------------------------------------------------------------------------------------------
// Visits live in their own module (visits.js), loaded the first time they are opened: the chat's
// first load stays small.

let visits = null;
function visitsSheet(which, close) {
  if (visits) return which === "book" ? visits.bookForm(close) : visits.visitsList(close);
  import("/chat/visits.js").then((m) => {
    visits = m.start({ h, call, t, state, render, openSheet, timeFmt, LANG, loadCalls });
    render();
  }, (err) => {
    state.sheet = null;
    state.notice = err.message;
    render();
  });
  return h("p.muted", { text: "…" });
}

// Prescriptions and refunds live in their own module (records.js), loaded when first opened;
// until then their events are not needed (opening asks the server for the current list).
let records = null;
function recordsSheet(close) {
  if (records) return state.sheet === "consents" ? records.consentsSheet(close) : records.recordsSheet(close);
  import("/chat/records.js").then((m) => {
    document.head.append(h("link", { rel: "stylesheet", href: "/chat/records.css" }));
    records = m.start({ h, call, t, state, render, LANG, dayFmt });
    render();
  }, (err) => {
    state.sheet = null;
    state.notice = err.message;
    render();
  });
  return h("p.muted", { text: "…" });
}

// Calls live in their own module (call.js), loaded when the first one rings: what comes for
// calls meanwhile waits for it (the doctor's offer comes with the ring).
let calls = null;
let callsLoading = null;
let callInbox = [];
const loadCalls = () =>
  (callsLoading ||= import("/chat/call.js").then((m) => {
    document.head.append(h("link", { rel: "stylesheet", href: "/chat/call.css" }));
    calls = m.patientCalls({ call, stopCheck: () => visits?.stopCheck() });
    for (const ev of callInbox) calls.receive(ev);
    callInbox = [];
    return m;
  }));
function toCalls(ev) {
  if (calls) return calls.receive(ev);
  // An old call replayed on reconnecting loads nothing.
  if (ev.kind === "call" && ev.data.state !== "ringing" && callInbox.length === 0) return;
  callInbox = [...callInbox.slice(-199), ev];
  loadCalls().catch(() => (callsLoading = null));
}

// A booked visit's countdown moves on its own.
setInterval(() => state.sheet === "visits" && render(), 30000);
const soonVisit = () => [...state.appointments.values()].find((a) => a.status === "booked" && Date.parse(a.starts_at) - Date.now() <= 300000 && Date.parse(a.ends_at) > Date.now());
// The reminder comes and goes on its own (not while a form is being filled in).
setInterval(() => !state.sheet && !!soonVisit() !== !!document.querySelector("[data-testid=visit-soon]") && render(), 10000);

// ---------------------------------------------------------------------------------------------

document.title = t("title");
if (state.token) start().catch(() => signOut()).finally(() => performance.mark("careline-ready"));
else {
  renderLogin();
  performance.mark("careline-ready");
}
