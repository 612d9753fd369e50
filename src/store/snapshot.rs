//! One snapshot file: `data/snapshots/YYYY/MM/DD/<HHMMSS>-<source>.json`.
//!
//! A snapshot holds records of one source created on one UTC day, sorted by `(created_at, id)`.
//! The file is plain JSON — an object with a `header` and a `records` array — written with one
//! record per line so that git diffs and `grep` stay readable:
//!
//! ```text
//! {"header":{"schema":1,"source":"reddit","window":{"start":…,"end":…},"counts":{"records":2,"near_duplicates":0}},
//! "records":[
//! {"id":"reddit:1iri7md",…},
//! {"id":"reddit:1iryltu",…}
//! ]}
//! ```
//!
//! Plain by default: git already deflates objects, so gzip barely shrinks the repository, and
//! plain JSON reads faster and diffs line by line (see `data/README.md`). Compaction can store a
//! finished day as `<HHMMSS>-<source>.json.gz` instead ([`Encoding::Gzip`], for a working tree or
//! a host that keeps files uncompressed); [`Snapshot::read`] takes either, through one parser.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::model::{Record, Source};

/// The snapshot format version; readers refuse files of another version.
pub const SCHEMA_VERSION: u32 = 1;

/// What a snapshot says about itself, before its records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotHeader {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema: u32,
    /// Every record in the file comes from this source.
    pub source: Source,
    /// The earliest and latest `created_at` among the records (both inclusive).
    pub window: CreatedSpan,
    pub counts: SnapshotCounts,
}

/// The earliest and latest `created_at` of a snapshot's records, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatedSpan {
    /// The earliest `created_at`.
    pub start: DateTime<Utc>,
    /// The latest `created_at`.
    pub end: DateTime<Utc>,
}

/// Counts a reader can check without trusting the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotCounts {
    /// Records in the file.
    pub records: usize,
    /// Records whose `near_duplicate_of` is set.
    pub near_duplicates: usize,
}

/// How a snapshot file is stored: plain JSON (`.json`) or gzipped JSON (`.json.gz`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Encoding {
    /// `<HHMMSS>-<source>.json`, what collection writes.
    #[default]
    Plain,
    /// `<HHMMSS>-<source>.json.gz`, written only by compaction, with a zeroed gzip header so equal
    /// records give equal bytes.
    Gzip,
}

impl Encoding {
    /// Gzip when `gzip` is set (`zeitgeist compact --gzip`, `[run] compact_gzip`), else plain.
    pub fn gzip_if(gzip: bool) -> Encoding {
        if gzip {
            Encoding::Gzip
        } else {
            Encoding::Plain
        }
    }

    /// The encoding a file name says it has.
    pub fn of(path: &Path) -> Encoding {
        if path.to_string_lossy().ends_with(".json.gz") {
            Encoding::Gzip
        } else {
            Encoding::Plain
        }
    }

    /// The file name ending: `.json` or `.json.gz`.
    pub fn extension(self) -> &'static str {
        match self {
            Encoding::Plain => ".json",
            Encoding::Gzip => ".json.gz",
        }
    }

    /// The bytes to write for a snapshot's plain bytes.
    pub fn encode(self, plain: Vec<u8>) -> Vec<u8> {
        match self {
            Encoding::Plain => plain,
            Encoding::Gzip => crate::gzip::gzip(&plain).expect("gzip into memory does not fail"),
        }
    }

    /// The plain bytes of a file's content; `path` is only used in messages.
    fn decode(self, path: &Path, stored: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        match self {
            Encoding::Plain => Ok(stored),
            Encoding::Gzip => {
                let mut plain = Vec::with_capacity(stored.len() * 6);
                flate2::read::GzDecoder::new(stored.as_slice())
                    .read_to_end(&mut plain)
                    .map_err(|e| StoreError::Corrupt {
                        path: path.to_path_buf(),
                        message: format!("gzip: {e}"),
                    })?;
                Ok(plain)
            }
        }
    }
}

/// A decoded snapshot file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub header: SnapshotHeader,
    /// Sorted by `(created_at, id)`.
    pub records: Vec<Record>,
}

