//! The embedded engine's native writer: one rusqlite connection on a thread of its own, for the
//! hot path of the server (messages, `store::batch_native`). A job is a closure that gets the
//! connection; a whole batch of messages is one job, its statements prepared once and cached.
//! Through sqlx, every statement was a hand-off to sqlx's worker thread and back (a channel, a
//! wake-up, and `Any` arguments converted on the way); here the hand-off is once per batch.
//!
//! The file still has one writer at a time: whoever runs a job holds the sqlx writer pool's
//! only connection meanwhile (see `store::batch_writer::write_native`), so the two connections never race
//! for SQLite's write lock and a transaction never waits on a busy handler.

use std::path::Path;
use std::sync::mpsc;

use tokio::sync::oneshot;

use crate::error::{AppError, AppResult};

type Job = Box<dyn FnOnce(&mut rusqlite::Connection) + Send>;

/// The handle; the thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct NativeWriter {
    jobs: mpsc::Sender<Job>,
}

impl NativeWriter {
    /// Opens `path` (already created and in WAL mode) with the writer's settings and starts the thread.
    pub fn open(path: &Path, synchronous: &str) -> AppResult<NativeWriter> {
        let conn = rusqlite::Connection::open(path).map_err(native)?;
        conn.execute_batch(&format!(
            "PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
             PRAGMA cache_size = -32768; PRAGMA secure_delete = ON; PRAGMA wal_autocheckpoint = 0;"
        ))
        .map_err(native)?;
        conn.set_prepared_statement_cache_capacity(64);
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                let mut conn = conn;
                for job in rx {
                    job(&mut conn);
                }
            })
            .map_err(|e| AppError::failed("starting the SQLite writer thread", e))?;
        Ok(NativeWriter { jobs })
    }

    /// Runs `f` on the writer's thread and returns what it returns. A panic in `f` is an
    /// error here (the thread goes on with the next job).
    pub async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut rusqlite::Connection) -> R + Send + 'static,
    ) -> AppResult<R> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)));
            if r.is_err() && !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            let _ = reply.send(r);
        });
        self.jobs
            .send(job)
            .map_err(|_| AppError::Other("the SQLite writer thread has stopped".into()))?;
        match answer.await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(_)) => Err(AppError::Other(
                "a job of the SQLite writer panicked".into(),
            )),
            Err(_) => Err(AppError::Other(
                "the SQLite writer thread dropped a job".into(),
            )),
        }
    }
}

/// A rusqlite error as the server's.
pub(crate) fn native(e: rusqlite::Error) -> AppError {
    AppError::failed("sqlite", e)
}
