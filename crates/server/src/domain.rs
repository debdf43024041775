//! The state machines of the product's domain as pure functions: given the current state, who acts
//! and what they ask, the new state or a refusal with a stable code. No I/O here; the store
//! applies the answer with a guarded UPDATE so a concurrent change is still caught.

use careline_protocol::{
    ApiError, AttemptOutcome, CallbackStatus, ConsultationStatus, ErrorCode, Role,
};
use uuid::Uuid;

/// Who is acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: Uuid,
    pub role: Role,
}

impl Actor {
    pub fn is_admin(self) -> bool {
        self.role == Role::Admin
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsultationAction {
    Take,
    /// An admin gives a queued consultation to a chosen operator.
    Assign,
    Transfer,
    Release,
    Close,
}

/// The consultation state machine: `new → active` (take), `active → active` (transfer),
/// `active → new` (release), `active → closed` (close). Only staff act on it; transfer,
/// release and close belong to the assigned operator or an admin.
pub fn consultation_transition(
    status: ConsultationStatus,
    assigned: Option<Uuid>,
    actor: Actor,
    action: ConsultationAction,
) -> Result<ConsultationStatus, ApiError> {
    use ConsultationAction::*;
    use ConsultationStatus::*;
    if !actor.role.is_staff() {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only operators change a consultation's state",
        ));
    }
    match (action, status) {
        (Take, New) => Ok(Active),
        (Take, Active) => Err(ApiError::new(
            ErrorCode::AlreadyTaken,
            "the consultation was already taken",
        )),
        (Take, Closed) => Err(illegal("take", Closed)),
        // A booked visit's consultation opens with its visit (check-in, the call, its start).
        (Take | Assign, Scheduled) => Err(ApiError::new(
            ErrorCode::IllegalTransition,
            "this consultation is a booked visit: it opens with the visit",
        )),
        (Assign, _) if !actor.is_admin() => Err(ApiError::new(
            ErrorCode::Forbidden,
            "only an admin assigns consultations",
        )),
        (Assign, New) => Ok(Active),
        (Assign, Active) => Err(ApiError::new(
            ErrorCode::AlreadyTaken,
            "the consultation was already taken",
        )),
        (Assign, Closed) => Err(illegal("assign", Closed)),
        (Transfer | Release | Close, Active) => {
            if assigned == Some(actor.id) || actor.is_admin() {
                Ok(match action {
                    Transfer => Active,
                    Release => New,
                    _ => Closed,
                })
            } else {
                Err(ApiError::new(
                    ErrorCode::NotAssigned,
                    "only the assigned operator or an admin may do this",
                ))
            }
        }
        (Transfer, s) => Err(illegal("transfer", s)),
        (Release, s) => Err(illegal("hand back", s)),
        (Close, s) => Err(illegal("close", s)),
    }
}

fn illegal(what: &str, status: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        ErrorCode::IllegalTransition,
        format!("cannot {what} a consultation that is {status}"),
    )
}

