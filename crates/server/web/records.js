// Careline's web page, the patient's records: prescriptions the pharmacist approved (a printable
// view; the browser's print dialog also saves it as a PDF), and refunds — asked for here, with
// how each was decided. Loaded by app.js the first time they are opened; it draws with app.js's
// own helpers, handed over by `start`.

const WORDS = {
  en: {
    recordsTitle: "Prescriptions and refunds", noPrescriptions: "No prescriptions yet: an approved one appears here.", prescription: "Prescription",
    approved: "Approved by the pharmacist", cancelledRx: "Cancelled by the doctor", print: "Print or save as PDF", doctorRx: "Doctor: {name}", pharmacist: "Pharmacist: {name}",
    dose: "Dose", frequency: "How often", duration: "For how long", quantity: "Quantity", refunds: "Refunds", noRefunds: "No refunds asked for.",
    askRefund: "Ask for a refund", consultation: "Consultation", amount: "Amount", why: "Why", send: "Send the request", requested: "Asked for, waiting for a decision",
    refundApproved: "Approved: the money is returned", refundRejected: "Refused", refundAsked: "The request is sent: we will tell you the decision here.", back: "Back",
    issued: "Issued {when}", notUse: "Do not use this prescription.",
    consents: "Consents", consentsAsk: "Please read and accept: the clinic needs this to go on.", accepted: "Accepted (version {v})", withdrawn: "Withdrawn",
    outdated: "The text changed: accept it again", never: "Not given", accept: "Accept", withdraw: "Withdraw", readText: "Read the text", required: "required",
  },
  ru: {
    recordsTitle: "Рецепты и возвраты", noPrescriptions: "Рецептов пока нет: одобренный рецепт появится здесь.", prescription: "Рецепт",
    approved: "Одобрен провизором", cancelledRx: "Отменён врачом", print: "Распечатать или сохранить в PDF", doctorRx: "Врач: {name}", pharmacist: "Провизор: {name}",
    dose: "Доза", frequency: "Как часто", duration: "Сколько", quantity: "Количество", refunds: "Возвраты", noRefunds: "Вы не запрашивали возвратов.",
    askRefund: "Запросить возврат", consultation: "Консультация", amount: "Сумма", why: "Причина", send: "Отправить запрос", requested: "Запрошен, ждёт решения",
    refundApproved: "Одобрен: деньги вернутся", refundRejected: "Отказано", refundAsked: "Запрос отправлен: решение появится здесь.", back: "Назад",
    issued: "Выписан {when}", notUse: "Не используйте этот рецепт.",
    consents: "Согласия", consentsAsk: "Пожалуйста, прочитайте и примите: без этого клиника не может продолжить.", accepted: "Принято (редакция {v})", withdrawn: "Отозвано",
    outdated: "Текст изменился: примите его снова", never: "Не дано", accept: "Принять", withdraw: "Отозвать", readText: "Прочитать текст", required: "обязательно",
  },
  zh: {
    recordsTitle: "处方与退款", noPrescriptions: "暂无处方：审核通过的处方会显示在这里。", prescription: "处方",
    approved: "药师审核通过", cancelledRx: "医生已作废", print: "打印或保存为 PDF", doctorRx: "医生：{name}", pharmacist: "药师：{name}",
    dose: "用量", frequency: "频次", duration: "疗程", quantity: "数量", refunds: "退款", noRefunds: "您没有申请过退款。",
    askRefund: "申请退款", consultation: "咨询", amount: "金额", why: "原因", send: "提交申请", requested: "已申请，等待处理",
    refundApproved: "已批准：款项将退回", refundRejected: "已拒绝", refundAsked: "申请已提交，处理结果会显示在这里。", back: "返回",
    issued: "开具于 {when}", notUse: "请勿使用此处方。",
    consents: "同意书", consentsAsk: "请阅读并同意：诊所需要您的同意才能继续。", accepted: "已同意（第 {v} 版）", withdrawn: "已撤回",
    outdated: "条款已更新：请重新同意", never: "未同意", accept: "同意", withdraw: "撤回", readText: "阅读全文", required: "必需",
  },
};

let h, call, t, state, render, LANG, dayFmt;
const prescriptions = new Map();
const refunds = new Map();
let consents = [];
let loaded = false;

