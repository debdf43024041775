//! Text the server refuses: a NUL character anywhere in the path, the query or a JSON body
//! (PostgreSQL cannot store one and answered 500; no field of the API has a use for it), and a
//! query or path whose percent-encoding is not UTF-8 (it was silently replaced with U+FFFD
//! before). Both are a `bad_request` that changes nothing. The path and query are checked by
//! [`layer`] before any handler; a body where it is parsed — by the JSON extractors
//! (`api::ApiJson`, `api::OptionalJson`, through [`refuse_nul`]) whatever the request's headers
//! said (a body-less action sent with no or another media type once skipped a check made here
//! by media type), and only once.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

pub async fn layer(req: Request, next: Next) -> Response {
    if let Err(e) = check_encoded("path", req.uri().path())
        .and_then(|_| check_encoded("query", req.uri().query().unwrap_or("")))
    {
        return e.into_response();
    }
    next.run(req).await
}

/// Whether the request says its body is JSON: `application/json` or `…+json`, in any case
/// (media types are case-insensitive; `Application/JSON` once slipped past a case-sensitive check).
pub fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            let essence = t.split(';').next().unwrap_or("").trim();
            let tail = essence
                .len()
                .checked_sub(5)
                .and_then(|i| essence.get(i..))
                .unwrap_or("");
            essence.eq_ignore_ascii_case("application/json") || tail.eq_ignore_ascii_case("+json")
        })
}

/// Refuses a JSON body that holds a NUL character (the escape `\u0000`, or a raw NUL byte).
pub fn refuse_nul(json: &[u8]) -> Result<(), AppError> {
    if json.contains(&0) || has_nul_escape(json) {
        return Err(AppError::bad_request(
            "the body holds a NUL character (\\u0000), which no field accepts",
        ));
    }
    Ok(())
}

/// A percent-encoded path or query: its decoded bytes must be UTF-8 without NUL.
fn check_encoded(what: &str, raw: &str) -> Result<(), AppError> {
    let decoded: Vec<u8> = percent_encoding::percent_decode_str(raw).collect();
    if decoded.contains(&0) {
        return Err(AppError::bad_request(format!(
            "the {what} holds a NUL character"
        )));
    }
    if std::str::from_utf8(&decoded).is_err() {
        return Err(AppError::bad_request(format!(
            "the {what} is not UTF-8 once percent-decoded"
        )));
    }
    Ok(())
}

/// Whether a JSON text holds the escape `\u0000` (a raw NUL byte is not valid JSON, which the
/// parser refuses anyway). A `\u0000` preceded by an escaped backslash (`\\u0000`) is text.
fn has_nul_escape(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json[i + 1..].starts_with(b"u0000") {
                return true;
            }
            i += 2; // the escaped character, whatever it is
        } else {
            i += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_compared_without_case() {
        let with = |t: &str| {
            let mut h = axum::http::HeaderMap::new();
            h.insert(axum::http::header::CONTENT_TYPE, t.parse().unwrap());
            is_json(&h)
        };
        assert!(
            with("Application/JSON")
                && with("application/json; charset=utf-8")
                && with("application/problem+JSON")
        );
        assert!(!with("text/plain") && !with("json") && !with("application/jsonx"));
        assert!(!is_json(&axum::http::HeaderMap::new()));
    }

    #[test]
    fn nul_escapes_are_told_from_escaped_backslashes() {
        assert!(has_nul_escape(br#"{"a":"x\u0000y"}"#));
        assert!(!has_nul_escape(br#"{"a":"C:\\u0000dir"}"#));
        assert!(has_nul_escape(br#"{"a":"C:\\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"a":"\u00e9"}"#));
    }

    #[test]
    fn encoded_text_must_be_utf8_without_nul() {
        assert!(check_encoded("query", "q=%D0%98%D0%B2%D0%B0%D0%BD").is_ok());
        assert!(check_encoded("query", "q=%00").is_err());
        assert!(check_encoded("query", "q=%FF%FE").is_err());
    }
}
