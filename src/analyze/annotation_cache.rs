//! The annotation cache: every record's [`Annotation`] kept on disk, so that a run annotates
//! only the records it has not seen before. Stored records never change, and annotating is
//! most of an analysis's cost (the embedding, terms, entities, sentiment and language of each
//! record's whole text), so a scheduled run over a large store reads its annotations instead
//! of recomputing them.
//!
//! The cache is `data/cache/annotations.bin` ([`CACHE_FILE`]), not committed: any run rebuilds
//! it from the records when it is missing. It is a postcard-encoded [`CacheFile`]: the
//! fingerprint of what annotated (the running build and the classifier's input files, see
//! [`fingerprint`]), then one entry per record — its id, a hash of the record as stored and its
//! annotation. An entry is used only when the fingerprint and the record's hash both match, so
//! cached annotations are exactly the ones annotating afresh would give (tests hold it to that),
//! and a new build, taxonomy or model starts the cache over.
//!
//! A cache that cannot be read is set aside with a warning and rebuilt, never trusted: it holds
//! nothing that the records do not.

use std::fs;
use std::hash::Hasher;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHasher};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::classify::{Annotation, Classifier};
use super::learned::CLASSIFIER_FILE;
use crate::atomic::write_atomic;
use crate::model::beat::BEATS_FILE;
use crate::model::gazetteer::ENTITIES_FILE;
use crate::model::{Record, RecordId};

/// The cache file, relative to the site's `data/` folder.
pub const CACHE_FILE: &str = "cache/annotations.bin";

/// The files a [`Classifier`] is made from, relative to the site root: a change to any of them
/// changes annotations.
fn classifier_inputs() -> [PathBuf; 5] {
    let data = Path::new("data");
    [
        data.join(BEATS_FILE),
        data.join(ENTITIES_FILE),
        PathBuf::from(CLASSIFIER_FILE),
        PathBuf::from(super::embed::STATIC_MODEL),
        PathBuf::from(super::embed::STATIC_TOKENIZER),
    ]
}

/// Entries per block of the file: blocks are encoded and decoded in parallel.
const BLOCK_ENTRIES: usize = 16_384;

/// What the cache file holds: the fingerprint, then the entries sorted by record id, in blocks
/// that are each a postcard-encoded `Vec<Entry>`.
#[derive(Serialize, Deserialize)]
struct CacheFile {
    fingerprint: String,
    blocks: Vec<serde_bytes::ByteBuf>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    id: RecordId,
    content: u64,
    annotation: Annotation,
}

/// What one cached annotation pass did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CacheReport {
    /// Records whose annotation came from the cache.
    pub reused: usize,
    /// Records annotated afresh.
    pub annotated: usize,
    /// Bytes written to the cache file, when it changed.
    pub written: Option<u64>,
    /// Why the cache file on disk was set aside (unreadable, or made by another program or
    /// classifier), if it was.
    pub discarded: Option<String>,
    /// Why the cache could not be written, if it could not (the annotations are still right).
    pub write_failed: Option<String>,
}

/// The cache of the site whose root is `root`, for annotations made by `classifier`.
pub struct AnnotationCache<'a> {
    classifier: &'a Classifier,
    path: PathBuf,
    fingerprint: String,
}

impl<'a> AnnotationCache<'a> {
    /// The cache at `root/data/cache/annotations.bin`; fails only when the classifier's input
    /// files or the running program cannot be read.
    pub fn open(classifier: &'a Classifier, root: &Path) -> io::Result<AnnotationCache<'a>> {
        Ok(AnnotationCache {
            classifier,
            path: root.join("data").join(CACHE_FILE),
            fingerprint: fingerprint(root)?,
        })
    }

    /// The same cache kept in `path` instead (benchmarks keep theirs out of the site).
    pub fn at(self, path: PathBuf) -> AnnotationCache<'a> {
        AnnotationCache { path, ..self }
    }

