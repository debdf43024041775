// No console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // WebKitGTK's accelerated compositing costs ~100 MB per web process (and a GL stack where
    // there is no GPU) for a window of lists and text that does not need it. CARELINE_GPU=1
    // keeps it.
    #[cfg(target_os = "linux")]
    if std::env::var_os("CARELINE_GPU").is_none() && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    careline_desktop::run();
}
