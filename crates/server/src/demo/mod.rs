//! `careline-server demo`: a believable clinic in an empty database — staff (one admin),
//! clients with Russian, Chinese and English names, threads with past consultations, open
//! ones in the queue and in work, callback requests in every state, tariffs.

use careline_protocol::{
    AttemptOutcome, ConsultationKind, CreateCallbackRequest, CreateOperatorRequest,
    CreateTariffRequest, MessageKind, Priority, RegisterRequest, Role, SendMessageRequest,
    UpdateClientRequest, UpdateConsultationRequest,
};
use chrono::Utc;
use uuid::Uuid;

use crate::domain::{Actor, CallbackAction, ConsultationAction};
use crate::error::{AppError, AppResult};
use crate::passwords::hash_password;
use crate::store::Store;

mod history;
mod visits;

pub const DEMO_PASSWORD: &str = "careline-demo";

struct Staff {
    login: &'static str,
    name: &'static str,
    role: Role,
    department: &'static str,
}

const STAFF: &[Staff] = &[
    Staff {
        login: "admin",
        name: "Елена Смирнова",
        role: Role::Admin,
        department: "Главный врач",
    },
    Staff {
        login: "anna",
        name: "Анна Петрова",
        role: Role::Operator,
        department: "Терапия",
    },
    Staff {
        login: "li",
        name: "李明",
        role: Role::Operator,
        department: "儿科",
    },
    Staff {
        login: "john",
        name: "John Carter",
        role: Role::Operator,
        department: "Reception",
    },
    Staff {
        login: "olga",
        name: "Ольга Кузнецова",
        role: Role::Operator,
        department: "Медсестра",
    },
];

struct DemoClient {
    name: &'static str,
    phone: &'static str,
    city: &'static str,
    tags: &'static [&'static str],
    /// Past episodes: (client's question, operator's answer, summary).
    past: &'static [(&'static str, &'static str, &'static str)],
    /// The open episode: the client's question, and whether an operator has taken it.
    open: Option<(&'static str, Option<usize>)>,
}

const CLIENTS: &[DemoClient] = &[
    DemoClient {
        name: "Иван Соколов",
        phone: "+79161234501",
        city: "Москва",
        tags: &["хроник", "гипертония"],
        past: &[(
            "Давление 150/95 с утра, что делать?",
            "Примите назначенный препарат и измерьте давление через час.",
            "Гипертонический эпизод, коррекция дозы",
        )],
        open: Some(("Снова болит голова и давление 160/100", None)),
    },
    DemoClient {
        name: "Мария Иванова",
        phone: "+79161234502",
        city: "Санкт-Петербург",
        tags: &["беременность"],
        past: &[(
            "Можно ли принимать парацетамол на 20 неделе?",
            "Да, в обычной дозировке, но не дольше трёх дней.",
            "Консультация по препаратам",
        )],
        open: Some(("Тянет низ живота второй день", Some(1))),
    },
    DemoClient {
        name: "王芳",
        phone: "+8613800138001",
        city: "上海",
        tags: &["儿童"],
        past: &[(
            "孩子发烧三十八度五,需要去医院吗?",
            "先物理降温,多喝水,如果超过三十九度请就医。",
            "儿童发热咨询",
        )],
        open: Some(("孩子咳嗽一周了,晚上更严重", Some(2))),
    },
    DemoClient {
        name: "张伟",
        phone: "+8613800138002",
        city: "北京",
        tags: &[],
        past: &[],
        open: Some(("最近总是失眠,有什么建议吗?", None)),
    },
    DemoClient {
        name: "Emily Watson",
        phone: "+447700900001",
        city: "London",
        tags: &["vip", "allergy"],
        past: &[
            (
                "I have a rash after starting amoxicillin.",
                "Stop the antibiotic and take an antihistamine; we will call you.",
                "Suspected penicillin allergy",
            ),
            (
                "Can I get a repeat prescription for cetirizine?",
                "Yes, it is ready at your pharmacy.",
                "Repeat prescription",
            ),
        ],
        open: Some(("The rash is back on my arms", Some(3))),
    },
    DemoClient {
        name: "Алексей Морозов-Константинопольский",
        phone: "+79161234503",
        city: "Екатеринбург",
        tags: &["диабет"],
        past: &[(
            "Сахар 11 натощак",
            "Проверьте дозу инсулина и запишитесь к эндокринологу.",
            "Гипергликемия",
        )],
        open: None,
    },
    DemoClient {
        name: "李娜",
        phone: "+8613800138003",
        city: "广州",
        tags: &[],
        past: &[],
        open: Some(("请问体检报告里的转氨酶偏高是什么意思?", None)),
    },
    DemoClient {
        name: "James O'Connor",
        phone: "+15550100001",
        city: "Boston",
        tags: &[],
        past: &[(
            "What are the side effects of metformin?",
            "Mostly stomach upset at the start; take it with food.",
            "Medication question",
        )],
        open: None,
    },
    DemoClient {
        name: "Ольга Белова",
        phone: "+79161234504",
        city: "Казань",
        tags: &["пожилой"],
        past: &[],
        open: Some(("Нужна справка для бассейна, как получить?", None)),
    },
];

