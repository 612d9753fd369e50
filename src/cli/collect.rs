//! `collect`, `import` and `compact`: the commands that fill and tidy `data/snapshots/`.
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Args;

use crate::config::Paths;
use crate::model::Source;
use crate::pipeline::commands::{
    self, CollectOptions, CompactOptions, ImportFormat, ImportOptions, Subset,
};

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
    /// `corpus`: the fields of the source's bundled datasets (told apart by each line's
    /// fields); `record`: lines already in Record JSON.
    #[arg(long, value_enum, default_value = "corpus")]
    pub format: ImportFormat,
    /// Import only items created on or after this UTC day (YYYY-MM-DD).
    #[arg(long, value_name = "DAY")]
    pub from: Option<NaiveDate>,
    /// Import only items created on or before this UTC day (YYYY-MM-DD).
    #[arg(long, value_name = "DAY")]
    pub to: Option<NaiveDate>,
    /// Import only items of this community (subreddit, domain, arXiv primary category);
    /// repeatable.
    #[arg(long = "community", value_name = "NAME")]
    pub communities: Vec<String>,
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
    commands::collect(
        paths,
        CollectOptions {
            sources: args.sources,
            report: args.report,
        },
    )
}

pub fn import(paths: &Paths, args: ImportArgs) -> anyhow::Result<()> {
    commands::import(
        paths,
        ImportOptions {
            file: args.file,
            source: args.source,
            format: args.format,
            subset: Subset {
                from: args.from,
                to: args.to,
                communities: args.communities,
            },
        },
    )
}

pub fn compact(paths: &Paths, args: CompactArgs) -> anyhow::Result<()> {
    commands::compact(
        paths,
        CompactOptions {
            before: args.before,
            gzip: args.gzip,
        },
    )
}