/// Who may post a public (non-internal) message in a consultation of this state.
pub fn may_post_public(
    status: ConsultationStatus,
    assigned: Option<Uuid>,
    actor: Actor,
) -> Result<(), ApiError> {
    match actor.role {
        Role::Client => Ok(()), // a client's message to a closed consultation opens a new one
        Role::Operator | Role::Admin => match status {
            // The specialist of a booked visit may write to the patient before it opens.
            ConsultationStatus::Active | ConsultationStatus::Scheduled
                if assigned == Some(actor.id) || actor.is_admin() =>
            {
                Ok(())
            }
            ConsultationStatus::Active | ConsultationStatus::Scheduled => Err(ApiError::new(
                ErrorCode::NotAssigned,
                "only the assigned operator or an admin may reply; internal notes are open to all",
            )),
            s => Err(ApiError::new(
                ErrorCode::IllegalTransition,
                format!("cannot reply in a consultation that is {s}: take it first"),
            )),
        },
        Role::Pharmacist => Err(ApiError::new(
            ErrorCode::Forbidden,
            "a pharmacist reads a consultation behind a prescription and writes nothing in it",
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackAction {
    Claim,
    Release,
    Attempt(AttemptOutcome),
    Cancel,
}

/// What follows an action on a callback request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackStep {
    pub status: CallbackStatus,
    /// The operator holding the request afterwards.
    pub operator: Option<Uuid>,
    /// The request goes back to the queue, due after the retry delay.
    pub retry: bool,
}

/// The callback state machine: `new → claimed` (claim), `claimed → new` (release),
/// `claimed → done | new (retry) | failed` (attempt), `new | claimed → cancelled` (cancel).
/// `attempts_before` counts the attempts already recorded.
pub fn callback_transition(
    status: CallbackStatus,
    claimed_by: Option<Uuid>,
    attempts_before: i64,
    max_attempts: i64,
    actor: Actor,
    action: CallbackAction,
) -> Result<CallbackStep, ApiError> {
    use CallbackAction::*;
    use CallbackStatus::*;
    if status.is_final() {
        return Err(ApiError::new(
            ErrorCode::IllegalTransition,
            format!("the callback request is already {status}"),
        ));
    }
    let holder_or_admin = claimed_by == Some(actor.id) || actor.is_admin();
    match action {
        Cancel => {
            // A client cancels its own request (checked by the caller); staff cancel any.
            Ok(CallbackStep {
                status: Cancelled,
                operator: claimed_by,
                retry: false,
            })
        }
        _ if !actor.role.is_staff() => Err(ApiError::new(
            ErrorCode::Forbidden,
            "only operators work on callback requests",
        )),
        Claim => match status {
            New => Ok(CallbackStep {
                status: Claimed,
                operator: Some(actor.id),
                retry: false,
            }),
            _ if claimed_by == Some(actor.id) => Err(ApiError::new(
                ErrorCode::IllegalTransition,
                "you already hold this request",
            )),
            _ => Err(ApiError::new(
                ErrorCode::AlreadyTaken,
                "another operator claimed this request",
            )),
        },
        Release | Attempt(_) if status != Claimed => Err(ApiError::new(
            ErrorCode::IllegalTransition,
            "claim the request first",
        )),
        Release | Attempt(_) if !holder_or_admin => Err(ApiError::new(
            ErrorCode::NotAssigned,
            "only the operator holding the request or an admin may do this",
        )),
        Release => Ok(CallbackStep {
            status: New,
            operator: None,
            retry: false,
        }),
        Attempt(outcome) => Ok(match outcome {
            AttemptOutcome::Reached => CallbackStep {
                status: Done,
                operator: claimed_by,
                retry: false,
            },
            AttemptOutcome::WrongNumber => CallbackStep {
                status: Failed,
                operator: claimed_by,
                retry: false,
            },
            AttemptOutcome::NoAnswer | AttemptOutcome::Busy => {
                if attempts_before + 1 >= max_attempts {
                    CallbackStep {
                        status: Failed,
                        operator: claimed_by,
                        retry: false,
                    }
                } else {
                    CallbackStep {
                        status: New,
                        operator: None,
                        retry: true,
                    }
                }
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(n: u128) -> Actor {
        Actor {
            id: Uuid::from_u128(n),
            role: Role::Operator,
        }
    }
    fn admin() -> Actor {
        Actor {
            id: Uuid::from_u128(99),
            role: Role::Admin,
        }
    }
    fn client() -> Actor {
        Actor {
            id: Uuid::from_u128(50),
            role: Role::Client,
        }
    }

    #[test]
    fn consultation_machine_is_exhaustive() {
        use ConsultationAction::*;
        use ConsultationStatus::*;
        let me = op(1);
        let other = op(2);
        // (action, status, assigned, actor) → Ok(new status) or Err(code)
        type Case = (
            ConsultationAction,
            ConsultationStatus,
            Option<Uuid>,
            Actor,
            Result<ConsultationStatus, ErrorCode>,
        );
        let cases: Vec<Case> = vec![
            (Take, New, None, me, Ok(Active)),
            (
                Take,
                Active,
                Some(other.id),
                me,
                Err(ErrorCode::AlreadyTaken),
            ),
            (Take, Active, Some(me.id), me, Err(ErrorCode::AlreadyTaken)),
            (
                Take,
                Closed,
                Some(me.id),
                me,
                Err(ErrorCode::IllegalTransition),
            ),
            (Transfer, Active, Some(me.id), me, Ok(Active)),
            (
                Transfer,
                Active,
                Some(other.id),
                me,
                Err(ErrorCode::NotAssigned),
            ),
            (Transfer, Active, Some(other.id), admin(), Ok(Active)),
            (Transfer, New, None, me, Err(ErrorCode::IllegalTransition)),
            (
                Transfer,
                Closed,
                Some(me.id),
                me,
                Err(ErrorCode::IllegalTransition),
            ),
            (Release, Active, Some(me.id), me, Ok(New)),
            (
                Release,
                Active,
                Some(other.id),
                me,
                Err(ErrorCode::NotAssigned),
            ),
            (Release, New, None, me, Err(ErrorCode::IllegalTransition)),
            (
                Release,
                Closed,
                Some(me.id),
                me,
                Err(ErrorCode::IllegalTransition),
            ),
            (Close, Active, Some(me.id), me, Ok(Closed)),
            (Close, Active, Some(other.id), admin(), Ok(Closed)),
            (
                Close,
                Active,
                Some(other.id),
                me,
                Err(ErrorCode::NotAssigned),
            ),
            (Close, New, None, me, Err(ErrorCode::IllegalTransition)),
            (
                Close,
                Closed,
                Some(me.id),
                me,
                Err(ErrorCode::IllegalTransition),
            ),
            (Assign, New, None, admin(), Ok(Active)),
            (Assign, New, None, me, Err(ErrorCode::Forbidden)),
            (
                Assign,
                Active,
                Some(other.id),
                admin(),
                Err(ErrorCode::AlreadyTaken),
            ),
            (
                Assign,
                Closed,
                Some(other.id),
                admin(),
                Err(ErrorCode::IllegalTransition),
            ),
        ];
        for (action, status, assigned, actor, want) in cases {
            let got = consultation_transition(status, assigned, actor, action).map_err(|e| e.code);
            assert_eq!(got, want, "{action:?} from {status} by {actor:?}");
        }
        for action in [Take, Assign, Transfer, Release, Close] {
            for &status in ConsultationStatus::ALL {
                let got =
                    consultation_transition(status, None, client(), action).map_err(|e| e.code);
                assert_eq!(got, Err(ErrorCode::Forbidden));
            }
        }
    }

    #[test]
    fn public_replies_need_the_assignment() {
        let me = op(1);
        assert!(may_post_public(ConsultationStatus::Active, Some(me.id), me).is_ok());
        assert_eq!(
            may_post_public(ConsultationStatus::Active, Some(op(2).id), me)
                .unwrap_err()
                .code,
            ErrorCode::NotAssigned
        );
        assert_eq!(
            may_post_public(ConsultationStatus::New, None, me)
                .unwrap_err()
                .code,
            ErrorCode::IllegalTransition
        );
        assert_eq!(
            may_post_public(ConsultationStatus::Closed, Some(me.id), me)
                .unwrap_err()
                .code,
            ErrorCode::IllegalTransition
        );
        assert!(may_post_public(ConsultationStatus::Active, Some(me.id), admin()).is_ok());
        for &s in ConsultationStatus::ALL {
            assert!(may_post_public(s, None, client()).is_ok());
        }
    }

    #[test]
    fn callback_machine() {
        use AttemptOutcome::*;
        use CallbackAction::*;
        use CallbackStatus::*;
        let me = op(1);
        let other = op(2);
        let t = |s, by, n, a, act| callback_transition(s, by, n, 3, a, act).map_err(|e| e.code);
        assert_eq!(
            t(New, None, 0, me, Claim),
            Ok(CallbackStep {
                status: Claimed,
                operator: Some(me.id),
                retry: false
            })
        );
        assert_eq!(
            t(Claimed, Some(other.id), 0, me, Claim),
            Err(ErrorCode::AlreadyTaken)
        );
        assert_eq!(
            t(Claimed, Some(me.id), 0, me, Claim),
            Err(ErrorCode::IllegalTransition)
        );
        assert_eq!(
            t(Claimed, Some(me.id), 0, me, Release),
            Ok(CallbackStep {
                status: New,
                operator: None,
                retry: false
            })
        );
        assert_eq!(
            t(Claimed, Some(other.id), 0, me, Release),
            Err(ErrorCode::NotAssigned)
        );
        assert_eq!(
            t(New, None, 0, me, Release),
            Err(ErrorCode::IllegalTransition)
        );
        assert_eq!(
            t(New, None, 0, me, Attempt(Reached)),
            Err(ErrorCode::IllegalTransition)
        );
        assert_eq!(
            t(Claimed, Some(me.id), 0, me, Attempt(Reached))
                .unwrap()
                .status,
            Done
        );
        assert_eq!(
            t(Claimed, Some(me.id), 0, me, Attempt(WrongNumber))
                .unwrap()
                .status,
            Failed
        );
        let retry = t(Claimed, Some(me.id), 0, me, Attempt(NoAnswer)).unwrap();
        assert_eq!(
            retry,
            CallbackStep {
                status: New,
                operator: None,
                retry: true
            }
        );
        assert_eq!(
            t(Claimed, Some(me.id), 1, me, Attempt(Busy))
                .unwrap()
                .status,
            New
        );
        // The third failed attempt of three gives up.
        assert_eq!(
            t(Claimed, Some(me.id), 2, me, Attempt(NoAnswer))
                .unwrap()
                .status,
            Failed
        );
        assert_eq!(
            t(Claimed, Some(other.id), 0, admin(), Attempt(Reached))
                .unwrap()
                .status,
            Done
        );
        assert_eq!(t(New, None, 0, client(), Claim), Err(ErrorCode::Forbidden));
        assert_eq!(t(New, None, 0, client(), Cancel).unwrap().status, Cancelled);
        assert_eq!(
            t(Claimed, Some(me.id), 0, me, Cancel).unwrap().status,
            Cancelled
        );
        for s in [Done, Failed, Cancelled] {
            for act in [Claim, Release, Attempt(Reached), Cancel] {
                assert_eq!(
                    t(s, Some(me.id), 0, me, act),
                    Err(ErrorCode::IllegalTransition),
                    "{act:?} on {s}"
                );
            }
        }
    }
}
