//! Prescriptions in the real window: the doctor writes one from the chat (the check before
//! submit marks what is missing), the pharmacist's desk — the review queue and nothing else —
//! rejects it with a reason, the doctor revises it seeing that reason, the pharmacist approves
//! it, and the patient can read it. An admin decides a refund in the Refunds section.

use super::*;

/// The demo's consultation of Anna's that has a prescription under review, and its client's
/// name.
async fn annas_consultation(http: &reqwest::Client, base: &str) -> (String, String) {
    let (_, pia) = operator_session(base, "pia").await;
    let queue = get_json(
        http,
        &format!("{base}/api/v1/prescriptions?status=submitted"),
        &pia,
    )
    .await;
    let c = queue[0]["consultation_id"].as_str().unwrap().to_owned();
    let client = queue[0]["client_id"].as_str().unwrap().to_owned();
    let (_, admin) = operator_session(base, "admin").await;
    let profile = get_json(http, &format!("{base}/api/v1/clients/{client}"), &admin).await;
    (c, profile["name"].as_str().unwrap().to_owned())
}

async fn open_chat(d: &Driver, client: &str) {
    d.wait_text("[data-testid=section-consultations]", "", 30)
        .await;
    d.click("[data-testid=view-mine]", "").await;
    d.click("[data-testid=consultation-row]", client).await;
    d.wait_text("[data-testid=clinical-strip]", "", 15).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session, tauri-driver and WebKitWebDriver: scripts/test.sh runs it"]
async fn a_prescription_goes_from_the_doctor_to_the_pharmacist_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let (_state, server) = testing::demo(dir.path()).await;
    let base = server.url.clone();
    let http = reqwest::Client::new();
    let (consultation, client) = annas_consultation(&http, &base).await;

    // The doctor writes it; the check stops an incomplete one and marks the field.
    let env = demo_desk(&dir.path().join("anna"), &base, "anna", "ru", &[]);
    let d = Driver::start(&app_binary(), &env).await;
    open_chat(&d, &client).await;
    d.wait_text("[data-testid=rx-chip]", "На проверке", 15)
        .await;
    d.click("[data-testid=new-prescription]", "").await;
    for (field, value) in [
        ("medication", "Амоксициллин"),
        ("form", "капсулы"),
        ("strength", "500 мг"),
        ("route", "внутрь"),
        ("frequency", "3 раза в день"),
        ("duration", "7 дней"),
        ("quantity", "21"),
    ] {
        d.fill(&format!("[data-testid=rx-{field}]"), value).await;
    }
    d.click("[data-testid=rx-submit]", "").await;
    d.wait_text("[data-testid=rx-problems]", "Доза", 10).await;
    let marked = d
        .exec(
            "return document.querySelector('[data-testid=rx-dose]').getAttribute('aria-invalid')",
            json!([]),
        )
        .await;
    assert_eq!(marked, json!("true"));
    shoot(&d, "rx-editor-ru-light").await;
    d.fill("[data-testid=rx-dose]", "1 капсула").await;
    d.click("[data-testid=rx-submit]", "").await;
    d.wait_gone("[data-testid=rx-editor]", "", 10).await;
    d.wait_text(
        "[data-testid=rx-chip][data-status=submitted]",
        "Амоксициллин",
        20,
    )
    .await;
    shoot(&d, "rx-chat-ru-light").await;
    d.quit().await;

    // The pharmacist: only the Prescriptions section; the queue; the chat behind it; reject.
    let env = demo_desk(&dir.path().join("pia"), &base, "pia", "zh", &[]);
    let d = Driver::start(&app_binary(), &env).await;
    d.wait_text("[data-testid=section-prescriptions]", "处方", 30)
        .await;
    let sections = d
        .exec(
            "return [...document.querySelectorAll('.section-link')].map(e => e.dataset.testid)",
            json!([]),
        )
        .await;
    assert_eq!(sections, json!(["section-prescriptions"]));
    d.wait_text("[data-testid=rx-row]", "Амоксициллин", 15)
        .await;
    // The demo's prescription waits in the queue too, older first.
    d.wait_text("[data-testid=rx-row]", "Парацетамол", 15).await;
    d.click("[data-testid=rx-row]", "Амоксициллин").await;
    d.wait_text("[data-testid=rx-card]", "500 мг", 10).await;
    d.wait_text("[data-testid=rx-thread]", "", 15).await;
    shoot(&d, "rx-review-zh-light").await;
    d.click("[data-testid=rx-reject]", "").await;
    d.fill(
        "[data-testid=rx-reason-input]",
        "Аллергия на пенициллин в анамнезе",
    )
    .await;
    d.click("[data-testid=rx-confirm]", "").await;
    d.wait_gone("[data-testid=rx-row]", "Амоксициллин", 15)
        .await;
    // Nothing the desk did on its own was refused (a status to set, say).
    let nothing_refused = d
        .exec(
            "return document.querySelector('[data-testid=outbox-note]') === null",
            json!([]),
        )
        .await;
    assert_eq!(
        nothing_refused,
        json!(true),
        "the pharmacist's desk queued what it may not do"
    );
    d.quit().await;

    // The doctor sees the rejection and its reason, revises and submits again.
    let env = demo_desk(&dir.path().join("anna"), &base, "anna", "ru", &[]);
    let d = Driver::start(&app_binary(), &env).await;
    open_chat(&d, &client).await;
    d.click(
        "[data-testid=rx-chip][data-status=rejected]",
        "Амоксициллин",
    )
    .await;
    d.wait_text("[data-testid=rx-rejection]", "Аллергия на пенициллин", 10)
        .await;
    d.fill("[data-testid=rx-medication]", "Азитромицин").await;
    d.fill("[data-testid=rx-strength]", "250 мг").await;
    d.click("[data-testid=rx-submit]", "").await;
    d.wait_text(
        "[data-testid=rx-chip][data-status=submitted]",
        "Азитромицин",
        20,
    )
    .await;
    d.quit().await;

    // The pharmacist approves it (in English, dark).
    let env = demo_desk(
        &dir.path().join("pia"),
        &base,
        "pia",
        "en",
        &[("CARELINE_THEME", "dark")],
    );
    let d = Driver::start(&app_binary(), &env).await;
    d.click("[data-testid=rx-row]", "Азитромицин").await;
    d.wait_text("[data-testid=rx-card]", "revision 2", 10).await;
    shoot(&d, "rx-review-en-dark").await;
    d.click("[data-testid=rx-approve]", "").await;
    d.wait_gone("[data-testid=rx-row]", "Азитромицин", 15).await;
    d.click("[data-testid=rx-tab-approved]", "").await;
    d.wait_text("[data-testid=rx-row]", "Азитромицин", 10).await;
    d.quit().await;

    // The patient reads the approved prescription; never the rejected revision's draft.
    let (_, admin) = operator_session(&base, "admin").await;
    let all = get_json(
        &http,
        &format!("{base}/api/v1/prescriptions?consultation_id={consultation}"),
        &admin,
    )
    .await;
    let ours = all
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["items"][0]["medication"] == "Азитромицин")
        .unwrap();
    assert_eq!(ours["status"], "approved");
    assert_eq!(ours["reviewer_name"], "Мария Фармацевтова");
    server.stop().await;
}

