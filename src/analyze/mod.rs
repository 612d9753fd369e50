//! The analysis stage: reads records, writes what the site and the story writer need under
//! `data/analysis/`.
//!
//! Everything here is a pure function of the records, the taxonomy (`data/beats.yaml`), the
//! gazetteer (`data/entities.yaml`), the recent stories and an explicit `as_of` time, so any run
//! can be reproduced byte for byte:
//!
//! 1. [`annotate_all`]: per record relevance, beats, sentiment, entities, phrases, language;
//! 2. [`analyze`]: aggregates, signals and candidate stories as of a time;
//! 3. [`write_outputs`]: the files under `data/analysis/`, each written atomically.
//!
//! # Files written (`data/analysis/`)
//!
//! All JSON is deterministic: maps sorted by key, lists in a defined order, floats rounded to
//! three decimals, times RFC 3339 UTC. Platforms are the lowercase [`Source`] names.
//!
//! - `aggregates.json` — `{as_of, input, overall, sources, categories, beats}`. `input` is
//!   [`InputSummary`] (`records`, `relevant`, `after_as_of`, `first_record`, `last_record`,
//!   `by_source`). `overall` is one [`aggregate::GroupStats`]; `sources`, `categories` and
//!   `beats` map a platform, category slug or beat slug to one (every beat and category is
//!   present, empty ones with zeros). GroupStats: `records_24h`, `records_7d`, `records_30d`,
//!   `prior_24h`, `prior_7d`, `change_day`, `change_day_pct` (null when the prior day had
//!   none), `change_week`, `change_week_pct`, `daily_average_30d`, `hourly` (72 counts, oldest
//!   first, last = the hour to `as_of`), `daily` (90 rolling-day counts, oldest first, last =
//!   `records_24h`), `sentiment` (`{platform: {records, sentiment}}`, last 30 days),
//!   `platform_share` (`{platform: share}`, last 30 days), `top_entities` and `top_phrases`
//!   (`[{text, records}]`, last 7 days, at most 10).
//! - `signals.json` — `{as_of, signals: [Signal]}`, strongest first, at most 200. Signal:
//!   `kind` (velocity | novelty | divergence), `subject_kind` (beat | entity | phrase),
//!   `subject`, `beat` (slug or null), `last_24h`, `last_7d`, `baseline` (records/day over the
//!   28 days before the last 24 h), `baseline_7d` (records/week over the 4 weeks before the
//!   last 7 days), `window` (`24h` | `7d`: the window the signal compared), `strength`, `score`, `intensity` (low | medium | high),
//!   `reason`, and for divergence `platforms` (`{platform: {records, sentiment}}`).
//! - `candidates.json` — [`Candidates`]: `{as_of, window_hours, candidates: [Candidate],
//!   suppressed: [{topic, story, reason}]}` (`story` relative to `content/stories/`), candidates
//!   best first. Candidate: `topic` (stable
//!   key `<beat>/<two terms>`), `label`, `as_of`, `beat` `{slug, name}`, `category` (name),
//!   `signal` `{kind, strength, subject, reason}`, `intensity`, `score`, `volume`
//!   `{last_24h, baseline, fired: {window: "24h"|"7d", records, baseline}}` (`fired`: the
//!   counts of the window the signal fired on), `sentiment` (`{platform: mean}`),
//!   `top_entities`, `top_phrases`,
//!   `record_ids` (all, sorted), `counts` (`{platform: records}`), `distinct_records`,
//!   `top_by_engagement` and `top_by_centrality` (`[{id, source, engagement, centrality}]`, 5
//!   each), `centrality` (`{record id: 0…1}`). Labels are record text: escape them.
//! - `evidence_packs.json` — the synthesis stage's input (`zeitgeist synthesize` reads it by
//!   default): a JSON array of [`EvidencePack`], best first, for the best [`MAX_PACKS`]
//!   candidates that have a beat (see [`evidence_packs`]).
//! - `records.jsonl` — one line per AI record of the [`WINDOW_DAYS`] up to `as_of`,
//!   newest first: `{source, created_at, id, relevant, relevance, relevance_terms, beats:
//!   [{beat, score, terms}], sentiment, sentiment_label, entities, names, phrases, language,
//!   duplicate_of?}` (see [`classify::AnnotationView`]). JSONL, so the site's template loader
//!   skips it.
//! - `../series/daily.json` — AI record counts per UTC day, per platform and beat, kept beyond
//!   the analysis window (see [`series`]; written by the store-reading callers, not by
//!   [`write_outputs`]).
//! - `taxonomy.json` — `{categories: [{slug, name, description, beats: [slug]}], beats:
//!   [{slug, name, category, description}]}`, in `data/beats.yaml` order.

