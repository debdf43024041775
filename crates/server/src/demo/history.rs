//! Six weeks of the demo clinic's past, so that a manager's first look at the reports shows a
//! clinic at work: arrivals following the clinic's day and week, waits, first replies and
//! resolutions with real spreads, transfers, clients who left, ratings with what the clients
//! wrote, callbacks with their attempts, and the staff's shifts (status changes).
//!
//! Generated from a fixed seed, so every demo has the same story (relative to the day it is
//! made), and written straight into the tables in one transaction: the desks download it with
//! the rest on their first sync (the snapshot), and no event or webhook is raised for a past
//! that happened before anyone was listening.

use careline_protocol::{AttemptOutcome, ConsultationKind, Operator, Tariff};
use chrono::{DateTime, Datelike, Duration, Local, NaiveTime, TimeZone, Utc};
use uuid::Uuid;

use crate::error::AppResult;
use crate::store::Store;
use crate::time::ms;

/// How many days of past the demo has, ending yesterday.
pub const DAYS: i64 = 42;

/// A small deterministic generator (SplitMix64): the same seed, the same clinic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Log-normal seconds around `median`: most near it, a long tail of slow ones, as waits are.
    fn spread(&mut self, median: f64, sigma: f64, max: f64) -> i64 {
        let (u1, u2) = (self.unit().max(1e-12), self.unit());
        let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        (median * (sigma * normal).exp()).clamp(1.0, max) as i64 * 1000
    }

    /// A UUIDv7 of that moment, so ids sort as the history happened.
    fn id_at(&mut self, at: i64) -> Uuid {
        let mut bytes = [0u8; 10];
        bytes[..8].copy_from_slice(&self.next().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next().to_le_bytes()[..2]);
        uuid::Builder::from_unix_timestamp_millis(at as u64, &bytes).into_uuid()
    }
}

/// One member of staff's week: the hours they work, by weekday (Monday first); none is a day off.
struct Shift {
    login: &'static str,
    hours: [Option<(u32, u32)>; 7],
    /// Chinese-speaking clients go to them when they are on shift.
    speaks_chinese: bool,
}

const SHIFTS: &[Shift] = &[
    Shift {
        login: "anna",
        hours: [
            Some((8, 16)),
            Some((8, 16)),
            Some((8, 16)),
            Some((8, 16)),
            Some((8, 16)),
            None,
            None,
        ],
        speaks_chinese: false,
    },
    Shift {
        login: "olga",
        hours: [
            Some((13, 21)),
            Some((13, 21)),
            Some((13, 21)),
            Some((13, 21)),
            Some((13, 21)),
            Some((9, 15)),
            None,
        ],
        speaks_chinese: false,
    },
    Shift {
        login: "li",
        hours: [
            Some((9, 18)),
            Some((9, 18)),
            None,
            Some((9, 18)),
            Some((9, 18)),
            Some((10, 16)),
            None,
        ],
        speaks_chinese: true,
    },
    Shift {
        login: "john",
        hours: [
            None,
            Some((10, 19)),
            Some((10, 19)),
            Some((10, 19)),
            Some((12, 21)),
            Some((10, 18)),
            Some((10, 16)),
        ],
        speaks_chinese: false,
    },
];

/// Arrivals in an hour of the day, relative: a morning peak, a quiet lunch, an evening peak.
const HOURLY: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.9, 1.4, 1.5, 1.2, 0.9, 0.8, 1.0, 1.0, 1.1, 1.3, 1.6,
    1.5, 1.0, 0.5, 0.1, 0.0,
];
/// Arrivals on a weekday, relative (Monday first): Mondays busiest, Sundays quiet.
const DAILY: [f64; 7] = [1.3, 1.1, 1.0, 1.0, 0.95, 0.6, 0.35];
/// A Monday's arrivals.
const PER_DAY: f64 = 30.0;

