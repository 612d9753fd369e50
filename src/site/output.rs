//! Where rendered files go: a staging folder that atomically replaces the output folder
//! (`build`), or memory (`serve`, `check`).
//!
//! Files in the staging folder are written plainly, without a per-file fsync: nobody reads the
//! staging folder, and the one step readers can observe — the rename of the whole folder over
//! the output — happens only after every file was written. A file whose bytes equal the previous
//! output's is hard-linked from it instead of rewritten, so unchanged files keep their
//! modification time (cheap uploads and rsync) and cost no write.
//!
//! The output folder a build replaces is not deleted: it is kept beside the output as the next
//! build's staging folder, whose folders and files are reused in place. Deleting and recreating
//! some 10,000 folders and 20,000 files per build is what made rebuilds slow on disk: on ext4
//! without a journal, deleting a tree waits on synchronous metadata reads (0.5 ms per unlink
//! here), and every inode freed within the last minutes is skipped, one by one, by each new
//! file's inode allocation. Reusing the tree creates and frees almost nothing.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, Metadata};
use std::io::{self, Write};
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
/// It starts as the output before last (left by the previous publish), or empty; dropped
/// without publishing, it stays as scratch space and the output folder was never touched.
pub struct Staging {
    dir: PathBuf,
    output: PathBuf,
    /// Whether `dir` held an earlier tree, whose files this build did not produce are removed
    /// before publishing.
    reused: bool,
    /// Whether there is an output folder to compare with (not on a first build).
    had_output: bool,
    /// Folders of `dir` known to exist, so each is checked or created once.
    folders: Mutex<HashSet<PathBuf>>,
    /// Every file this build produced, relative to `dir`.
    produced: Mutex<HashSet<String>>,
    written: AtomicUsize,
    unchanged: AtomicUsize,
}

