//! The HTTP API of the product's API. Every route is registered through `utoipa_axum::routes!`,
//! so the OpenAPI document at `/api/openapi.json` is generated from the handlers themselves
//! and cannot miss a path.

mod accounts;
mod callbacks;
mod calls;
mod clinical;
mod consents;
mod consultations;
mod files;
mod quick_replies;
mod reports;
mod supervision;
mod sync;
mod visits;
mod webhooks;

pub use sync::MAX_CLIENT_FRAME;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::response::IntoResponse;
use axum::Router;
use careline_protocol::ErrorCode;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::state::AppState;

/// JSON body; a malformed one is a `bad_request` (or `payload_too_large`) with our error body.
/// The body is checked where it is parsed: its media type (`application/json` or `…+json`, in
/// any case) and no NUL character (`\u0000`) anywhere, whatever the headers said.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        if !crate::hygiene::is_json(req.headers()) {
            return Err(AppError::refuse(
                ErrorCode::UnsupportedMediaType,
                "send JSON with Content-Type: application/json",
            ));
        }
        let bytes = body_bytes(req, state).await?;
        crate::hygiene::refuse_nul(&bytes)?;
        axum::Json::<T>::from_bytes(&bytes)
            .map(|axum::Json(v)| ApiJson(v))
            .map_err(AppError::from)
    }
}

async fn body_bytes<S: Send + Sync>(
    req: axum::extract::Request,
    state: &S,
) -> Result<axum::body::Bytes, AppError> {
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| match e.status().as_u16() {
            413 => AppError::refuse(ErrorCode::PayloadTooLarge, "the request body is too large"),
            _ => AppError::bad_request(e.body_text()),
        })
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

/// A report's query, whose period may be left out: `to` defaults to now, `from` to seven days
/// before `to` — what a manager asking "how was the week" means.
pub struct PeriodQuery<T>(pub T);

/// How long a report's period is when only its end (or nothing) is given.
const DEFAULT_PERIOD: chrono::Duration = chrono::Duration::days(7);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for PeriodQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("");
        let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
            .map_err(|e| AppError::bad_request(format!("the query string is not valid: {e}")))?;
        let given = |k: &str, pairs: &[(String, String)]| {
            pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        };
        let to = match given("to", &pairs) {
            Some(t) => chrono::DateTime::parse_from_rfc3339(&t)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| {
                    AppError::bad_request(format!(
                        "to must be a time in RFC 3339 (2026-12-07T00:00:00Z), not {t:?}"
                    ))
                })?,
            None => {
                let now = chrono::Utc::now();
                pairs.push(("to".into(), now.to_rfc3339()));
                now
            }
        };
        if given("from", &pairs).is_none() {
            pairs.push(("from".into(), (to - DEFAULT_PERIOD).to_rfc3339()));
        }
        let text = serde_urlencoded::to_string(&pairs)
            .map_err(|e| AppError::bad_request(e.to_string()))?;
        serde_urlencoded::from_str(&text)
            .map(PeriodQuery)
            .map_err(|e| AppError::bad_request(query_words(&e.to_string())))
    }
}

/// A query parameter's refusal in the API's own words, not the deserialiser's.
fn query_words(error: &str) -> String {
    let e = error.trim_start_matches("Failed to deserialize query string: ");
    if let Some(field) = e
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        return format!("the query parameter {field} is required");
    }
    if e.contains("premature end of input")
        || e.contains("input contains invalid characters")
        || e.contains("trailing input")
    {
        return format!("a time must be RFC 3339 (2026-12-07T00:00:00Z): {e}");
    }
    format!("a query parameter is not valid: {e}")
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

