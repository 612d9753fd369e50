//! Orchestration: every enabled source at once, each isolated from the others' failures (errors
//! and panics alike), each batch handed to a [`BatchSink`] that persists it, and a summary at the
//! end. The run as a whole fails only when every enabled source failed.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use futures_util::future::{join_all, BoxFuture};
use futures_util::FutureExt;
use serde_json::Value;

use super::{
    arxiv, bluesky, hackernews, mastodon, news, reddit, youtube, Batch, CollectError, Context,
    SourceReport,
};
use crate::config::sources::SourcesConfig;
use crate::model::Source;

/// Warnings printed per source in the summary; the report keeps them all.
const SHOWN_WARNINGS: usize = 10;

/// Persists batches; the store implements it (snapshot written durably first, then the cursor).
pub trait BatchSink: Sync {
    /// The cursor last committed for `source`, if any.
    fn load_cursor(&self, source: Source) -> Result<Option<Value>, SinkError>;
    /// Writes the batch's records and only then its cursor; says how many were new.
    fn commit(&self, batch: &Batch) -> Result<CommitReceipt, SinkError>;
}

/// What a sink did with a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitReceipt {
    /// Records not stored before.
    pub stored: usize,
    /// Records whose id was already stored.
    pub duplicates: usize,
    /// Where they went (a snapshot path), for the summary.
    pub location: Option<String>,
}

/// A sink failure, with the path or reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

/// How one source ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceStatus {
    /// Every stream read and the batch committed.
    Ok,
    /// Committed, but some streams failed (their cursors did not move).
    Partial,
    /// Nothing usable: the reason.
    Failed(String),
}

/// One source's result in the run summary.
#[derive(Debug, Clone)]
pub struct SourceOutcome {
    pub source: Source,
    pub status: SourceStatus,
    pub report: SourceReport,
    pub location: Option<String>,
    pub elapsed: Duration,
}

/// The end of a run: one outcome per enabled source, in [`Source::ALL`] order.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    pub outcomes: Vec<SourceOutcome>,
}

impl RunSummary {
    /// True when sources were enabled and all of them failed: the only case that should make
    /// `zeitgeist collect` exit non-zero.
    pub fn all_failed(&self) -> bool {
        !self.outcomes.is_empty()
            && self
                .outcomes
                .iter()
                .all(|o| matches!(o.status, SourceStatus::Failed(_)))
    }
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.outcomes.is_empty() {
            return writeln!(f, "collect: no source is enabled in [sources.*]");
        }
        for outcome in &self.outcomes {
            let status = match &outcome.status {
                SourceStatus::Ok => "ok".to_string(),
                SourceStatus::Partial => "partial".to_string(),
                SourceStatus::Failed(reason) => format!("FAILED: {reason}"),
            };
            write!(
                f,
                "{:<11} {status}; {} in {:.1}s",
                outcome.source.as_str(),
                outcome.report,
                outcome.elapsed.as_secs_f64()
            )?;
            if let Some(location) = &outcome.location {
                write!(f, " → {location}")?;
            }
            writeln!(f)?;
            for error in &outcome.report.errors {
                writeln!(f, "  error: {error}")?;
            }
            let warnings = &outcome.report.warnings;
            for warning in warnings.iter().take(SHOWN_WARNINGS) {
                writeln!(f, "  warning: {warning}")?;
            }
            if warnings.len() > SHOWN_WARNINGS {
                writeln!(
                    f,
                    "  … and {} more warnings",
                    warnings.len() - SHOWN_WARNINGS
                )?;
            }
        }
        let failed = self
            .outcomes
            .iter()
            .filter(|o| matches!(o.status, SourceStatus::Failed(_)))
            .count();
        writeln!(
            f,
            "collect: {} source(s), {failed} failed",
            self.outcomes.len()
        )
    }
}

