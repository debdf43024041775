//! Consents on the patients' web page, in a real browser (Debian's Chromium, headless) against
//! the real server: the registration form asks the clinic's consents (a required one unticked
//! stops it before anything is sent), a new version of a text is asked at the next visit, and a
//! consent is withdrawn with one tap. Russian on a phone, Chinese on a laptop.

mod common;

use common::browser::{api, demo_login, until, Browser};
use reqwest::Method;
use serde_json::{json, Value};

fn consent(key: &str, required: bool, needed_for: &[&str], ru: &str, zh: &str, en: &str) -> Value {
    json!({
        "key": key, "required": required, "needed_for": needed_for,
        "title": {"ru": ru, "zh": zh, "en": en},
        "text": {"ru": format!("{ru}: полный текст согласия."), "zh": format!("{zh}：同意书全文。"), "en": format!("{en}: the whole text.")},
    })
}

async fn state_of(b: &Browser, key: &str) -> Value {
    b.exec(&format!(
        "const e = document.querySelector('[data-testid=consent][data-key={key}]'); return e ? e.dataset.state : null"
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_gives_reviews_and_withdraws_consents_on_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let (_state, server) = careline_server::testing::demo(dir.path()).await;
    let base = server.url.clone();
    let http = reqwest::Client::new();
    let (admin, _) = demo_login(&http, &base, "admin").await;
    let health = api(
        &http,
        Method::POST,
        format!("{base}/api/v1/consents"),
        &admin,
        consent(
            "health_data",
            true,
            &[],
            "Обработка данных о здоровье",
            "健康数据处理",
            "Processing of health data",
        ),
    )
    .await;
    api(
        &http,
        Method::POST,
        format!("{base}/api/v1/consents"),
        &admin,
        consent(
            "video_calls",
            false,
            &["call"],
            "Видеоконсультации",
            "视频问诊",
            "Video consultations",
        ),
    )
    .await;

    let b = Browser::start("ru", 390, 844).await;
    b.go(&format!("{base}/chat")).await;
    b.find("[data-testid=login]", "").await;
    b.click("[data-testid=switch-mode]", "").await;
    b.find(
        "[data-testid=reg-consents]",
        "Обработка данных о здоровье *",
    )
    .await;
    b.fill("#name", "Ольга Согласная").await;
    b.fill("#phone", "+7 913 000-11-22").await;
    b.fill("#password", "пароль-пациента").await;
    // The required one unticked: the form says so and sends nothing.
    b.click("[data-testid=register]", "").await;
    b.find(".login .error", "примите согласия").await;
    b.shoot("web-register-consents-ru-phone-light").await;
    b.click("[data-testid=consent-health_data]", "").await;
    b.click("[data-testid=consent-video_calls]", "").await;
    b.click("[data-testid=register]", "").await;
    b.find("[data-testid=composer]", "").await;
    let me = b
        .exec("return fetch('/api/v1/me', {headers: {authorization: 'Bearer ' + localStorage.getItem('careline.token')}}).then((r) => r.json()).then((j) => j.user.id)")
        .await;
    let me = me.as_str().unwrap().to_owned();
    let theirs = api(
        &http,
        Method::GET,
        format!("{base}/api/v1/clients/{me}/consents"),
        &admin,
        Value::Null,
    )
    .await;
    let states: Vec<(&str, &str, &str)> = theirs
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["consent"]["key"].as_str().unwrap(),
                c["state"].as_str().unwrap(),
                c["history"][0]["channel"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("health_data", "accepted", "web"),
            ("video_calls", "accepted", "web")
        ]
    );

    // A new version of the required text: asked again at the next visit, accepted in one tap.
    let mut reworded = consent(
        "health_data",
        true,
        &[],
        "Обработка данных о здоровье",
        "健康数据处理",
        "Processing of health data",
    );
    reworded["text"]["ru"] = json!("Новая редакция: я согласна на обработку данных о здоровье.");
    api(
        &http,
        Method::PUT,
        format!("{base}/api/v1/consents/{}", health["id"].as_str().unwrap()),
        &admin,
        reworded,
    )
    .await;
    b.go(&format!("{base}/chat")).await;
    b.find("[data-testid=consents]", "Пожалуйста, прочитайте и примите")
        .await;
    assert_eq!(state_of(&b, "health_data").await, json!("outdated"));
    b.shoot("web-consents-ru-phone-asked").await;
    b.click(
        "[data-testid=consent][data-key=health_data] [data-testid=consent-accept]",
        "",
    )
    .await;
    until("the new version accepted", || async {
        state_of(&b, "health_data").await == json!("accepted")
    })
    .await;
    // Withdrawn in one tap.
    b.click(
        "[data-testid=consent][data-key=video_calls] [data-testid=consent-withdraw]",
        "",
    )
    .await;
    until("withdrawn", || async {
        state_of(&b, "video_calls").await == json!("withdrawn")
    })
    .await;
    let theirs = api(
        &http,
        Method::GET,
        format!("{base}/api/v1/clients/{me}/consents"),
        &admin,
        Value::Null,
    )
    .await;
    assert_eq!(theirs[1]["history"][0]["action"], "withdraw");
    assert_eq!(theirs[0]["history"][0]["version"], 2);
    b.quit().await;

    // In Chinese on a laptop: the registration form's consents.
    let b = Browser::start("zh", 1280, 800).await;
    b.go(&format!("{base}/chat")).await;
    b.click("[data-testid=switch-mode]", "").await;
    b.find("[data-testid=reg-consents]", "健康数据处理 *").await;
    b.shoot("web-register-consents-zh-laptop-light").await;
    b.quit().await;
    server.stop().await;
}
