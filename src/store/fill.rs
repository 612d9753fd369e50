//! A record met again under an id already stored: the stored copy stays, but its empty fields
//! are filled from the newer copy.
//!
//! The store never keeps two records with one id, and it never overwrites what it has: the
//! first copy's title, text, engagement and links stay as they were stored. What a later copy
//! may add is what the first lacked — a title, a body, an author, an author id, a community, a
//! language ([`Fields`]); when it adds any of those, the `extra` keys the stored copy lacks come
//! along (the stored copy's keys win). Why: the same Reddit post is in two bundled corpora, 182
//! r/LocalLLaMA posts of reddit-ai-trends (titles and metadata only) are also in
//! reddit-localllama-threads (with their bodies and authors), and a title-only record that a
//! later run meets with its body should not stay bodiless. The rule is deterministic for a given
//! import order and idempotent: once filled, the fields are no longer empty, so importing or
//! collecting the same copy again changes no byte.
//!
//! The index remembers, per id, the UTC day folder of the stored copy and which [`Fields`] it
//! has, so only a copy that really adds something makes the store read and rewrite (atomically)
//! the snapshot file that holds the stored copy.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::snapshot::{day_dir, is_snapshot_name, Encoding, Snapshot};
use super::{Store, StoreError};
use crate::atomic::write_atomic;
use crate::model::{Record, RecordId, Source};

/// Which of a record's fillable fields hold something, one bit each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fields(u8);

impl Fields {
    const TITLE: u8 = 1;
    const TEXT: u8 = 1 << 1;
    const AUTHOR: u8 = 1 << 2;
    const AUTHOR_ID: u8 = 1 << 3;
    const COMMUNITY: u8 = 1 << 4;
    const LANGUAGE: u8 = 1 << 5;

    /// The fillable fields `record` has.
    pub fn of(record: &Record) -> Fields {
        let present = [
            (!record.title.is_empty(), Fields::TITLE),
            (!record.text.is_empty(), Fields::TEXT),
            (record.author.is_some(), Fields::AUTHOR),
            (record.author_id.is_some(), Fields::AUTHOR_ID),
            (record.community.is_some(), Fields::COMMUNITY),
            (record.language.is_some(), Fields::LANGUAGE),
        ];
        Fields(
            present
                .into_iter()
                .filter(|(has, _)| *has)
                .fold(0, |bits, (_, bit)| bits | bit),
        )
    }

    /// Whether `newer` has a field these lack.
    pub fn would_gain(self, newer: Fields) -> bool {
        newer.0 & !self.0 != 0
    }
}

/// Fills `stored`'s empty fields from `newer`; returns whether anything changed.
pub fn fill(stored: &mut Record, newer: Record) -> bool {
    let before = Fields::of(stored);
    if !before.would_gain(Fields::of(&newer)) {
        return false;
    }
    let fill_text = |field: &mut String, value: String| {
        if field.is_empty() {
            *field = value;
        }
    };
    let text_filled = (stored.title.is_empty() && !newer.title.is_empty())
        || (stored.text.is_empty() && !newer.text.is_empty());
    fill_text(&mut stored.title, newer.title);
    fill_text(&mut stored.text, newer.text);
    for (field, value) in [
        (&mut stored.author, newer.author),
        (&mut stored.author_id, newer.author_id),
        (&mut stored.community, newer.community),
        (&mut stored.language, newer.language),
    ] {
        if field.is_none() {
            *field = value;
        }
    }
    for (key, value) in newer.extra {
        stored.extra.entry(key).or_insert(value);
    }
    // The filled title or text may be the one the store cut short.
    stored.truncated |= text_filled && newer.truncated;
    true
}

impl Store {
    /// Applies `fills` (newer copies of stored records, each with the day folder of its stored
    /// copy) to the snapshots of `source`, rewriting each changed file in place. Returns the
    /// stored records as they now are, and the files rewritten.
    pub(super) fn fill_stored(
        &self,
        source: Source,
        fills: Vec<(NaiveDate, Record)>,
    ) -> Result<(Vec<Record>, Vec<PathBuf>), StoreError> {
        let mut by_day: BTreeMap<NaiveDate, Vec<Record>> = BTreeMap::new();
        for (day, record) in fills {
            by_day.entry(day).or_default().push(record);
        }
        let mut filled: BTreeMap<RecordId, Record> = BTreeMap::new();
        let mut rewritten = Vec::new();
        for (day, newer) in by_day {
            let dir = day_dir(&self.snapshots_dir(), day);
            for path in snapshot_files(&dir)? {
                let mut snapshot = Snapshot::read(&path)?;
                if snapshot.header.source != source {
                    continue;
                }
                let mut changed = false;
                for record in &newer {
                    if let Some(stored) = snapshot.records.iter_mut().find(|r| r.id == record.id) {
                        if fill(stored, record.clone()) {
                            changed = true;
                            filled.insert(stored.id.clone(), stored.clone());
                        }
                    }
                }
                if changed {
                    let rewrite = Snapshot::new(source, snapshot.records);
                    let bytes = Encoding::of(&path).encode(rewrite.to_bytes());
                    write_atomic(&path, &bytes).map_err(|e| StoreError::io(&path, e))?;
                    rewritten.push(path);
                }
            }
        }
        Ok((filled.into_values().collect(), rewritten))
    }
}

/// The snapshot files of one day folder, by name (none when the folder does not exist).
fn snapshot_files(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io(dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io(dir, e))?;
        if is_snapshot_name(&entry.file_name().to_string_lossy()) {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::snapshot::tests::record;

    #[test]
    fn only_empty_fields_are_filled_and_stored_values_win() {
        let mut stored = record("a", "2026-01-01T00:00:00Z");
        stored.extra.insert("flair".into(), "News".into());
        let mut newer = record("a", "2026-01-01T00:00:00Z");
        newer.title = "another title".into();
        newer.text = "the body".into();
        newer.author = Some("someone".into());
        newer.engagement.score = Some(999);
        newer.extra.insert("flair".into(), "Other".into());
        newer.extra.insert("link".into(), "https://x".into());
        assert!(fill(&mut stored, newer.clone()));
        assert_eq!(stored.title, "title a");
        assert_eq!(stored.text, "the body");
        assert_eq!(stored.author.as_deref(), Some("someone"));
        assert_eq!(stored.engagement.score, Some(3));
        assert_eq!(stored.extra["flair"], "News");
        assert_eq!(stored.extra["link"], "https://x");
        assert!(!fill(&mut stored, newer), "a second fill changes nothing");
    }
}
