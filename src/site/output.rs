//! Where rendered files go: a staging folder that atomically replaces the output folder
//! (`build`), or memory (`serve`, `check`).
//!
//! Files in the staging folder are written plainly, without a per-file fsync: nobody reads the
//! staging folder, and the one step readers can observe — the rename of the whole folder over
//! the output — happens only after every file was written. A file whose bytes equal the previous
//! output's is hard-linked from it instead of rewritten, so unchanged files keep their
//! modification time (cheap uploads and rsync) and cost no write.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::atomic::sync_dir;
use crate::site::{Problem, SiteError};

/// Receives the files of a render, by path relative to the output root (`/`-separated).
pub trait Sink: Sync {
    /// Stores a rendered file.
    fn put(&self, rel: &str, bytes: Vec<u8>) -> Result<(), Problem>;
    /// Stores a copy of a static file.
    fn copy(&self, rel: &str, source: &Path) -> Result<(), Problem>;
}

/// How many files a staging build wrote and how many it kept from the previous output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub written: usize,
    pub unchanged: usize,
}

/// A folder beside the output folder that becomes the output folder on [`Staging::publish`].
/// Dropped without publishing, it is deleted and the output folder was never touched.
pub struct Staging {
    dir: PathBuf,
    output: PathBuf,
    written: AtomicUsize,
    unchanged: AtomicUsize,
}

impl Staging {
    /// Creates an empty staging folder for `output` (removing one a crashed build left).
    pub fn create(output: &Path) -> Result<Staging, SiteError> {
        let dir = sibling(output, "staging");
        let fail = |source| SiteError::Output {
            path: dir.clone(),
            source,
        };
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(fail)?;
        }
        fs::create_dir_all(&dir).map_err(fail)?;
        Ok(Staging {
            dir,
            output: output.to_path_buf(),
            written: AtomicUsize::new(0),
            unchanged: AtomicUsize::new(0),
        })
    }

    pub fn counts(&self) -> Counts {
        Counts {
            written: self.written.load(Ordering::Relaxed),
            unchanged: self.unchanged.load(Ordering::Relaxed),
        }
    }

    /// Swaps the staging folder in place of the output folder.
    pub fn publish(self) -> Result<(), SiteError> {
        let fail = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SiteError::Output { path, source }
        };
        let previous = sibling(&self.output, "previous");
        if previous.exists() {
            fs::remove_dir_all(&previous).map_err(fail(&previous))?;
        }
        let had_output = self.output.exists();
        if had_output {
            fs::rename(&self.output, &previous).map_err(fail(&self.output))?;
        }
        if let Err(source) = fs::rename(&self.dir, &self.output) {
            if had_output {
                // Put the old site back so a failed swap never leaves no site at all.
                let _ = fs::rename(&previous, &self.output);
            }
            return Err(SiteError::Output {
                path: self.output.clone(),
                source,
            });
        }
        if let Some(parent) = self.output.parent() {
            let _ = sync_dir(parent);
        }
        if had_output {
            // The new site is published; a leftover old copy is removed by the next build.
            let _ = fs::remove_dir_all(&previous);
        }
        Ok(())
    }

    fn target(&self, rel: &str) -> Result<PathBuf, Problem> {
        let target = self.dir.join(rel);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| write_problem(&target, e))?;
        }
        Ok(target)
    }

    /// Links the previous output's copy of `rel` if it holds exactly `bytes`.
    fn reuse_previous(
        &self,
        rel: &str,
        target: &Path,
        same_as: impl FnOnce(&Path, u64) -> bool,
    ) -> bool {
        let previous = self.output.join(rel);
        let reused = fs::metadata(&previous)
            .is_ok_and(|m| m.is_file() && same_as(&previous, m.len()))
            && fs::hard_link(&previous, target).is_ok();
        if reused {
            self.unchanged.fetch_add(1, Ordering::Relaxed);
        } else {
            self.written.fetch_add(1, Ordering::Relaxed);
        }
        reused
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.dir.exists() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

impl Sink for Staging {
    fn put(&self, rel: &str, bytes: Vec<u8>) -> Result<(), Problem> {
        let target = self.target(rel)?;
        let same = |previous: &Path, len: u64| {
            len == bytes.len() as u64 && fs::read(previous).is_ok_and(|old| old == bytes)
        };
        if !self.reuse_previous(rel, &target, same) {
            fs::write(&target, &bytes).map_err(|e| write_problem(&target, e))?;
        }
        Ok(())
    }

    fn copy(&self, rel: &str, source: &Path) -> Result<(), Problem> {
        let target = self.target(rel)?;
        let same = |previous: &Path, len: u64| {
            fs::metadata(source).is_ok_and(|m| m.len() == len)
                && matches!((fs::read(previous), fs::read(source)), (Ok(a), Ok(b)) if a == b)
        };
        if !self.reuse_previous(rel, &target, same) {
            fs::copy(source, &target).map_err(|e| {
                Problem::new(
                    source,
                    None,
                    format!("cannot copy to {}: {e}", target.display()),
                )
            })?;
        }
        Ok(())
    }
}

/// `public` → `.zeitgeist-staging-public` in the same folder, so the final rename stays on one
/// file system.
fn sibling(output: &Path, role: &str) -> PathBuf {
    let name = output
        .file_name()
        .map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned());
    let parent = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    parent.join(format!(".zeitgeist-{role}-{name}"))
}

