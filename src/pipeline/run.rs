//! `zeitgeist run`: collect → analyze → synthesize → build in one go, under the lock, leaving a
//! run log (`model::runlog`). Live, it collects now; offline, it replays the stored corpus with
//! a simulated clock (see the module doc of `pipeline`). Each stage is the same code as its own
//! command ([`stages`](super::stages)).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};

use super::lock;
use super::stages::{
    analyze_records, collect_sources, load_classifier, load_packs, source_results, update_series,
    write_stories, DEFAULT_PACKS,
};
use crate::analyze::{self, Annotation, CandidateConfig, Classifier};
use crate::collect;
use crate::config::{Config, Paths, Step};
use crate::model::runlog::{
    round2, AnalysisCounts, RunLog, RunMode, RunStatus, SkippedStory, SourceResult, StageResult,
    StoryEntry, WriterSummary,
};
use crate::model::{Record, Source};
use crate::site::{self, BuildOptions};
use crate::store::snapshot::Encoding;
use crate::store::{Store, TimeWindow};
use crate::synthesize::{story_file, PackResult};

/// What `zeitgeist run` was asked for (its flags, checked by the command line).
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// Replay the bundled corpus with a simulated clock instead of collecting live.
    pub offline: bool,
    /// The run's clock; offline, a single tick at this time.
    pub as_of: Option<DateTime<Utc>>,
    /// Offline: the replay's first tick.
    pub from: Option<DateTime<Utc>>,
    /// Offline: the replay's last tick.
    pub to: Option<DateTime<Utc>>,
    /// Offline: simulated time between ticks.
    pub step: Option<Step>,
    /// Live, without collecting: the folder of the collection reports.
    pub collected: Option<PathBuf>,
}

/// Runs the pipeline live or replays the corpus offline, then fails if any run log says failed.
pub fn run(paths: &Paths, args: &RunRequest) -> anyhow::Result<()> {
    let started = Instant::now();
    let config = Config::load(&paths.root)?;
    let _lock = lock::take(paths, "run")?;
    let enabled = collect::enabled_sources(&config.sources);
    let offline = args.offline || enabled.is_empty();
    if !args.offline && enabled.is_empty() {
        eprintln!(
            "no source is enabled in site.toml ([sources.*]): replaying the bundled corpus offline"
        );
    }
    if offline && args.collected.is_some() {
        eprintln!("note: --collected is ignored by the offline replay");
    }
    let replay_flags = args.from.is_some() || args.to.is_some() || args.step.is_some();
    anyhow::ensure!(
        offline || !replay_flags,
        "--from, --to and --step set the offline replay's clock; add --offline"
    );
    let logs = if offline {
        replay(paths, &config, args)?
    } else {
        vec![live(paths, &config, args)?]
    };
    let failed: Vec<&(PathBuf, RunLog)> = logs
        .iter()
        .filter(|(_, log)| log.status == RunStatus::Failed)
        .collect();
    // A story the gate or the writer refused is logged and the run goes on; the count says
    // whether a replay wrote every story it meant to.
    eprintln!(
        "run: {} run log(s) written, {} stories, {} not written (`skipped` in the logs), {} failed, in {:.1} s",
        logs.len(),
        logs.iter().map(|(_, l)| l.stories.len()).sum::<usize>(),
        logs.iter().map(|(_, l)| l.skipped.len()).sum::<usize>(),
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    if let Some((path, log)) = failed.first() {
        let why = log
            .errors
            .first()
            .cloned()
            .unwrap_or_else(|| "every source failed".into());
        anyhow::bail!("run failed ({why}); see {}", path.display());
    }
    Ok(())
}

/// Everything one tick needs that does not change between ticks.
struct Stages<'a> {
    paths: &'a Paths,
    config: &'a Config,
    classifier: Classifier,
    /// Live runs time their stages; offline logs stay deterministic without.
    timed: bool,
}

