//! `zeitgeist analyze`, `classify` and `eval`.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Args;

use crate::config::Paths;
use crate::pipeline::commands::{self, default_similarity, AnalyzeOptions};

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
    /// Hours of records whose events are candidate stories.
    #[arg(long, default_value_t = 168)]
    pub window_hours: i64,
    /// Cosine similarity (static embeddings) two records sharing an entity need to join one event.
    #[arg(long, default_value_t = default_similarity())]
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

/// Reads records (from the store, or `--input`), annotates them, and writes `data/analysis/`
/// as of `--as-of`.
pub fn analyze(paths: &Paths, args: AnalyzeArgs) -> anyhow::Result<()> {
    commands::analyze(
        paths,
        AnalyzeOptions {
            input: args.input,
            as_of: args.as_of,
            window_hours: args.window_hours,
            similarity: args.similarity,
            out: args.out,
        },
    )
}

/// Prints one annotation per record as JSONL.
pub fn classify(paths: &Paths, args: ClassifyArgs) -> anyhow::Result<()> {
    commands::classify(paths, &args.input, args.relevant_only)
}

/// Scores the classifier against a labelled file.
pub fn eval(paths: &Paths, args: EvalArgs) -> anyhow::Result<()> {
    commands::eval(paths, &args.input, args.json)
}
