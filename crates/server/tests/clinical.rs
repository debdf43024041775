//! Clinical records over the real API, on both engines: a prescription's whole life (draft,
//! the check before submit, a pharmacist's rejection, a revision, approval, cancellation) with
//! who sees what at each step; refunds requested, limited and decided, and counted in billing;
//! and the matrix of who may call the new endpoints.

mod common;

use careline_protocol::Role;
use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn item(name: &str) -> Value {
    json!({"medication": name, "form": "таблетки", "strength": "500 мг", "dose": "1 таблетка",
           "route": "внутрь", "frequency": "3 раза в день", "duration": "7 дней",
           "quantity": "21", "instructions": "после еды"})
}

/// The prescriptions `api` reads in its event stream, as (id, status).
async fn prescription_events(api: &common::Api) -> Vec<(String, String)> {
    api.all_events()
        .await
        .iter()
        .filter(|e| e["kind"] == "prescription")
        .map(|e| {
            (
                e["data"]["id"].as_str().unwrap().to_owned(),
                e["data"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

both!(
    a_prescription_is_written_reviewed_revised_approved_and_cancelled,
    |db| async move {
        let s = TestServer::start(db).await;
        let doctor = s.staff("anna", Role::Operator).await;
        let colleague = s.staff("oleg", Role::Operator).await;
        let admin = s.staff("root", Role::Admin).await;
        let pharm = s.staff("pia", Role::Pharmacist).await;
        let patient = s.client("Вера", "+10000000001").await;
        let stranger = s.client("Чужой", "+10000000002").await;
        let c = patient.open_consultation("кашель вторую неделю").await;
        let unrelated = stranger.open_consultation("другой вопрос").await;
        doctor
            .must(&format!("/api/v1/consultations/{c}/take"), json!({}))
            .await;

        // Only the consultation's doctor writes in it.
        let (st, b) = colleague
            .post(
                &format!("/api/v1/consultations/{c}/prescriptions"),
                json!({"items": [item("Амоксициллин")]}),
            )
            .await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("not_assigned")),
            "{b}"
        );
        // A draft may be incomplete.
        let mut half = item("Амоксициллин");
        half["dose"] = json!("");
        let p = doctor
            .must(
                &format!("/api/v1/consultations/{c}/prescriptions"),
                json!({"items": [half, item("амоксициллин ")], "note": "Пить много воды"}),
            )
            .await;
        let id = p["id"].as_str().unwrap().to_owned();
        assert_eq!(p["status"], "draft");
        assert_eq!(p["prescriber_name"], "anna name");
        // The check before submit names what is wrong, and nothing changes.
        let (st, b) = doctor
            .post(&format!("/api/v1/prescriptions/{id}/submit"), json!({}))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let msg = b["message"].as_str().unwrap();
        assert!(msg.contains("item 1: dose is missing"), "{msg}");
        assert!(msg.contains("item 2: the same medication"), "{msg}");
        assert_eq!(
            doctor.ok(&format!("/api/v1/prescriptions/{id}")).await["status"],
            "draft"
        );
        // A draft is the doctor's: neither the patient nor a pharmacist sees it.
        assert_eq!(
            patient.get(&format!("/api/v1/prescriptions/{id}")).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            pharm.get(&format!("/api/v1/prescriptions/{id}")).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(pharm.ok("/api/v1/prescriptions").await, json!([]));
        // Nor the consultation behind it, yet.
        assert_eq!(
            pharm.get(&format!("/api/v1/consultations/{c}")).await.0,
            StatusCode::NOT_FOUND
        );

        let (st, b) = doctor
        .call(
            Method::PATCH,
            &format!("/api/v1/prescriptions/{id}"),
            Some(json!({"items": [item("Амоксициллин"), item("Ибупрофен")], "note": "Пить много воды"})),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{b}");
        let p = doctor
            .must(&format!("/api/v1/prescriptions/{id}/submit"), json!({}))
            .await;
        assert_eq!(
            (p["status"].as_str(), p["revision"].as_i64()),
            (Some("submitted"), Some(1))
        );
        // Submitted: no more edits.
        let (st, b) = doctor
            .call(
                Method::PATCH,
                &format!("/api/v1/prescriptions/{id}"),
                Some(json!({"items": []})),
            )
            .await;
        assert_eq!(b["code"], "illegal_transition", "{st} {b}");

        // The pharmacist's queue has it; they read the consultation behind it, not another one.
        let queue = pharm.ok("/api/v1/prescriptions?status=submitted").await;
        assert_eq!(queue.as_array().unwrap().len(), 1);
        assert_eq!(queue[0]["items"][1]["medication"], "Ибупрофен");
        assert_eq!(
            pharm.get(&format!("/api/v1/consultations/{c}")).await.0,
            StatusCode::OK
        );
        let thread = pharm
            .ok(&format!("/api/v1/consultations/{c}/messages"))
            .await;
        assert!(thread.to_string().contains("кашель вторую неделю"));
        assert_eq!(
            pharm
                .get(&format!("/api/v1/consultations/{unrelated}"))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            pharm
                .get(&format!("/api/v1/consultations/{unrelated}/messages"))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        // ... and write nothing in it.
        let (st, _) = pharm
            .post(
                &format!("/api/v1/consultations/{c}/messages"),
                json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "text", "body": "x"}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        // Only a pharmacist reviews; a rejection needs a reason.
        for who in [&doctor, &admin] {
            let (st, _) = who
                .post(&format!("/api/v1/prescriptions/{id}/approve"), json!({}))
                .await;
            assert_eq!(st, StatusCode::FORBIDDEN);
        }
        let (st, b) = pharm
            .post(
                &format!("/api/v1/prescriptions/{id}/reject"),
                json!({"reason": "  "}),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let p = pharm
            .must(
                &format!("/api/v1/prescriptions/{id}/reject"),
                json!({"reason": "Ибупрофен при язве противопоказан"}),
            )
            .await;
        assert_eq!(p["status"], "rejected");
        assert_eq!(p["reviewer_name"], "pia name");
        // A rejected one cannot be approved (illegal, unchanged), nor seen by the patient.
        let (st, b) = pharm
            .post(&format!("/api/v1/prescriptions/{id}/approve"), json!({}))
            .await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("illegal_transition"))
        );
        assert_eq!(
            doctor.ok(&format!("/api/v1/prescriptions/{id}")).await["status"],
            "rejected"
        );
        assert_eq!(patient.ok("/api/v1/prescriptions").await, json!([]));

        // The doctor revises and submits again; the pharmacist approves.
        doctor
            .call(
                Method::PATCH,
                &format!("/api/v1/prescriptions/{id}"),
                Some(json!({"items": [item("Амоксициллин"), item("Парацетамол")]})),
            )
            .await;
        let p = doctor
            .must(&format!("/api/v1/prescriptions/{id}/submit"), json!({}))
            .await;
        assert_eq!(
            (p["revision"].as_i64(), p["reason"].clone()),
            (Some(2), Value::Null)
        );
        let p = pharm
            .must(&format!("/api/v1/prescriptions/{id}/approve"), json!({}))
            .await;
        assert_eq!(p["status"], "approved");
        // The patient reads it now; another patient does not.
        let mine = patient.ok("/api/v1/prescriptions").await;
        assert_eq!(mine.as_array().unwrap().len(), 1);
        assert_eq!(mine[0]["items"][1]["medication"], "Парацетамол");
        assert_eq!(stranger.ok("/api/v1/prescriptions").await, json!([]));
        assert_eq!(
            stranger.get(&format!("/api/v1/prescriptions/{id}")).await.0,
            StatusCode::NOT_FOUND
        );

        // Only its doctor cancels an approved one, with a reason.
        let (st, b) = colleague
            .post(
                &format!("/api/v1/prescriptions/{id}/cancel"),
                json!({"reason": "нет"}),
            )
            .await;
        assert_eq!(b["code"], "not_assigned", "{st} {b}");
        let (st, _) = doctor
            .post(&format!("/api/v1/prescriptions/{id}/cancel"), json!({}))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        let p = doctor
            .must(
                &format!("/api/v1/prescriptions/{id}/cancel"),
                json!({"reason": "аллергия на пенициллин"}),
            )
            .await;
        assert_eq!(p["status"], "cancelled");
        let (st, b) = doctor
            .post(
                &format!("/api/v1/prescriptions/{id}/cancel"),
                json!({"reason": "again"}),
            )
            .await;
        assert_eq!(b["code"], "illegal_transition", "{st} {b}");

        // The streams: the patient heard only the approval and the cancellation; the pharmacist
        // every step from the first submission, and nothing but prescriptions; staff all.
        let statuses = |v: Vec<(String, String)>| v.into_iter().map(|(_, s)| s).collect::<Vec<_>>();
        assert_eq!(
            statuses(prescription_events(&patient).await),
            ["approved", "cancelled"]
        );
        assert!(stranger
            .all_events()
            .await
            .iter()
            .all(|e| e["kind"] != "prescription"));
        let seen = pharm.all_events().await;
        assert!(seen.iter().all(|e| e["kind"] == "prescription"), "{seen:?}");
        assert_eq!(
            statuses(prescription_events(&pharm).await),
            [
                "submitted",
                "rejected",
                "rejected",
                "submitted",
                "approved",
                "cancelled"
            ]
        );
        assert_eq!(prescription_events(&admin).await.len(), 8);
        // Every step is audited.
        let audit = admin
            .ok("/api/v1/audit?action=prescription.")
            .await
            .to_string();
        for action in [
            "prescription.draft",
            "prescription.submit",
            "prescription.reject",
            "prescription.approve",
            "prescription.cancel",
        ] {
            assert!(audit.contains(action), "{action} not audited");
        }
        s.stop().await;
    }
);

both!(
    refunds_are_asked_limited_decided_and_counted,
    |db| async move {
        let s = TestServer::start(db).await;
        let admin = s.staff("root", Role::Admin).await;
        let op = s.staff("anna", Role::Operator).await;
        admin
            .must(
                "/api/v1/tariffs",
                json!({"name": "Чат", "kind": "chat", "price": 100000, "currency": "RUB"}),
            )
            .await;
        let patient = s.client("Вера", "+10000000001").await;
        let stranger = s.client("Чужой", "+10000000002").await;
        let c = patient.open_consultation("вопрос").await;
        op.must(&format!("/api/v1/consultations/{c}/take"), json!({}))
            .await;
        op.say(&c, "Ответ врача").await;
        op.must(&format!("/api/v1/consultations/{c}/close"), json!({}))
            .await;

        let path = format!("/api/v1/consultations/{c}/refunds");
        for bad in [
            json!({"amount": 100001, "reason": "дорого"}),
            json!({"amount": 0, "reason": "дорого"}),
            json!({"amount": 500, "reason": " "}),
        ] {
            let (st, b) = patient.post(&path, bad.clone()).await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {b}");
        }
        let (st, _) = stranger
            .post(&path, json!({"amount": 500, "reason": "x"}))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        assert_eq!(patient.ok("/api/v1/refunds").await, json!([]));

        let r = patient
            .must(
                &path,
                json!({"amount": 40000, "reason": "Врач ответил через час"}),
            )
            .await;
        let rid = r["id"].as_str().unwrap().to_owned();
        assert_eq!(
            (r["status"].as_str(), r["requested_by_name"].as_str()),
            (Some("requested"), Some("Вера"))
        );
        // One request waits at a time.
        let (st, b) = op
            .post(&path, json!({"amount": 100, "reason": "ещё"}))
            .await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("already_exists")),
            "{b}"
        );
        // Only an admin decides; a rejection needs a reason.
        let (st, _) = op
            .post(&format!("/api/v1/refunds/{rid}/approve"), json!({}))
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _) = admin
            .post(&format!("/api/v1/refunds/{rid}/reject"), json!({}))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        let r = admin
            .must(&format!("/api/v1/refunds/{rid}/approve"), json!({}))
            .await;
        assert_eq!(r["status"], "approved");
        let (st, b) = admin
            .post(
                &format!("/api/v1/refunds/{rid}/reject"),
                json!({"reason": "x"}),
            )
            .await;
        assert_eq!(b["code"], "illegal_transition", "{st} {b}");
        // What is left is the limit now: 60,000 of 100,000.
        let (st, b) = op
            .post(&path, json!({"amount": 60001, "reason": "остаток"}))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let r2 = op
            .must(&path, json!({"amount": 10000, "reason": "жалоба"}))
            .await;
        let r2 = r2["id"].as_str().unwrap();
        admin
            .must(
                &format!("/api/v1/refunds/{r2}/reject"),
                json!({"reason": "Консультация оказана полностью"}),
            )
            .await;
        // The patient sees both and how each was decided; a stranger none.
        let mine = patient.ok("/api/v1/refunds").await;
        let got: Vec<_> = mine
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert_eq!(got, ["rejected", "approved"]);
        assert_eq!(mine[0]["decision_note"], "Консультация оказана полностью");
        assert_eq!(stranger.ok("/api/v1/refunds").await, json!([]));
        assert_eq!(
            admin.ok("/api/v1/refunds?status=requested").await,
            json!([])
        );
        // Billing: 100,000 earned, 40,000 refunded.
        let from = (chrono::Utc::now() - chrono::Duration::hours(1))
            .to_rfc3339()
            .replace('+', "%2B");
        let to = (chrono::Utc::now() + chrono::Duration::hours(1))
            .to_rfc3339()
            .replace('+', "%2B");
        let bill = admin
            .ok(&format!("/api/v1/reports/billing?from={from}&to={to}"))
            .await;
        assert_eq!(
            (
                bill["totals"][0]["revenue"].as_i64(),
                bill["totals"][0]["refunded"].as_i64()
            ),
            (Some(100000), Some(40000)),
            "{bill}"
        );
        s.stop().await;
    }
);

use common::matrix::{self, Want};
use Want::*;

both!(clinical_role_matrix, |db| async move {
    let s = TestServer::start(db).await;
    let admin = s.staff("root", Role::Admin).await;
    let doctor = s.staff("anna", Role::Operator).await;
    let pharm = s.staff("pia", Role::Pharmacist).await;
    admin
        .must(
            "/api/v1/tariffs",
            json!({"name": "Чат", "kind": "chat", "price": 1000, "currency": "RUB"}),
        )
        .await;
    let owner = s.client("Owner", "+10000000001").await;
    let other = s.client("Other", "+10000000002").await;
    let c = owner.open_consultation("q").await;
    doctor
        .must(&format!("/api/v1/consultations/{c}/take"), json!({}))
        .await;
    let new = |n: &str| json!({"items": [item(n)]});
    let mk = |status: &'static str| {
        let (doctor, pharm, c) = (&doctor, &pharm, c.clone());
        async move {
            let p = doctor
                .must(
                    &format!("/api/v1/consultations/{c}/prescriptions"),
                    json!({"items": [item("A")]}),
                )
                .await;
            let id = p["id"].as_str().unwrap().to_owned();
            if status != "draft" {
                doctor
                    .must(&format!("/api/v1/prescriptions/{id}/submit"), json!({}))
                    .await;
            }
            if status == "approved" {
                pharm
                    .must(&format!("/api/v1/prescriptions/{id}/approve"), json!({}))
                    .await;
            }
            id
        }
    };
    let draft = mk("draft").await;
    let submitted = mk("submitted").await;
    let approved = mk("approved").await;
    let refund = owner
        .must(
            &format!("/api/v1/consultations/{c}/refunds"),
            json!({"amount": 100, "reason": "r"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let why = json!({"reason": "r"});
    // (method, path, body, [owner, other client, doctor, admin, pharmacist])
    let rows: Vec<matrix::Row<5>> = vec![
        (
            Method::POST,
            format!("/api/v1/consultations/{c}/prescriptions"),
            Some(new("B")),
            [Forbid, Forbid, Allow, Allow, Forbid],
        ),
        (
            Method::GET,
            "/api/v1/prescriptions".into(),
            None,
            [Allow, Allow, Allow, Allow, Allow],
        ),
        (
            Method::GET,
            format!("/api/v1/prescriptions/{draft}"),
            None,
            [Hidden, Hidden, Allow, Allow, Hidden],
        ),
        (
            Method::GET,
            format!("/api/v1/prescriptions/{submitted}"),
            None,
            [Hidden, Hidden, Allow, Allow, Allow],
        ),
        (
            Method::GET,
            format!("/api/v1/prescriptions/{approved}"),
            None,
            [Allow, Hidden, Allow, Allow, Allow],
        ),
        (
            Method::PATCH,
            format!("/api/v1/prescriptions/{draft}"),
            Some(new("C")),
            [Forbid, Forbid, Allow, Allow, Forbid],
        ),
        (
            Method::POST,
            format!("/api/v1/prescriptions/{submitted}/approve"),
            None,
            [Forbid, Forbid, Forbid, Forbid, Allow],
        ),
        (
            Method::POST,
            format!("/api/v1/prescriptions/{approved}/reject"),
            Some(why.clone()),
            [Forbid, Forbid, Forbid, Forbid, Allow],
        ),
        (
            Method::POST,
            format!("/api/v1/prescriptions/{approved}/cancel"),
            Some(why.clone()),
            [Forbid, Forbid, Allow, Allow, Forbid],
        ),
        (
            Method::GET,
            format!("/api/v1/consultations/{c}"),
            None,
            [Allow, Hidden, Allow, Allow, Allow],
        ),
        (
            Method::GET,
            "/api/v1/refunds".into(),
            None,
            [Allow, Allow, Allow, Allow, Forbid],
        ),
        (
            Method::POST,
            format!("/api/v1/consultations/{c}/refunds"),
            Some(json!({"amount": 1, "reason": "r"})),
            [Allow, Hidden, Allow, Allow, Forbid],
        ),
        (
            Method::POST,
            format!("/api/v1/refunds/{refund}/reject"),
            Some(why.clone()),
            [Forbid, Forbid, Forbid, Allow, Forbid],
        ),
    ];
    let failures = matrix::run(
        &s.anon(),
        [
            ("owner", &owner),
            ("other client", &other),
            ("doctor", &doctor),
            ("admin", &admin),
            ("pharmacist", &pharm),
        ],
        [1, 4, 0, 2, 3],
        &rows,
    )
    .await;
    assert!(
        failures.is_empty(),
        "clinical matrix failures:\n{}",
        failures.join("\n")
    );
    s.stop().await;
});
