//! Sessions, clients, operators, presence, audit.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use careline_protocol::{
    ApiError, AuditRecord, ClaimCode, Client, CreateClientRequest, CreateOperatorRequest,
    ErrorCode, LoginRequest, LoginResponse, MeResponse, Operator, Page, RegisterRequest, Role,
    StatusRequest, UpdateClientRequest, UpdateOperatorRequest, User,
};
use std::sync::atomic::Ordering;
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery};
use crate::auth::{Admin, RemoteAddr, Session, Staff};
use crate::error::{AppError, AppResult};
use crate::idempotency::CarriesSecret;
use crate::passwords::{hash_password, hash_password_for, new_token, verify_password_for};
use crate::state::AppState;
use crate::store::operators::valid_password;
use crate::time::{from_ms, now_ms};
use careline_protocol::{AuditQuery, ClientFilter, PageQuery, SessionInfo, SessionQuery};

async fn issue_token(state: &AppState, user: User) -> AppResult<LoginResponse> {
    let (token, hash) = new_token();
    // Patients' sessions are short and renewed while in use (a phone left logged in on a shared
    // or lost device); staff's last `token_ttl_hours`.
    let hours = if user.role == Role::Client {
        state.config.client_token_ttl_hours
    } else {
        state.config.token_ttl_hours
    };
    let expires = now_ms() + hours * 3600 * 1000;
    state
        .store
        .insert_token(&hash, user.id, user.role, expires)
        .await?;
    Ok(LoginResponse {
        token,
        user,
        expires_at: from_ms(expires),
    })
}

/// Log in: operators with their login, clients with their phone number.
///
/// A wrong password, an unknown login and a disabled or blocked account get the same answer
/// (`401 invalid_credentials`), so the answer never tells whether a password was right. Password
/// checks are queued per address and served in turn; the failures of an account are
/// limited from every address, a known device included.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "session", security(),
    request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ApiError), (status = 429, body = ApiError)))]
pub async fn login(
    State(state): State<AppState>,
    addr: RemoteAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> AppResult<(Extension<CarriesSecret>, Json<LoginResponse>)> {
    if req.login.len() > 256 || req.password.len() > 1024 {
        return Err(AppError::invalid("login or password is too long"));
    }
    state.limiter.check(&req.login, &addr.0)?;
    let refuse = |state: &AppState, counted: bool| {
        if counted {
            state.limiter.failed(&req.login, &addr.0);
        }
        state.metrics.logins_failed.fetch_add(1, Ordering::Relaxed);
        AppError::refuse(ErrorCode::InvalidCredentials, "wrong login or password")
    };
    let user = if let Some((op, hash)) = state.store.operator_credentials(&req.login).await? {
        if !verify_password_for(addr.0.as_deref(), req.password.clone(), Some(hash)).await? {
            return Err(refuse(&state, true));
        }
        if op.disabled {
            return Err(refuse(&state, false));
        }
        User {
            id: op.id,
            role: op.role,
            name: op.name,
        }
    } else {
        let accounts = state.store.client_credentials(&req.login).await?;
        if accounts.is_empty() {
            verify_password_for(addr.0.as_deref(), req.password.clone(), None).await?;
            return Err(refuse(&state, true));
        }
        // A phone may have a few accounts (a duplicate registered without proof): the
        // password tells which one, the oldest first.
        let mut matched = None;
        for (client, hash) in accounts {
            if verify_password_for(addr.0.as_deref(), req.password.clone(), Some(hash)).await? {
                matched = Some(client);
                break;
            }
        }
        let Some(client) = matched else {
            return Err(refuse(&state, true));
        };
        if client.blocked {
            return Err(refuse(&state, false));
        }
        User {
            id: client.id,
            role: Role::Client,
            name: client.name,
        }
    };
    state.limiter.succeeded(&req.login, &addr.0);
    Ok((
        Extension(CarriesSecret),
        Json(issue_token(&state, user).await?),
    ))
}

/// Revoke the token of this request.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "session", responses((status = 204), (status = 401, body = ApiError)))]
pub async fn logout(State(state): State<AppState>, session: Session) -> AppResult<StatusCode> {
    state.store.delete_token(&session.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who am I.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", responses((status = 200, body = MeResponse), (status = 401, body = ApiError)))]
pub async fn me(State(state): State<AppState>, session: Session) -> AppResult<Json<MeResponse>> {
    let user = User {
        id: session.user_id,
        role: session.role,
        name: session.name.clone(),
    };
    Ok(Json(if session.role.is_desk() {
        MeResponse {
            user,
            operator: Some(state.store.get_operator(session.user_id).await?),
            client: None,
        }
    } else {
        let mut client = state.store.get_client(session.user_id).await?;
        client.notes = None;
        MeResponse {
            user,
            operator: None,
            client: Some(client),
        }
    }))
}

/// Set my presence status.
#[utoipa::path(put, path = "/api/v1/me/status", tag = "operators", request_body = StatusRequest,
    responses((status = 200, body = Operator), (status = 403, body = ApiError)))]
pub async fn set_status(
    State(state): State<AppState>,
    Staff(session): Staff,
    ApiJson(req): ApiJson<StatusRequest>,
) -> AppResult<Json<Operator>> {
    Ok(Json(
        state
            .store
            .set_presence(session.user_id, req.status)
            .await?,
    ))
}

/// A client registers from a mobile app; answers with a session. A phone the clinic already
/// knows is answered as any other (a separate account, tagged for staff) unless the request
/// carries the claim code reception handed the patient, which takes over reception's record.
/// Limited per address and overall (`429`); everything is checked before the password is
/// hashed.
#[utoipa::path(post, path = "/api/v1/clients/register", tag = "clients", security(), request_body = RegisterRequest,
    responses((status = 201, body = LoginResponse), (status = 422, body = ApiError), (status = 429, body = ApiError)))]
