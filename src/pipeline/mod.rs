//! `zeitgeist run`: the library side of running the whole pipeline — the `[run]` settings, the
//! simulated clock of an offline replay, the lock that keeps two runs apart ([`lock`]) and the
//! run log every run leaves behind ([`runlog`]). The stages themselves are called by the
//! `run` command (`src/cli/run.rs`), each through the same code as its own command.
//!
//! ```text
//! data/.lock                               held while a run (or any writing command) works
//! data/runs/YYYY/MM/<YYYYMMDDTHHMMSSZ>.json one run log per run (per simulated step offline)
//! ```
//!
//! **Offline replay.** The bundled corpus is already in the store; an offline run does not
//! re-import it. It steps a simulated clock through the corpus' period (every [`RunConfig::step`]
//! from [`RunConfig::warmup_days`] after the first record, and finally the last record's time):
//! at each tick the records created up to the clock are "collected", analysis runs as of the
//! clock, stories are written dated at the clock, and a run log named after the clock is
//! written. A tick whose run log exists (and did not fail) is done and skipped, so a rerun adds
//! nothing and a killed replay resumes where it stopped; a failed tick is redone.

pub mod lock;
pub mod runlog;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::Deserialize;

use crate::store::{Store, StoreError, TimeWindow};

/// `[run]` in `site.toml`. Every key is optional.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Simulated time between two ticks of an offline replay: `12h`, `1d`, `7d`, `2w`…
    pub step: Step,
    /// The replay's first tick is this many days after the first record's day, so that
    /// baselines have history to compare with.
    pub warmup_days: u32,
    /// Stories written per tick of an offline replay (default: `[synthesis] max_stories`).
    pub stories_per_step: Option<usize>,
    /// Snapshots of days older than this many days before the run's clock are compacted into
    /// one file per source and day (`zeitgeist compact`); 0 turns compaction off.
    pub compact_after_days: u32,
    /// Store compacted days gzipped (`<HHMMSS>-<source>.json.gz`). Off by default: git deflates
    /// its objects anyway, so plain JSON packs about as small and keeps line diffs and `grep`;
    /// gzip pays off where files are kept uncompressed (a working tree, an artifact, a bucket).
    pub compact_gzip: bool,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            step: Step(Duration::days(1)),
            warmup_days: 28,
            stories_per_step: None,
            compact_after_days: 30,
            compact_gzip: false,
        }
    }
}

impl RunConfig {
    /// Problems with the values, as `(key, message)`, for the config loader to report.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.stories_per_step == Some(0) {
            problems.push(("run.stories_per_step", "must be at least 1".to_string()));
        }
        problems
    }
}

/// A positive span of simulated time, written `<n>h`, `<n>d` or `<n>w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Step(pub Duration);

/// A step that is not `<n>h`, `<n>d` or `<n>w` with n ≥ 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a step (expected e.g. 12h, 1d, 7d or 2w)")]
pub struct BadStep(String);

impl FromStr for Step {
    type Err = BadStep;
    fn from_str(text: &str) -> Result<Step, BadStep> {
        let bad = || BadStep(text.to_string());
        let split = text.len().checked_sub(1).ok_or_else(bad)?;
        let (number, unit) = text.split_at(split);
        let n: i64 = number.parse().map_err(|_| bad())?;
        let hours = match unit {
            "h" => 1,
            "d" => 24,
            "w" => 24 * 7,
            _ => return Err(bad()),
        };
        if !(1..=24 * 366).contains(&n) {
            return Err(bad());
        }
        Ok(Step(Duration::hours(n * hours)))
    }
}

impl TryFrom<String> for Step {
    type Error = BadStep;
    fn try_from(text: String) -> Result<Step, BadStep> {
        text.parse()
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hours = self.0.num_hours();
        match (hours % (24 * 7), hours % 24) {
            (0, _) => write!(f, "{}w", hours / (24 * 7)),
            (_, 0) => write!(f, "{}d", hours / 24),
            _ => write!(f, "{hours}h"),
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn steps_parse_print_and_refuse_nonsense() {
        assert_eq!("12h".parse::<Step>().unwrap().0, Duration::hours(12));
        assert_eq!("7d".parse::<Step>().unwrap().to_string(), "1w");
        assert_eq!("2d".parse::<Step>().unwrap().to_string(), "2d");
        assert_eq!("36h".parse::<Step>().unwrap().to_string(), "36h");
        for bad in ["", "d", "0d", "-1d", "3y", "1.5d"] {
            assert_eq!(
                bad.parse::<Step>().unwrap_err().to_string(),
                format!("`{bad}` is not a step (expected e.g. 12h, 1d, 7d or 2w)")
            );
        }
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

    #[test]
    fn run_settings_parse_with_defaults_and_name_bad_keys() {
        let base = "title = \"Z\"\nbase_url = \"https://e.org\"\n";
        let config = crate::config::Config::parse(std::path::Path::new("site.toml"), base).unwrap();
        assert_eq!(config.run, RunConfig::default());
        let text = format!("{base}[run]\nstep = \"1d\"\nstories_per_step = 2\n");
        let config =
            crate::config::Config::parse(std::path::Path::new("site.toml"), &text).unwrap();
        assert_eq!(config.run.step, Step(Duration::days(1)));
        assert_eq!(config.run.stories_per_step, Some(2));
        let text = format!("{base}[run]\nstep = \"1y\"\n");
        let err = crate::config::Config::parse(std::path::Path::new("site.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`1y` is not a step"), "{err}");
    }
}
