//! The `careline` CLI against the real server on a loopback port, as an operator would use it.

use std::process::Output;

use careline_protocol::Role;
use tokio::io::AsyncBufReadExt;

struct Cli {
    home: std::path::PathBuf,
}

impl Cli {
    async fn run(&self, args: &[&str]) -> Output {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_careline"))
            .args(args)
            .env("CARELINE_HOME", &self.home)
            .env("CARELINE_PASSWORD", careline_server::demo::DEMO_PASSWORD)
            // The token in session.json, where the test can read it.
            .env("CARELINE_NO_KEYCHAIN", "1")
            .env_remove("CARELINE_CACHE")
            .output()
            .await
            .unwrap()
    }

    async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            out.status.success(),
            "careline {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_works_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (state, server) = careline_server::testing::demo(dir.path()).await;
    let cli = Cli {
        home: dir.path().join("home"),
    };
    let (addr, url) = (server.addr, server.url.clone());

    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_careline"))
        .arg("queue")
        .env("CARELINE_HOME", &cli.home)
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not logged in"));

    assert!(cli
        .ok(&["login", "--server", &url, "--login", "anna"])
        .await
        .contains("Анна Петрова"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cli.home.join("session.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the session file is private");
    }
    let synced: serde_json::Value =
        serde_json::from_str(cli.ok(&["sync", "--json"]).await.trim()).unwrap();
    assert_eq!(
        synced["position"].as_i64().unwrap(),
        state.store.last_seq().await.unwrap()
    );

    // The queue, as the server has it, oldest first.
    let queue: Vec<serde_json::Value> = cli
        .ok(&["queue", "--json"])
        .await
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let f = careline_protocol::ConsultationFilter {
        status: Some("new".into()),
        order: Some("asc".into()),
        ..Default::default()
    };
    let server_queue = state
        .store
        .list_consultations(&f, uuid::Uuid::nil(), Role::Operator)
        .await
        .unwrap()
        .items;
    assert_eq!(queue.len(), server_queue.len());
    assert_eq!(
        queue[0]["id"],
        server_queue[0].consultation.id.to_string().as_str()
    );
    let human = cli.ok(&["queue"]).await;
    assert!(
        human.contains("WAITING") && human.contains("Иван Соколов"),
        "{human}"
    );

    // Search in the three languages.
    assert!(cli.ok(&["search", "咳嗽"]).await.contains("«咳嗽»"));
    assert!(cli
        .ok(&["search", "давлени"])
        .await
        .to_lowercase()
        .contains("«давлени»"));
    assert!(cli.ok(&["search", "rash"]).await.contains("«rash»"));

    // Take and answer by a short id; the thread shows it; export as Markdown.
    let full = queue[0]["id"].as_str().unwrap().replace('-', "");
    let id = full[full.len() - 8..].to_owned(); // as `careline queue` shows it
    assert!(cli.ok(&["take", &id]).await.starts_with("Sent: take"));
    assert!(cli
        .ok(&["send", &id, "Здравствуйте,", "чем", "помочь?"])
        .await
        .starts_with("Sent: message"));
    cli.ok(&["sync"]).await;
    let thread = cli.ok(&["thread", &id]).await;
    assert!(
        thread.contains("operator Здравствуйте, чем помочь?"),
        "{thread}"
    );
    let md = cli.ok(&["export", &id, "--format", "md"]).await;
    assert!(
        md.starts_with("# Consultation ")
            && md.contains("**Operator**")
            && md.contains("Здравствуйте, чем помочь?"),
        "{md}"
    );
    let exported: serde_json::Value =
        serde_json::from_str(&cli.ok(&["export", &id, "--format", "json"]).await).unwrap();
    assert!(exported["messages"].as_array().unwrap().len() >= 2);

    // Live: `sync --follow` runs the desk's loops and prints what they tell; a message sent
    // meanwhile arrives as a change of its thread; Ctrl-C ends it cleanly.
    let mut follower = tokio::process::Command::new(env!("CARGO_BIN_EXE_careline"))
        .args(["sync", "--follow", "--json"])
        .env("CARELINE_HOME", &cli.home)
        .env("CARELINE_NO_KEYCHAIN", "1")
        .env_remove("CARELINE_CACHE")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(follower.stdout.take().unwrap()).lines();
    async fn next_line(
        lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    ) -> String {
        tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .expect("the follower said nothing for 30 s")
            .unwrap()
            .expect("the follower ended")
    }
    loop {
        if next_line(&mut lines).await.contains(r#""online":true"#) {
            break;
        }
    }
    cli.ok(&["send", &id, "пока", "вы", "на", "связи"]).await;
    loop {
        let line = next_line(&mut lines).await;
        if line.contains(r#""type":"changed""#) && !line.contains(r#""threads":[]"#) {
            break;
        }
    }
    let interrupted = tokio::process::Command::new("kill")
        .args(["-INT", &follower.id().unwrap().to_string()])
        .status()
        .await
        .unwrap();
    assert!(interrupted.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), follower.wait())
        .await
        .expect("Ctrl-C ends the follower")
        .unwrap();
    assert!(status.success(), "{status}");

    // Offline: the message waits in the outbox, and goes out once when the server is back.
    server.stop().await;
    assert!(cli
        .ok(&["send", &id, "офлайн-ответ"])
        .await
        .starts_with("Queued"));
    assert!(cli.ok(&["outbox"]).await.contains("pending message"));
    let _server = careline_server::testing::serve_at(&state, addr).await;
    cli.ok(&["sync"]).await;
    assert!(cli.ok(&["outbox"]).await.contains("empty"));
    let c = state
        .store
        .get_consultation(uuid::Uuid::parse_str(queue[0]["id"].as_str().unwrap()).unwrap())
        .await
        .unwrap();
    let msgs = state
        .store
        .list_messages(&c, Role::Operator, &Default::default())
        .await
        .unwrap()
        .items;
    assert_eq!(msgs.iter().filter(|m| m.body == "офлайн-ответ").count(), 1);

    // A refusal is surfaced with the server's words.
    let out = cli.run(&["take", &id]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused"));
    assert!(cli
        .ok(&["status", "busy"])
        .await
        .starts_with("Sent: status busy"));
    // Logging out ends the session on the server too: the token stops working at once (it
    // stayed valid for its whole 720 h before).
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cli.home.join("session.json")).unwrap())
            .unwrap();
    let token = saved["token"].as_str().unwrap().to_owned();
    assert!(cli.ok(&["logout", "--wipe"]).await.contains("wiped"));
    let me = reqwest::Client::new()
        .get(format!("{url}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        reqwest::StatusCode::UNAUTHORIZED,
        "the token was revoked"
    );
}
