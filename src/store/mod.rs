//! The store: every collected record, kept as JSON snapshot files under `data/`.
//!
//! ```text
//! data/snapshots/YYYY/MM/DD/<HHMMSS>-<source>.json   records of one source created that UTC day
//!                                 (or .json.gz: a day compacted with gzip; readers take both)
//! data/state/<source>.json                           that source's cursors: {"<query>": <opaque JSON>}
//! ```
//!
//! Writers hand the store a [`Batch`] (records plus the cursors that fetched them) and call
//! [`Store::commit`]: it drops records whose id is already stored (filling only the stored
//! copy's empty fields from them, [`fill`]), links near duplicates to their first copy
//! ([`dedup`]), writes one snapshot per UTC day atomically, and only then saves the cursors. A crash in between leaves the old cursors, so the next run fetches the same records
//! again and the id check drops the ones already written: nothing is lost, nothing doubled.
//!
//! Readers call [`Store::read_window`] (all records created in a time window, sorted) or
//! [`Store::fold_window`] (visit them in parallel without collecting them). Both read only the
//! day folders that overlap the window, one day per rayon task.
//!
//! There is one writer at a time (the collect, import and compact commands); readers may run
//! alongside it, since every file appears whole or not at all.

pub mod compact;
pub mod dedup;
pub mod fill;
pub mod import;
pub mod snapshot;

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rayon::prelude::*;

use crate::atomic::{sync_dir, write_atomic};
use crate::model::{Record, RecordId, Source};
use dedup::{DedupIndex, StoredRecord};
use snapshot::{day_dir, free_path, is_snapshot_name, Encoding, Snapshot};

/// What can go wrong reading or writing the store. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// (The I/O error is part of the message, not a chained source, so it is printed once.)
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: io::Error },
    /// A snapshot or state file that does not parse or fails its own checks.
    #[error("{path}: {message}")]
    Corrupt { path: PathBuf, message: String },
    /// A batch holding a record of another source (a collector bug).
    #[error("batch for {batch}: record `{id}` says it is from {record}")]
    WrongSource {
        batch: Source,
        id: RecordId,
        record: Source,
    },
    /// Compaction wrote a file that does not hold exactly the records it replaces.
    #[error("{path}: compaction check failed, inputs kept: {message}")]
    CompactMismatch { path: PathBuf, message: String },
}

impl StoreError {
    pub(crate) fn io(path: &Path, error: io::Error) -> StoreError {
        StoreError::Io {
            path: path.to_path_buf(),
            error,
        }
    }
}

/// A half-open span of creation times, `start <= created_at < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    /// First instant in the window.
    pub start: DateTime<Utc>,
    /// First instant after the window.
    pub end: DateTime<Utc>,
}

impl TimeWindow {
    /// The window `start <= created_at < end`.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> TimeWindow {
        TimeWindow { start, end }
    }

    /// Every representable time: the whole store.
    pub fn all() -> TimeWindow {
        TimeWindow {
            start: DateTime::<Utc>::MIN_UTC,
            end: DateTime::<Utc>::MAX_UTC,
        }
    }

    /// The UTC days `first..=last`.
    pub fn days(first: NaiveDate, last: NaiveDate) -> TimeWindow {
        let end = last
            .succ_opt()
            .map_or(DateTime::<Utc>::MAX_UTC, start_of_day);
        TimeWindow {
            start: start_of_day(first),
            end,
        }
    }

    /// Whether `at` falls in the window.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }

    fn overlaps_day(&self, day: NaiveDate) -> bool {
        let day_start = start_of_day(day);
        let next_day = day
            .succ_opt()
            .map_or(DateTime::<Utc>::MAX_UTC, start_of_day);
        day_start < self.end && self.start < next_day
    }
}

fn start_of_day(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

/// Records of one source to store, with the cursors to save once they are durable.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The source every record must come from.
    pub source: Source,
    /// Any order; duplicates allowed (they are dropped). `near_duplicate_of` is set by the store.
    pub records: Vec<Record>,
    /// Cursor updates, keyed by the query or feed they belong to; values are opaque to the store
    /// and replace the stored value for the same key. Keys not mentioned are kept.
    pub cursors: BTreeMap<String, serde_json::Value>,
}

impl Batch {
    /// A batch of records without cursor updates (what an import is).
    pub fn new(source: Source, records: Vec<Record>) -> Batch {
        Batch {
            source,
            records,
            cursors: BTreeMap::new(),
        }
    }

    /// Adds a cursor update for `key`.
    pub fn with_cursor(mut self, key: impl Into<String>, value: serde_json::Value) -> Batch {
        self.cursors.insert(key.into(), value);
        self
    }
}