impl Snapshot {
    /// Builds a snapshot from records of one source and one day, sorting them.
    /// Callers never pass an empty list: a snapshot without records is not written.
    pub fn new(source: Source, mut records: Vec<Record>) -> Snapshot {
        assert!(!records.is_empty(), "a snapshot needs at least one record");
        sort_records(&mut records);
        let header = SnapshotHeader {
            schema: SCHEMA_VERSION,
            source,
            window: CreatedSpan {
                start: records[0].created_at,
                end: records[records.len() - 1].created_at,
            },
            counts: SnapshotCounts {
                records: records.len(),
                near_duplicates: records
                    .iter()
                    .filter(|r| r.near_duplicate_of.is_some())
                    .count(),
            },
        };
        Snapshot { header, records }
    }

    /// The file's bytes: header on the first line, then one record per line.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512 * self.records.len() + 256);
        out.extend_from_slice(b"{\"header\":");
        serde_json::to_writer(&mut out, &self.header).expect("headers always serialize");
        out.extend_from_slice(b",\n\"records\":[\n");
        for (i, record) in self.records.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b",\n");
            }
            serde_json::to_writer(&mut out, record).expect("records always serialize");
        }
        out.extend_from_slice(b"\n]}\n");
        out
    }

    /// Reads and checks a snapshot file, plain or gzipped (by its name): schema version, one
    /// source, the record count.
    pub fn read(path: &Path) -> Result<Snapshot, StoreError> {
        let stored = fs::read(path).map_err(|e| StoreError::io(path, e))?;
        let bytes = Encoding::of(path).decode(path, stored)?;
        Snapshot::from_bytes(path, &bytes)
    }

    /// Decodes and checks snapshot bytes; `path` is only used in messages.
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Snapshot, StoreError> {
        let corrupt = |message: String| StoreError::Corrupt {
            path: path.to_path_buf(),
            message,
        };
        let snapshot: Snapshot =
            serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
        let header = &snapshot.header;
        if header.schema != SCHEMA_VERSION {
            return Err(corrupt(format!(
                "schema {} is not the supported schema {SCHEMA_VERSION}",
                header.schema
            )));
        }
        if header.counts.records != snapshot.records.len() {
            return Err(corrupt(format!(
                "header counts {} records but the file holds {}",
                header.counts.records,
                snapshot.records.len()
            )));
        }
        if let Some(stray) = snapshot.records.iter().find(|r| r.source != header.source) {
            return Err(corrupt(format!(
                "record `{}` is from {}, not {}",
                stray.id, stray.source, header.source
            )));
        }
        Ok(snapshot)
    }

    /// The file name this snapshot prefers: `<HHMMSS>-<source>.json` (or `.json.gz`), the time
    /// being the latest `collected_at` of its records (the collection run's time, stable across
    /// re-imports).
    pub fn preferred_file_name(&self, encoding: Encoding) -> String {
        let collected = self
            .records
            .iter()
            .map(|r| r.collected_at)
            .max()
            .expect("never empty");
        format!(
            "{:02}{:02}{:02}-{}{}",
            collected.hour(),
            collected.minute(),
            collected.second(),
            self.header.source,
            encoding.extension()
        )
    }
}

/// The store's one record order: by creation time, then id. Stable, so among records with the
/// same id the first given stays first.
pub fn sort_records(records: &mut [Record]) {
    records.sort_by(record_order);
}

/// Compares records by `(created_at, id)`.
pub fn record_order(a: &Record, b: &Record) -> std::cmp::Ordering {
    (a.created_at, &a.id).cmp(&(b.created_at, &b.id))
}

/// `snapshots/YYYY/MM/DD`, the folder of one UTC day.
pub fn day_dir(snapshots: &Path, day: NaiveDate) -> PathBuf {
    snapshots.join(day.format("%Y/%m/%d").to_string())
}

/// A free file name in `dir`: `preferred`, else `<stem>-2.json`, `<stem>-3.json`, … (the
/// ending, `.json` or `.json.gz`, is kept).
pub fn free_path(dir: &Path, preferred: &str) -> PathBuf {
    let (stem, ending) = preferred.split_at(preferred.find(".json").unwrap_or(preferred.len()));
    std::iter::once(dir.join(preferred))
        .chain((2..).map(|n| dir.join(format!("{stem}-{n}{ending}"))))
        .find(|path| !path.exists())
        .expect("an unbounded sequence of names has a free one")
}

