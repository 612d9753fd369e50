//! Crash-safe file writes shared by every stage: a reader sees the old file or the new one,
//! never half of either. The temp file lives beside the target so the rename stays on one
//! file system, and it is synced before the rename so a power cut cannot publish an empty file.
//! A process killed mid-write leaves its temp file behind; [`remove_stale_temps`] clears them.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// How our temp files are named: `.zeitgeist-<random>.tmp`.
const TEMP_PREFIX: &str = ".zeitgeist-";
const TEMP_SUFFIX: &str = ".tmp";

/// Writes `bytes` to `path` atomically: temp file in the same folder, fsync, rename, fsync folder.
/// Creates missing parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent_dir(path);
    fs::create_dir_all(dir)?;
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    make_readable(temp.as_file())?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// Deletes every temp file of our naming under `dir` (a missing `dir` holds none) and returns
/// their paths. Only safe while no writer can be working there: the commands call it once they
/// hold the lock on `data/`.
pub fn remove_stale_temps(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e)
                if e.io_error()
                    .is_some_and(|e| e.kind() == io::ErrorKind::NotFound) =>
            {
                continue
            }
            Err(e) => return Err(io::Error::other(e)),
        };
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_file()
            && name.starts_with(TEMP_PREFIX)
            && name.ends_with(TEMP_SUFFIX)
        {
            fs::remove_file(entry.path())?;
            removed.push(entry.into_path());
        }
    }
    Ok(removed)
}

/// Temp files are created private (0600); the files we publish are ordinary data that readers,
/// web servers and other users' tools must be able to read, like any file `fs::write` makes.
#[cfg(unix)]
fn make_readable(file: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn make_readable(_file: &File) -> io::Result<()> {
    Ok(())
}

/// Flushes a folder's entries (new names, renames) to disk. Best effort where the platform
/// cannot open folders.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    match File::open(dir) {
        Ok(handle) => handle.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/out.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o644, "published files are readable by everyone");
        }
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|name| name.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn stale_temps_of_our_naming_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs/2026/03");
        fs::create_dir_all(&runs).unwrap();
        for name in [
            ".zeitgeist-a1B2c3.tmp",
            "keep.json",
            ".zeitgeist-x.json",
            "a.tmp",
        ] {
            fs::write(runs.join(name), b"x").unwrap();
        }
        fs::write(dir.path().join(".zeitgeist-zz.tmp"), b"x").unwrap();
        let removed = remove_stale_temps(dir.path()).unwrap();
        assert_eq!(removed.len(), 2, "{removed:?}");
        let mut left: Vec<_> = fs::read_dir(&runs)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".zeitgeist-x.json", "a.tmp", "keep.json"]);
        assert!(remove_stale_temps(&dir.path().join("missing"))
            .unwrap()
            .is_empty());
    }
}
