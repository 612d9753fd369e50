//! Signals that something deserves a story: velocity, novelty and divergence, each with a
//! score and an intensity band.
//!
//! Subjects are beats, entities (gazetteer entities and recurring names) and key phrases, over
//! records about AI only. All windows are rolling days ending at `as_of` (see
//! [`super::aggregate::days_back`]).
//!
//! **Intensity** is one function of a signal's score (`intensity(score)`): Low below 2, Medium
//! from 2, High from 4. Scores:
//! - velocity: `log2((c + 1) / (b + 1)) × min(1, c / 10)`, where `c` is the subject's records in
//!   the last 24 h and `b` its mean per day over the 28 days before — or `c` its records in the
//!   last 7 days and `b` its mean per week over the 4 weeks before, whichever scores higher.
//!   Fires when `c ≥ 5` (beats) or `c ≥ 4` (entities, phrases), `(c + 1)/(b + 1) ≥ 3` and
//!   `(c − b)/√(b + 1) ≥ 3`.
//! - novelty: `log2(1 + n) × min(1, n / 10)`, where `n` is the subject's records in the last
//!   7 days; fires when `n ≥ 4` and the subject had no record in the 83 days before, provided
//!   the data reaches back at least 30 days (otherwise everything would look new).
//! - divergence: `(g / 0.2) × min(1, m / 10)`, where `g` is the gap between the highest and
//!   lowest mean sentiment of platforms with at least 5 records on the subject in the last
//!   7 days, and `m` the smallest of those platforms' record counts; fires when `g ≥ 0.3`.
//!
//! The volume factor `min(1, x / 10)` keeps a handful of records from ever rating High.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use super::aggregate::{age, days_back, entity_texts, recurring_names, round3};
use super::classify::{Annotation, Classifier};
use super::WINDOW_DAYS;
use crate::model::analysis::PlatformMood;
use crate::model::evidence::Window;
pub use crate::model::{Intensity, SignalKind};
use crate::model::{Record, Source};

/// Intensity bands: a score below `MEDIUM_FROM` is Low, below `HIGH_FROM` Medium, else High.
pub const MEDIUM_FROM: f64 = 2.0;
/// Scores from this are High.
pub const HIGH_FROM: f64 = 4.0;
/// Days of baseline before the current day for velocity (a contract with the stories that
/// state it, so it lives in `model`).
pub use crate::model::BASELINE_DAYS;
/// Fewest records in the window for a velocity signal on a beat.
pub const MIN_VELOCITY_BEAT: u32 = 5;
/// Fewest records in the window for a velocity signal on an entity or phrase.
pub const MIN_VELOCITY_TERM: u32 = 4;
/// Smallest `(c + 1)/(b + 1)` for velocity.
pub const MIN_VELOCITY_RATIO: f64 = 3.0;
/// Smallest `(c − b)/√(b + 1)` for velocity: the rise must be beyond Poisson noise.
pub const MIN_VELOCITY_Z: f64 = 3.0;
/// Fewest records in 7 days for a novelty signal.
pub const MIN_NOVELTY_RECORDS: u32 = 4;
/// Fewest records a platform needs in 7 days to take part in a divergence.
pub const MIN_DIVERGENCE_RECORDS: u64 = 5;
/// Smallest gap between platform mean sentiments for divergence.
pub const MIN_DIVERGENCE_GAP: f64 = 0.3;
/// Most signals written; the weakest are dropped first.
pub const MAX_SIGNALS: usize = 200;

/// The documented intensity function; see the module docs for each score.
pub fn intensity(score: f64) -> Intensity {
    if score >= HIGH_FROM {
        Intensity::High
    } else if score >= MEDIUM_FROM {
        Intensity::Medium
    } else {
        Intensity::Low
    }
}

/// What a signal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    Beat,
    Entity,
    Phrase,
}

/// One signal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub kind: SignalKind,
    pub subject_kind: SubjectKind,
    /// Beat slug, entity name or phrase.
    pub subject: String,
    /// The beat most of the subject's recent records are on (the beat itself for beats).
    pub beat: Option<String>,
    /// Records on the subject in the last 24 h.
    pub last_24h: u64,
    /// Records in the last 7 days.
    pub last_7d: u64,
    /// Mean records per day over the [`BASELINE_DAYS`] before the last 24 h.
    pub baseline: f64,
    /// Mean records per week over the 4 weeks before the last 7 days.
    pub baseline_7d: f64,
    /// The window the signal compared: velocity's stronger of day and week; novelty and
    /// divergence look at the last 7 days.
    pub window: Window,
    /// Velocity: `(c + 1)/(b + 1)`; novelty: records in 7 days; divergence: sentiment gap.
    pub strength: f64,
    /// The input of [`intensity`].
    pub score: f64,
    pub intensity: Intensity,
    /// One sentence on why it fired.
    pub reason: String,
    /// Divergence only: mean sentiment per platform over the last 7 days.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub platforms: BTreeMap<Source, PlatformMood>,
}