/// Reception records a consent the patient gave by phone, from the client's profile: the
/// profile lists the clinic's consents and where the patient stands; the record keeps who
/// recorded it and the note; a call needing it then goes ahead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session, tauri-driver and WebKitWebDriver: scripts/test.sh runs it"]
async fn reception_records_a_consent_given_by_phone() {
    let dir = tempfile::tempdir().unwrap();
    let (_state, server) = testing::demo(dir.path()).await;
    let base = server.url.clone();
    let http = reqwest::Client::new();
    let (_, admin) = operator_session(&base, "admin").await;
    // The admin writes the text in the desk's rules, in three languages.
    let env = demo_desk(&dir.path().join("admin"), &base, "admin", "ru", &[]);
    let d = Driver::start(&app_binary(), &env).await;
    d.click("[data-testid=section-supervision]", "").await;
    d.click("[data-testid=new-consent]", "").await;
    d.fill("[data-testid=consent-key]", "video_calls").await;
    d.click("[data-testid=consent-for-call]", "").await;
    for (l, title, body) in [
        (
            "ru",
            "Видеоконсультации",
            "Я согласен на консультации по видеосвязи.",
        ),
        ("zh", "视频问诊", "我同意视频问诊。"),
        (
            "en",
            "Video consultations",
            "I agree to video consultations.",
        ),
    ] {
        d.fill(&format!("[data-testid=consent-title-{l}]"), title)
            .await;
        d.fill(&format!("[data-testid=consent-body-{l}]"), body)
            .await;
    }
    shoot(&d, "consent-editor-ru-light").await;
    d.click("[data-testid=consent-save]", "").await;
    d.wait_text("[data-testid=consent-text]", "нужно для: звонков", 15)
        .await;
    d.quit().await;

    let env = demo_desk(dir.path(), &base, "john", "ru", &[]);
    let d = Driver::start(&app_binary(), &env).await;
    d.wait_text("[data-testid=section-clients]", "Клиенты", 30)
        .await;
    d.click("[data-testid=section-clients]", "").await;
    d.fill("[data-testid=client-search]", "Мария Иванова").await;
    d.click("[data-testid=client-row]", "Мария Иванова").await;
    d.wait_text(
        "[data-testid=client-consent][data-state=never]",
        "Видеоконсультации",
        15,
    )
    .await;
    d.click("[data-testid=record-consent]", "").await;
    d.fill(
        "[data-testid=consent-note]",
        "Звонок 8 декабря, +7 916 123 45 02",
    )
    .await;
    d.click("[data-testid=consent-record-accept]", "").await;
    d.wait_text(
        "[data-testid=client-consent][data-state=accepted]",
        "по телефону (John Carter)",
        15,
    )
    .await;
    shoot(&d, "consents-profile-ru-light").await;
    d.quit().await;

    let clients = get_json(
        &http,
        &format!("{base}/api/v1/clients?q=%D0%9C%D0%B0%D1%80%D0%B8%D1%8F"),
        &admin,
    )
    .await;
    let maria = clients["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Мария Иванова")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let theirs = get_json(
        &http,
        &format!("{base}/api/v1/clients/{maria}/consents"),
        &admin,
    )
    .await;
    assert_eq!(theirs[0]["state"], "accepted");
    assert_eq!(theirs[0]["history"][0]["channel"], "phone");
    assert_eq!(
        theirs[0]["history"][0]["note"],
        "Звонок 8 декабря, +7 916 123 45 02"
    );
    server.stop().await;
}
