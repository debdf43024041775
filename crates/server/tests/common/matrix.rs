//! The authorization matrix: rows of (method, path, body, what each caller should get), run
//! without a token and as each caller.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::Api;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Want {
    /// Passed authorization: anything but 401, 403 and 404 (and never a 5xx).
    Allow,
    /// 403: the role may not use this endpoint.
    Forbid,
    /// 404: the object is not the caller's to see.
    Hidden,
}

/// One row: the request and, per caller (in the order the callers are given), what they get.
pub type Row<const N: usize> = (Method, String, Option<Value>, [Want; N]);

/// Runs every row without a token (401 wanted) and then as each caller, in the order of
/// `order` (indices into the callers, so the owner of an object can come after the refusals
/// were checked); returns what went otherwise. A row whose path ends in `/logout` is only
/// tried without a token (it would end the sessions the rows below need).
pub async fn run<const N: usize>(
    anon: &Api,
    callers: [(&str, &Api); N],
    order: [usize; N],
    rows: &[Row<N>],
) -> Vec<String> {
    let mut failures = Vec::new();
    for (method, path, body, wants) in rows {
        let (st, b) = anon.call(method.clone(), path, body.clone()).await;
        if st != StatusCode::UNAUTHORIZED {
            failures.push(format!("{method} {path} without a token: {st} {b}"));
        }
        if path.ends_with("/logout") {
            continue;
        }
        for i in order {
            let (who, api) = callers[i];
            let want = wants[i];
            let (st, b) = api.call(method.clone(), path, body.clone()).await;
            let ok = match want {
                Want::Allow => !matches!(st.as_u16(), 401 | 403 | 404) && st.as_u16() < 500,
                Want::Forbid => st == StatusCode::FORBIDDEN && b["code"] == "forbidden",
                Want::Hidden => st == StatusCode::NOT_FOUND && b["code"] == "not_found",
            };
            if !ok {
                failures.push(format!(
                    "{method} {path} as {who}: wanted {want:?}, got {st} {b}"
                ));
            }
        }
    }
    failures
}
