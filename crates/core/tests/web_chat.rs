//! The patients' web chat page in a real browser — Debian's Chromium, headless, driven through
//! its chromedriver (WebDriver) — against the real server, with the desk core on the operator's
//! side: the patient registers, writes, sees the operator's answer live, sends a photo, writes
//! while the server is down (sent once when it is back), asks for a call and rates the
//! consultation. Screens are saved on a phone-sized and a desktop-sized window, in Russian and
//! Chinese, light and dark.

mod common;

use common::browser::{until, Browser};

use careline_core::outbox::Op;
use careline_protocol::{ConsultationStatus, Role};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_chats_from_the_web_page() {
    let dir = tempfile::tempdir().unwrap();
    let (state, server) = careline_server::testing::demo(dir.path()).await;
    let (addr, base) = (server.addr, server.url.clone());
    let anna = common::desk_of(&base, "anna", dir.path().join("anna.db")).await;
    anna.start(std::sync::Arc::new(|_| {}));

    // The page: small, one origin, a strict policy.
    let page = reqwest::get(format!("{base}/")).await.unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("script-src 'self'")
            && !csp.contains("unsafe"),
        "{csp}"
    );
    assert!(
        careline_server::web::weight() < 40 * 1024,
        "the page weighs {} bytes",
        careline_server::web::weight()
    );

    // A patient on a phone registers and writes.
    let b = Browser::start("ru", 390, 844).await;
    b.go(&format!("{base}/chat")).await;
    b.find("[data-testid=login]", "Войти").await;
    b.shoot("web-login-ru-phone-light").await;
    b.click("[data-testid=switch-mode]", "").await;
    b.fill("#name", "Ольга Веб-Пациентка").await;
    b.fill("#phone", "+7 912 000-11-22").await;
    b.fill("#password", "пароль-пациента").await;
    // The registration form: the optional code from reception under the password.
    b.shoot("web-register-ru-phone-light").await;
    b.click("[data-testid=register]", "").await;
    b.find("[data-testid=composer]", "").await;
    // A new patient without any consultation yet: the empty chat.
    b.shoot("web-new-ru-phone-light").await;
    b.fill(
        "[data-testid=composer]",
        "Здравствуйте! Третий день болит горло и температура 37,8.\n",
    )
    .await;
    b.find("[data-testid=message]", "болит горло").await;
    let client = state
        .store
        .client_credentials("+79120001122")
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("registered")
        .0;
    assert_eq!(client.source, careline_protocol::ClientSource::Web);
    let all = state
        .store
        .list_consultations(&Default::default(), uuid::Uuid::nil(), Role::Admin)
        .await
        .unwrap()
        .items;
    let c = all
        .into_iter()
        .map(|i| i.consultation)
        .find(|c| c.client_id == client.id)
        .expect("a consultation in the queue");
    assert_eq!(c.status, ConsultationStatus::New);

    // The operator (the desk core, through its outbox) takes it and answers: the page shows it live.
    anna.act(Op::Take {
        consultation_id: c.id,
    })
    .await
    .unwrap();
    anna.act(Op::text(
        c.id,
        "Ольга, полощите горло и пришлите фото горла, пожалуйста.",
        false,
    ))
    .await
    .unwrap();
    b.find("[data-testid=message]", "пришлите фото").await;
    b.find("[data-testid=status]", "Врач отвечает").await;
    // Delivered and read receipts went back: the operator's desk shows the answer as read.
    until("the receipts", || async {
        let page = anna.views().thread_page(client.id, None, 50).await.unwrap();
        page.messages.iter().any(|r| {
            r.message.body.contains("пришлите фото")
                && r.state == Some(careline_core::views::SendState::Read)
        })
    })
    .await;

    // A photo, through the hidden file input: sent with progress, shown as a thumbnail.
    let photo = dir.path().join("throat.png");
    let img = image::RgbImage::from_fn(1000, 750, |x, y| {
        image::Rgb([190, (100 + x % 80) as u8, (80 + y % 50) as u8])
    });
    img.save(&photo).unwrap();
    let input = b.find("input[type=file]", "").await;
    b.call(
        reqwest::Method::POST,
        &format!("/element/{input}/value"),
        json!({"text": photo.display().to_string()}),
    )
    .await;
    b.find("[data-testid=thumbnail]", "").await;
    until("the thumbnail drawn", || async {
        b.exec("const i = document.querySelector('[data-testid=thumbnail]'); return i.complete && i.naturalWidth").await == json!(480)
    })
    .await;
    b.shoot("web-chat-ru-phone-light").await;

    // The server goes away: what she writes waits in the page and goes once when it is back.
    server.stop().await;
    b.fill(
        "[data-testid=composer]",
        "Фото отправила. Температура сейчас 38,1.\n",
    )
    .await;
    b.find("[data-testid=pending]", "38,1").await;
    b.find("[data-testid=offline]", "Нет связи").await;
    b.shoot("web-offline-ru-phone-light").await;
    let server = careline_server::testing::serve_at(&state, addr).await;
    b.find("[data-testid=message]", "38,1").await;
    let q = careline_protocol::MessageQuery {
        limit: Some(200),
        ..Default::default()
    };
    let c_now = state.store.get_consultation(c.id).await.unwrap();
    let sent = state
        .store
        .list_messages(&c_now, Role::Operator, &q)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|m| m.body.contains("38,1"))
        .count();
    assert_eq!(sent, 1, "sent once");

    // She asks for a call; the operator closes; she rates it.
    b.click("[data-testid=open-callback]", "").await;
    b.fill("[data-testid=cb-reason]", "Обсудить анализы").await;
    b.shoot("web-callback-ru-phone-light").await;
    b.click("[data-testid=cb-send]", "").await;
    b.find("[data-testid=callback-done]", "перезвоним").await;
    let actor = careline_server::domain::Actor {
        id: client.id,
        role: Role::Client,
    };
    let cbs = state
        .store
        .list_callbacks(&Default::default(), actor)
        .await
        .unwrap()
        .items;
    assert_eq!(
        (cbs.len(), cbs[0].reason.as_deref(), cbs[0].phone.as_str()),
        (1, Some("Обсудить анализы"), "+79120001122")
    );
    anna.act(Op::Close {
        consultation_id: c.id,
        summary: Some("Фарингит".into()),
    })
    .await
    .unwrap();
    b.find("[data-testid=status]", "завершена").await;
    // The field says that writing now starts a new consultation.
    b.find(
        "[data-testid=closed-note]",
        "Новое сообщение начнёт новую консультацию",
    )
    .await;
    b.click("[data-testid=open-rate]", "").await;
    // No star is lit before she chooses, and nothing can be sent yet.
    let before =
        b.exec("return [document.querySelectorAll('.stars [aria-checked=true]').length, document.querySelector('[data-testid=rate-send]').disabled]").await;
    assert_eq!(before, json!([0, true]), "the rating starts empty");
    b.find("[data-testid=stars-said]", "Нажмите на звезду")
        .await;
    b.click("[data-testid=star-5]", "").await;
    b.find("[data-testid=stars-said]", "Отлично").await;
    b.fill("[data-testid=rate-comment]", "Спасибо, быстро ответили")
        .await;
    b.shoot("web-rate-ru-phone-light").await;
    b.click("[data-testid=rate-send]", "").await;
    b.find("[data-testid=rated]", "Спасибо").await;
    b.shoot("web-closed-ru-phone-light").await;
    let rated = state.store.get_consultation(c.id).await.unwrap();
    assert_eq!(
        (rated.rating, rated.rating_comment.as_deref()),
        (Some(5), Some("Спасибо, быстро ответили"))
    );
    // Log out ends the session on the server, not only in the browser (found by the outside security review).
    let token = b
        .exec("return localStorage.getItem('careline.token')")
        .await
        .as_str()
        .unwrap()
        .to_owned();
    b.click("[data-testid=logout]", "").await;
    b.find("[data-testid=login]", "Войти").await;
    let me = || {
        reqwest::Client::new()
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(&token)
            .send()
    };
    let mut status = me().await.unwrap().status();
    for _ in 0..50 {
        if status == reqwest::StatusCode::UNAUTHORIZED {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        status = me().await.unwrap().status();
    }
    assert_eq!(
        status,
        reqwest::StatusCode::UNAUTHORIZED,
        "the old token still works after Log out"
    );
    b.quit().await;

    // The same patient on a laptop, in Chinese, dark: logs in and sees the whole thread.
    let wide = Browser::start("zh-CN", 1280, 800).await;
    wide.dark(true).await;
    wide.go(&format!("{base}/")).await;
    wide.find("[data-testid=login]", "登录").await;
    // The registration form with the code from reception, in Chinese and dark, on a laptop.
    wide.click("[data-testid=switch-mode]", "").await;
    wide.find("#claim", "").await;
    wide.shoot("web-register-zh-desktop-dark").await;
    wide.click("[data-testid=switch-mode]", "").await;
    wide.find("[data-testid=login]", "登录").await;
    wide.fill("#phone", "+79120001122").await;
    wide.fill("#password", "пароль-пациента").await;
    wide.click("[data-testid=login]", "").await;
    wide.find("[data-testid=message]", "38,1").await;
    wide.find("[data-testid=status]", "咨询已结束").await;
    wide.shoot("web-chat-zh-desktop-dark").await;
    wide.quit().await;
    anna.stop();
    server.stop().await;
}

