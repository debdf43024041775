//! The server process's heap, given back after a peak (glibc on Linux; nothing elsewhere).
//!
//! glibc gives each thread that allocates its own arena (up to 8 per core) and keeps what a
//! burst of work freed: a desk's first sync of a million messages, or a burst of registrations,
//! left hundreds of megabytes resident for good. Two arenas are plenty for the server's few
//! worker threads, and a trim every few seconds returns what a burst freed. Measured in
//! BENCHMARKS.md (server memory).
#![allow(unsafe_code)] // The only unsafe code of the server: two FFI calls that take no pointers.

/// Caps glibc's arenas; call first thing in `main`, before any thread starts.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tunable of the allocator; no pointers are involved.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Returns freed heap to the system every few seconds, forever.
pub async fn trim_forever() {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        let _ = tokio::task::spawn_blocking(|| {
            // SAFETY: malloc_trim only releases free memory of the allocator's own arenas.
            unsafe {
                libc::malloc_trim(0);
            }
        })
        .await;
    }
}
