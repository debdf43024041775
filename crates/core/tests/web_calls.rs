//! Calls for real: two headless Chromium sessions (Debian's `chromium`) with fake cameras and
//! microphones — the patient's web page and the operator's call page, opened from the one-time
//! link the desk would open — ring, answer and talk through the server's signalling. Audio and
//! video must flow both ways (`getStats`: bytes received on each side), once on a direct path
//! and once forced through a real TURN relay (Debian's `coturn`, started here with a shared
//! secret, every candidate a relay one). Screens of ringing and in-call are kept.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::browser::{api, demo_login, until, Browser};
use serde_json::{json, Value};

/// A running `turnserver` on a free loopback port, with TURN REST credentials (a shared
/// secret); killed when dropped.
struct Relay {
    port: u16,
    secret: String,
    _child: tokio::process::Child,
}

async fn relay(dir: &std::path::Path) -> Relay {
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    relay_on(dir, port).await
}

impl Relay {
    /// The relay dies: every path through it is lost.
    async fn kill(&mut self) {
        self._child.kill().await.unwrap();
    }

    /// It comes back on the same port.
    async fn start_again(&mut self, dir: &std::path::Path) {
        let again = relay_on(dir, self.port).await;
        self._child = again._child;
    }
}

async fn relay_on(dir: &std::path::Path, port: u16) -> Relay {
    let secret = "careline-test-relay-secret".to_owned();
    let child = tokio::process::Command::new("turnserver")
        .args([
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            &format!("--listening-port={port}"),
            "--min-port=49152",
            "--max-port=65535",
            "--use-auth-secret",
            &format!("--static-auth-secret={secret}"),
            "--realm=careline.test",
            "--allow-loopback-peers",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--no-multicast-peers",
            "--fingerprint",
            "--simple-log",
            &format!("--log-file={}", dir.join("turn.log").display()),
            &format!("--pidfile={}", dir.join("turn.pid").display()),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("turnserver (Debian's coturn; the README's set-up installs it)");
    // Listening when a TCP connection to its port is taken.
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Relay {
        port,
        secret,
        _child: child,
    }
}

/// The numbers the call's screen carries: `(phase, route, audio bytes in, video bytes in)`.
async fn call_figures(b: &Browser) -> (String, String, i64, i64) {
    let v = b
        .exec(
            "const c = document.querySelector('[data-testid=call]'); \
             return c ? [c.dataset.phase, c.dataset.route, Number(c.dataset.audioIn), Number(c.dataset.videoIn)] : null",
        )
        .await;
    if v.is_null() {
        return (String::new(), String::new(), 0, 0);
    }
    (
        v[0].as_str().unwrap_or("").to_owned(),
        v[1].as_str().unwrap_or("").to_owned(),
        v[2].as_i64().unwrap_or(0),
        v[3].as_i64().unwrap_or(0),
    )
}

/// A patient registers on the page and writes; Anna takes the consultation, calls (video), the
/// patient answers, the operator's call page opens from the link; both hear and see each other.
/// Returns the time from "Call" to two-way audio.
/// Anna sees patients around the clock in five-minute video visits; the patient of the page
/// books the next one (it starts within five minutes).
async fn book_soon(http: &reqwest::Client, base: &str, patient: &Browser) {
    let (admin, _) = demo_login(http, base, "admin").await;
    let (_, anna) = demo_login(http, base, "anna").await;
    let weekly: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "from": "00:00", "to": "24:00"}))
        .collect();
    api(
        http,
        reqwest::Method::PUT,
        format!("{base}/api/v1/operators/{anna}/schedule"),
        &admin,
        json!({"time_zone": "UTC", "weekly": weekly, "visit_minutes": {"phone": 5, "video": 5}}),
    )
    .await;
    let token = patient
        .exec("return localStorage.getItem('careline.token')")
        .await;
    let token = token.as_str().unwrap();
    let now = chrono::Utc::now();
    let slots = api(
        http,
        reqwest::Method::GET,
        format!(
            "{base}/api/v1/slots?kind=video&operator_id={anna}&from={}&to={}",
            now.to_rfc3339().replace('+', "%2B"),
            (now + chrono::Duration::minutes(10))
                .to_rfc3339()
                .replace('+', "%2B")
        ),
        token,
        Value::Null,
    )
    .await;
    // Not one about to begin this second (booking it could race its own start).
    let start = slots
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap().to_owned())
        .find(|s| {
            chrono::DateTime::parse_from_rfc3339(s).unwrap() > now + chrono::Duration::seconds(5)
        })
        .unwrap();
    api(
        http,
        reqwest::Method::POST,
        format!("{base}/api/v1/appointments"),
        token,
        json!({"operator_id": anna, "kind": "video", "starts_at": start}),
    )
    .await;
}