/// The demo's women (the rest are men): their sex is on their record.
const FEMALE: &[&str] = &[
    "Мария Иванова",
    "王芳",
    "Emily Watson",
    "李娜",
    "Ольга Белова",
];

/// (allergies, long-term medication) of some demo clients, as a doctor would note them.
fn clinical(name: &str) -> (Option<&'static str>, Option<&'static str>) {
    match name {
        "Иван Соколов" => (None, Some("Лозартан 50 мг утром")),
        "Мария Иванова" => (
            Some("Пенициллин (крапивница)"),
            Some("Фолиевая кислота 400 мкг"),
        ),
        "Emily Watson" => (
            Some("Amoxicillin — rash"),
            Some("Cetirizine 10 mg in spring"),
        ),
        "Алексей Морозов-Константинопольский" => (
            None,
            Some("Инсулин гларгин 20 ЕД на ночь; метформин 1000 мг 2 раза в день"),
        ),
        "王芳" => (Some("花粉"), None),
        _ => (None, None),
    }
}

/// Fills the database; refuses one that already has operators. Returns the logins to print.
pub async fn fill(store: &Store) -> AppResult<String> {
    if !store.list_operators(None, Some(1)).await?.items.is_empty() {
        return Err(AppError::Other(
            "the database already has operators; demo fills an empty one".into(),
        ));
    }
    let hash = hash_password(DEMO_PASSWORD.into()).await?;
    let mut staff = Vec::new();
    for s in STAFF {
        let req = CreateOperatorRequest {
            login: s.login.into(),
            password: String::new(),
            name: s.name.into(),
            role: s.role,
            department: Some(s.department.into()),
            capacity: None,
        };
        staff.push(store.create_operator(&req, hash.clone(), None).await?);
    }
    let admin = Actor {
        id: staff[0].id,
        role: Role::Admin,
    };
    let actor = |i: usize| Actor {
        id: staff[i].id,
        role: staff[i].role,
    };
    let mut tariffs = Vec::new();
    for (name, kind, price) in [
        ("Чат с врачом", ConsultationKind::Chat, 50_000),
        ("Звонок врача", ConsultationKind::Phone, 90_000),
        ("Видеоконсультация", ConsultationKind::Video, 150_000),
    ] {
        tariffs.push(
            store
                .create_tariff(
                    &CreateTariffRequest {
                        name: name.into(),
                        kind,
                        price,
                        currency: "RUB".into(),
                    },
                    admin.id,
                )
                .await?,
        );
    }
    let mut clients = Vec::new();
    for (n, dc) in CLIENTS.iter().enumerate() {
        let req = RegisterRequest {
            name: dc.name.into(),
            phone: dc.phone.into(),
            password: String::new(),
            email: None,
            source: None,
            claim_code: None,
            consents: Vec::new(),
        };
        let client = store.register_client(&req, hash.clone()).await?;
        let update = UpdateClientRequest {
            city: Some(dc.city.into()),
            tags: Some(dc.tags.iter().map(|t| t.to_string()).collect()),
            vip: Some(dc.tags.contains(&"vip")),
            notes: (n % 3 == 0).then(|| "Предпочитает общение в чате.".to_string()),
            birthday: Some(format!("19{}-0{}-1{}", 60 + n * 4, 1 + n % 9, n % 10)),
            gender: Some(
                if FEMALE.contains(&dc.name) {
                    "female"
                } else {
                    "male"
                }
                .into(),
            ),
            allergies: clinical(dc.name).0.map(str::to_owned),
            medications: clinical(dc.name).1.map(str::to_owned),
            ..Default::default()
        };
        store
            .update_client(client.id, &update, admin.id, careline_protocol::Role::Admin)
            .await?;
        clients.push(client);
    }
    let visits = visits::write(store, admin, &staff[1], &staff[2], &clients).await?;
    // Six weeks of the clinic's past, before today's threads (so they come after it).
    let past = history::write(store, &staff, &tariffs, &clients, Utc::now()).await?;
    for (n, dc) in CLIENTS.iter().enumerate() {
        let client = &clients[n];
        let me = Actor {
            id: client.id,
            role: Role::Client,
        };
        for (i, (question, answer, summary)) in dc.past.iter().enumerate() {
            let op = actor(1 + (n + i) % 4);
            let (c, _) = store
                .initiate_consultation(client.id, ConsultationKind::Chat, Some(question), None)
                .await?;
            store
                .transition_consultation(c.id, op, ConsultationAction::Take, None, None)
                .await?;
            send(store, c.id, op, answer, false).await?;
            send(
                store,
                c.id,
                op,
                "Проверить через неделю / follow up in a week",
                true,
            )
            .await?;
            send(store, c.id, me, "Спасибо! / 谢谢! / Thank you!", false).await?;
            store
                .transition_consultation(c.id, op, ConsultationAction::Close, None, Some(summary))
                .await?;
            store
                .rate_consultation(
                    c.id,
                    client.id,
                    4 + (n as i64 % 2),
                    Some("Спасибо, всё понятно / 谢谢 / Thank you"),
                )
                .await?;
        }
        if let Some((question, taken_by)) = dc.open {
            let (c, _) = store
                .initiate_consultation(client.id, ConsultationKind::Chat, Some(question), None)
                .await?;
            if n % 4 == 0 {
                store
                    .update_consultation(
                        c.id,
                        &UpdateConsultationRequest {
                            priority: Some(Priority::High),
                            tags: Some(vec!["срочно".into()]),
                        },
                    )
                    .await?;
            }
            if let Some(i) = taken_by {
                let op = actor(i);
                store
                    .transition_consultation(c.id, op, ConsultationAction::Take, None, None)
                    .await?;
                send(
                    store,
                    c.id,
                    op,
                    "Здравствуйте! Расскажите подробнее, пожалуйста. / 请详细描述一下。",
                    false,
                )
                .await?;
            }
        }
    }
    // Callback requests in every state.
    let cb = |client: usize, reason: &str, in_minutes: Option<i64>| CreateCallbackRequest {
        id: None,
        phone: CLIENTS[client].phone.into(),
        preferred_at: in_minutes.map(|m| Utc::now() + chrono::Duration::minutes(m)),
        preferred_until: in_minutes.map(|m| Utc::now() + chrono::Duration::minutes(m + 60)),
        reason: Some(reason.into()),
        client_id: Some(clients[client].id),
    };
    let as_client = |i: usize| Actor {
        id: clients[i].id,
        role: Role::Client,
    };
    store
        .create_callback(
            &cb(0, "Перезвоните по результатам анализов", None),
            as_client(0),
        )
        .await?;
    store
        .create_callback(&cb(2, "请明天上午给我回电话", Some(120)), as_client(2))
        .await?;
    store
        .create_callback(
            &cb(4, "Please call about my prescription", Some(3)),
            as_client(4),
        )
        .await?;
    let claimed = store
        .create_callback(&cb(5, "Вопрос по дозировке инсулина", None), as_client(5))
        .await?;
    store
        .act_on_callback(claimed.id, actor(1), CallbackAction::Claim, None)
        .await?;
    let done = store
        .create_callback(&cb(7, "Question about my bill", None), as_client(7))
        .await?;
    store
        .act_on_callback(done.id, actor(3), CallbackAction::Claim, None)
        .await?;
    store
        .act_on_callback(
            done.id,
            actor(3),
            CallbackAction::Attempt(AttemptOutcome::Reached),
            Some("Explained the invoice"),
        )
        .await?;
    let retry = store
        .create_callback(&cb(8, "Справка для бассейна", None), as_client(8))
        .await?;
    store
        .act_on_callback(retry.id, actor(4), CallbackAction::Claim, None)
        .await?;
    store
        .act_on_callback(
            retry.id,
            actor(4),
            CallbackAction::Attempt(AttemptOutcome::NoAnswer),
            Some("Не берёт трубку"),
        )
        .await?;
    let failed = store
        .create_callback(&cb(3, "回电咨询失眠问题", None), as_client(3))
        .await?;
    for _ in 0..store.settings().callback_max_attempts {
        store
            .act_on_callback(failed.id, actor(2), CallbackAction::Claim, None)
            .await?;
        store
            .act_on_callback(
                failed.id,
                actor(2),
                CallbackAction::Attempt(AttemptOutcome::NoAnswer),
                Some("无人接听"),
            )
            .await?;
    }
    let cancelled = store
        .create_callback(&cb(1, "Уже не нужно", None), as_client(1))
        .await?;
    store
        .act_on_callback(cancelled.id, as_client(1), CallbackAction::Cancel, None)
        .await?;

    let pharmacy = prescriptions(store, &hash, staff[1].id).await?;

    let mut out = format!(
        "Demo clinic ready, with {} days of history: {} consultations, {} messages, {} callback requests; {} visits booked.\nPassword for every account below: ",
        history::DAYS,
        past.consultations,
        past.messages,
        past.callbacks,
        visits
    );
    out.push_str(DEMO_PASSWORD);
    out.push_str("\nStaff (desktop app):\n");
    for s in STAFF {
        out.push_str(&format!(
            "  {:<8} {} — {} ({})\n",
            s.login, s.name, s.department, s.role
        ));
    }
    out.push_str(&format!(
        "  {:<8} {} — {} ({})\n",
        PHARMACIST.0,
        PHARMACIST.1,
        PHARMACIST.2,
        Role::Pharmacist
    ));
    out.push_str(&format!(
        "  ({pharmacy} prescription waits for the pharmacist's review)\n"
    ));
    out.push_str("Clients (mobile app / simulator log in with the phone):\n");
    for c in CLIENTS {
        out.push_str(&format!("  {:<16} {}\n", c.phone, c.name));
    }
    Ok(out)
}