#[derive(Default)]
struct Series {
    days: Vec<u32>,
    mood: BTreeMap<Source, (u64, f64)>,
    beats: FxHashMap<u16, u32>,
}

/// A subject: its kind and its text (beat slug, entity name, phrase).
pub type SubjectKey = (SubjectKind, String);

/// A subject's record counts, whether or not a signal fired on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubjectVolume {
    /// Records in the last 24 h and in the last 7 days.
    pub last_24h: u64,
    pub last_7d: u64,
    /// Mean records per day over the [`BASELINE_DAYS`] before the last 24 h, and per week over
    /// the 4 weeks before the last 7 days.
    pub baseline: f64,
    pub baseline_7d: f64,
}

/// Signals, strongest first, and the volume of every subject seen in the last 7 days.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Detected {
    pub signals: Vec<Signal>,
    pub volumes: FxHashMap<SubjectKey, SubjectVolume>,
}

/// Every record's subjects, as (kind, text).
fn subjects_of(
    classifier: &Classifier,
    annotation: &Annotation,
    names: &FxHashMap<String, u32>,
) -> Vec<SubjectKey> {
    let mut subjects: Vec<SubjectKey> = annotation
        .beats
        .iter()
        .map(|b| {
            (
                SubjectKind::Beat,
                classifier.taxonomy.beats[b.beat as usize].slug.to_string(),
            )
        })
        .collect();
    for text in entity_texts(classifier, annotation, names) {
        let key = (SubjectKind::Entity, text.to_string());
        if !subjects.contains(&key) {
            subjects.push(key);
        }
    }
    subjects.extend(
        annotation
            .phrases
            .iter()
            .map(|p| (SubjectKind::Phrase, p.clone())),
    );
    subjects
}

/// Finds all signals as of `as_of`, strongest first, and every recent subject's volume.
pub fn detect(
    classifier: &Classifier,
    records: &[Record],
    annotations: &[Annotation],
    as_of: DateTime<Utc>,
) -> Detected {
    let names = recurring_names(records, annotations, as_of);
    let relevant_ages = || {
        records
            .iter()
            .zip(annotations)
            .filter(|(_, a)| a.relevant)
            .filter_map(move |(r, a)| {
                let age = age(r.created_at, as_of)?;
                let day = days_back(age);
                (day < WINDOW_DAYS).then_some((r, a, day))
            })
    };
    // Only subjects seen in the last 7 days can signal; count their full history after.
    let recent: FxHashSet<SubjectKey> = relevant_ages()
        .filter(|&(_, _, day)| day < 7)
        .flat_map(|(_, a, _)| subjects_of(classifier, a, &names))
        .collect();
    let mut series: FxHashMap<SubjectKey, Series> = FxHashMap::default();
    for (record, annotation, day) in relevant_ages() {
        for key in subjects_of(classifier, annotation, &names) {
            if !recent.contains(&key) {
                continue;
            }
            let s = series.entry(key).or_default();
            if s.days.is_empty() {
                s.days = vec![0; WINDOW_DAYS];
            }
            s.days[day] += 1;
            if day < 7 {
                let mood = s.mood.entry(record.source).or_default();
                mood.0 += 1;
                mood.1 += annotation.sentiment as f64;
                if let Some(primary) = annotation.primary_beat() {
                    *s.beats.entry(primary).or_default() += 1;
                }
            }
        }
    }
    let history_days = records
        .iter()
        .zip(annotations)
        .filter(|(_, a)| a.relevant)
        .filter_map(|(r, _)| age(r.created_at, as_of))
        .max()
        .unwrap_or(Duration::zero())
        .num_days();
    let mut signals = Vec::new();
    let mut volumes = FxHashMap::default();
    for ((kind, subject), s) in series {
        let beat = match kind {
            SubjectKind::Beat => Some(subject.clone()),
            _ => s
                .beats
                .iter()
                .max_by_key(|(b, n)| (**n, std::cmp::Reverse(**b)))
                .map(|(b, _)| classifier.taxonomy.beats[*b as usize].slug.to_string()),
        };
        let base = SignalBase::new(kind, &subject, beat, &s.days);
        volumes.insert((kind, subject.clone()), base.volume());
        signals.extend(velocity(&base, history_days));
        if kind != SubjectKind::Beat {
            signals.extend(novelty(&base, &s.days, history_days));
        }
        if kind != SubjectKind::Phrase {
            signals.extend(divergence(&base, &s.mood));
        }
    }
    signals.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.kind.cmp(&b.kind))
            .then(a.subject_kind.cmp(&b.subject_kind))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    signals.truncate(MAX_SIGNALS);
    Detected { signals, volumes }
}

