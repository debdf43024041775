//! Counters for `GET /metrics`, in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    pub http_requests: AtomicU64,
    pub http_client_errors: AtomicU64,
    pub http_server_errors: AtomicU64,
    pub messages_stored: AtomicU64,
    pub events_broadcast: AtomicU64,
    pub ws_connections: AtomicI64,
    pub logins_failed: AtomicU64,
}

impl Metrics {
    pub fn render(&self, last_seq: i64) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, kind: &str, v: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
            );
        };
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed).to_string();
        counter(
            "careline_http_requests_total",
            "HTTP requests answered.",
            "counter",
            get(&self.http_requests),
        );
        counter(
            "careline_http_client_errors_total",
            "Requests answered with a 4xx status.",
            "counter",
            get(&self.http_client_errors),
        );
        counter(
            "careline_http_server_errors_total",
            "Requests answered with a 5xx status.",
            "counter",
            get(&self.http_server_errors),
        );
        counter(
            "careline_messages_stored_total",
            "Messages stored by this instance.",
            "counter",
            get(&self.messages_stored),
        );
        counter(
            "careline_events_broadcast_total",
            "Events broadcast to this instance's sockets.",
            "counter",
            get(&self.events_broadcast),
        );
        counter(
            "careline_logins_failed_total",
            "Failed logins.",
            "counter",
            get(&self.logins_failed),
        );
        counter(
            "careline_ws_connections",
            "Open WebSocket connections.",
            "gauge",
            self.ws_connections.load(Ordering::Relaxed).to_string(),
        );
        counter(
            "careline_last_event_seq",
            "The last event sequence number handed out.",
            "gauge",
            last_seq.to_string(),
        );
        out
    }
}