/// Whether a folder entry is a snapshot: `*.json` or `*.json.gz`, not hidden (temp files start
/// with a dot).
pub fn is_snapshot_name(name: &str) -> bool {
    (name.ends_with(".json") || name.ends_with(".json.gz")) && !name.starts_with('.')
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Engagement, Kind, RecordId};

    pub(crate) fn record(native: &str, created: &str) -> Record {
        let at: DateTime<Utc> = created.parse().unwrap();
        Record {
            id: RecordId::new(Source::Reddit, native),
            source: Source::Reddit,
            kind: Kind::Post,
            url: format!("https://www.reddit.com/comments/{native}"),
            title: format!("title {native}"),
            text: String::new(),
            author: None,
            author_id: None,
            community: Some("LocalLLaMA".into()),
            created_at: at,
            collected_at: at,
            language: None,
            engagement: Engagement {
                score: Some(3),
                ..Engagement::default()
            },
            parent_id: None,
            thread_id: None,
            matched: None,
            near_duplicate_of: None,
            extra: serde_json::Map::new(),
            truncated: false,
        }
    }

    #[test]
    fn bytes_round_trip_sorted_with_header() {
        let records = vec![
            record("b", "2026-01-02T10:00:00Z"),
            record("a", "2026-01-02T10:00:00Z"),
            record("c", "2026-01-02T09:00:00Z"),
        ];
        let snapshot = Snapshot::new(Source::Reddit, records);
        let ids: Vec<_> = snapshot.records.iter().map(|r| r.id.native_id()).collect();
        assert_eq!(ids, ["c", "a", "b"]);
        assert_eq!(
            snapshot.header.window.start.to_rfc3339(),
            "2026-01-02T09:00:00+00:00"
        );
        assert_eq!(
            snapshot.preferred_file_name(Encoding::Plain),
            "100000-reddit.json"
        );
        let bytes = snapshot.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(text.lines().count(), 6, "{text}");
        let again = Snapshot::from_bytes(Path::new("x.json"), &bytes).unwrap();
        assert_eq!(again, snapshot);
    }

    #[test]
    fn wrong_count_and_wrong_source_are_named() {
        let bytes =
            Snapshot::new(Source::Reddit, vec![record("a", "2026-01-02T10:00:00Z")]).to_bytes();
        let text = String::from_utf8(bytes).unwrap();
        let miscounted = text.replace("\"records\":1", "\"records\":2");
        let err = Snapshot::from_bytes(Path::new("d/x.json"), miscounted.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "d/x.json: header counts 2 records but the file holds 1"
        );
        let stray = text.replace(
            "\"source\":\"reddit\",\"window\"",
            "\"source\":\"bluesky\",\"window\"",
        );
        let err = Snapshot::from_bytes(Path::new("x.json"), stray.as_bytes()).unwrap_err();
        assert!(
            err.to_string().contains("is from reddit, not bluesky"),
            "{err}"
        );
    }

    #[test]
    fn free_path_skips_taken_names() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            free_path(dir.path(), "000000-reddit.json"),
            dir.path().join("000000-reddit.json")
        );
        fs::write(dir.path().join("000000-reddit.json"), b"{}").unwrap();
        fs::write(dir.path().join("000000-reddit-2.json"), b"{}").unwrap();
        assert_eq!(
            free_path(dir.path(), "000000-reddit.json"),
            dir.path().join("000000-reddit-3.json")
        );
        fs::write(dir.path().join("000000-reddit.json.gz"), b"").unwrap();
        assert_eq!(
            free_path(dir.path(), "000000-reddit.json.gz"),
            dir.path().join("000000-reddit-2.json.gz")
        );
    }

    #[test]
    fn gzip_files_read_through_the_same_parser_and_encode_deterministically() {
        let dir = tempfile::tempdir().unwrap();
        let snapshot = Snapshot::new(Source::Reddit, vec![record("a", "2026-01-02T10:00:00Z")]);
        let gz = Encoding::Gzip.encode(snapshot.to_bytes());
        assert_eq!(gz, Encoding::Gzip.encode(snapshot.to_bytes()));
        assert_eq!(&gz[4..8], &[0, 0, 0, 0], "gzip mtime is zero");
        let path = dir
            .path()
            .join(snapshot.preferred_file_name(Encoding::Gzip));
        assert!(path.ends_with("100000-reddit.json.gz"));
        fs::write(&path, &gz).unwrap();
        assert_eq!(Snapshot::read(&path).unwrap(), snapshot);
        fs::write(&path, &gz[..gz.len() / 2]).unwrap();
        let err = Snapshot::read(&path).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}: gzip:", path.display())),
            "{err}"
        );
        assert!(is_snapshot_name("100000-reddit.json.gz"));
        assert!(!is_snapshot_name(".100000-reddit.json.gz.tmp"));
    }
}
