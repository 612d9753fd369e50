//! Volumes and moods as of a given time, per beat, category, source and overall.
//!
//! Only records about AI count, and only those created at or before `as_of` (so the same data
//! gives the same figures for any `as_of`). Windows are rolling and end at `as_of`: "24 h" is
//! `(as_of − 24 h, as_of]`. A record counts for a beat when the beat is its primary or a
//! secondary beat, and for a category when any of its beats is in it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rustc_hash::FxHashMap;

use super::classify::{Annotation, Classifier};
use super::WINDOW_DAYS;
use crate::model::analysis::{Aggregates, Figures, GroupStats, PlatformMood};
use crate::model::evidence::TermCount;
use crate::model::{Record, Source};

/// Hours in the hourly series (oldest first, ending at `as_of`).
pub const HOURLY_POINTS: usize = 72;
/// Entities and phrases listed per group.
pub const TOP_TERMS: usize = 10;
/// A capitalised phrase must appear in this many records of a window to be shown as a name.
pub const MIN_NAME_RECORDS: u32 = 3;

/// Which groups a record belongs to, by index into the accumulator list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupKey {
    Overall,
    Source(Source),
    Category(usize),
    Beat(usize),
}

#[derive(Default)]
struct Accumulator {
    hourly: Vec<u32>,
    /// Index 0 = the last 24 h, going back; 60 days kept for the prior-week and 30-day sums.
    days_back: Vec<u32>,
    mood: BTreeMap<Source, (u64, f64)>,
    platforms: BTreeMap<Source, u64>,
    entities: FxHashMap<String, u32>,
    phrases: FxHashMap<String, u32>,
}

/// Hours and days between a record and `as_of`; `None` for records after `as_of`.
pub fn age(created_at: DateTime<Utc>, as_of: DateTime<Utc>) -> Option<Duration> {
    let age = as_of - created_at;
    (age >= Duration::zero()).then_some(age)
}

/// 0 for `(as_of − 24 h, as_of]`, 1 for the day before, and so on. `as_of` itself is in day 0.
pub fn days_back(age: Duration) -> usize {
    let ms = age.num_milliseconds();
    if ms == 0 {
        0
    } else {
        ((ms - 1) / 86_400_000) as usize
    }
}

fn hours_back(age: Duration) -> usize {
    let ms = age.num_milliseconds();
    if ms == 0 {
        0
    } else {
        ((ms - 1) / 3_600_000) as usize
    }
}

/// The groups of a record: overall, its source, its beats' categories, its beats.
pub fn groups_of(
    classifier: &Classifier,
    record: &Record,
    annotation: &Annotation,
) -> Vec<GroupKey> {
    let mut keys = vec![GroupKey::Overall, GroupKey::Source(record.source)];
    for beat in &annotation.beats {
        let beat_def = &classifier.taxonomy.beats[beat.beat as usize];
        let category = classifier
            .taxonomy
            .categories
            .iter()
            .position(|c| c.slug == beat_def.category)
            .expect("validated");
        if !keys.contains(&GroupKey::Category(category)) {
            keys.push(GroupKey::Category(category));
        }
        keys.push(GroupKey::Beat(beat.beat as usize));
    }
    keys
}

/// Computes every group's figures as of `as_of`.
pub fn aggregate(
    classifier: &Classifier,
    records: &[Record],
    annotations: &[Annotation],
    as_of: DateTime<Utc>,
) -> Aggregates {
    let names = recurring_names(records, annotations, as_of);
    let mut accumulators: BTreeMap<GroupKey, Accumulator> = BTreeMap::new();
    let taxonomy = &classifier.taxonomy;
    // Every group exists even when empty, so the site can show a zero.
    accumulators.insert(GroupKey::Overall, Accumulator::default());
    for source in Source::ALL {
        accumulators.insert(GroupKey::Source(source), Accumulator::default());
    }
    for c in 0..taxonomy.categories.len() {
        accumulators.insert(GroupKey::Category(c), Accumulator::default());
    }
    for b in 0..taxonomy.beats.len() {
        accumulators.insert(GroupKey::Beat(b), Accumulator::default());
    }
    for (record, annotation) in records.iter().zip(annotations) {
        if !annotation.relevant {
            continue;
        }
        let Some(age) = age(record.created_at, as_of) else {
            continue;
        };
        let day = days_back(age);
        if day >= WINDOW_DAYS.max(60) {
            continue;
        }
        let hour = hours_back(age);
        for key in groups_of(classifier, record, annotation) {
            let acc = accumulators
                .get_mut(&key)
                .expect("every group was inserted");
            acc.add(classifier, record, annotation, day, hour, &names);
        }
    }
    let mut aggregates = Aggregates {
        overall: GroupStats::empty(),
        sources: BTreeMap::new(),
        categories: BTreeMap::new(),
        beats: BTreeMap::new(),
    };
    for (key, acc) in accumulators {
        let stats = acc.finish();
        match key {
            GroupKey::Overall => aggregates.overall = stats,
            GroupKey::Source(source) => {
                aggregates.sources.insert(source, stats);
            }
            GroupKey::Category(c) => {
                aggregates
                    .categories
                    .insert(taxonomy.categories[c].slug.clone(), stats);
            }
            GroupKey::Beat(b) => {
                aggregates
                    .beats
                    .insert(taxonomy.beats[b].slug.to_string(), stats);
            }
        }
    }
    aggregates
}