/// What every signal on one subject shares.
struct SignalBase<'a> {
    kind: SubjectKind,
    subject: &'a str,
    beat: Option<String>,
    last_24h: u64,
    last_7d: u64,
    baseline: f64,
    baseline_7d: f64,
}

impl<'a> SignalBase<'a> {
    fn new(kind: SubjectKind, subject: &'a str, beat: Option<String>, days: &[u32]) -> Self {
        let baseline = days[1..=BASELINE_DAYS]
            .iter()
            .map(|&n| n as f64)
            .sum::<f64>()
            / BASELINE_DAYS as f64;
        SignalBase {
            kind,
            subject,
            beat,
            last_24h: days[0] as u64,
            last_7d: days[..7].iter().map(|&n| n as u64).sum(),
            baseline: round3(baseline),
            baseline_7d: round3(
                days[7..7 + BASELINE_DAYS]
                    .iter()
                    .map(|&n| n as f64)
                    .sum::<f64>()
                    / 4.0,
            ),
        }
    }

    fn volume(&self) -> SubjectVolume {
        SubjectVolume {
            last_24h: self.last_24h,
            last_7d: self.last_7d,
            baseline: self.baseline,
            baseline_7d: self.baseline_7d,
        }
    }

    fn signal(
        &self,
        kind: SignalKind,
        window: Window,
        strength: f64,
        score: f64,
        reason: String,
    ) -> Signal {
        Signal {
            kind,
            subject_kind: self.kind,
            subject: self.subject.to_string(),
            beat: self.beat.clone(),
            last_24h: self.last_24h,
            last_7d: self.last_7d,
            baseline: self.baseline,
            baseline_7d: self.baseline_7d,
            window,
            strength: round3(strength),
            score: round3(score),
            intensity: intensity(score),
            reason,
            platforms: BTreeMap::new(),
        }
    }
}

fn volume_factor(n: f64) -> f64 {
    (n / 10.0).min(1.0)
}

/// Velocity over the last day against the 28 days before, or over the last week against the
/// four weeks before (sparse subjects rarely move within one day); the stronger is kept.
fn velocity(base: &SignalBase<'_>, history_days: i64) -> Option<Signal> {
    if history_days < BASELINE_DAYS as i64 {
        return None;
    }
    let daily = velocity_over(base, Window::Day);
    let weekly = velocity_over(base, Window::Week);
    match (daily, weekly) {
        (Some(d), Some(w)) => Some(if w.score > d.score { w } else { d }),
        (d, w) => d.or(w),
    }
}

fn velocity_over(base: &SignalBase<'_>, window: Window) -> Option<Signal> {
    let (c, b) = match window {
        Window::Day => (base.last_24h as f64, base.baseline),
        Window::Week => (base.last_7d as f64, base.baseline_7d),
    };
    let (span, unit) = match window {
        Window::Day => ("24 hours", "day"),
        Window::Week => ("7 days", "week"),
    };
    let min = if base.kind == SubjectKind::Beat {
        MIN_VELOCITY_BEAT
    } else {
        MIN_VELOCITY_TERM
    };
    let ratio = (c + 1.0) / (b + 1.0);
    let z = (c - b) / (b + 1.0).sqrt();
    if c < min as f64 || ratio < MIN_VELOCITY_RATIO || z < MIN_VELOCITY_Z {
        return None;
    }
    let score = ratio.log2() * volume_factor(c);
    let reason = velocity_reason(c, b, span, unit);
    Some(base.signal(SignalKind::Velocity, window, ratio, score, reason))
}

/// "9 posts in the last 7 days, about 11 times the usual 0.8 a week of the 28 days before": the
/// plain ratio a reader can check, not the smoothed one the score uses.
fn velocity_reason(count: f64, usual: f64, span: &str, unit: &str) -> String {
    let posts = if count == 1.0 { "post" } else { "posts" };
    if usual < 0.05 {
        return format!(
            "{count} {posts} in the last {span}, where the 28 days before had next to none a {unit}."
        );
    }
    format!(
        "{count} {posts} in the last {span}, about {} times the usual {usual:.1} a {unit} of the 28 days before.",
        crate::text::ratio(count / usual)
    )
}

