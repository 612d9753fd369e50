//! The evidence pack: everything a writer may use for one story, and nothing else.
//!
//! A pack is built from one analysis candidate and the candidate's records. Writers see only
//! the pack, and the grounding gate checks their text against it, so every fact on a story page
//! traces back to a field here.
//!
//! From an analysis candidate to a pack: fill a [`CandidateFacts`] from the candidate (topic
//! key, as-of time, beat slug and name, category, signal kind/strength/subject/reason,
//! intensity, 24 h volume and baseline, mean sentiment per platform, top entities and phrases),
//! load the candidate's records from the store by id, and call `analyze::pack::assemble` with
//! the analysis stage's centrality per record (or an empty map). `zeitgeist synthesize` reads
//! the ranked packs from `data/analysis/evidence_packs.json` (a JSON array, best first).
//!
//! These types are the contract between `analyze` (which writes packs) and `synthesize` (which
//! reads them), so they live here, in the model both stages import.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::model::event::{EventFacts, Topic};
pub use crate::model::story::{Window, WindowVolume};
use crate::model::{Engagement, Intensity, Kind, RecordId, SignalKind, Source};

/// One story's evidence. Serialised as JSON in tests/data and sent (as data) to HTTP writers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidencePack {
    /// Stable key of the candidate across runs (an event's or its arc's, e.g.
    /// `event-hackernews-41234567`); dedup compares it with earlier stories.
    pub topic: Topic,
    /// The analysis time the figures are "as of".
    pub as_of: DateTime<Utc>,
    pub beat: BeatRef,
    /// The beat's category, e.g. `Governance`.
    pub category: String,
    pub signal: Signal,
    pub intensity: Intensity,
    pub volume: Volume,
    /// Candidate records and mean sentiment, per platform (the whole candidate, not only the
    /// records chosen below).
    pub platforms: BTreeMap<Source, PlatformStats>,
    /// Most frequent entities in the candidate, most frequent first.
    #[serde(default)]
    pub top_entities: Vec<TermCount>,
    /// Most frequent key phrases in the candidate, most frequent first.
    #[serde(default)]
    pub top_phrases: Vec<TermCount>,
    /// The records chosen by `analyze::pack::select_records`: up to 40 posts, best first, then
    /// up to 40 comments of their threads.
    pub records: Vec<EvidenceRecord>,
    /// The event the candidate is: key, lead record, attention and its baseline, records and
    /// comments, platforms, communities, first and last seen, and the arc's earlier stories.
    /// Absent in packs from before events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventFacts>,
    /// The conversation's strands: 2–4 groups of the records by meaning, largest first, each
    /// with its key phrases and verbatim quotes (`analyze::strands`). Empty for packs made
    /// without the embedding model, or with too few records to group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strands: Vec<Strand>,
}

/// One strand of a conversation: records close in meaning, named by the phrases that set them
/// apart from the other strands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strand {
    /// Key phrases, most distinctive first (class-based TF-IDF), spelled as the records spell
    /// them most often.
    pub terms: Vec<String>,
    /// The strand's records (ids of `records`), most central first.
    pub records: Vec<RecordId>,
    /// How many of them are comments.
    #[serde(default)]
    pub comments: u64,
    /// Mean sentiment of the strand's records, −1…1.
    pub warmth: f64,
    /// 1–2 quotes, most central first.
    pub quotes: Vec<StrandQuote>,
}

/// A verbatim sentence or two of one record: a span of that record's `title` or `text` as the
/// pack holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrandQuote {
    pub record: RecordId,
    pub text: String,
}

/// The beat a candidate belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeatRef {
    /// The beat's slug in `data/beats.yaml`, e.g. `military`.
    pub slug: String,
    /// The beat's display name, e.g. `Military and defence`.
    pub name: String,
}

