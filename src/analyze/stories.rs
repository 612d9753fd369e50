//! What recent stories already covered: the arcs candidates continue.
//!
//! Reads the front matter of `content/stories/**/*.md` (YAML between `---` lines, or TOML
//! between `+++` lines) leniently: only `title`, `date`, `taxonomies.beats[0]`, `extra.topic`,
//! `extra.evidence.records`, `extra.evidence.counts` and `extra.event` (`lead`, `attention`,
//! `platforms`) are used, and a file without a date is skipped.
//!
//! **Arcs.** A story dated within the arc span before `as_of` (the event scan: 35 days) is on
//! a candidate's arc when it has the candidate's topic, or its event's lead is one of the
//! candidate's records, or at least [`MIN_OVERLAP`] of its evidence records are. The candidate
//! then takes the arc's key (the latest such story's topic, so an arc keeps one key however
//! its records move through the window) and lists the arc's stories, oldest first. It is
//! **suppressed** unless it grew since the latest: its engagement `growth` times what it was
//! (`e^(A − A₀) ≥ growth`, `[synthesis] dedup_growth`, 1.5 by default) or a platform the story
//! did not have (`EventFacts::grew_since`); a story without event facts (written before events)
//! counts as grown past when the candidate has [`GROWTH_FACTOR`] times its records. Two
//! candidates on one arc: the better ranked is kept.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use walkdir::WalkDir;

use super::candidates::{Candidate, Suppressed};
use crate::model::event::ArcStory;
use crate::model::{RecordId, Source, Topic};

/// Share of a story's evidence records that puts it on a candidate's arc.
pub const MIN_OVERLAP: f64 = 0.3;
/// A candidate this many times the size of a story without event facts is a follow-up.
pub const GROWTH_FACTOR: f64 = 2.0;

/// The parts of a story's front matter that matter for arcs.
#[derive(Debug, Clone, PartialEq)]
pub struct RecentStory {
    /// The file, relative to the stories folder given to [`load`].
    pub path: PathBuf,
    pub title: String,
    pub date: DateTime<Utc>,
    pub beat: Option<String>,
    pub topic: Option<Topic>,
    pub records: Vec<RecordId>,
    /// The candidate's size when the story was written (sum of `evidence.counts`, else the
    /// number of evidence records).
    pub size: u64,
    /// The story's event when it was written: lead, attention, platforms.
    pub event: Option<StoryEvent>,
}