pub mod aggregate;
pub mod annotation_cache;
pub mod candidates;
pub mod classify;
pub mod embed;
pub mod eval;
pub mod events;
pub mod learned;
pub mod pack;
pub mod sentiment;
pub mod series;
pub mod signals;
pub mod stories;
pub mod strands;
pub mod terms;
pub mod text;
pub mod train;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

pub use crate::model::gazetteer::Gazetteer;
pub use candidates::{CandidateConfig, Candidates};
pub use classify::{Annotation, Classifier};
pub use signals::{Intensity, Signal, SignalKind};
pub use stories::RecentStory;

use crate::atomic::write_atomic;
use crate::model::analysis::{
    Aggregates, AggregatesFile, BeatEntry, CategoryEntry, InputSummary, TaxonomyFile,
};
use crate::model::event::EventsFile;
use crate::model::evidence::EvidencePack;
use crate::model::{Record, RecordId, Source};

/// Where the stage writes, relative to the site's `data/` folder.
pub const ANALYSIS_DIR: &str = "analysis";

/// Days an analysis as of a time looks back: the daily series has this many points, novelty
/// scans this much history (a subject must be absent from days 7..this), and `records.jsonl`
/// holds the AI records of these days — what the site lists. Older records change no figure, so
/// a run reads only these days, and the file stays proportional to recent activity.
pub const WINDOW_DAYS: usize = 90;

/// Annotates every record, in parallel, keeping the input order.
pub fn annotate_all(classifier: &Classifier, records: &[Record]) -> Vec<Annotation> {
    records.par_iter().map(|r| classifier.annotate(r)).collect()
}

/// The time the figures are "as of" by default: the newest record's creation time.
pub fn default_as_of(records: &[Record]) -> Option<DateTime<Utc>> {
    records.iter().map(|r| r.created_at).max()
}

/// Everything one run produces apart from the per-record annotations.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub as_of: DateTime<Utc>,
    pub input: InputSummary,
    pub aggregates: Aggregates,
    pub signals: Vec<Signal>,
    pub events: EventsFile,
    pub candidates: Candidates,
}

/// Aggregates, signals and candidates as of `as_of`.
pub fn analyze(
    classifier: &Classifier,
    records: &[Record],
    annotations: &[Annotation],
    stories: &[RecentStory],
    as_of: DateTime<Utc>,
    config: &CandidateConfig,
) -> Analysis {
    let (aggregates, detected) = rayon::join(
        || aggregate::aggregate(classifier, records, annotations, as_of),
        || signals::detect(classifier, records, annotations, as_of),
    );
    let ranked = candidates::find(
        classifier,
        records,
        annotations,
        &detected,
        stories,
        as_of,
        config,
    );
    Analysis {
        as_of,
        input: summarize(records, annotations, as_of),
        aggregates,
        signals: detected.signals,
        events: ranked.events,
        candidates: ranked.candidates,
    }
}

fn summarize(records: &[Record], annotations: &[Annotation], as_of: DateTime<Utc>) -> InputSummary {
    let mut by_source = BTreeMap::new();
    for record in records {
        *by_source.entry(record.source).or_default() += 1;
    }
    let in_range = |r: &Record| r.created_at <= as_of;
    InputSummary {
        records: records.len() as u64,
        relevant: records
            .iter()
            .zip(annotations)
            .filter(|(r, a)| a.relevant && in_range(r))
            .count() as u64,
        after_as_of: records.iter().filter(|r| !in_range(r)).count() as u64,
        first_record: records.iter().map(|r| r.created_at).min(),
        last_record: records.iter().map(|r| r.created_at).max(),
        by_source,
    }
}

/// A problem with the records file.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Bytes of input parsed at a time: large enough to keep both cores busy, small enough that
/// the raw text never costs more memory than a sliver of the records it becomes.
const READ_BLOCK: u64 = 32 << 20;