/// A JSON body that may be left out entirely (an empty body means none).
pub struct OptionalJson<T>(pub Option<T>);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        crate::hygiene::refuse_nul(&bytes)?;
        serde_json::from_slice(&bytes)
            .map(|v| OptionalJson(Some(v)))
            .map_err(|e| AppError::bad_request(format!("invalid JSON body: {e}")))
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        match r.status().as_u16() {
            413 => AppError::refuse(ErrorCode::PayloadTooLarge, "the request body is too large"),
            415 => AppError::refuse(
                ErrorCode::UnsupportedMediaType,
                "send JSON with Content-Type: application/json",
            ),
            _ => AppError::bad_request(r.body_text()),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::bad_request(query_words(&r.body_text()))
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        AppError::bad_request(r.body_text())
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Careline API", description = "The hub of the Careline tele-consultation service: REST for operators, clients and integrators; events over `/api/v1/sync` and the WebSocket at `/api/v1/ws`."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    // Enums that only query parameters name: nothing else puts them in the components.
    components(schemas(careline_protocol::ReportFormat, careline_protocol::ReportMoment))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every route, and the OpenAPI document that describes them.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::logout))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::set_status))
        .routes(routes!(accounts::register))
        .routes(routes!(accounts::claim_code))
        .routes(routes!(accounts::list_clients, accounts::create_client))
        .routes(routes!(
            accounts::get_client,
            accounts::update_client,
            accounts::erase_client
        ))
        .routes(routes!(accounts::list_operators, accounts::create_operator))
        .routes(routes!(accounts::update_operator))
        .routes(routes!(accounts::list_audit))
        .routes(routes!(accounts::list_sessions))
        .routes(routes!(accounts::revoke_session))
        .routes(routes!(consultations::initiate, consultations::list))
        .routes(routes!(consultations::get, consultations::update))
        .routes(routes!(consultations::take))
        .routes(routes!(consultations::transfer))
        .routes(routes!(consultations::assign))
        .routes(routes!(consultations::release))
        .routes(routes!(consultations::close))
        .routes(routes!(consultations::rate))
        .routes(routes!(
            consultations::list_messages,
            consultations::send_message
        ))
        .routes(routes!(consultations::read))
        .routes(routes!(consultations::delivered))
        .routes(routes!(
            consultations::list_tariffs,
            consultations::create_tariff
        ))
        .routes(routes!(reports::consultations))
        .routes(routes!(reports::operators))
        .routes(routes!(reports::items))
        .routes(routes!(reports::callbacks))
        .routes(routes!(reports::billing))
        .routes(routes!(
            supervision::list_red_flags,
            supervision::create_red_flag
        ))
        .routes(routes!(
            supervision::update_red_flag,
            supervision::delete_red_flag
        ))
        .routes(routes!(supervision::test_red_flags))
        .routes(routes!(
            supervision::get_settings,
            supervision::put_settings
        ))
        .routes(routes!(quick_replies::list, quick_replies::create))
        .routes(routes!(quick_replies::update, quick_replies::delete))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(files::upload))
        .routes(routes!(files::download))
        .routes(routes!(files::thumbnail_of))
        .routes(routes!(callbacks::create, callbacks::list))
        .routes(routes!(callbacks::get))
        .routes(routes!(callbacks::claim))
        .routes(routes!(callbacks::release))
        .routes(routes!(callbacks::attempt))
        .routes(routes!(callbacks::cancel))
        .routes(routes!(visits::get_schedule, visits::put_schedule))
        .routes(routes!(visits::specialists))
        .routes(routes!(visits::slots))
        .routes(routes!(visits::book, visits::list))
        .routes(routes!(visits::get))
        .routes(routes!(visits::cancel))
        .routes(routes!(visits::decline))
        .routes(routes!(visits::reschedule))
        .routes(routes!(visits::check_in))
        .routes(routes!(calls::start, calls::of_consultation))
        .routes(routes!(clinical::create_prescription))
        .routes(routes!(clinical::list_prescriptions))
        .routes(routes!(
            clinical::get_prescription,
            clinical::update_prescription
        ))
        .routes(routes!(clinical::submit_prescription))
        .routes(routes!(clinical::approve_prescription))
        .routes(routes!(clinical::reject_prescription))
        .routes(routes!(clinical::cancel_prescription))
        .routes(routes!(consents::list, consents::create))
        .routes(routes!(consents::update))
        .routes(routes!(consents::accept))
        .routes(routes!(consents::withdraw))
        .routes(routes!(consents::of_client))
        .routes(routes!(clinical::request_refund))
        .routes(routes!(clinical::list_refunds))
        .routes(routes!(clinical::approve_refund))
        .routes(routes!(clinical::reject_refund))
        .routes(routes!(calls::ice_servers))
        .routes(routes!(calls::redeem))
        .routes(routes!(calls::get))
        .routes(routes!(calls::answer))
        .routes(routes!(calls::decline))
        .routes(routes!(calls::hangup))
        .routes(routes!(calls::link))
        .routes(routes!(sync::sync))
        .routes(routes!(sync::snapshot))
        .routes(routes!(sync::ws))
        .routes(routes!(sync::healthz))
        .routes(routes!(sync::metrics))
        .split_for_parts();
    let mut api = api;
    declare_common_answers(&mut api);
    // Serialized once: a handler's captures are cloned with its route (per request, and with
    // the router), and cloning the document itself cost a millisecond per connection.
    let doc =
        axum::body::Bytes::from(serde_json::to_vec(&api).expect("the OpenAPI document serializes"));
    let router = router
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        doc,
                    )
                }
            }),
        )
        // The patients' web chat page.
        .route("/", axum::routing::get(crate::web::page))
        .route("/chat", axum::routing::get(crate::web::page))
        .route("/chat/app.js", axum::routing::get(crate::web::script))
        .route("/chat/app.css", axum::routing::get(crate::web::style))
        .route(
            "/chat/visits.js",
            axum::routing::get(crate::web::visits_script),
        )
        .route(
            "/chat/visits.css",
            axum::routing::get(crate::web::visits_style),
        )
        .route(
            "/chat/records.js",
            axum::routing::get(crate::web::records_script),
        )
        .route(
            "/chat/records.css",
            axum::routing::get(crate::web::records_style),
        )
        .route("/chat/icon.svg", axum::routing::get(crate::web::icon))
        .route("/call/", axum::routing::get(crate::web::call_page))
        .route("/chat/call.js", axum::routing::get(crate::web::call_script))
        .route("/chat/call.css", axum::routing::get(crate::web::call_style))
        .fallback(|| async { AppError::not_found("route").into_response() })
        .method_not_allowed_fallback(|| async {
            let e = careline_protocol::ApiError::new(
                ErrorCode::BadRequest,
                "method not allowed on this path",
            );
            (axum::http::StatusCode::METHOD_NOT_ALLOWED, axum::Json(e)).into_response()
        });
    (router, api)
}

