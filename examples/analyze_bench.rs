//! How fast the analysis stage runs, events included, as the corpus grows: used for the
//! analysis figures in `bench/README.md`.
//!
//!     cargo run --release --example analyze_bench -- N [N …]
//!
//! Reads every record of the bundled store (`data/snapshots/`, comments included) and tiles it
//! to N records: copy `k` gets new ids (`…-rk`, its parent and thread ids too, so its threads
//! stay whole) and is shifted `k × 37` minutes later, so the copies overlap in the same event
//! window and the joins see a window N / 114,790 times as dense as the real one. Then, as
//! `zeitgeist analyze` does, with the learned classifier: parse the records from JSON Lines,
//! annotate them, aggregate, detect signals, find events and candidates, and write the output
//! files into a temporary folder. Prints each phase's time and records per second per N. Peak
//! memory is the process's: run one N per process under `/usr/bin/time -v` to read it.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use chrono::Duration;
use zeitgeist::analyze::annotation_cache::AnnotationCache;
use zeitgeist::analyze::{self, CandidateConfig, Classifier};
use zeitgeist::model::{Record, RecordId};
use zeitgeist::store::{Store, TimeWindow};

// The allocator the `zeitgeist` binary runs with, so the figures are the command's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Minutes between one copy of the corpus and the next.
const SHIFT_MINUTES: i64 = 37;

fn main() -> Result<()> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| {
            a.replace(['_', ','], "")
                .parse()
                .context("N must be a number")
        })
        .collect::<Result<_>>()?;
    if sizes.is_empty() {
        bail!("usage: analyze_bench N [N …]");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let classifier = Classifier::load(root)?;
    let base = Store::open(root.join("data")).read_window(&TimeWindow::all())?;
    let comments = base.iter().filter(|r| r.parent_id.is_some()).count();
    println!(
        "base: {} records ({comments} with a parent), tiled every {SHIFT_MINUTES} minutes",
        base.len()
    );
    for n in sizes {
        bench(&classifier, &tiled(&base, n), n)?;
    }
    sentiment_against_the_crate(&classifier, &base);
    Ok(())
}

/// Our whole per-record annotation against the `vader_sentiment` crate's scoring alone, on one
/// core (why `analyze::sentiment` scores with the crate's lexicon but its own pass).
fn sentiment_against_the_crate(classifier: &Classifier, base: &[Record]) {
    let sample: Vec<&Record> = base.iter().take(20_000).collect();
    let analyzer = vader_sentiment::SentimentIntensityAnalyzer::new();
    let started = Instant::now();
    for record in &sample {
        std::hint::black_box(analyzer.polarity_scores(&record.full_text()));
    }
    let crate_rate = sample.len() as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    for record in &sample {
        std::hint::black_box(classifier.annotate(record));
    }
    let ours = sample.len() as f64 / started.elapsed().as_secs_f64();
    println!(
        "one core, {} records: our whole annotation {ours:.0} records/s; the vader_sentiment crate's polarity_scores alone {crate_rate:.0} texts/s",
        sample.len()
    );
}

/// `n` records: copies of `base`, each with new ids and shifted in time.
fn tiled(base: &[Record], n: usize) -> String {
    let rename = |id: &RecordId, copy: usize| -> RecordId {
        format!("{id}-r{copy}")
            .parse()
            .expect("a renamed id parses")
    };
    let mut lines = String::new();
    for (i, record) in base.iter().cycle().take(n).enumerate() {
        let copy = i / base.len();
        let mut r = record.clone();
        if copy > 0 {
            r.id = rename(&r.id, copy);
            r.parent_id = r.parent_id.as_ref().map(|p| rename(p, copy));
            r.thread_id = r.thread_id.as_ref().map(|t| rename(t, copy));
            let shift = Duration::minutes(SHIFT_MINUTES * copy as i64);
            r.created_at += shift;
            r.collected_at += shift;
        }
        lines.push_str(&serde_json::to_string(&r).expect("a record serialises"));
        lines.push('\n');
    }
    lines
}

fn bench(classifier: &Classifier, lines: &str, n: usize) -> Result<()> {
    let out = tempfile::tempdir()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cache = AnnotationCache::open(classifier, root)?.at(out.path().join("annotations.bin"));
    let started = Instant::now();
    let records = analyze::parse_records_jsonl(Path::new("bench.jsonl"), lines)?;
    let parsed = started.elapsed();
    // Cold: every record annotated and the cache written, as a first run does.
    let (_, cold) = cache.annotate(&records);
    let cold_time = started.elapsed() - parsed;
    // Cached: the run after, which finds every record in the cache.
    let restarted = Instant::now();
    let (annotations, warm) = cache.annotate(&records);
    let annotated = restarted.elapsed();
    let as_of = analyze::default_as_of(&records).context("no records")?;
    let analysis = analyze::analyze(
        classifier,
        &records,
        &annotations,
        &[],
        as_of,
        &CandidateConfig::default(),
    );
    let analysed = restarted.elapsed();
    analyze::write_outputs(out.path(), classifier, &records, &annotations, &analysis)?;
    let total = parsed + restarted.elapsed();
    println!(
        "{n} records: parse {:.2} s; annotate cold {:.2} s ({} annotated, cache {} MB); cached {:.2} s ({} reused); aggregates + signals + events + candidates {:.2} s, write {:.2} s; total with the cache {:.2} s = {:.0} records/s (cold {:.0} records/s); {} events, {} candidates",
        parsed.as_secs_f64(),
        cold_time.as_secs_f64(),
        cold.annotated,
        cold.written.unwrap_or(0) / 1_000_000,
        annotated.as_secs_f64(),
        warm.reused,
        (analysed - annotated).as_secs_f64(),
        (restarted.elapsed() - analysed).as_secs_f64(),
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        n as f64 / (total - annotated + cold_time).as_secs_f64(),
        analysis.events.total_events,
        analysis.candidates.candidates.len(),
    );
    Ok(())
}
