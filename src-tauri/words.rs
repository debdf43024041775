//! The few words the Rust side shows itself (notification titles, the tray), in the
//! interface's language; the UI has its own dictionary for everything else.

use careline_core::desk::Kind;

/// `ru`, `zh` or `en`: `CARELINE_LANG` if set, else the system's language.
pub fn system_language() -> String {
    let wanted = std::env::var("CARELINE_LANG").ok().or_else(|| {
        ["LC_ALL", "LC_MESSAGES", "LANG"].iter().find_map(|k| {
            std::env::var(k)
                .ok()
                .filter(|v| !v.is_empty() && v != "C" && v != "POSIX")
        })
    });
    normalize(wanted.as_deref().unwrap_or("en"))
}

pub fn normalize(tag: &str) -> String {
    let t = tag.to_ascii_lowercase();
    if t.starts_with("ru") {
        "ru".into()
    } else if t.starts_with("zh") {
        "zh".into()
    } else {
        "en".into()
    }
}

/// A notification's title: the kind, with the count of a coalesced burst.
pub fn title(lang: &str, kind: Kind, count: usize) -> String {
    let (one, many) = match (lang, kind) {
        ("ru", Kind::NewQueueItem) => (
            "Новая консультация в очереди",
            "Новых консультаций в очереди",
        ),
        ("ru", Kind::NewCallback) => ("Новая заявка на звонок", "Новых заявок на звонок"),
        ("ru", Kind::NewMessage) => ("Новое сообщение", "Новых сообщений"),
        ("ru", Kind::TransferredToMe) => ("Вам передана консультация", "Вам передано консультаций"),
        ("ru", Kind::CallbackDueSoon) => ("Скоро звонок клиенту", "Скоро звонков"),
        ("ru", Kind::CallbackOverdue) => ("Звонок просрочен", "Просрочено звонков"),
        ("ru", Kind::LongWait) => ("Клиент долго ждёт", "Долго ждут клиентов"),
        ("ru", Kind::AssignedToMe) => ("Вам назначена консультация", "Вам назначено консультаций"),
        ("ru", Kind::WebhookPaused) => (
            "Вебхук приостановлен: адрес не отвечает",
            "Вебхуков приостановлено",
        ),
        ("ru", Kind::SlaBreach) => ("Нарушен срок ответа (SLA)", "Нарушений SLA"),
        ("ru", Kind::VisitSoon) => ("Приём через 5 минут", "Приёмов через 5 минут"),
        ("ru", Kind::PatientWaiting) => ("Пациент в зале ожидания", "Пациентов ждут"),
        ("ru", Kind::VisitLate) => (
            "Приём начался 10 минут назад, звонка нет",
            "Приёмов без звонка",
        ),
        ("ru", Kind::PrescriptionToReview) => ("Рецепт ждёт проверки", "Рецептов ждут проверки"),
        ("ru", Kind::PrescriptionApproved) => ("Рецепт одобрен", "Рецептов одобрено"),
        ("ru", Kind::PrescriptionRejected) => ("Рецепт отклонён провизором", "Рецептов отклонено"),
        ("ru", Kind::RefundRequested) => ("Запрошен возврат", "Запрошено возвратов"),
        ("ru", Kind::RedFlag) => (
            "Красный флаг: срочно возьмите консультацию",
            "Красных флагов в очереди",
        ),
        ("zh", Kind::NewQueueItem) => ("队列中有新咨询", "队列中的新咨询"),
        ("zh", Kind::NewCallback) => ("新的回电请求", "新的回电请求"),
        ("zh", Kind::NewMessage) => ("新消息", "新消息"),
        ("zh", Kind::TransferredToMe) => ("咨询已转给您", "转给您的咨询"),
        ("zh", Kind::CallbackDueSoon) => ("即将回电", "即将回电"),
        ("zh", Kind::CallbackOverdue) => ("回电已逾期", "逾期回电"),
        ("zh", Kind::LongWait) => ("客户等待过久", "等待过久的客户"),
        ("zh", Kind::AssignedToMe) => ("有咨询分配给您", "分配给您的咨询"),
        ("zh", Kind::WebhookPaused) => ("Webhook 已暂停：地址无响应", "已暂停的 Webhook"),
        ("zh", Kind::SlaBreach) => ("已超出响应时限（SLA）", "超出 SLA 的项目"),
        ("zh", Kind::VisitSoon) => ("5 分钟后有预约就诊", "5 分钟后的就诊"),
        ("zh", Kind::PatientWaiting) => ("患者已在候诊室", "候诊中的患者"),
        ("zh", Kind::VisitLate) => ("就诊已开始 10 分钟，仍未通话", "未开始通话的就诊"),
        ("zh", Kind::PrescriptionToReview) => ("有处方待审核", "待审核的处方"),
        ("zh", Kind::PrescriptionApproved) => ("处方审核通过", "审核通过的处方"),
        ("zh", Kind::PrescriptionRejected) => ("处方审核未通过", "未通过的处方"),
        ("zh", Kind::RefundRequested) => ("有新的退款申请", "退款申请"),
        ("zh", Kind::RedFlag) => ("危急信号：请立即接诊", "队列中的危急信号"),
        (_, Kind::NewQueueItem) => (
            "New consultation in the queue",
            "new consultations in the queue",
        ),
        (_, Kind::NewCallback) => ("New callback request", "new callback requests"),
        (_, Kind::NewMessage) => ("New message", "new messages"),
        (_, Kind::TransferredToMe) => (
            "A consultation was transferred to you",
            "consultations transferred to you",
        ),
        (_, Kind::CallbackDueSoon) => ("Callback due soon", "callbacks due soon"),
        (_, Kind::CallbackOverdue) => ("Callback overdue", "callbacks overdue"),
        (_, Kind::LongWait) => ("A client is waiting long", "clients waiting long"),
        (_, Kind::AssignedToMe) => (
            "A consultation was assigned to you",
            "consultations assigned to you",
        ),
        (_, Kind::WebhookPaused) => (
            "A webhook was paused: its address keeps failing",
            "webhooks paused",
        ),
        (_, Kind::SlaBreach) => ("SLA breached", "SLA breaches"),
        (_, Kind::VisitSoon) => ("A visit starts in 5 minutes", "visits start in 5 minutes"),
        (_, Kind::PatientWaiting) => ("A patient is in the waiting room", "patients waiting"),
        (_, Kind::VisitLate) => (
            "A visit began 10 minutes ago with no call",
            "visits without a call",
        ),
        (_, Kind::PrescriptionToReview) => (
            "A prescription waits for your review",
            "prescriptions wait for review",
        ),
        (_, Kind::PrescriptionApproved) => {
            ("Your prescription was approved", "prescriptions approved")
        }
        (_, Kind::PrescriptionRejected) => (
            "Your prescription was rejected by the pharmacist",
            "prescriptions rejected",
        ),
        (_, Kind::RefundRequested) => ("A refund was requested", "refunds requested"),
        (_, Kind::RedFlag) => (
            "Red flag: take this consultation now",
            "red flags in the queue",
        ),
    };
    match (count, lang) {
        (0 | 1, _) => one.to_owned(),
        (n, "ru") => format!("{many}: {n}"),
        (n, "zh") => format!("{many}：{n}"),
        (n, _) => format!("{n} {many}"),
    }
}

