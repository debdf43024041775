-- Quick replies kept on the server: the team's (owner_id NULL, edited by admins) and each
-- operator's own. The text may name {client_name} and {operator_name}; the desk fills them in.
CREATE TABLE quick_replies (
    id         TEXT PRIMARY KEY,
    owner_id   TEXT,
    shortcut   TEXT NOT NULL,
    text       TEXT NOT NULL,
    -- ru, zh, en, or NULL: shown in every language.
    language   TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX quick_replies_owner ON quick_replies (owner_id);

-- The team's first replies, in the three languages of the desk. Admins edit them.
INSERT INTO quick_replies (id, owner_id, shortcut, text, language, updated_at) VALUES
('01938000-0000-7000-8000-100000000001', NULL, 'привет', 'Здравствуйте, {client_name}! Я {operator_name}, врач сервиса. Чем могу помочь?', 'ru', 0),
('01938000-0000-7000-8000-100000000002', NULL, 'температура', 'Измерьте, пожалуйста, температуру и напишите результат.', 'ru', 0),
('01938000-0000-7000-8000-100000000003', NULL, 'фото', 'Пришлите, пожалуйста, фото — так я смогу лучше оценить.', 'ru', 0),
('01938000-0000-7000-8000-100000000004', NULL, 'скорая', 'Если состояние ухудшается, немедленно вызовите скорую: 103 или 112.', 'ru', 0),
('01938000-0000-7000-8000-100000000005', NULL, 'спасибо', 'Спасибо за обращение, {client_name}! Выздоравливайте.', 'ru', 0),
('01938000-0000-7000-8000-100000000006', NULL, '你好', '{client_name}，您好！我是本服务的医生{operator_name}，请问有什么可以帮您？', 'zh', 0),
('01938000-0000-7000-8000-100000000007', NULL, '体温', '请测量一下体温，并把结果发给我。', 'zh', 0),
('01938000-0000-7000-8000-100000000008', NULL, '照片', '请发一张照片，方便我更好地判断。', 'zh', 0),
('01938000-0000-7000-8000-100000000009', NULL, '急救', '如果情况加重，请立即拨打120。', 'zh', 0),
('01938000-0000-7000-8000-100000000010', NULL, '谢谢', '感谢您的咨询，祝您早日康复！', 'zh', 0),
('01938000-0000-7000-8000-100000000011', NULL, 'hello', 'Hello {client_name}! I am {operator_name}, a doctor of the service. How can I help?', 'en', 0),
('01938000-0000-7000-8000-100000000012', NULL, 'temperature', 'Please take your temperature and send me the result.', 'en', 0),
('01938000-0000-7000-8000-100000000013', NULL, 'photo', 'Please send a photo so I can see it better.', 'en', 0),
('01938000-0000-7000-8000-100000000014', NULL, 'emergency', 'If it gets worse, call an ambulance at once: 112.', 'en', 0),
('01938000-0000-7000-8000-100000000015', NULL, 'thanks', 'Thank you for reaching out, {client_name}. Get well soon!', 'en', 0);