/// A story's event as the arc rule needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryEvent {
    pub lead: RecordId,
    pub attention: f64,
    pub platforms: Vec<Source>,
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot read: {source}")]
/// A story file that exists but cannot be read.
pub struct StoryReadError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Reads the stories under `stories_dir` filed in the months from `since` on (missing folder
/// = no stories), sorted by path.
pub fn load(stories_dir: &Path, since: DateTime<Utc>) -> Result<Vec<RecentStory>, StoryReadError> {
    let folders = crate::model::story::month_folders(stories_dir, since, DateTime::<Utc>::MAX_UTC);
    let mut paths: Vec<PathBuf> = folders
        .iter()
        .flat_map(|f| WalkDir::new(f).into_iter().filter_map(Result::ok))
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

/// The story's arc facts, or `None` when its front matter lacks a date.
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
    let event = extra.and_then(|e| e.get("event")).and_then(|e| {
        Some(StoryEvent {
            lead: e.get("lead")?.as_str()?.parse().ok()?,
            attention: e.get("attention")?.as_f64()?,
            platforms: serde_json::from_value(e.get("platforms")?.clone()).ok()?,
        })
    });
    Some(RecentStory {
        path: path.to_path_buf(),
        title: front
            .get("title")
            .and_then(|t| t.as_str())
            .unwrap_or_default()
            .to_string(),
        date,
        beat: front
            .pointer("/taxonomies/beats/0")
            .and_then(|b| b.as_str())
            .map(str::to_string),
        topic: extra
            .and_then(|e| e.get("topic"))
            .and_then(|t| t.as_str())
            .map(Topic::new),
        size: counted.max(records.len() as u64),
        records,
        event,
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

/// Puts each candidate (ranked best first) on its arc and splits them into kept and
/// suppressed (see the module docs). `span` is how far back a story can be on an arc.
pub fn follow_arcs(
    candidates: Vec<Candidate>,
    stories: &[RecentStory],
    as_of: DateTime<Utc>,
    span: Duration,
    growth: f64,
) -> (Vec<Candidate>, Vec<Suppressed>) {
    let recent: Vec<&RecentStory> = stories
        .iter()
        .filter(|s| s.date <= as_of && as_of - s.date <= span)
        .collect();
    let mut kept = Vec::new();
    let mut suppressed = Vec::new();
    let mut topics: BTreeSet<Topic> = BTreeSet::new();
    for mut candidate in candidates {
        let mut arc: Vec<&RecentStory> = recent
            .iter()
            .copied()
            .filter(|story| on_arc(&candidate, story))
            .collect();
        arc.sort_by(|a, b| (a.date, &a.path).cmp(&(b.date, &b.path)));
        if let Some(latest) = arc.last() {
            if let Some(topic) = &latest.topic {
                candidate.facts.topic = topic.clone();
            }
            let reason = covered(&candidate, latest, growth);
            if let Some(event) = candidate.facts.event.as_mut() {
                event.key = candidate.facts.topic.clone();
                event.arc = arc.iter().map(|s| arc_story(s)).collect();
            }
            if let Some(reason) = reason {
                suppressed.push(Suppressed {
                    topic: candidate.facts.topic.clone(),
                    story: latest.path.display().to_string(),
                    reason,
                });
                continue;
            }
        }
        if !topics.insert(candidate.facts.topic.clone()) {
            suppressed.push(Suppressed {
                topic: candidate.facts.topic.clone(),
                story: String::new(),
                reason: "a better ranked event continues the same arc".into(),
            });
            continue;
        }
        kept.push(candidate);
    }
    (kept, suppressed)
}

fn on_arc(candidate: &Candidate, story: &RecentStory) -> bool {
    let has = |id: &RecordId| candidate.record_ids.binary_search(id).is_ok();
    if story.topic.as_ref() == Some(&candidate.facts.topic)
        || story.event.as_ref().is_some_and(|e| has(&e.lead))
    {
        return true;
    }
    let shared = story.records.iter().filter(|id| has(id)).count();
    !story.records.is_empty() && shared as f64 / story.records.len() as f64 >= MIN_OVERLAP
}

/// Why the latest story of its arc still covers the candidate, if it does.
fn covered(candidate: &Candidate, latest: &RecentStory, growth: f64) -> Option<String> {
    let day = latest.date.format("%Y-%m-%d");
    match (&candidate.facts.event, &latest.event) {
        (Some(event), Some(_)) => {
            let earlier = arc_story(latest);
            (!event.grew_since(&earlier, growth)).then(|| {
                format!(
                    "on the arc of a story of {day}: engagement {:.2} times what it was then, no new platform",
                    (event.attention - earlier.attention).exp()
                )
            })
        }
        _ => {
            let size = candidate.record_ids.len() as f64;
            (latest.size == 0 || size < GROWTH_FACTOR * latest.size as f64)
                .then(|| format!("on the arc of a story of {day}, and not twice its records"))
        }
    }
}

fn arc_story(story: &RecentStory) -> ArcStory {
    ArcStory {
        title: story.title.clone(),
        path: format!("stories/{}", story.path.display()).replace('\\', "/"),
        date: story.date,
        attention: story.event.as_ref().map_or(0.0, |e| e.attention),
        platforms: story
            .event
            .as_ref()
            .map(|e| e.platforms.clone())
            .unwrap_or_default(),
    }
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
