//! `zeitgeist analyze`, `classify` and `eval`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use clap::Args;

use crate::analyze::{self, eval, CandidateConfig};
use crate::config::Paths;
use crate::model::Record;
use crate::pipeline::{
    self,
    stages::{analyze_records, load_classifier, update_series},
};
use crate::store::Store;

#[derive(Debug, Args)]
/// `zeitgeist analyze`.
pub struct AnalyzeArgs {
    /// Analyse the records of this JSONL file (one Record per line) instead of the store's.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// The time the figures are "as of" (RFC 3339); default: the newest record's time. From
    /// the store, the records of the 90 days up to it are read.
    #[arg(long)]
    pub as_of: Option<DateTime<Utc>>,
    /// Hours of records clustered into candidate stories.
    #[arg(long, default_value_t = 168)]
    pub window_hours: i64,
    /// Cosine similarity a record needs to join a candidate cluster.
    #[arg(long, default_value_t = CandidateConfig::default().similarity)]
    pub similarity: f64,
    /// Where to write; default `<root>/data/analysis`.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
/// `zeitgeist classify`.
pub struct ClassifyArgs {
    /// Records in JSONL, one Record per line.
    pub input: PathBuf,
    /// Print only records about AI.
    #[arg(long)]
    pub relevant_only: bool,
}

#[derive(Debug, Args)]
/// `zeitgeist eval`.
pub struct EvalArgs {
    /// Labelled JSONL: `{"record": <Record>, "label": {"relevant": bool, "beat": "<slug>"|"general"|null}}` per line.
    pub input: PathBuf,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Reads Record JSONL.
fn read_input(path: &Path) -> anyhow::Result<Vec<Record>> {
    Ok(analyze::read_records_jsonl(path)?)
}

/// Reads records (from the store, or `--input`), annotates them, and writes `data/analysis/`
/// as of `--as-of`.
pub fn analyze(paths: &Paths, args: AnalyzeArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let _lock = pipeline::lock::take(paths, "analyze")?;
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
    let annotations = analyze::annotate_all(&classifier, &records);
    let annotate_time = started.elapsed();
    let config = CandidateConfig {
        window: Duration::hours(args.window_hours),
        similarity: args.similarity,
        ..CandidateConfig::default()
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
        None => match pipeline::latest_record(&store)? {
            Some(latest) => latest,
            None => anyhow::bail!(
                "{}: the store holds no records (run `zeitgeist collect` or `zeitgeist import` first)",
                store.snapshots_dir().display()
            ),
        },
    };
    let records = store.read_window(&pipeline::analysis_window(as_of))?;
    Ok((records, as_of))
}

/// Prints one annotation per record as JSONL.
pub fn classify(paths: &Paths, args: ClassifyArgs) -> anyhow::Result<()> {
    let classifier = load_classifier(paths)?;
    let records = read_input(&args.input)?;
    let annotations = analyze::annotate_all(&classifier, &records);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut printed = 0;
    for (record, annotation) in records.iter().zip(&annotations) {
        if args.relevant_only && !annotation.relevant {
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
        args.input.display(),
        relevant,
        printed
    );
    Ok(())
}

/// Scores the classifier against a labelled file.
pub fn eval(paths: &Paths, args: EvalArgs) -> anyhow::Result<()> {
    let classifier = load_classifier(paths)?;
    let labelled = eval::read_labelled(&args.input)?;
    let records: Vec<Record> = labelled.iter().map(|l| l.record.clone()).collect();
    let annotations = analyze::annotate_all(&classifier, &records);
    let report = eval::evaluate(&classifier, &labelled, &annotations);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    eprintln!(
        "evaluated {} labelled records from {}",
        report.overall.records,
        args.input.display()
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
