// No console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    careline_desktop::memory::limit_arenas();
    // WebKitGTK's accelerated compositing costs ~100 MB per web process (and a GL stack where
    // there is no GPU) for a window of lists and text that does not need it. CARELINE_GPU=1
    // keeps it.
    #[cfg(target_os = "linux")]
    if std::env::var_os("CARELINE_GPU").is_none()
        && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none()
    {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    // Without compositing the window's process needs no GL either; it otherwise loaded Mesa
    // (and with it LLVM, 8 MB of relocated data per process) twice over: GDK probing GLX at
    // start, and WebKit asking EGL which GPU device to name to its web process. GDK_GL=disable
    // stops the first; naming no device (the DMA-BUF renderer off, so the web process hands
    // its frames over in shared memory and needs none) stops the second. The web process
    // still has its own GL. Not where CARELINE_GPU=1 (or the caller) says otherwise.
    #[cfg(target_os = "linux")]
    if std::env::var_os("CARELINE_GPU").is_none() {
        for (name, value) in [
            ("GDK_GL", "disable"),
            ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
            ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/nonexistent"),
        ] {
            if std::env::var_os(name).is_none() {
                std::env::set_var(name, value);
            }
        }
    }
    // JavaScriptCore's JIT compilers cost the web process ~8 MB of code and data for a UI whose
    // script is small (lists and a chat drawn by Preact; the page's work is layout and
    // painting); the interpreter runs it within the start and thread-opening targets
    // (BENCHMARKS.md), and no JIT is also less to attack, as in Safari's Lockdown Mode.
    // CARELINE_JIT=1 keeps it.
    #[cfg(target_os = "linux")]
    if std::env::var_os("CARELINE_JIT").is_none() && std::env::var_os("JSC_useJIT").is_none() {
        std::env::set_var("JSC_useJIT", "0");
    }
    careline_desktop::run();
}
