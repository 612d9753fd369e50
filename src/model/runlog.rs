//! The run log: one JSON file per run, `data/runs/YYYY/MM/<YYYYMMDDTHHMMSSZ>.json`, named after
//! the simulated clock offline and the start time live. The Console page shows
//! them and `zeitgeist run`'s exit code follows [`RunLog::status`]. A contract between the
//! pipeline (which writes it) and the site's Console (which reads it), so it lives in `model/`.
//!
//! ```json
//! {"schema": 1, "mode": "offline", "clock": "2026-03-02T00:00:00Z",
//!  "started_at": "2026-03-02T00:00:00Z", "finished_at": "2026-03-02T00:00:00Z",
//!  "status": "ok",
//!  "sources": {"reddit": {"status": "ok", "fetched": 120, "new": 120, "duplicate": 0,
//!                         "skipped": 0, "errors": []}},
//!  "records": {"new": 120, "analyzed": 5210, "relevant": 3990},
//!  "analysis": {"signals": 41, "candidates": 17, "suppressed": 3},
//!  "stories": [{"path": "stories/2026/03/….md", "title": "…", "beat": "agents", "lead": true,
//!               "writer": "offline", "grounding_checks": 23, "repaired": false,
//!               "fell_back": false, "tokens"?: {"input_tokens": 2095, "output_tokens": 503,
//!               "requests": 1}}],
//!  "covered": 2,
//!  "writer": {"kind": "offline"}, "tokens": {"input_tokens": 0, "output_tokens": 0, "requests": 0},
//!  "stages": [{"stage": "collect", "count": 120}, {"stage": "analyze", "count": 17}, …],
//!  "errors": []}
//! ```
//!
//! Offline, every time in the log is the simulated clock and stage timings (`seconds`) are left
//! out, so a replay's logs are byte-identical from run to run.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use walkdir::WalkDir;

use crate::atomic::write_atomic;
use crate::model::story::TokenUsage;
use crate::model::{Source, WriterKind};

/// Folder of the run logs under `data/`.
pub const RUNS_DIR: &str = "runs";

/// Version of the run log format.
pub const SCHEMA: u32 = 1;

/// One run's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunLog {
    pub schema: u32,
    pub mode: RunMode,
    /// What "now" was for every stage.
    pub clock: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub status: RunStatus,
    /// Per-source collection results.
    pub sources: BTreeMap<Source, SourceResult>,
    pub records: RecordCounts,
    /// Absent when analysis did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<AnalysisCounts>,
    /// Stories written, in the order written (the first is the lead).
    pub stories: Vec<StoryEntry>,
    /// Candidates not written because a recent story covers them.
    pub covered: usize,
    /// Candidates whose story could not be written, with the reason; the run is then `partial`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedStory>,
    pub writer: WriterSummary,
    /// Tokens spent by model writers in this run.
    pub tokens: TokenUsage,
    pub stages: Vec<StageResult>,
    /// Stage failures, each naming its file or cause.
    pub errors: Vec<String>,
}

/// Live collection or the offline replay of the bundled corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunMode {
    Live,
    Offline,
}

/// How a run (or a source) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Ok,
    /// Finished, but some source failed or stopped part way.
    Partial,
    /// A stage failed, or every source did; `zeitgeist run` exits non-zero.
    Failed,
}

/// One source's collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceResult {
    pub status: RunStatus,
    pub fetched: usize,
    pub new: usize,
    pub duplicate: usize,
    pub skipped: usize,
    #[serde(default)]
    pub errors: Vec<String>,
    /// Wall-clock seconds (live runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

impl SourceResult {
    /// A source that produced nothing, for `reason`.
    pub fn failed(reason: String) -> SourceResult {
        SourceResult {
            status: RunStatus::Failed,
            fetched: 0,
            new: 0,
            duplicate: 0,
            skipped: 0,
            errors: vec![reason],
            seconds: None,
        }
    }
}

/// Record counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordCounts {
    /// Records stored by this run's collection (offline: that became visible this tick).
    pub new: usize,
    /// Records the analysis read (its 90-day window).
    pub analyzed: u64,
    /// Of those, records about AI.
    pub relevant: u64,
}

/// What the analysis found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisCounts {
    pub signals: usize,
    pub candidates: usize,
    pub suppressed: usize,
}

/// A story the run wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoryEntry {
    /// Relative to `content/`.
    pub path: String,
    pub title: String,
    pub beat: String,
    pub lead: bool,
    pub writer: WriterKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub grounding_checks: u32,
    pub repaired: bool,
    pub fell_back: bool,
    /// Prompt and reply tokens the story cost, when a model was asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<TokenUsage>,
}

/// A candidate whose story was not written, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkippedStory {
    pub topic: String,
    pub reason: String,
}

/// The configured writer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriterSummary {
    pub kind: WriterKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// One stage: what it produced and, live, how long it took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageResult {
    /// `collect`, `analyze`, `synthesize`, `build` or `compact`.
    pub stage: String,
    /// Records collected, candidates found, stories written, pages built, days compacted.
    pub count: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

/// Why a run log could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RunLogError {
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: io::Error },
    #[error("{path}: run log: {message}")]
    Parse { path: PathBuf, message: String },
}

