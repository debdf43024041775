//! Visits on the patients' web page, in a real browser (Debian's Chromium, headless) against the
//! real server: a patient books a video visit in a doctor's free time, sees it counted down,
//! enters the waiting room when it opens, and hears a cancellation by the clinic live. The
//! visits' code is loaded only when first opened. Screens in Russian and Chinese, phone-sized.

mod common;

use chrono::{Duration, Utc};
use common::browser::{api, demo_login, until, Browser};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_books_a_visit_and_enters_the_waiting_room() {
    let dir = tempfile::tempdir().unwrap();
    let (state, server) = careline_server::testing::demo(dir.path()).await;
    let base = server.url.clone();
    let http = reqwest::Client::new();
    let (admin, _) = demo_login(&http, &base, "admin").await;
    let (_, anna) = demo_login(&http, &base, "anna").await;
    // Anna sees patients around the clock (UTC): the test finds free times whenever it runs.
    let weekly: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "from": "00:00", "to": "24:00"}))
        .collect();
    api(
        &http,
        reqwest::Method::PUT,
        format!("{base}/api/v1/operators/{anna}/schedule"),
        &admin,
        json!({"time_zone": "UTC", "specialties": ["терапевт"], "languages": ["ru"], "weekly": weekly}),
    )
    .await;

    let b = Browser::with_fake_media("ru", 390, 844).await;
    b.go(&format!("{base}/chat")).await;
    b.find("[data-testid=login]", "").await;
    b.click("[data-testid=switch-mode]", "").await;
    b.find("[data-testid=register]", "").await;
    b.fill("#name", "Вера Записанная").await;
    b.fill("#phone", "+7 912 555-66-77").await;
    b.fill("#password", "пароль-пациента").await;
    b.click("[data-testid=register]", "").await;
    b.find("[data-testid=composer]", "").await;
    // The visits' module is not part of the first load.
    let loaded = b
        .exec("return performance.getEntriesByType('resource').some((e) => e.name.endsWith('/chat/visits.js'))")
        .await;
    assert_eq!(loaded, json!(false));

    b.click("[data-testid=open-visits]", "Приёмы").await;
    b.find(".sheet", "Записей нет").await;
    b.click("[data-testid=book-visit]", "Записаться на приём")
        .await;
    b.find("[data-testid=bk-who]", "Анна Петрова").await;
    b.exec(&format!(
        "const s = document.querySelector('[data-testid=bk-who]'); s.value = '{anna}'; s.dispatchEvent(new Event('change'));"
    ))
    .await;
    // A phone visit: its times are a quarter of an hour apart, so the first is at most 15
    // minutes away and its waiting room is open at once.
    b.exec(
        "const k = document.querySelector('[data-testid=bk-kind]'); k.value = 'phone'; k.dispatchEvent(new Event('change'));",
    )
    .await;
    b.find("[data-testid=bk-slot]", ":").await;
    b.click("[data-testid=bk-slot]", "").await;
    b.fill("[data-testid=bk-reason]", "Кашель вторую неделю")
        .await;
    b.shoot("web-book-ru-phone-light").await;
    b.click("[data-testid=bk-send]", "Записаться").await;
    b.find("[data-testid=visit]", "Звонок по телефону").await;
    b.find("[data-testid=visit]", "Вы записаны").await;
    b.find("[data-testid=countdown]", "начнётся через").await;
    b.shoot("web-visits-ru-phone-light").await;

    // The server has it, booked by the patient, with a scheduled consultation in her thread.
    let client = state
        .store
        .client_credentials("+79125556677")
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap()
        .0;
    let mine: Value = api(
        &http,
        reqwest::Method::GET,
        format!("{base}/api/v1/appointments?client_id={}", client.id),
        &admin,
        Value::Null,
    )
    .await;
    let visit = mine[0].clone();
    assert_eq!(visit["reason"], "Кашель вторую неделю");
    assert_eq!(visit["booked_by"], client.id.to_string());
    let starts: chrono::DateTime<Utc> = visit["starts_at"].as_str().unwrap().parse().unwrap();
    assert!(starts > Utc::now() && starts <= Utc::now() + Duration::minutes(15));

    // The first free time is within a quarter of an hour: the waiting room is open already.
    b.click("[data-testid=check-in]", "Войти в зал ожидания")
        .await;
    b.find("[data-testid=waiting-room]", "Вы в зале ожидания")
        .await;
    b.shoot("web-waiting-ru-phone-light").await;
    // The device check of a phone visit: the microphone only — its meter moves with the (fake)
    // microphone's beeps, no camera is asked for, the microphone can be chosen.
    b.click("[data-testid=check-devices]", "Проверить камеру и микрофон")
        .await;
    b.find("[data-testid=device-check]", "Проверьте камеру и микрофон")
        .await;
    until("the meter moves", || async {
        let v = b
            .exec(
                "const m = document.querySelector('[data-testid=level]'); \
                 return m ? Number(m.getAttribute('aria-valuenow') || 0) : 0",
            )
            .await;
        v.as_i64().unwrap_or(0) > 0
    })
    .await;
    let preview = b
        .exec("return document.querySelector('[data-testid=preview]') !== null")
        .await;
    assert_eq!(preview, json!(false), "a phone visit asks for no camera");
    b.find("[data-testid=pick-audioinput]", "").await;
    b.shoot("web-device-check-ru-phone-light").await;
    let id = visit["id"].as_str().unwrap();
    let now: Value = api(
        &http,
        reqwest::Method::GET,
        format!("{base}/api/v1/appointments/{id}"),
        &admin,
        Value::Null,
    )
    .await;
    assert_eq!(now["status"], "waiting");

    // The clinic cancels it: the page hears it live, with the reason.
    api(
        &http,
        reqwest::Method::POST,
        format!("{base}/api/v1/appointments/{id}/cancel"),
        &admin,
        json!({"reason": "врач заболела"}),
    )
    .await;
    b.find("[data-testid=visit]", "врач заболела").await;
    until("the visit shows cancelled", || async {
        b.exec("return document.querySelector('[data-testid=visit]').dataset.status")
            .await
            == json!("cancelled")
    })
    .await;
    b.quit().await;

    // The same in Chinese: the words of the module follow the browser's language.
    let b = Browser::start("zh", 390, 844).await;
    b.go(&format!("{base}/chat")).await;
    b.find("[data-testid=login]", "").await;
    b.click("[data-testid=switch-mode]", "").await;
    b.find("[data-testid=register]", "").await;
    b.fill("#name", "王小红").await;
    b.fill("#phone", "+86 138 0013 8111").await;
    b.fill("#password", "patient-password").await;
    b.click("[data-testid=register]", "").await;
    b.find("[data-testid=composer]", "").await;
    // Anna is off today (in the browser's own day and zone): the page greys today out and
    // offers the first day with free time, instead of an empty today (which, late in the
    // evening, is every day's last hour too).
    let (zone, today) = {
        let v = b
            .exec("return [Intl.DateTimeFormat().resolvedOptions().timeZone, new Date().toLocaleDateString('sv')]")
            .await;
        (
            v[0].as_str().unwrap().to_string(),
            v[1].as_str().unwrap().to_string(),
        )
    };
    api(
        &http,
        reqwest::Method::PUT,
        format!("{base}/api/v1/operators/{anna}/schedule"),
        &admin,
        json!({"time_zone": zone, "specialties": ["терапевт"], "languages": ["ru"], "weekly": weekly,
               "exceptions": [{"date": today, "hours": [], "note": "day off"}]}),
    )
    .await;
    b.click("[data-testid=open-visits]", "预约").await;
    b.click("[data-testid=book-visit]", "预约就诊").await;
    b.find("[data-testid=bk-who]", "Анна Петрова").await;
    b.exec(&format!(
        "const s = document.querySelector('[data-testid=bk-who]'); s.value = '{anna}'; s.dispatchEvent(new Event('change'));"
    ))
    .await;
    b.find("[data-testid=bk-slot]", ":").await;
    let days = b
        .exec(
            "return [...document.querySelectorAll('[data-testid=bk-day]')].slice(0, 2)\
             .map((d) => [d.classList.contains('none'), d.getAttribute('aria-checked')])",
        )
        .await;
    assert_eq!(
        days,
        json!([[true, "false"], [false, "true"]]),
        "today greyed, tomorrow chosen"
    );
    b.shoot("web-book-zh-phone-light").await;
    b.dark(true).await;
    b.shoot("web-book-zh-phone-dark").await;
    b.quit().await;

    // The first patient's visits on a laptop, dark: the cancelled one with its reason.
    let b = Browser::start("ru", 1280, 800).await;
    b.dark(true).await;
    b.go(&format!("{base}/chat")).await;
    b.find("[data-testid=login]", "").await;
    b.fill("#phone", "+7 912 555-66-77").await;
    b.fill("#password", "пароль-пациента").await;
    b.click("[data-testid=login]", "").await;
    b.find("[data-testid=composer]", "").await;
    b.click("[data-testid=open-visits]", "Приёмы").await;
    b.find("[data-testid=visit]", "врач заболела").await;
    // A visit that never took place is nothing to rate, and no chat was closed.
    let shown = b
        .exec("return [!!document.querySelector('[data-testid=open-rate]'), !!document.querySelector('[data-testid=closed-note]')]")
        .await;
    assert_eq!(shown, json!([false, false]));
    b.shoot("web-visits-ru-laptop-dark").await;
    b.quit().await;
    server.stop().await;
}
