// The interface in Russian, Chinese and English. The language comes from the system (the
// Rust side reads it) and can be changed in the settings.
export type Lang = "ru" | "zh" | "en";

const en = {
  appName: "Careline",
  consultations: "Consultations", callbacks: "Callback requests", clients: "Clients", operators: "Operators",
  queue: "Queue", mine: "Mine", active: "All active", archive: "Archive", open: "Open",
  search: "Search", searchHint: "Search messages, clients, consultations…", searchKeys: "Ctrl+K",
  noResults: "Nothing found", typeToSearch: "Type at least two letters",
  indexing: "Indexing the history for search: {n} messages left — some results may be missing yet",
  login: "Log in", server: "Server", loginName: "Login", password: "Password", loggingIn: "Logging in…",
  logout: "Log out", wipeCache: "Also delete the local cache (medical data) from this computer",
  cancel: "Cancel", save: "Save", confirm: "Confirm",
  online: "Online", away: "Away", busy: "Busy", offline: "Offline",
  cacheKeyLost: "This computer's copy of the desk could not be read: its encryption key is gone (a reset keychain, another user account). It was downloaded again from the server; actions that had not been sent from here are lost.",
  dismissNotice: "Got it",
  offlineBanner: "No connection to the server. Everything cached is here; what you do is kept and sent when the connection returns.",
  toSend_one: "{n} waiting to be sent", toSend_few: "{n} waiting to be sent", toSend_many: "{n} waiting to be sent", toSend_other: "{n} waiting to be sent",
  take: "Take", transfer: "Transfer", release: "Hand back", close: "Close", closeDialog: "Close", reopen: "",
  closeSummary: "Closing summary", summaryPlaceholder: "What was advised, what is next…",
  transferTo: "Transfer to", transferNote: "Note for the colleague",
  priority: "Priority", low: "Low", normal: "Normal", high: "High", urgent: "Urgent",
  tags: "Tags", addTag: "+ tag",
  chat: "Chat", phone: "Phone", video: "Video",
  new: "In queue", closed: "Closed",
  waiting: "waiting", ago: "ago", unread: "unread",
  selectConsultation: "Choose a consultation on the left to open its chat.",
  emptyQueue: "The queue is empty. New requests appear here at once.",
  emptyMine: "You have no active consultations. Take one from the queue.",
  emptyActive: "No one has an active consultation.",
  emptyArchive: "No closed consultations match.",
  found_one: "{n} consultation", found_few: "{n} consultations", found_many: "{n} consultations", found_other: "{n} consultations",
  typeMessage: "Write a message… (Enter sends, Shift+Enter new line, / quick replies)",
  typeNote: "Internal note — the client never sees it",
  send: "Send", note: "Internal note", attach: "Attach a file",
  pending: "Waiting to be sent", sent: "Sent", delivered: "Delivered", read: "Read", failed: "Not sent", retry: "Retry", dismiss: "Dismiss",
  olderMessages: "Load earlier messages", newestMessages: "To the newest messages", episode: "Consultation", startedAt: "started", closedAt: "closed",
  system: "System", you: "You", client: "Client", internal: "Internal note",
  rating: "Rating",
  filters: "Filters", allKinds: "Any kind", allPriorities: "Any priority", anyOperator: "Any operator", unreadOnly: "Unread only",
  sortNatural: "Default order", sortOldest: "Oldest first", sortNewest: "Newest first", sortPriority: "By priority", sortLast: "Last message",
  filterText: "Filter by name, subject, tag…", from: "From", to: "To",
  claim: "Claim", releaseCb: "Release", call: "Call", recordAttempt: "Record the call", outcome: "Outcome",
  reached: "Reached", no_answer: "No answer", wrong_number: "Wrong number", busyLine: "Line busy",
  cancelRequest: "Cancel request", asap: "As soon as possible", due: "Due", overdue: "Overdue", attempts: "Attempts",
  reason: "Reason", preferred: "Preferred time", claimedBy: "Claimed by", noCallbacks: "No callback requests waiting.",
  noArchivedCallbacks: "No finished callback requests match.",
  claimed: "Claimed", done: "Done", cancelled: "Cancelled",
  selectCallback: "Choose a request on the left.",
  searchClients: "Search by name, phone, tag…", noClients: "No clients match.", selectClient: "Choose a client on the left.",
  profile: "Profile", history: "History", files: "Files", notes: "Notes", vip: "VIP", blocked: "Blocked",
  gender: "Gender", birthday: "Birthday", city: "City", height: "Height", weight: "Weight", email: "E-mail", source: "Source", since: "Client since",
  noFiles: "No files yet.", noHistory: "No consultations yet.",
  load: "Load", capacity: "capacity", department: "Department", lastSeen: "Last seen", role: "Role", admin: "Supervisor", operator: "Operator",
  settings: "Settings", language: "Language", theme: "Theme", themeAuto: "As the system", themeLight: "Light", themeDark: "Dark",
  notifications: "Notifications", sound: "Sound", repeatUntilTaken: "Repeat queue alerts until taken",
  kind_new_queue_item: "New consultation in the queue", kind_new_callback: "New callback request", kind_new_message: "New message in my consultation",
  kind_transferred_to_me: "Transferred to me", kind_callback_due_soon: "Callback reminder (5 min before)", kind_callback_overdue: "Callback overdue (10 min)",
  kind_long_wait: "A client waits long",
  outbox: "Outbox", outboxEmpty: "Everything was sent.", refused: "Refused", status: "Status change",
  quickReplies: "Quick replies", noQuickReplies: "No quick reply starts like that.",
  loading: "Loading…", error: "Error",
  newOperator: "New operator", edit: "Edit", disabled: "Disabled", newPassword: "New password (leave empty to keep)", displayName: "Name", saved: "Saved", editProfile: "Edit profile", tagsComma: "Tags, comma separated",
  eraseClient: "Erase client", eraseWarning: "Everything of this client — profile, consultations, messages, files, callback requests — is deleted from the server and from every desk. This cannot be undone.", eraseConfirm: "Type the client's name to confirm",
  source_app: "Mobile app", source_qr: "QR code", source_phone: "Phone call", source_web: "Web chat",
};