/// What a commit did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitReport {
    /// Records in the batch.
    pub received: usize,
    /// Records written (never stored before).
    pub new: usize,
    /// Records dropped because their id was already stored or repeated in the batch.
    pub duplicates: usize,
    /// Stored records whose empty fields were filled from one of those duplicates ([`fill`]).
    pub filled: usize,
    /// New records linked to an earlier near-identical copy.
    pub near_duplicates: usize,
    /// Snapshot files written, in day order.
    pub files: Vec<PathBuf>,
    /// Snapshot files rewritten in place to fill stored records, in day order.
    pub rewritten: Vec<PathBuf>,
}

/// Proof that a batch's snapshots are durable; the only way to save its cursors.
/// [`Store::commit`] does both steps; they are separate so a crash between them can be tested.
#[derive(Debug)]
#[must_use = "the batch's cursors are saved only by `save_cursors`"]
pub struct PendingCursors {
    source: Source,
    cursors: BTreeMap<String, serde_json::Value>,
    report: CommitReport,
}

impl PendingCursors {
    /// Merges the batch's cursor updates into `data/state/<source>.json` (atomically).
    pub fn save_cursors(self, store: &Store) -> Result<CommitReport, StoreError> {
        if !self.cursors.is_empty() {
            let mut cursors = store.cursors(self.source)?;
            cursors.extend(self.cursors);
            let path = store.cursor_path(self.source);
            let mut bytes = serde_json::to_vec_pretty(&cursors).expect("JSON values serialize");
            bytes.push(b'\n');
            write_atomic(&path, &bytes).map_err(|e| StoreError::io(&path, e))?;
        }
        Ok(self.report)
    }
}

/// The records of one UTC day folder, in file name order.
#[derive(Debug, Clone)]
pub(crate) struct DayFiles {
    pub day: NaiveDate,
    pub files: Vec<PathBuf>,
}

/// A data folder's snapshots and cursors. Cheap to open; the id index that writes need is built
/// from the snapshots on the first write.
#[derive(Debug)]
pub struct Store {
    data_dir: PathBuf,
    index: Option<DedupIndex>,
}

impl Store {
    /// Opens the store in `data_dir` (usually `<root>/data`). The folder need not exist yet.
    pub fn open(data_dir: impl Into<PathBuf>) -> Store {
        Store {
            data_dir: data_dir.into(),
            index: None,
        }
    }

    /// `data/snapshots`.
    pub fn snapshots_dir(&self) -> PathBuf {
        self.data_dir.join("snapshots")
    }

    /// `data/state/<source>.json`.
    pub fn cursor_path(&self, source: Source) -> PathBuf {
        self.data_dir.join("state").join(format!("{source}.json"))
    }

