//! `zeitgeist synthesize`: evidence packs in, story files out.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Utc};
use clap::Args;

use crate::config::{Config, Paths};
use crate::model::WriterKind;
use crate::pipeline::stages::{load_packs, write_stories, DEFAULT_PACKS};
use crate::synthesize::PackResult;

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
    let started = Instant::now();
    let _lock = crate::pipeline::lock::take(paths, "synthesize")?;
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
        }
    }
    eprintln!(
        "synthesize: {written} {} written, {} skipped, from {packs} evidence packs (those without a signal of their own left out) in {:.2} s",
        if written == 1 { "story" } else { "stories" },
        results.len() - written,
        started.elapsed().as_secs_f64()
    );
}
