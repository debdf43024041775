// Errors in the interface's language. Every code the Rust side can send (the server's
// `ErrorCode` and the desk's `LocalCode`, both generated into gen/types.ts) has a sentence in
// each language here — the type makes a missing one a compile error; the English message that
// came with the error is shown only as its detail.
import type { ErrorCode, LocalCode, UiCode, UiError } from "./gen/types";
import { lang, type Lang } from "./i18n";

const en: Record<UiCode, string> = {
  bad_request: "The request was not understood.",
  validation_failed: "A value is not acceptable.",
  unauthorized: "Your session has ended (you logged out elsewhere, or it expired). Please log in again.",
  invalid_credentials: "Wrong login or password.",
  forbidden: "Your role does not allow this.",
  not_found: "It no longer exists, or it is not yours to see.",
  illegal_transition: "This cannot be done in its current state.",
  already_taken: "A colleague took it first.",
  capacity_reached: "You already have as many active consultations as your capacity allows.",
  not_assigned: "Only the operator it is assigned to can do this.",
  already_exists: "It is already registered.",
  already_rated: "It was already rated.",
  consent_required: "The patient has not given a consent this needs.",
  account_disabled: "Your account has been disabled. Ask your supervisor.",
  payload_too_large: "The file is too large.",
  unsupported_media_type: "This kind of file is not accepted.",
  rate_limited: "Too many attempts. Wait a little and try again.",
  resync_required: "The local copy is being downloaded again.",
  internal: "The server failed. Try again; if it repeats, tell your administrator.",
  offline: "No connection to the server.",
  unexpected_answer: "The server answered something unexpected.",
  not_logged_in: "You are not logged in.",
  cache: "The local cache could not be read or written.",
  file: "The file could not be read or opened.",
  key_unavailable: "The local cache's key is in the system keychain, which is locked or not answering. Unlock the keychain and log in again.",
  file_not_opened: "This file was not opened: its name does not match its kind, so it could be a program. It was saved, not run.",
};

const ru: Record<UiCode, string> = {
  bad_request: "Запрос не понят сервером.",
  validation_failed: "Недопустимое значение.",
  unauthorized: "Сеанс завершён (выход на другом компьютере или истёк срок). Войдите снова.",
  invalid_credentials: "Неверный логин или пароль.",
  forbidden: "Ваша роль не позволяет это сделать.",
  not_found: "Этого больше нет, или у вас нет к нему доступа.",
  illegal_transition: "В текущем состоянии это сделать нельзя.",
  already_taken: "Коллега успел взять это раньше.",
  capacity_reached: "У вас уже столько активных консультаций, сколько позволяет ваша нагрузка.",
  not_assigned: "Это может сделать только назначенный оператор.",
  already_exists: "Уже зарегистрировано.",
  already_rated: "Оценка уже поставлена.",
  consent_required: "Пациент не дал согласие, которое для этого нужно.",
  account_disabled: "Ваша учётная запись отключена. Обратитесь к руководителю.",
  payload_too_large: "Файл слишком большой.",
  unsupported_media_type: "Такой тип файла не принимается.",
  rate_limited: "Слишком много попыток. Подождите немного и повторите.",
  resync_required: "Локальная копия загружается заново.",
  internal: "Ошибка на сервере. Повторите; если не поможет, сообщите администратору.",
  offline: "Нет связи с сервером.",
  unexpected_answer: "Сервер ответил что-то непредвиденное.",
  not_logged_in: "Вы не вошли в систему.",
  cache: "Не удалось прочитать или записать локальный кэш.",
  file: "Не удалось прочитать или открыть файл.",
  key_unavailable: "Ключ локального кэша хранится в системной связке ключей, которая заблокирована или не отвечает. Разблокируйте её и войдите снова.",
  file_not_opened: "Файл не открыт: его имя не совпадает с типом, это может быть программа. Он сохранён, но не запущен.",
};

const zh: Record<UiCode, string> = {
  bad_request: "服务器无法理解该请求。",
  validation_failed: "某个值不被接受。",
  unauthorized: "您的会话已结束（已在其他地方退出或已过期）。请重新登录。",
  invalid_credentials: "用户名或密码错误。",
  forbidden: "您的角色无权执行此操作。",
  not_found: "该项已不存在，或您无权查看。",
  illegal_transition: "当前状态下无法执行此操作。",
  already_taken: "同事已抢先接手。",
  capacity_reached: "您的进行中咨询已达上限。",
  not_assigned: "只有被分配的接线员才能执行此操作。",
  already_exists: "已经注册过了。",
  already_rated: "已经评过分了。",
  consent_required: "患者尚未给出此操作所需的同意。",
  account_disabled: "您的账号已被停用，请联系主管。",
  payload_too_large: "文件太大。",
  unsupported_media_type: "不接受此类文件。",
  rate_limited: "尝试次数过多，请稍后再试。",
  resync_required: "正在重新下载本地副本。",
  internal: "服务器出错。请重试；如仍出错，请告知管理员。",
  offline: "无法连接服务器。",
  unexpected_answer: "服务器返回了无法识别的内容。",
  not_logged_in: "您尚未登录。",
  cache: "无法读取或写入本地缓存。",
  file: "无法读取或打开该文件。",
  key_unavailable: "本地缓存的密钥保存在系统钥匙串中，但钥匙串已锁定或无响应。请解锁后重新登录。",
  file_not_opened: "文件未打开：其名称与类型不符，可能是程序。文件已保存但未运行。",
};

const texts: Record<Lang, Record<UiCode, string>> = { en, ru, zh };

/** The sentence for an error code in the interface's language (any string the Rust side
 * might send that is not a known code reads as the generic server failure). */
export function errorSentence(code: UiCode | string, l: Lang = lang()): string {
  return texts[l][code as UiCode] ?? texts[l].internal;
}

/** An error as the window shows it: the sentence in the interface's language, and the
 * English detail that came with it (the server's message, the cause) when it adds something. */
export function errorText(e: UiError, l: Lang = lang()): { text: string; detail: string | null } {
  const text = errorSentence(e.code, l);
  const detail = e.message && e.message !== text && (l === "en" || technical.has(e.code)) ? e.message : null;
  return { text, detail };
}

/** Codes whose sentence cannot say what exactly went wrong: the server's (English) words follow
 * as a detail in every language, for whoever fixes it. Every other code's sentence says it all,
 * so a Russian or Chinese window shows it alone. */
const technical = new Set<string>(["bad_request", "validation_failed", "internal", "unexpected_answer", "cache", "file"]);

/** A refused outbox entry's code and message, as one line. */
export function refusalLine(code: string | null, message: string | null, l: Lang = lang()): string {
  if (!code) return message ?? "";
  const { text, detail } = errorText({ code: code as UiCode, message: message ?? "" }, l);
  return detail ? `${text} (${detail})` : text;
}

/** The error of a failed command, whatever was thrown. */
export function errorOf(e: unknown): UiError {
  if (e && typeof e === "object" && "code" in e && "message" in e) return e as UiError;
  return { code: "internal", message: String(e) };
}

/** A failed command's error as one line in the interface's language, detail in brackets. */
export function errorLine(e: unknown, l: Lang = lang()): string {
  const { text, detail } = errorText(errorOf(e), l);
  return detail ? `${text} (${detail})` : text;
}

export type { ErrorCode, LocalCode };