    /// A source's saved cursors (empty when none were saved yet).
    pub fn cursors(
        &self,
        source: Source,
    ) -> Result<BTreeMap<String, serde_json::Value>, StoreError> {
        let path = self.cursor_path(source);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                path,
                message: e.to_string(),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(StoreError::io(&path, e)),
        }
    }

    /// One cursor: the value saved for `key` of `source`.
    pub fn cursor(
        &self,
        source: Source,
        key: &str,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        Ok(self.cursors(source)?.remove(key))
    }

    /// All records created in `window`, sorted by `(created_at, id)`.
    pub fn read_window(&self, window: &TimeWindow) -> Result<Vec<Record>, StoreError> {
        let mut records = self.fold_window(
            window,
            Vec::new,
            |mut records, record| {
                records.push(record);
                records
            },
            |mut left, mut right| {
                left.append(&mut right);
                left
            },
        )?;
        records.par_sort_unstable_by(snapshot::record_order);
        Ok(records)
    }

    /// Visits every record created in `window` without collecting them, in parallel: each rayon
    /// task starts from `identity()`, folds its records in with `fold` (which owns each record,
    /// so nothing is cloned) and the partial results are combined with `reduce`. The visiting
    /// order is unspecified; results must not depend on it.
    pub fn fold_window<T, Id, F, R>(
        &self,
        window: &TimeWindow,
        identity: Id,
        fold: F,
        reduce: R,
    ) -> Result<T, StoreError>
    where
        T: Send,
        Id: Fn() -> T + Sync + Send,
        F: Fn(T, Record) -> T + Sync + Send,
        R: Fn(T, T) -> T + Sync + Send,
    {
        self.day_files(window)?
            .par_iter()
            .try_fold(&identity, |acc, day| fold_day(day, window, acc, &fold))
            .try_reduce(&identity, |left, right| Ok(reduce(left, right)))
    }

    /// The snapshot day folders overlapping `window`, oldest first, each with its files.
    pub(crate) fn day_files(&self, window: &TimeWindow) -> Result<Vec<DayFiles>, StoreError> {
        let root = self.snapshots_dir();
        if !root.exists() {
            return Ok(Vec::new());
        }
        let mut days: Vec<DayFiles> = Vec::new();
        let walk = walkdir::WalkDir::new(&root)
            .min_depth(4)
            .max_depth(4)
            .sort_by_file_name();
        for entry in walk {
            let entry = entry.map_err(|e| {
                let path = e.path().unwrap_or(&root).to_path_buf();
                StoreError::io(&path, e.into())
            })?;
            let name = entry.file_name().to_string_lossy();
            if !entry.file_type().is_file() || !is_snapshot_name(&name) {
                continue;
            }
            let day = day_of(&root, entry.path())?;
            if !window.overlaps_day(day) {
                continue;
            }
            match days.last_mut() {
                Some(last) if last.day == day => last.files.push(entry.into_path()),
                _ => days.push(DayFiles {
                    day,
                    files: vec![entry.into_path()],
                }),
            }
        }
        Ok(days)
    }

    /// Stores a batch: [`Store::write_snapshots`], then [`PendingCursors::save_cursors`].
    pub fn commit(&mut self, batch: Batch) -> Result<CommitReport, StoreError> {
        self.write_snapshots(batch)?.save_cursors(self)
    }

    /// The first half of [`Store::commit`]: sanitizes the records ([`Record::sanitize`]),
    /// drops known ids, links near duplicates and writes the new records durably, one snapshot
    /// per UTC day of `created_at`, then fills stored records from the dropped copies that add
    /// to them ([`fill`]). Returns the cursors still to save.
    pub fn write_snapshots(&mut self, batch: Batch) -> Result<PendingCursors, StoreError> {
        check_sources(&batch)?;
        let received = batch.records.len();
        let mut records = batch.records;
        records.iter_mut().for_each(Record::sanitize);
        let admitted = self.index()?.admit(records);
        let near_duplicates = admitted
            .fresh
            .iter()
            .filter(|r| r.near_duplicate_of.is_some())
            .count();
        let new = admitted.fresh.len();
        let written = self
            .write_days(batch.source, admitted.fresh)
            .and_then(|files| Ok((files, self.fill_stored(batch.source, admitted.fills)?)));
        let (files, (filled, rewritten)) = match written {
            Ok(written) => written,
            Err(e) => {
                // The index already counts these ids as stored; rebuild it from disk instead.
                self.index = None;
                return Err(e);
            }
        };
        let index = self.index()?;
        filled.iter().for_each(|record| index.refill(record));
        let report = CommitReport {
            received,
            new,
            duplicates: admitted.duplicates,
            filled: filled.len(),
            near_duplicates,
            files,
            rewritten,
        };
        Ok(PendingCursors {
            source: batch.source,
            cursors: batch.cursors,
            report,
        })
    }

    /// Whether a record with this id is stored (builds the id index on first use).
    pub fn contains(&mut self, id: &RecordId) -> Result<bool, StoreError> {
        Ok(self.index()?.contains(id))
    }

    fn index(&mut self) -> Result<&mut DedupIndex, StoreError> {
        if self.index.is_none() {
            let stored = self.fold_window(
                &TimeWindow::all(),
                Vec::new,
                |mut stored, record| {
                    stored.push(StoredRecord::from(record));
                    stored
                },
                |mut left, mut right| {
                    left.append(&mut right);
                    left
                },
            )?;
            let mut index = DedupIndex::default();
            stored
                .into_iter()
                .for_each(|record| index.insert_stored(record));
            self.index = Some(index);
        }
        Ok(self.index.as_mut().expect("built above"))
    }

    fn write_days(&self, source: Source, records: Vec<Record>) -> Result<Vec<PathBuf>, StoreError> {
        let mut by_day: BTreeMap<NaiveDate, Vec<Record>> = BTreeMap::new();
        for record in records {
            by_day
                .entry(record.created_at.date_naive())
                .or_default()
                .push(record);
        }
        let snapshots = self.snapshots_dir();
        // Days go to different folders, so they can be written (and fsynced) in parallel.
        by_day
            .into_par_iter()
            .map(|(day, records)| {
                write_snapshot(
                    &day_dir(&snapshots, day),
                    &Snapshot::new(source, records),
                    Encoding::Plain,
                )
            })
            .collect()
    }
}

/// Writes a snapshot under a free name in `dir`, making new folders durable too.
pub(crate) fn write_snapshot(
    dir: &Path,
    snapshot: &Snapshot,
    encoding: Encoding,
) -> Result<PathBuf, StoreError> {
    let created_dirs: Vec<&Path> = dir.ancestors().take(3).filter(|d| !d.exists()).collect();
    let path = free_path(dir, &snapshot.preferred_file_name(encoding));
    let bytes = encoding.encode(snapshot.to_bytes());
    write_atomic(&path, &bytes).map_err(|e| StoreError::io(&path, e))?;
    for created in created_dirs {
        let parent = created.parent().expect("day folders have parents");
        sync_dir(parent).map_err(|e| StoreError::io(parent, e))?;
    }
    Ok(path)
}