/// The signal that fired, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signal {
    pub kind: SignalKind,
    /// The analysis stage's strength score (velocity: ratio over baseline; others: their own scale).
    pub strength: f64,
    /// The beat, entity or phrase the signal fired on, as readers should see it (`Anthropic`).
    pub subject: String,
    /// One sentence from the analysis stage on why it fired.
    pub reason: String,
}

/// Volume of the signal's subject.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// Records in the 24 hours to `as_of`.
    pub last_24h: u64,
    /// Usual records per day (rolling mean of the days before).
    pub baseline: f64,
    /// The window the signal compared, with its own counts: a velocity signal may fire on the
    /// last 7 days against the weeks before, and a story must then state those figures, not the
    /// daily ones. Absent (packs from before it was recorded): the 24-hour window above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fired: Option<WindowVolume>,
}

impl Volume {
    /// The counts of the window the signal fired on — the only volume figures a story states.
    pub fn window(&self) -> WindowVolume {
        self.fired.unwrap_or(WindowVolume {
            window: Window::Day,
            records: self.last_24h,
            baseline: self.baseline,
        })
    }
}

/// One platform's share of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformStats {
    /// Candidate records from this platform (comments included).
    pub records: u64,
    /// How many of them are comments.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub comments: u64,
    /// Mean sentiment in −1…1, when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<f64>,
}

/// An entity or phrase and how many candidate records contain it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermCount {
    pub text: String,
    pub records: u64,
}

/// A record as a writer sees it: who said what, where and when, and how much attention it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRecord {
    pub id: RecordId,
    pub source: Source,
    /// Post, comment, article, video or paper (packs from before it was recorded: post).
    #[serde(default, skip_serializing_if = "is_post")]
    pub kind: Kind,
    pub created_at: DateTime<Utc>,
    pub url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Subreddit, feed, instance or channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community: Option<String>,
    #[serde(default)]
    pub engagement: Engagement,
    /// The record a comment answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<RecordId>,
    /// The thread (root post) a comment belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<RecordId>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_post(kind: &Kind) -> bool {
    *kind == Kind::Post
}

impl EvidenceRecord {
    /// A comment or reply, not a post of its own.
    pub fn is_comment(&self) -> bool {
        self.kind == Kind::Comment
    }

    /// Title and text together, the words a quote may come from.
    pub fn words(&self) -> String {
        match (self.title.is_empty(), self.text.is_empty()) {
            (false, false) => format!("{}\n\n{}", self.title, self.text),
            (false, true) => self.title.clone(),
            _ => self.text.clone(),
        }
    }
}

impl EvidencePack {
    /// Candidate records across platforms.
    pub fn total_records(&self) -> u64 {
        self.platforms.values().map(|p| p.records).sum()
    }

    /// What makes the pack unusable for a story, if anything: no records, a record from a
    /// platform the counts do not list, or a record without words.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.records.is_empty() {
            problems.push("has no records".to_string());
        }
        for record in &self.records {
            if !self.platforms.contains_key(&record.source) {
                problems.push(format!(
                    "record {} is from {}, which `platforms` does not count",
                    record.id, record.source
                ));
            }
            if record.words().trim().is_empty() {
                problems.push(format!("record {} has neither title nor text", record.id));
            }
        }
        problems
    }

    /// The pack's record with this id.
    pub fn record(&self, id: &RecordId) -> Option<&EvidenceRecord> {
        self.records.iter().find(|r| &r.id == id)
    }
}

/// What the analysis stage knows about a candidate, apart from its records; with the records it
/// makes an [`EvidencePack`] (see `analyze::pack::assemble`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateFacts {
    pub topic: Topic,
    pub as_of: DateTime<Utc>,
    pub beat: BeatRef,
    pub category: String,
    pub signal: Signal,
    pub intensity: Intensity,
    pub volume: Volume,
    /// Mean sentiment per platform, when analysed.
    #[serde(default)]
    pub sentiment: BTreeMap<Source, f64>,
    #[serde(default)]
    pub top_entities: Vec<TermCount>,
    #[serde(default)]
    pub top_phrases: Vec<TermCount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventFacts>,
}
