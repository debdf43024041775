//! The Careline window: Tauri glue over `careline-core`. Commands are a line or two over a
//! [`Desk`](careline_core::desk::Desk); core events reach the UI through one channel
//! ([`commands::subscribe`]); notifications and the tray are raised here from what the core's
//! policy decides. No domain logic lives in this crate.

#[cfg(test)]
mod bridge;
mod commands;
pub mod memory;
mod shell;
pub mod types;
mod words;

use tauri::Manager;

pub use shell::Shell;

/// When the process started, for `CARELINE_STARTUP_TRACE` (the app benchmark's clock).
pub(crate) static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

pub fn run() {
    STARTED.get_or_init(std::time::Instant::now);
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CARELINE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .manage(Shell::new(words::system_language()))
        .setup(|app| {
            shell::tray(app.handle())?;
            quit_on_signals(app.handle().clone());
            Ok(())
        })
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::Focused(focused) = event {
                window.app_handle().state::<Shell>().set_focused(*focused);
            }
        })
        // Every command of commands.rs, listed by the build script (bridge.rs).
        .invoke_handler(include!(concat!(env!("OUT_DIR"), "/handlers.rs")))
        .build(tauri::generate_context!("tauri.conf.json"))
        .expect("error while building the Careline window")
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                // Closes the cache before the process exits: its SQLCipher connections are
                // closed here, not by their threads while exit runs OpenSSL's clean-up (the
                // command-line desk crashed on that once), and the last close checkpoints the WAL.
                tauri::async_runtime::block_on(async {
                    if let Some(desk) = app.state::<Shell>().remove().await {
                        desk.close().await;
                    }
                });
            }
        });
}

/// SIGTERM (the desktop session ending, a service manager) and SIGINT (Ctrl+C in a terminal)
/// quit the app as its tray menu does, so the cache is closed on the way out (`RunEvent::Exit`).
fn quit_on_signals(app: tauri::AppHandle) {
    tauri::async_runtime::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::warn!("cannot listen for SIGTERM and SIGINT; they will end the app without closing its cache");
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        app.exit(0);
    });
}