export type Key = keyof typeof en;

const ru: Record<Key, string> = {
  appName: "Careline",
  consultations: "Консультации", callbacks: "Заявки на звонок", clients: "Клиенты", operators: "Операторы",
  queue: "Очередь", mine: "Мои", active: "Все активные", archive: "Архив", open: "Открытые",
  search: "Поиск", searchHint: "Поиск по сообщениям, клиентам, консультациям…", searchKeys: "Ctrl+K",
  noResults: "Ничего не найдено", typeToSearch: "Введите хотя бы две буквы",
  indexing: "История индексируется для поиска: осталось {n} сообщений — часть результатов пока может не найтись",
  login: "Войти", server: "Сервер", loginName: "Логин", password: "Пароль", loggingIn: "Вход…",
  logout: "Выйти", wipeCache: "Также удалить локальный кэш (медицинские данные) с этого компьютера",
  cancel: "Отмена", save: "Сохранить", confirm: "Подтвердить",
  online: "В сети", away: "Отошёл", busy: "Занят", offline: "Не в сети",
  cacheKeyLost: "Локальную копию данных на этом компьютере не удалось прочитать: её ключ шифрования утерян (сброшена связка ключей, другая учётная запись). Данные заново загружены с сервера; действия, которые не успели отправиться отсюда, потеряны.",
  dismissNotice: "Понятно",
  offlineBanner: "Нет связи с сервером. Всё, что есть в кэше, доступно; ваши действия сохраняются и будут отправлены, когда связь вернётся.",
  toSend_one: "{n} ждёт отправки", toSend_few: "{n} ждут отправки", toSend_many: "{n} ждут отправки", toSend_other: "{n} ждут отправки",
  take: "Взять", transfer: "Передать", release: "Вернуть в очередь", close: "Закрыть", closeDialog: "Закрыть", reopen: "",
  closeSummary: "Итог консультации", summaryPlaceholder: "Что рекомендовано, что дальше…",
  transferTo: "Передать оператору", transferNote: "Комментарий для коллеги",
  priority: "Приоритет", low: "Низкий", normal: "Обычный", high: "Высокий", urgent: "Срочный",
  tags: "Метки", addTag: "+ метка",
  chat: "Чат", phone: "Телефон", video: "Видео",
  new: "В очереди", closed: "Закрыта",
  waiting: "ждёт", ago: "назад", unread: "непрочитанных",
  selectConsultation: "Выберите консультацию слева, чтобы открыть чат.",
  emptyQueue: "Очередь пуста. Новые обращения появятся здесь сразу.",
  emptyMine: "У вас нет активных консультаций. Возьмите из очереди.",
  emptyActive: "Ни у кого нет активных консультаций.",
  emptyArchive: "Нет закрытых консультаций по этим условиям.",
  found_one: "{n} консультация", found_few: "{n} консультации", found_many: "{n} консультаций", found_other: "{n} консультации",
  typeMessage: "Сообщение… (Enter — отправить, Shift+Enter — новая строка, / — быстрые ответы)",
  typeNote: "Внутренняя заметка — клиент её не увидит",
  send: "Отправить", note: "Заметка", attach: "Прикрепить файл",
  pending: "Ждёт отправки", sent: "Отправлено", delivered: "Доставлено", read: "Прочитано", failed: "Не отправлено", retry: "Повторить", dismiss: "Убрать",
  olderMessages: "Показать более ранние сообщения", newestMessages: "К последним сообщениям", episode: "Консультация", startedAt: "начата", closedAt: "закрыта",
  system: "Система", you: "Вы", client: "Клиент", internal: "Внутренняя заметка",
  rating: "Оценка",
  filters: "Фильтры", allKinds: "Любой вид", allPriorities: "Любой приоритет", anyOperator: "Любой оператор", unreadOnly: "Только непрочитанные",
  sortNatural: "По умолчанию", sortOldest: "Сначала старые", sortNewest: "Сначала новые", sortPriority: "По приоритету", sortLast: "По последнему сообщению",
  filterText: "Фильтр по имени, теме, метке…", from: "С", to: "По",
  claim: "Взять", releaseCb: "Вернуть", call: "Позвонить", recordAttempt: "Записать звонок", outcome: "Результат",
  reached: "Дозвонился", no_answer: "Не отвечает", wrong_number: "Неверный номер", busyLine: "Занято",
  cancelRequest: "Отменить заявку", asap: "Как можно скорее", due: "Срок", overdue: "Просрочена", attempts: "Попытки",
  reason: "Причина", preferred: "Удобное время", claimedBy: "Взял", noCallbacks: "Заявок на звонок нет.",
  noArchivedCallbacks: "Нет завершённых заявок по этим условиям.",
  claimed: "Взята", done: "Выполнена", cancelled: "Отменена",
  selectCallback: "Выберите заявку слева.",
  searchClients: "Поиск по имени, телефону, метке…", noClients: "Клиенты не найдены.", selectClient: "Выберите клиента слева.",
  profile: "Профиль", history: "История", files: "Файлы", notes: "Заметки", vip: "VIP", blocked: "Заблокирован",
  gender: "Пол", birthday: "Дата рождения", city: "Город", height: "Рост", weight: "Вес", email: "E-mail", source: "Источник", since: "Клиент с",
  noFiles: "Файлов пока нет.", noHistory: "Консультаций пока не было.",
  load: "Нагрузка", capacity: "макс.", department: "Отделение", lastSeen: "Был в сети", role: "Роль", admin: "Руководитель", operator: "Оператор",
  settings: "Настройки", language: "Язык", theme: "Тема", themeAuto: "Как в системе", themeLight: "Светлая", themeDark: "Тёмная",
  notifications: "Уведомления", sound: "Звук", repeatUntilTaken: "Повторять оповещение, пока обращение не взято",
  kind_new_queue_item: "Новая консультация в очереди", kind_new_callback: "Новая заявка на звонок", kind_new_message: "Новое сообщение в моей консультации",
  kind_transferred_to_me: "Мне передали консультацию", kind_callback_due_soon: "Напоминание о звонке (за 5 мин)", kind_callback_overdue: "Звонок просрочен (10 мин)",
  kind_long_wait: "Клиент долго ждёт",
  outbox: "Исходящие", outboxEmpty: "Всё отправлено.", refused: "Отклонено", status: "Смена статуса",
  quickReplies: "Быстрые ответы", noQuickReplies: "Нет быстрых ответов с таким началом.",
  loading: "Загрузка…", error: "Ошибка",
  newOperator: "Новый оператор", edit: "Изменить", disabled: "Отключён", newPassword: "Новый пароль (пусто — не менять)", displayName: "Имя", saved: "Сохранено", editProfile: "Изменить профиль", tagsComma: "Метки через запятую",
  eraseClient: "Удалить клиента", eraseWarning: "Всё об этом клиенте — профиль, консультации, сообщения, файлы, заявки на звонок — будет удалено с сервера и со всех рабочих мест. Отменить нельзя.", eraseConfirm: "Введите имя клиента для подтверждения",
  source_app: "Мобильное приложение", source_qr: "QR-код", source_phone: "Звонок", source_web: "Веб-чат",
};