/// Adds the answers every handler may give but does not list itself: 401 for an operation that
/// takes a token, 400 for one with input (a malformed body, query or path).
fn declare_common_answers(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |what: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ApiError")))
                        .build(),
                )
                .build(),
        )
    };
    let document_secured = api.security.as_ref().is_some_and(|s| !s.is_empty());
    for item in api.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            let secured = op
                .security
                .as_ref()
                .map_or(document_secured, |s| !s.is_empty());
            let has_input =
                op.request_body.is_some() || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            if secured {
                op.responses
                    .responses
                    .entry("401".into())
                    .or_insert_with(|| {
                        error("no token, or one that is unknown, expired or revoked")
                    });
                // Every role reaches every route; the role, the account's state or the
                // object's owner decides (an operator's route for a client, a disabled account).
                op.responses
                    .responses
                    .entry("403".into())
                    .or_insert_with(|| error("not for this role or this account"));
            }
            let by_id = op.parameters.as_ref().is_some_and(|ps| {
                ps.iter()
                    .any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Path))
            });
            if by_id {
                // Unknown ids and other people's objects answer alike.
                op.responses
                    .responses
                    .entry("404".into())
                    .or_insert_with(|| error("no such object, or not yours to see"));
            }
            if has_input {
                op.responses
                    .responses
                    .entry("400".into())
                    .or_insert_with(|| error("malformed input"));
            }
            if op.request_body.is_some() {
                // Every body is read by the same extractors: a body that is not JSON (or not
                // the declared upload) is refused before the handler, and a well-formed one
                // that breaks a rule of the domain (a length, a range, a format) is 422.
                op.responses
                    .responses
                    .entry("413".into())
                    .or_insert_with(|| error("the body is larger than the server takes"));
                op.responses
                    .responses
                    .entry("415".into())
                    .or_insert_with(|| error("the body is not of the declared content type"));
                op.responses
                    .responses
                    .entry("422".into())
                    .or_insert_with(|| {
                        error("the input breaks a rule: a length, a range, a format")
                    });
            }
        }
    }
}

/// The OpenAPI document, as served.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().1
}