/// The tray's tooltip.
pub fn tray(lang: &str, queue: i64, unread: i64, callbacks: i64) -> String {
    match lang {
        "ru" => {
            format!("Careline — в очереди: {queue}, непрочитанных: {unread}, звонков: {callbacks}")
        }
        "zh" => format!("Careline — 队列：{queue}，未读：{unread}，回电：{callbacks}"),
        _ => format!("Careline — {queue} in queue, {unread} unread, {callbacks} callbacks due"),
    }
}

pub fn menu(lang: &str) -> (&'static str, &'static str) {
    match lang {
        "ru" => ("Показать окно", "Выйти"),
        "zh" => ("显示窗口", "退出"),
        _ => ("Show window", "Quit"),
    }
}

/// The label of a notification's default action (most servers show it as the click itself);
/// only Linux notifications carry one (see `shell.rs`).
#[cfg(target_os = "linux")]
pub fn open(lang: &str) -> &'static str {
    match lang {
        "ru" => "Открыть",
        "zh" => "打开",
        _ => "Open",
    }
}

/// Text as a freedesktop notification body shows it literally: the body is markup (a subset of
/// HTML) on notification servers that support it, so `&`, `<` and `>` are escaped.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_patients_text_is_never_drawn_as_markup() {
        assert_eq!(
            super::escape_markup("<a href=\"http://x\">Нажмите</a> & <b>жирный</b>"),
            "&lt;a href=\"http://x\"&gt;Нажмите&lt;/a&gt; &amp; &lt;b&gt;жирный&lt;/b&gt;"
        );
        assert_eq!(
            super::escape_markup("боль в груди 胸痛"),
            "боль в груди 胸痛"
        );
    }

    use super::*;

    #[test]
    fn titles_count_bursts_in_each_language() {
        assert_eq!(
            title("en", Kind::NewQueueItem, 1),
            "New consultation in the queue"
        );
        assert_eq!(
            title("en", Kind::NewQueueItem, 5),
            "5 new consultations in the queue"
        );
        assert_eq!(
            title("ru", Kind::NewCallback, 3),
            "Новых заявок на звонок: 3"
        );
        assert_eq!(title("zh", Kind::NewMessage, 2), "新消息：2");
        assert_eq!(normalize("ru_RU.UTF-8"), "ru");
        assert_eq!(normalize("zh_CN.UTF-8"), "zh");
        assert_eq!(normalize("de_DE"), "en");
    }
}
