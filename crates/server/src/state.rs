//! The server's shared state: the store, the hub, the configuration, the file store, the login
//! limiter, presence and metrics; opened once and handed to every request.

use std::sync::Arc;
use std::time::Duration;

use crate::blobs::Blobs;
use crate::config::Config;
use crate::error::AppResult;
use crate::hub::Hub;
use crate::login_limiter::{LoginLimiter, Registrations};
use crate::metrics::Metrics;
use crate::presence::PresenceTracker;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub hub: Arc<Hub>,
    pub config: Arc<Config>,
    pub blobs: Blobs,
    pub limiter: Arc<LoginLimiter>,
    pub registrations: Arc<Registrations>,
    /// What clients are uploading right now, held against their daily quota.
    pub uploading: Arc<crate::blobs::Uploading>,
    pub presence: Arc<PresenceTracker>,
    pub metrics: Arc<Metrics>,
    /// Ends the sockets whose session ended.
    pub session_watch: Arc<crate::session_watch::SessionWatch>,
    /// Cancelled when this listener shuts down: open WebSockets close (1012, "service
    /// restart") so clients reconnect elsewhere instead of holding a dead instance.
    pub closing: tokio_util::sync::CancellationToken,
    /// Relays call signalling between the parties' sockets (and instances).
    pub signals: Arc<crate::signals::Signals>,
}

impl AppState {
    /// Opens the database and starts the hub and the presence sweeper.
    pub async fn start(config: Config) -> AppResult<AppState> {
        crate::private::dir(&config.data_dir)?;
        let store = Store::open(&config).await?;
        let metrics = Arc::new(Metrics::default());
        let hub = Hub::start(store.clone(), metrics.clone()).await?;
        let blobs = Blobs::new(config.data_dir.join("blobs"), config.attachment_max_bytes)?;
        let limiter = Arc::new(LoginLimiter::new(
            config.login_max_failures,
            Duration::from_secs(config.login_window_secs),
        ));
        let registrations = Arc::new(Registrations::new(
            config.register_per_address_per_hour,
            config.register_per_hour,
        ));
        let presence = Arc::new(PresenceTracker::default());
        presence.clone().spawn(
            store.clone(),
            Duration::from_secs(config.presence_grace_secs),
        );
        let config = Arc::new(config);
        tokio::spawn(crate::maintenance::run(
            store.clone(),
            blobs.clone(),
            config.clone(),
        ));
        tokio::spawn(crate::backup::scheduled(config.clone()));
        tokio::spawn(crate::webhooks::run(store.clone(), config.clone()));
        tokio::spawn(crate::store::visits::sweep_forever(store.clone()));
        tokio::spawn(crate::memory::trim_forever());
        let session_watch = crate::session_watch::SessionWatch::start(store.clone());
        let signals = crate::signals::Signals::start(store.clone()).await?;
        Ok(AppState {
            store,
            hub,
            config,
            blobs,
            limiter,
            registrations,
            uploading: Default::default(),
            presence,
            metrics,
            session_watch,
            closing: Default::default(),
            signals,
        })
    }
}
