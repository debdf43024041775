//! Booked visits over the real API: schedules, free slots, booking (a slot at most once — 100
//! clients at the same moment on SQLite, on PostgreSQL and across two instances), moving,
//! cancelling, declining with a refund, the waiting room's check-in; who may do what.

mod common;

use std::sync::Arc;

use careline_protocol::{RegisterRequest, Role};
use careline_server::passwords::{hash_password, new_token};
use chrono::{DateTime, Duration, Utc};
use common::{Api, Db, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Open every day around the clock in UTC: every half hour is a video slot, every quarter a
/// phone one, whatever the time the test runs.
fn all_week() -> Value {
    let weekly: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "from": "00:00", "to": "24:00"}))
        .collect();
    json!({
        "time_zone": "UTC",
        "specialties": ["therapist", "  cardiologist "],
        "languages": ["ru", "en"],
        "weekly": weekly,
        "visit_minutes": {"phone": 15, "video": 30},
    })
}

/// Tomorrow at `hour`:00 UTC: a slot of [`all_week`].
fn tomorrow_at(hour: u32) -> DateTime<Utc> {
    let day = (Utc::now() + Duration::days(1)).date_naive();
    day.and_hms_opt(hour, 0, 0).unwrap().and_utc()
}

async fn doctor_with_schedule(s: &TestServer, admin: &Api, login: &str) -> (Api, String) {
    let doctor = s.staff(login, Role::Operator).await;
    let id = doctor.user_id().await;
    let (status, body) = admin
        .call(
            Method::PUT,
            &format!("/api/v1/operators/{id}/schedule"),
            Some(all_week()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (doctor, id)
}

/// `n` logged-in clients made through the store (one password hash for all: 100 Argon2
/// hashes would take the test's time, and registration has tests of its own).
async fn many_clients(s: &TestServer, n: usize) -> Vec<Api> {
    let hash = hash_password(common::PASSWORD.into()).await.unwrap();
    let mut out = Vec::new();
    for i in 0..n {
        let req = RegisterRequest {
            name: format!("Patient {i}"),
            phone: format!("+7900{:07}", 5_000_000 + i),
            password: common::PASSWORD.into(),
            email: None,
            source: None,
            claim_code: None,
            consents: Vec::new(),
        };
        let c = s
            .state
            .store
            .register_client(&req, hash.clone())
            .await
            .unwrap();
        let (token, token_hash) = new_token();
        s.state
            .store
            .insert_token(
                &token_hash,
                c.id,
                Role::Client,
                (Utc::now() + Duration::hours(1)).timestamp_millis(),
            )
            .await
            .unwrap();
        out.push(s.anon().with_token(&token));
    }
    out
}

fn book_body(doctor: &str, at: DateTime<Utc>) -> Value {
    json!({"operator_id": doctor, "kind": "video", "starts_at": at.to_rfc3339(), "reason": "a cough for two weeks"})
}

async fn slot_starts(
    api: &Api,
    doctor: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<String> {
    let (status, body) = api
        .call(
            Method::GET,
            &format!(
                "/api/v1/slots?kind=video&operator_id={doctor}&from={}&to={}",
                urlencode(&from.to_rfc3339()),
                urlencode(&to.to_rfc3339())
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap().to_owned())
        .collect()
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

fn same_instant(a: &str, b: DateTime<Utc>) -> bool {
    a.parse::<DateTime<Utc>>().unwrap() == b
}

both!(
    a_booked_slot_is_gone_and_its_visit_is_in_the_thread,
    |db| async move {
        let s = TestServer::start(db).await;
        let admin = s.staff("root", Role::Admin).await;
        let (doctor, doctor_id) = doctor_with_schedule(&s, &admin, "dr-ivanova").await;
        let patient = s.client("Анна Петрова", "+79001234567").await;
        let at = tomorrow_at(10);
        let (from, to) = (at - Duration::hours(1), at + Duration::hours(1));

        // The patient sees the specialist and the free slots around 10:00.
        let specialists = patient.ok("/api/v1/specialists").await;
        let me = specialists
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["operator_id"] == doctor_id.as_str())
            .expect("the doctor is bookable");
        assert_eq!(me["specialties"], json!(["therapist", "cardiologist"]));
        let before = slot_starts(&patient, &doctor_id, from, to).await;
        assert_eq!(before.len(), 4, "09:00, 09:30, 10:00, 10:30: {before:?}");
        assert!(before.iter().any(|x| same_instant(x, at)));

        // The patient is chatting in the queue; booking a visit does not disturb that.
        let chat = patient.open_consultation("a question first").await;

        let (status, visit) = patient
            .call(
                Method::POST,
                "/api/v1/appointments",
                Some(book_body(&doctor_id, at)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{visit}");
        assert_eq!(visit["status"], "booked");
        assert!(same_instant(
            visit["ends_at"].as_str().unwrap(),
            at + Duration::minutes(30)
        ));
        let after = slot_starts(&patient, &doctor_id, from, to).await;
        assert_eq!(after.len(), 3, "{after:?}");
        assert!(!after.iter().any(|x| same_instant(x, at)));

        // Its consultation: in the patient's thread, of its kind, the specialist's, out of the queue.
        let c = doctor
            .ok(&format!(
                "/api/v1/consultations/{}",
                visit["consultation_id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(c["status"], "scheduled");
        assert_eq!(c["kind"], "video");
        assert_eq!(c["operator_id"], doctor_id.as_str());
        assert_eq!(c["appointment_id"], visit["id"]);
        assert_eq!(c["client_id"], patient.user_id().await.as_str());
        let chat_now = patient.ok(&format!("/api/v1/consultations/{chat}")).await;
        assert_eq!(chat_now["status"], "new", "the chat is still in the queue");
        let queue = doctor.ok("/api/v1/consultations?status=new").await;
        assert!(
            !queue["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["consultation"]["id"] == c["id"]),
            "a booked visit is not in the queue"
        );
        // Nobody takes a booked visit from the queue.
        let other = s.staff("dr-other", Role::Operator).await;
        let (status, body) = other
            .call(
                Method::POST,
                &format!("/api/v1/consultations/{}/take", c["id"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");

        // The same time again: someone was first.
        let second = s.client("Олег", "+79001234568").await;
        let (status, body) = second
            .call(
                Method::POST,
                "/api/v1/appointments",
                Some(book_body(&doctor_id, at)),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["code"], "already_taken");
        // A 15-minute phone visit at 10:15 overlaps the video visit too.
        let (status, body) = second
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(json!({"operator_id": doctor_id, "kind": "phone", "starts_at": (at + Duration::minutes(15)).to_rfc3339()})),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");

        // The agenda: the patient sees their own, the specialist's desk sees it by day.
        let mine = patient.ok("/api/v1/appointments").await;
        assert_eq!(mine.as_array().unwrap().len(), 1);
        assert!(second
            .ok("/api/v1/appointments")
            .await
            .as_array()
            .unwrap()
            .is_empty());
        let agenda = doctor
            .ok(&format!(
                "/api/v1/appointments?operator_id={doctor_id}&from={}&to={}",
                urlencode(&from.to_rfc3339()),
                urlencode(&to.to_rfc3339())
            ))
            .await;
        assert_eq!(agenda[0]["id"], visit["id"]);

        // Moved to 10:30 by the patient (well before the cancellation window): 10:00 is free again.
        let id = visit["id"].as_str().unwrap();
        let moved = patient
            .must(
                &format!("/api/v1/appointments/{id}/reschedule"),
                json!({"starts_at": (at + Duration::minutes(30)).to_rfc3339()}),
            )
            .await;
        assert!(same_instant(
            moved["starts_at"].as_str().unwrap(),
            at + Duration::minutes(30)
        ));
        let free = slot_starts(&patient, &doctor_id, from, to).await;
        assert!(free.iter().any(|x| same_instant(x, at)));
        assert!(!free
            .iter()
            .any(|x| same_instant(x, at + Duration::minutes(30))));

        // Cancelled by the patient: the slot is free, the visit's consultation closed.
        let cancelled = patient
            .must(
                &format!("/api/v1/appointments/{id}/cancel"),
                json!({"reason": "feeling better"}),
            )
            .await;
        assert_eq!(cancelled["status"], "cancelled");
        assert_eq!(cancelled["status_reason"], "feeling better");
        assert_eq!(slot_starts(&patient, &doctor_id, from, to).await.len(), 4);
        let c = doctor
            .ok(&format!(
                "/api/v1/consultations/{}",
                c["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(c["status"], "closed");
        // Cancelled is final.
        let (status, _) = patient
            .call(
                Method::POST,
                &format!("/api/v1/appointments/{id}/cancel"),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        s.stop().await;
    }
);

both!(
    a_declined_visit_is_refunded_in_full_and_told,
    |db| async move {
        let s = TestServer::start(db).await;
        let admin = s.staff("root", Role::Admin).await;
        // A video tariff: the visit is priced by it.
        let tariff = admin
            .must(
                "/api/v1/tariffs",
                json!({"name": "Видео", "kind": "video", "price": 150000, "currency": "RUB"}),
            )
            .await;
        assert_eq!(tariff["price"], 150000);
        let (doctor, doctor_id) = doctor_with_schedule(&s, &admin, "dr-li").await;
        let patient = s.client("李明", "+8613800138000").await;
        let visit = patient
            .must(
                "/api/v1/appointments",
                book_body(&doctor_id, tomorrow_at(11)),
            )
            .await;
        let c_id = visit["consultation_id"].as_str().unwrap().to_owned();
        assert_eq!(
            doctor.ok(&format!("/api/v1/consultations/{c_id}")).await["price"],
            150000
        );
        let id = visit["id"].as_str().unwrap();

        // Another operator may not decline it; the patient may not either; a reason is required.
        let other = s.staff("dr-other", Role::Operator).await;
        let (status, body) = other
            .call(
                Method::POST,
                &format!("/api/v1/appointments/{id}/decline"),
                Some(json!({"reason": "busy"})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["code"], "not_assigned");
        let (status, _) = patient
            .call(
                Method::POST,
                &format!("/api/v1/appointments/{id}/decline"),
                Some(json!({"reason": "x"})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = doctor
            .call(
                Method::POST,
                &format!("/api/v1/appointments/{id}/decline"),
                Some(json!({"reason": "  "})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

        // The patient's live connection hears it.
        let mut ws = common::Ws::connect(&patient, None).await;
        ws.until_live().await;
        let declined = doctor
            .must(
                &format!("/api/v1/appointments/{id}/decline"),
                json!({"reason": "not my specialty: see a dermatologist"}),
            )
            .await;
        assert_eq!(declined["status"], "declined");
        let heard = ws
            .wait_for(|e| e["kind"] == "appointment" && e["data"]["status"] == "declined")
            .await;
        let told = heard.iter().find(|e| e["kind"] == "appointment").unwrap();
        assert_eq!(
            told["data"]["status_reason"],
            "not my specialty: see a dermatologist"
        );

        let refunds = s
            .state
            .store
            .refunds_of(c_id.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(refunds.len(), 1);
        assert_eq!(refunds[0].amount, 150000);
        assert_eq!(refunds[0].status, careline_protocol::RefundStatus::Approved);
        // Its slot is free again.
        let free = slot_starts(&patient, &doctor_id, tomorrow_at(11), tomorrow_at(12)).await;
        assert!(same_instant(&free[0], tomorrow_at(11)));
        s.stop().await;
    }
);

both!(
    who_may_do_what_and_bad_input_changes_nothing,
    |db| async move {
        let s = TestServer::start(db).await;
        let admin = s.staff("root", Role::Admin).await;
        let (doctor, doctor_id) = doctor_with_schedule(&s, &admin, "dr-a").await;
        let colleague = s.staff("dr-b", Role::Operator).await;
        let colleague_id = colleague.user_id().await;
        let patient = s.client("Пациент", "+79001112233").await;
        let stranger = s.client("Чужой", "+79001112244").await;

        // An operator edits their own schedule, not a colleague's; a client reads none.
        let (status, _) = doctor
            .call(
                Method::PUT,
                &format!("/api/v1/operators/{colleague_id}/schedule"),
                Some(all_week()),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = colleague
            .call(
                Method::PUT,
                &format!("/api/v1/operators/{colleague_id}/schedule"),
                Some(all_week()),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = patient
            .call(
                Method::GET,
                &format!("/api/v1/operators/{doctor_id}/schedule"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // The role is checked before the body is read: a patient's garbage gets 403, not 400.
        let (status, _) = patient
            .raw(
                Method::PUT,
                &format!("/api/v1/operators/{doctor_id}/schedule"),
                "{not json",
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // A bad schedule is refused with what is wrong, and the old one stays.
        let mut bad = all_week();
        bad["weekly"] = json!([{"weekday": 1, "from": "10:00", "to": "09:00"}]);
        let (status, body) = doctor
            .call(
                Method::PUT,
                &format!("/api/v1/operators/{doctor_id}/schedule"),
                Some(bad),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("ends before it starts"),
            "{body}"
        );
        let kept = doctor
            .ok(&format!("/api/v1/operators/{doctor_id}/schedule"))
            .await;
        assert_eq!(kept["weekly"].as_array().unwrap().len(), 7);

        let at = tomorrow_at(12);
        // Not a slot, a chat, the past, for someone else, nobody's schedule: refused.
        for (body, code) in [
            (
                json!({"operator_id": doctor_id, "kind": "video", "starts_at": (at + Duration::minutes(10)).to_rfc3339()}),
                422,
            ),
            (
                json!({"operator_id": doctor_id, "kind": "chat", "starts_at": at.to_rfc3339()}),
                422,
            ),
            (
                json!({"operator_id": doctor_id, "kind": "video", "starts_at": (Utc::now() - Duration::hours(2)).to_rfc3339()}),
                422,
            ),
            (
                json!({"operator_id": doctor_id, "kind": "video", "starts_at": at.to_rfc3339(), "client_id": stranger.user_id().await}),
                403,
            ),
            (
                json!({"operator_id": uuid::Uuid::now_v7(), "kind": "video", "starts_at": at.to_rfc3339()}),
                404,
            ),
        ] {
            let (status, answer) = patient
                .call(Method::POST, "/api/v1/appointments", Some(body.clone()))
                .await;
            assert_eq!(status.as_u16(), code, "{body} → {answer}");
        }
        assert!(patient
            .ok("/api/v1/appointments")
            .await
            .as_array()
            .unwrap()
            .is_empty());

        // Reception books for a caller; the caller sees it, a stranger does not.
        let visit = doctor
        .must(
            "/api/v1/appointments",
            json!({"operator_id": doctor_id, "kind": "video", "starts_at": at.to_rfc3339(), "client_id": patient.user_id().await}),
        )
        .await;
        assert_eq!(visit["booked_by"], doctor_id.as_str());
        let id = visit["id"].as_str().unwrap();
        assert_eq!(
            patient.ok(&format!("/api/v1/appointments/{id}")).await["id"],
            visit["id"]
        );
        let (status, _) = stranger
            .call(Method::GET, &format!("/api/v1/appointments/{id}"), None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = stranger
            .call(
                Method::POST,
                &format!("/api/v1/appointments/{id}/cancel"),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // The patient cannot be in two visits at once, even with another specialist.
        let (status, body) = patient
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(json!({"operator_id": colleague_id, "kind": "video", "starts_at": at.to_rfc3339()})),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        // The waiting room is not open a day ahead.
        let (status, body) = patient
            .call(
                Method::POST,
                &format!("/api/v1/appointments/{id}/check-in"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(body["message"].as_str().unwrap().contains("15 minutes"));
        s.stop().await;
    }
);

both!(
    the_cancellation_window_holds_patients_not_staff,
    |db| async move {
        let s = TestServer::start(db).await;
        let admin = s.staff("root", Role::Admin).await;
        let (doctor, doctor_id) = doctor_with_schedule(&s, &admin, "dr-w").await;
        // A window of a whole day: a visit tomorrow is inside it only if it starts within 24 h.
        let mut settings = admin.ok("/api/v1/settings").await;
        settings["visits"] = json!({"cancel_before_minutes": 2 * 1440});
        admin
            .call(Method::PUT, "/api/v1/settings", Some(settings))
            .await;
        let patient = s.client("Пациент", "+79002223344").await;
        let visit = patient
            .must(
                "/api/v1/appointments",
                book_body(&doctor_id, tomorrow_at(13)),
            )
            .await;
        let id = visit["id"].as_str().unwrap();
        let (status, body) = patient
            .call(
                Method::POST,
                &format!("/api/v1/appointments/{id}/cancel"),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("2880 minutes"),
            "{body}"
        );
        let (status, _) = patient
            .call(
                Method::POST,
                &format!("/api/v1/appointments/{id}/reschedule"),
                Some(json!({"starts_at": tomorrow_at(14).to_rfc3339()})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        // Reception may still move and cancel it.
        let moved = doctor
            .must(
                &format!("/api/v1/appointments/{id}/reschedule"),
                json!({"starts_at": tomorrow_at(14).to_rfc3339()}),
            )
            .await;
        assert!(same_instant(
            moved["starts_at"].as_str().unwrap(),
            tomorrow_at(14)
        ));
        let cancelled = doctor
            .must(
                &format!("/api/v1/appointments/{id}/cancel"),
                json!({"reason": "the patient called"}),
            )
            .await;
        assert_eq!(cancelled["status"], "cancelled");
        s.stop().await;
    }
);

/// 100 clients book one slot at the same moment, through the given servers in turn.
async fn hundred_at_once(servers: &[&TestServer]) {
    let first = servers[0];
    let admin = first.staff("root", Role::Admin).await;
    let (_doctor, doctor_id) = doctor_with_schedule(first, &admin, "dr-busy").await;
    let mut clients = many_clients(first, 100).await;
    for (i, c) in clients.iter_mut().enumerate() {
        c.base = servers[i % servers.len()].base.clone();
    }
    let at = tomorrow_at(15);
    let start = Arc::new(tokio::sync::Barrier::new(clients.len()));
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|c| {
            let start = start.clone();
            let body = book_body(&doctor_id, at);
            tokio::spawn(async move {
                start.wait().await;
                c.call(Method::POST, "/api/v1/appointments", Some(body))
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            StatusCode::CREATED => won += 1,
            StatusCode::CONFLICT => assert_eq!(body["code"], "already_taken", "{body}"),
            other => panic!("a booking answered {other}: {body}"),
        }
    }
    assert_eq!(won, 1, "exactly one of 100 books the slot");
    let held = admin
        .ok(&format!(
            "/api/v1/appointments?operator_id={doctor_id}&from={}&to={}",
            urlencode(&at.to_rfc3339()),
            urlencode(&(at + Duration::hours(1)).to_rfc3339())
        ))
        .await;
    assert_eq!(held.as_array().unwrap().len(), 1);
}

both!(
    a_hundred_clients_booking_one_slot_at_once_get_one_visit,
    |db| async move {
        let s = TestServer::start(db).await;
        hundred_at_once(&[&s]).await;
        s.stop().await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_clients_through_two_instances_get_one_visit() {
    let a = TestServer::start(Db::Postgres).await;
    let b = a.another_instance().await;
    hundred_at_once(&[&a, &b]).await;
    b.stop().await;
    a.stop().await;
}

/// The `appointment.*` deliveries an endpoint has, by type.
async fn told(admin: &Api, endpoint: &str) -> Vec<String> {
    let log = admin
        .ok(&format!("/api/v1/webhooks/{endpoint}/deliveries?limit=100"))
        .await;
    let mut types: Vec<String> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["event_type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    types
}

// Reminders at their times, with the sweep's clock given by the test: 5 minutes before, 10
// minutes late, missed at the end — each once, across a restart.
both!(
    reminders_come_once_at_their_times_across_a_restart,
    |db| async move {
        let s = TestServer::start_with(db, |c| c.webhook_allow_private = true).await;
        let admin = s.staff("root", Role::Admin).await;
        // An endpoint nobody answers: deliveries wait in its log, which is what is counted.
        let hook = admin
        .must(
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/sms", "events": ["appointment.booked", "appointment.reminder", "appointment.missed_start", "appointment.missed"]}),
        )
        .await;
        let endpoint = hook["id"].as_str().unwrap().to_owned();
        let (_doctor, doctor_id) = doctor_with_schedule(&s, &admin, "dr-r").await;
        let patient = s.client("Пациент", "+79003334455").await;
        let at = tomorrow_at(9);
        let visit = patient
            .must("/api/v1/appointments", book_body(&doctor_id, at))
            .await;
        let id = visit["id"].as_str().unwrap().to_owned();
        let t = |minutes: i64| (at + Duration::minutes(minutes)).timestamp_millis();
        let store = &s.state.store;

        assert_eq!(
            store.sweep_visits(t(-6)).await.unwrap().reminded,
            0,
            "too early"
        );
        assert_eq!(store.sweep_visits(t(-5)).await.unwrap().reminded, 1);
        assert_eq!(store.sweep_visits(t(-4)).await.unwrap().reminded, 0, "once");
        let s = s.restart().await;
        let store = &s.state.store;
        let admin = s.anon().login("root", common::PASSWORD).await;
        let sweep = store.sweep_visits(t(-1)).await.unwrap();
        assert_eq!(
            (sweep.reminded, sweep.late, sweep.missed),
            (0, 0, 0),
            "not again after a restart"
        );
        assert_eq!(store.sweep_visits(t(9)).await.unwrap().late, 0);
        assert_eq!(store.sweep_visits(t(10)).await.unwrap().late, 1);
        assert_eq!(store.sweep_visits(t(11)).await.unwrap().late, 0);
        assert_eq!(store.sweep_visits(t(29)).await.unwrap().missed, 0);
        assert_eq!(store.sweep_visits(t(30)).await.unwrap().missed, 1);
        assert_eq!(store.sweep_visits(t(31)).await.unwrap(), Default::default());
        let a = admin.ok(&format!("/api/v1/appointments/{id}")).await;
        assert_eq!(a["status"], "missed");
        let c = admin
            .ok(&format!(
                "/api/v1/consultations/{}",
                visit["consultation_id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(c["status"], "closed");
        assert_eq!(
            told(&admin, &endpoint).await,
            vec![
                "appointment.booked",
                "appointment.missed",
                "appointment.missed_start",
                "appointment.reminder"
            ]
        );
        s.stop().await;
    }
);

// A moved visit is reminded again at its new time; a cancelled one never.
both!(a_moved_visit_is_reminded_at_its_new_time, |db| async move {
    let s = TestServer::start(db).await;
    let admin = s.staff("root", Role::Admin).await;
    let (doctor, doctor_id) = doctor_with_schedule(&s, &admin, "dr-m").await;
    let patient = s.client("Пациент", "+79003334466").await;
    let first = patient
        .must(
            "/api/v1/appointments",
            book_body(&doctor_id, tomorrow_at(16)),
        )
        .await;
    let second = patient
        .must(
            "/api/v1/appointments",
            book_body(&doctor_id, tomorrow_at(18)),
        )
        .await;
    let t = |at: DateTime<Utc>, m: i64| (at + Duration::minutes(m)).timestamp_millis();
    let store = &s.state.store;
    assert_eq!(
        store
            .sweep_visits(t(tomorrow_at(16), -5))
            .await
            .unwrap()
            .reminded,
        1
    );
    doctor
        .must(
            &format!(
                "/api/v1/appointments/{}/reschedule",
                first["id"].as_str().unwrap()
            ),
            json!({"starts_at": tomorrow_at(17).to_rfc3339()}),
        )
        .await;
    doctor
        .must(
            &format!(
                "/api/v1/appointments/{}/cancel",
                second["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(
        store
            .sweep_visits(t(tomorrow_at(17), -5))
            .await
            .unwrap()
            .reminded,
        1,
        "moved: again"
    );
    assert_eq!(
        store
            .sweep_visits(t(tomorrow_at(18), -5))
            .await
            .unwrap()
            .reminded,
        0,
        "cancelled: never"
    );
    s.stop().await;
});

// Two instances sweeping at the same moment tell each visit once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_sweeping_at_once_remind_once() {
    let a = TestServer::start(Db::Postgres).await;
    let b = a.another_instance().await;
    let admin = a.staff("root", Role::Admin).await;
    let (_doctor, doctor_id) = doctor_with_schedule(&a, &admin, "dr-two").await;
    let patients = many_clients(&a, 20).await;
    // Twenty visits at 09:00, 09:30, … tomorrow.
    for (i, p) in patients.iter().enumerate() {
        p.must(
            "/api/v1/appointments",
            book_body(
                &doctor_id,
                tomorrow_at(9) + Duration::minutes(30 * i as i64),
            ),
        )
        .await;
    }
    // At 08:55 the first visit is due its reminder: told once, by one instance or the other.
    let early = (tomorrow_at(9) - Duration::minutes(5)).timestamp_millis();
    let (x, y) = tokio::join!(
        a.state.store.sweep_visits(early),
        b.state.store.sweep_visits(early)
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.reminded + y.reminded, 1, "{x:?} {y:?}");
    // At 19:00 every visit is over: each missed once.
    let late = (tomorrow_at(9) + Duration::hours(10)).timestamp_millis();
    let (x, y) = tokio::join!(
        a.state.store.sweep_visits(late),
        b.state.store.sweep_visits(late)
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.missed + y.missed, 20, "{x:?} {y:?}");
    b.stop().await;
    a.stop().await;
}

// The right to erasure reaches visits: a patient with a booked visit and a declined, refunded
// one is erased whole (the visits named the patient's consultations and stopped the erasure).
both!(a_patient_with_visits_can_be_erased, |db| async move {
    let s = TestServer::start(db).await;
    let admin = s.staff("root", Role::Admin).await;
    admin
        .must(
            "/api/v1/tariffs",
            json!({"name": "Видео", "kind": "video", "price": 100000, "currency": "RUB"}),
        )
        .await;
    let (doctor, doctor_id) = doctor_with_schedule(&s, &admin, "dr-e").await;
    let patient = s.client("Стираемый", "+79004445566").await;
    let patient_id = patient.user_id().await;
    patient
        .must(
            "/api/v1/appointments",
            book_body(&doctor_id, tomorrow_at(10)),
        )
        .await;
    let declined = patient
        .must(
            "/api/v1/appointments",
            book_body(&doctor_id, tomorrow_at(11)),
        )
        .await;
    doctor
        .must(
            &format!(
                "/api/v1/appointments/{}/decline",
                declined["id"].as_str().unwrap()
            ),
            json!({"reason": "нет"}),
        )
        .await;
    let (status, body) = admin
        .call(
            Method::DELETE,
            &format!("/api/v1/clients/{patient_id}"),
            None,
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let left = admin
        .ok(&format!(
            "/api/v1/appointments?client_id={patient_id}&from={}",
            urlencode(&Utc::now().to_rfc3339())
        ))
        .await;
    assert!(left.as_array().unwrap().is_empty(), "{left}");
    // The slot is free again.
    let free = slot_starts(&admin, &doctor_id, tomorrow_at(10), tomorrow_at(11)).await;
    assert!(same_instant(&free[0], tomorrow_at(10)));
    s.stop().await;
});