const zh: Record<Key, string> = {
  appName: "Careline",
  consultations: "咨询", callbacks: "回电请求", clients: "客户", operators: "接线员",
  queue: "队列", mine: "我的", active: "全部进行中", archive: "归档", open: "待处理",
  search: "搜索", searchHint: "搜索消息、客户、咨询…", searchKeys: "Ctrl+K",
  noResults: "没有找到", typeToSearch: "请至少输入两个字",
  indexing: "正在为搜索建立历史索引：还剩 {n} 条消息，部分结果可能暂时找不到",
  login: "登录", server: "服务器", loginName: "账号", password: "密码", loggingIn: "正在登录…",
  logout: "退出登录", wipeCache: "同时从这台电脑删除本地缓存（医疗数据）",
  cancel: "取消", save: "保存", confirm: "确认",
  online: "在线", away: "离开", busy: "忙碌", offline: "离线",
  cacheKeyLost: "无法读取本机的本地数据副本：其加密密钥已丢失（钥匙串被重置或换了系统账户）。数据已从服务器重新下载；尚未从本机发出的操作已丢失。",
  dismissNotice: "知道了",
  offlineBanner: "无法连接服务器。已缓存的内容都可查看；您的操作会被保存，连接恢复后发送。",
  toSend_one: "{n} 条待发送", toSend_few: "{n} 条待发送", toSend_many: "{n} 条待发送", toSend_other: "{n} 条待发送",
  take: "接单", transfer: "转交", release: "退回队列", close: "结束", closeDialog: "关闭", reopen: "",
  closeSummary: "咨询总结", summaryPlaceholder: "给出的建议、后续安排…",
  transferTo: "转交给", transferNote: "给同事的备注",
  priority: "优先级", low: "低", normal: "普通", high: "高", urgent: "紧急",
  tags: "标签", addTag: "添加标签…",
  chat: "图文", phone: "电话", video: "视频",
  new: "排队中", closed: "已结束",
  waiting: "等待", ago: "前", unread: "未读",
  selectConsultation: "在左侧选择一个咨询以打开聊天。",
  emptyQueue: "队列为空。新的咨询会立即出现在这里。",
  emptyMine: "您没有进行中的咨询。请从队列中接单。",
  emptyActive: "目前没有进行中的咨询。",
  emptyArchive: "没有符合条件的已结束咨询。",
  found_one: "{n} 个咨询", found_few: "{n} 个咨询", found_many: "{n} 个咨询", found_other: "{n} 个咨询",
  typeMessage: "输入消息…（Enter 发送，Shift+Enter 换行，/ 快捷回复）",
  typeNote: "内部备注——客户看不到",
  send: "发送", note: "内部备注", attach: "添加附件",
  pending: "等待发送", sent: "已发送", delivered: "已送达", read: "已读", failed: "发送失败", retry: "重试", dismiss: "移除",
  olderMessages: "加载更早的消息", newestMessages: "回到最新消息", episode: "咨询", startedAt: "开始于", closedAt: "结束于",
  system: "系统", you: "您", client: "客户", internal: "内部备注",
  rating: "评分",
  filters: "筛选", allKinds: "全部类型", allPriorities: "全部优先级", anyOperator: "全部接线员", unreadOnly: "仅未读",
  sortNatural: "默认顺序", sortOldest: "最早优先", sortNewest: "最新优先", sortPriority: "按优先级", sortLast: "按最后消息",
  filterText: "按姓名、主题、标签筛选…", from: "从", to: "到",
  claim: "认领", releaseCb: "释放", call: "拨打", recordAttempt: "记录通话", outcome: "结果",
  reached: "已接通", no_answer: "无人接听", wrong_number: "号码错误", busyLine: "占线",
  cancelRequest: "取消请求", asap: "尽快", due: "截止", overdue: "已逾期", attempts: "尝试",
  reason: "原因", preferred: "方便时间", claimedBy: "认领人", noCallbacks: "暂无回电请求。",
  noArchivedCallbacks: "没有符合条件的已完成请求。",
  claimed: "已认领", done: "已完成", cancelled: "已取消",
  selectCallback: "在左侧选择一个请求。",
  searchClients: "按姓名、电话、标签搜索…", noClients: "没有符合条件的客户。", selectClient: "在左侧选择一位客户。",
  profile: "资料", history: "记录", files: "文件", notes: "备注", vip: "VIP", blocked: "已屏蔽",
  gender: "性别", birthday: "出生日期", city: "城市", height: "身高", weight: "体重", email: "邮箱", source: "来源", since: "注册于",
  noFiles: "暂无文件。", noHistory: "暂无咨询记录。",
  load: "负载", capacity: "上限", department: "科室", lastSeen: "最后在线", role: "角色", admin: "主管", operator: "接线员",
  settings: "设置", language: "语言", theme: "主题", themeAuto: "跟随系统", themeLight: "浅色", themeDark: "深色",
  notifications: "通知", sound: "声音", repeatUntilTaken: "在被接单前重复提醒",
  kind_new_queue_item: "队列中有新咨询", kind_new_callback: "新的回电请求", kind_new_message: "我的咨询有新消息",
  kind_transferred_to_me: "咨询转给我", kind_callback_due_soon: "回电提醒（提前5分钟）", kind_callback_overdue: "回电逾期（10分钟）",
  kind_long_wait: "客户等待过久",
  outbox: "发件箱", outboxEmpty: "全部已发送。", refused: "被拒绝", status: "状态变更",
  quickReplies: "快捷回复", noQuickReplies: "没有以此开头的快捷回复。",
  loading: "加载中…", error: "错误",
  newOperator: "新建接线员", edit: "编辑", disabled: "已停用", newPassword: "新密码（留空则不修改）", displayName: "姓名", saved: "已保存", editProfile: "编辑资料", tagsComma: "标签，用逗号分隔",
  eraseClient: "删除客户", eraseWarning: "该客户的全部信息（资料、咨询、消息、文件、回电请求）将从服务器和所有工作台上删除，且无法恢复。", eraseConfirm: "请输入客户姓名以确认",
  source_app: "手机应用", source_qr: "二维码", source_phone: "电话", source_web: "网页聊天",
};

