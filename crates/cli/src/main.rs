//! `careline`: the operator desk on the command line — a thin shell over a headless
//! `careline_core::desk::Desk`, like the desktop app over its windowed one: the lists, the
//! thread and search read the cache through the same views the window shows, actions go
//! through the same outbox (they work offline and are sent once when the server is
//! reachable), and `sync --follow` runs the window's background loops.

mod show;

use std::path::PathBuf;

use anyhow::{bail, Context};
use std::sync::Arc;

use careline_core::desk::{
    CallbackView, ConsultationRow, ConsultationView, Desk, DeskEvent, ListFilter, Op, Session,
    SyncStep,
};
use careline_core::{CoreError, Opened};
use careline_protocol::Presence;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "careline",
    version,
    about = "The Careline operator desk on the command line"
)]
struct Cli {
    /// The cache file (default: one per server and login in the data directory).
    #[arg(long, global = true, env = "CARELINE_CACHE")]
    cache: Option<PathBuf>,
    /// Output JSON for scripts.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Log in and remember the session (the password from CARELINE_PASSWORD or a prompt).
    Login {
        #[arg(long, env = "CARELINE_SERVER")]
        server: String,
        #[arg(long, env = "CARELINE_LOGIN")]
        login: String,
    },
    /// Forget the session; `--wipe` also deletes the cache.
    Logout {
        #[arg(long)]
        wipe: bool,
    },
    /// Bring the cache up to date and send the outbox; `--follow` stays live.
    Sync {
        #[arg(long)]
        follow: bool,
    },
    /// Consultations waiting in the queue, oldest first.
    Queue,
    /// My active consultations.
    Mine,
    /// Open callback requests, by due time.
    Callbacks,
    /// A client's whole thread, by a consultation of it (id or its first characters).
    Thread { consultation: String },
    /// Search messages, clients and consultations.
    Search { query: Vec<String> },
    /// Send a message (through the outbox: works offline).
    Send {
        consultation: String,
        text: Vec<String>,
        /// An internal note, never shown to the client.
        #[arg(long)]
        note: bool,
    },
    /// Take a consultation from the queue (through the outbox).
    Take { consultation: String },
    /// Close a consultation with a summary (through the outbox).
    Close {
        consultation: String,
        #[arg(long)]
        summary: Option<String>,
    },
    /// Set my status (through the outbox).
    Status { status: String },
    /// What waits in the outbox, and what the server refused.
    Outbox,
    /// Export a consultation with its messages.
    Export {
        consultation: String,
        #[arg(long, default_value = "md")]
        format: String,
    },
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CARELINE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("careline: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Login { server, login } = &cli.command {
        let password = match std::env::var("CARELINE_PASSWORD") {
            Ok(p) => p,
            Err(_) => rpassword::prompt_password(format!("Password for {login}: "))
                .context("reading the password")?,
        };
        let s = Session::login(server, login, &password)
            .await
            .with_context(|| format!("logging in to {server}"))?;
        println!("Logged in to {} as {} ({}).", s.server, s.user_name, s.role);
        return Ok(());
    }
    let session =
        Session::load().context("not logged in: run `careline login --server URL --login NAME`")?;
    let cache_path = cli
        .cache
        .clone()
        .unwrap_or_else(|| session.default_cache_path());
    if let Command::Logout { wipe } = cli.command {
        // The token stops working on the server too (best effort: offline, it expires on its own).
        let desk = Desk::open(session, cache_path.clone()).await?;
        desk.logout(wipe).await;
        desk.close().await;
        if wipe {
            println!("Logged out; the local cache was wiped.");
        } else {
            println!(
                "Logged out; the local cache stays at {}.",
                cache_path.display()
            );
        }
        return Ok(());
    }
    let desk = Desk::open(session, cache_path.clone())
        .await
        .with_context(|| format!("opening the cache {}", cache_path.display()))?;
    match desk.me().cache {
        Opened::KeyLost => eprintln!(
            "The local cache could not be read: its key is gone. It was started afresh and fills again from the server; actions not yet sent from it are lost."
        ),
        Opened::Migrated => eprintln!("The local cache is encrypted now (it was not, in an older version)."),
        _ => {}
    }
    let done = command(&desk, cli.command, cli.json).await;
    // Close the cache before the process exits: its connections (SQLCipher, with OpenSSL
    // inside) were otherwise closed by their threads while exit ran OpenSSL's clean-up, and
    // CI once saw `careline search` die with "double free or corruption" at its end.
    desk.close().await;
    done
}