fn write_problem(path: &Path, e: io::Error) -> Problem {
    Problem::new(path, None, format!("cannot write: {e}"))
}

/// Rendered files kept in memory, shared with the server that serves them.
#[derive(Debug, Default)]
pub struct Memory {
    files: Mutex<BTreeMap<String, Arc<Vec<u8>>>>,
}

impl Memory {
    /// The file at `rel`, if any.
    pub fn get(&self, rel: &str) -> Option<Arc<Vec<u8>>> {
        self.lock().get(rel).cloned()
    }

    /// All output paths, sorted.
    pub fn paths(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// A snapshot of every file.
    pub fn snapshot(&self) -> BTreeMap<String, Arc<Vec<u8>>> {
        self.lock().clone()
    }

    /// Forgets a file that is no longer produced.
    pub fn remove(&self, rel: &str) {
        self.lock().remove(rel);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<Vec<u8>>>> {
        self.files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Sink for Memory {
    fn put(&self, rel: &str, bytes: Vec<u8>) -> Result<(), Problem> {
        self.lock().insert(rel.to_string(), Arc::new(bytes));
        Ok(())
    }

    fn copy(&self, rel: &str, source: &Path) -> Result<(), Problem> {
        let bytes = fs::read(source)
            .map_err(|e| Problem::new(source, None, format!("cannot read: {e}")))?;
        self.put(rel, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_replaces_output_and_links_unchanged_files() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        let first = Staging::create(&output).unwrap();
        first.put("a/index.html", b"same".to_vec()).unwrap();
        first.put("b.txt", b"old".to_vec()).unwrap();
        first.publish().unwrap();

        let second = Staging::create(&output).unwrap();
        second.put("a/index.html", b"same".to_vec()).unwrap();
        second.put("c.txt", b"new".to_vec()).unwrap();
        assert_eq!(
            second.counts(),
            Counts {
                written: 1,
                unchanged: 1
            }
        );
        second.publish().unwrap();
        assert_eq!(fs::read(output.join("a/index.html")).unwrap(), b"same");
        assert!(!output.join("b.txt").exists());
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("public")]);
    }

    #[test]
    fn dropped_staging_leaves_output_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        fs::create_dir_all(&output).unwrap();
        fs::write(output.join("keep.html"), "old").unwrap();
        let staging = Staging::create(&output).unwrap();
        staging.put("keep.html", b"new".to_vec()).unwrap();
        drop(staging);
        assert_eq!(fs::read_to_string(output.join("keep.html")).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
