//! Times the cache reads a desk makes at start and when a thread opens, on a fixture made by
//! `app_fixture` (what the app's cold start and thread opening are made of).
//!
//!   cargo run --release -p careline-core --example desk_timing -- /tmp/careline-fixture

use std::path::PathBuf;
use std::time::Instant;

use careline_core::desk::Desk;
use careline_core::session::Session;
use careline_core::views::{ConsultationView, ListFilter};

#[tokio::main]
async fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("the fixture folder"));
    std::env::set_var("CARELINE_HOME", dir.join("home"));
    let session = Session::load().expect("the fixture's session");
    let t = Instant::now();
    let desk = Desk::open(session, dir.join("cache.db")).await.unwrap();
    println!("open: {:?}", t.elapsed());
    let t = Instant::now();
    let counts = desk.counts().await.unwrap();
    println!("counts: {:?} ({} in queue)", t.elapsed(), counts.queue);
    let t = Instant::now();
    let queue = desk
        .views()
        .list(ConsultationView::Queue, &ListFilter::default())
        .await
        .unwrap();
    println!("queue list: {:?} ({} rows)", t.elapsed(), queue.len());
    let t = Instant::now();
    let ops = desk.views().operator_list().await.unwrap();
    println!("operators: {:?} ({})", t.elapsed(), ops.len());
    let big = queue
        .iter()
        .find(|r| r.client_name == "Большой Тред")
        .expect("the big thread")
        .consultation
        .clone();
    for _ in 0..3 {
        let t = Instant::now();
        let row = desk.views().consultation_row(big.id).await.unwrap();
        let a = t.elapsed();
        let page = desk
            .views()
            .thread_page(big.client_id, None, 100)
            .await
            .unwrap();
        println!(
            "open big thread: row {:?}, page {:?} ({} messages, unread {})",
            a,
            t.elapsed(),
            page.messages.len(),
            row.unwrap().unread
        );
    }
}
