//! `[run]` in `site.toml`: the offline replay's clock (its step and warm-up) and the retention
//! of old snapshots. The pipeline (`pipeline/`) reads these settings.

use std::fmt;
use std::str::FromStr;

use chrono::Duration;
use serde::Deserialize;

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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn run_settings_parse_with_defaults_and_name_bad_keys() {
        let base = "title = \"Z\"\nbase_url = \"https://e.org\"\n";
        let config = super::super::Config::parse(std::path::Path::new("site.toml"), base).unwrap();
        assert_eq!(config.run, RunConfig::default());
        let text = format!("{base}[run]\nstep = \"1d\"\nstories_per_step = 2\n");
        let config = super::super::Config::parse(std::path::Path::new("site.toml"), &text).unwrap();
        assert_eq!(config.run.step, Step(Duration::days(1)));
        assert_eq!(config.run.stories_per_step, Some(2));
        let text = format!("{base}[run]\nstep = \"1y\"\n");
        let err = super::super::Config::parse(std::path::Path::new("site.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`1y` is not a step"), "{err}");
    }
}
