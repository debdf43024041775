//! What the CLI prints: a readable table or, with `--json`, JSON lines.

use careline_core::cache::Hit;
use careline_core::live::Update;
use careline_core::outbox::{Entry, Flushed, Op};
use careline_core::sync::Progress;
use careline_core::Cache;
use careline_protocol::{AuthorKind, Callback, Consultation, Message};
use chrono::Utc;

/// The last 8 hex digits: the random part of a UUIDv7 (its first digits are the time, and
/// items made together share them). `careline` accepts this as an id.
pub fn short(id: uuid::Uuid) -> String {
    let s = id.simple().to_string();
    s[s.len() - 8..].to_owned()
}

/// Columns a terminal gives the text: CJK and full-width characters take two.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

/// Pads (or cuts) to `n` terminal columns.
fn col(s: &str, n: usize) -> String {
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = width(&c.to_string());
        if w + cw > n {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push_str(&" ".repeat(n - w));
    out
}

/// "3 min", "2 h 5 min".
fn waited(since: chrono::DateTime<Utc>) -> String {
    let m = (Utc::now() - since).num_minutes().max(0);
    if m < 60 {
        format!("{m} min")
    } else {
        format!("{} h {} min", m / 60, m % 60)
    }
}

fn cut(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out.replace('\n', " ")
}

async fn client_name(cache: &Cache, id: uuid::Uuid) -> String {
    match cache.client(id).await {
        Ok(Some(c)) => c.name,
        _ => "—".into(),
    }
}

pub async fn synced(
    json: bool,
    cache: &Cache,
    p: Progress,
    f: Flushed,
    files: careline_core::files::Fetched,
) -> anyhow::Result<()> {
    if json {
        println!(
            "{}",
            serde_json::json!({"applied": p.applied, "position": p.position, "outbox_sent": f.sent, "outbox_refused": f.refused, "offline": f.offline, "files_fetched": files.files, "file_bytes": files.bytes})
        );
        return Ok(());
    }
    println!(
        "Up to date at {} ({} changes applied, {} files fetched).",
        p.position, p.applied, files.files
    );
    if f.sent + f.refused > 0 {
        println!(
            "Outbox: {} sent, {} refused (see `careline outbox`).",
            f.sent, f.refused
        );
    }
    for (table, n) in cache.counts().await? {
        println!("  {table:<14} {n}");
    }
    Ok(())
}

pub fn live_update(json: bool, u: &Update) {
    match u {
        Update::Applied(events) => {
            for e in events {
                if json {
                    println!("{}", serde_json::to_string(e).unwrap_or_default());
                } else {
                    println!("[{}] {} {}", e.seq, e.at.format("%H:%M:%S"), e.data.kind());
                }
            }
        }
        Update::Live { seq } => eprintln!("live at {seq}"),
        Update::Offline { retry_in } => {
            eprintln!("offline; retrying in {:.1} s", retry_in.as_secs_f64())
        }
        Update::Resynced => {
            eprintln!("the server no longer had our events: the cache was filled again")
        }
    }
}

pub async fn consultations(json: bool, cache: &Cache, list: &[Consultation]) -> anyhow::Result<()> {
    if json {
        for c in list {
            println!("{}", serde_json::to_string(c)?);
        }
        return Ok(());
    }
    if list.is_empty() {
        println!("Nothing here.");
        return Ok(());
    }
    println!(
        "{:<8}  {:>10}  {:<8}  {}  SUBJECT",
        "ID",
        "WAITING",
        "PRIORITY",
        col("CLIENT", 28)
    );
    for c in list {
        println!(
            "{:<8}  {:>10}  {:<8}  {}  {}",
            short(c.id),
            waited(c.created_at),
            c.priority.as_str(),
            col(&client_name(cache, c.client_id).await, 28),
            cut(c.subject.as_deref().unwrap_or(""), 60)
        );
    }
    Ok(())
}

pub fn callbacks(json: bool, list: &[Callback]) -> anyhow::Result<()> {
    if json {
        for c in list {
            println!("{}", serde_json::to_string(c)?);
        }
        return Ok(());
    }
    if list.is_empty() {
        println!("No open callback requests.");
        return Ok(());
    }
    println!(
        "{:<8}  {:<17}  {:<8}  {:<16}  REASON",
        "ID", "DUE", "STATUS", "PHONE"
    );
    for c in list {
        let overdue = if c.due_at < Utc::now() { " !" } else { "" };
        println!(
            "{:<8}  {:<17}  {:<8}  {:<16}  {}",
            short(c.id),
            format!("{}{overdue}", c.due_at.format("%d.%m %H:%M")),
            c.status.as_str(),
            c.phone,
            cut(c.reason.as_deref().unwrap_or(""), 60)
        );
    }
    Ok(())
}

pub async fn thread(
    json: bool,
    cache: &Cache,
    c: &Consultation,
    messages: &[Message],
) -> anyhow::Result<()> {
    if json {
        for m in messages {
            println!("{}", serde_json::to_string(m)?);
        }
        return Ok(());
    }
    println!(
        "{} — {}",
        client_name(cache, c.client_id).await,
        c.subject.as_deref().unwrap_or("")
    );
    let mut episode = None;
    for m in messages {
        if episode != Some(m.consultation_id) {
            episode = Some(m.consultation_id);
            println!("──── consultation {} ────", short(m.consultation_id));
        }
        let who = match m.author_kind {
            AuthorKind::Client => "client",
            AuthorKind::Operator if m.internal => "note",
            AuthorKind::Operator => "operator",
            AuthorKind::System => "system",
        };
        let body = match &m.attachment {
            Some(a) if m.body.is_empty() => format!("[{}: {}]", m.kind, a.file_name),
            Some(a) => format!("{} [{}]", m.body, a.file_name),
            None => m.body.clone(),
        };
        println!("{} {:<8} {}", m.created_at.format("%d.%m %H:%M"), who, body);
    }
    Ok(())
}

pub async fn hits(json: bool, cache: &Cache, hits: &[Hit]) -> anyhow::Result<()> {
    if json {
        for h in hits {
            println!("{}", serde_json::to_string(h)?);
        }
        return Ok(());
    }
    if hits.is_empty() {
        println!("Nothing found.");
    }
    for h in hits {
        let whose = match h.client_id {
            Some(c) => client_name(cache, c).await,
            None => String::new(),
        };
        let at = h.consultation_id.map(short).unwrap_or_default();
        println!(
            "{:<12} {:<8} {} {}",
            h.kind,
            at,
            col(&whose, 24),
            h.snippet.marked("«", "»")
        );
    }
    Ok(())
}

pub fn outbox(json: bool, entries: &[Entry]) -> anyhow::Result<()> {
    if json {
        for e in entries {
            println!("{}", serde_json::to_string(e)?);
        }
        return Ok(());
    }
    if entries.is_empty() {
        println!("The outbox is empty: everything was sent.");
    }
    for e in entries {
        let what = describe(&e.op);
        match e.state.as_str() {
            "failed" => {
                println!(
                    "#{} REFUSED {what}: {} ({})",
                    e.id,
                    e.error_message.as_deref().unwrap_or(""),
                    e.error_code.as_deref().unwrap_or("")
                )
            }
            _ => println!("#{} pending {what} ({} attempts)", e.id, e.attempts),
        }
    }
    Ok(())
}

fn describe(op: &Op) -> String {
    match op {
        Op::SendMessage {
            consultation_id,
            message,
        } => format!(
            "message to {}: {}",
            short(*consultation_id),
            cut(&message.body, 40)
        ),
        Op::SetStatus { status } => format!("status {status}"),
        Op::Take { consultation_id } => format!("take {}", short(*consultation_id)),
        Op::Release { consultation_id } => format!("hand back {}", short(*consultation_id)),
        Op::Close {
            consultation_id, ..
        } => format!("close {}", short(*consultation_id)),
        Op::Transfer {
            consultation_id, ..
        } => format!("transfer {}", short(*consultation_id)),
        Op::Assign {
            consultation_id, ..
        } => format!("assign {}", short(*consultation_id)),
        Op::Update {
            consultation_id, ..
        } => format!("update {}", short(*consultation_id)),
        Op::Read {
            consultation_id, ..
        } => format!("read {}", short(*consultation_id)),
        Op::CancelCallback { callback_id } => format!("cancel callback {}", short(*callback_id)),
        Op::UpdateClient { client_id, .. } => format!("edit client {}", short(*client_id)),
        Op::CreateClient { client } => {
            format!("new client {} ({})", cut(&client.name, 40), client.phone)
        }
        Op::CreateCallback { callback } => format!("new callback request to {}", callback.phone),
        Op::ClaimCallback { callback_id } => format!("claim callback {}", short(*callback_id)),
        Op::ReleaseCallback { callback_id } => format!("release callback {}", short(*callback_id)),
        Op::CallbackAttempt {
            callback_id,
            outcome,
            ..
        } => format!("call {}: {outcome}", short(*callback_id)),
    }
}

pub fn queued(json: bool, op: &Op, still: Option<&Entry>, f: Flushed) -> anyhow::Result<()> {
    let state = match still {
        None => "sent",
        Some(e) if e.state == "failed" => "refused",
        Some(_) => "pending",
    };
    if json {
        println!(
            "{}",
            serde_json::json!({"state": state, "error": still.and_then(|e| e.error_message.clone()), "offline": f.offline})
        );
        return Ok(());
    }
    match still {
        None => println!("Sent: {}.", describe(op)),
        Some(e) if e.state == "failed" => {
            anyhow::bail!(
                "the server refused {}: {}",
                describe(op),
                e.error_message.as_deref().unwrap_or("")
            )
        }
        Some(_) => println!(
            "Queued (the server is not reachable): {}. It goes out with the next `careline sync`.",
            describe(op)
        ),
    }
    Ok(())
}

pub async fn markdown(
    cache: &Cache,
    c: &Consultation,
    messages: &[Message],
) -> anyhow::Result<String> {
    let mut out = String::new();
    out.push_str(&format!("# Consultation {}\n\n", c.id));
    out.push_str(&format!(
        "- Client: {}\n",
        client_name(cache, c.client_id).await
    ));
    out.push_str(&format!(
        "- Kind: {}, status: {}, priority: {}\n",
        c.kind, c.status, c.priority
    ));
    out.push_str(&format!(
        "- Opened: {}\n",
        c.created_at.format("%Y-%m-%d %H:%M UTC")
    ));
    if let Some(t) = c.closed_at {
        out.push_str(&format!("- Closed: {}\n", t.format("%Y-%m-%d %H:%M UTC")));
    }
    if let Some(s) = &c.summary {
        out.push_str(&format!("- Summary: {s}\n"));
    }
    if let Some(r) = c.rating {
        out.push_str(&format!(
            "- Rating: {r}/5 {}\n",
            c.rating_comment.as_deref().unwrap_or("")
        ));
    }
    out.push_str("\n## Messages\n\n");
    for m in messages {
        let who = match m.author_kind {
            AuthorKind::Client => "Client",
            AuthorKind::Operator if m.internal => "Internal note",
            AuthorKind::Operator => "Operator",
            AuthorKind::System => "System",
        };
        let body = match &m.attachment {
            Some(a) => format!("{} (file: {})", m.body, a.file_name),
            None => m.body.clone(),
        };
        out.push_str(&format!(
            "**{who}**, {}: {}\n\n",
            m.created_at.format("%Y-%m-%d %H:%M"),
            body.trim()
        ));
    }
    Ok(out)
}