impl Staging {
    /// Opens the staging folder for `output`: the previous build's leftover tree if there is
    /// one, else a new empty folder.
    pub fn create(output: &Path) -> Result<Staging, SiteError> {
        let dir = sibling(output, "staging");
        let fail = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SiteError::Output { path, source }
        };
        recover_swap(output, &dir).map_err(fail(output))?;
        let reused = fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir());
        if !reused {
            remove_entry(&dir).map_err(fail(&dir))?;
            fs::create_dir_all(&dir).map_err(fail(&dir))?;
        }
        Ok(Staging {
            folders: Mutex::new(HashSet::from([dir.clone()])),
            dir,
            output: output.to_path_buf(),
            reused,
            had_output: output.is_dir(),
            produced: Mutex::new(HashSet::new()),
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

    /// Removes what an earlier tree left that this build did not produce, then swaps the
    /// staging folder in place of the output folder; the replaced output becomes the next
    /// build's staging folder.
    pub fn publish(self) -> Result<(), SiteError> {
        let fail = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SiteError::Output { path, source }
        };
        if self.reused {
            self.remove_unproduced().map_err(fail(&self.dir))?;
        }
        let previous = sibling(&self.output, "previous");
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
            // The new site is published; the old one is the next build's scratch space.
            let _ = fs::rename(&previous, &self.dir);
        }
        Ok(())
    }

    /// Deletes the files of the staging folder this build did not produce, and the folders
    /// left empty.
    fn remove_unproduced(&self) -> io::Result<()> {
        let produced = lock(&self.produced);
        let folders = lock(&self.folders);
        for entry in walkdir::WalkDir::new(&self.dir)
            .min_depth(1)
            .contents_first(true)
        {
            let entry = entry.map_err(io::Error::other)?;
            let path = entry.path();
            if entry.file_type().is_dir() {
                if !folders.contains(path) {
                    fs::remove_dir(path)?;
                }
            } else if !produced.contains(&crate::site::slash_path(&self.dir, path)) {
                fs::remove_file(path)?;
            }
        }
        Ok(())
    }

    /// Stores `bytes` at `rel`: kept as it is if it already is the output's unchanged file,
    /// linked from the output if the output holds the same bytes, else written.
    fn store(&self, rel: &str, bytes: &[u8]) -> Result<(), Problem> {
        let target = self.dir.join(rel);
        let problem = |e| write_problem(&target, e);
        if let Some(parent) = target.parent() {
            self.ensure_folder(parent).map_err(problem)?;
        }
        // A new staging folder holds nothing this build did not write, and each path is
        // written once: no need to look.
        let mut scratch = None;
        if self.reused {
            lock(&self.produced).insert(rel.to_string());
            scratch = fs::symlink_metadata(&target).ok();
        }
        if let Some((live_path, live)) = self.unchanged_live_file(rel, bytes) {
            if scratch.as_ref().is_some_and(|s| same_file(s, &live)) {
                self.unchanged.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            if scratch.take().is_some() {
                remove_entry(&target).map_err(problem)?;
            }
            if fs::hard_link(&live_path, &target).is_ok() {
                self.unchanged.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
        }
        self.written.fetch_add(1, Ordering::Relaxed);
        match scratch {
            Some(s) if s.is_file() && !is_shared(&s) => overwrite(&target, bytes),
            Some(_) => remove_entry(&target).and_then(|()| fs::write(&target, bytes)),
            None => fs::write(&target, bytes),
        }
        .map_err(problem)
    }

    /// The output's file at `rel` and its metadata, if it holds exactly `bytes`.
    fn unchanged_live_file(&self, rel: &str, bytes: &[u8]) -> Option<(PathBuf, Metadata)> {
        if !self.had_output {
            return None;
        }
        let path = self.output.join(rel);
        let live = fs::metadata(&path)
            .ok()
            .filter(|m| m.is_file() && m.len() == bytes.len() as u64)?;
        fs::read(&path)
            .is_ok_and(|old| old == bytes)
            .then_some((path, live))
    }

    /// Makes sure `folder` (inside the staging folder) is a folder, replacing a file of that
    /// name an earlier tree may have left.
    fn ensure_folder(&self, folder: &Path) -> io::Result<()> {
        if lock(&self.folders).contains(folder) {
            return Ok(());
        }
        if let Some(parent) = folder.parent() {
            if parent.starts_with(&self.dir) {
                self.ensure_folder(parent)?;
            }
        }
        // A new staging folder holds only the folders this build made: nothing to look at.
        let existing = if self.reused {
            fs::symlink_metadata(folder).ok()
        } else {
            None
        };
        match existing {
            Some(m) if m.is_dir() => {}
            Some(_) => {
                fs::remove_file(folder)?;
                create_folder(folder)?;
            }
            None => create_folder(folder)?,
        }
        lock(&self.folders).insert(folder.to_path_buf());
        Ok(())
    }
}

impl Sink for Staging {
    fn put(&self, rel: &str, bytes: Vec<u8>) -> Result<(), Problem> {
        self.store(rel, &bytes)
    }

    fn copy(&self, rel: &str, source: &Path) -> Result<(), Problem> {
        let bytes = fs::read(source)
            .map_err(|e| Problem::new(source, None, format!("cannot read: {e}")))?;
        self.store(rel, &bytes)
    }
}

/// Finishes or undoes a [`Staging::publish`] that was interrupted, so no site is ever lost.
/// The swap renames the output to `previous`, the staging folder to the output, then
/// `previous` to the staging folder; a `previous` folder means it stopped part way:
/// - with no output, between the first two renames: the old site is put back (undo);
/// - with an output, after the second: the new site is published, and the old one becomes the
///   staging folder (finish), unless one is there already (then it is surplus).
fn recover_swap(output: &Path, staging: &Path) -> io::Result<()> {
    let previous = sibling(output, "previous");
    if fs::symlink_metadata(&previous).is_err() {
        return Ok(());
    }
    if fs::symlink_metadata(output).is_err() {
        fs::rename(&previous, output)?;
    } else if fs::symlink_metadata(staging).is_err() {
        fs::rename(&previous, staging)?;
    } else {
        remove_entry(&previous)?;
    }
    if let Some(parent) = output.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Creates one folder; another thread creating it first is fine.
fn create_folder(folder: &Path) -> io::Result<()> {
    match fs::create_dir(folder) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && folder.is_dir() => Ok(()),
        other => other,
    }
}

/// Replaces a scratch file's bytes in place, without truncating it first: its inode and data
/// blocks are reused, so nothing is freed (and discarded) and allocated again.
fn overwrite(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs::OpenOptions::new().write(true).open(path)?;
    file.write_all(bytes)?;
    file.set_len(bytes.len() as u64)
}

/// Removes a file or folder tree at `path`, if there is one.
fn remove_entry(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &Metadata, _: &Metadata) -> bool {
    false
}

/// Whether other names link to this file (then it must not be changed in place).
#[cfg(unix)]
fn is_shared(m: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    m.nlink() > 1
}

#[cfg(not(unix))]
fn is_shared(_: &Metadata) -> bool {
    true
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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
        lock(&self.files)
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

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn build(output: &Path, files: &[(&str, &str)]) -> Counts {
        let staging = Staging::create(output).unwrap();
        for (rel, text) in files {
            staging.put(rel, text.as_bytes().to_vec()).unwrap();
        }
        let counts = staging.counts();
        staging.publish().unwrap();
        counts
    }

    #[test]
    fn publish_replaces_output_and_links_unchanged_files() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        build(&output, &[("a/index.html", "same"), ("b.txt", "old")]);
        let counts = build(&output, &[("a/index.html", "same"), ("c.txt", "new")]);
        assert_eq!(
            counts,
            Counts {
                written: 1,
                unchanged: 1
            }
        );
        assert_eq!(fs::read(output.join("a/index.html")).unwrap(), b"same");
        assert!(!output.join("b.txt").exists());
        // The replaced output is kept as the next build's scratch space, nothing else.
        assert_eq!(names(dir.path()), [".zeitgeist-staging-public", "public"]);
    }

    #[test]
    fn reused_scratch_tree_yields_exactly_the_new_output() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        build(
            &output,
            &[("a/index.html", "one"), ("b/x.txt", "gone"), ("c", "file")],
        );
        build(&output, &[("a/index.html", "two"), ("b/x.txt", "kept")]);
        // The scratch tree now holds the first build: one file changed twice, a folder whose
        // only file disappears, a file that becomes a folder, and a folder that becomes a file.
        let counts = build(
            &output,
            &[
                ("a/index.html", "three"),
                ("c/index.html", "nested"),
                ("b", "flat"),
            ],
        );
        assert_eq!(counts.written, 3);
        assert_eq!(names(&output), ["a", "b", "c"]);
        assert_eq!(
            fs::read_to_string(output.join("a/index.html")).unwrap(),
            "three"
        );
        assert_eq!(fs::read_to_string(output.join("b")).unwrap(), "flat");
        assert_eq!(
            fs::read_to_string(output.join("c/index.html")).unwrap(),
            "nested"
        );
        // The output before stays intact in the scratch folder until the next build.
        let scratch = dir.path().join(".zeitgeist-staging-public");
        assert_eq!(
            fs::read_to_string(scratch.join("a/index.html")).unwrap(),
            "two"
        );
        assert_eq!(fs::read_to_string(scratch.join("b/x.txt")).unwrap(), "kept");

        let counts = build(&output, &[("a/index.html", "three"), ("b", "flat")]);
        assert_eq!(
            counts,
            Counts {
                written: 0,
                unchanged: 2
            }
        );
        assert_eq!(names(&output), ["a", "b"]);
    }

    #[test]
    fn a_swap_cut_between_its_renames_is_undone_and_after_them_finished() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        let staging = sibling(&output, "staging");
        let previous = sibling(&output, "previous");
        build(&output, &[("page.html", "one")]);
        build(&output, &[("page.html", "two")]);
        // Killed after the first rename: no output, the old site in `previous`.
        fs::rename(&output, &previous).unwrap();
        Staging::create(&output).unwrap();
        assert_eq!(fs::read_to_string(output.join("page.html")).unwrap(), "two");
        assert_eq!(
            names(dir.path()),
            [".zeitgeist-staging-public", "public"],
            "the old site is back"
        );
        // Killed after the second: the new site is out, the old one not yet scratch.
        fs::rename(&staging, &previous).unwrap();
        Staging::create(&output).unwrap();
        assert_eq!(fs::read_to_string(output.join("page.html")).unwrap(), "two");
        assert_eq!(
            fs::read_to_string(staging.join("page.html")).unwrap(),
            "one"
        );
        assert_eq!(names(dir.path()), [".zeitgeist-staging-public", "public"]);
        build(&output, &[("page.html", "three")]);
        assert_eq!(
            fs::read_to_string(output.join("page.html")).unwrap(),
            "three"
        );
    }

    #[test]
    fn dropped_staging_leaves_output_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        build(&output, &[("keep.html", "old")]);
        build(&output, &[("keep.html", "old")]);
        let staging = Staging::create(&output).unwrap();
        staging.put("keep.html", b"new".to_vec()).unwrap();
        staging.put("extra.html", b"new".to_vec()).unwrap();
        drop(staging);
        assert_eq!(names(&output), ["keep.html"]);
        assert_eq!(fs::read_to_string(output.join("keep.html")).unwrap(), "old");
    }
}