/// (question, answer, summary) in each language.
const RU: &[(&str, &str, &str)] = &[
    (
        "Температура 38,2 второй день, горло болит. Что принимать?",
        "Пейте больше тёплой жидкости, парацетамол при температуре выше 38,5. Если через три дня не лучше — очный приём.",
        "ОРВИ, симптоматическое лечение",
    ),
    ("Можно ли совмещать ибупрофен и амоксициллин?", "Да, эти препараты совместимы. Ибупрофен принимайте после еды.", "Вопрос о совместимости препаратов"),
    (
        "Ребёнку 3 года, сыпь на животе после апельсина",
        "Похоже на пищевую аллергию. Дайте антигистаминное по возрасту, уберите цитрусовые; при отёке — скорая.",
        "Пищевая аллергия у ребёнка",
    ),
    (
        "Давление 150/95 с утра, голова тяжёлая",
        "Измерьте ещё раз через 15 минут в покое. Если держится выше 140/90 — примите назначенный препарат и запишитесь к терапевту.",
        "Повышенное давление, контроль",
    ),
    (
        "Нужна справка для бассейна, как получить?",
        "Справку выдаёт терапевт после осмотра; запишитесь на приём, анализ на энтеробиоз можно сдать заранее.",
        "Справка для бассейна",
    ),
    (
        "Как подготовиться к анализу крови на сахар?",
        "Натощак, 8–12 часов без еды, воду пить можно. Утром не курите и не занимайтесь спортом.",
        "Подготовка к анализам",
    ),
    (
        "Болит поясница после тренировки, третий день",
        "Скорее всего, мышечное перенапряжение: покой, тепло, мазь с НПВС. Если боль отдаёт в ногу — очный приём.",
        "Боль в спине, миалгия",
    ),
    (
        "Результаты анализов: гемоглобин 108. Это плохо?",
        "Это лёгкое снижение. Нужно сдать ферритин и прийти к терапевту, чтобы найти причину.",
        "Лёгкая анемия, дообследование",
    ),
    (
        "Кашель две недели, без температуры",
        "Кашель дольше двух недель — повод для очного осмотра и флюорографии. Запишитесь к терапевту.",
        "Затяжной кашель, направлен на приём",
    ),
    (
        "Можно ли делать прививку от гриппа при насморке?",
        "При лёгком насморке без температуры можно; при температуре — перенесите на две недели.",
        "Вакцинация, консультация",
    ),
];
const ZH: &[(&str, &str, &str)] = &[
    (
        "孩子发烧三十八度五，需要去医院吗？",
        "先物理降温，可按体重服用退烧药。如果精神差或持续超过三天，请来医院。",
        "儿童发热，居家观察",
    ),
    (
        "最近总是失眠，有什么建议吗？",
        "保持规律作息，睡前避免使用手机和咖啡。如果持续一个月以上，建议门诊就诊。",
        "失眠，生活方式建议",
    ),
    (
        "体检报告里转氨酶偏高是什么意思？",
        "可能与饮酒、脂肪肝或药物有关。建议两周后复查肝功能，并做腹部超声。",
        "转氨酶升高，建议复查",
    ),
    (
        "胃痛，饭后更明显",
        "建议少食多餐，避免辛辣。如有黑便或呕血，请立即就医。",
        "胃痛，饮食建议",
    ),
    (
        "过敏性鼻炎，可以用什么药？",
        "可以使用抗组胺药和鼻用激素喷雾，尽量避开过敏原。",
        "过敏性鼻炎用药",
    ),
];
const EN: &[(&str, &str, &str)] = &[
    (
        "Can I get a repeat prescription for cetirizine?",
        "Yes, I have sent a repeat prescription; it will be ready at your pharmacy today.",
        "Repeat prescription",
    ),
    (
        "What are the side effects of metformin?",
        "Mostly stomach upset at the start; take it with food. Tell us if it lasts more than two weeks.",
        "Medication question",
    ),
    (
        "I have a rash after starting amoxicillin.",
        "Stop amoxicillin now and take an antihistamine. If your lips or throat swell, call an ambulance.",
        "Suspected drug allergy",
    ),
    ("My blood test shows low vitamin D. What dose should I take?", "1000–2000 IU a day for three months, then recheck.", "Vitamin D deficiency"),
    ("Sore throat and fever since yesterday.", "Rest, fluids and paracetamol. If you cannot swallow or it lasts over five days, book a visit.", "Pharyngitis"),
];