export function start(ctx) {
  ({ h, call, state, render, LANG, dayFmt } = ctx);
  const base = ctx.t;
  t = (key, vars = {}) => {
    const w = WORDS[LANG]?.[key] ?? WORDS.en[key];
    return w === undefined ? base(key, vars) : w.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
  };
  load();
  return { recordsSheet, consentsSheet, receive };
}

async function load() {
  try {
    const [rx, rf] = await Promise.all([call("GET", "/api/v1/prescriptions"), call("GET", "/api/v1/refunds"), loadConsents()]);
    for (const p of rx) prescriptions.set(p.id, p);
    for (const r of rf) refunds.set(r.id, r);
  } finally {
    loaded = true;
    if (state.sheet === "records" || state.sheet === "consents") render();
  }
}

async function loadConsents() {
  consents = await call("GET", `/api/v1/clients/${state.me.user.id}/consents`);
}

/** An event of a prescription or a refund (the server sends the client only approved and
 * cancelled prescriptions, and its own refunds). */
export function receive(ev) {
  if (ev.kind === "prescription") prescriptions.set(ev.data.id, ev.data);
  else if (ev.kind === "refund") refunds.set(ev.data.id, ev.data);
}

const money = (minor, currency) => new Intl.NumberFormat(LANG, { style: "currency", currency }).format(minor / 100);

function prescriptionCard(p) {
  const cancelled = p.status === "cancelled";
  const card = h(
    "article.rx",
    { "data-testid": "prescription", "data-status": p.status },
    h("header", {}, h("strong", { text: `℞ ${t("prescription")}` }), h("span.rx-badge", { text: cancelled ? t("cancelledRx") : t("approved") })),
    h("p.muted", { text: `${t("issued", { when: dayFmt.format(new Date(p.reviewed_at || p.updated_at)) })} · ${t("doctorRx", { name: p.prescriber_name })}` }),
  );
  const list = h("ol.rx-items");
  for (const i of p.items) {
    list.append(
      h(
        "li",
        {},
        h("b", { text: i.medication }),
        " ",
        h("span.muted", { text: [i.form, i.strength].filter(Boolean).join(", ") }),
        h("p", { text: `${t("dose")}: ${i.dose}${i.route ? `, ${i.route}` : ""} · ${t("frequency")}: ${i.frequency} · ${t("duration")}: ${i.duration} · ${t("quantity")}: ${i.quantity}` }),
        i.instructions ? h("p.muted", { text: i.instructions }) : "",
      ),
    );
  }
  card.append(list);
  if (p.note) card.append(h("p.rx-note", { text: p.note }));
  if (p.reviewer_name) card.append(h("p.muted", { text: t("pharmacist", { name: p.reviewer_name }) }));
  if (cancelled) card.append(h("p.error", { text: `${t("notUse")} ${p.reason || ""}` }));
  else
    card.append(
      h("button.ghost.no-print", {
        type: "button",
        "data-testid": "print-prescription",
        onclick: () => {
          // Only this prescription is printed: the page's print style shows the marked one.
          document.querySelectorAll(".rx.printing").forEach((e) => e.classList.remove("printing"));
          card.classList.add("printing");
          document.body.classList.add("print-rx");
          window.print();
        },
      }, t("print")),
    );
  return card;
}

const refundWords = { requested: "requested", approved: "refundApproved", rejected: "refundRejected" };

