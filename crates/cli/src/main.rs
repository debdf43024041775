//! `careline`: the operator desk on the command line — a thin shell over `careline-core`, like
//! the desktop app. Everything reads the local cache; `sync` fills it; actions go through the
//! outbox, so they work offline and are sent once when the server is reachable.

mod show;

use std::path::PathBuf;

use anyhow::{bail, Context};
use careline_core::outbox::Op;
use careline_core::{live, sync, Cache};
use careline_protocol::{ConsultationStatus, Presence};
use clap::{Parser, Subcommand};

use careline_core::session::Session;

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
        if let Err(e) = session.remote().logout().await {
            eprintln!("The server did not take the logout ({e}); the token expires on its own.");
        }
        session.forget();
        if wipe {
            careline_core::unlock::wipe_cache(&cache_path);
            println!("Logged out; the local cache was wiped.");
        } else {
            println!(
                "Logged out; the local cache stays at {}.",
                cache_path.display()
            );
        }
        return Ok(());
    }
    let cache = Cache::open(&cache_path)
        .await
        .with_context(|| format!("opening the cache {}", cache_path.display()))?;
    match cache.opened() {
        careline_core::Opened::KeyLost => eprintln!(
            "The local cache could not be read: its key is gone. It was started afresh and fills again from the server; actions not yet sent from it are lost."
        ),
        careline_core::Opened::Migrated => eprintln!("The local cache is encrypted now (it was not, in an older version)."),
        _ => {}
    }
    let remote = session.remote();
    let json = cli.json;
    let done: anyhow::Result<()> = async {
        match cli.command {
            Command::Login { .. } | Command::Logout { .. } => unreachable!("handled above"),
            Command::Sync { follow } => {
                let flushed = cache.flush(&remote).await?;
                session_over(&flushed)?;
                let progress = sync::catch_up(&remote, &cache, |p| {
                    if !json {
                        eprint!("\rsyncing… {} applied, at {}   ", p.applied, p.position);
                    }
                })
                .await?;
                // The command ends with everything searchable.
                cache
                    .index_pending(|n| {
                        if !json {
                            eprint!("\rindexing for search… {n} messages   ");
                        }
                    })
                    .await?;
                if !json {
                    eprintln!();
                }
                // Files of cached messages, for reading archived chats offline.
                let max_mb: u64 = std::env::var("CARELINE_FILES_MAX_MB")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1024);
                let files = careline_core::files::Files::beside(&cache, max_mb * 1024 * 1024)
                    .fetch(&remote, &cache)
                    .await?;
                show::synced(json, &cache, progress, flushed, files).await?;
                if follow {
                    live::follow(&remote, &cache, |u| {
                        show::live_update(json, &u);
                        true
                    })
                    .await?;
                }
            }
            Command::Queue => {
                show::consultations(
                    json,
                    &cache,
                    &cache
                        .consultations(&[ConsultationStatus::New], true, 500)
                        .await?,
                )
                .await?
            }
            Command::Mine => {
                let active = cache
                    .consultations(&[ConsultationStatus::Active], true, 500)
                    .await?;
                let mine: Vec<_> = active
                    .into_iter()
                    .filter(|c| c.operator_id == Some(session.user_id))
                    .collect();
                show::consultations(json, &cache, &mine).await?
            }
            Command::Callbacks => show::callbacks(json, &cache.open_callbacks(500).await?)?,
            Command::Thread { consultation } => {
                let c = find(&cache, &consultation).await?;
                show::thread(
                    json,
                    &cache,
                    &c,
                    &cache.thread(c.client_id, None, 10_000).await?,
                )
                .await?
            }
            Command::Search { query } => {
                show::hits(json, &cache, &cache.search(&query.join(" "), 50).await?).await?
            }
            Command::Send {
                consultation,
                text,
                note,
            } => {
                let c = find(&cache, &consultation).await?;
                let body = text.join(" ");
                if body.trim().is_empty() {
                    bail!("the message is empty");
                }
                queue_and_flush(json, &cache, &session, Op::text(c.id, &body, note)).await?
            }
            Command::Take { consultation } => {
                let c = find(&cache, &consultation).await?;
                queue_and_flush(
                    json,
                    &cache,
                    &session,
                    Op::Take {
                        consultation_id: c.id,
                    },
                )
                .await?
            }
            Command::Close {
                consultation,
                summary,
            } => {
                let c = find(&cache, &consultation).await?;
                queue_and_flush(
                    json,
                    &cache,
                    &session,
                    Op::Close {
                        consultation_id: c.id,
                        summary,
                    },
                )
                .await?
            }
            Command::Status { status } => {
                let status: Presence = status
                    .parse()
                    .map_err(|e| anyhow::anyhow!("{e} (online, away, busy or offline)"))?;
                queue_and_flush(json, &cache, &session, Op::SetStatus { status }).await?
            }
            Command::Outbox => show::outbox(json, &cache.outbox().await?)?,
            Command::Export {
                consultation,
                format,
            } => {
                let c = find(&cache, &consultation).await?;
                let messages: Vec<_> = cache
                    .thread(c.client_id, None, 100_000)
                    .await?
                    .into_iter()
                    .filter(|m| m.consultation_id == c.id)
                    .collect();
                match format.as_str() {
                    "json" => println!(
                        "{}",
                        serde_json::to_string_pretty(
                            &serde_json::json!({ "consultation": c, "messages": messages })
                        )?
                    ),
                    "md" => print!("{}", show::markdown(&cache, &c, &messages).await?),
                    other => bail!("unknown format {other:?}: md or json"),
                }
            }
        }
        Ok(())
    }
    .await;
    // Close the cache before the process exits: its connections (SQLCipher, with OpenSSL
    // inside) were otherwise closed by their threads while exit ran OpenSSL's clean-up, and
    // CI once saw `careline search` die with "double free or corruption" at its end.
    cache.close().await;
    done
}

/// The server refused the session while sending: say so (what waits stays queued for the next
/// login of the same operator).
fn session_over(f: &careline_core::outbox::Flushed) -> anyhow::Result<()> {
    match &f.session_ended {
        Some(e) => anyhow::bail!(
            "the server ended the session ({}); run `careline login` again — the outbox is kept",
            e.message
        ),
        None => Ok(()),
    }
}

/// Queues an operation, then tries to send the outbox at once.
async fn queue_and_flush(
    json: bool,
    cache: &Cache,
    session: &Session,
    op: Op,
) -> anyhow::Result<()> {
    let id = cache.enqueue(&op).await?;
    let flushed = cache.flush(&session.remote()).await?;
    session_over(&flushed)?;
    let still = cache.outbox().await?.into_iter().find(|e| e.id == id);
    show::queued(json, &op, still.as_ref(), flushed)
}

/// A consultation by id or the first characters of its id.
async fn find(cache: &Cache, id: &str) -> anyhow::Result<careline_protocol::Consultation> {
    if let Ok(full) = uuid::Uuid::parse_str(id) {
        return cache
            .consultation(full)
            .await?
            .with_context(|| format!("no consultation {id} in the cache; run `careline sync`"));
    }
    let found = cache.consultations_by_prefix(id).await?;
    match found.len() {
        1 => Ok(found.into_iter().next().expect("one")),
        0 => bail!("no consultation starts with {id:?} in the cache; run `careline sync`"),
        n => bail!("{n} consultations start with {id:?}: give more characters"),
    }
}