/// Capitalised phrases that recur in at least [`MIN_NAME_RECORDS`] relevant records of the
/// last 7 days; only these are shown as names (one-off capitalised words are mostly noise).
pub fn recurring_names(
    records: &[Record],
    annotations: &[Annotation],
    as_of: DateTime<Utc>,
) -> FxHashMap<String, u32> {
    let mut counts: FxHashMap<String, u32> = FxHashMap::default();
    for (record, annotation) in records.iter().zip(annotations) {
        let recent = age(record.created_at, as_of).is_some_and(|a| days_back(a) < 7);
        if annotation.relevant && recent {
            for name in &annotation.names {
                *counts.entry(name.clone()).or_default() += 1;
            }
        }
    }
    counts.retain(|_, n| *n >= MIN_NAME_RECORDS);
    counts
}

/// The entity and name texts of a record, as shown to readers.
pub fn entity_texts<'a>(
    classifier: &'a Classifier,
    annotation: &'a Annotation,
    names: &'a FxHashMap<String, u32>,
) -> impl Iterator<Item = &'a str> + 'a {
    let known = annotation
        .entities
        .iter()
        .map(|&e| classifier.gazetteer.entities[e as usize].name.as_str());
    let recurring = annotation
        .names
        .iter()
        .filter(|n| names.contains_key(*n))
        .map(String::as_str);
    known.chain(recurring)
}

impl Accumulator {
    fn add(
        &mut self,
        classifier: &Classifier,
        record: &Record,
        annotation: &Annotation,
        day: usize,
        hour: usize,
        names: &FxHashMap<String, u32>,
    ) {
        if self.days_back.is_empty() {
            self.days_back = vec![0; WINDOW_DAYS.max(60)];
            self.hourly = vec![0; HOURLY_POINTS];
        }
        self.days_back[day] += 1;
        if hour < HOURLY_POINTS {
            self.hourly[HOURLY_POINTS - 1 - hour] += 1;
        }
        if day < 30 {
            let mood = self.mood.entry(record.source).or_default();
            mood.0 += 1;
            mood.1 += annotation.sentiment as f64;
            *self.platforms.entry(record.source).or_default() += 1;
        }
        if day < 7 {
            for text in entity_texts(classifier, annotation, names) {
                *self.entities.entry(text.to_string()).or_default() += 1;
            }
            for phrase in &annotation.phrases {
                *self.phrases.entry(phrase.clone()).or_default() += 1;
            }
        }
    }

    fn finish(self) -> GroupStats {
        if self.days_back.is_empty() {
            return GroupStats::empty();
        }
        let sum = |range: std::ops::Range<usize>| {
            self.days_back[range].iter().map(|&n| n as u64).sum::<u64>()
        };
        let (records_24h, prior_24h) = (sum(0..1), sum(1..2));
        let (records_7d, prior_7d) = (sum(0..7), sum(7..14));
        let records_30d = sum(0..30);
        let total_30d: u64 = self.platforms.values().sum();
        GroupStats {
            figures: Figures {
                records_24h,
                records_7d,
                records_30d,
                prior_24h,
                prior_7d,
                change_day: records_24h as i64 - prior_24h as i64,
                change_day_pct: pct_change(records_24h, prior_24h),
                change_week: records_7d as i64 - prior_7d as i64,
                change_week_pct: pct_change(records_7d, prior_7d),
                daily_average_30d: round3(records_30d as f64 / 30.0),
            },
            hourly: self.hourly,
            daily: self.days_back[..WINDOW_DAYS]
                .iter()
                .rev()
                .copied()
                .collect(),
            sentiment: self
                .mood
                .into_iter()
                .map(|(s, (n, total))| {
                    (
                        s,
                        PlatformMood {
                            records: n,
                            sentiment: round3(total / n as f64),
                        },
                    )
                })
                .collect(),
            platform_share: self
                .platforms
                .into_iter()
                .map(|(s, n)| (s, round3(n as f64 / total_30d as f64)))
                .collect(),
            top_entities: top_counts(self.entities, TOP_TERMS),
            top_phrases: top_counts(self.phrases, TOP_TERMS),
        }
    }
}

impl GroupStats {
    fn empty() -> GroupStats {
        GroupStats {
            figures: Figures::default(),
            hourly: vec![0; HOURLY_POINTS],
            daily: vec![0; WINDOW_DAYS],
            sentiment: BTreeMap::new(),
            platform_share: BTreeMap::new(),
            top_entities: Vec::new(),
            top_phrases: Vec::new(),
        }
    }
}

fn pct_change(now: u64, before: u64) -> Option<f64> {
    (before > 0).then(|| round3((now as f64 - before as f64) / before as f64 * 100.0))
}

/// The `n` largest counts, most first, ties by text (so output order never depends on hashing).
pub fn top_counts(counts: FxHashMap<String, u32>, n: usize) -> Vec<TermCount> {
    let mut all: Vec<(String, u32)> = counts.into_iter().collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    all.truncate(n);
    all.into_iter()
        .map(|(text, records)| TermCount {
            text,
            records: records as u64,
        })
        .collect()
}

/// Rounds to three decimals, so output does not depend on float noise.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