async fn command(desk: &Arc<Desk>, command: Command, json: bool) -> anyhow::Result<()> {
    let views = desk.views();
    match command {
        Command::Login { .. } | Command::Logout { .. } => unreachable!("handled above"),
        Command::Sync { follow } => {
            let synced = desk
                .sync_now(|step| {
                    if !json {
                        match step {
                            SyncStep::Applied(p) => {
                                eprint!("\rsyncing… {} applied, at {}   ", p.applied, p.position)
                            }
                            SyncStep::Indexed(n) => {
                                eprint!("\rindexing for search… {n} messages   ")
                            }
                        }
                    }
                })
                .await
                .map_err(session_over)?;
            if !json {
                eprintln!();
            }
            show::synced(json, &synced, &desk.cached().await?)?;
            if follow {
                follow_live(desk, json).await?;
            }
        }
        Command::Queue => show::consultations(
            json,
            &views
                .list(ConsultationView::Queue, &ListFilter::default())
                .await?,
        )?,
        Command::Mine => show::consultations(
            json,
            &views
                .list(ConsultationView::Mine, &ListFilter::default())
                .await?,
        )?,
        Command::Callbacks => {
            show::callbacks(json, &views.callback_list(CallbackView::Open, None).await?)?
        }
        Command::Thread { consultation } => {
            let c = find(desk, &consultation).await?;
            let page = views
                .thread_page(c.consultation.client_id, None, 10_000)
                .await?;
            show::thread(json, &c, &page.messages)?
        }
        Command::Search { query } => {
            show::hits(json, &views.search_hits(&query.join(" "), 50).await?)?
        }
        Command::Send {
            consultation,
            text,
            note,
        } => {
            let c = find(desk, &consultation).await?;
            let body = text.join(" ");
            if body.trim().is_empty() {
                bail!("the message is empty");
            }
            act_now(json, desk, Op::text(c.consultation.id, &body, note)).await?
        }
        Command::Take { consultation } => {
            let c = find(desk, &consultation).await?;
            act_now(
                json,
                desk,
                Op::Take {
                    consultation_id: c.consultation.id,
                },
            )
            .await?
        }
        Command::Close {
            consultation,
            summary,
        } => {
            let c = find(desk, &consultation).await?;
            act_now(
                json,
                desk,
                Op::Close {
                    consultation_id: c.consultation.id,
                    summary,
                },
            )
            .await?
        }
        Command::Status { status } => {
            let status: Presence = status
                .parse()
                .map_err(|e| anyhow::anyhow!("{e} (online, away, busy or offline)"))?;
            act_now(json, desk, Op::SetStatus { status }).await?
        }
        Command::Outbox => show::outbox(json, &desk.outbox().await?)?,
        Command::Export {
            consultation,
            format,
        } => {
            let c = find(desk, &consultation).await?;
            let messages: Vec<_> = views
                .thread_page(c.consultation.client_id, None, 100_000)
                .await?
                .messages
                .into_iter()
                .filter(|m| m.message.consultation_id == c.consultation.id)
                .collect();
            match format.as_str() {
                "json" => {
                    let messages: Vec<_> = messages.iter().map(|m| &m.message).collect();
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&serde_json::json!({
                            "consultation": c.consultation,
                            "messages": messages
                        }))?
                    )
                }
                "md" => print!("{}", show::markdown(&c, &messages)),
                other => bail!("unknown format {other:?}: md or json"),
            }
        }
    }
    Ok(())
}

/// Runs the desk's background loops — following the server live, sending the outbox,
/// reminders and notifications — and prints what they tell, until Ctrl-C or the end of the
/// session.
async fn follow_live(desk: &Arc<Desk>, json: bool) -> anyhow::Result<()> {
    let ended = Arc::new(tokio::sync::Notify::new());
    let on_end = ended.clone();
    desk.start(Arc::new(move |e: DeskEvent| {
        show::live_event(json, &e);
        if matches!(e, DeskEvent::SessionEnded { .. }) {
            on_end.notify_one();
        }
    }));
    tokio::select! {
        _ = tokio::signal::ctrl_c() => Ok(()),
        _ = ended.notified() => bail!("the server ended the session; run `careline login` again — the outbox is kept"),
    }
}

/// The server refused the session: say so (what waits stays queued for the next login of the
/// same operator). Other errors stay as they are.
fn session_over(e: CoreError) -> anyhow::Error {
    match e {
        CoreError::Refused(refusal) if refusal.code.ends_session() => {
            anyhow::anyhow!(
            "the server ended the session ({}); run `careline login` again — the outbox is kept",
            refusal.message
        )
        }
        other => other.into(),
    }
}

/// Queues an operation, then tries to send the outbox at once.
async fn act_now(json: bool, desk: &Desk, op: Op) -> anyhow::Result<()> {
    let id = desk.act(op.clone()).await?;
    let flushed = desk.send_now().await.map_err(session_over)?;
    let still = desk.outbox().await?.into_iter().find(|e| e.id == id);
    show::queued(json, &op, still.as_ref(), &flushed)
}

/// A consultation by id or the first (or last) characters of its id.
async fn find(desk: &Desk, id: &str) -> anyhow::Result<ConsultationRow> {
    let views = desk.views();
    if let Ok(full) = uuid::Uuid::parse_str(id) {
        return views
            .consultation_row(full)
            .await?
            .with_context(|| format!("no consultation {id} in the cache; run `careline sync`"));
    }
    let found = views.consultations_by_prefix(id).await?;
    match found.len() {
        1 => Ok(found.into_iter().next().expect("one")),
        0 => bail!("no consultation starts with {id:?} in the cache; run `careline sync`"),
        n => bail!("{n} consultations start with {id:?}: give more characters"),
    }
}
