//! Duplicate detection for records entering the store.
//!
//! *Exact* duplicates share a [`RecordId`]; the store keeps only the first (and fills its empty
//! fields from the later copy, `store/fill.rs`). *Near* duplicates (a syndicated headline on
//! Hacker News and Reddit, a news account re-posting the same blurb) are kept but linked through
//! [`Record::near_duplicate_of`] to the earliest stored copy.
//!
//! Texts are compared as sets of normalised words (title and text lower-cased and split at every
//! non-alphanumeric character, so case, punctuation and a truncation mark `...` do not matter).
//! Two records are near duplicates when the Jaccard similarity of their word sets is at least
//! [`MIN_JACCARD`]; texts of fewer than [`MIN_WORDS`] distinct words are never linked, since a
//! four-word title matches too much by chance.
//!
//! **Comments** need [`MIN_COMMENT_WORDS`] distinct words, not counting the words of their
//! links. A comment is a reply whose meaning is its thread's: two people writing "I don't get
//! it." or "I too want to know this" in two threads are two voices, not one text copied, and a
//! link-only reply ("https://preview.redd.it/….png?width=1080&format=png&auto=webp&s=…") shares
//! most of its URL's words with every other image reply. Measured on the 69,617 r/LocalLLaMA
//! comments: at the posts' rule (5 words, links counted) 510 comments were linked, most of them
//! such coincidences (188 of 5–9 words, ~200 image links); at 15 words without links, 198 are,
//! 171 of them to a comment by the same author (a reply pasted into several threads, a bot's
//! reminder) and the rest quotes of the parent with a word added or the same question asked in
//! two threads. Below 15 the sample still showed coincidences ("If you have to ask this
//! question, then the answer is no." / "If you have to ask, the answer is no.", 12 words).
//!
//! Candidates are found with MinHash LSH: [`BANDS`] bands of [`ROWS`] min-hashes each; a pair
//! with similarity 0.7 shares at least one band with probability 1 − (1 − 0.7⁴)²⁴ ≈ 99.86 %.
//! Each candidate is then checked with the exact Jaccard similarity (after an exact size test),
//! so there are no false positives beyond the threshold itself. The bands were 8 of 2 rows
//! (99.5 %) while the store held titles; long comments share so many common words that two
//! unrelated ones often share a 2-row band, and admitting the 69,617 comments took 19.5 s
//! (280 µs a comment, growing with the store) against 1.7 s (24 µs) with 24 bands of 4 rows:
//! 17× fewer candidate pairs (29.5 M → 1.7 M on the bundled corpus). Figures: `bench/DEDUP.md`.
//!
//! Why not SimHash: measured on the bundled corpus (≈23,800 real posts), 64-bit SimHash put an
//! HN headline and the same headline cut short on Reddit 6–19 bits apart, as far as unrelated
//! texts; on short titles it cannot separate them. Word-set Jaccard links those pairs and the
//! NYT's re-posted game and newsletter blurbs on Bluesky. At 0.6, many short model-release
//! titles matched wrongly ("Gemini 2.5 use cases" / "Gemini 2.5 computer use"); at 0.7 the
//! links seen are reposts and syndicated headlines, with rare misses of the kind "Qwen-2.5-32B
//! is now the best open source OCR model" / "Qwen-2.5-72b is …". Since a link goes to the first
//! copy of the matched record, a chain of small edits can link texts that differ more.

use std::collections::HashMap;
use std::hash::Hasher;

use chrono::{DateTime, NaiveDate, Utc};
use rayon::prelude::*;
use siphasher::sip::SipHasher13;

use super::fill::Fields;
use crate::model::{Kind, Record, RecordId};

/// Least Jaccard similarity of two word sets for the records to count as near duplicates.
pub const MIN_JACCARD: f64 = 0.7;
/// Fewest distinct normalised words a text needs to be compared at all.
pub const MIN_WORDS: usize = 5;
/// Fewest distinct normalised words a comment needs, the words of its links not counted.
pub const MIN_COMMENT_WORDS: usize = 15;
/// LSH bands, each keyed by [`ROWS`] min-hashes.
pub const BANDS: usize = 24;
/// Min-hashes per band.
pub const ROWS: usize = 4;

