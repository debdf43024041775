//! The shell's state: the open desk, the UI's event channel, the language; and what the shell
//! itself shows — native notifications and the tray — from the desk's events.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use careline_core::desk::{Desk, DeskEvent};
use careline_core::notify::Notification;
use tauri::ipc::Channel;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager};
#[cfg(not(target_os = "linux"))]
use tauri_plugin_notification::NotificationExt;

use crate::words;

const TRAY: &str = "careline";

pub struct Shell {
    desk: tokio::sync::Mutex<Option<Arc<Desk>>>,
    channel: Mutex<Option<Channel<DeskEvent>>>,
    lang: Mutex<String>,
    focused: Mutex<bool>,
}

impl Shell {
    pub fn new(lang: String) -> Shell {
        Shell { desk: tokio::sync::Mutex::new(None), channel: Mutex::new(None), lang: Mutex::new(lang), focused: Mutex::new(true) }
    }

    pub fn lang(&self) -> String {
        self.lang.lock().expect("lang").clone()
    }

    pub fn set_lang(&self, lang: &str) {
        *self.lang.lock().expect("lang") = words::normalize(lang);
    }

    pub fn set_focused(&self, focused: bool) {
        *self.focused.lock().expect("focus") = focused;
    }

    pub fn focused(&self) -> bool {
        *self.focused.lock().expect("focus")
    }

    pub async fn desk(&self) -> Result<Arc<Desk>, String> {
        self.desk.lock().await.clone().ok_or_else(|| "not logged in".to_owned())
    }

    pub async fn has_desk(&self) -> Option<Arc<Desk>> {
        self.desk.lock().await.clone()
    }

    /// Makes `desk` the open one and starts its background work.
    pub async fn install(&self, app: &AppHandle, desk: Arc<Desk>) {
        let handle = app.clone();
        desk.start(Arc::new(move |event| on_event(&handle, event)));
        if let Some(old) = self.desk.lock().await.replace(desk) {
            old.stop();
        }
        refresh_tray(app);
    }

    pub async fn remove(&self) -> Option<Arc<Desk>> {
        self.desk.lock().await.take()
    }

    pub fn subscribe(&self, channel: Channel<DeskEvent>) {
        *self.channel.lock().expect("channel") = Some(channel);
    }

    fn send(&self, event: DeskEvent) {
        if let Some(c) = self.channel.lock().expect("channel").as_ref() {
            if let Err(e) = c.send(event) {
                tracing::debug!(error = %e, "the window did not take an event");
            }
        }
    }
}

/// Everything the desk says: to the window; notifications also to the OS; counts to the tray.
fn on_event(app: &AppHandle, event: DeskEvent) {
    let shell = app.state::<Shell>();
    match &event {
        DeskEvent::Notify { notification } => notify(app, &shell.lang(), notification),
        DeskEvent::Changed { .. } | DeskEvent::Outbox { .. } => refresh_tray(app),
        _ => {}
    }
    shell.send(event);
}

/// Shows a notification. On Linux it carries a default action, so a click (on a notification
/// server that has actions: GNOME Shell, KDE Plasma, dunst, …) brings the window forward on its
/// item; the notification plugin has no click callback on the desktop, so there it is shown
/// through notify-rust (the plugin's own backend) directly.
#[cfg(target_os = "linux")]
fn notify(app: &AppHandle, lang: &str, notification: &Notification) {
    let mut n = notify_rust::Notification::new();
    n.appname("Careline").summary(&words::title(lang, notification.kind, notification.count)).body(&notification.text).action("default", words::open(lang));
    if notification.sound {
        n.sound_name("message-new-instant");
    }
    let handle = match n.show() {
        Ok(h) => h,
        Err(e) => return tracing::warn!(error = %e, "showing a notification"),
    };
    let app = app.clone();
    let target = notification.target;
    // Waits on D-Bus until the notification is clicked or closed (a thread per notification on
    // screen; bursts are coalesced, so there are few).
    std::thread::spawn(move || {
        handle.wait_for_action(|action| {
            if action == "default" {
                bring_forward(&app);
                app.state::<Shell>().send(DeskEvent::Open { target });
            }
        })
    });
}

#[cfg(not(target_os = "linux"))]
fn notify(app: &AppHandle, lang: &str, notification: &Notification) {
    let mut n = app.notification().builder().title(words::title(lang, notification.kind, notification.count)).body(&notification.text);
    if notification.sound {
        n = n.sound("message-new-instant");
    }
    if let Err(e) = n.show() {
        tracing::warn!(error = %e, "showing a notification");
    }
}

/// The tray icon with the window's menu; its tooltip carries the counts.
pub fn tray(app: &AppHandle) -> tauri::Result<()> {
    let lang = app.state::<Shell>().lang();
    let (show, quit) = words::menu(&lang);
    let show = MenuItem::with_id(app, "show", show, true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", quit, true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&show, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY).tooltip("Careline").menu(&menu).on_menu_event(|app, e| match e.id().as_ref() {
        "show" => bring_forward(app),
        "quit" => app.exit(0),
        _ => {}
    });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

pub fn bring_forward(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

/// A tray refresh is already on its way: a burst of events makes one count, not one each.
static TRAY_PENDING: AtomicBool = AtomicBool::new(false);

fn refresh_tray(app: &AppHandle) {
    if TRAY_PENDING.swap(true, Ordering::AcqRel) {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        TRAY_PENDING.store(false, Ordering::Release);
        let shell = app.state::<Shell>();
        let Some(desk) = shell.has_desk().await else { return };
        let Ok(c) = desk.counts().await else { return };
        if let Some(tray) = app.tray_by_id(TRAY) {
            let _ = tray.set_tooltip(Some(words::tray(&shell.lang(), c.queue, c.unread, c.callbacks_due)));
            let badge = c.queue + c.unread;
            let _ = tray.set_title(if badge > 0 { Some(badge.to_string()) } else { None });
        }
    });
}
