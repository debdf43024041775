//! The Careline server: the hub that clients, operators and the desktop app sync with.
//!
//! - [`app`] wires state, router and background tasks; [`api`] is the HTTP surface.
//! - [`db`] is storage (engine behind a trait), [`store`] the domain queries on it,
//!   [`domain`] the pure state machines.
//! - [`hub`] broadcasts committed events; [`presence`] keeps operators' status honest.

pub mod api;
pub mod app;
pub mod auth;
pub mod backup;
pub mod blobs;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod hub;
pub mod hygiene;
pub mod idempotency;
pub mod login_limiter;
pub mod maintenance;
pub mod memory;
pub mod metrics;
pub mod passwords;
pub mod presence;
pub mod private;
pub mod red_flags;
pub mod secrets;
pub mod session_watch;
pub mod signals;
pub mod slots;
pub mod state;
pub mod store;
pub mod testing;
pub mod thumbs;
pub mod time;
pub mod web;
pub mod webhooks;

pub use config::Config;
pub use state::AppState;
