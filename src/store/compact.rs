//! `zeitgeist compact`: one snapshot per source and day instead of one per collection run.
//!
//! For each day folder holding several snapshots of one source, the records are merged into a
//! new snapshot, which is read back and compared with its inputs (count, id set and the bytes of
//! every record) before the inputs are removed. A crash at any point leaves either the inputs,
//! or the inputs plus an identical merged file (readers drop the repeated ids, and the next
//! compaction finishes the job): never a lost or changed record.
//!
//! With [`Encoding::Gzip`] the merged file is `<HHMMSS>-<source>.json.gz`, and a day already held
//! in one plain file is rewritten gzipped too (checked the same way, after decompressing). A day
//! once gzipped stays gzipped: a late record merged into it later keeps the day compressed.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::snapshot::{Encoding, Snapshot};
use super::{write_snapshot, Store, StoreError, TimeWindow};
use crate::atomic::sync_dir;
use crate::model::{Record, RecordId, Source};

/// What a compaction did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactReport {
    /// Day folders looked at.
    pub days: usize,
    /// Snapshot files read in those days.
    pub files_before: usize,
    /// Snapshot files there afterwards.
    pub files_after: usize,
    /// Records in the merged files.
    pub records_merged: usize,
    /// The merged files written.
    pub written: Vec<PathBuf>,
}

impl Store {
    /// Merges, for every day before `before` (all days when `None`), the snapshots of each
    /// source into one file, stored with `encoding`. Running it again changes nothing.
    pub fn compact(
        &self,
        before: Option<NaiveDate>,
        encoding: Encoding,
    ) -> Result<CompactReport, StoreError> {
        let window = match before {
            Some(day) => TimeWindow::new(TimeWindow::all().start, TimeWindow::days(day, day).start),
            None => TimeWindow::all(),
        };
        let mut report = CompactReport::default();
        for day in self.day_files(&window)? {
            report.days += 1;
            report.files_before += day.files.len();
            let mut by_source: BTreeMap<Source, Vec<PathBuf>> = BTreeMap::new();
            for path in day.files {
                by_source
                    .entry(Snapshot::read(&path)?.header.source)
                    .or_default()
                    .push(path);
            }
            for (source, inputs) in by_source {
                let encoding = inputs
                    .iter()
                    .map(|p| Encoding::of(p))
                    .fold(encoding, Ord::max);
                if inputs.len() < 2 && Encoding::of(&inputs[0]) == encoding {
                    report.files_after += inputs.len();
                    continue;
                }
                let merged = merge_files(source, &inputs)?;
                report.records_merged += merged.records.len();
                report
                    .written
                    .push(replace_files(&inputs, &merged, encoding)?);
                report.files_after += 1;
            }
        }
        Ok(report)
    }
}

/// The union of the inputs' records. Two inputs may hold the same id only as identical copies
/// (left by an interrupted compaction); anything else is corruption and stops the merge.
fn merge_files(source: Source, inputs: &[PathBuf]) -> Result<Snapshot, StoreError> {
    let mut records: BTreeMap<RecordId, (Record, &Path)> = BTreeMap::new();
    for path in inputs {
        for record in Snapshot::read(path)?.records {
            match records.get(&record.id) {
                Some((kept, _)) if *kept == record => {}
                Some((_, first)) => {
                    return Err(StoreError::Corrupt {
                        path: path.clone(),
                        message: format!(
                            "record `{}` differs from its copy in {}",
                            record.id,
                            first.display()
                        ),
                    })
                }
                None => {
                    records.insert(record.id.clone(), (record, path));
                }
            }
        }
    }
    Ok(Snapshot::new(
        source,
        records.into_values().map(|(record, _)| record).collect(),
    ))
}

/// Writes `merged` beside the inputs, checks it against them, removes them, and finally gives the
/// merged file its preferred name if that is now free.
fn replace_files(
    inputs: &[PathBuf],
    merged: &Snapshot,
    encoding: Encoding,
) -> Result<PathBuf, StoreError> {
    let dir = inputs[0].parent().expect("snapshots sit in day folders");
    let written = write_snapshot(dir, merged, encoding)?;
    if let Err(err) = verify(&written, merged) {
        // Leave the store as it was: the inputs are untouched, the bad merge goes.
        fs::remove_file(&written).map_err(|e| StoreError::io(&written, e))?;
        return Err(err);
    }
    for input in inputs {
        fs::remove_file(input).map_err(|e| StoreError::io(input, e))?;
    }
    sync_dir(dir).map_err(|e| StoreError::io(dir, e))?;
    let preferred = dir.join(merged.preferred_file_name(encoding));
    if preferred != written && !preferred.exists() {
        fs::rename(&written, &preferred).map_err(|e| StoreError::io(&written, e))?;
        sync_dir(dir).map_err(|e| StoreError::io(dir, e))?;
        return Ok(preferred);
    }
    Ok(written)
}

/// Reads the merged file back (decompressing it if gzipped) and compares every record's
/// serialisation with what was meant.
fn verify(path: &Path, expected: &Snapshot) -> Result<(), StoreError> {
    let mismatch = |message: String| StoreError::CompactMismatch {
        path: path.to_path_buf(),
        message,
    };
    let on_disk = Snapshot::read(path)?;
    if on_disk.records.len() != expected.records.len() {
        return Err(mismatch(format!(
            "{} records, expected {}",
            on_disk.records.len(),
            expected.records.len()
        )));
    }
    for (found, meant) in on_disk.records.iter().zip(&expected.records) {
        let same_bytes = serde_json::to_vec(found).ok() == serde_json::to_vec(meant).ok();
        if found.id != meant.id || !same_bytes {
            return Err(mismatch(format!(
                "record `{}` does not match `{}`",
                found.id, meant.id
            )));
        }
    }
    Ok(())
}
