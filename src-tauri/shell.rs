//! The shell's state: the open desk, the UI's event channel, the language; and what the shell
//! itself shows — native notifications and the tray — from the desk's events.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use careline_core::desk::{Desk, DeskEvent};
use careline_core::desk::{Kind, Notification};
use careline_core::{LocalCode, UiError};
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
        Shell {
            desk: tokio::sync::Mutex::new(None),
            channel: Mutex::new(None),
            lang: Mutex::new(lang),
            focused: Mutex::new(true),
        }
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

    pub async fn desk(&self) -> Result<Arc<Desk>, UiError> {
        self.desk
            .lock()
            .await
            .clone()
            .ok_or_else(|| UiError::local(LocalCode::NotLoggedIn, "not logged in"))
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
        DeskEvent::Changed { .. } | DeskEvent::Reloaded | DeskEvent::Outbox { .. } => {
            refresh_tray(app)
        }
        // The desk stopped itself and forgot the session: it is no longer the open one, so
        // the window's next `boot` shows the login form.
        DeskEvent::SessionEnded { .. } => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let shell = app.state::<Shell>();
                let mut open = shell.desk.lock().await;
                if open.as_ref().is_some_and(|d| d.ended()) {
                    open.take();
                }
                drop(open);
                refresh_tray(&app);
            });
        }
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
    // The body is the patient's own text: escaped, since notification servers draw body
    // markup (`<a href=…>`, `<img>`, `<b>`) per the freedesktop specification.
    let body = words::escape_markup(&notification.text);
    n.appname("Careline")
        .summary(&words::title(lang, notification.kind, notification.count))
        .body(&body)
        .action("default", words::open(lang));
    if notification.kind == Kind::RedFlag {
        // Can't miss: stays on screen until dismissed, sounds whatever the switch says, and the
        // window asks for attention.
        n.urgency(notify_rust::Urgency::Critical)
            .sound_name("alarm-clock-elapsed");
        if let Some(w) = app.get_webview_window("main") {
            let _ = w.request_user_attention(Some(tauri::UserAttentionType::Critical));
        }
    } else if notification.sound {
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
    let mut n = app
        .notification()
        .builder()
        .title(words::title(lang, notification.kind, notification.count))
        .body(&notification.text);
    if notification.kind == Kind::RedFlag {
        if let Some(w) = app.get_webview_window("main") {
            let _ = w.request_user_attention(Some(tauri::UserAttentionType::Critical));
        }
    }
    if notification.sound || notification.kind == Kind::RedFlag {
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
    let mut builder = TrayIconBuilder::with_id(TRAY)
        .tooltip("Careline")
        .menu(&menu)
        .on_menu_event(|app, e| match e.id().as_ref() {
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
        let Some(desk) = shell.has_desk().await else {
            return;
        };
        let Ok(c) = desk.counts().await else { return };
        if let Some(tray) = app.tray_by_id(TRAY) {
            // The tooltip carries the counts on every system; the icon gets a red dot while
            // something waits (Windows shows no tray title); macOS and Linux panels that
            // show a title get the number beside the icon too.
            let _ = tray.set_tooltip(Some(words::tray(
                &shell.lang(),
                c.queue,
                c.unread,
                c.callbacks_due,
            )));
            let badge = c.queue + c.unread;
            if let Some(icon) = app.default_window_icon() {
                let _ = tray.set_icon(Some(if badge > 0 {
                    with_dot(icon)
                } else {
                    icon.clone()
                }));
            }
            #[cfg(not(target_os = "windows"))]
            let _ = tray.set_title(if badge > 0 {
                Some(badge.to_string())
            } else {
                None
            });
        }
    });
}

/// The icon with a red dot in its top right corner (something waits).
fn with_dot(icon: &tauri::image::Image<'_>) -> tauri::image::Image<'static> {
    let (w, h) = (icon.width(), icon.height());
    let mut rgba = icon.rgba().to_vec();
    let r = (w.min(h) as f32 * 0.22).max(2.0);
    let (cx, cy) = (w as f32 - r - 1.0, r + 1.0);
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            let d = (dx * dx + dy * dy).sqrt();
            if d <= r + 1.0 {
                let i = ((y * w + x) * 4) as usize;
                // A white ring around a red dot, so it shows on dark and light panels.
                let px: [u8; 4] = if d <= r - 0.5 {
                    [0xe5, 0x3e, 0x3e, 0xff]
                } else {
                    [0xff, 0xff, 0xff, 0xff]
                };
                rgba[i..i + 4].copy_from_slice(&px);
            }
        }
    }
    tauri::image::Image::new_owned(rgba, w, h)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_dot_is_drawn_in_the_top_right_corner() {
        let plain = tauri::image::Image::new_owned(vec![0; 32 * 32 * 4], 32, 32);
        let dotted = super::with_dot(&plain);
        let at = |x: u32, y: u32| {
            &dotted.rgba()[((y * 32 + x) * 4) as usize..((y * 32 + x) * 4 + 4) as usize]
        };
        assert_eq!(at(24, 8), [0xe5, 0x3e, 0x3e, 0xff], "red in the corner");
        assert_eq!(at(4, 28), [0, 0, 0, 0], "the rest untouched");
    }
}
