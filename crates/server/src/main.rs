//! `careline-server`: serve, create an operator, fill a demo clinic, print the configuration.

use std::path::PathBuf;

use anyhow::Context;
use careline_protocol::{CreateOperatorRequest, Role};
use careline_server::{app, demo, passwords, AppState, Config};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "careline-server",
    version,
    about = "The Careline hub: REST + WebSocket over SQLite or PostgreSQL"
)]
struct Cli {
    /// A TOML configuration file (its values override the defaults; CARELINE_* variables
    /// override it).
    #[arg(long, global = true, env = "CARELINE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve,
    /// Create an operator (or admin) account.
    CreateOperator {
        #[arg(long)]
        login: String,
        #[arg(long, env = "CARELINE_OPERATOR_PASSWORD")]
        password: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "operator")]
        role: String,
        #[arg(long)]
        department: Option<String>,
    },
    /// Fill an empty database with a believable clinic and print the demo logins.
    Demo,
    /// Print the effective configuration, secrets redacted.
    PrintConfig,
    /// Back the data up into an empty folder, while the server serves.
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into the configured, empty, data directory (or PostgreSQL database).
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    careline_server::memory::limit_arenas();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("server-worker")
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CARELINE_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Backup { to } => {
            let m = careline_server::backup::backup(&config, &to)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "Backed up to {}: {} database up to event {}, {} files.",
                to.display(),
                m.engine,
                m.head,
                m.files
            );
        }
        Command::Restore { from } => {
            let m = careline_server::backup::restore(&config, &from)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "Restored {} (taken {}): events up to {}, {} files. Desks that saw later events re-sync when they connect.",
                from.display(),
                m.created_at.format("%Y-%m-%d %H:%M UTC"),
                m.head,
                m.files
            );
        }
        Command::PrintConfig => {
            print!("{}", config.to_redacted_toml());
        }
        Command::Serve => {
            // Every connection is a file handle: a soft limit of 1,024 (a common default)
            // would starve the server long before its memory does. The hard limit is the
            // operator's to set (systemd's LimitNOFILE, ulimit -Hn).
            match rlimit::increase_nofile_limit(u64::MAX) {
                Ok(n) => tracing::info!(open_files = n, "open-file limit"),
                Err(e) => tracing::warn!(error = %e, "the open-file limit could not be raised"),
            }
            let listen = config.listen.clone();
            let state = AppState::start(config)
                .await
                .context("starting the server")?;
            let listener = app::listen(&listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            tracing::info!(addr = %listener.local_addr()?, db = state.store.backend_name(), "careline-server listening");
            app::serve(state, listener, shutdown_signal()).await?;
        }
        Command::CreateOperator {
            login,
            password,
            name,
            role,
            department,
        } => {
            let role: Role = role.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            let state = AppState::start(config).await?;
            careline_server::store::operators::valid_password(&password)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let hash = passwords::hash_password(password).await?;
            let req = CreateOperatorRequest {
                login,
                password: String::new(),
                name,
                role,
                department,
                capacity: None,
            };
            let op = state
                .store
                .create_operator(&req, hash, None)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created {} {} ({})", op.role, op.login, op.id);
        }
        Command::Demo => {
            let state = AppState::start(config).await?;
            let logins = demo::fill(&state.store)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{logins}");
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