impl Stages<'_> {
    fn seconds(&self, since: Instant) -> Option<f64> {
        self.timed.then(|| round2(since.elapsed().as_secs_f64()))
    }

    /// Analyzes `records` as of `clock`, then writes up to `max_stories` stories dated at the
    /// clock, recording both in `log`. An error stops the tick and is recorded too.
    fn analyze_and_write(
        &self,
        records: &[Record],
        annotations: &[Annotation],
        max_stories: usize,
        log: &mut RunLog,
    ) {
        if let Err(error) = self.try_analyze_and_write(records, annotations, max_stories, log) {
            log.errors.push(format!("{error:#}"));
        }
    }

    fn try_analyze_and_write(
        &self,
        records: &[Record],
        annotations: &[Annotation],
        max_stories: usize,
        log: &mut RunLog,
    ) -> anyhow::Result<()> {
        let clock = log.clock;
        let since = Instant::now();
        let out = self.paths.data().join(analyze::ANALYSIS_DIR);
        let (analysis, _) = analyze_records(
            self.paths,
            &self.classifier,
            records,
            annotations,
            clock,
            &CandidateConfig::default(),
            &out,
        )
        .context("analyze")?;
        update_series(self.paths, &self.classifier, records, annotations, clock)
            .context("series")?;
        log.records.analyzed = analysis.input.records;
        log.records.relevant = analysis.input.relevant;
        log.analysis = Some(AnalysisCounts {
            signals: analysis.signals.len(),
            candidates: analysis.candidates.candidates.len(),
            suppressed: analysis.candidates.suppressed.len(),
        });
        log.stages.push(StageResult {
            stage: "analyze".into(),
            count: analysis.candidates.candidates.len(),
            seconds: self.seconds(since),
        });

        let since = Instant::now();
        let packs = load_packs(&self.paths.data().join(DEFAULT_PACKS)).context("synthesize")?;
        let mut synthesis = self.config.synthesis.clone();
        synthesis.max_stories = max_stories;
        let results = write_stories(self.paths, self.config, &synthesis, &packs, Some(clock))
            .context("synthesize")?;
        for result in results {
            match result {
                PackResult::Written { path, story } => {
                    let extra = &story.extra;
                    if let Some(usage) = extra.writer.usage {
                        log.tokens += usage;
                    }
                    log.stories.push(StoryEntry {
                        path: path.to_string_lossy().replace('\\', "/"),
                        title: story.title.clone(),
                        beat: story.taxonomies.beats.first().cloned().unwrap_or_default(),
                        lead: extra.lead,
                        writer: extra.writer.kind,
                        model: extra.writer.model.clone(),
                        grounding_checks: extra.grounding.checks,
                        repaired: extra.grounding.repaired,
                        fell_back: extra.grounding.fell_back,
                        tokens: extra.writer.usage,
                    });
                }
                PackResult::Covered { .. } => log.covered += 1,
                PackResult::Skipped { topic, reason } => {
                    eprintln!("synthesize: skipped {topic}: {reason}");
                    log.skipped.push(SkippedStory {
                        topic: topic.to_string(),
                        reason,
                    });
                }
            }
        }
        log.stages.push(StageResult {
            stage: "synthesize".into(),
            count: log.stories.len(),
            seconds: self.seconds(since),
        });
        Ok(())
    }

    /// Builds the site (atomically: a failed build leaves the previous output).
    fn build(&self, log: Option<&mut RunLog>) -> anyhow::Result<()> {
        let since = Instant::now();
        let report = site::build(self.paths, &BuildOptions::default())
            .context("build failed; the previous output was left as it was")?;
        eprintln!(
            "build: {} pages, {} files written, {} unchanged, in {:.1} s → {}",
            report.pages,
            report.written,
            report.unchanged,
            since.elapsed().as_secs_f64(),
            report.output.display()
        );
        if let Some(log) = log {
            log.stages.push(StageResult {
                stage: "build".into(),
                count: report.pages,
                seconds: self.seconds(since),
            });
        }
        Ok(())
    }

    /// Compacts snapshot days older than `[run] compact_after_days` before `clock`.
    fn compact(&self, clock: DateTime<Utc>, log: Option<&mut RunLog>) -> anyhow::Result<()> {
        let days = self.config.run.compact_after_days;
        if days == 0 {
            return Ok(());
        }
        let since = Instant::now();
        let before = (clock - Duration::days(i64::from(days))).date_naive();
        let encoding = Encoding::gzip_if(self.config.run.compact_gzip);
        let report = Store::open(self.paths.data())
            .compact(Some(before), encoding)
            .context("compact")?;
        eprintln!(
            "compact: days before {before}: {} snapshot files → {} in {:.1} s",
            report.files_before,
            report.files_after,
            since.elapsed().as_secs_f64()
        );
        if let Some(log) = log {
            log.stages.push(StageResult {
                stage: "compact".into(),
                count: report.files_before - report.files_after,
                seconds: self.seconds(since),
            });
        }
        Ok(())
    }

    fn new_log(&self, mode: RunMode, clock: DateTime<Utc>, started_at: DateTime<Utc>) -> RunLog {
        let synthesis = &self.config.synthesis;
        let writer = WriterSummary {
            kind: synthesis.writer,
            model: synthesis.model_name(),
        };
        RunLog::started(mode, clock, started_at, writer)
    }
}

