//! `data/series/daily.json`: AI record counts per UTC day, kept for the site's whole life.
//!
//! Analysis reads only the [`WINDOW_DAYS`](super::WINDOW_DAYS) before its `as_of`, and
//! old snapshots may be compacted or pruned, so the long-run figures live in this small file
//! instead. Each analysis recounts the days it can see whole — from the later of the first full
//! day of its window and the first record's day, up to (not including) the day of `as_of` — and
//! merges them in: earlier days are kept as they are, a covered day changes only if its records
//! changed (a late-collected record), and the file is rewritten only when its bytes differ.
//!
//! ```text
//! {"schema":1,"days":{
//! "2026-01-07":{"records":12,"sources":{"bluesky":9,"hackernews":3},"beats":{"ai-policy":2}},
//! "2026-01-08":{"records":0,"sources":{},"beats":{}}
//! }}
//! ```
//!
//! `records` counts the day's records about AI (`relevant`); `sources` splits them by platform;
//! `beats` counts them in every beat they are annotated with (as the site's beat figures do), so
//! beats can sum to more than `records`. Maps are sorted, one day per line.

use std::collections::BTreeMap;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::Annotation;
use crate::atomic::write_atomic;
use crate::model::{BeatSlug, Record, Source, Taxonomy};

/// The series file's format version.
pub const SCHEMA: u32 = 1;

/// The series file under the data folder.
pub const SERIES_FILE: &str = "series/daily.json";

/// One UTC day's AI records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayCounts {
    /// Records about AI created that day.
    pub records: u64,
    /// Those records per platform.
    pub sources: BTreeMap<Source, u64>,
    /// Those records per beat (a record counts in each of its beats).
    pub beats: BTreeMap<BeatSlug, u64>,
}

/// The whole file: every day ever counted, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DailySeries {
    pub schema: u32,
    pub days: BTreeMap<NaiveDate, DayCounts>,
}

/// What [`update`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesUpdate {
    pub path: PathBuf,
    /// Days in the file afterwards.
    pub days: usize,
    /// Days not in the file before.
    pub added: usize,
    /// Days already in the file whose counts changed.
    pub changed: usize,
}

/// A series file that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SeriesError {
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: io::Error },
    #[error("{path}: {message}")]
    Corrupt { path: PathBuf, message: String },
}

/// The days an analysis sees whole: from the first full day at or after `window_start` (but not
/// before the first record's day) up to, not including, the day of `as_of`.
pub fn covered_days(
    window_start: DateTime<Utc>,
    as_of: DateTime<Utc>,
    records: &[Record],
) -> Range<NaiveDate> {
    let window_day = window_start.date_naive();
    let first_full = if window_day.and_hms_opt(0, 0, 0).expect("midnight").and_utc() == window_start
    {
        window_day
    } else {
        window_day.succ_opt().expect("in range")
    };
    let first_record = records.iter().map(|r| r.created_at.date_naive()).min();
    let start = first_record.map_or(first_full, |day| day.max(first_full));
    start..as_of.date_naive()
}

/// Counts the AI records of every day in `days` (days without any get zeros).
pub fn count_days(
    taxonomy: &Taxonomy,
    records: &[Record],
    annotations: &[Annotation],
    days: &Range<NaiveDate>,
) -> BTreeMap<NaiveDate, DayCounts> {
    let mut counted: BTreeMap<NaiveDate, DayCounts> = days
        .start
        .iter_days()
        .take_while(|day| *day < days.end)
        .map(|day| (day, DayCounts::default()))
        .collect();
    for (record, annotation) in records.iter().zip(annotations) {
        let Some(day) = counted.get_mut(&record.created_at.date_naive()) else {
            continue;
        };
        if !annotation.relevant {
            continue;
        }
        day.records += 1;
        *day.sources.entry(record.source).or_default() += 1;
        for beat in &annotation.beats {
            let slug = &taxonomy.beats[beat.beat as usize].slug;
            *day.beats.entry(slug.clone()).or_default() += 1;
        }
    }
    counted
}

/// Merges freshly `counted` days into the series file at `path` (created if missing), writing
/// it atomically and only if it changes.
pub fn update(
    path: &Path,
    counted: BTreeMap<NaiveDate, DayCounts>,
) -> Result<SeriesUpdate, SeriesError> {
    let io_error = |error| SeriesError::Io {
        path: path.to_path_buf(),
        error,
    };
    let old_bytes = match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_error(e)),
    };
    let mut series = match &old_bytes {
        Some(bytes) => parse(path, bytes)?,
        None => DailySeries {
            schema: SCHEMA,
            days: BTreeMap::new(),
        },
    };
    let (mut added, mut changed) = (0, 0);
    for (day, counts) in counted {
        match series.days.insert(day, counts.clone()) {
            None => added += 1,
            Some(old) if old != counts => changed += 1,
            Some(_) => {}
        }
    }
    let bytes = to_bytes(&series);
    if old_bytes.as_deref() != Some(bytes.as_slice()) {
        write_atomic(path, &bytes).map_err(io_error)?;
    }
    Ok(SeriesUpdate {
        path: path.to_path_buf(),
        days: series.days.len(),
        added,
        changed,
    })
}

/// Reads and checks a series file.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<DailySeries, SeriesError> {
    let corrupt = |message: String| SeriesError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    let series: DailySeries = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    if series.schema != SCHEMA {
        return Err(corrupt(format!(
            "schema {} is not the supported schema {SCHEMA}",
            series.schema
        )));
    }
    Ok(series)
}