/// What the page costs a patient's browser: from the start of navigation to the login form
/// rendered and ready for typing (the page's `careline-ready` mark) on a phone-sized window,
/// from a fresh load (cache off), 11 times; the median, min and max.
/// `cargo test --release -p careline-core --test web_chat -- --ignored --nocapture first_render`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by hand (see BENCHMARKS.md)"]
async fn first_render() {
    let dir = tempfile::tempdir().unwrap();
    let (_state, server) = careline_server::testing::demo(dir.path()).await;
    let b = Browser::start("ru", 390, 844).await;
    let cdp = b.url.clone() + "/goog/cdp/execute";
    b.http
        .post(&cdp)
        .json(&json!({"cmd": "Network.setCacheDisabled", "params": {"cacheDisabled": true}}))
        .send()
        .await
        .unwrap();
    let mut paints = Vec::new();
    for _ in 0..11 {
        b.go("about:blank").await;
        b.go(&format!("{}/chat", server.url)).await;
        b.find("[data-testid=login]", "").await;
        let ready = b.exec("const p = performance.getEntriesByName('careline-ready')[0]; return p ? p.startTime : null").await;
        paints.push(ready.as_f64().expect("the page's ready mark"));
    }
    paints.sort_by(f64::total_cmp);
    println!(
        "web page: {} bytes; ready for typing after median {:.0} ms (min {:.0}, max {:.0})",
        careline_server::web::weight(),
        paints[5],
        paints[0],
        paints[10]
    );
    b.quit().await;
    server.stop().await;
}