/// A live run: collect now (or take the matrix jobs' reports), analyze, write, build.
fn live(paths: &Paths, config: &Config, args: &RunRequest) -> anyhow::Result<(PathBuf, RunLog)> {
    let started_at = Utc::now();
    let clock = args.as_of.unwrap_or(started_at);
    let stages = Stages {
        paths,
        config,
        classifier: load_classifier(paths)?,
        timed: true,
    };
    let mut log = stages.new_log(RunMode::Live, clock, started_at);
    let since = Instant::now();
    log.sources = match &args.collected {
        Some(dir) => read_reports(dir, &collect::enabled_sources(&config.sources))?,
        None => {
            let summary = collect_sources(paths, &config.sources, clock)?;
            eprint!("{summary}");
            source_results(&summary)
        }
    };
    log.records.new = log.sources.values().map(|s| s.new).sum();
    log.stages.push(StageResult {
        stage: "collect".into(),
        count: log.records.new,
        seconds: stages.seconds(since),
    });
    eprintln!("collect: {} new records", log.records.new);

    let since = Instant::now();
    let records = Store::open(paths.data()).read_window(&super::analysis_window(clock))?;
    let annotations = super::stages::annotate_stored(paths, &stages.classifier, &records)?;
    eprintln!(
        "read and annotated {} records of the 90 days to {} in {:.1} s",
        records.len(),
        clock.to_rfc3339(),
        since.elapsed().as_secs_f64()
    );
    let max_stories = config.synthesis.max_stories;
    stages.analyze_and_write(&records, &annotations, max_stories, &mut log);
    print_tick(1, 1, &log);
    if log.errors.is_empty() {
        if let Err(error) = stages.compact(clock, Some(&mut log)) {
            log.errors.push(format!("{error:#}"));
        }
        if let Err(error) = stages.build(Some(&mut log)) {
            log.errors.push(format!("{error:#}"));
        }
    }
    log.finished_at = Utc::now();
    log.judge();
    let path = log.write(&paths.data())?;
    eprintln!("run log: {}", path.display());
    Ok((path, log))
}

/// The matrix jobs' collection reports (`zeitgeist collect --report`): every `*.json` in `dir`.
/// An enabled source without a report failed before it could write one.
fn read_reports(dir: &Path, enabled: &[Source]) -> anyhow::Result<BTreeMap<Source, SourceResult>> {
    let mut results = BTreeMap::new();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot read the collection reports", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("{}: cannot read", file.display()))?;
        let report: BTreeMap<Source, SourceResult> = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: collection report: {e}", file.display()))?;
        results.extend(report);
    }
    for source in enabled {
        results.entry(*source).or_insert_with(|| {
            SourceResult::failed(format!(
                "no collection report in {} (the collect job failed)",
                dir.display()
            ))
        });
    }
    Ok(results)
}

