//! `zeitgeist synthesize`: evidence packs in, story files out.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;

use crate::config::SynthesisConfig;
use crate::config::{Config, Paths};
use crate::model::evidence::EvidencePack;
use crate::model::WriterKind;
use crate::synthesize::{self, PackResult, RunOptions};

/// Where the analysis stage leaves the ranked evidence packs, under `data/`.
pub const DEFAULT_PACKS: &str = "analysis/evidence_packs.json";

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
    let _lock = super::run::lock(paths, "synthesize")?;
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

/// Writes stories for `packs` (best first) with `config`'s writer into `content/stories/`.
pub(super) fn write_stories(
    paths: &Paths,
    site: &Config,
    config: &SynthesisConfig,
    packs: &[EvidencePack],
    as_of: Option<DateTime<Utc>>,
) -> anyhow::Result<Vec<PackResult>> {
    let packs = newsworthy(packs, config);
    let writer = config.http_writer(|var| std::env::var(var).ok())?;
    let content = paths.content();
    let options = RunOptions {
        content_dir: &content,
        as_of,
        site_base_url: &site.base_url,
        config,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(runtime.block_on(synthesize::run(&packs, writer.as_ref(), &options))?)
}

/// The packs worth a story, in rank order: those whose candidate has a signal of its own (a
/// cluster of posts nothing unusual is happening to is not news) that clears the bar of
/// [`SynthesisConfig::falls_short`] (enough distinct posts, a real rise) — and only the best
/// pack of each signal, since candidates sharing one signal would get the same headline. A
/// beat signal's subject is shown by the beat's name, as readers see it, not its slug.
fn newsworthy(packs: &[EvidencePack], config: &SynthesisConfig) -> Vec<EvidencePack> {
    let mut seen = std::collections::BTreeSet::new();
    packs
        .iter()
        .filter(|p| !p.signal.subject.trim().is_empty() && p.signal.strength > 0.0)
        .filter(|p| config.falls_short(p).is_none())
        .filter(|p| seen.insert((p.signal.kind, p.signal.subject.to_lowercase())))
        .map(|p| {
            let mut pack = p.clone();
            if pack.signal.subject == pack.beat.slug {
                pack.signal.subject = pack.beat.name.clone();
            }
            pack
        })
        .collect()
}

/// Reads a JSON file holding one evidence pack or an array of them.
pub(super) fn load_packs(path: &Path) -> anyhow::Result<Vec<EvidencePack>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read evidence packs", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let result = if value.is_array() {
        serde_json::from_value(value)
    } else {
        serde_json::from_value(value).map(|p| vec![p])
    };
    let packs: Vec<EvidencePack> =
        result.map_err(|e| anyhow::anyhow!("{}: evidence pack: {e}", path.display()))?;
    for pack in &packs {
        if let Some(problem) = pack.problems().into_iter().next() {
            anyhow::bail!(
                "{}: evidence pack `{}`: {problem}",
                path.display(),
                pack.topic
            );
        }
    }
    Ok(packs)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SignalKind;

    fn pack() -> EvidencePack {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/synthesize/grok-images.pack.json"
        );
        let mut pack = load_packs(Path::new(path)).unwrap().remove(0);
        // Eight posts in the last day against a usual 0.36: a real rise on enough posts.
        pack.volume.last_24h = 8;
        pack
    }

    #[test]
    fn only_packs_with_a_signal_of_their_own_and_a_real_rise_are_written_once_per_signal() {
        let best = pack();
        let same_signal = EvidencePack {
            topic: "misinformation/other".into(),
            ..best.clone()
        };
        let mut no_signal = pack();
        no_signal.signal.subject = String::new();
        no_signal.signal.strength = 0.0;
        let mut falling = pack();
        falling.signal.subject = "xAI".into();
        falling.volume.last_24h = 0;
        let mut few = pack();
        few.signal.subject = "Grok Imagine".into();
        few.volume.last_24h = 3;
        let mut flat = pack();
        flat.signal.subject = "X".into();
        flat.volume.baseline = 5.0;
        let mut beat = pack();
        beat.signal.kind = SignalKind::Novelty;
        beat.signal.subject = beat.beat.slug.clone();
        let kept = newsworthy(
            &[
                best.clone(),
                same_signal,
                no_signal,
                falling,
                few,
                flat,
                beat,
            ],
            &SynthesisConfig::default(),
        );
        let subjects: Vec<(&str, &str)> = kept
            .iter()
            .map(|p| (p.topic.as_str(), p.signal.subject.as_str()))
            .collect();
        assert_eq!(
            subjects,
            [
                (best.topic.as_str(), "Grok"),
                (best.topic.as_str(), "Misinformation and deepfakes")
            ]
        );
    }
}
