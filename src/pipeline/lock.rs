//! `data/.lock`: one writer of `data/` and `content/` at a time.
//!
//! The lock file holds `{"pid": …, "command": "run", "started_at": …}`. It is created whole
//! (written to a temp file, then hard-linked into place, which fails if the name exists), so a
//! reader never sees it half written. It is removed when the [`RunLock`] is dropped. A lock
//! left by a process that died (killed, power cut) is **stale**: on Linux, when `/proc` has no
//! live process with its pid (or the pid is our own, as happens in a fresh container); where
//! there is no `/proc`, when it is older than [`STALE_AFTER_HOURS`]. A stale lock is taken over
//! with a warning.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Paths;

/// The lock's file name under `data/`.
pub const LOCK_FILE: &str = ".lock";

/// Without `/proc` to ask, a lock this old is assumed to be left by a dead run.
pub const STALE_AFTER_HOURS: i64 = 12;

/// What the lock file says about its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub pid: u32,
    /// The command holding it (`run`, `collect`, …).
    pub command: String,
    /// Wall-clock time it was taken (the lock is never committed, so this is not output).
    pub started_at: DateTime<Utc>,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{path}: another `zeitgeist {}` (pid {}) has been running since {}; wait for it to finish (or, if it is gone, remove the file)", .holder.command, .holder.pid, .holder.started_at.to_rfc3339())]
    Held { path: PathBuf, holder: LockInfo },
    #[error("{path}: not a lock file this version understands ({message}); remove it if no run is in progress")]
    Unreadable { path: PathBuf, message: String },
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: io::Error },
}

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    /// A stale lock that was taken over, for the caller to report.
    pub replaced: Option<LockInfo>,
}

impl RunLock {
    /// Takes `<data_dir>/.lock` for `command`, taking over a stale one.
    pub fn acquire(data_dir: &Path, command: &str) -> Result<RunLock, LockError> {
        let path = data_dir.join(LOCK_FILE);
        let io_error = |error| LockError::Io {
            path: path.clone(),
            error,
        };
        fs::create_dir_all(data_dir).map_err(io_error)?;
        let info = LockInfo {
            pid: std::process::id(),
            command: command.to_string(),
            started_at: Utc::now(),
        };
        let mut replaced = None;
        loop {
            match create_whole(&path, &info) {
                Ok(()) => return Ok(RunLock { path, replaced }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_error(e)),
            }
            let holder = match read_info(&path) {
                Ok(Some(holder)) => holder,
                Ok(None) => continue, // released meanwhile: try again
                Err(message) => return Err(LockError::Unreadable { path, message }),
            };
            if !is_stale(&holder, Utc::now()) || replaced.is_some() {
                return Err(LockError::Held { path, holder });
            }
            // Remove only the stale lock we read, not one a concurrent run just took.
            if read_info(&path).ok().flatten().as_ref() == Some(&holder) {
                fs::remove_file(&path)
                    .or_else(ignore_missing)
                    .map_err(io_error)?;
            }
            replaced = Some(holder);
        }
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let ours = read_info(&self.path)
            .ok()
            .flatten()
            .is_some_and(|info| info.pid == std::process::id());
        if ours {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Creates `path` holding `info`, failing with `AlreadyExists` if it is there.
fn create_whole(path: &Path, info: &LockInfo) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(".lock-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    fs::write(
        temp.path(),
        serde_json::to_vec(info).expect("lock info serialises"),
    )?;
    temp.as_file().sync_all()?;
    fs::hard_link(temp.path(), path)
}

/// The lock's holder; `None` when there is no lock file.
fn read_info(path: &Path) -> Result<Option<LockInfo>, String> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| e.to_string()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

fn ignore_missing(error: io::Error) -> io::Result<()> {
    if error.kind() == io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(error)
    }
}

/// Whether the lock's holder is gone.
pub fn is_stale(holder: &LockInfo, now: DateTime<Utc>) -> bool {
    if holder.pid == std::process::id() {
        return true;
    }
    match process_alive(holder.pid) {
        Some(alive) => !alive,
        None => now - holder.started_at > Duration::hours(STALE_AFTER_HOURS),
    }
}

/// Whether a process with `pid` is running (a zombie is not); `None` without `/proc`.
fn process_alive(pid: u32) -> Option<bool> {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return None;
    }
    let stat = match fs::read_to_string(proc.join(pid.to_string()).join("stat")) {
        Ok(stat) => stat,
        Err(_) => return Some(false),
    };
    // `pid (comm) S …`: the state follows the last `)` (comm may itself hold parentheses).
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    Some(!matches!(state, Some("Z") | Some("X")))
}

/// Takes `data/.lock` for `command`, saying so when a dead run's lock is taken over.
pub fn take(paths: &Paths, command: &str) -> Result<RunLock, LockError> {
    let lock = RunLock::acquire(&paths.data(), command)?;
    if let Some(stale) = &lock.replaced {
        eprintln!(
            "note: took over {} left by `zeitgeist {}` (pid {}, gone)",
            lock.path().display(),
            stale.command,
            stale.pid
        );
    }
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(dir.path(), "run").unwrap();
        assert!(first.replaced.is_none());
        // Pretend the holder is another live process: our parent.
        let parent = LockInfo {
            pid: std::os::unix::process::parent_id(),
            command: "run".into(),
            started_at: Utc::now(),
        };
        fs::write(first.path(), serde_json::to_vec(&parent).unwrap()).unwrap();
        let err = RunLock::acquire(dir.path(), "collect")
            .unwrap_err()
            .to_string();
        assert!(err.contains("another `zeitgeist run`"), "{err}");
        assert!(err.starts_with(&dir.path().join(".lock").display().to_string()));
        fs::remove_file(first.path()).unwrap();
        drop(first);
        let again = RunLock::acquire(dir.path(), "run").unwrap();
        let path = again.path().to_path_buf();
        drop(again);
        assert!(!path.exists());
    }

    #[test]
    fn a_dead_holders_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = LockInfo {
            pid: dead,
            command: "run".into(),
            started_at: Utc::now(),
        };
        fs::write(
            dir.path().join(LOCK_FILE),
            serde_json::to_vec(&stale).unwrap(),
        )
        .unwrap();
        let lock = RunLock::acquire(dir.path(), "run").unwrap();
        assert_eq!(lock.replaced, Some(stale));
    }

    #[test]
    fn a_garbled_lock_is_reported_not_removed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(LOCK_FILE), b"{").unwrap();
        let err = RunLock::acquire(dir.path(), "run").unwrap_err().to_string();
        assert!(err.contains("not a lock file"), "{err}");
        assert!(dir.path().join(LOCK_FILE).exists());
    }
}