fn novelty(base: &SignalBase<'_>, days: &[u32], history_days: i64) -> Option<Signal> {
    if history_days < 30 {
        return None;
    }
    let recent = base.last_7d as u32;
    let before: u32 = days[7..].iter().sum();
    if recent < MIN_NOVELTY_RECORDS || before > 0 {
        return None;
    }
    let n = recent as f64;
    let score = (1.0 + n).log2() * volume_factor(n);
    let reason = format!(
        "{recent} posts in the last 7 days and none in the {} days before.",
        WINDOW_DAYS - 7
    );
    Some(base.signal(SignalKind::Novelty, Window::Week, n, score, reason))
}

fn divergence(base: &SignalBase<'_>, mood: &BTreeMap<Source, (u64, f64)>) -> Option<Signal> {
    let platforms: BTreeMap<Source, PlatformMood> = mood
        .iter()
        .filter(|(_, (n, _))| *n >= MIN_DIVERGENCE_RECORDS)
        .map(|(s, (n, total))| {
            (
                *s,
                PlatformMood {
                    records: *n,
                    sentiment: round3(total / *n as f64),
                },
            )
        })
        .collect();
    if platforms.len() < 2 {
        return None;
    }
    let (low_source, low) = platforms
        .iter()
        .min_by(|a, b| a.1.sentiment.total_cmp(&b.1.sentiment))?;
    let (high_source, high) = platforms
        .iter()
        .max_by(|a, b| a.1.sentiment.total_cmp(&b.1.sentiment))?;
    let gap = high.sentiment - low.sentiment;
    if gap < MIN_DIVERGENCE_GAP {
        return None;
    }
    let fewest = platforms.values().map(|p| p.records).min().unwrap_or(0) as f64;
    let score = gap / 0.2 * volume_factor(fewest);
    let reason = format!(
        "Mean sentiment {:+.2} on {} against {:+.2} on {} over the last 7 days.",
        high.sentiment,
        high_source.display_name(),
        low.sentiment,
        low_source.display_name()
    );
    let mut signal = base.signal(SignalKind::Divergence, Window::Week, gap, score, reason);
    signal.platforms = platforms;
    Some(signal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(days: &[u32]) -> SignalBase<'static> {
        SignalBase::new(
            SubjectKind::Entity,
            "Anthropic",
            Some("military-defence".into()),
            days,
        )
    }

    fn history(recent: &[u32], usual: u32) -> Vec<u32> {
        let mut days = vec![usual; WINDOW_DAYS];
        days[..recent.len()].copy_from_slice(recent);
        days
    }

    #[test]
    fn intensity_bands_follow_the_documented_thresholds() {
        assert_eq!(intensity(0.0), Intensity::Low);
        assert_eq!(intensity(1.999), Intensity::Low);
        assert_eq!(intensity(2.0), Intensity::Medium);
        assert_eq!(intensity(3.999), Intensity::Medium);
        assert_eq!(intensity(4.0), Intensity::High);
    }

    #[test]
    fn velocity_needs_volume_ratio_and_significance() {
        // 20 today against 1 a day: ratio 10.5, score log2(10.5) × 1 = 3.39 → Medium.
        let days = history(&[20], 1);
        let signal = velocity(&base(&days), 90).unwrap();
        assert_eq!(signal.strength, 10.5);
        assert_eq!(signal.score, 3.392);
        assert_eq!(signal.intensity, Intensity::Medium);
        // Three records are too few, however quiet the baseline.
        assert!(velocity(&base(&history(&[3], 0)), 90).is_none());
        // Busy subjects need more than noise: 14 against 10 a day is not a burst.
        assert!(velocity(&base(&history(&[14], 10)), 90).is_none());
        // Without 28 days of data there is no baseline.
        assert!(velocity(&base(&days), 10).is_none());
    }

    #[test]
    fn novelty_needs_silence_before() {
        let mut days = vec![0; WINDOW_DAYS];
        days[0] = 3;
        days[2] = 2;
        let signal = novelty(&base(&days), &days, 60).unwrap();
        assert_eq!((signal.kind, signal.strength), (SignalKind::Novelty, 5.0));
        days[40] = 1;
        assert!(novelty(&base(&days), &days, 60).is_none());
    }

    #[test]
    fn divergence_compares_platforms_with_enough_records() {
        let days = history(&[6], 1);
        let mut mood = BTreeMap::new();
        mood.insert(Source::Reddit, (10, 4.0)); // mean +0.4
        mood.insert(Source::Bluesky, (10, -3.0)); // mean −0.3
        let signal = divergence(&base(&days), &mood).unwrap();
        assert_eq!(signal.strength, 0.7);
        assert_eq!(signal.score, 3.5);
        assert!(
            signal.reason.contains("+0.40 on Reddit"),
            "{}",
            signal.reason
        );
        mood.insert(Source::Bluesky, (4, -1.2)); // too few Bluesky records to compare
        assert!(divergence(&base(&days), &mood).is_none());
    }
}
