//! `data/.lock`: one writer of `data/` and `content/` at a time.
//!
//! The lock is an OS advisory lock ([`File::try_lock`]) on `data/.lock`, so it is released by
//! the operating system whenever its holder ends, however it ends (killed, power cut): there is
//! no stale lock to detect, and a pid reused by another process cannot keep it. For people, the
//! file also holds `{"pid": …, "command": "run", "started_at": …}` while it is held; it is
//! removed when the [`RunLock`] is dropped. A file left by a holder that died is taken over,
//! and what it said is reported.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Paths;

/// The lock's file name under `data/`.
pub const LOCK_FILE: &str = ".lock";

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
    #[error("{path}: another `zeitgeist {}` (pid {}) has been running since {}; wait for it to finish", .holder.command, .holder.pid, .holder.started_at.to_rfc3339())]
    Held { path: PathBuf, holder: LockInfo },
    #[error("{path}: another zeitgeist process holds the lock; wait for it to finish")]
    HeldUnknown { path: PathBuf },
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: io::Error },
}

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    /// The locked file: the OS lock lasts as long as it is open.
    file: File,
    /// What a dead holder's leftover lock file said, for the caller to report.
    pub replaced: Option<LockInfo>,
}

impl RunLock {
    /// Takes `<data_dir>/.lock` for `command`.
    pub fn acquire(data_dir: &Path, command: &str) -> Result<RunLock, LockError> {
        let path = data_dir.join(LOCK_FILE);
        let io_error = |error| LockError::Io {
            path: path.clone(),
            error,
        };
        fs::create_dir_all(data_dir).map_err(io_error)?;
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io_error)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    return Err(match read_info(&mut file) {
                        Some(holder) => LockError::Held { path, holder },
                        None => LockError::HeldUnknown { path },
                    })
                }
                Err(TryLockError::Error(error)) => return Err(io_error(error)),
            }
            // The holder before us removes the name before it lets go: if it did so between
            // our open and our lock, we hold a file no one else will open. Try again.
            if !names_file(&path, &file) {
                continue;
            }
            let replaced = read_info(&mut file);
            let info = LockInfo {
                pid: std::process::id(),
                command: command.to_string(),
                started_at: Utc::now(),
            };
            write_info(&mut file, &info).map_err(io_error)?;
            return Ok(RunLock {
                path,
                file,
                replaced,
            });
        }
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Removed while still locked, so no one takes the lock on a name that is going away.
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// What the lock file says, if it parses.
fn read_info(file: &mut File) -> Option<LockInfo> {
    let mut bytes = Vec::new();
    file.rewind().ok()?;
    file.read_to_end(&mut bytes).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn write_info(file: &mut File, info: &LockInfo) -> io::Result<()> {
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(&serde_json::to_vec(info).expect("lock info serialises"))?;
    file.sync_all()
}

/// Whether `path` still names the open `file`.
#[cfg(unix)]
fn names_file(path: &Path, file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(path), file.metadata()) {
        (Ok(named), Ok(open)) => named.dev() == open.dev() && named.ino() == open.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn names_file(path: &Path, _file: &File) -> bool {
    path.exists()
}

/// Takes `data/.lock` for `command`, saying so when a dead run's lock is taken over, then
/// removes the temp files killed writers left in `data/` and `content/`.
pub fn take(paths: &Paths, command: &str) -> anyhow::Result<RunLock> {
    let lock = RunLock::acquire(&paths.data(), command)?;
    if let Some(stale) = &lock.replaced {
        eprintln!(
            "note: took over {} left by `zeitgeist {}` (pid {}, gone)",
            lock.path().display(),
            stale.command,
            stale.pid
        );
    }
    for dir in [paths.data(), paths.content()] {
        let removed = crate::atomic::remove_stale_temps(&dir)
            .with_context(|| format!("{}: cannot remove stale temp files", dir.display()))?;
        if !removed.is_empty() {
            eprintln!(
                "note: removed {} temp file(s) an interrupted run left under {}",
                removed.len(),
                dir.display()
            );
        }
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
        let written: LockInfo = serde_json::from_slice(&fs::read(first.path()).unwrap()).unwrap();
        assert_eq!(
            (written.pid, written.command.as_str()),
            (std::process::id(), "run")
        );
        let err = RunLock::acquire(dir.path(), "collect")
            .unwrap_err()
            .to_string();
        assert!(err.contains("another `zeitgeist run`"), "{err}");
        assert!(err.starts_with(&dir.path().join(".lock").display().to_string()));
        let path = first.path().to_path_buf();
        drop(first);
        assert!(!path.exists());
        let again = RunLock::acquire(dir.path(), "run").unwrap();
        drop(again);
        assert!(!path.exists());
    }

    #[test]
    fn a_leftover_file_naming_a_live_process_does_not_hold_the_lock() {
        // A dead run's file whose pid now belongs to another live process (our parent).
        let dir = tempfile::tempdir().unwrap();
        let leftover = LockInfo {
            pid: std::os::unix::process::parent_id(),
            command: "run".into(),
            started_at: Utc::now(),
        };
        fs::write(
            dir.path().join(LOCK_FILE),
            serde_json::to_vec(&leftover).unwrap(),
        )
        .unwrap();
        let lock = RunLock::acquire(dir.path(), "run").unwrap();
        assert_eq!(lock.replaced, Some(leftover));
    }

    #[test]
    fn a_garbled_leftover_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(LOCK_FILE), b"{").unwrap();
        let lock = RunLock::acquire(dir.path(), "run").unwrap();
        assert_eq!(lock.replaced, None);
        assert!(read_info(&mut File::open(lock.path()).unwrap()).is_some());
    }
}