/// The pharmacist: login, name, department. Not among [`STAFF`]: they keep no shifts in the
/// history and take no consultations.
const PHARMACIST: (&str, &str, &str) = ("pia", "Мария Фармацевтова", "Аптека");

/// The pharmacist's account, and a prescription Anna wrote in one of her open consultations,
/// submitted for review; how many wait.
async fn prescriptions(store: &Store, hash: &str, anna: uuid::Uuid) -> AppResult<usize> {
    let req = CreateOperatorRequest {
        login: PHARMACIST.0.into(),
        password: String::new(),
        name: PHARMACIST.1.into(),
        role: Role::Pharmacist,
        department: Some(PHARMACIST.2.into()),
        capacity: None,
    };
    store.create_operator(&req, hash.to_owned(), None).await?;
    let Some(row) = sqlx::query(
        "SELECT id FROM consultations WHERE operator_id = $1 AND status = 'active' ORDER BY created_at LIMIT 1",
    )
    .bind(anna.to_string())
    .fetch_optional(&store.reader)
    .await?
    else {
        return Ok(0);
    };
    let consultation: String = sqlx::Row::try_get(&row, "id")?;
    let consultation = consultation
        .parse()
        .map_err(|_| AppError::Corrupt("a consultation's id".into()))?;
    let item = |medication: &str, strength: &str, frequency: &str, quantity: &str| {
        careline_protocol::PrescriptionItem {
            medication: medication.into(),
            form: "таблетки".into(),
            strength: strength.into(),
            dose: "1 таблетка".into(),
            route: "внутрь".into(),
            frequency: frequency.into(),
            duration: "5 дней".into(),
            quantity: quantity.into(),
            instructions: Some("после еды".into()),
        }
    };
    let anna = Actor {
        id: anna,
        role: Role::Operator,
    };
    let p = store
        .create_prescription(
            consultation,
            &careline_protocol::PrescriptionRequest {
                id: None,
                items: vec![
                    item(
                        "Парацетамол",
                        "500 мг",
                        "до 3 раз в день при температуре выше 38,5",
                        "10",
                    ),
                    item("Амброксол", "30 мг", "3 раза в день", "15"),
                ],
                note: Some("Пить больше тёплой жидкости".into()),
            },
            anna,
            None,
        )
        .await?;
    store.submit_prescription(p.id, anna, None).await?;
    Ok(1)
}

async fn send(
    store: &Store,
    consultation: Uuid,
    actor: Actor,
    body: &str,
    internal: bool,
) -> AppResult<()> {
    let req = SendMessageRequest {
        client_msg_id: careline_protocol::new_id(),
        kind: MessageKind::Text,
        body: body.into(),
        attachment_id: None,
        internal,
    };
    store
        .send_message(consultation, actor, &req)
        .await
        .map(|_| ())
}
