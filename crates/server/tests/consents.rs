//! Consents over the real API, on both engines: admins keep versioned texts in three languages;
//! registration asks for the required ones; a new version asks again; answers are kept with
//! version, time and channel (the page, or a phone call staff recorded); a call and a booking
//! that need a consent are refused without it, and go ahead once it is given.

mod common;

use careline_protocol::Role;
use chrono::{Duration, Utc};
use common::{TestServer, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn text(ru: &str, zh: &str, en: &str) -> Value {
    json!({"ru": ru, "zh": zh, "en": en})
}

fn health_data() -> Value {
    json!({
        "key": "health_data", "required": true,
        "title": text("Обработка данных о здоровье", "健康数据处理", "Processing of health data"),
        "text": text("Я согласен на обработку…", "我同意处理…", "I agree to the processing…"),
    })
}

fn video_calls(needed_for: &[&str]) -> Value {
    json!({
        "key": "video_calls", "needed_for": needed_for,
        "title": text("Видеозвонки", "视频通话", "Video calls"),
        "text": text("Я согласен на видеоконсультации…", "我同意视频问诊…", "I agree to video consultations…"),
    })
}

/// Where the client stands with the consent of `key`.
fn state_of(all: &Value, key: &str) -> (String, Value) {
    let c = all
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["consent"]["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in {all}"));
    (
        c["state"].as_str().unwrap().to_owned(),
        c["history"].clone(),
    )
}

