//! The patient's records on the web page, in a real browser (Debian's Chromium, headless)
//! against the real server: an approved prescription appears live and prints alone, a draft
//! never shows, a cancellation says not to use it; a refund is asked for from the page and the
//! clinic's decision arrives live. Russian on a phone, Chinese on a laptop in the dark.

mod common;

use common::browser::{api, demo_login, until, Browser};
use reqwest::Method;
use serde_json::{json, Value};

/// Waits until an element matching `css` holds `text` anywhere in it (WebDriver's own text
/// leaves out what is scrolled out of the sheet).
async fn shows(b: &Browser, css: &str, text: &str) {
    let script = format!(
        "return [...document.querySelectorAll({css:?})].some((e) => e.textContent.includes({text:?}))"
    );
    until(&format!("{css} with {text}"), || async {
        b.exec(&script).await == json!(true)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_reads_an_approved_prescription_and_asks_for_a_refund() {
    let dir = tempfile::tempdir().unwrap();
    let (_state, server) = careline_server::testing::demo(dir.path()).await;
    let base = server.url.clone();
    let http = reqwest::Client::new();
    let (pia, _) = demo_login(&http, &base, "pia").await;
    let (anna, _) = demo_login(&http, &base, "anna").await;
    let (admin, _) = demo_login(&http, &base, "admin").await;
    let queue = api(
        &http,
        Method::GET,
        format!("{base}/api/v1/prescriptions?status=submitted"),
        &pia,
        Value::Null,
    )
    .await;
    let rx = queue[0]["id"].as_str().unwrap().to_owned();
    let consultation = queue[0]["consultation_id"].as_str().unwrap().to_owned();
    let client = queue[0]["client_id"].as_str().unwrap();
    let phone = api(
        &http,
        Method::GET,
        format!("{base}/api/v1/clients/{client}"),
        &admin,
        Value::Null,
    )
    .await["phone"]
        .as_str()
        .unwrap()
        .to_owned();

    let b = Browser::start("ru", 390, 844).await;
    b.go(&format!("{base}/chat")).await;
    b.find("[data-testid=login]", "").await;
    b.fill("#phone", &phone).await;
    b.fill("#password", careline_server::demo::DEMO_PASSWORD)
        .await;
    b.click("[data-testid=login]", "").await;
    b.find("[data-testid=composer]", "").await;
    // The records' module is not part of the first load.
    let loaded = b
        .exec("return performance.getEntriesByType('resource').some((e) => e.name.endsWith('/chat/records.js'))")
        .await;
    assert_eq!(loaded, json!(false));
    b.click("[data-testid=open-records]", "Рецепты").await;
    // Under review: nothing to read yet.
    b.find("[data-testid=no-prescriptions]", "Рецептов пока нет")
        .await;

    // The pharmacist approves it: the page shows it live; a new draft of the doctor's never.
    api(
        &http,
        Method::POST,
        format!("{base}/api/v1/prescriptions/{rx}/approve"),
        &pia,
        json!({}),
    )
    .await;
    shows(&b, "[data-testid=prescription]", "Парацетамол").await;
    shows(&b, "[data-testid=prescription]", "Одобрен провизором").await;
    api(
        &http,
        Method::POST,
        format!("{base}/api/v1/consultations/{consultation}/prescriptions"),
        &anna,
        json!({"items": [{"medication": "Черновик-секрет"}]}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let shown = b
        .exec("return [...document.querySelectorAll('[data-testid=prescription]')].map((e) => e.innerText).join('|')")
        .await;
    assert!(
        !shown.as_str().unwrap().contains("Черновик"),
        "a draft reached the patient: {shown}"
    );
    b.shoot("web-records-ru-phone-light").await;
    // Print: only this prescription.
    b.exec("window.print = () => { window.printed = true; }")
        .await;
    b.click("[data-testid=print-prescription]", "").await;
    let printed = b
        .exec("return [window.printed === true, document.body.classList.contains('print-rx'), !!document.querySelector('.rx.printing')]")
        .await;
    assert_eq!(printed, json!([true, true, true]));

    // A refund asked for from the page; the clinic refuses it with a reason, live.
    b.fill("[data-testid=rf-amount]", "200").await;
    b.fill("[data-testid=rf-why]", "Ответ пришёл на следующий день")
        .await;
    b.click("[data-testid=rf-send]", "").await;
    b.find("[data-testid=refund-asked]", "Запрос отправлен")
        .await;
    b.click("[data-testid=open-records]", "Рецепты").await;
    shows(&b, "[data-testid=refund]", "Запрошен").await;
    let asked = api(
        &http,
        Method::GET,
        format!("{base}/api/v1/refunds?status=requested"),
        &admin,
        Value::Null,
    )
    .await;
    assert_eq!(asked[0]["amount"], 20000);
    let rid = asked[0]["id"].as_str().unwrap();
    api(
        &http,
        Method::POST,
        format!("{base}/api/v1/refunds/{rid}/reject"),
        &admin,
        json!({"reason": "Консультация оказана в срок"}),
    )
    .await;
    shows(&b, "[data-testid=refund]", "Консультация оказана в срок").await;
    until("the refund shows refused", || async {
        b.exec("return document.querySelector('[data-testid=refund]').dataset.status")
            .await
            == json!("rejected")
    })
    .await;

    // The doctor cancels the prescription: the page says not to use it.
    api(
        &http,
        Method::POST,
        format!("{base}/api/v1/prescriptions/{rx}/cancel"),
        &anna,
        json!({"reason": "Назначение изменено"}),
    )
    .await;
    shows(
        &b,
        "[data-testid=prescription]",
        "Не используйте этот рецепт",
    )
    .await;
    b.shoot("web-records-ru-phone-cancelled").await;
    b.quit().await;

    // In Chinese, on a laptop, dark.
    let b = Browser::start("zh", 1280, 800).await;
    b.dark(true).await;
    b.go(&format!("{base}/chat")).await;
    b.find("[data-testid=login]", "").await;
    b.fill("#phone", &phone).await;
    b.fill("#password", careline_server::demo::DEMO_PASSWORD)
        .await;
    b.click("[data-testid=login]", "").await;
    b.find("[data-testid=composer]", "").await;
    b.click("[data-testid=open-records]", "处方").await;
    shows(&b, "[data-testid=prescription]", "医生已作废").await;
    shows(&b, "[data-testid=refund]", "已拒绝").await;
    b.shoot("web-records-zh-laptop-dark").await;
    b.quit().await;
    server.stop().await;
}
