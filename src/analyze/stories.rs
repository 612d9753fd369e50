//! What recent stories already covered, so the same candidate is not written up twice.
//!
//! Reads the front matter of `content/stories/**/*.md` (YAML between `---` lines, or TOML
//! between `+++` lines) leniently: only `date`, `taxonomies.beats[0]`, `extra.topic`,
//! `extra.evidence.records` and `extra.evidence.counts` are used, and a file without them is
//! skipped. A candidate is **suppressed** when a story dated within [`RECENT_DAYS`] before
//! `as_of` has the same topic, or the same beat and at least [`MIN_OVERLAP`] of the story's
//! evidence records among the candidate's — **unless** the candidate has grown to at least
//! [`GROWTH_FACTOR`] times the story's records, which makes it a follow-up.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use walkdir::WalkDir;

use super::candidates::{Candidate, Suppressed};
use crate::model::RecordId;

/// A story is recent when dated within this many days before `as_of`.
pub const RECENT_DAYS: i64 = 7;
/// Share of a same-beat story's evidence records that makes it cover a candidate.
pub const MIN_OVERLAP: f64 = 0.3;
/// A candidate this many times its story's size is a follow-up, not a repeat.
pub const GROWTH_FACTOR: f64 = 2.0;

/// The parts of a story's front matter that matter for suppression.
#[derive(Debug, Clone, PartialEq)]
pub struct RecentStory {
    /// The file, relative to the stories folder given to [`load`].
    pub path: PathBuf,
    pub date: DateTime<Utc>,
    pub beat: Option<String>,
    pub topic: Option<String>,
    pub records: Vec<RecordId>,
    /// The candidate's size when the story was written (sum of `evidence.counts`, else the
    /// number of evidence records).
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot read: {source}")]
/// A story file that exists but cannot be read.
pub struct StoryReadError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Reads every story under `stories_dir` (missing folder = no stories), sorted by path.
pub fn load(stories_dir: &Path) -> Result<Vec<RecentStory>, StoryReadError> {
    if !stories_dir.exists() {
        return Ok(Vec::new());
    }
    let mut paths: Vec<PathBuf> = WalkDir::new(stories_dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    paths.sort();
    let mut stories = Vec::new();
    for path in paths {
        let text = fs::read_to_string(&path).map_err(|source| StoryReadError {
            path: path.clone(),
            source,
        })?;
        // Relative paths keep candidates.json the same wherever the site lives.
        let relative = path.strip_prefix(stories_dir).unwrap_or(&path);
        stories.extend(parse(relative, &text));
    }
    Ok(stories)
}

/// The story's suppression facts, or `None` when its front matter lacks a date.
pub fn parse(path: &Path, text: &str) -> Option<RecentStory> {
    let front = front_matter(text)?;
    let date = date_of(front.get("date")?)?;
    let extra = front.get("extra");
    let evidence = extra.and_then(|e| e.get("evidence"));
    let records: Vec<RecordId> = evidence
        .and_then(|e| e.get("records"))
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
        .filter_map(|id| id.as_str()?.parse().ok())
        .collect();
    let counted: u64 = evidence
        .and_then(|e| e.get("counts"))
        .and_then(|c| c.as_object())
        .map(|c| c.values().filter_map(|v| v.as_u64()).sum())
        .unwrap_or(0);
    Some(RecentStory {
        path: path.to_path_buf(),
        date,
        beat: front
            .pointer("/taxonomies/beats/0")
            .and_then(|b| b.as_str())
            .map(str::to_string),
        topic: extra
            .and_then(|e| e.get("topic"))
            .and_then(|t| t.as_str())
            .map(str::to_string),
        size: counted.max(records.len() as u64),
        records,
    })
}

/// A front-matter date: a YAML string, or a TOML datetime (which arrives as a one-key table).
fn date_of(value: &serde_json::Value) -> Option<DateTime<Utc>> {
    let text = match value {
        serde_json::Value::String(s) => s.as_str(),
        serde_json::Value::Object(map) => map.values().next()?.as_str()?,
        _ => return None,
    };
    text.parse().ok()
}

fn front_matter(text: &str) -> Option<serde_json::Value> {
    let text = text.trim_start_matches('\u{feff}');
    if let Some(rest) = text.strip_prefix("---\n") {
        let end = rest.find("\n---")?;
        serde_yaml::from_str(&rest[..end]).ok()
    } else if let Some(rest) = text.strip_prefix("+++\n") {
        let end = rest.find("\n+++")?;
        let table: toml::Table = toml::from_str(&rest[..end]).ok()?;
        serde_json::to_value(table).ok()
    } else {
        None
    }
}

/// Splits candidates into kept and suppressed (see the module docs for the rule).
pub fn suppress(
    candidates: Vec<Candidate>,
    stories: &[RecentStory],
    as_of: DateTime<Utc>,
) -> (Vec<Candidate>, Vec<Suppressed>) {
    let recent: Vec<&RecentStory> = stories
        .iter()
        .filter(|s| s.date <= as_of && as_of - s.date <= Duration::days(RECENT_DAYS))
        .collect();
    let mut kept = Vec::new();
    let mut suppressed = Vec::new();
    for candidate in candidates {
        match recent
            .iter()
            .find_map(|story| covered_by(&candidate, story))
        {
            Some(reason) => suppressed.push(reason),
            None => kept.push(candidate),
        }
    }
    (kept, suppressed)
}

fn covered_by(candidate: &Candidate, story: &RecentStory) -> Option<Suppressed> {
    let size = candidate.record_ids.len() as f64;
    if story.size > 0 && size >= GROWTH_FACTOR * story.size as f64 {
        return None;
    }
    let same_topic = story.topic.as_deref() == Some(candidate.facts.topic.as_str());
    let overlap = if story.records.is_empty() {
        0.0
    } else {
        let shared = story
            .records
            .iter()
            .filter(|id| candidate.record_ids.binary_search(id).is_ok())
            .count();
        shared as f64 / story.records.len() as f64
    };
    let same_beat = story.beat.as_deref() == Some(candidate.facts.beat.slug.as_str());
    if !(same_topic || (same_beat && overlap >= MIN_OVERLAP)) {
        return None;
    }
    let reason = if same_topic {
        format!("same topic as a story of {}", story.date.format("%Y-%m-%d"))
    } else {
        format!(
            "{:.0}% of the story's evidence is in this candidate",
            overlap * 100.0
        )
    };
    Some(Suppressed {
        topic: candidate.facts.topic.clone(),
        story: story.path.display().to_string(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_yaml_and_toml_front_matter() {
        let yaml = "---\ntitle: T\ndate: 2026-06-29T12:00:00Z\ntaxonomies:\n  beats: [military-defence]\nextra:\n  topic: military-defence/anthropic-pentagon\n  evidence:\n    records: [\"reddit:1\", \"bluesky:at://x\"]\n    counts: {reddit: 5, bluesky: 3}\n---\nBody\n";
        let story = parse(Path::new("a.md"), yaml).unwrap();
        assert_eq!(
            story.date,
            "2026-06-29T12:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(story.beat.as_deref(), Some("military-defence"));
        assert_eq!(
            story.topic.as_deref(),
            Some("military-defence/anthropic-pentagon")
        );
        assert_eq!(story.records.len(), 2);
        assert_eq!(story.size, 8);
        let toml = "+++\ntitle = \"T\"\ndate = 2026-06-29T12:00:00Z\n[taxonomies]\nbeats = [\"regulation\"]\n+++\nBody\n";
        let story = parse(Path::new("b.md"), toml).unwrap();
        assert_eq!(story.beat.as_deref(), Some("regulation"));
        assert_eq!(story.size, 0);
        assert!(parse(Path::new("c.md"), "no front matter").is_none());
    }
}