/// The sources enabled in `config`, in [`Source::ALL`] order.
pub fn enabled_sources(config: &SourcesConfig) -> Vec<Source> {
    Source::ALL
        .into_iter()
        .filter(|source| match source {
            Source::Reddit => config.reddit.as_ref().is_some_and(|c| c.enabled),
            Source::Bluesky => config.bluesky.as_ref().is_some_and(|c| c.enabled),
            Source::Hackernews => config.hackernews.as_ref().is_some_and(|c| c.enabled),
            Source::News => config.news.as_ref().is_some_and(|c| c.enabled),
            Source::Youtube => config.youtube.as_ref().is_some_and(|c| c.enabled),
            Source::Mastodon => config.mastodon.as_ref().is_some_and(|c| c.enabled),
            Source::Arxiv => config.arxiv.as_ref().is_some_and(|c| c.enabled),
        })
        .collect()
}

/// Collects every enabled source concurrently and commits each batch to `sink` as it completes.
pub async fn run(config: &SourcesConfig, ctx: Context<'_>, sink: &dyn BatchSink) -> RunSummary {
    let tasks = enabled_sources(config)
        .into_iter()
        .map(|source| run_source(config, ctx, sink, source));
    RunSummary {
        outcomes: join_all(tasks).await,
    }
}

async fn run_source(
    config: &SourcesConfig,
    ctx: Context<'_>,
    sink: &dyn BatchSink,
    source: Source,
) -> SourceOutcome {
    let started = Instant::now();
    let outcome = |status, report, location| SourceOutcome {
        source,
        status,
        report,
        location,
        elapsed: started.elapsed(),
    };
    let previous = match sink.load_cursor(source) {
        Ok(previous) => previous,
        Err(e) => {
            return outcome(
                SourceStatus::Failed(format!("cannot read cursor: {e}")),
                SourceReport::default(),
                None,
            )
        }
    };
    let Some(collector) = collect_source(config, ctx, source, previous.as_ref()) else {
        return outcome(
            SourceStatus::Failed("not configured".into()),
            SourceReport::default(),
            None,
        );
    };
    let collected = AssertUnwindSafe(collector).catch_unwind().await;
    let mut batch = match collected {
        Ok(Ok(batch)) => batch,
        Ok(Err(e)) => {
            return outcome(
                SourceStatus::Failed(e.to_string()),
                SourceReport::default(),
                None,
            )
        }
        Err(_) => {
            return outcome(
                SourceStatus::Failed("collector panicked".into()),
                SourceReport::default(),
                None,
            )
        }
    };
    let failed = batch.report.all_streams_failed();
    let changed = !batch.records.is_empty() || Some(&batch.cursor) != previous.as_ref();
    let mut location = None;
    if changed {
        match sink.commit(&batch) {
            Ok(receipt) => {
                batch.report.new = receipt.stored;
                batch.report.duplicate += receipt.duplicates;
                location = receipt.location;
            }
            Err(e) => {
                return outcome(
                    SourceStatus::Failed(format!("cannot store batch: {e}")),
                    batch.report,
                    None,
                )
            }
        }
    }
    let status = if failed {
        SourceStatus::Failed(batch.report.errors.first().cloned().unwrap_or_default())
    } else if batch.report.failed_streams > 0 {
        SourceStatus::Partial
    } else {
        SourceStatus::Ok
    };
    outcome(status, batch.report, location)
}

/// The collector of `source`, if the source has a `[sources.*]` table.
fn collect_source<'a>(
    config: &'a SourcesConfig,
    ctx: Context<'a>,
    source: Source,
    previous: Option<&'a Value>,
) -> Option<BoxFuture<'a, Result<Batch, CollectError>>> {
    Some(match source {
        Source::Reddit => reddit::collect(config.reddit.as_ref()?, ctx, previous).boxed(),
        Source::Bluesky => bluesky::collect(config.bluesky.as_ref()?, ctx, previous).boxed(),
        Source::Hackernews => {
            hackernews::collect(config.hackernews.as_ref()?, ctx, previous).boxed()
        }
        Source::News => news::collect(config.news.as_ref()?, ctx, previous).boxed(),
        Source::Youtube => youtube::collect(config.youtube.as_ref()?, ctx, previous).boxed(),
        Source::Mastodon => mastodon::collect(config.mastodon.as_ref()?, ctx, previous).boxed(),
        Source::Arxiv => arxiv::collect(config.arxiv.as_ref()?, ctx, previous).boxed(),
    })
}
