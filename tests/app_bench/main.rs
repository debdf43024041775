//! The app rows of the product's quality targets, measured in the real window under Xvfb: cold start to an
//! interactive queue with a 1,000,000-message cache, opening a 10,000-message thread, and the
//! idle memory of the whole process tree (the app and its WebKit processes). Start and memory
//! are measured on the app launched directly; the thread openings through WebDriver.
//!
//!   cargo run --release -p careline-core --example app_fixture -- /tmp/careline-fixture
//!   (cd ui && npm run build)
//!   CARELINE_BENCH_FIXTURE=/tmp/careline-fixture xvfb-run -a dbus-run-session -- \
//!     cargo test --profile app -p careline-desktop --test app_bench -- --ignored --nocapture
//!
//! (`app` is the profile the run command builds: the app as shipped.)

#[path = "../e2e/driver.rs"]
mod driver;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use driver::Driver;
use serde_json::json;

fn app_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("careline-desktop")
}

/// The pids of `root` and all its descendants.
fn tree(root: u32) -> Vec<u32> {
    let mut parent: HashMap<u32, u32> = HashMap::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid …: comm may hold spaces, so split after the last ')'.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let ppid: u32 = after.split(' ').nth(1).unwrap().parse().unwrap();
        parent.insert(pid, ppid);
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parent.iter().filter(|(_, pp)| **pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

fn kb(pid: u32, file: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// The resident set of a whole process tree: every physical page mapped by any of `pids`,
/// counted once (a library's page shared by the app and its web process is one page of memory;
/// a plain sum of each process's RSS counts it in each). Read from `/proc/PID/pagemap`, whose
/// frame numbers need root (CAP_SYS_ADMIN); `None` without them.
fn tree_resident_kb(pids: &[u32]) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    const PAGE: u64 = 4096;
    let mut frames = std::collections::HashSet::new();
    let mut seen_frame = false;
    for pid in pids {
        let Ok(smaps) = std::fs::read_to_string(format!("/proc/{pid}/smaps")) else {
            continue;
        };
        let Ok(mut pagemap) = std::fs::File::open(format!("/proc/{pid}/pagemap")) else {
            continue;
        };
        // Mappings with resident pages: a header line "start-end perms …", then "Rss: N kB".
        let mut range: Option<(u64, u64)> = None;
        for line in smaps.lines() {
            if let Some((a, rest)) = line.split_once('-') {
                if let (Ok(start), Some(end)) = (
                    u64::from_str_radix(a, 16),
                    rest.split(' ')
                        .next()
                        .and_then(|e| u64::from_str_radix(e, 16).ok()),
                ) {
                    range = Some((start, end));
                    continue;
                }
            }
            let Some(rss) = line.strip_prefix("Rss:") else {
                continue;
            };
            let Some((start, end)) = range.take() else {
                continue;
            };
            if rss.trim() == "0 kB" {
                continue;
            }
            // In chunks: a reservation of many gigabytes may hold a few resident pages.
            let mut page = start / PAGE;
            while page < end / PAGE {
                let n = (end / PAGE - page).min(1 << 16);
                let mut buf = vec![0u8; n as usize * 8];
                if pagemap.seek(SeekFrom::Start(page * 8)).is_err()
                    || pagemap.read_exact(&mut buf).is_err()
                {
                    break;
                }
                for entry in buf.chunks_exact(8) {
                    let e = u64::from_le_bytes(entry.try_into().unwrap());
                    if e >> 63 == 1 {
                        let pfn = e & ((1 << 55) - 1);
                        seen_frame |= pfn != 0;
                        frames.insert(pfn);
                    }
                }
                page += n;
            }
        }
    }
    seen_frame.then(|| frames.len() as u64 * PAGE / 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: needs the fixture (CARELINE_BENCH_FIXTURE), Xvfb and tauri-driver"]
async fn app_start_thread_and_memory() {
    let fixture = PathBuf::from(
        std::env::var("CARELINE_BENCH_FIXTURE")
            .expect("CARELINE_BENCH_FIXTURE: a folder made by the app_fixture example"),
    );
    let scratch = tempfile::tempdir().unwrap();
    let app = app_binary();
    // Cold as far as this machine lets us: drop the page cache when allowed (root, not in a container).
    let dropped = std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok();
    let env = vec![
        ("CARELINE_HOME", fixture.join("home").display().to_string()),
        (
            "CARELINE_CACHE",
            fixture.join("cache.db").display().to_string(),
        ),
        ("CARELINE_LANG", "ru".to_owned()),
        (
            "XDG_DATA_HOME",
            scratch.path().join("data").display().to_string(),
        ),
        (
            "XDG_CACHE_HOME",
            scratch.path().join("cache").display().to_string(),
        ),
    ];
    // Cold start, straight from exec (no WebDriver in between): the app says when its queue is
    // on screen; then the idle memory of its process tree.
    let launched = std::time::Instant::now();
    let mut child = std::process::Command::new(&app)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("CARELINE_STARTUP_TRACE", "1")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut app_says = String::new();
    for line in std::io::BufRead::lines(stderr).map_while(Result::ok) {
        if line.contains("interactive after") {
            app_says = line;
            break;
        }
    }
    let start = launched.elapsed();
    assert!(!app_says.is_empty(), "the app never showed its queue");
    tokio::time::sleep(Duration::from_secs(10)).await;
    let pids = tree(child.id());
    let rss: u64 = pids.iter().map(|p| kb(*p, "status", "VmRSS:")).sum();
    let pss: u64 = pids.iter().map(|p| kb(*p, "smaps_rollup", "Pss:")).sum();
    let resident = tree_resident_kb(&pids);
    let names: Vec<String> = pids
        .iter()
        .map(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm"))
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .collect();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();

    let d = Driver::start(&app, &env).await;
    d.wait_text("[data-testid=consultation-row]", "Большой Тред", 30)
        .await;
    let start_through_webdriver = d.launched.elapsed();

    // Open the 10,000-message thread, away and back, several times.
    let mut opens = Vec::new();
    for _ in 0..7 {
        d.click("[data-testid=consultation-row]", "Иван").await;
        d.wait_text("[data-testid=chat-client]", "Иван", 10).await;
        let ms = d
            .exec_async(
                "const done = arguments[arguments.length - 1];\
                 const row = [...document.querySelectorAll('[data-testid=consultation-row]')].find(e => e.innerText.includes('Большой Тред'));\
                 const t0 = performance.now(); row.click();\
                 const check = () => { const name = document.querySelector('[data-testid=chat-client]')?.innerText || '';\
                   if (name.includes('Большой Тред') && document.querySelectorAll('[data-testid=message]').length >= 100) done(performance.now() - t0);\
                   else requestAnimationFrame(check); };\
                 requestAnimationFrame(check);",
                json!([]),
            )
            .await;
        opens.push(ms.as_f64().unwrap());
    }
    opens.sort_by(f64::total_cmp);

    d.quit().await;

    let out = json!({
        "bench": "app",
        "cold_start_to_queue_ms": start.as_millis(),
        "app_says": app_says,
        "start_through_webdriver_ms": start_through_webdriver.as_millis(),
        "page_cache_dropped": dropped,
        "open_10000_message_thread_ms": { "p50": opens[opens.len() / 2], "max": opens[opens.len() - 1] },
        "idle_rss_mb_process_tree": rss as f64 / 1024.0,
        "idle_pss_mb_process_tree": pss as f64 / 1024.0,
        "idle_resident_mb_process_tree_pages_once": resident.map(|kb| kb as f64 / 1024.0),
        "processes": names,
    });
    println!("{out}");
}