/// Reads Record-per-line JSONL block by block, parsing each block's lines in parallel; blank
/// lines are skipped. The first bad line is reported with its line number.
pub fn read_records_jsonl(path: &Path) -> Result<Vec<Record>, InputError> {
    let read_error = |source| InputError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = BufReader::new(fs::File::open(path).map_err(read_error)?);
    let mut records = Vec::new();
    let mut block = Vec::new();
    let mut first_line = 1;
    loop {
        block.clear();
        if (&mut reader)
            .take(READ_BLOCK)
            .read_to_end(&mut block)
            .map_err(read_error)?
            == 0
        {
            break;
        }
        if block.last() != Some(&b'\n') {
            reader.read_until(b'\n', &mut block).map_err(read_error)?;
        }
        let text = std::str::from_utf8(&block).map_err(|e| InputError::Parse {
            path: path.to_path_buf(),
            line: first_line
                + block[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count(),
            message: "not UTF-8".into(),
        })?;
        records.extend(parse_lines(path, text, first_line)?);
        first_line += block.iter().filter(|&&b| b == b'\n').count();
    }
    Ok(records)
}

/// Parses Record JSONL text; `path` is only used in messages.
pub fn parse_records_jsonl(path: &Path, text: &str) -> Result<Vec<Record>, InputError> {
    parse_lines(path, text, 1)
}

/// Parses lines in parallel; `first_line` is the file line number of the text's first line.
fn parse_lines(path: &Path, text: &str, first_line: usize) -> Result<Vec<Record>, InputError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (first_line + i, l))
        .collect();
    lines
        .par_iter()
        .map(|&(line, json)| {
            serde_json::from_str::<Record>(json).map_err(|e| InputError::Parse {
                path: path.to_path_buf(),
                line,
                message: e.to_string(),
            })
        })
        .collect()
}

/// One line of `data/analysis/records.jsonl`.
#[derive(Serialize)]
struct RecordLine<'a> {
    source: Source,
    created_at: DateTime<Utc>,
    #[serde(flatten)]
    annotation: classify::AnnotationView<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duplicate_of: Option<&'a RecordId>,
}

/// What [`write_outputs`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSummary {
    pub files: Vec<(PathBuf, usize)>,
}

/// Writes the analysis files into `dir` (normally `data/analysis/`), each atomically. All JSON
/// is deterministic: maps are sorted, lists have a defined order, floats are rounded.
pub fn write_outputs(
    dir: &Path,
    classifier: &Classifier,
    records: &[Record],
    annotations: &[Annotation],
    analysis: &Analysis,
) -> io::Result<OutputSummary> {
    let as_of = analysis.as_of;
    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "records.jsonl",
            records_jsonl(classifier, records, annotations, as_of),
        ),
        (
            "aggregates.json",
            to_json(&AggregatesFile {
                as_of,
                input: analysis.input.clone(),
                aggregates: analysis.aggregates.clone(),
            }),
        ),
        (
            "signals.json",
            to_json(&SignalsFile {
                as_of,
                signals: &analysis.signals,
            }),
        ),
        ("events.json", to_json(&analysis.events)),
        ("candidates.json", to_json(&analysis.candidates)),
        (
            "evidence_packs.json",
            to_json(&evidence_packs(
                records,
                &analysis.candidates,
                MAX_PACKS,
                classifier.learned().map(|l| &l.embedder),
            )),
        ),
        ("taxonomy.json", to_json(&taxonomy_file(classifier))),
    ];
    let mut written = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        write_atomic(&path, &bytes)?;
        written.push((path, bytes.len()));
    }
    Ok(OutputSummary { files: written })
}

/// Evidence packs written for the synthesis stage: the best candidates, enough for a run's
/// stories with room for the ones dedup drops.
pub const MAX_PACKS: usize = 12;