/// What clients wrote with their stars, by how many they gave.
const COMMENTS_GOOD: &[&str] = &[
    "Спасибо, очень быстро ответили!",
    "Врач всё подробно объяснила, стало спокойнее.",
    "Удобно, не пришлось ехать в клинику",
    "医生回复很快，很专业，谢谢！",
    "非常耐心，解释得很清楚。",
    "Quick and clear answer, thank you.",
    "Very helpful, the prescription was ready the same day.",
];
const COMMENTS_MIXED: &[&str] = &[
    "Ответ помог, но ждал почти полчаса",
    "Хотелось бы больше подробностей",
    "回复有点慢",
    "Helpful, but I waited a while.",
];
const COMMENTS_BAD: &[&str] = &[
    "Долго ждал ответа, так и не дождался толком",
    "Ответ общий, не про мою ситуацию",
    "等了很久才有人回复",
    "Nobody answered for an hour.",
];

const FOLLOW_UPS: &[(&str, &str)] = &[
    (
        "А если не поможет?",
        "Тогда напишите нам снова или запишитесь на очный приём.",
    ),
    (
        "Спасибо! Сколько дней принимать?",
        "Пять дней, даже если станет лучше раньше.",
    ),
    ("谢谢！需要复查吗？", "两周后复查即可。"),
    (
        "Thanks! Should I book a follow-up?",
        "Only if it is not better in a week.",
    ),
];

const RU_FIRST_F: &[&str] = &[
    "Анна",
    "Мария",
    "Елена",
    "Ольга",
    "Татьяна",
    "Наталья",
    "Ирина",
    "Светлана",
    "Екатерина",
    "Юлия",
    "Дарья",
    "Валентина",
];
const RU_FIRST_M: &[&str] = &[
    "Алексей",
    "Дмитрий",
    "Сергей",
    "Андрей",
    "Михаил",
    "Игорь",
    "Владимир",
    "Николай",
    "Павел",
    "Артём",
    "Константин",
];
const RU_LAST: &[&str] = &[
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Лебедев",
    "Козлов",
    "Степанов",
];
const ZH_FAMILY: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
const ZH_GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "军", "杰", "婷", "秀英",
];
const EN_FIRST: &[&str] = &[
    "Emily", "James", "Olivia", "Thomas", "Sophie", "Daniel", "Grace", "Michael", "Hannah",
    "Oliver",
];
const EN_LAST: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright", "Hughes", "Green",
];
const RU_CITIES: &[&str] = &[
    "Москва",
    "Санкт-Петербург",
    "Казань",
    "Новосибирск",
    "Тверь",
    "Екатеринбург",
];
const ZH_CITIES: &[&str] = &["上海", "北京", "广州", "深圳", "杭州"];
const EN_CITIES: &[&str] = &["London", "Boston", "Manchester", "Dublin"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Ru,
    Zh,
    En,
}

struct Person {
    id: Uuid,
    lang: Lang,
    phone: String,
}

/// A message of the past, before it is numbered.
struct Past {
    consultation: Uuid,
    client: Uuid,
    kind: &'static str,
    author: Option<Uuid>,
    body: String,
    internal: bool,
    at: i64,
}

/// What the history left that the live part of the demo builds on.
pub struct Written {
    pub consultations: usize,
    pub messages: usize,
    pub callbacks: usize,
}

