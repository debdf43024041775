//! What the CLI prints: a readable table or, with `--json`, JSON lines.

use careline_core::desk::{
    CallbackRow, ConsultationRow, DeskEvent, Entry, Flushed, MessageRow, Op, SearchHit, Synced,
};
use careline_protocol::{AuthorKind, Consultation};
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

pub fn synced(json: bool, synced: &Synced, cached: &[(&str, i64)]) -> anyhow::Result<()> {
    let Synced {
        progress: p,
        outbox: f,
        files,
    } = synced;
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
    for (table, n) in cached {
        println!("  {table:<14} {n}");
    }
    Ok(())
}

/// What the live desk tells, as it happens (`sync --follow`).
pub fn live_event(json: bool, e: &DeskEvent) {
    if json {
        println!("{}", serde_json::to_string(e).unwrap_or_default());
        return;
    }
    let at = chrono::Local::now().format("%H:%M:%S");
    match e {
        DeskEvent::Connection { online: true, .. } => eprintln!("[{at}] live"),
        DeskEvent::Connection {
            retry_in_ms: Some(ms),
            ..
        } => eprintln!("[{at}] offline; retrying in {:.1} s", *ms as f64 / 1000.0),
        DeskEvent::Connection { .. } => eprintln!("[{at}] offline"),
        DeskEvent::Changed {
            consultations,
            callbacks,
            clients,
            operators,
            threads,
            quick_replies,
            visits,
            calls,
            clinical,
        } => {
            let what: Vec<&str> = [
                (*consultations, "consultations"),
                (*callbacks, "callbacks"),
                (*clients, "clients"),
                (*operators, "operators"),
                (!threads.is_empty(), "threads"),
                (*quick_replies, "quick replies"),
                (*visits, "visits"),
                (!calls.is_empty(), "calls"),
                (*clinical, "prescriptions or refunds"),
            ]
            .into_iter()
            .filter_map(|(changed, name)| changed.then_some(name))
            .collect();
            println!("[{at}] changed: {}", what.join(", "));
        }
        DeskEvent::Reloaded => println!("[{at}] caught up"),
        DeskEvent::Outbox { sent, refused } => {
            println!("[{at}] outbox: {sent} sent, {refused} refused")
        }
        DeskEvent::Notify { notification: n } => {
            println!("[{at}] ! {:?} ×{}: {}", n.kind, n.count, cut(&n.text, 80))
        }
        DeskEvent::SessionEnded { error } => {
            eprintln!("[{at}] the server ended the session: {}", error.message)
        }
        DeskEvent::Open { .. } => {}
    }
}

pub fn consultations(json: bool, list: &[ConsultationRow]) -> anyhow::Result<()> {
    if json {
        for r in list {
            println!("{}", serde_json::to_string(&r.consultation)?);
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
    for r in list {
        let c = &r.consultation;
        println!(
            "{:<8}  {:>10}  {:<8}  {}  {}",
            short(c.id),
            waited(c.created_at),
            c.priority.as_str(),
            col(&r.client_name, 28),
            cut(c.subject.as_deref().unwrap_or(""), 60)
        );
    }
    Ok(())
}

pub fn callbacks(json: bool, list: &[CallbackRow]) -> anyhow::Result<()> {
    if json {
        for r in list {
            println!("{}", serde_json::to_string(&r.callback)?);
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
    for c in list.iter().map(|r| &r.callback) {
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

pub fn thread(json: bool, row: &ConsultationRow, messages: &[MessageRow]) -> anyhow::Result<()> {
    if json {
        for m in messages {
            println!("{}", serde_json::to_string(&m.message)?);
        }
        return Ok(());
    }
    println!(
        "{} — {}",
        row.client_name,
        row.consultation.subject.as_deref().unwrap_or("")
    );
    let mut episode = None;
    for m in messages.iter().map(|r| &r.message) {
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

pub fn hits(json: bool, hits: &[SearchHit]) -> anyhow::Result<()> {
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
        let at = h.consultation_id.map(short).unwrap_or_default();
        let snippet: String = h
            .segments
            .iter()
            .map(|s| match s.mark {
                true => format!("«{}»", s.text),
                false => s.text.clone(),
            })
            .collect();
        println!(
            "{:<12} {:<8} {} {}",
            h.kind,
            at,
            col(&h.title, 24),
            snippet.replace('\n', " ")
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
        Op::CreatePrescription {
            consultation_id, ..
        } => format!("new prescription in {}", short(*consultation_id)),
        Op::UpdatePrescription {
            prescription_id, ..
        } => format!("revise prescription {}", short(*prescription_id)),
        Op::SubmitPrescription { prescription_id } => {
            format!("submit prescription {}", short(*prescription_id))
        }
    }
}

pub fn queued(json: bool, op: &Op, still: Option<&Entry>, f: &Flushed) -> anyhow::Result<()> {
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

pub fn markdown(row: &ConsultationRow, messages: &[MessageRow]) -> String {
    let c: &Consultation = &row.consultation;
    let mut out = String::new();
    out.push_str(&format!("# Consultation {}\n\n", c.id));
    out.push_str(&format!("- Client: {}\n", row.client_name));
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
    for m in messages.iter().map(|r| &r.message) {
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
    out
}