function refundForm(close) {
  // Consultations that cost something and took place.
  const paid = [...state.consultations.values()].filter((c) => c.price > 0).sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  const back = h("button", { type: "button", onclick: close }, t("back"));
  if (paid.length === 0) return h("div.buttons.no-print", {}, back);
  const which = h("select", { id: "rf-which", "data-testid": "rf-which" });
  for (const c of paid) which.append(h("option", { value: c.id }, `${dayFmt.format(new Date(c.created_at))} · ${money(c.price, c.currency)}`));
  const amount = h("input", { id: "rf-amount", inputmode: "decimal", "data-testid": "rf-amount", value: String(paid[0].price / 100) });
  which.addEventListener("change", () => {
    const c = state.consultations.get(which.value);
    if (c) amount.value = String(c.price / 100);
  });
  const reason = h("textarea", { id: "rf-why", rows: 2, "data-testid": "rf-why" });
  const error = h("p.error", { role: "alert" });
  return h(
    "form.rf-form.no-print",
    {
      onsubmit: async (e) => {
        e.preventDefault();
        error.textContent = "";
        try {
          const minor = Math.round(Number(amount.value.replace(",", ".")) * 100);
          const r = await call("POST", `/api/v1/consultations/${which.value}/refunds`, { amount: minor, reason: reason.value.trim() });
          refunds.set(r.id, r);
          state.done = { id: "refund-asked", text: t("refundAsked") };
          render();
        } catch (err) {
          error.textContent = err.message;
        }
      },
    },
    h("h3", { text: t("askRefund") }),
    h("label", { for: "rf-which" }, t("consultation")),
    which,
    h("label", { for: "rf-amount" }, t("amount")),
    amount,
    h("label", { for: "rf-why" }, t("why")),
    reason,
    error,
    h("div.buttons.no-print", {}, back, h("button.primary", { type: "submit", "data-testid": "rf-send" }, t("send"))),
  );
}

export function recordsSheet(close) {
  const rx = [...prescriptions.values()].filter((p) => p.status === "approved" || p.status === "cancelled").sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1));
  const rf = [...refunds.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  const body = h("div.records", { "data-testid": "records" }, h("h2", { id: "sheet-title", text: t("recordsTitle") }));
  if (!loaded) body.append(h("p.muted", { text: "…" }));
  else if (rx.length === 0) body.append(h("p.muted", { "data-testid": "no-prescriptions", text: t("noPrescriptions") }));
  for (const p of rx) body.append(prescriptionCard(p));
  body.append(h("h3.no-print", { text: t("refunds") }));
  if (loaded && rf.length === 0) body.append(h("p.muted.no-print", { text: t("noRefunds") }));
  for (const r of rf) {
    body.append(
      h(
        "div.refund.no-print",
        { "data-testid": "refund", "data-status": r.status },
        h("b", { text: money(r.amount, r.currency) }),
        " ",
        h("span.rx-badge", { text: t(refundWords[r.status]) }),
        h("p.muted", { text: `${dayFmt.format(new Date(r.created_at))} · ${r.reason || ""}` }),
        r.decision_note ? h("p", { text: r.decision_note }) : "",
      ),
    );
  }
  body.append(h("button.link.no-print", { type: "button", "data-testid": "open-consents", onclick: () => ((state.sheet = "consents"), render()) }, t("consents")));
  body.append(refundForm(close));
  return body;
}

const local = (l) => l[LANG] || l.en;

/** The clinic's consents and where the patient stands with each: one tap accepts the text as it
 * is now, one tap withdraws. Opened by itself at login when a required one is missing. */
export function consentsSheet(close) {
  const missing = consents.some((c) => c.consent.active && c.consent.required && c.state !== "accepted");
  const body = h("div.records", { "data-testid": "consents" }, h("h2", { id: "sheet-title", text: t("consents") }));
  if (missing) body.append(h("p.banner", { role: "alert", text: t("consentsAsk") }));
  for (const c of consents) {
    const error = h("p.error", { role: "alert" });
    const act = (what) => async () => {
      try {
        await call("POST", `/api/v1/consents/${c.consent.id}/${what}`, { version: c.consent.version });
        await loadConsents();
        render();
      } catch (err) {
        error.textContent = err.message;
      }
    };
    const stateText = c.state === "accepted" ? t("accepted", { v: c.consent.version }) : t(c.state);
    body.append(
      h(
        "div.consent",
        { "data-testid": "consent", "data-key": c.consent.key, "data-state": c.state },
        h("b", { text: local(c.consent.title) }),
        c.consent.required ? h("span.muted", { text: ` · ${t("required")}` }) : "",
        h("p.muted", { text: stateText }),
        h("details", {}, h("summary", { text: t("readText") }), h("p", { text: local(c.consent.text) })),
        c.state === "accepted"
          ? h("button", { type: "button", "data-testid": "consent-withdraw", onclick: act("withdraw") }, t("withdraw"))
          : c.consent.active
            ? h("button.primary", { type: "button", "data-testid": "consent-accept", onclick: act("accept") }, t("accept"))
            : "",
        error,
      ),
    );
  }
  body.append(h("div.buttons", {}, h("button", { type: "button", onclick: close }, t("back"))));
  return body;
}