fn check_sources(batch: &Batch) -> Result<(), StoreError> {
    let stray = batch
        .records
        .iter()
        .find(|r| r.source != batch.source || r.id.source() != r.source);
    match stray {
        Some(record) => Err(StoreError::WrongSource {
            batch: batch.source,
            id: record.id.clone(),
            record: record.id.source(),
        }),
        None => Ok(()),
    }
}

/// Folds the records of one day folder that fall in `window`. When a day holds several files of
/// one source, repeated ids are dropped: the only way to get one is a compaction interrupted
/// after writing the merged file and before removing its inputs, and the copies are identical.
fn fold_day<T, F>(
    day: &DayFiles,
    window: &TimeWindow,
    mut acc: T,
    fold: &F,
) -> Result<T, StoreError>
where
    F: Fn(T, Record) -> T,
{
    let snapshots: Vec<Snapshot> = day
        .files
        .iter()
        .map(|path| Snapshot::read(path))
        .collect::<Result<_, _>>()?;
    let mut sources: Vec<Source> = snapshots.iter().map(|s| s.header.source).collect();
    sources.sort_unstable();
    let mut seen = sources
        .windows(2)
        .any(|pair| pair[0] == pair[1])
        .then(HashSet::new);
    for record in snapshots.into_iter().flat_map(|snapshot| snapshot.records) {
        let first_time = seen
            .as_mut()
            .is_none_or(|seen| seen.insert(record.id.clone()));
        if first_time && window.contains(record.created_at) {
            acc = fold(acc, record);
        }
    }
    Ok(acc)
}

/// The UTC day of a file at `snapshots/YYYY/MM/DD/<file>`.
fn day_of(snapshots: &Path, file: &Path) -> Result<NaiveDate, StoreError> {
    let relative = file.strip_prefix(snapshots).unwrap_or(file);
    let folder = relative
        .parent()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    NaiveDate::parse_from_str(&folder, "%Y/%m/%d").map_err(|_| StoreError::Corrupt {
        path: file.to_path_buf(),
        message: "a snapshot must sit in a YYYY/MM/DD folder".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn window_days_are_half_open_and_overlap_whole_days() {
        let window = TimeWindow::days(day("2026-02-03"), day("2026-02-04"));
        assert!(window.contains("2026-02-03T00:00:00Z".parse().unwrap()));
        assert!(window.contains("2026-02-04T23:59:59.999Z".parse().unwrap()));
        assert!(!window.contains("2026-02-05T00:00:00Z".parse().unwrap()));
        assert!(!window.overlaps_day(day("2026-02-02")));
        assert!(window.overlaps_day(day("2026-02-03")) && window.overlaps_day(day("2026-02-04")));
        assert!(!window.overlaps_day(day("2026-02-05")));
        let noon = TimeWindow::new(
            "2026-02-03T12:00:00Z".parse().unwrap(),
            "2026-02-03T12:00:01Z".parse().unwrap(),
        );
        assert!(noon.overlaps_day(day("2026-02-03")) && !noon.overlaps_day(day("2026-02-04")));
        assert!(TimeWindow::all().overlaps_day(day("1970-01-01")));
    }

    #[test]
    fn a_batch_with_a_stray_record_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path());
        let record = snapshot::tests::record("abc", "2026-01-01T00:00:00Z");
        let err = store
            .commit(Batch::new(Source::Bluesky, vec![record]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "batch for bluesky: record `reddit:abc` says it is from reddit"
        );
        assert!(!store.snapshots_dir().exists());
    }

    #[test]
    fn cursors_merge_by_key_and_bad_state_names_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path());
        let first = Batch::new(Source::Reddit, Vec::new())
            .with_cursor("r/LocalLLaMA", serde_json::json!("t3_a"))
            .with_cursor("r/singularity", serde_json::json!("t3_b"));
        store.commit(first).unwrap();
        let update = Batch::new(Source::Reddit, Vec::new())
            .with_cursor("r/singularity", serde_json::json!({"after": "t3_c"}));
        store.commit(update).unwrap();
        let cursors = store.cursors(Source::Reddit).unwrap();
        assert_eq!(
            serde_json::to_value(&cursors).unwrap(),
            serde_json::json!({"r/LocalLLaMA": "t3_a", "r/singularity": {"after": "t3_c"}})
        );
        assert_eq!(store.cursors(Source::Bluesky).unwrap().len(), 0);
        fs::write(store.cursor_path(Source::Reddit), b"{").unwrap();
        let err = store.cursor(Source::Reddit, "r/LocalLLaMA").unwrap_err();
        assert!(err
            .to_string()
            .starts_with(&store.cursor_path(Source::Reddit).display().to_string()));
    }
}