/// The offline replay: ticks of the simulated clock through the stored corpus.
fn replay(
    paths: &Paths,
    config: &Config,
    args: &RunRequest,
) -> anyhow::Result<Vec<(PathBuf, RunLog)>> {
    let since = Instant::now();
    let store = Store::open(paths.data());
    let records = store.read_window(&TimeWindow::all())?;
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        anyhow::bail!(
            "{}: the store holds no records to replay (import a corpus with `zeitgeist import`)",
            store.snapshots_dir().display()
        );
    };
    let ticks = match args.as_of {
        Some(clock) => vec![clock],
        None => {
            let from = args
                .from
                .unwrap_or_else(|| super::replay_start(first.created_at, config.run.warmup_days));
            let to = args.to.unwrap_or(last.created_at);
            super::schedule(from, to, args.step.unwrap_or(config.run.step))
        }
    };
    let stages = Stages {
        paths,
        config,
        classifier: load_classifier(paths)?,
        timed: false,
    };
    let annotations = super::stages::annotate_stored(paths, &stages.classifier, &records)?;
    eprintln!(
        "offline replay: {} records ({} … {}) read and annotated in {:.1} s; {} ticks from {} to {}",
        records.len(),
        first.created_at.date_naive(),
        last.created_at.date_naive(),
        since.elapsed().as_secs_f64(),
        ticks.len(),
        ticks[0].to_rfc3339(),
        ticks[ticks.len() - 1].to_rfc3339()
    );
    let max_stories = config
        .run
        .stories_per_step
        .unwrap_or(config.synthesis.max_stories);
    let mut logs = Vec::new();
    let mut cleaned = false;
    for (n, &clock) in ticks.iter().enumerate() {
        let log_path = RunLog::path(&paths.data(), clock);
        let failed_before = match log_path.exists() {
            true => RunLog::read(&log_path)?.status == RunStatus::Failed,
            false => false,
        };
        if log_path.exists() && !failed_before {
            continue;
        }
        if !cleaned || failed_before {
            // A tick is redone from scratch: the first unlogged one may have been cut short
            // by a killed run, and a failed one may have written some of its stories.
            remove_unfinished_stories(&paths.content(), clock)?;
            cleaned = true;
        }
        let previous = n.checked_sub(1).map(|p| ticks[p]);
        let mut log = stages.new_log(RunMode::Offline, clock, clock);
        log.sources = arrivals(&records, previous, clock);
        log.records.new = log.sources.values().map(|s| s.new).sum();
        log.stages.push(StageResult {
            stage: "collect".into(),
            count: log.records.new,
            seconds: None,
        });
        let window = super::analysis_window(clock);
        let lo = records.partition_point(|r| r.created_at < window.start);
        let hi = records.partition_point(|r| r.created_at < window.end);
        stages.analyze_and_write(
            &records[lo..hi],
            &annotations[lo..hi],
            max_stories,
            &mut log,
        );
        log.judge();
        let path = log.write(&paths.data())?;
        print_tick(n + 1, ticks.len(), &log);
        logs.push((path, log));
    }
    if logs.is_empty() {
        eprintln!("offline replay: every tick already has a successful run log; nothing to do");
    }
    let clock = ticks[ticks.len() - 1];
    stages.compact(clock, None)?;
    stages.build(None)?;
    Ok(logs)
}

/// The records that arrived in `(previous, clock]`, counted per source as an offline
/// "collection" (every source of the corpus is listed, with 0 when nothing arrived).
fn arrivals(
    records: &[Record],
    previous: Option<DateTime<Utc>>,
    clock: DateTime<Utc>,
) -> BTreeMap<Source, SourceResult> {
    let mut sources: BTreeMap<Source, SourceResult> = BTreeMap::new();
    for record in records {
        let entry = sources.entry(record.source).or_insert(SourceResult {
            status: RunStatus::Ok,
            fetched: 0,
            new: 0,
            duplicate: 0,
            skipped: 0,
            errors: Vec::new(),
            seconds: None,
        });
        let arrived = record.created_at <= clock && previous.is_none_or(|p| record.created_at > p);
        if arrived {
            entry.fetched += 1;
            entry.new += 1;
        }
    }
    sources
}

/// Removes stories dated exactly `clock`: in an offline replay only the tick at `clock` writes
/// them, and that tick has no run log, so they are what a killed run left. Redoing the tick
/// rewrites them identically.
fn remove_unfinished_stories(content: &Path, clock: DateTime<Utc>) -> anyhow::Result<()> {
    let root = content.join(story_file::STORIES_DIR);
    if !root.exists() {
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let entry = entry.with_context(|| format!("{}: cannot list stories", root.display()))?;
        let path = entry.path();
        if !entry.file_type().is_file() || path.extension().is_none_or(|x| x != "md") {
            continue;
        }
        let dated_now = story_file::read_front_matter(path)?.is_some_and(|s| s.date == clock);
        if dated_now {
            std::fs::remove_file(path)
                .with_context(|| format!("{}: cannot remove", path.display()))?;
            eprintln!(
                "removed {} (written by an interrupted run; the tick is redone)",
                path.display()
            );
        }
    }
    Ok(())
}

fn print_tick(n: usize, of: usize, log: &RunLog) {
    let analysis = log.analysis.unwrap_or(AnalysisCounts {
        signals: 0,
        candidates: 0,
        suppressed: 0,
    });
    eprintln!(
        "[{n}/{of}] {}: +{} records, {} analyzed, {} signals, {} candidates, {} stories, {} covered{}",
        log.clock.format("%Y-%m-%d %H:%M"),
        log.records.new,
        log.records.analyzed,
        analysis.signals,
        analysis.candidates,
        log.stories.len(),
        log.covered,
        match log.errors.first() {
            Some(error) => format!(" — FAILED: {error}"),
            None => String::new(),
        }
    );
}