/// Writes the clinic's past: `clients` are the demo's own, more are made here.
pub async fn write(
    store: &Store,
    staff: &[Operator],
    tariffs: &[Tariff],
    clients: &[careline_protocol::Client],
    now: DateTime<Utc>,
) -> AppResult<Written> {
    let mut rng = Rng(0x00C0_FFEE_CA4E_u64);
    let today = Local.from_utc_datetime(&now.naive_utc()).date_naive();
    let start_day = today - Duration::days(DAYS);
    let op = |login: &str| staff.iter().find(|o| o.login == login).map(|o| o.id);
    let admin = staff
        .iter()
        .find(|o| o.role == careline_protocol::Role::Admin)
        .map(|o| o.id)
        .unwrap_or(staff[0].id);

    let mut tx = store.begin().await?;
    // The clinic's patients: the demo's own and a hundred more, in the three languages.
    let mut people: Vec<Person> = clients
        .iter()
        .map(|c| Person {
            id: c.id,
            phone: c.phone.clone(),
            lang: if c
                .name
                .chars()
                .any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch))
            {
                Lang::Zh
            } else if c.name.is_ascii() {
                Lang::En
            } else {
                Lang::Ru
            },
        })
        .collect();
    let first_day_ms = ms(local(start_day, 9, 0));
    for n in 0..100 {
        let lang = match n % 10 {
            0..=5 => Lang::Ru,
            6 | 7 => Lang::Zh,
            _ => Lang::En,
        };
        let (name, phone, city) = match lang {
            Lang::Ru => {
                let female = rng.chance(0.55);
                let first = if female {
                    rng.pick(RU_FIRST_F)
                } else {
                    rng.pick(RU_FIRST_M)
                };
                let last = rng.pick(RU_LAST);
                (
                    format!("{first} {last}{}", if female { "а" } else { "" }),
                    format!("+7915{:07}", 1_000_000 + n * 7919),
                    *rng.pick(RU_CITIES),
                )
            }
            Lang::Zh => (
                format!("{}{}", rng.pick(ZH_FAMILY), rng.pick(ZH_GIVEN)),
                format!("+86139{:08}", 10_000_000 + n * 7919),
                *rng.pick(ZH_CITIES),
            ),
            Lang::En => (
                format!("{} {}", rng.pick(EN_FIRST), rng.pick(EN_LAST)),
                format!("+44770{:07}", 1_000_000 + n * 7919),
                *rng.pick(EN_CITIES),
            ),
        };
        let created = first_day_ms - (n as i64) * 3_600_000 * 7;
        let id = rng.id_at(created);
        let search = crate::store::clients::search_text(&name, &phone, None, &[]);
        sqlx::query(
            "INSERT INTO clients (id, name, phone, city, source, tags, vip, blocked, search, created_at) VALUES ($1, $2, $3, $4, $5, '[]', 0, 0, $6, $7)",
        )
        .bind(id.to_string())
        .bind(&name)
        .bind(&phone)
        .bind(city)
        .bind(if n % 3 == 0 { "phone" } else { "app" })
        .bind(search)
        .bind(created)
        .execute(tx.conn())
        .await?;
        people.push(Person { id, lang, phone });
    }

    // Who is at work when: every shift of every day, with a lunch break and, now and then, a
    // busy spell; the status changes are what the operators report reads.
    let mut on_shift: Vec<(Uuid, i64, i64, bool)> = Vec::new();
    let mut last_seen: Vec<(Uuid, i64)> = Vec::new();
    let mut day = start_day;
    while day < today {
        let wd = day.weekday().num_days_from_monday() as usize;
        for s in SHIFTS {
            let (Some(id), Some((from, to))) = (op(s.login), s.hours[wd]) else {
                continue;
            };
            let begin = ms(local(day, from, 0)) - rng.spread(240.0, 0.6, 900.0);
            let end = ms(local(day, to, 0)) + rng.spread(300.0, 0.7, 1800.0);
            let lunch = ms(local(day, (from + to) / 2, 0)) + rng.spread(600.0, 0.5, 1800.0);
            let mut changes = vec![
                (begin, "online"),
                (lunch, "away"),
                (lunch + rng.spread(1800.0, 0.2, 3000.0), "online"),
            ];
            if rng.chance(0.4) {
                let busy = begin + rng.spread(5400.0, 0.4, 3.0 * 3600.0);
                changes.push((busy, "busy"));
                changes.push((busy + rng.spread(1500.0, 0.4, 3600.0), "online"));
            }
            changes.push((end, "offline"));
            changes.sort_by_key(|c| c.0);
            for (at, status) in &changes {
                sqlx::query(
                    "INSERT INTO presence_changes (operator_id, at, status) VALUES ($1, $2, $3)",
                )
                .bind(id.to_string())
                .bind(*at)
                .bind(*status)
                .execute(tx.conn())
                .await?;
            }
            on_shift.push((id, begin, end, s.speaks_chinese));
            last_seen.retain(|(o, _)| *o != id);
            last_seen.push((id, end));
        }
        day += Duration::days(1);
    }
    for (id, at) in &last_seen {
        sqlx::query("UPDATE operators SET last_seen = $1 WHERE id = $2")
            .bind(*at)
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
    }
    // Who takes what arrives at `at`, and when: someone on shift then (a Chinese speaker for a
    // Chinese-speaking client when one is), or whoever starts the next shift — what arrives at
    // night waits for the morning.
    let working = |at: i64, chinese: bool, rng: &mut Rng| -> (Uuid, i64) {
        let here: Vec<_> = on_shift
            .iter()
            .filter(|(_, b, e, _)| *b <= at && at < *e)
            .collect();
        let fit: Vec<_> = here.iter().filter(|s| s.3 == chinese).collect();
        match (fit.is_empty(), here.is_empty()) {
            (false, _) => (fit[rng.below(fit.len())].0, at),
            (true, false) => (here[rng.below(here.len())].0, at),
            (true, true) => match on_shift
                .iter()
                .filter(|(_, b, _, _)| *b > at)
                .min_by_key(|s| s.1)
            {
                Some((id, begin, _, _)) => (*id, begin + rng.spread(240.0, 0.8, 1800.0)),
                // After the history's last shift: whoever left last stayed to answer.
                None => on_shift
                    .iter()
                    .filter(|(_, _, e, _)| *e <= at)
                    .max_by_key(|s| s.2)
                    .map_or((admin, at), |s| (s.0, at)),
            },
        }
    };

    let tariff = |kind: ConsultationKind| tariffs.iter().find(|t| t.kind == kind);
    let mut written = Written {
        consultations: 0,
        messages: 0,
        callbacks: 0,
    };
    let mut messages: Vec<Past> = Vec::new();
    let mut day = start_day;
    while day < today {
        let wd = day.weekday().num_days_from_monday() as usize;
        for (hour, weight) in HOURLY.iter().enumerate() {
            let expected = PER_DAY * DAILY[wd] * weight / 15.6;
            // Poisson-ish: the whole part, and one more with the fraction's chance.
            let n = expected.floor() as usize + usize::from(rng.chance(expected.fract()));
            for _ in 0..n {
                let created = ms(local(day, hour as u32, 0)) + (rng.unit() * 3_600_000.0) as i64;
                let person = &people[rng.below(people.len())];
                let kind = match rng.unit() {
                    x if x < 0.8 => ConsultationKind::Chat,
                    x if x < 0.92 => ConsultationKind::Phone,
                    _ => ConsultationKind::Video,
                };
                let (question, answer, summary) = match person.lang {
                    Lang::Ru => *rng.pick(RU),
                    Lang::Zh => *rng.pick(ZH),
                    Lang::En => *rng.pick(EN),
                };
                let id = rng.id_at(created);
                let abandoned = rng.chance(0.05);
                // The wait: a minute and a half typically, much longer at the peaks' tails.
                let peak = if HOURLY[hour] >= 1.4 { 2.2 } else { 1.0 };
                let wait = rng.spread(90.0 * peak, 1.0, 45.0 * 60.0);
                let took = (!abandoned || rng.chance(0.3))
                    .then(|| working(created + wait, person.lang == Lang::Zh, &mut rng));
                let taken = took.map(|(_, at)| at);
                let mut operator = took.map(|(o, _)| o);
                let first_response = taken
                    .filter(|_| !abandoned)
                    .map(|t| t + rng.spread(55.0, 0.8, 20.0 * 60.0));
                let long = if kind == ConsultationKind::Chat {
                    1.0
                } else {
                    1.8
                };
                let closed = match first_response {
                    Some(r) => r + rng.spread(11.0 * 60.0 * long, 0.8, 3.0 * 3600.0),
                    None => taken.unwrap_or(created + wait) + rng.spread(240.0, 0.5, 1800.0),
                };
                let mut steps = vec![(created, "created", None)];
                if let (Some(t), Some(o)) = (taken, operator) {
                    steps.push((t, "taken", Some(o)));
                    // Now and then handed to a colleague (another speciality, a shift's end).
                    if first_response.is_some() && rng.chance(0.06) {
                        let at = t + (closed - t) / 2;
                        // A colleague on shift then (a few tries: at a quiet hour the first
                        // one found is often the same operator).
                        for _ in 0..4 {
                            let (other, when) = working(at, person.lang == Lang::Zh, &mut rng);
                            if other != o && when == at {
                                steps.push((at, "transferred", Some(other)));
                                operator = Some(other);
                                break;
                            }
                        }
                    }
                }
                steps.push((closed, "closed", operator));
                let (rating, comment) = if first_response.is_some() && rng.chance(0.65) {
                    let slow = taken.is_some_and(|t| t - created > 15 * 60_000);
                    let stars = match rng.unit() {
                        x if x < if slow { 0.25 } else { 0.62 } => 5,
                        x if x < if slow { 0.55 } else { 0.88 } => 4,
                        x if x < 0.95 => 3,
                        x if x < 0.98 => 2,
                        _ => 1,
                    };
                    let pool = match stars {
                        5 | 4 => COMMENTS_GOOD,
                        3 => COMMENTS_MIXED,
                        _ => COMMENTS_BAD,
                    };
                    (
                        Some(stars as i64),
                        rng.chance(0.45).then(|| rng.pick(pool).to_string()),
                    )
                } else {
                    (None, None)
                };
                let t = tariff(kind);
                let answered = first_response.is_some();
                sqlx::query(
                    "INSERT INTO consultations (id, client_id, kind, status, operator_id, priority, tags, tariff_id, price, currency, subject, created_at, \
                     taken_at, first_response_at, closed_at, summary, rating, rating_comment, last_message_at, first_taken_at) \
                     VALUES ($1, $2, $3, 'closed', $4, 'normal', '[]', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
                )
                .bind(id.to_string())
                .bind(person.id.to_string())
                .bind(kind.as_str())
                .bind(operator.map(|o| o.to_string()))
                .bind(t.map(|t| t.id.to_string()))
                .bind(if answered { t.map(|t| t.price).unwrap_or(0) } else { 0 })
                .bind(t.map(|t| t.currency.clone()).unwrap_or_else(|| "RUB".into()))
                .bind(question)
                .bind(created)
                .bind(taken)
                .bind(first_response)
                .bind(closed)
                .bind(answered.then_some(summary))
                .bind(rating)
                .bind(comment)
                .bind(closed)
                .bind(taken)
                .execute(tx.conn())
                .await?;
                for (at, step, who) in steps {
                    sqlx::query("INSERT INTO consultation_steps (consultation_id, at, step, operator_id) VALUES ($1, $2, $3, $4)")
                        .bind(id.to_string())
                        .bind(at)
                        .bind(step)
                        .bind(who.map(|o: Uuid| o.to_string()))
                        .execute(tx.conn())
                        .await?;
                }
                messages.push(Past {
                    consultation: id,
                    client: person.id,
                    kind: "client",
                    author: Some(person.id),
                    body: question.to_owned(),
                    internal: false,
                    at: created,
                });
                if let (Some(r), Some(o)) = (first_response, operator) {
                    messages.push(Past {
                        consultation: id,
                        client: person.id,
                        kind: "operator",
                        author: Some(o),
                        body: answer.to_owned(),
                        internal: false,
                        at: r,
                    });
                    if rng.chance(0.5) {
                        let (q, a) = *rng.pick(FOLLOW_UPS);
                        let span = (closed - r).max(4000);
                        messages.push(Past {
                            consultation: id,
                            client: person.id,
                            kind: "client",
                            author: Some(person.id),
                            body: q.to_owned(),
                            internal: false,
                            at: r + span / 3,
                        });
                        messages.push(Past {
                            consultation: id,
                            client: person.id,
                            kind: "operator",
                            author: Some(o),
                            body: a.to_owned(),
                            internal: false,
                            at: r + 2 * span / 3,
                        });
                    }
                    if rng.chance(0.15) {
                        messages.push(Past {
                            consultation: id,
                            client: person.id,
                            kind: "operator",
                            author: Some(o),
                            body: "Проверить через неделю / follow up in a week".to_owned(),
                            internal: true,
                            at: closed - 1000,
                        });
                    }
                }
                written.consultations += 1;
            }
        }
        // Callback requests of the day: most "as soon as possible", some for an hour chosen;
        // claimed by whoever is on shift, rung until reached or three tries are used up.
        let calls = (4.0 * DAILY[wd]).round() as usize;
        for _ in 0..calls {
            let created =
                ms(local(day, 9 + rng.below(10) as u32, 0)) + (rng.unit() * 3_600_000.0) as i64;
            let person = &people[rng.below(people.len())];
            let scheduled = rng
                .chance(0.3)
                .then(|| created + 3_600_000 * (1 + rng.below(5) as i64));
            let due = scheduled.unwrap_or(created);
            let id = rng.id_at(created);
            let reason = match person.lang {
                Lang::Ru => *rng.pick(&[
                    "Перезвоните по результатам анализов",
                    "Хочу записаться к терапевту",
                    "Вопрос по рецепту",
                    "Перенести приём",
                ]),
                Lang::Zh => *rng.pick(&["请给我回电话", "想预约复查"]),
                Lang::En => *rng.pick(&[
                    "Please call about my prescription",
                    "Question about my bill",
                ]),
            };
            let cancelled = rng.chance(0.05);
            let (operator, free) = working(due + 60_000, person.lang == Lang::Zh, &mut rng);
            let mut attempts = Vec::new();
            let mut at = free.max(due) + rng.spread(600.0, 0.9, 4.0 * 3600.0);
            let mut status = "failed";
            if !cancelled {
                for _ in 0..3 {
                    let outcome = match rng.unit() {
                        x if x < 0.68 => AttemptOutcome::Reached,
                        x if x < 0.9 => AttemptOutcome::NoAnswer,
                        _ => AttemptOutcome::Busy,
                    };
                    attempts.push((at, outcome));
                    if outcome == AttemptOutcome::Reached {
                        status = "done";
                        break;
                    }
                    at += rng.spread(1800.0, 0.5, 3.0 * 3600.0);
                }
            }
            let closed = if cancelled {
                created + rng.spread(1200.0, 0.5, 3600.0)
            } else {
                attempts.last().map(|a| a.0).unwrap_or(created)
            };
            sqlx::query(
                "INSERT INTO callbacks (id, client_id, phone, preferred_at, preferred_until, reason, status, operator_id, due_at, created_at, closed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(id.to_string())
            .bind(person.id.to_string())
            .bind(&person.phone)
            .bind(scheduled)
            .bind(scheduled.map(|s| s + 3_600_000))
            .bind(reason)
            .bind(if cancelled { "cancelled" } else { status })
            .bind((!cancelled).then(|| operator.to_string()))
            .bind(due)
            .bind(created)
            .bind(closed)
            .execute(tx.conn())
            .await?;
            for (n, (at, outcome)) in attempts.iter().enumerate() {
                let note = match outcome {
                    AttemptOutcome::Reached => "Договорились / agreed",
                    AttemptOutcome::NoAnswer => "Не берёт трубку / no answer",
                    _ => "Занято / busy",
                };
                sqlx::query("INSERT INTO callback_attempts (callback_id, n, at, operator_id, outcome, note) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(id.to_string())
                    .bind(n as i64 + 1)
                    .bind(*at)
                    .bind(operator.to_string())
                    .bind(outcome.as_str())
                    .bind(note)
                    .execute(tx.conn())
                    .await?;
            }
            written.callbacks += 1;
        }
        day += Duration::days(1);
    }

    // The messages, in the order they were written, numbered from the shared counter before
    // everything the live demo adds.
    messages.sort_by_key(|m| m.at);
    let n = messages.len() as i64;
    let last: i64 = sqlx::query_scalar(
        "UPDATE counters SET value = value + $1 WHERE name = 'seq' RETURNING value",
    )
    .bind(n)
    .fetch_one(tx.conn())
    .await?;
    for (
        i,
        Past {
            consultation,
            client,
            kind,
            author,
            body,
            internal,
            at,
        },
    ) in messages.iter().enumerate()
    {
        sqlx::query(
            "INSERT INTO messages (id, consultation_id, client_id, author_kind, author_id, kind, body, client_msg_id, internal, created_at, seq) \
             VALUES ($1, $2, $3, $4, $5, 'text', $6, $7, $8, $9, $10)",
        )
        .bind(rng.id_at(*at).to_string())
        .bind(consultation.to_string())
        .bind(client.to_string())
        .bind(*kind)
        .bind(author.map(|a| a.to_string()))
        .bind(body)
        .bind(rng.id_at(*at).to_string())
        .bind(*internal as i64)
        .bind(*at)
        .bind(last - n + 1 + i as i64)
        .execute(tx.conn())
        .await?;
    }
    written.messages = messages.len();
    tx.commit().await?;
    Ok(written)
}

/// A local time of a day as UTC (the clinic's hours are the server's local hours).
fn local(day: chrono::NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let t = day.and_time(NaiveTime::from_hms_opt(hour.min(23), minute, 0).unwrap_or_default());
    Local
        .from_local_datetime(&t)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&t))
}
