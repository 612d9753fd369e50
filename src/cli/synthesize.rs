//! `zeitgeist synthesize`: evidence packs in, story files out.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Args;

use crate::config::Paths;
use crate::model::WriterKind;
use crate::pipeline::commands::{self, SynthesizeOptions};

#[derive(Debug, Args)]
pub struct SynthesizeArgs {
    /// Story date and dedup reference time (RFC 3339, e.g. 2026-02-28T00:00:00Z); defaults to
    /// each pack's own as-of time.
    #[arg(long)]
    as_of: Option<DateTime<Utc>>,
    /// Evidence pack file (JSON: one pack or an array, best first); repeatable. Defaults to
    /// data/analysis/evidence_packs.json.
    #[arg(long = "pack", value_name = "FILE")]
    packs: Vec<PathBuf>,
    /// Use this writer instead of [synthesis] writer: offline, anthropic or openai.
    #[arg(long, value_parser = parse_writer)]
    writer: Option<WriterKind>,
    /// Write at most this many stories instead of [synthesis] max_stories.
    #[arg(long)]
    max_stories: Option<usize>,
}

fn parse_writer(text: &str) -> Result<WriterKind, String> {
    serde_json::from_value(serde_json::Value::String(text.to_string()))
        .map_err(|_| format!("unknown writer `{text}` (expected offline, anthropic or openai)"))
}

pub fn synthesize(paths: &Paths, args: SynthesizeArgs) -> anyhow::Result<()> {
    commands::synthesize(
        paths,
        SynthesizeOptions {
            as_of: args.as_of,
            packs: args.packs,
            writer: args.writer,
            max_stories: args.max_stories,
        },
    )
}