/// The distinct normalised words of a record's title and text, as sorted 64-bit hashes, or
/// `None` when there are fewer than [`MIN_WORDS`] (a comment: [`MIN_COMMENT_WORDS`], links
/// left out).
pub fn word_set(record: &Record) -> Option<Vec<u64>> {
    let comment = record.kind == Kind::Comment;
    let text = if comment {
        without_links(&record.text)
    } else {
        record.full_text()
    };
    let mut words: Vec<u64> = text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(word_hash)
        .collect();
    words.sort_unstable();
    words.dedup();
    let least = if comment {
        MIN_COMMENT_WORDS
    } else {
        MIN_WORDS
    };
    (words.len() >= least).then_some(words)
}

/// The text without its `http://` and `https://` addresses (each up to a space or a closing
/// bracket or quote, so Markdown's `[words](link)` keeps its words).
fn without_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = ["http://", "https://"]
        .iter()
        .filter_map(|scheme| rest.find(scheme))
        .min()
    {
        out.push_str(&rest[..start]);
        let link = &rest[start..];
        let end = link
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '>' | '"' | '\''))
            .unwrap_or(link.len());
        out.push(' ');
        rest = &link[end..];
    }
    out.push_str(rest);
    out
}

/// Jaccard similarity |a ∩ b| / |a ∪ b| of two sorted, distinct lists.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared as f64 / (a.len() + b.len() - shared) as f64
}

/// SipHash-1-3 with fixed keys: the same word hashes the same on every machine and release.
fn word_hash(word: &str) -> u64 {
    let mut hasher = SipHasher13::new_with_keys(0x7a65_6974_6765_6973, 0x7374_2d77_6f72_6473);
    hasher.write(word.as_bytes());
    hasher.finish()
}