/// What the two pages say, in the languages a run uses: the patient's and the operator's.
struct Words {
    patient_lang: &'static str,
    visit_soon: &'static str,
    waiting: &'static str,
    accept: &'static str,
    video_call: &'static str,
    operator_lang: &'static str,
    calling: &'static str,
    close_window: &'static str,
}

const RU_EN: Words = Words {
    patient_lang: "ru",
    visit_soon: "Ваш приём начнётся через несколько минут",
    waiting: "Ждём врача",
    accept: "Ответить",
    video_call: "Видеозвонок",
    operator_lang: "en",
    calling: "Calling",
    close_window: "close this window",
};

const ZH_RU: Words = Words {
    patient_lang: "zh",
    visit_soon: "您的就诊即将开始",
    waiting: "正在等待医生",
    accept: "接听",
    video_call: "视频通话",
    operator_lang: "ru",
    calling: "Звоним",
    close_window: "Это окно можно закрыть",
};

/// `lose`: the relay the call goes through and its folder, killed mid-call and started again.
async fn talk(
    base: &str,
    through_relay: bool,
    shots: &str,
    w: &Words,
    lose: Option<(&mut Relay, &std::path::Path)>,
) -> Duration {
    let http = reqwest::Client::new();
    let (anna, _) = demo_login(&http, base, "anna").await;

    let patient = Browser::with_fake_media(w.patient_lang, 390, 844).await;
    patient.go(&format!("{base}/chat")).await;
    patient.find("[data-testid=login]", "").await;
    patient.click("[data-testid=switch-mode]", "").await;
    patient.find("[data-testid=register]", "").await;
    let phone = if through_relay {
        "+7 912 555-11-02"
    } else {
        "+7 912 555-11-01"
    };
    patient.fill("#name", "Пётр Звонков").await;
    patient.fill("#phone", phone).await;
    patient.fill("#password", "пароль-пациента").await;
    patient.click("[data-testid=register]", "").await;
    patient.find("[data-testid=composer]", "").await;
    if !through_relay {
        // A visit booked a few minutes ahead: the page reminds the patient of it at once.
        book_soon(&http, base, &patient).await;
        patient.find("[data-testid=visit-soon]", w.visit_soon).await;
        if !shots.is_empty() {
            patient.shoot(&format!("{shots}-patient-visit-soon")).await;
        }
    }
    patient
        .fill("#composer", "Можно созвониться? Болит горло")
        .await;
    patient.click("[data-testid=send]", "").await;
    patient.find("[data-testid=status]", w.waiting).await;

    // Anna takes it from the queue and calls.
    let mine = api(
        &http,
        reqwest::Method::GET,
        format!("{base}/api/v1/consultations?status=new&limit=200"),
        &anna,
        Value::Null,
    )
    .await;
    let consultation = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["subject"]
                .as_str()
                .is_some_and(|s| s.contains("Болит горло"))
        })
        .unwrap_or_else(|| panic!("the patient's consultation in the queue: {mine}"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api(
        &http,
        reqwest::Method::POST,
        format!("{base}/api/v1/consultations/{consultation}/take"),
        &anna,
        json!({}),
    )
    .await;
    let pressed = Instant::now();
    let call = api(
        &http,
        reqwest::Method::POST,
        format!("{base}/api/v1/consultations/{consultation}/calls"),
        &anna,
        json!({"media": "video"}),
    )
    .await;
    let call_id = call["id"].as_str().unwrap().to_owned();
    let link = api(
        &http,
        reqwest::Method::POST,
        format!("{base}/api/v1/calls/{call_id}/link"),
        &anna,
        json!({}),
    )
    .await;

    // The operator's page opens (the desk opens it in the system browser) while the patient's rings.
    let operator = Browser::with_fake_media(w.operator_lang, 1280, 800).await;
    operator
        .go(&format!("{base}{}", link["url"].as_str().unwrap()))
        .await;
    patient.find("[data-testid=call-accept]", w.accept).await;
    operator.find("[data-testid=call-status]", w.calling).await;
    if !shots.is_empty() {
        patient.shoot(&format!("{shots}-patient-ringing")).await;
        operator.shoot(&format!("{shots}-operator-ringing")).await;
    }
    patient.click("[data-testid=call-accept]", "").await;

    // Two-way audio: bytes arrive on both sides.
    let mut audio_at = None;
    for _ in 0..300 {
        let (_, _, pa, _) = call_figures(&patient).await;
        let (_, _, oa, _) = call_figures(&operator).await;
        if pa > 0 && oa > 0 {
            audio_at = Some(pressed.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let Some(setup) = audio_at else {
        let p = patient.exec("return document.getElementById('call-layer')?.innerText ?? document.body.innerText").await;
        let o = operator.exec("return document.body.innerText").await;
        panic!(
            "no two-way audio within 15 s: patient {:?} {p}; operator {:?} {o}",
            call_figures(&patient).await,
            call_figures(&operator).await
        );
    };
    // Video too, and the path is what was asked for.
    let want = if through_relay { "relay" } else { "direct" };
    until("video both ways on the expected path", || async {
        let p = call_figures(&patient).await;
        let o = call_figures(&operator).await;
        p.0 == "connected" && o.0 == "connected" && p.3 > 0 && o.3 > 0 && p.1 == want && o.1 == want
    })
    .await;
    // The numbers keep growing: the media flows, not one burst.
    let (_, _, a1, v1) = call_figures(&patient).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (_, _, a2, v2) = call_figures(&patient).await;
    assert!(
        a2 > a1 && v2 > v1,
        "media stalled: audio {a1}→{a2}, video {v1}→{v2}"
    );
    if !shots.is_empty() {
        patient.shoot(&format!("{shots}-patient-in-call")).await;
        operator.shoot(&format!("{shots}-operator-in-call")).await;
    }
    if let Some((turn, dir)) = lose {
        // The path is lost (the relay dies): both sides see it, and when the relay is back the
        // same call carries on (an ICE restart over the same signalling), not a new one.
        turn.kill().await;
        until("both sides see the path lost", || async {
            call_figures(&patient).await.0 == "reconnecting"
                && call_figures(&operator).await.0 == "reconnecting"
        })
        .await;
        if !shots.is_empty() {
            patient
                .shoot(&format!("{shots}-patient-reconnecting"))
                .await;
        }
        turn.start_again(dir).await;
        let (_, _, a1, _) = call_figures(&patient).await;
        let (_, _, o1, _) = call_figures(&operator).await;
        for _ in 0..600 {
            let (pp, _, a2, _) = call_figures(&patient).await;
            let (op, _, o2, _) = call_figures(&operator).await;
            if pp == "connected" && op == "connected" && a2 > a1 + 2000 && o2 > o1 + 2000 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (pp, _, a2, _) = call_figures(&patient).await;
        let (op, _, o2, _) = call_figures(&operator).await;
        assert!(
            pp == "connected" && op == "connected" && a2 > a1 + 2000 && o2 > o1 + 2000,
            "the call did not come back: patient {pp} {a1}→{a2}, operator {op} {o1}→{o2}"
        );
        let same = api(
            &http,
            reqwest::Method::GET,
            format!("{base}/api/v1/calls/{call_id}"),
            &anna,
            Value::Null,
        )
        .await;
        assert_eq!(same["state"], "active", "{same}");
    }

    // The operator hangs up: the patient's page shows the end, the thread has the call's note.
    operator.click("[data-testid=call-hangup]", "").await;
    // The patient's screen says so for a few seconds, then the chat is back with the note.
    until("the patient's call screen ended or closed", || async {
        let phase = call_figures(&patient).await.0;
        phase.is_empty() || phase == "ended"
    })
    .await;
    operator.find(".call-note", w.close_window).await;
    if !shots.is_empty() {
        operator.shoot(&format!("{shots}-operator-ended")).await;
    }
    let ended = api(
        &http,
        reqwest::Method::GET,
        format!("{base}/api/v1/calls/{call_id}"),
        &anna,
        Value::Null,
    )
    .await;
    assert_eq!(ended["end"], "completed", "{ended}");
    patient.find("[data-testid=thread]", w.video_call).await;
    patient.quit().await;
    operator.quit().await;
    setup
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patient_and_operator_talk_directly_and_through_the_relay() {
    let dir = tempfile::tempdir().unwrap();
    // Directly: no relay configured, host candidates on this machine.
    {
        let (_state, server) =
            careline_server::testing::demo_with(&dir.path().join("direct"), |_| {}).await;
        let setup = talk(&server.url, false, "call-direct", &RU_EN, None).await;
        eprintln!("direct: Call → two-way audio in {setup:?}");
        server.stop().await;
    }
    // Through the relay only: the clinic's policy, every candidate a relayed one.
    let mut turn = relay(dir.path()).await;
    let (_state, server) = careline_server::testing::demo_with(&dir.path().join("relay"), |c| {
        c.turn_urls = vec![format!("turn:127.0.0.1:{}?transport=udp", turn.port)];
        c.turn_secret = turn.secret.clone();
        c.turn_only = true;
    })
    .await;
    let setup = talk(
        &server.url,
        true,
        "call-relay",
        &ZH_RU,
        Some((&mut turn, dir.path())),
    )
    .await;
    eprintln!("relay: Call → two-way audio in {setup:?}");
    server.stop().await;
}

/// The call set-up benchmark (BENCHMARKS.md, "Calls"): `n` calls one after another between the
/// same two browsers, each from "Call" (the request that rings the patient) to audio flowing
/// both ways, the patient answering the moment the page rings and the operator's call page
/// opened fresh from its one-time link each time. Returns each call's time.
async fn setup_times(base: &str, phone: &str, n: usize) -> Vec<Duration> {
    let http = reqwest::Client::new();
    let (anna, _) = demo_login(&http, base, "anna").await;
    let patient = Browser::with_fake_media("ru", 390, 844).await;
    patient.go(&format!("{base}/chat")).await;
    patient.click("[data-testid=switch-mode]", "").await;
    patient.fill("#name", "Замер Звонков").await;
    patient.fill("#phone", phone).await;
    patient.fill("#password", "пароль-пациента").await;
    patient.click("[data-testid=register]", "").await;
    patient.fill("#composer", "Замер: позвоните").await;
    patient.click("[data-testid=send]", "").await;
    patient.find("[data-testid=status]", "Ждём врача").await;
    let queue = api(
        &http,
        reqwest::Method::GET,
        format!("{base}/api/v1/consultations?status=new&limit=200"),
        &anna,
        Value::Null,
    )
    .await;
    let consultation = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["subject"].as_str().is_some_and(|s| s.contains("Замер")))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api(
        &http,
        reqwest::Method::POST,
        format!("{base}/api/v1/consultations/{consultation}/take"),
        &anna,
        json!({}),
    )
    .await;
    let operator = Browser::with_fake_media("en", 1280, 800).await;
    let mut times = Vec::new();
    for _ in 0..n {
        let pressed = Instant::now();
        let call = api(
            &http,
            reqwest::Method::POST,
            format!("{base}/api/v1/consultations/{consultation}/calls"),
            &anna,
            json!({"media": "video"}),
        )
        .await;
        let id = call["id"].as_str().unwrap().to_owned();
        let link = api(
            &http,
            reqwest::Method::POST,
            format!("{base}/api/v1/calls/{id}/link"),
            &anna,
            json!({}),
        )
        .await;
        // A new page each time, as the desk opens a new tab (the same page would take the
        // new link as a jump within itself).
        operator.go("about:blank").await;
        // The call's page opens while the patient's rings; the patient answers at once.
        let page_url = format!("{base}{}", link["url"].as_str().unwrap());
        let open_page = operator.go(&page_url);
        let answer = async {
            loop {
                let clicked = patient
                    .exec("const b = document.querySelector('[data-testid=call-accept]'); if (b) b.click(); return !!b")
                    .await;
                if clicked == json!(true) {
                    return pressed.elapsed();
                }
                assert!(pressed.elapsed() < Duration::from_secs(20), "it never rang");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        let ((), rang) = tokio::join!(open_page, answer);
        loop {
            let (_, _, pa, _) = call_figures(&patient).await;
            let (_, _, oa, _) = call_figures(&operator).await;
            if pa > 0 && oa > 0 {
                break;
            }
            if pressed.elapsed() > Duration::from_secs(20) {
                let p = patient.exec("return document.getElementById('call-layer')?.innerText ?? document.body.innerText.slice(0, 300)").await;
                let o = operator
                    .exec("return document.body.innerText.slice(0, 300)")
                    .await;
                panic!(
                    "call {}: no two-way audio within 20 s: patient {:?} {p}; operator {:?} {o}",
                    times.len() + 1,
                    call_figures(&patient).await,
                    call_figures(&operator).await
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        times.push(pressed.elapsed());
        eprintln!(
            "call {}: rang and answered after {:.2} s, two-way audio {:.2} s after the answer",
            times.len(),
            rang.as_secs_f64(),
            (pressed.elapsed() - rang).as_secs_f64()
        );
        api(
            &http,
            reqwest::Method::POST,
            format!("{base}/api/v1/calls/{id}/hangup"),
            &anna,
            json!({}),
        )
        .await;
        until("the patient's side ended", || async {
            call_figures(&patient).await.0 == "ended" || call_figures(&patient).await.0.is_empty()
        })
        .await;
    }
    patient.quit().await;
    operator.quit().await;
    times
}

fn summary(mut times: Vec<Duration>) -> String {
    times.sort();
    let at = |p: f64| times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1];
    format!(
        "{} calls: min {:.2} s, p50 {:.2} s, p95 {:.2} s, max {:.2} s",
        times.len(),
        times[0].as_secs_f64(),
        at(0.5).as_secs_f64(),
        at(0.95).as_secs_f64(),
        times[times.len() - 1].as_secs_f64()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: cargo test -p careline-core --test web_calls -- --ignored --nocapture call_setup"]
async fn call_setup_benchmark() {
    let n = std::env::var("CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    {
        let (_state, server) =
            careline_server::testing::demo_with(&dir.path().join("direct"), |_| {}).await;
        let times = setup_times(&server.url, "+7 912 555-22-01", n).await;
        println!("loopback: {}", summary(times));
        server.stop().await;
    }
    let turn = relay(dir.path()).await;
    let (_state, server) = careline_server::testing::demo_with(&dir.path().join("relay"), |c| {
        c.turn_urls = vec![format!("turn:127.0.0.1:{}?transport=udp", turn.port)];
        c.turn_secret = turn.secret.clone();
        c.turn_only = true;
    })
    .await;
    let times = setup_times(&server.url, "+7 912 555-22-02", n).await;
    println!("through the relay: {}", summary(times));
    server.stop().await;
}
