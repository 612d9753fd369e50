//! The stages as a run calls them: each is the same code its own command runs (`zeitgeist
//! analyze`, `collect`, `synthesize`), so a stage rerun alone does what it did inside a run.
//! Library errors become `anyhow` reports here, at the edge of each stage.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::analyze::annotation_cache::AnnotationCache;
use crate::analyze::{
    self, series, stories, Analysis, Annotation, CandidateConfig, Classifier, OutputSummary,
};
use crate::collect::{self, HttpClient, ProcessEnv, RunSummary, StoreSink};
use crate::config::{Config, Paths, SourcesConfig, SynthesisConfig};
use crate::model::evidence::EvidencePack;
use crate::model::runlog::SourceResult;
use crate::model::{Record, Source};
use crate::store::Store;
use crate::synthesize::{self, PackResult, RunOptions};
use crate::text::thousands;

/// Where the analysis stage leaves the ranked evidence packs, under `data/`.
pub const DEFAULT_PACKS: &str = "analysis/evidence_packs.json";

pub fn load_classifier(paths: &Paths) -> anyhow::Result<Classifier> {
    Ok(Classifier::load(&paths.root)?)
}

/// Annotations of the store's `records`, through the annotation cache
/// (`analyze::annotation_cache`): only records the cache does not hold are annotated. Says on
/// stderr how many came from where, and why a cache was set aside or not written.
pub fn annotate_stored(
    paths: &Paths,
    classifier: &Classifier,
    records: &[Record],
) -> anyhow::Result<Vec<Annotation>> {
    let cache = AnnotationCache::open(classifier, &paths.root)
        .context("fingerprinting the classifier for the annotation cache")?;
    let (annotations, report) = cache.annotate(records);
    if let Some(reason) = &report.discarded {
        eprintln!("annotation cache set aside and rebuilt: {reason}");
    }
    if let Some(reason) = &report.write_failed {
        eprintln!(
            "warning: annotation cache not written ({}): {reason}",
            cache.path().display()
        );
    }
    eprintln!(
        "annotations: {} from the cache, {} annotated{}",
        thousands(report.reused as i64),
        thousands(report.annotated as i64),
        match report.written {
            Some(bytes) => format!(
                " (cache {} written, {} bytes)",
                cache.path().display(),
                thousands(bytes as i64)
            ),
            None => String::new(),
        }
    );
    Ok(annotations)
}

/// Analyses `records` (with their `annotations`) as of `as_of` against the stories already in
/// `content/stories/`, and writes the analysis files into `out`.
pub fn analyze_records(
    paths: &Paths,
    classifier: &Classifier,
    records: &[Record],
    annotations: &[Annotation],
    as_of: DateTime<Utc>,
    config: &CandidateConfig,
    out: &Path,
) -> anyhow::Result<(Analysis, OutputSummary)> {
    let since =
        as_of - config.events.window - chrono::Duration::days(crate::model::BASELINE_DAYS as i64);
    let recent = stories::load(&paths.content().join("stories"), since)?;
    let analysis = analyze::analyze(classifier, records, annotations, &recent, as_of, config);
    let written = analyze::write_outputs(out, classifier, records, annotations, &analysis)
        .with_context(|| format!("{}: cannot write analysis", out.display()))?;
    Ok((analysis, written))
}

/// Merges the whole days covered by `records` — the store's analysis window up to `as_of` —
/// into `data/series/daily.json`, the long series that outlives the window.
pub fn update_series(
    paths: &Paths,
    classifier: &Classifier,
    records: &[Record],
    annotations: &[Annotation],
    as_of: DateTime<Utc>,
) -> anyhow::Result<()> {
    let window = super::analysis_window(as_of);
    let days = series::covered_days(window.start, as_of, records);
    let counted = series::count_days(&classifier.taxonomy, records, annotations, &days);
    let update = series::update(&paths.data().join(series::SERIES_FILE), counted)?;
    eprintln!(
        "series: {} days in {} ({} added, {} changed)",
        update.days,
        update.path.display(),
        update.added,
        update.changed
    );
    Ok(())
}

/// Collects every source enabled in `sources` into the store, stamping records with
/// `collected_at`, and returns the summary.
pub fn collect_sources(
    paths: &Paths,
    sources: &SourcesConfig,
    collected_at: DateTime<Utc>,
) -> anyhow::Result<RunSummary> {
    let enabled = collect::enabled_sources(sources);
    if !enabled.is_empty() {
        let names: Vec<&str> = enabled.iter().map(|s| s.as_str()).collect();
        eprintln!("collecting from {} …", names.join(", "));
    }
    let http = HttpClient::new(&sources.http)?;
    let ctx = collect::Context {
        http: &http,
        env: &ProcessEnv,
        collected_at,
    };
    let sink = StoreSink::new(Store::open(paths.data()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(runtime.block_on(collect::run(sources, ctx, &sink)))
}

/// The run log's per-source results of a collection.
pub fn source_results(summary: &RunSummary) -> BTreeMap<Source, SourceResult> {
    summary
        .outcomes
        .iter()
        .map(|o| (o.source, super::source_result(o)))
        .collect()
}

/// Writes stories for `packs` (best first) with `config`'s writer into `content/stories/`.
pub fn write_stories(
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

/// The packs worth a story, in rank order. An event's pack was judged by the analysis (its
/// attention over its beat's usual, or a standout lead: `analyze::candidates`), so its records,
/// however few, are not an anecdote. A pack without an event needs a signal of its own (a
/// cluster of posts nothing unusual is happening to is not news) that clears the bar of
/// [`SynthesisConfig::falls_short`] (enough distinct posts, a real rise) — and only the best
/// pack of each signal, since candidates sharing one signal would get the same headline. A
/// beat signal's subject is shown by the beat's name, as readers see it, not its slug.
fn newsworthy(packs: &[EvidencePack], config: &SynthesisConfig) -> Vec<EvidencePack> {
    let mut seen = std::collections::BTreeSet::new();
    packs
        .iter()
        .filter(|p| {
            p.event.is_some()
                || (!p.signal.subject.trim().is_empty()
                    && p.signal.strength > 0.0
                    && config.falls_short(p).is_none()
                    && seen.insert((p.signal.kind, p.signal.subject.to_lowercase())))
        })
        .map(|p| {
            let mut pack = p.clone();
            if pack.signal.subject == pack.beat.slug || pack.signal.subject.is_empty() {
                pack.signal.subject = pack.beat.name.clone();
            }
            pack
        })
        .collect()
}

/// Reads a JSON file holding one evidence pack or an array of them.
pub fn load_packs(path: &Path) -> anyhow::Result<Vec<EvidencePack>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read evidence packs", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let result = if value.is_array() {
        serde_json::from_value(value)
    } else {
        serde_json::from_value(value).map(|p| vec![p])
    };
    // A pack that reads but cannot make a story (no records, say) is kept: synthesis skips it
    // with its reason, so one bad pack never stops the others.
    result.map_err(|e| anyhow::anyhow!("{}: evidence pack: {e}", path.display()))
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
