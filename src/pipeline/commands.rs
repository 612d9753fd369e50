//! The single-stage commands as the command line runs them (`analyze`, `classify`, `eval`,
//! `collect`, `import`, `compact`, `synthesize`, `build`, `check`, `serve`): each takes its
//! options, takes the lock when it writes `data/` or `content/`, calls its stage through
//! [`stages`](super::stages) or the stage's own entry point, and prints progress to stderr. The
//! command line (`cli/`) only parses flags into these options, so it depends on the pipeline
//! alone; the stage types its flags name are re-exported here.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::stages::{
    analyze_records, annotate_stored, collect_sources, load_classifier, load_packs, source_results,
    update_series, write_stories, DEFAULT_PACKS,
};
use crate::analyze::{self, eval, CandidateConfig};
use crate::atomic::write_atomic;
use crate::config::{Config, Paths};
use crate::model::{Record, Source, WriterKind};
use crate::store::import;
use crate::store::snapshot::Encoding;
use crate::store::{Batch, Store};
use crate::synthesize::PackResult;

pub use crate::site::BuildOptions;
pub use crate::store::import::{ImportFormat, Subset};

/// The cosine a record needs to join an event by meaning, unless `--similarity` says.
pub fn default_similarity() -> f64 {
    f64::from(CandidateConfig::default().events.similarity)
}

/// `zeitgeist analyze`.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Records of this JSONL file instead of the store's.
    pub input: Option<PathBuf>,
    /// Default: the newest record's time.
    pub as_of: Option<DateTime<Utc>>,
    /// Hours of records whose events are candidate stories.
    pub window_hours: i64,
    pub similarity: f64,
    /// Default `<root>/data/analysis`.
    pub out: Option<PathBuf>,
}

/// Reads Record JSONL.
fn read_input(path: &Path) -> anyhow::Result<Vec<Record>> {
    Ok(analyze::read_records_jsonl(path)?)
}

/// Reads records (from the store, or `input`), annotates them, and writes `data/analysis/` as
/// of `as_of`.
pub fn analyze(paths: &Paths, args: AnalyzeOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    let _lock = super::lock::take(paths, "analyze")?;
    let classifier = load_classifier(paths)?;
    let (records, as_of) = match &args.input {
        Some(input) => {
            let records = read_input(input)?;
            match args.as_of.or_else(|| analyze::default_as_of(&records)) {
                Some(as_of) => (records, as_of),
                None => anyhow::bail!("{}: no records to analyse", input.display()),
            }
        }
        None => read_store(paths, args.as_of)?,
    };
    let read_time = started.elapsed();
    // Only the store's records are cached: an input file is read once.
    let annotations = match &args.input {
        Some(_) => analyze::annotate_all(&classifier, &records),
        None => annotate_stored(paths, &classifier, &records)?,
    };
    let annotate_time = started.elapsed();
    let defaults = CandidateConfig::default();
    let config = CandidateConfig {
        events: analyze::events::EventConfig {
            window: Duration::hours(args.window_hours),
            similarity: args.similarity as f32,
            ..defaults.events
        },
        arc_growth: Config::load(&paths.root)?.synthesis.dedup_growth,
        ..defaults
    };
    let out = args
        .out
        .unwrap_or_else(|| paths.data().join(analyze::ANALYSIS_DIR));
    let (analysis, written) = analyze_records(
        paths,
        &classifier,
        &records,
        &annotations,
        as_of,
        &config,
        &out,
    )?;
    if args.input.is_none() {
        update_series(paths, &classifier, &records, &annotations, as_of)?;
    }
    eprintln!(
        "analyzed {} records ({} about AI) as of {} in {:.2}s (read {:.2}s, annotate {:.2}s): {} signals, {} candidates ({} suppressed by recent stories)",
        analysis.input.records,
        analysis.input.relevant,
        as_of.to_rfc3339(),
        started.elapsed().as_secs_f64(),
        read_time.as_secs_f64(),
        (annotate_time - read_time).as_secs_f64(),
        analysis.signals.len(),
        analysis.candidates.candidates.len(),
        analysis.candidates.suppressed.len(),
    );
    for (path, bytes) in written.files {
        eprintln!("  wrote {} ({} bytes)", path.display(), bytes);
    }
    Ok(())
}

/// The store's records of the analysis window ending at `as_of` (default: the newest record).
fn read_store(
    paths: &Paths,
    as_of: Option<DateTime<Utc>>,
) -> anyhow::Result<(Vec<Record>, DateTime<Utc>)> {
    let store = Store::open(paths.data());
    let as_of = match as_of {
        Some(as_of) => as_of,
        None => match super::latest_record(&store)? {
            Some(latest) => latest,
            None => anyhow::bail!(
                "{}: the store holds no records (run `zeitgeist collect` or `zeitgeist import` first)",
                store.snapshots_dir().display()
            ),
        },
    };
    let records = store.read_window(&super::analysis_window(as_of))?;
    Ok((records, as_of))
}