pub async fn register(
    State(state): State<AppState>,
    addr: RemoteAddr,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> AppResult<(StatusCode, Extension<CarriesSecret>, Json<LoginResponse>)> {
    state.registrations.check(&addr.0)?;
    valid_password(&req.password)?;
    state.store.check_registration(&req).await?;
    let hash = hash_password_for(addr.0.as_deref(), req.password.clone()).await?;
    let client = state.store.register_client(&req, hash).await?;
    let user = User {
        id: client.id,
        role: Role::Client,
        name: client.name,
    };
    Ok((
        StatusCode::CREATED,
        Extension(CarriesSecret),
        Json(issue_token(&state, user).await?),
    ))
}

/// A new claim code for a record reception made (staff): the patient registers with it to
/// take the record over. Replaces any earlier code; `409` for a client who has an account.
#[utoipa::path(post, path = "/api/v1/clients/{id}/claim-code", tag = "clients", params(("id" = Uuid, Path)),
    responses((status = 201, body = ClaimCode), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn claim_code(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<(StatusCode, Extension<CarriesSecret>, Json<ClaimCode>)> {
    session.require_staff()?;
    Ok((
        StatusCode::CREATED,
        Extension(CarriesSecret),
        Json(state.store.new_claim_code(id, session.user_id).await?),
    ))
}

/// Clients, newest first, searchable.
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", params(ClientFilter),
    responses((status = 200, body = Page<Client>), (status = 403, body = ApiError)))]
pub async fn list_clients(
    State(state): State<AppState>,
    _: Staff,
    ApiQuery(f): ApiQuery<ClientFilter>,
) -> AppResult<Json<Page<Client>>> {
    Ok(Json(state.store.list_clients(&f).await?))
}

/// Reception records a client who walked in or phoned (staff). No password: the patient
/// claims the record by registering with a claim code (`POST /api/v1/clients/{id}/claim-code`). A phone another client has: `409
/// already_exists` naming that client, and nothing is created.
#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = CreateClientRequest,
    responses((status = 201, body = Client), (status = 403, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create_client(
    State(state): State<AppState>,
    Staff(session): Staff,
    ApiJson(req): ApiJson<CreateClientRequest>,
) -> AppResult<(StatusCode, Json<Client>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_client(&req, session.user_id).await?),
    ))
}

/// A client's profile. Every read by staff is audited; a client may read its own (without
/// the operators' notes).
#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = Uuid, Path)),
    responses((status = 200, body = Client), (status = 404, body = ApiError)))]
pub async fn get_client(
    State(state): State<AppState>,
    session: Session,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Client>> {
    if !session.role.is_staff() {
        if id != session.user_id {
            return Err(AppError::not_found("client"));
        }
        let mut c = state.store.get_client(id).await?;
        c.notes = None;
        return Ok(Json(c));
    }
    let c = state.store.get_client(id).await?;
    state
        .store
        .audit(
            session.user_id,
            "client.viewed",
            Some(id),
            None,
            addr.0.as_deref(),
        )
        .await?;
    Ok(Json(c))
}

/// Edit a client: staff edit personal data, tags and notes, admins also VIP and blocked; a
/// client its own personal data.
#[utoipa::path(patch, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = Uuid, Path)), request_body = UpdateClientRequest,
    responses((status = 200, body = Client), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn update_client(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<UpdateClientRequest>,
) -> AppResult<Json<Client>> {
    let staff = session.role.is_staff();
    if !staff && id != session.user_id {
        return Err(AppError::not_found("client"));
    }
    let mut c = state
        .store
        .update_client(id, &req, session.user_id, session.role)
        .await?;
    if !staff {
        c.notes = None;
    }
    Ok(Json(c))
}

/// Operators with their status and load.
#[utoipa::path(get, path = "/api/v1/operators", tag = "operators", params(PageQuery),
    responses((status = 200, body = Page<Operator>), (status = 403, body = ApiError)))]
