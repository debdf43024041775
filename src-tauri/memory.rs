//! The app process's own heap, kept small while idle (glibc on Linux; nothing elsewhere).
//!
//! glibc gives each thread that allocates its own arena (up to 8 per core), and keeps what a
//! finished burst of work freed. Start-up (the cache's first queries, the first lists, the web
//! view's set-up) is such a burst. Two arenas are plenty for a desk; once the window is
//! interactive the freed pages go back to the system. Measured in BENCHMARKS.md (app memory).
#![allow(unsafe_code)] // The only unsafe code of the app: two FFI calls that take no pointers.

/// Caps glibc's arenas; call first thing in `main`, before threads start.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tunable of the allocator; no pointers are involved.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Returns the heap freed by start-up to the system a moment after the window is interactive.
pub fn trim_after_start() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    std::thread::spawn(|| {
        std::thread::sleep(std::time::Duration::from_secs(3));
        // SAFETY: malloc_trim only releases free memory of the allocator's own arenas.
        unsafe {
            libc::malloc_trim(0);
        }
    });
}