/// Prints one annotation per record of `input` as JSONL (only those about AI when
/// `relevant_only`).
pub fn classify(paths: &Paths, input: &Path, relevant_only: bool) -> anyhow::Result<()> {
    let classifier = load_classifier(paths)?;
    let records = read_input(input)?;
    let annotations = analyze::annotate_all(&classifier, &records);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut printed = 0;
    for (record, annotation) in records.iter().zip(&annotations) {
        if relevant_only && !annotation.relevant {
            continue;
        }
        serde_json::to_writer(&mut out, &classifier.explain(record, annotation))?;
        out.write_all(b"\n")?;
        printed += 1;
    }
    out.flush()?;
    let relevant = annotations.iter().filter(|a| a.relevant).count();
    eprintln!(
        "classified {} records from {}: {} about AI, {} printed",
        records.len(),
        input.display(),
        relevant,
        printed
    );
    Ok(())
}

/// Scores the classifier against a labelled file; prints a table, or JSON when `json`.
pub fn eval(paths: &Paths, input: &Path, json: bool) -> anyhow::Result<()> {
    let classifier = load_classifier(paths)?;
    let labelled = eval::read_labelled(input)?;
    let records: Vec<Record> = labelled.iter().map(|l| l.record.clone()).collect();
    let annotations = analyze::annotate_all(&classifier, &records);
    let report = eval::evaluate(&classifier, &labelled, &annotations);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    eprintln!(
        "evaluated {} labelled records from {}",
        report.overall.records,
        input.display()
    );
    Ok(())
}

fn print_report(report: &eval::Report) {
    println!(
        "{:<22} {:>7} {:>9} {:>9} {:>7} {:>8} {:>8}",
        "records", "n", "precision", "recall", "rel F1", "beat@1", "beat@2"
    );
    let row = |name: &str, s: &eval::Scores| {
        println!(
            "{:<22} {:>7} {:>9.3} {:>9.3} {:>7.3} {:>8.3} {:>8.3}",
            name,
            s.records,
            s.relevance.precision(),
            s.relevance.recall(),
            s.relevance.f1(),
            s.primary.top1_share(),
            s.primary.top2_share()
        )
    };
    row("all", &report.overall);
    for (group, scores) in &report.platforms {
        // "arxiv paper" repeats "arxiv" when a platform has one kind of record.
        let platform = group.split(' ').next().unwrap_or(group);
        if group == platform || report.platforms.get(platform) != Some(scores) {
            row(group, scores);
        }
    }
    println!(
        "\nprimary beat over {} relevant records: top-1 {} ({:.1}%), top-2 {} ({:.1}%), macro F1 {:.3}",
        report.overall.primary.records,
        report.overall.primary.top1,
        100.0 * report.overall.primary.top1_share(),
        report.overall.primary.top2,
        100.0 * report.overall.primary.top2_share(),
        report.beat_macro_f1
    );
    println!(
        "{:<26} {:>9} {:>9} {:>7} {:>4} {:>4} {:>4}  most often taken for",
        "beat", "precision", "recall", "F1", "tp", "fp", "fn"
    );
    for (beat, c) in &report.beats {
        let confused: Vec<String> = report
            .confusion
            .get(beat)
            .map(|row| {
                let mut wrong: Vec<(&String, &u64)> =
                    row.iter().filter(|(p, _)| *p != beat).collect();
                wrong.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                wrong
                    .iter()
                    .take(3)
                    .map(|(p, n)| format!("{p} {n}"))
                    .collect()
            })
            .unwrap_or_default();
        println!(
            "{:<26} {:>9.3} {:>9.3} {:>7.3} {:>4} {:>4} {:>4}  {}",
            beat,
            c.precision(),
            c.recall(),
            c.f1(),
            c.true_positives,
            c.false_positives,
            c.false_negatives,
            confused.join(", ")
        );
    }
}

/// `zeitgeist collect`.
#[derive(Debug, Clone, Default)]
pub struct CollectOptions {
    /// Only these sources; every enabled one when empty.
    pub sources: Vec<Source>,
    /// Also write the per-source results as JSON here.
    pub report: Option<PathBuf>,
}

