//! `careline-sim`: plays Careline clients against a server — demo traffic for the desktop
//! app, and the load of the benchmarks (`ingest`, `delivery`, `idle`).

mod api;
mod bench;
mod delivery;
mod phrases;
mod presence;
mod traffic;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "careline-sim",
    version,
    about = "Plays Careline clients (and operators) against a server"
)]
struct Cli {
    /// The server's base URL; several, separated by commas, for instances of one deployment
    /// (the benchmarks spread their clients over them).
    #[arg(
        long,
        global = true,
        env = "CARELINE_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    server: String,
    /// Seed of the random choices, for repeatable runs.
    #[arg(long, global = true, default_value_t = 1)]
    seed: u64,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Demo traffic: clients open consultations, chat (text, images, files), request
    /// callbacks, and answer operators.
    Run(traffic::RunArgs),
    /// Benchmark: N concurrent senders post messages as fast as the server accepts them.
    Ingest(bench::IngestArgs),
    /// Benchmark: latency from a client's send to operators' WebSockets at a fixed rate.
    Delivery(delivery::DeliveryArgs),
    /// Benchmark: N operators connected, changing status now and then.
    Presence(presence::PresenceArgs),
    /// Benchmark: hold N idle WebSocket connections open.
    Idle(bench::IdleArgs),
}

fn main() -> anyhow::Result<()> {
    // The runtime's threads are named so a profile of the whole machine tells the load
    // generator from the server it loads.
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("sim-worker")
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CARELINE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let servers: Vec<String> = cli
        .server
        .split(',')
        .map(|s| s.trim().trim_end_matches('/').to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    anyhow::ensure!(!servers.is_empty(), "--server names no server");
    let server = servers[0].clone();
    match cli
        .command
        .unwrap_or(Command::Run(traffic::RunArgs::default()))
    {
        Command::Run(args) => traffic::run(&server, cli.seed, args).await,
        Command::Ingest(args) => bench::ingest(&servers, cli.seed, args).await,
        Command::Delivery(args) => delivery::delivery(&servers, cli.seed, args).await,
        Command::Presence(args) => presence::presence(&servers, args).await,
        Command::Idle(args) => bench::idle(&server, args).await,
    }
}
