//! What simulated clients say, in the three languages of the service.

pub const OPENERS: &[&str] = &[
    "Здравствуйте, у меня третий день температура 38",
    "Болит горло и трудно глотать, что принять?",
    "Можно ли совмещать ибупрофен и парацетамол?",
    "У ребёнка сыпь на руках после прогулки",
    "Нужна консультация по результатам анализа крови",
    "医生您好,我最近经常头疼",
    "孩子咳嗽一周了,需要去医院吗?",
    "请问高血压患者可以喝咖啡吗?",
    "体检报告显示血糖偏高,怎么办?",
    "Hello, I have had a sore back for a week",
    "Can I take my allergy medicine with antibiotics?",
    "My daughter has a fever of 38.5, what should I do?",
    "I need a repeat prescription for my inhaler",
];

/// Now and then a client writes something a medical desk must not leave waiting: the server's
/// default red-flag rules fire on each of these (and on none of the openers above).
pub const EMERGENCIES: &[&str] = &[
    "Сильная боль в груди, отдаёт в левую руку",
    "Мне трудно дышать уже полчаса",
    "我胸痛得厉害,喘不过气",
    "My father's face drooping on one side and slurred speech",
];

pub const FOLLOW_UPS: &[&str] = &[
    "Спасибо, понятно",
    "А сколько дней принимать?",
    "Температура немного снизилась",
    "Хорошо, попробую",
    "谢谢医生",
    "需要空腹吃吗?",
    "好的,我明白了",
    "Thank you, that helps",
    "How many times a day?",
    "It got a bit better this morning",
];

pub const CALLBACK_REASONS: &[&str] = &[
    "Перезвоните, пожалуйста, по поводу анализов",
    "Хочу записаться к терапевту",
    "请给我回电话,关于处方的问题",
    "Please call me about my test results",
];

pub const NAMES: &[&str] = &[
    "Иван Петров",
    "Мария Соколова",
    "Алексей Смирнов",
    "Екатерина Волкова",
    "Дмитрий Кузнецов",
    "Ольга Морозова",
    "王伟",
    "李娜",
    "张敏",
    "刘洋",
    "陈静",
    "杨帆",
    "Emily Clark",
    "James Wilson",
    "Sophie Turner",
    "Oliver Brown",
    "Hannah Lee",
    "Daniel Evans",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The server's default rules fire on every emergency and on no ordinary opener.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn emergencies_raise_red_flags_and_openers_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let config = careline_server::Config {
            data_dir: dir.path().to_path_buf(),
            ..careline_server::Config::default()
        };
        let state = careline_server::AppState::start(config).await.unwrap();
        for text in EMERGENCIES {
            assert!(
                state.store.test_red_flags(text).await.unwrap().is_some(),
                "{text}"
            );
        }
        for text in OPENERS.iter().chain(FOLLOW_UPS) {
            assert_eq!(
                state.store.test_red_flags(text).await.unwrap(),
                None,
                "{text}"
            );
        }
    }
}
