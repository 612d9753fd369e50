//! `collect`, `import` and `compact`: the commands that fill and tidy `data/snapshots/`.
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;

use crate::config::Paths;
use crate::model::Source;
use crate::store::import::{self, ImportFormat};
use crate::store::{Batch, Store};

#[derive(Debug, Args)]
pub struct CollectArgs {}

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
}

pub fn collect(_paths: &Paths, _args: CollectArgs) -> anyhow::Result<()> {
    anyhow::bail!("`zeitgeist collect` is not built yet")
}

/// Bad lines are listed in full up to this many; the rest are only counted.
const SKIPPED_SHOWN: usize = 20;

pub fn import(paths: &Paths, args: ImportArgs) -> anyhow::Result<()> {
    let started = Instant::now();
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
    let store = Store::open(paths.data());
    let report = store.compact(args.before).context("compacting snapshots")?;
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