impl RunLog {
    /// The log of a run that starts now: no counts yet, status `ok` until something fails.
    pub fn started(
        mode: RunMode,
        clock: DateTime<Utc>,
        started_at: DateTime<Utc>,
        writer: WriterSummary,
    ) -> RunLog {
        RunLog {
            schema: SCHEMA,
            mode,
            clock,
            started_at,
            finished_at: started_at,
            status: RunStatus::Ok,
            sources: BTreeMap::new(),
            records: RecordCounts::default(),
            analysis: None,
            stories: Vec::new(),
            covered: 0,
            skipped: Vec::new(),
            writer,
            tokens: TokenUsage::default(),
            stages: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Where the log of a run with this clock goes: `data/runs/YYYY/MM/YYYYMMDDTHHMMSSZ.json`.
    pub fn path(data_dir: &Path, clock: DateTime<Utc>) -> PathBuf {
        data_dir
            .join(RUNS_DIR)
            .join(clock.format("%Y/%m").to_string())
            .join(clock.format("%Y%m%dT%H%M%SZ.json").to_string())
    }

    /// The run's overall status: failed on a stage error or when every source failed; partial
    /// when some source did not fully succeed or some story was skipped.
    pub fn judge(&mut self) {
        let failed_sources = self
            .sources
            .values()
            .filter(|s| s.status == RunStatus::Failed)
            .count();
        self.status = if !self.errors.is_empty()
            || (!self.sources.is_empty() && failed_sources == self.sources.len())
        {
            RunStatus::Failed
        } else if self.sources.values().any(|s| s.status != RunStatus::Ok)
            || !self.skipped.is_empty()
        {
            RunStatus::Partial
        } else {
            RunStatus::Ok
        };
    }

    /// Writes the log atomically to [`RunLog::path`] of its clock (offline) or of its start
    /// (live: two runs may share an `--as-of`), and returns the path.
    pub fn write(&self, data_dir: &Path) -> Result<PathBuf, RunLogError> {
        let named_after = match self.mode {
            RunMode::Offline => self.clock,
            RunMode::Live => self.started_at,
        };
        let path = RunLog::path(data_dir, named_after);
        let mut bytes = serde_json::to_vec_pretty(self).expect("run logs serialise");
        bytes.push(b'\n');
        write_atomic(&path, &bytes).map_err(|error| RunLogError::Io {
            path: path.clone(),
            error,
        })?;
        Ok(path)
    }

    /// Reads one log.
    pub fn read(path: &Path) -> Result<RunLog, RunLogError> {
        let bytes = fs::read(path).map_err(|error| RunLogError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        serde_json::from_slice(&bytes).map_err(|e| RunLogError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// The log files under `data_dir`, newest first: their names are timestamps, so the path
    /// order is the time order.
    pub fn files(data_dir: &Path) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = WalkDir::new(data_dir.join(RUNS_DIR))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "json")
            })
            .map(|e| e.into_path())
            .collect();
        paths.sort_by(|a, b| b.cmp(a));
        paths
    }

    /// The most recent `n` logs under `data_dir`, newest first.
    pub fn recent(data_dir: &Path, n: usize) -> Result<Vec<RunLog>, RunLogError> {
        RunLog::files(data_dir)
            .iter()
            .take(n)
            .map(|p| RunLog::read(p))
            .collect()
    }
}

/// Seconds rounded to hundredths, for readable logs.
pub fn round2(seconds: f64) -> f64 {
    (seconds * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(clock: &str) -> RunLog {
        let clock: DateTime<Utc> = clock.parse().unwrap();
        let writer = WriterSummary {
            kind: WriterKind::Offline,
            model: None,
        };
        RunLog::started(RunMode::Offline, clock, clock, writer)
    }

    #[test]
    fn logs_round_trip_under_their_clock_and_list_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = log("2026-03-02T00:00:00Z").write(dir.path()).unwrap();
        assert_eq!(path, dir.path().join("runs/2026/03/20260302T000000Z.json"));
        log("2026-02-23T12:30:05Z").write(dir.path()).unwrap();
        assert_eq!(RunLog::read(&path).unwrap(), log("2026-03-02T00:00:00Z"));
        let recent = RunLog::recent(dir.path(), 5).unwrap();
        let clocks: Vec<String> = recent.iter().map(|l| l.clock.to_rfc3339()).collect();
        assert_eq!(
            clocks,
            ["2026-03-02T00:00:00+00:00", "2026-02-23T12:30:05+00:00"]
        );
        fs::write(&path, b"{}").unwrap();
        let err = RunLog::read(&path).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}: run log:", path.display())),
            "{err}"
        );
    }

    #[test]
    fn status_follows_sources_and_errors() {
        let mut run = log("2026-03-02T00:00:00Z");
        let ok = SourceResult {
            status: RunStatus::Ok,
            fetched: 1,
            new: 1,
            duplicate: 0,
            skipped: 0,
            errors: Vec::new(),
            seconds: None,
        };
        run.sources.insert(Source::Reddit, ok);
        run.sources
            .insert(Source::Bluesky, SourceResult::failed("no key".into()));
        run.judge();
        assert_eq!(run.status, RunStatus::Partial);
        run.sources.remove(&Source::Reddit);
        run.judge();
        assert_eq!(run.status, RunStatus::Failed);
        run.sources.clear();
        run.judge();
        assert_eq!(run.status, RunStatus::Ok);
        run.skipped.push(SkippedStory {
            topic: "models-capabilities/gpt-5".into(),
            reason: "failed the grounding gate".into(),
        });
        run.judge();
        assert_eq!(run.status, RunStatus::Partial);
        run.errors.push("analyze: data/beats.yaml: bad".into());
        run.judge();
        assert_eq!(run.status, RunStatus::Failed);
    }
}