both!(
    consents_are_asked_kept_and_gate_calls_and_bookings,
    |db| async move {
        let s = TestServer::start(db).await;
        let admin = s.staff("root", Role::Admin).await;
        let op = s.staff("anna", Role::Operator).await;
        let anon = s.anon();
        // Registered before the clinic asked for any consent.
        let other = s.client("Чужой", "+79001112299").await;

        // Admins keep the texts; nobody else; a bad or a taken key changes nothing.
        let (st, _) = op.post("/api/v1/consents", health_data()).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let hd = admin.must("/api/v1/consents", health_data()).await;
        let hd_id = hd["id"].as_str().unwrap().to_owned();
        assert_eq!(
            (hd["version"].as_i64(), hd["required"].as_bool()),
            (Some(1), Some(true))
        );
        let vc = admin.must("/api/v1/consents", video_calls(&["call"])).await;
        let vc_id = vc["id"].as_str().unwrap().to_owned();
        for bad in [
            json!({"key": "Bad Key", "title": text("a", "b", "c"), "text": text("a", "b", "c")}),
            json!({"key": "no_zh", "title": text("a", "", "c"), "text": text("a", "b", "c")}),
        ] {
            let (st, b) = admin.post("/api/v1/consents", bad).await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        }
        let (st, b) = admin.post("/api/v1/consents", health_data()).await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("already_exists"))
        );
        // Anyone reads the active texts: the registration form needs them.
        let listed = anon.ok("/api/v1/consents").await;
        assert_eq!(listed.as_array().unwrap().len(), 2);

        // Registering without the required one is refused, and makes no account.
        let reg = |consents: Value| json!({"name": "Вера", "phone": "+79001112233", "password": PASSWORD, "consents": consents});
        let (st, b) = anon.post("/api/v1/clients/register", reg(json!([]))).await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("consent_required")),
            "{b}"
        );
        let (st, _) = anon
            .post(
                "/api/v1/auth/login",
                json!({"login": "+79001112233", "password": PASSWORD}),
            )
            .await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "no account was made");
        let (st, b) = anon
            .post(
                "/api/v1/clients/register",
                reg(json!([{"id": hd_id, "version": 0}])),
            )
            .await;
        assert_eq!(b["code"], "consent_required", "{st} {b}");
        let (st, b) = anon
            .post(
                "/api/v1/clients/register",
                reg(json!([{"id": hd_id, "version": 1}])),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        let patient = s.anon().with_token(b["token"].as_str().unwrap());
        let me = patient.user_id().await;
        let mine = patient.ok(&format!("/api/v1/clients/{me}/consents")).await;
        let (state, history) = state_of(&mine, "health_data");
        assert_eq!(state, "accepted");
        assert_eq!(
            (
                history[0]["channel"].as_str(),
                history[0]["version"].as_i64()
            ),
            (Some("web"), Some(1))
        );
        assert_eq!(state_of(&mine, "video_calls").0, "never");

        // New words: version 2, asked again; an answer to the old text is refused.
        let mut reworded = health_data();
        reworded["text"]["ru"] = json!("Я согласен на обработку персональных данных о здоровье…");
        let hd2 = admin
            .call(
                Method::PUT,
                &format!("/api/v1/consents/{hd_id}"),
                Some(reworded),
            )
            .await
            .1;
        assert_eq!(hd2["version"], 2);
        assert_eq!(
            state_of(
                &patient.ok(&format!("/api/v1/clients/{me}/consents")).await,
                "health_data"
            )
            .0,
            "outdated"
        );
        let (st, b) = patient
            .post(
                &format!("/api/v1/consents/{hd_id}/accept"),
                json!({"version": 1}),
            )
            .await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("illegal_transition"))
        );
        patient
            .must(
                &format!("/api/v1/consents/{hd_id}/accept"),
                json!({"version": 2}),
            )
            .await;
        assert_eq!(
            state_of(
                &patient.ok(&format!("/api/v1/clients/{me}/consents")).await,
                "health_data"
            )
            .0,
            "accepted"
        );

        // A call needs "video calls": refused until reception records it given by phone.
        let c = patient.open_consultation("нужна видеоконсультация").await;
        op.must(&format!("/api/v1/consultations/{c}/take"), json!({}))
            .await;
        let (st, b) = op
            .post(
                &format!("/api/v1/consultations/{c}/calls"),
                json!({"media": "video"}),
            )
            .await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("consent_required")),
            "{b}"
        );
        assert!(b["message"].as_str().unwrap().contains("Video calls"));
        op.must(
            &format!("/api/v1/consents/{vc_id}/accept"),
            json!({"version": 1, "client_id": me, "note": "по телефону, звонок в 12:30"}),
        )
        .await;
        let recorded = op.ok(&format!("/api/v1/clients/{me}/consents")).await;
        let (state, history) = state_of(&recorded, "video_calls");
        assert_eq!(state, "accepted");
        assert_eq!(history[0]["channel"], "phone");
        assert_eq!(history[0]["recorded_by_name"], "anna name");
        assert_eq!(history[0]["note"], "по телефону, звонок в 12:30");
        let call = op
            .must(
                &format!("/api/v1/consultations/{c}/calls"),
                json!({"media": "video"}),
            )
            .await;
        op.must(
            &format!("/api/v1/calls/{}/hangup", call["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
        // Withdrawn with one tap: the next call is refused again.
        patient
            .must(
                &format!("/api/v1/consents/{vc_id}/withdraw"),
                json!({"version": 1}),
            )
            .await;
        let (st, _) = op
            .post(
                &format!("/api/v1/consultations/{c}/calls"),
                json!({"media": "audio"}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT);

        // A booking that needs it is refused too (the same text now also gates bookings: not a new
        // version, so nobody is asked again).
        let vc = admin
            .call(
                Method::PUT,
                &format!("/api/v1/consents/{vc_id}"),
                Some(video_calls(&["call", "booking"])),
            )
            .await
            .1;
        assert_eq!(vc["version"], 1);
        let doctor = s.staff("lena", Role::Operator).await;
        let doctor_id = doctor.user_id().await;
        let weekly: Vec<Value> = (1..=7)
            .map(|d| json!({"weekday": d, "from": "00:00", "to": "24:00"}))
            .collect();
        let (st, b) = admin
        .call(
            Method::PUT,
            &format!("/api/v1/operators/{doctor_id}/schedule"),
            Some(json!({"time_zone": "UTC", "weekly": weekly, "visit_minutes": {"phone": 15, "video": 30}})),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{b}");
        let day = (Utc::now() + Duration::days(1)).date_naive();
        let at = day.and_hms_opt(10, 0, 0).unwrap().and_utc().to_rfc3339();
        let book = json!({"operator_id": doctor_id, "kind": "video", "starts_at": at});
        let (st, b) = patient.post("/api/v1/appointments", book.clone()).await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("consent_required")),
            "{b}"
        );
        patient
            .must(
                &format!("/api/v1/consents/{vc_id}/accept"),
                json!({"version": 1}),
            )
            .await;
        let (st, b) = patient.post("/api/v1/appointments", book).await;
        assert_eq!(st, StatusCode::CREATED, "{b}");

        // Nobody else reads a client's consents; every answer is kept, newest first.
        let (st, _) = other.get(&format!("/api/v1/clients/{me}/consents")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let pharm = s.staff("pia", Role::Pharmacist).await;
        let (st, _) = pharm.get(&format!("/api/v1/clients/{me}/consents")).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let all = admin.ok(&format!("/api/v1/clients/{me}/consents")).await;
        let history = state_of(&all, "video_calls").1;
        let actions: Vec<&str> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["accept", "withdraw", "accept"]);
        let audit = admin.ok("/api/v1/audit?action=consent.").await.to_string();
        for action in ["consent.create", "consent.update", "consent.record"] {
            assert!(audit.contains(action), "{action} not audited");
        }
        s.stop().await;
    }
);