/// The file's bytes: one day per line, so a new day is a one-line diff.
fn to_bytes(series: &DailySeries) -> Vec<u8> {
    let mut out = format!("{{\"schema\":{},\"days\":{{", series.schema).into_bytes();
    for (i, (day, counts)) in series.days.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        out.extend_from_slice(format!("\"{day}\":").as_bytes());
        serde_json::to_writer(&mut out, counts).expect("counts always serialize");
    }
    out.extend_from_slice(b"\n}}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::classify::BeatScore;
    use crate::store::snapshot::tests::record;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn taxonomy() -> Taxonomy {
        Taxonomy::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap()
    }

    fn annotation(relevant: bool, beats: &[u16]) -> Annotation {
        Annotation {
            relevance: if relevant { 0.9 } else { 0.1 },
            relevant,
            relevance_terms: Vec::new(),
            community_weight: 0.0,
            beats: beats
                .iter()
                .map(|&beat| BeatScore {
                    beat: beat as _,
                    score: 1.0,
                    terms: Vec::new(),
                })
                .collect(),
            choices: Vec::new(),
            sentiment: 0.0,
            entities: Vec::new(),
            names: Vec::new(),
            phrases: Vec::new(),
            language: "en",
            vector: Vec::new(),
        }
    }

    /// Two days of records: Jan 2 has two AI records (one in two beats) and one not about AI;
    /// Jan 3 has one from Hacker News; Jan 4 (the day of `as_of`) is not yet whole.
    fn fixture() -> (Vec<Record>, Vec<Annotation>) {
        let mut hn = record("h1", "2026-01-03T08:00:00Z");
        hn.source = Source::Hackernews;
        let records = vec![
            record("a", "2026-01-02T00:00:00Z"),
            record("b", "2026-01-02T23:59:59Z"),
            record("c", "2026-01-02T12:00:00Z"),
            hn,
            record("d", "2026-01-04T01:00:00Z"),
        ];
        let annotations = vec![
            annotation(true, &[0, 1]),
            annotation(true, &[0]),
            annotation(false, &[]),
            annotation(true, &[]),
            annotation(true, &[0]),
        ];
        (records, annotations)
    }

    #[test]
    fn covered_days_are_whole_days_after_the_first_record_and_before_as_of() {
        let (records, _) = fixture();
        let as_of = at("2026-01-04T06:00:00Z");
        let wide = covered_days(at("2025-10-01T06:00:00Z"), as_of, &records);
        assert_eq!(wide, day("2026-01-02")..day("2026-01-04"));
        let partial = covered_days(at("2026-01-02T06:00:00Z"), as_of, &records);
        assert_eq!(partial, day("2026-01-03")..day("2026-01-04"));
        let midnight = covered_days(at("2026-01-02T00:00:00Z"), as_of, &records);
        assert_eq!(midnight.start, day("2026-01-02"));
    }

    #[test]
    fn counts_are_exact_per_source_and_beat_and_merges_keep_older_days() {
        let taxonomy = taxonomy();
        let (first_beat, second_beat) = (&taxonomy.beats[0].slug, &taxonomy.beats[1].slug);
        let (records, annotations) = fixture();
        let days = day("2026-01-01")..day("2026-01-04");
        let counted = count_days(&taxonomy, &records, &annotations, &days);
        assert_eq!(counted.len(), 3);
        assert_eq!(counted[&day("2026-01-01")], DayCounts::default());
        let jan2 = &counted[&day("2026-01-02")];
        assert_eq!(jan2.records, 2);
        assert_eq!(jan2.sources, BTreeMap::from([(Source::Reddit, 2)]));
        assert_eq!(
            jan2.beats,
            BTreeMap::from([(first_beat.clone(), 2), (second_beat.clone(), 1)])
        );
        let jan3 = &counted[&day("2026-01-03")];
        assert_eq!(
            (jan3.records, jan3.sources.clone(), jan3.beats.len()),
            (1, BTreeMap::from([(Source::Hackernews, 1)]), 0)
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SERIES_FILE);
        let first = update(&path, counted.clone()).unwrap();
        assert_eq!((first.days, first.added, first.changed), (3, 3, 0));
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(text.lines().count(), 5, "{text}");
        assert!(text.contains(&format!(
            "\"2026-01-02\":{{\"records\":2,\"sources\":{{\"reddit\":2}},\"beats\":{{\"{first_beat}\":2,\"{second_beat}\":1}}}}"
        )), "{text}");
        assert_eq!(parse(&path, &bytes).unwrap().days, counted);

        // Same counts again: nothing changes, not a byte.
        let again = update(&path, counted.clone()).unwrap();
        assert_eq!((again.added, again.changed), (0, 0));
        assert_eq!(std::fs::read(&path).unwrap(), bytes);

        // A later analysis that sees only Jan 3 (one late record) and Jan 4 keeps Jan 1–2.
        let (mut later, mut later_notes) = fixture();
        later.push(record("late", "2026-01-03T09:00:00Z"));
        later_notes.push(annotation(true, &[1]));
        let recount = count_days(
            &taxonomy,
            &later,
            &later_notes,
            &(day("2026-01-03")..day("2026-01-05")),
        );
        let merged = update(&path, recount).unwrap();
        assert_eq!((merged.days, merged.added, merged.changed), (4, 1, 1));
        let series = parse(&path, &std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(series.days[&day("2026-01-02")], counted[&day("2026-01-02")]);
        assert_eq!(series.days[&day("2026-01-03")].records, 2);
        assert_eq!(series.days[&day("2026-01-04")].records, 1);
    }

    #[test]
    fn a_bad_series_file_is_named_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daily.json");
        std::fs::write(&path, b"{\"schema\":2,\"days\":{}}").unwrap();
        let err = update(&path, BTreeMap::new()).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("{}: schema 2 is not the supported schema 1", path.display())
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"schema\":2,\"days\":{}}");
    }
}
