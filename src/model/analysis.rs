//! The analysis files other stages read, as types: `data/analysis/aggregates.json` (volumes
//! and moods per group) and `data/analysis/taxonomy.json` (the beats and categories the site
//! lists). `analyze` writes them and `site` reads them with these same types, so a field renamed
//! on one side cannot go unnoticed on the other.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::evidence::TermCount;
use crate::model::{BeatSlug, Source};

/// `aggregates.json`: the figures as of a time, and what they were computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregatesFile {
    pub as_of: DateTime<Utc>,
    pub input: InputSummary,
    #[serde(flatten)]
    pub aggregates: Aggregates,
}

/// Counts describing the input of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSummary {
    /// Records read.
    pub records: u64,
    /// Records about AI created at or before `as_of`.
    pub relevant: u64,
    /// Records created after `as_of` (ignored by every figure).
    pub after_as_of: u64,
    pub first_record: Option<DateTime<Utc>>,
    pub last_record: Option<DateTime<Utc>>,
    /// Records read per platform.
    pub by_source: BTreeMap<Source, u64>,
}

/// Mean sentiment of a platform's records.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlatformMood {
    pub records: u64,
    pub sentiment: f64,
}

/// The figures of one group (a beat, a category, a source or everything).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupStats {
    #[serde(flatten)]
    pub figures: Figures,
    /// Records per hour, `HOURLY_POINTS` values, oldest first; the last covers `(as_of − 1 h, as_of]`.
    pub hourly: Vec<u32>,
    /// Records per 24 h, `WINDOW_DAYS` values, oldest first; the last is `records_24h`.
    pub daily: Vec<u32>,
    /// Mean sentiment per platform over the last 30 days.
    pub sentiment: BTreeMap<Source, PlatformMood>,
    /// Share of the last 30 days' records from each platform (sums to 1 when there are any).
    pub platform_share: BTreeMap<Source, f64>,
    /// Most mentioned entities in the last 7 days (gazetteer entities and recurring names).
    pub top_entities: Vec<TermCount>,
    /// Most frequent key phrases in the last 7 days.
    pub top_phrases: Vec<TermCount>,
}

/// A group's record counts and their changes: the head of each group in `aggregates.json`,
/// which the API publishes as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub records_24h: u64,
    pub records_7d: u64,
    pub records_30d: u64,
    /// Records in the 24 h before the last 24 h.
    pub prior_24h: u64,
    /// Records in the 7 days before the last 7 days.
    pub prior_7d: u64,
    /// `records_24h − prior_24h`, and as a share of `prior_24h` (null when it was 0).
    pub change_day: i64,
    pub change_day_pct: Option<f64>,
    pub change_week: i64,
    pub change_week_pct: Option<f64>,
    /// `records_30d / 30`.
    pub daily_average_30d: f64,
}

/// Aggregates for every group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregates {
    pub overall: GroupStats,
    pub sources: BTreeMap<Source, GroupStats>,
    pub categories: BTreeMap<String, GroupStats>,
    pub beats: BTreeMap<String, GroupStats>,
}

/// `taxonomy.json`: the taxonomy as the site needs it (names, categories, descriptions; no terms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaxonomyFile {
    pub categories: Vec<CategoryEntry>,
    pub beats: Vec<BeatEntry>,
}

/// A category of `taxonomy.json`, with the slugs of its beats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryEntry {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub beats: Vec<BeatSlug>,
}

/// A beat of `taxonomy.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BeatEntry {
    pub slug: BeatSlug,
    pub name: String,
    /// The category's slug.
    pub category: String,
    pub description: String,
}