/// Collects the enabled (or chosen) sources into the store and prints the summary; fails only
/// when every enabled source failed.
pub fn collect(paths: &Paths, args: CollectOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    let config = Config::load(&paths.root)?;
    let _lock = super::lock::take(paths, "collect")?;
    let enabled = crate::collect::enabled_sources(&config.sources);
    for source in args.sources.iter().filter(|s| !enabled.contains(s)) {
        eprintln!("{source}: not enabled in site.toml ([sources.{source}]); skipped");
    }
    let chosen = match args.sources.as_slice() {
        [] => config.sources.clone(),
        keep => config.sources.only(keep),
    };
    let summary = collect_sources(paths, &chosen, Utc::now())?;
    print!("{summary}");
    let results = source_results(&summary);
    if let Some(path) = &args.report {
        let mut bytes = serde_json::to_vec_pretty(&results)?;
        bytes.push(b'\n');
        write_atomic(path, &bytes)
            .with_context(|| format!("{}: cannot write the collection report", path.display()))?;
    }
    let new: usize = results.values().map(|r| r.new).sum();
    eprintln!(
        "collect: {new} new records from {} source(s) in {:.1?}",
        results.len(),
        started.elapsed()
    );
    if summary.all_failed() {
        anyhow::bail!("every enabled source failed");
    }
    Ok(())
}

/// Bad lines are listed in full up to this many; the rest are only counted.
const SKIPPED_SHOWN: usize = 20;

/// `zeitgeist import`.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub file: PathBuf,
    pub source: Source,
    pub format: ImportFormat,
    /// The days and communities to keep; everything by default.
    pub subset: Subset,
}

/// Imports a JSONL corpus into the store.
pub fn import(paths: &Paths, args: ImportOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    let _lock = super::lock::take(paths, "import")?;
    let mut store = Store::open(paths.data());
    eprintln!(
        "importing {} as {} ({} format) into {}",
        args.file.display(),
        args.source,
        args.format,
        store.snapshots_dir().display()
    );
    let mut parsed = import::read_lines(&args.file, args.source, args.format)?;
    for skipped in parsed.skipped.iter().take(SKIPPED_SHOWN) {
        eprintln!("skipped {skipped}");
    }
    if parsed.skipped.len() > SKIPPED_SHOWN {
        eprintln!(
            "… and {} more skipped lines",
            parsed.skipped.len() - SKIPPED_SHOWN
        );
    }
    if parsed.lines > 0 && parsed.skipped.len() == parsed.lines {
        anyhow::bail!(
            "{}: none of its {} lines is a {} line in {} format (wrong --source or --format?)",
            args.file.display(),
            parsed.lines,
            args.source,
            args.format
        );
    }
    let outside = parsed.keep_only(&args.subset);
    let subset = if args.subset.is_everything() {
        String::new()
    } else {
        format!(", {outside} outside {}", describe_subset(&args.subset))
    };
    eprintln!(
        "parsed {} lines ({} skipped{subset}) in {:.1?}; checking duplicates and writing snapshots…",
        parsed.lines,
        parsed.skipped.len(),
        started.elapsed()
    );
    let commit = store
        .commit(Batch::new(args.source, parsed.records))
        .with_context(|| format!("storing the records of {}", args.file.display()))?;
    eprintln!(
        "read {} lines: {} new, {} duplicate ({} filled in a stored copy), {} near-duplicate (linked), {} skipped{subset}; {} snapshot files written, {} rewritten in {:.1?}",
        parsed.lines,
        commit.new,
        commit.duplicates,
        commit.filled,
        commit.near_duplicates,
        parsed.skipped.len(),
        commit.files.len(),
        commit.rewritten.len(),
        started.elapsed()
    );
    Ok(())
}

/// `--from 2025-06-01 --to 2025-08-31 --community cs.CL` in words: "2025-06-01 … 2025-08-31,
/// community cs.CL".
fn describe_subset(subset: &Subset) -> String {
    let day = |d: Option<NaiveDate>| d.map_or("…".to_string(), |d| d.to_string());
    let mut parts = Vec::new();
    if subset.from.is_some() || subset.to.is_some() {
        parts.push(format!("{} … {}", day(subset.from), day(subset.to)));
    }
    if !subset.communities.is_empty() {
        parts.push(format!("community {}", subset.communities.join(" or ")));
    }
    parts.join(", ")
}

/// `zeitgeist compact`.
#[derive(Debug, Clone, Default)]
pub struct CompactOptions {
    /// Only days before this date; all days when absent.
    pub before: Option<NaiveDate>,
    pub gzip: bool,
}

/// Merges old snapshots into one file per source and day.
pub fn compact(paths: &Paths, args: CompactOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    let _lock = super::lock::take(paths, "compact")?;
    let store = Store::open(paths.data());
    let encoding = Encoding::gzip_if(args.gzip);
    let report = store
        .compact(args.before, encoding)
        .context("compacting snapshots")?;
    for path in &report.written {
        eprintln!("wrote {}", path.display());
    }
    eprintln!(
        "compacted {} days: {} snapshot files → {} ({} records merged) in {:.1?}",
        report.days,
        report.files_before,
        report.files_after,
        report.records_merged,
        started.elapsed()
    );
    Ok(())
}