    /// The cache file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Annotations of `records`, in their order: from the cache where it holds the record as
    /// it is now, annotated afresh (in parallel) otherwise; then the cache is written back
    /// when anything was new, keeping the entries of records not read this time.
    pub fn annotate(&self, records: &[Record]) -> (Vec<Annotation>, CacheReport) {
        let mut report = CacheReport::default();
        let mut entries = match self.load() {
            Ok(entries) => entries,
            Err(reason) => {
                report.discarded = reason;
                Vec::new()
            }
        };
        let position: FxHashMap<&RecordId, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, entry)| (&entry.id, i))
            .collect();
        // Per record: its hash, and the cached entry that still holds it.
        let found: Vec<(u64, Option<usize>)> = records
            .par_iter()
            .map(|record| {
                let content = content_hash(record);
                let hit = position
                    .get(&record.id)
                    .copied()
                    .filter(|&i| entries[i].content == content);
                (content, hit)
            })
            .collect();
        drop(position);
        let fresh: Vec<Option<Annotation>> = records
            .par_iter()
            .zip(&found)
            .map(|(record, (_, hit))| match hit {
                Some(_) => None,
                None => Some(self.classifier.annotate(record)),
            })
            .collect();
        report.annotated = fresh.iter().filter(|a| a.is_some()).count();
        report.reused = records.len() - report.annotated;
        let changed = report.annotated > 0 || report.discarded.is_some();
        if !changed {
            // Every record was cached: move the annotations out, nothing to write.
            let mut slots: Vec<Option<Entry>> = entries.into_iter().map(Some).collect();
            let annotations = records
                .iter()
                .zip(&found)
                .map(|(record, (_, hit))| {
                    match hit.and_then(|i| slots[i].take()) {
                        Some(entry) => entry.annotation,
                        // The same record twice in the input: the first took the entry.
                        None => self.classifier.annotate(record),
                    }
                })
                .collect();
            return (annotations, report);
        }
        let mut annotations = Vec::with_capacity(records.len());
        let mut replaced: FxHashMap<RecordId, Entry> = FxHashMap::default();
        for ((record, (content, hit)), fresh) in records.iter().zip(&found).zip(fresh) {
            let annotation = match (hit, fresh) {
                (_, Some(annotation)) => annotation,
                (Some(i), None) => entries[*i].annotation.clone(),
                (None, None) => unreachable!("a record not found is annotated"),
            };
            replaced.insert(
                record.id.clone(),
                Entry {
                    id: record.id.clone(),
                    content: *content,
                    annotation: annotation.clone(),
                },
            );
            annotations.push(annotation);
        }
        entries.retain(|entry| !replaced.contains_key(&entry.id));
        entries.extend(replaced.into_values());
        match self.store(entries) {
            Ok(bytes) => report.written = Some(bytes),
            Err(e) => report.write_failed = Some(e.to_string()),
        }
        (annotations, report)
    }

    /// The entries on disk; `Err(None)` when there is no cache yet, `Err(reason)` when the file
    /// is unreadable or was made by another program or classifier.
    fn load(&self) -> Result<Vec<Entry>, Option<String>> {
        let unreadable = |e: postcard::Error| {
            Some(format!(
                "{}: not a readable cache ({e})",
                self.path.display()
            ))
        };
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(None),
            Err(e) => return Err(Some(format!("{}: {e}", self.path.display()))),
        };
        let file: CacheFile = postcard::from_bytes(&bytes).map_err(unreadable)?;
        if file.fingerprint != self.fingerprint {
            return Err(Some(format!(
                "{}: made by another build or classifier",
                self.path.display()
            )));
        }
        let blocks: Vec<Vec<Entry>> = file
            .blocks
            .par_iter()
            .map(|block| postcard::from_bytes(block))
            .collect::<Result<_, _>>()
            .map_err(unreadable)?;
        Ok(blocks.into_iter().flatten().collect())
    }

    /// Writes `entries` sorted by id (so equal caches are equal files), atomically.
    fn store(&self, mut entries: Vec<Entry>) -> io::Result<u64> {
        entries.par_sort_unstable_by(|a, b| a.id.cmp(&b.id));
        let blocks = entries
            .par_chunks(BLOCK_ENTRIES)
            .map(|block| postcard::to_stdvec(block).map(serde_bytes::ByteBuf::from))
            .collect::<Result<Vec<_>, _>>()
            .map_err(io::Error::other)?;
        let file = CacheFile {
            fingerprint: self.fingerprint.clone(),
            blocks,
        };
        let bytes = postcard::to_stdvec(&file).map_err(io::Error::other)?;
        write_atomic(&self.path, &bytes)?;
        Ok(bytes.len() as u64)
    }
}

/// sha256 of the running program's identity (path, size and modification time: any build
/// rewrites it) and of the classifier's input files: what decides every annotation. Keying on
/// the program means no code change can leave a stale cache behind.
pub fn fingerprint(root: &Path) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let with_path =
        |path: &Path, e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    let exe = std::env::current_exe()?;
    let program = fs::metadata(&exe).map_err(|e| with_path(&exe, e))?;
    let modified = program
        .modified()
        .map_err(|e| with_path(&exe, e))?
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    hasher.update(exe.to_string_lossy().as_bytes());
    hasher.update(program.len().to_le_bytes());
    hasher.update(modified.as_nanos().to_le_bytes());
    let read = |path: &Path| fs::read(path).map_err(|e| with_path(path, e));
    for input in classifier_inputs() {
        hasher.update(input.to_string_lossy().as_bytes());
        hasher.update(read(&root.join(input))?);
    }
    Ok(super::embed::sha256_hex(&hasher.finalize()))
}

/// A hash of what annotating reads of a record (its text, community, language, platform, kind
/// and extra fields), so an entry is reused only for a record that reads the same. Fields no
/// annotation reads (engagement, collection time) may change freely; which fields are read is
/// decided by the program, which is in the [`fingerprint`].
fn content_hash(record: &Record) -> u64 {
    let mut hasher = FxHasher::default();
    for part in [
        record.source.as_str(),
        record.kind.as_str(),
        &record.title,
        &record.text,
        record.community.as_deref().unwrap_or(""),
        record.language.as_deref().unwrap_or(""),
    ] {
        hasher.write(part.as_bytes());
        hasher.write_u8(0xff);
    }
    if !record.extra.is_empty() {
        hasher.write(
            serde_json::to_string(&record.extra)
                .unwrap_or_default()
                .as_bytes(),
        );
    }
    hasher.finish()
}
