//! `collect`, `import` and `compact`: the commands that fill and tidy `data/snapshots/`.
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use clap::Args;

use crate::atomic::write_atomic;
use crate::collect::{self};
use crate::config::SourcesConfig;
use crate::config::{Config, Paths};
use crate::model::Source;
use crate::pipeline::stages::{collect_sources, source_results};
use crate::store::import::{self, ImportFormat};
use crate::store::snapshot::Encoding;
use crate::store::{Batch, Store};

/// `zeitgeist collect`.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Collect only this source (repeatable); default: every source enabled in site.toml. A
    /// source that is not enabled is skipped with a note (the publish workflow's matrix names
    /// every platform).
    #[arg(long = "source", value_name = "SOURCE")]
    pub sources: Vec<Source>,
    /// Also write the per-source results as JSON (`{"<source>": <run log source result>}`) to
    /// this file, for `zeitgeist run --collected`.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The JSONL file to import, one item per line.
    pub file: PathBuf,
    /// The platform the items come from (hackernews, reddit, bluesky, …).
    #[arg(long)]
    pub source: Source,
    /// `corpus`: the fields of the source's bundled dataset; `record`: lines already in Record JSON.
    #[arg(long, value_enum, default_value = "corpus")]
    pub format: ImportFormat,
}

#[derive(Debug, Args)]
pub struct CompactArgs {
    /// Only compact days before this date (YYYY-MM-DD); all days when absent.
    #[arg(long)]
    pub before: Option<NaiveDate>,
    /// Store the compacted days gzipped (`<HHMMSS>-<source>.json.gz`); readers take both.
    #[arg(long)]
    pub gzip: bool,
}

/// Collects the enabled (or chosen) sources into the store and prints the summary; fails only
/// when every enabled source failed.
pub fn collect(paths: &Paths, args: CollectArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let config = Config::load(&paths.root)?;
    let _lock = crate::pipeline::lock::take(paths, "collect")?;
    let enabled = collect::enabled_sources(&config.sources);
    for source in args.sources.iter().filter(|s| !enabled.contains(s)) {
        eprintln!("{source}: not enabled in site.toml ([sources.{source}]); skipped");
    }
    let chosen = only(&config.sources, &args.sources);
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

/// `sources` with only the `keep` platforms left enabled (all of them when `keep` is empty).
fn only(sources: &SourcesConfig, keep: &[Source]) -> SourcesConfig {
    fn pick<T: Clone>(table: &Option<T>, source: Source, keep: &[Source]) -> Option<T> {
        table
            .clone()
            .filter(|_| keep.is_empty() || keep.contains(&source))
    }
    SourcesConfig {
        http: sources.http.clone(),
        reddit: pick(&sources.reddit, Source::Reddit, keep),
        bluesky: pick(&sources.bluesky, Source::Bluesky, keep),
        hackernews: pick(&sources.hackernews, Source::Hackernews, keep),
        news: pick(&sources.news, Source::News, keep),
        youtube: pick(&sources.youtube, Source::Youtube, keep),
        mastodon: pick(&sources.mastodon, Source::Mastodon, keep),
        arxiv: pick(&sources.arxiv, Source::Arxiv, keep),
    }
}

/// Bad lines are listed in full up to this many; the rest are only counted.
const SKIPPED_SHOWN: usize = 20;

pub fn import(paths: &Paths, args: ImportArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let _lock = crate::pipeline::lock::take(paths, "import")?;
    let mut store = Store::open(paths.data());
    eprintln!(
        "importing {} as {} ({} format) into {}",
        args.file.display(),
        args.source,
        args.format,
        store.snapshots_dir().display()
    );
    let parsed = import::read_lines(&args.file, args.source, args.format)?;
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
    eprintln!(
        "parsed {} lines ({} skipped) in {:.1?}; checking duplicates and writing snapshots…",
        parsed.lines,
        parsed.skipped.len(),
        started.elapsed()
    );
    let commit = store
        .commit(Batch::new(args.source, parsed.records))
        .with_context(|| format!("storing the records of {}", args.file.display()))?;
    eprintln!(
        "read {} lines: {} new, {} duplicate, {} near-duplicate (linked), {} skipped; {} snapshot files written in {:.1?}",
        parsed.lines,
        commit.new,
        commit.duplicates,
        commit.near_duplicates,
        parsed.skipped.len(),
        commit.files.len(),
        started.elapsed()
    );
    Ok(())
}

pub fn compact(paths: &Paths, args: CompactArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let _lock = crate::pipeline::lock::take(paths, "compact")?;
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
