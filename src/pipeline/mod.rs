//! Orchestration: the one module that drives the stages. [`run`] runs the whole pipeline live
//! or replays the corpus offline, [`stages`] calls each stage as a run and its own command do,
//! [`commands`] is each single-stage command as the command line runs it, and [`lock`] keeps
//! two writers of `data/` apart. The simulated clock of a replay is here; the
//! `[run]` settings are `config::run`, the run log every run leaves is `model::runlog`.
//!
//! ```text
//! data/.lock                               held while a run (or any writing command) works
//! data/runs/YYYY/MM/<YYYYMMDDTHHMMSSZ>.json one run log per run (per simulated step offline)
//! ```
//!
//! **Offline replay.** The bundled corpus is already in the store; an offline run does not
//! re-import it. It steps a simulated clock through the corpus' period (every `[run] step` from
//! `[run] warmup_days` after the first record, and finally the last record's time):
//! at each tick the records created up to the clock are "collected", analysis runs as of the
//! clock, stories are written dated at the clock, and a run log named after the clock is
//! written. A tick whose run log exists (and did not fail) is done and skipped, so a rerun adds
//! nothing and a killed replay resumes where it stopped; a failed tick is redone.

pub mod commands;
pub mod lock;
pub mod model;
pub mod run;
pub mod stages;

use chrono::{DateTime, Duration, NaiveTime, Utc};

use crate::collect::{SourceOutcome, SourceStatus};
use crate::config::Step;
use crate::model::runlog::{round2, RunStatus, SourceResult};
use crate::store::{Store, StoreError, TimeWindow};

/// The records an analysis as of `as_of` reads: created in `[as_of − 90 days, as_of]`
/// ([`WINDOW_DAYS`](crate::analyze::WINDOW_DAYS)).
pub fn analysis_window(as_of: DateTime<Utc>) -> TimeWindow {
    TimeWindow::new(
        as_of - Duration::days(crate::analyze::WINDOW_DAYS as i64),
        as_of + Duration::nanoseconds(1),
    )
}

/// The creation time of the newest record in the store (reads only the last day folder).
pub fn latest_record(store: &Store) -> Result<Option<DateTime<Utc>>, StoreError> {
    let Some(last) = store.day_files(&TimeWindow::all())?.pop() else {
        return Ok(None);
    };
    let day = TimeWindow::days(last.day, last.day);
    store.fold_window(
        &day,
        || None,
        |newest, record| newest.max(Some(record.created_at)),
        |a, b| a.max(b),
    )
}

/// The ticks of a replay from `from` to `to`: `from`, then every `step`, and `to` itself as the
/// last tick (the site shows the corpus as of its last record). Just `[to]` when `from` is
/// not before `to`.
pub fn schedule(from: DateTime<Utc>, to: DateTime<Utc>, step: Step) -> Vec<DateTime<Utc>> {
    let mut ticks = Vec::new();
    let mut clock = from;
    while clock < to {
        ticks.push(clock);
        clock += step.0;
    }
    ticks.push(to);
    ticks
}

/// Midnight UTC `days` days after the day of `first`: the default start of a replay.
pub fn replay_start(first: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    (first.date_naive() + Duration::days(i64::from(days)))
        .and_time(NaiveTime::MIN)
        .and_utc()
}

/// The run log's view of a collector's outcome.
pub fn source_result(outcome: &SourceOutcome) -> SourceResult {
    let report = &outcome.report;
    let mut errors = report.errors.clone();
    let status = match &outcome.status {
        SourceStatus::Ok => RunStatus::Ok,
        SourceStatus::Partial => RunStatus::Partial,
        SourceStatus::Failed(reason) => {
            if !errors.contains(reason) {
                errors.insert(0, reason.clone());
            }
            RunStatus::Failed
        }
    };
    SourceResult {
        status,
        fetched: report.fetched,
        new: report.new,
        duplicate: report.duplicate,
        skipped: report.skipped.values().sum(),
        errors,
        seconds: Some(round2(outcome.elapsed.as_secs_f64())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn schedule_steps_from_start_and_ends_on_the_last_record() {
        let ticks = schedule(
            at("2026-01-01T00:00:00Z"),
            at("2026-01-03T13:00:00Z"),
            "1d".parse().unwrap(),
        );
        assert_eq!(
            ticks,
            vec![
                at("2026-01-01T00:00:00Z"),
                at("2026-01-02T00:00:00Z"),
                at("2026-01-03T00:00:00Z"),
                at("2026-01-03T13:00:00Z")
            ]
        );
        let late = schedule(
            at("2026-02-01T00:00:00Z"),
            at("2026-01-03T00:00:00Z"),
            Step(Duration::days(1)),
        );
        assert_eq!(late, vec![at("2026-01-03T00:00:00Z")]);
        assert_eq!(
            replay_start(at("2026-01-07T15:30:00Z"), 28),
            at("2026-02-04T00:00:00Z")
        );
    }

    #[test]
    fn the_analysis_window_holds_the_clock_and_ninety_days_before() {
        let window = analysis_window(at("2026-04-01T00:00:00Z"));
        assert!(window.contains(at("2026-04-01T00:00:00Z")));
        assert!(window.contains(at("2026-01-01T00:00:00Z")));
        assert!(!window.contains(at("2025-12-31T23:59:59Z")));
        assert!(!window.contains(at("2026-04-01T00:00:01Z")));
    }
}
