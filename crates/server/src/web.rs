//! The patients' web chat page, served by the server itself at `/` and `/chat`: one HTML page,
//! one script and one stylesheet (no framework, no external request), built into the binary,
//! and the visits' script and stylesheet, loaded when the patient first opens them.
//! A strict Content-Security-Policy allows only this origin's script, styles, images (and the
//! `blob:` URLs of attachments fetched with the session), and connections to this origin.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

const PAGE: &str = include_str!("../web/chat.html");
const SCRIPT: &str = include_str!("../web/app.js");
const STYLE: &str = include_str!("../web/app.css");
const ICON: &str = include_str!("../web/icon.svg");
/// Visits: loaded by the page the first time they are opened, so the first load stays small.
const VISITS_SCRIPT: &str = include_str!("../web/visits.js");
const VISITS_STYLE: &str = include_str!("../web/visits.css");
/// The patient's records (prescriptions, refunds): loaded the first time they are opened.
const RECORDS_SCRIPT: &str = include_str!("../web/records.js");
const RECORDS_STYLE: &str = include_str!("../web/records.css");
/// Calls: loaded by the page when a call rings, and by the operator's call page.
const CALL_PAGE: &str = include_str!("../web/call.html");
const CALL_SCRIPT: &str = include_str!("../web/call.js");
const CALL_STYLE: &str = include_str!("../web/call.css");

/// What the page may load and connect to: nothing but this origin (and blobs it made itself).
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; media-src 'self' blob:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn answer(content_type: &'static str, body: String, cache: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

/// The page, told the upload limit (so a file too big is refused before it is sent).
pub async fn page(State(state): State<AppState>) -> Response {
    answer(
        "text/html; charset=utf-8",
        PAGE.replace(
            "{{MAX_UPLOAD}}",
            &state.config.attachment_max_bytes.to_string(),
        ),
        "no-cache",
    )
}

/// A script as served: without its comment-only lines and its indentation (a quarter of what
/// a patient's phone would download; the line breaks stay, so no statement runs into the next).
/// The scripts hold no template literal spanning lines (a unit test checks), where either
/// would be text.
fn lean(js: &str) -> String {
    let mut out = String::with_capacity(js.len());
    for line in js.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn served(cell: &'static std::sync::OnceLock<String>, js: &'static str) -> &'static str {
    cell.get_or_init(|| lean(js))
}

static LEAN_SCRIPT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
static LEAN_VISITS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
static LEAN_CALL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
static LEAN_RECORDS: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub async fn script() -> Response {
    answer(
        "text/javascript; charset=utf-8",
        served(&LEAN_SCRIPT, SCRIPT).to_owned(),
        "no-cache",
    )
}

pub async fn style() -> Response {
    answer("text/css; charset=utf-8", STYLE.to_owned(), "no-cache")
}

pub async fn visits_script() -> Response {
    answer(
        "text/javascript; charset=utf-8",
        served(&LEAN_VISITS, VISITS_SCRIPT).to_owned(),
        "no-cache",
    )
}

pub async fn visits_style() -> Response {
    answer(
        "text/css; charset=utf-8",
        VISITS_STYLE.to_owned(),
        "no-cache",
    )
}

pub async fn records_script() -> Response {
    answer(
        "text/javascript; charset=utf-8",
        served(&LEAN_RECORDS, RECORDS_SCRIPT).to_owned(),
        "no-cache",
    )
}

pub async fn records_style() -> Response {
    answer(
        "text/css; charset=utf-8",
        RECORDS_STYLE.to_owned(),
        "no-cache",
    )
}

pub async fn call_page() -> Response {
    let mut r = answer("text/html; charset=utf-8", CALL_PAGE.to_owned(), "no-store");
    // The camera and the microphone, for this origin only.
    r.headers_mut().insert(
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(self), microphone=(self)"),
    );
    r
}

pub async fn call_script() -> Response {
    answer(
        "text/javascript; charset=utf-8",
        served(&LEAN_CALL, CALL_SCRIPT).to_owned(),
        "no-cache",
    )
}

pub async fn call_style() -> Response {
    answer("text/css; charset=utf-8", CALL_STYLE.to_owned(), "no-cache")
}

pub async fn icon() -> Response {
    answer("image/svg+xml", ICON.to_owned(), "public, max-age=86400")
}

/// What the page weighs as served, in bytes (HTML, script, stylesheet, icon), uncompressed.
pub fn weight() -> usize {
    PAGE.len() + served(&LEAN_SCRIPT, SCRIPT).len() + STYLE.len() + ICON.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_lose_comment_lines_and_indentation_only() {
        let js = "// A comment.\nfunction f(a) {\n  // inside\n  return a + 1; // kept: not a whole line\n}\n\n  const url = \"http://x\";\n";
        assert_eq!(
            lean(js),
            "function f(a) {\nreturn a + 1; // kept: not a whole line\n}\nconst url = \"http://x\";\n"
        );
    }

    #[test]
    fn no_script_has_a_template_literal_spanning_lines() {
        for (name, js) in [
            ("app.js", SCRIPT),
            ("visits.js", VISITS_SCRIPT),
            ("records.js", RECORDS_SCRIPT),
            ("call.js", CALL_SCRIPT),
        ] {
            for (i, line) in js.lines().enumerate() {
                assert!(
                    line.matches('`').count() % 2 == 0,
                    "{name}:{}: a template literal spans lines; lean() would change its text",
                    i + 1
                );
            }
        }
    }
}
