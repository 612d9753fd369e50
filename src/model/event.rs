//! Events: the records of one happening joined together (a post and its replies, the same link
//! on several platforms, posts saying the same thing about the same names), with the attention
//! they drew. The analysis stage finds them (`analyze::events`) and writes
//! `data/analysis/events.json` ([`EventsFile`]); a story candidate is an event, and its facts
//! ([`EventFacts`]) travel in the evidence pack and into the story's front matter, where the next
//! day's analysis reads them to tell a follow-up from a repeat.
//!
//! These types are a contract between stages, so they live here.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::evidence::TermCount;
use crate::model::{RecordId, Source};

/// The stable key of a story candidate, and of the story arc it grows into: what dedup and
/// follow-ups compare across runs. An event's key is `event-<anchor>`, the anchor being its
/// earliest top-level record (a thread's root post, the first submission of a link), written
/// with `-` for every character that is not a letter or digit (`event-hackernews-41234567`):
/// the anchor does not change while the event grows, so daily runs give the same key. Stories
/// of earlier versions used `<beat>/<two terms>`; those keys still read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Topic(String);

impl Topic {
    /// A key as it was written (front matter, packs).
    pub fn new(key: impl Into<String>) -> Topic {
        Topic(key.into())
    }

    /// The key of the event anchored on `record`.
    pub fn of_anchor(record: &RecordId) -> Topic {
        let mut key = String::from("event-");
        let mut dash = false;
        for c in record.as_str().chars() {
            if c.is_ascii_alphanumeric() {
                key.push(c.to_ascii_lowercase());
                dash = false;
            } else if !dash {
                key.push('-');
                dash = true;
            }
        }
        Topic(key.trim_end_matches('-').to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Topic {
    fn from(key: &str) -> Topic {
        Topic::new(key)
    }
}

impl From<String> for Topic {
    fn from(key: String) -> Topic {
        Topic(key)
    }
}

impl std::ops::Deref for Topic {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Topic {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Topic {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Topic {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// How the records of an event were joined: pairs joined by each rule (a record joined twice
/// counts twice).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Joins {
    /// A reply or comment joined to its parent or thread.
    pub thread: u32,
    /// Records linking the same canonical URL.
    pub link: u32,
    /// Records close in meaning and sharing a named entity, close in time.
    pub meaning: u32,
}

/// What the analysis knows about one event: enough for a writer to say what happened and how
/// much attention it drew, and for the next run to tell whether it grew.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventFacts {
    /// The stable key (see [`Topic`]).
    pub key: Topic,
    /// What happened: the member with the most attention among the top-level records (posts,
    /// articles, papers, videos).
    pub lead: RecordId,
    /// The lead's title or opening words (record text: escape it).
    pub headline: String,
    /// The event's attention `A`: `e^A` is its engagement as a percentage of a usual week's on
    /// its platforms (see `analyze::events` for the formula).
    pub attention: f64,
    /// The usual attention of an event on the same beat: the median `A` of its beat's events
    /// first seen in the 28 days before the event window.
    pub baseline: f64,
    /// `attention − baseline`: `e^lift` times the usual event of its beat.
    pub lift: f64,
    /// The lead's engagement is in the top 1% of its platform's items of the last 28 days: an
    /// event on its own, however few records joined it.
    pub standout: bool,
    /// Records in the event, replies included.
    pub records: u64,
    /// Replies and comments among them (the replies actually in the store).
    pub comments: u64,
    /// Platforms with records in the event, sorted.
    pub platforms: Vec<Source>,
    /// Subreddits, feeds, instances… with records in the event, sorted (at most 20).
    pub communities: Vec<String>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub joins: Joins,
    /// Earlier stories of the same arc, oldest first: "the story so far".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arc: Vec<ArcStory>,
}

/// An earlier story of an event's arc.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArcStory {
    pub title: String,
    /// Path under `content/`, e.g. `stories/2026/03/anthropic-…md`.
    pub path: String,
    pub date: DateTime<Utc>,
    /// The event's attention when that story was written.
    pub attention: f64,
    /// The event's platforms when that story was written.
    pub platforms: Vec<Source>,
}

/// The factor by which an arc's attention must grow, in engagement (`e^ΔA`), or a platform it
/// did not reach before, for a new story on it: a story is not written again on the same
/// evidence. `[synthesis] dedup_growth` in `site.toml` sets it for the writer (default 1.5).
pub const ARC_GROWTH: f64 = 1.5;

impl EventFacts {
    /// Whether the event grew or changed enough since `earlier` for a new story: its
    /// engagement is at least `growth` times what it was (`e^(A − A₀) ≥ growth`), or it reached
    /// a platform it had not.
    pub fn grew_since(&self, earlier: &ArcStory, growth: f64) -> bool {
        let new_platform = self
            .platforms
            .iter()
            .any(|p| !earlier.platforms.contains(p));
        new_platform || (self.attention - earlier.attention).exp() >= growth
    }
}

/// One platform's usual engagement, the yardstick of record attention.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformNorm {
    /// Top-level records of the platform in the 28 days before the event window.
    pub items: u64,
    /// Their median record attention `ln(1 + points) + ln(1 + comments)`.
    pub median: f64,
    /// Their 99th percentile: an item at or above it is a standout.
    pub p99: f64,
    /// `ln` of a usual week's engagement on the platform: the sum of `e^a` over those records,
    /// divided by the weeks they span (`e^a = (1 + points)(1 + comments)`), and at least 25
    /// usual items' (`25 e^median`), so a thin platform's items do not each claim a week.
    pub week: f64,
}

/// One beat's usual event attention.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeatNorm {
    /// Events of the beat first seen in the 28 days before the event window.
    pub events: u64,
    /// Their median attention.
    pub median: f64,
}

/// One event of `events.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventEntry {
    #[serde(flatten)]
    pub facts: EventFacts,
    /// The beat slug, or `unsorted`.
    pub beat: String,
    /// Most frequent entities among the event's records.
    pub entities: Vec<TermCount>,
    /// The rank score candidates are ordered by (see `analyze::events`).
    pub score: f64,
    /// A name of the event is new: it had no record in the 83 days before the last 7.
    pub novel: bool,
    /// Up to 50 member ids: the lead, then by attention.
    pub record_ids: Vec<RecordId>,
}

/// `data/analysis/events.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsFile {
    pub as_of: DateTime<Utc>,
    /// Records of this many hours before `as_of` make the current events.
    pub window_hours: i64,
    /// Events of the window with at least two records or a standout lead, best first (at most
    /// 200), and how many there were in all.
    pub total_events: u64,
    /// Joins made over the whole scan (window and baseline period).
    pub joins: Joins,
    pub platforms: BTreeMap<Source, PlatformNorm>,
    pub beats: BTreeMap<String, BeatNorm>,
    pub events: Vec<EventEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_keys_are_slugs_of_the_record_id() {
        let id: RecordId = "bluesky:at://did:plc:abc/app.bsky.feed.post/3MB"
            .parse()
            .unwrap();
        assert_eq!(
            Topic::of_anchor(&id).as_str(),
            "event-bluesky-at-did-plc-abc-app-bsky-feed-post-3mb"
        );
        let hn: RecordId = "hackernews:41234567".parse().unwrap();
        assert_eq!(Topic::of_anchor(&hn), "event-hackernews-41234567");
    }
}