/// The synthesis stage's input: an [`EvidencePack`] for each of the best `max` candidates that
/// have a beat, in rank order, each built from the candidate's facts, all its records and the
/// clustering's centrality per record — its records, and the comments of the threads its posts
/// start (a conversation is the post and what people answered; comments are found by
/// `thread_id`, or `parent_id` for platforms that only name the parent). With `model` (the
/// classifier's embedding), each pack's records are grouped into strands.
pub fn evidence_packs(
    records: &[Record],
    candidates: &Candidates,
    max: usize,
    model: Option<&embed::StaticModel>,
) -> Vec<EvidencePack> {
    let chosen: Vec<&candidates::Candidate> = candidates
        .candidates
        .iter()
        .filter(|c| c.facts.beat.slug != candidates::UNSORTED)
        .take(max)
        .collect();
    let mut wanted: FxHashMap<&RecordId, Vec<usize>> = FxHashMap::default();
    for (n, candidate) in chosen.iter().enumerate() {
        for id in &candidate.record_ids {
            wanted.entry(id).or_default().push(n);
        }
    }
    // Strand names are weighed against the words of every record read, not only the pack's.
    let background = match model {
        Some(_) if !chosen.is_empty() => strands::Background::of(records),
        _ => strands::Background::default(),
    };
    let mut members: Vec<Vec<Record>> = vec![Vec::new(); chosen.len()];
    for record in records {
        let thread = record.thread_id.as_ref().or(record.parent_id.as_ref());
        let mut packs: Vec<usize> = wanted.get(&record.id).cloned().unwrap_or_default();
        if record.kind == crate::model::Kind::Comment {
            packs.extend(thread.and_then(|t| wanted.get(t)).into_iter().flatten());
        }
        packs.sort_unstable();
        packs.dedup();
        for n in packs {
            members[n].push(record.clone());
        }
    }
    chosen
        .into_iter()
        .zip(members)
        .map(|(candidate, mut members)| {
            members.sort_by(|a, b| a.id.cmp(&b.id));
            members.dedup_by(|a, b| a.id == b.id);
            let centrality: HashMap<RecordId, f64> = candidate
                .centrality
                .iter()
                .map(|(id, c)| (id.clone(), *c))
                .collect();
            pack::assemble(
                candidate.facts.clone(),
                &members,
                &centrality,
                model,
                &background,
            )
        })
        // A candidate whose records all clean to nothing (a comment that only quotes another)
        // cannot make a story; leaving it out keeps the packs file to what a writer can use.
        .filter(|pack| pack.problems().is_empty())
        .collect()
}

/// AI records of the [`WINDOW_DAYS`] up to `as_of`, newest first (ties by id).
fn records_jsonl(
    classifier: &Classifier,
    records: &[Record],
    annotations: &[Annotation],
    as_of: DateTime<Utc>,
) -> Vec<u8> {
    let mut order: Vec<usize> = (0..records.len())
        .filter(|&i| annotations[i].relevant)
        .filter(|&i| {
            aggregate::age(records[i].created_at, as_of)
                .is_some_and(|a| a < Duration::days(WINDOW_DAYS as i64))
        })
        .collect();
    order.par_sort_by(|&a, &b| {
        records[b]
            .created_at
            .cmp(&records[a].created_at)
            .then_with(|| records[a].id.cmp(&records[b].id))
    });
    let chunks: Vec<Vec<u8>> = order
        .par_chunks(4096)
        .map(|chunk| {
            let mut out = Vec::with_capacity(chunk.len() * 300);
            for &i in chunk {
                let line = RecordLine {
                    source: records[i].source,
                    created_at: records[i].created_at,
                    annotation: classifier.view(&records[i].id, &annotations[i]),
                    duplicate_of: records[i].near_duplicate_of.as_ref(),
                };
                serde_json::to_writer(&mut out, &line).expect("annotations serialise");
                out.push(b'\n');
            }
            out
        })
        .collect();
    chunks.concat()
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("analysis output serialises");
    bytes.push(b'\n');
    bytes
}

#[derive(Serialize)]
struct SignalsFile<'a> {
    as_of: DateTime<Utc>,
    signals: &'a [Signal],
}

/// The taxonomy as the site needs it (names, categories, descriptions; no terms).
fn taxonomy_file(classifier: &Classifier) -> TaxonomyFile {
    let taxonomy = &classifier.taxonomy;
    TaxonomyFile {
        categories: taxonomy
            .categories
            .iter()
            .map(|c| CategoryEntry {
                slug: c.slug.clone(),
                name: c.name.clone(),
                description: c.description.clone(),
                beats: taxonomy
                    .beats
                    .iter()
                    .filter(|b| b.category == c.slug)
                    .map(|b| b.slug.clone())
                    .collect(),
            })
            .collect(),
        beats: taxonomy
            .beats
            .iter()
            .map(|b| BeatEntry {
                slug: b.slug.clone(),
                name: b.name.clone(),
                category: b.category.clone(),
                description: b.description.trim().to_string(),
            })
            .collect(),
    }
}