/// `zeitgeist synthesize`.
#[derive(Debug, Clone, Default)]
pub struct SynthesizeOptions {
    /// Story date and dedup reference time; default each pack's own as-of time.
    pub as_of: Option<DateTime<Utc>>,
    /// Evidence pack files; default `data/analysis/evidence_packs.json`.
    pub packs: Vec<PathBuf>,
    /// Instead of `[synthesis] writer`.
    pub writer: Option<WriterKind>,
    /// Instead of `[synthesis] max_stories`.
    pub max_stories: Option<usize>,
}

/// Writes stories for the evidence packs into `content/stories/` and reports each.
pub fn synthesize(paths: &Paths, args: SynthesizeOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    let _lock = super::lock::take(paths, "synthesize")?;
    let site = Config::load(&paths.root)?;
    let mut config = site.synthesis.clone();
    if let Some(writer) = args.writer {
        config.writer = writer;
    }
    if let Some(max) = args.max_stories {
        anyhow::ensure!(max > 0, "--max-stories must be at least 1");
        config.max_stories = max;
    }
    if let Some((key, message)) = config.problems().into_iter().next() {
        anyhow::bail!("`{key}`: {message}");
    }
    let files = if args.packs.is_empty() {
        vec![paths.data().join(DEFAULT_PACKS)]
    } else {
        args.packs
    };
    let mut packs = Vec::new();
    for file in &files {
        packs.extend(load_packs(file)?);
    }
    let results = write_stories(paths, &site, &config, &packs, args.as_of)?;
    report(&paths.content(), &results, packs.len(), started);
    Ok(())
}

fn report(content: &Path, results: &[PackResult], packs: usize, started: Instant) {
    let mut written = 0;
    for result in results {
        match result {
            PackResult::Written { path, story } => {
                written += 1;
                let g = &story.extra.grounding;
                let how = match (g.repaired, g.fell_back) {
                    (true, _) => ", repaired",
                    (_, true) => ", model draft replaced by the offline writer",
                    _ => "",
                };
                eprintln!(
                    "wrote {}{} — {} writer, {} grounding checks passed{how}",
                    content.join(path).display(),
                    if story.extra.lead { " (lead)" } else { "" },
                    story.extra.writer.kind.as_str(),
                    g.checks
                );
                if let Some(error) = &g.writer_error {
                    eprintln!("  model unavailable: {error}");
                }
            }
            PackResult::Covered { topic, earlier } => {
                eprintln!(
                    "skipped {topic}: covered by content/{} and the evidence has not grown enough",
                    earlier.path
                );
            }
            PackResult::Skipped { topic, reason } => eprintln!("skipped {topic}: {reason}"),
        }
    }
    eprintln!(
        "synthesize: {written} {} written, {} skipped, from {packs} evidence packs (those without a signal of their own left out) in {:.2} s",
        if written == 1 { "story" } else { "stories" },
        results.len() - written,
        started.elapsed().as_secs_f64()
    );
}

/// Builds the site and prints what it did.
pub fn build(paths: &Paths, options: &BuildOptions) -> anyhow::Result<()> {
    let report = crate::site::build(paths, options)
        .context("build failed; the previous output was left as it was")?;
    println!(
        "built {} pages, {} sections, {} taxonomy terms: {} files written, {} unchanged, in {:.2?} → {}",
        report.pages,
        report.sections,
        report.terms,
        report.written,
        report.unchanged,
        report.elapsed,
        report.output.display()
    );
    Ok(())
}

/// Lists every problem; fails (exit code 1) if there is any.
pub fn check(paths: &Paths, options: &BuildOptions) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let report = crate::site::check(paths, options)?;
    for problem in &report.problems {
        println!("{problem}");
    }
    println!(
        "checked {} rendered files and {} internal links in {:.2?}: {} problem(s)",
        report.files_rendered,
        report.links_checked,
        started.elapsed(),
        report.problems.len()
    );
    if !report.problems.is_empty() {
        anyhow::bail!("check found {} problem(s)", report.problems.len());
    }
    Ok(())
}

/// Serves on 127.0.0.1 until stopped.
pub fn serve(paths: &Paths, options: BuildOptions, port: u16) -> anyhow::Result<()> {
    let server = crate::serve::Server::start(paths, options, port)?;
    println!("serving http://{}/ (Ctrl-C to stop)", server.addr());
    server.wait();
    Ok(())
}
