//! The real `careline-server` binary as a child process (for SIGKILL and restart tests).

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Proc {
    pub child: Child,
    pub base: String,
}

pub async fn start(data_dir: &std::path::Path, db_url: &str) -> Proc {
    start_as(
        Command::new(env!("CARGO_BIN_EXE_careline-server")).arg("serve"),
        data_dir,
        db_url,
    )
    .await
}

/// Starts the server by `command` (the binary, or a shell that execs it) and waits until it
/// says where it listens.
pub async fn start_as(command: &mut Command, data_dir: &std::path::Path, db_url: &str) -> Proc {
    let mut child = command
        .env("CARELINE_DATA_DIR", data_dir)
        .env("CARELINE_DATABASE_URL", db_url)
        .env("CARELINE_LISTEN", "127.0.0.1:0")
        .env("CARELINE_SECRET_KEY", super::TEST_SECRET_KEY)
        .env("CARELINE_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("starting careline-server");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.split("addr=").nth(1) {
                return format!("http://{}", rest.split_whitespace().next().unwrap());
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .expect("the server did not say where it listens");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Proc { child, base }
}