/// The `i`-th of a family of hash functions over word hashes (the SplitMix64 finaliser of the
/// word hash offset by a per-function constant).
fn rehash(word: u64, i: usize) -> u64 {
    let mut z = word ^ (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A record's word set with its LSH bucket keys, computed before the (sequential) admission so
/// the hashing, most of the work, runs in parallel.
#[derive(Debug)]
pub struct Sketch {
    words: Vec<u64>,
    keys: [u64; BANDS],
}

impl Sketch {
    /// The record's sketch, or `None` when it has no [`word_set`].
    pub fn of(record: &Record) -> Option<Sketch> {
        word_set(record).map(|words| Sketch {
            keys: band_keys(&words),
            words,
        })
    }
}

/// The LSH bucket keys of a word set: one per band, from that band's [`ROWS`] min-hashes.
fn band_keys(words: &[u64]) -> [u64; BANDS] {
    std::array::from_fn(|band| {
        (0..ROWS).fold(band as u64, |key, row| {
            let min = words
                .iter()
                .map(|&w| rehash(w, band * ROWS + row))
                .min()
                .expect("never empty");
            rehash(key ^ min, BANDS * ROWS)
        })
    })
}

/// One comparable record already in the store.
#[derive(Debug)]
struct Print {
    words: Vec<u64>,
    created_at: DateTime<Utc>,
    id: RecordId,
    /// The first copy this record links to, or its own id.
    root: RecordId,
}

/// What the index keeps of a stored record; computed in parallel while the store is read.
#[derive(Debug)]
pub struct StoredRecord {
    id: RecordId,
    created_at: DateTime<Utc>,
    sketch: Option<Sketch>,
    root: RecordId,
    fields: Fields,
}

impl From<Record> for StoredRecord {
    fn from(record: Record) -> StoredRecord {
        let sketch = Sketch::of(&record);
        let fields = Fields::of(&record);
        let root = record
            .near_duplicate_of
            .unwrap_or_else(|| record.id.clone());
        StoredRecord {
            id: record.id,
            created_at: record.created_at,
            sketch,
            root,
            fields,
        }
    }
}

/// What the index knows of a stored id: where its copy is and what it could still be given
/// (see `store/fill.rs`).
#[derive(Debug, Clone, Copy)]
struct Known {
    /// The UTC day folder of the stored copy.
    day: NaiveDate,
    /// The fillable fields the stored copy has.
    fields: Fields,
    /// Its word set's position in `prints`, when it has one.
    print: Option<u32>,
}

/// Every id in the store plus the word sets of its records. Built from the snapshots (it is
/// derived data, so a crash can never leave it out of step with them).
#[derive(Debug, Default)]
pub struct DedupIndex {
    ids: HashMap<RecordId, Known>,
    prints: Vec<Print>,
    buckets: HashMap<u64, Vec<u32>>,
}

/// What admitting a batch to the index decided.
#[derive(Debug, Default)]
pub struct Admitted {
    /// Records not seen before, `near_duplicate_of` set where applicable, in store order.
    pub fresh: Vec<Record>,
    /// Records whose id was already stored (or appeared earlier in the same batch).
    pub duplicates: usize,
    /// Of those, the copies that have a field the stored copy lacks, each with the day folder
    /// of the stored copy: the store fills them in.
    pub fills: Vec<(NaiveDate, Record)>,
}

impl DedupIndex {
    /// Notes a record that is already stored, keeping the link it was stored with.
    pub fn insert_stored(&mut self, record: StoredRecord) {
        let print = record.sketch.map(|sketch| {
            self.insert_print(
                Print {
                    words: sketch.words,
                    created_at: record.created_at,
                    id: record.id.clone(),
                    root: record.root,
                },
                &sketch.keys,
            )
        });
        let known = Known {
            day: record.created_at.date_naive(),
            fields: record.fields,
            print,
        };
        self.ids.insert(record.id, known);
    }

    /// Takes note that a stored record's empty fields were filled: its fields and word set
    /// are now those of `record`, exactly as an index rebuilt from the snapshots would hold.
    pub fn refill(&mut self, record: &Record) {
        let Some(known) = self.ids.get(&record.id).copied() else {
            return;
        };
        let sketch = Sketch::of(record);
        let print = match (known.print, sketch) {
            (Some(position), sketch) => {
                let old = std::mem::take(&mut self.prints[position as usize].words);
                for key in band_keys(&old) {
                    if let Some(bucket) = self.buckets.get_mut(&key) {
                        bucket.retain(|&p| p != position);
                    }
                }
                sketch.map(|sketch| {
                    for key in sketch.keys {
                        self.buckets.entry(key).or_default().push(position);
                    }
                    self.prints[position as usize].words = sketch.words;
                    position
                })
            }
            (None, Some(sketch)) => Some(
                self.insert_print(
                    Print {
                        words: sketch.words,
                        created_at: record.created_at,
                        id: record.id.clone(),
                        root: record
                            .near_duplicate_of
                            .clone()
                            .unwrap_or_else(|| record.id.clone()),
                    },
                    &sketch.keys,
                ),
            ),
            (None, None) => None,
        };
        let known = Known {
            fields: Fields::of(record),
            print,
            ..known
        };
        self.ids.insert(record.id.clone(), known);
    }

    /// Number of distinct ids known.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the index knows no record.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Whether a record with this id is stored.
    pub fn contains(&self, id: &RecordId) -> bool {
        self.ids.contains_key(id)
    }

    /// Drops records already known, links near duplicates to their first copy (overwriting any
    /// `near_duplicate_of` the caller set: the store owns that field) and adds the rest to the
    /// index. Records are taken in `(created_at, id)` order, so within a batch the earliest copy
    /// is the one others link to.
    pub fn admit(&mut self, mut records: Vec<Record>) -> Admitted {
        super::snapshot::sort_records(&mut records);
        let sketches: Vec<Option<Sketch>> = records.par_iter().map(Sketch::of).collect();
        let mut admitted = Admitted::default();
        for (mut record, sketch) in records.into_iter().zip(sketches) {
            if let Some(known) = self.ids.get(&record.id) {
                admitted.duplicates += 1;
                if known.fields.would_gain(Fields::of(&record)) {
                    admitted.fills.push((known.day, record));
                }
                continue;
            }
            record.near_duplicate_of = None;
            let print = sketch.map(|sketch| {
                let first = self.first_copy(&sketch).map(|print| print.root.clone());
                let root = first.clone().unwrap_or_else(|| record.id.clone());
                record.near_duplicate_of = first;
                self.insert_print(
                    Print {
                        words: sketch.words,
                        created_at: record.created_at,
                        id: record.id.clone(),
                        root,
                    },
                    &sketch.keys,
                )
            });
            let known = Known {
                day: record.created_at.date_naive(),
                fields: Fields::of(&record),
                print,
            };
            self.ids.insert(record.id.clone(), known);
            admitted.fresh.push(record);
        }
        admitted
    }

    /// The earliest (by `created_at`, then id) stored record at least [`MIN_JACCARD`] similar.
    fn first_copy(&self, sketch: &Sketch) -> Option<&Print> {
        let words = &sketch.words;
        let mut candidates: Vec<u32> = sketch
            .keys
            .iter()
            .filter_map(|key| self.buckets.get(key))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .map(|i| &self.prints[i as usize])
            // |A ∩ B| / |A ∪ B| ≤ min / max of the sizes: an exact test that skips most sets.
            .filter(|print| {
                let (a, b) = (print.words.len(), words.len());
                a.min(b) as f64 >= MIN_JACCARD * a.max(b) as f64
            })
            .filter(|print| jaccard(&print.words, words) >= MIN_JACCARD)
            .min_by_key(|print| (print.created_at, &print.id))
    }

    fn insert_print(&mut self, print: Print, keys: &[u64; BANDS]) -> u32 {
        let position = u32::try_from(self.prints.len()).expect("fewer than 4 billion records");
        for &key in keys {
            self.buckets.entry(key).or_default().push(position);
        }
        self.prints.push(print);
        position
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::snapshot::tests::record;

    fn titled(native: &str, created: &str, title: &str) -> Record {
        Record {
            title: title.into(),
            ..record(native, created)
        }
    }

    #[test]
    fn short_texts_get_no_word_set() {
        let short = titled("a", "2026-01-01T00:00:00Z", "GPT-5 is out, out!");
        assert_eq!(word_set(&short), None);
        let long = titled("a", "2026-01-01T00:00:00Z", "GPT-5 is OUT for everyone");
        assert_eq!(word_set(&long).map(|words| words.len()), Some(6));
    }

    fn comment(native: &str, thread: &str, text: &str) -> Record {
        Record {
            kind: crate::model::Kind::Comment,
            title: String::new(),
            text: text.into(),
            thread_id: Some(RecordId::new(crate::model::Source::Reddit, thread)),
            ..record(native, "2025-07-01T00:00:00Z")
        }
    }

    #[test]
    fn short_and_link_only_comments_are_never_compared() {
        // Real r/LocalLLaMA comments: the same few words in two threads, and two image replies.
        let short = comment(
            "c1",
            "t1",
            "If you have to ask this question, then the answer is no.",
        );
        assert_eq!(word_set(&short), None, "11 distinct words");
        let image = comment("c2", "t2", "https://preview.redd.it/4tcfg4ecqp9e1.png?width=494&format=png&auto=webp&s=d39b7073c5bbeeb7d75bf98e9");
        assert_eq!(word_set(&image), None, "a link is no words");
        // Posted twice by its author; the second copy here gains a link, which does not count.
        let text = "Thanks for the comment! I know this might sound silly, but unfortunately, I'm limited to getting only a BTO system and restricted to RTX 5xxx series GPUs.";
        let mut index = DedupIndex::default();
        let admitted = index.admit(vec![
            comment("c3", "t1", text),
            comment("c4", "t2", &format!("{text} [link](https://example.org/a)")),
            comment("c5", "t2", "If you have to ask, the answer is no."),
        ]);
        let links: Vec<Option<&str>> = admitted
            .fresh
            .iter()
            .map(|r| r.near_duplicate_of.as_ref().map(RecordId::native_id))
            .collect();
        assert_eq!(links, [None, Some("c3"), None]);
    }

    #[test]
    fn jaccard_counts_shared_over_union() {
        assert_eq!(jaccard(&[1, 2, 3, 4], &[2, 3, 4, 5, 6]), 0.5);
        assert_eq!(jaccard(&[1, 2], &[1, 2]), 1.0);
    }

    #[test]
    fn exact_duplicates_dropped_near_duplicates_linked_to_first_copy() {
        // Real titles: an HN story and the same headline cut short in a Reddit table.
        let full = "Meta says it won’t sign Europe AI agreement, calling it an overreach";
        let mut index = DedupIndex::default();
        let first = titled("x1", "2026-01-01T00:00:00Z", full);
        index.insert_stored(StoredRecord::from(first.clone()));
        let batch = vec![
            titled("x3", "2026-01-03T00:00:00Z", &full.replace('’', "'")),
            titled(
                "x2",
                "2026-01-02T00:00:00Z",
                "Meta says it won't sign Europe AI agreement, calling it ...",
            ),
            first.clone(),
            titled(
                "x4",
                "2026-01-02T00:00:00Z",
                "An art exhibit in Japan where a chained robot dog will tr...",
            ),
            titled(
                "x4",
                "2026-01-02T00:00:00Z",
                "same id again, a different text entirely",
            ),
        ];
        let admitted = index.admit(batch);
        assert_eq!(admitted.duplicates, 2);
        let links: Vec<_> = admitted
            .fresh
            .iter()
            .map(|r| {
                (
                    r.id.native_id(),
                    r.near_duplicate_of.as_ref().map(|id| id.native_id()),
                )
            })
            .collect();
        assert_eq!(
            links,
            [("x2", Some("x1")), ("x4", None), ("x3", Some("x1"))]
        );
        assert!(
            admitted.fresh[1].title.starts_with("An art exhibit"),
            "the first of two equal ids is kept"
        );
        assert_eq!(index.len(), 4);
    }
}