const dictionaries: Record<Lang, Record<Key, string>> = { en, ru, zh };

let current: Lang = "en";

export function setLang(lang: string): Lang {
  current = lang === "ru" || lang === "zh" ? lang : "en";
  document.documentElement.lang = current;
  return current;
}

export function lang(): Lang {
  return current;
}

export function t(key: Key): string {
  return dictionaries[current][key] ?? en[key];
}

/** Keys with a form per plural category (`found` has `found_one`, `found_few`…). */
type PluralOf<K> = K extends `${infer B}_one` ? B : never;
type PluralKey = PluralOf<Key>;

/** `{n}` in the form the language's plural rules (the platform's `Intl.PluralRules`) choose. */
export function plural(key: PluralKey, n: number, l: Lang = current): string {
  const rule = new Intl.PluralRules(l).select(n);
  const form = (["one", "few", "many"].includes(rule) ? `${key}_${rule}` : `${key}_other`) as Key;
  return (dictionaries[l][form] ?? en[form]).replace("{n}", n.toLocaleString(l));
}

/** Canned responses for the `/` menu, per language. */
export const defaultQuickReplies: Record<Lang, { key: string; text: string }[]> = {
  ru: [
    { key: "привет", text: "Здравствуйте! Я врач сервиса, чем могу помочь?" },
    { key: "температура", text: "Измерьте, пожалуйста, температуру и напишите результат." },
    { key: "фото", text: "Пришлите, пожалуйста, фото — так я смогу лучше оценить." },
    { key: "скорая", text: "Если состояние ухудшается, немедленно вызовите скорую: 103 или 112." },
    { key: "спасибо", text: "Спасибо за обращение! Выздоравливайте." },
  ],
  zh: [
    { key: "你好", text: "您好！我是本服务的医生，请问有什么可以帮您？" },
    { key: "体温", text: "请测量一下体温，并把结果发给我。" },
    { key: "照片", text: "请发一张照片，方便我更好地判断。" },
    { key: "急救", text: "如果情况加重，请立即拨打120。" },
    { key: "谢谢", text: "感谢您的咨询，祝您早日康复！" },
  ],
  en: [
    { key: "hello", text: "Hello! I am a doctor of the service. How can I help?" },
    { key: "temperature", text: "Please take your temperature and send me the result." },
    { key: "photo", text: "Please send a photo so I can see it better." },
    { key: "emergency", text: "If it gets worse, call an ambulance at once: 112." },
    { key: "thanks", text: "Thank you for reaching out. Get well soon!" },
  ],
};