pub async fn list_operators(
    State(state): State<AppState>,
    _: Staff,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<Json<Page<Operator>>> {
    Ok(Json(
        state
            .store
            .list_operators(q.cursor.as_deref(), q.limit)
            .await?,
    ))
}

/// Create an operator (admin).
#[utoipa::path(post, path = "/api/v1/operators", tag = "operators", request_body = CreateOperatorRequest,
    responses((status = 201, body = Operator), (status = 403, body = ApiError), (status = 409, body = ApiError)))]
pub async fn create_operator(
    State(state): State<AppState>,
    Admin(session): Admin,
    ApiJson(req): ApiJson<CreateOperatorRequest>,
) -> AppResult<(StatusCode, Json<Operator>)> {
    valid_password(&req.password)?;
    let hash = hash_password(req.password.clone()).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .store
                .create_operator(&req, hash, Some(session.user_id))
                .await?,
        ),
    ))
}

/// Edit, disable or re-enable an operator, or set their password (admin).
#[utoipa::path(patch, path = "/api/v1/operators/{id}", tag = "operators", params(("id" = Uuid, Path)), request_body = UpdateOperatorRequest,
    responses((status = 200, body = Operator), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn update_operator(
    State(state): State<AppState>,
    Admin(session): Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<UpdateOperatorRequest>,
) -> AppResult<Json<Operator>> {
    let hash = match &req.password {
        Some(p) => {
            valid_password(p)?;
            Some(hash_password(p.clone()).await?)
        }
        None => None,
    };
    Ok(Json(
        state
            .store
            .update_operator(id, &req, hash, session.user_id)
            .await?,
    ))
}

/// The audit log, newest first, filtered by who, what (an action's prefix), which and when
/// (admin); `?format=csv`: every matching record (the export is itself audited).
#[utoipa::path(get, path = "/api/v1/audit", tag = "operators", params(AuditQuery),
    responses(
        (status = 200, description = "A page of records; `?format=csv`: all of them",
            content((Page<AuditRecord> = "application/json"), (String = "text/csv"))),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn list_audit(
    State(state): State<AppState>,
    Admin(session): Admin,
    addr: RemoteAddr,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let csv = q.format == Some(careline_protocol::ReportFormat::Csv);
    let page = state.store.list_audit(&q, csv).await?;
    if !csv {
        return Ok(Json(page).into_response());
    }
    state
        .store
        .audit(
            session.user_id,
            "audit.exported",
            None,
            None,
            addr.0.as_deref(),
        )
        .await?;
    let rows = page.items.iter().map(|a| {
        vec![
            a.at.to_rfc3339(),
            a.operator_id.to_string(),
            a.action.clone(),
            a.target_id.map(|t| t.to_string()).unwrap_or_default(),
            a.detail.clone().unwrap_or_default(),
            a.remote_addr.clone().unwrap_or_default(),
            a.actor_name.clone().unwrap_or_default(),
            a.target_name.clone().unwrap_or_default(),
        ]
    });
    // Names after the original columns, so a spreadsheet built on the first six still reads.
    let text = crate::store::reports::csv::write(
        &[
            "at",
            "operator_id",
            "action",
            "target_id",
            "detail",
            "remote_addr",
            "operator_name",
            "target_name",
        ],
        rows,
    );
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        text,
    )
        .into_response())
}

/// Sessions (logins on devices): mine, or — for an admin — anyone's.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "session", params(SessionQuery),
    responses((status = 200, body = Page<SessionInfo>), (status = 403, body = ApiError)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<SessionQuery>,
) -> AppResult<Json<Page<SessionInfo>>> {
    let user = q.user_id.unwrap_or(session.user_id);
    if user != session.user_id {
        session.require_admin()?;
    }
    let items = state.store.sessions_of(user, &session.token_hash).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

/// End a session: one of mine, or — for an admin — anyone's. Its live connections close within
/// seconds; audited.
#[utoipa::path(delete, path = "/api/v1/sessions/{id}", tag = "session", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ApiError)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    session: Session,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<String>,
) -> AppResult<StatusCode> {
    let owner = state.store.session_owner(&id).await?;
    // Someone else's session is "not found" to a non-admin: ids cannot be probed.
    let Some(owner) = owner.filter(|o| *o == session.user_id || session.role == Role::Admin) else {
        return Err(AppError::not_found("session"));
    };
    if !state.store.revoke_session(owner, &id).await? {
        return Err(AppError::not_found("session"));
    }
    if session.role.is_staff() {
        state
            .store
            .audit(
                session.user_id,
                "session.revoked",
                Some(owner),
                None,
                addr.0.as_deref(),
            )
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Erase a client (admin; the right to erasure): everything of them leaves the database, the
/// file store and — through an `erased` event — every desk's cache. Irreversible; audited.
#[utoipa::path(delete, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn erase_client(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    session.require_admin()?;
    for sha in state.store.erase_client(id, session.user_id).await? {
        if let Err(e) = state
            .blobs
            .remove_unused(&sha, std::time::SystemTime::now())
            .await
        {
            tracing::warn!(error = %e, "an erased client's file could not be deleted");
        }
    }
    Ok(StatusCode::NO_CONTENT)
}
