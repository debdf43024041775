//! Quick replies kept on the server: the team's (edited by admins) and each operator's own, with
//! placeholders filled in when one is used.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::RuleLanguage;

/// What a reply's text may name; the desk fills them in when the reply is used.
pub const PLACEHOLDERS: [&str; 2] = ["client_name", "operator_name"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QuickReply {
    pub id: Uuid,
    /// What follows `/` in the composer to find it: one word.
    pub shortcut: String,
    /// May name `{client_name}` and `{operator_name}`.
    pub text: String,
    /// Shown to operators whose interface is in this language; none: in every language.
    pub language: Option<RuleLanguage>,
    /// The operator whose own reply this is; none: the team's.
    pub owner_id: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QuickReplyRequest {
    /// 1 to 32 characters, no spaces, no `/`.
    pub shortcut: String,
    /// 1 to 4000 characters; placeholders only from the known ones.
    pub text: String,
    #[serde(default)]
    pub language: Option<RuleLanguage>,
    /// Mine alone (any operator), or the team's (admins). Fixed when the reply is created.
    #[serde(default)]
    pub personal: bool,
}

/// Staff only: quick replies changed — the team's (`owner_id` none) or one operator's own. A
/// desk it concerns fetches `GET /api/v1/quick-replies` again (an operator's own replies never
/// travel to colleagues' desks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QuickRepliesChanged {
    pub owner_id: Option<Uuid>,
}

/// Checks a reply's shortcut and text; the reason when they will not do.
pub fn check_quick_reply(shortcut: &str, text: &str) -> Result<(), String> {
    let n = shortcut.chars().count();
    if n == 0
        || n > 32
        || shortcut
            .chars()
            .any(|c| c.is_whitespace() || c == '/' || c.is_control())
    {
        return Err("shortcut must be 1 to 32 characters without spaces or /".into());
    }
    let n = text.trim().chars().count();
    if n == 0 || n > 4000 {
        return Err("text must be 1 to 4000 characters".into());
    }
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.is_empty()
            && !PLACEHOLDERS.contains(&name)
        {
            return Err(format!(
                "unknown placeholder {{{name}}}; known: {{client_name}}, {{operator_name}}"
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_quick_reply;

    #[test]
    fn shortcuts_and_placeholders_are_checked() {
        assert!(
            check_quick_reply("привет", "Здравствуйте, {client_name}! Я {operator_name}.").is_ok()
        );
        assert!(
            check_quick_reply("体温", "请测量体温 {x y} 与 {}").is_ok(),
            "braces that are not a placeholder's shape stay text"
        );
        assert!(check_quick_reply("two words", "x").is_err());
        assert!(check_quick_reply("a/b", "x").is_err());
        assert!(check_quick_reply("", "x").is_err());
        assert!(check_quick_reply("ok", "   ").is_err());
        let e = check_quick_reply("ok", "Hello {patient}").unwrap_err();
        assert!(
            e.contains("{patient}") && e.contains("{client_name}"),
            "{e}"
        );
    }
}
