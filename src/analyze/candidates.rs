//! Candidate stories are events ([`super::events`]): the current events worth a story, ranked
//! by attention and novelty, each with its evidence, its arc (the stories already written on
//! it) and the volume of its subject.
//!
//! **Worth a story** (notable): the event's lift over its beat's usual event reaches
//! [`MIN_LIFT`] (`e^1.1 ≈ 3` times the usual), or its lead is a standout (top 1% of its
//! platform's engagement in the last 28 days).
//!
//! **Rank score**: `lift + 0.5 × novel`, where `novel` is 1 when one of the event's names had
//! a novelty signal (no record in the 83 days before the last 7). Intensity is
//! [`super::signals::intensity`] of the rank score (Medium from `e^2 ≈ 7` times the usual event
//! of the beat, High from `e^4 ≈ 55` times).
//!
//! **Signal and volume**: the strongest signal on the event's beat, entities or phrases when
//! one fired; otherwise the event's most mentioned entity (or its beat) with its own counts,
//! as a velocity reading of whichever window (24 h or 7 days) rose more. Either way the
//! volume figures a writer may state are the subject's real counts.
//!
//! **Arcs**: see [`super::stories`]; a candidate on an arc already written is kept only when
//! it grew (`EventFacts::grew_since`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::aggregate::{entity_texts, recurring_names, round3, top_counts};
use super::classify::{Annotation, Classifier};
use super::events::{self, Event, EventConfig, Events};
use super::signals::{self, intensity, Detected, SignalKind, SubjectKind, SubjectVolume};
use super::stories::RecentStory;
use crate::model::event::{EventEntry, EventsFile, Topic, ARC_GROWTH};
use crate::model::evidence::{
    BeatRef, CandidateFacts, Signal, TermCount, Volume, Window, WindowVolume,
};
use crate::model::{Record, RecordId, Source};

/// Settings for events and candidates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CandidateConfig {
    pub events: EventConfig,
    /// Most candidates written.
    pub max_candidates: usize,
    /// How much an arc must grow for a new story (`[synthesis] dedup_growth`).
    pub arc_growth: f64,
}

impl Default for CandidateConfig {
    fn default() -> Self {
        CandidateConfig {
            events: EventConfig::default(),
            max_candidates: 50,
            arc_growth: ARC_GROWTH,
        }
    }
}

/// Smallest lift (natural log of "times the usual event of its beat") for a story.
pub const MIN_LIFT: f64 = 0.7;
/// Rank bonus of an event with a new name.
pub const NOVELTY_BONUS: f64 = 0.5;
/// Events written to `events.json`.
pub const MAX_EVENTS_LISTED: usize = 200;
/// Member ids listed per event in `events.json`.
pub const MAX_EVENT_IDS: usize = 50;

/// The beat slug of a candidate none of whose records has a beat; such candidates are listed
/// but get no evidence pack (a story needs a beat page to live on).
pub const UNSORTED: &str = "unsorted";

/// Records shown per evidence list (by engagement, by centrality).
pub const TOP_RECORDS: usize = 5;

/// One record of a candidate with its place in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberRecord {
    pub id: RecordId,
    pub source: Source,
    pub engagement: i64,
    /// Cosine similarity to the event's lead, 0…1 (the lead itself is 1).
    pub centrality: f64,
}

/// A possible story and its evidence. Its `facts` are exactly what the synthesis stage's
/// [`pack::assemble`](super::pack::assemble) takes, and are
/// written flat beside the evidence fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Topic key (the event's, or its arc's), as-of time, beat, category name, signal,
    /// intensity, signal volume, mean sentiment per platform, top entities and phrases, and
    /// the event's facts.
    #[serde(flatten)]
    pub facts: CandidateFacts,
    /// The lead record's title or opening words.
    pub label: String,
    /// The rank score (see the module docs).
    pub score: f64,
    /// Every record id of the event, replies and duplicates included, sorted.
    pub record_ids: Vec<RecordId>,
    /// Records per platform.
    pub counts: BTreeMap<Source, u64>,
    /// Records that are not near-duplicates of another member.
    pub distinct_records: u64,
    pub top_by_engagement: Vec<MemberRecord>,
    pub top_by_centrality: Vec<MemberRecord>,
    /// Centrality of every member, for the story writer's record choice.
    pub centrality: BTreeMap<RecordId, f64>,
}

/// A candidate left out because a recent story covered it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suppressed {
    pub topic: Topic,
    /// The covering story's file, relative to `content/stories/`.
    pub story: String,
    pub reason: String,
}

/// Candidates ranked best first, and the ones suppressed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidates {
    pub as_of: DateTime<Utc>,
    pub window_hours: i64,
    pub candidates: Vec<Candidate>,
    pub suppressed: Vec<Suppressed>,
}

/// Candidates and the events they came from (`events.json`).
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub candidates: Candidates,
    pub events: EventsFile,
}

/// What describing an event needs besides the event.
struct Context<'a> {
    classifier: &'a Classifier,
    records: &'a [Record],
    annotations: &'a [Annotation],
    detected: &'a Detected,
    names: &'a FxHashMap<String, u32>,
    as_of: DateTime<Utc>,
}

/// Finds the events as of `as_of` and ranks the notable ones into candidates.
pub fn find(
    classifier: &Classifier,
    records: &[Record],
    annotations: &[Annotation],
    detected: &Detected,
    stories: &[RecentStory],
    as_of: DateTime<Utc>,
    config: &CandidateConfig,
) -> Ranked {
    let found = events::find(classifier, records, annotations, as_of, &config.events);
    let names = recurring_names(records, annotations, as_of);
    let context = Context {
        classifier,
        records,
        annotations,
        detected,
        names: &names,
        as_of,
    };
    let mut described: Vec<Candidate> = found
        .events
        .iter()
        .map(|event| describe(&context, event))
        .collect();
    described.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.facts.topic.cmp(&b.facts.topic))
    });
    let events = events_file(&found, &described, as_of, config);
    let notable: Vec<Candidate> = described.into_iter().filter(is_notable).collect();
    let arcs = Duration::days(crate::model::BASELINE_DAYS as i64) + config.events.window;
    let (candidates, suppressed) =
        super::stories::follow_arcs(notable, stories, as_of, arcs, config.arc_growth);
    Ranked {
        candidates: Candidates {
            as_of,
            window_hours: config.events.window.num_hours(),
            candidates: candidates.into_iter().take(config.max_candidates).collect(),
            suppressed,
        },
        events,
    }
}

fn is_notable(candidate: &Candidate) -> bool {
    candidate
        .facts
        .event
        .as_ref()
        .is_some_and(|e| e.standout || e.lift >= MIN_LIFT)
}

/// `events.json`: the events with two records or more, or a standout lead, best first.
fn events_file(
    found: &Events,
    ranked: &[Candidate],
    as_of: DateTime<Utc>,
    config: &CandidateConfig,
) -> EventsFile {
    let listed: Vec<EventEntry> = ranked
        .iter()
        .filter_map(|c| Some((c, c.facts.event.as_ref()?)))
        .filter(|(_, e)| e.records >= 2 || e.standout)
        .take(MAX_EVENTS_LISTED)
        .map(|(c, e)| EventEntry {
            facts: e.clone(),
            beat: c.facts.beat.slug.clone(),
            entities: c.facts.top_entities.clone(),
            score: c.score,
            novel: c.score - e.attention >= NOVELTY_BONUS - 1e-9,
            record_ids: ids_by_attention(c, e.lead.clone()),
        })
        .collect();
    EventsFile {
        as_of,
        window_hours: config.events.window.num_hours(),
        total_events: found.events.len() as u64,
        joins: found.joins,
        platforms: found.platforms.clone(),
        beats: found.beats.clone(),
        events: listed,
    }
}

/// The lead, then the members by engagement, at most [`MAX_EVENT_IDS`].
fn ids_by_attention(candidate: &Candidate, lead: RecordId) -> Vec<RecordId> {
    let mut ids = vec![lead];
    let mut rest: Vec<&MemberRecord> = candidate.top_by_engagement.iter().collect();
    let mut others: Vec<&RecordId> = candidate.record_ids.iter().collect();
    rest.retain(|m| m.id != ids[0]);
    ids.extend(rest.iter().map(|m| m.id.clone()));
    others.retain(|id| !ids.contains(id));
    ids.extend(others.into_iter().cloned());
    ids.truncate(MAX_EVENT_IDS);
    ids
}

fn describe(context: &Context<'_>, event: &Event) -> Candidate {
    let Context {
        classifier,
        records,
        annotations,
        detected,
        names,
        as_of,
    } = *context;
    let lead = event.members[0];
    let lead_vector = &annotations[lead].vector;
    let mut members: Vec<MemberRecord> = event
        .members
        .iter()
        .map(|&i| MemberRecord {
            id: records[i].id.clone(),
            source: records[i].source,
            engagement: records[i].engagement.total(),
            centrality: if i == lead {
                1.0
            } else {
                round3(cosine(lead_vector, &annotations[i].vector).max(0.0))
            },
        })
        .collect();
    let mut counts: BTreeMap<Source, u64> = BTreeMap::new();
    let mut mood: BTreeMap<Source, (u64, f64)> = BTreeMap::new();
    let mut entities: FxHashMap<String, u32> = FxHashMap::default();
    let mut phrases: FxHashMap<String, u32> = FxHashMap::default();
    for &i in &event.members {
        let annotation = &annotations[i];
        *counts.entry(records[i].source).or_default() += 1;
        let m = mood.entry(records[i].source).or_default();
        m.0 += 1;
        m.1 += annotation.sentiment as f64;
        for text in entity_texts(classifier, annotation, names) {
            *entities.entry(text.to_string()).or_default() += 1;
        }
        for phrase in &annotation.phrases {
            *phrases.entry(phrase.clone()).or_default() += 1;
        }
    }
    let (beat, category) = match event.beat {
        Some(b) => {
            let def = &classifier.taxonomy.beats[b as usize];
            let category = classifier.taxonomy.category_of(def).name.clone();
            (
                BeatRef {
                    slug: def.slug.to_string(),
                    name: def.name.clone(),
                },
                category,
            )
        }
        None => (
            BeatRef {
                slug: UNSORTED.into(),
                name: "Unsorted".into(),
            },
            "Unsorted".into(),
        ),
    };
    let top_entities = top_counts(entities, 10);
    let top_phrases = top_counts(phrases, 10);
    let fired = strongest_signal(
        &detected.signals,
        &beat.slug,
        &about_the_lead(
            &top_entities,
            &entity_texts(classifier, &annotations[lead], names).collect::<Vec<_>>(),
        ),
        &about_the_lead(
            &top_phrases,
            &annotations[lead]
                .phrases
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        ),
    );
    let novel = detected
        .signals
        .iter()
        .any(|s| s.kind == SignalKind::Novelty && top_entities.iter().any(|t| t.text == s.subject));
    let facts_event = event.facts.clone();
    let score = round3(facts_event.attention + if novel { NOVELTY_BONUS } else { 0.0 });
    let (signal, volume) = match fired {
        Some(s) => (
            Signal {
                kind: s.kind,
                strength: s.strength,
                subject: s.subject.clone(),
                reason: s.reason.clone(),
            },
            signal_volume(s.last_24h, s.baseline, s.window, s.last_7d, s.baseline_7d),
        ),
        None => quiet_signal(detected, &beat.slug, &top_entities, event, records),
    };
    let distinct = distinct_members(records, &event.members);
    let centrality: BTreeMap<RecordId, f64> = members
        .iter()
        .map(|m| (m.id.clone(), m.centrality))
        .collect();
    let mut record_ids: Vec<RecordId> = members.iter().map(|m| m.id.clone()).collect();
    record_ids.sort();
    members.sort_by(|a, b| {
        b.engagement
            .cmp(&a.engagement)
            .then_with(|| a.id.cmp(&b.id))
    });
    let top_by_engagement: Vec<MemberRecord> = members.iter().take(TOP_RECORDS).cloned().collect();
    members.sort_by(|a, b| {
        b.centrality
            .total_cmp(&a.centrality)
            .then_with(|| a.id.cmp(&b.id))
    });
    let top_by_centrality: Vec<MemberRecord> = members.iter().take(TOP_RECORDS).cloned().collect();
    let facts = CandidateFacts {
        topic: facts_event.key.clone(),
        as_of,
        beat,
        category,
        signal,
        intensity: intensity(score),
        volume,
        sentiment: mood
            .into_iter()
            .map(|(s, (n, total))| (s, round3(total / n as f64)))
            .collect(),
        top_entities,
        top_phrases,
        event: Some(facts_event),
    };
    Candidate {
        label: facts
            .event
            .as_ref()
            .map(|e| e.headline.clone())
            .unwrap_or_default(),
        facts,
        score,
        record_ids,
        counts,
        distinct_records: distinct,
        top_by_engagement,
        top_by_centrality,
        centrality,
    }
}

/// Members that are not a near-duplicate of another member.
fn distinct_members(records: &[Record], members: &[usize]) -> u64 {
    let ids: BTreeSet<&RecordId> = members.iter().map(|&i| &records[i].id).collect();
    members
        .iter()
        .filter(|&&i| {
            records[i]
                .near_duplicate_of
                .as_ref()
                .is_none_or(|original| !ids.contains(original))
        })
        .count() as u64
}

/// Cosine of two quantised vectors; 0 when either is empty or zero.
pub fn cosine(a: &[i8], b: &[i8]) -> f64 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0i64, 0i64, 0i64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (i64::from(x), i64::from(y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0 || nb == 0 {
        return 0.0;
    }
    dot as f64 / ((na as f64).sqrt() * (nb as f64).sqrt())
}

/// The event's most counted term and those of its terms its lead carries: what the event is
/// about. A name its comments bring up in passing (another model, a rival company) is not, even
/// when talk of it is surging that week.
fn about_the_lead(terms: &[TermCount], lead: &[&str]) -> Vec<TermCount> {
    terms
        .iter()
        .enumerate()
        .filter(|(n, t)| *n == 0 || lead.contains(&t.text.as_str()))
        .map(|(_, t)| t.clone())
        .collect()
}

/// The strongest signal on the candidate's beat, entities or phrases.
fn strongest_signal<'a>(
    signals: &'a [signals::Signal],
    beat: &str,
    entities: &[TermCount],
    phrases: &[TermCount],
) -> Option<&'a signals::Signal> {
    let entity_set: BTreeSet<&str> = entities.iter().map(|t| t.text.as_str()).collect();
    let phrase_set: BTreeSet<&str> = phrases.iter().map(|t| t.text.as_str()).collect();
    // Signals are sorted strongest first, so the first match is the strongest.
    signals.iter().find(|s| match s.subject_kind {
        SubjectKind::Beat => s.subject == beat,
        SubjectKind::Entity => entity_set.contains(s.subject.as_str()),
        SubjectKind::Phrase => phrase_set.contains(s.subject.as_str()),
    })
}

/// The signal of an event no count signal fired on: its most mentioned entity (or its beat),
/// read as velocity over whichever window rose more, with the event's attention as the reason.
fn quiet_signal(
    detected: &Detected,
    beat: &str,
    entities: &[TermCount],
    event: &Event,
    records: &[Record],
) -> (Signal, Volume) {
    let subject = entities
        .iter()
        .map(|t| (SubjectKind::Entity, t.text.clone()))
        .chain(std::iter::once((SubjectKind::Beat, beat.to_string())))
        .find_map(|key| Some((detected.volumes.get(&key)?, key.1)));
    let reason = attention_reason(event, records);
    let Some((volume, subject)) = subject else {
        let volume = Volume {
            last_24h: 0,
            baseline: 0.0,
            fired: None,
        };
        let signal = Signal {
            kind: SignalKind::Velocity,
            strength: 0.0,
            subject: String::new(),
            reason,
        };
        return (signal, volume);
    };
    let SubjectVolume {
        last_24h,
        last_7d,
        baseline,
        baseline_7d,
    } = *volume;
    let day = (last_24h as f64 + 1.0) / (baseline + 1.0);
    let week = (last_7d as f64 + 1.0) / (baseline_7d + 1.0);
    let (window, strength) = if week > day {
        (Window::Week, week)
    } else {
        (Window::Day, day)
    };
    let signal = Signal {
        kind: SignalKind::Velocity,
        strength: round3(strength),
        subject,
        reason,
    };
    (
        signal,
        signal_volume(last_24h, baseline, window, last_7d, baseline_7d),
    )
}

/// "A conversation of 40 posts and comments on one platform; its lead on Hacker News drew 1,929
/// points and 838 comments; that is 12.5 times the attention of the usual conversation on its
/// beat."
fn attention_reason(event: &Event, records: &[Record]) -> String {
    let lead = &records[event.members[0]];
    let facts = &event.facts;
    let engagement = &lead.engagement;
    let mut drew = Vec::new();
    if let Some(score) = engagement.score.filter(|&s| s > 0) {
        drew.push(format!("{} points", crate::text::thousands(score)));
    }
    if let Some(replies) = engagement.replies.filter(|&r| r > 0) {
        drew.push(format!("{} comments", crate::text::thousands(replies)));
    }
    let platform = lead.source.display_name();
    let drew = if drew.is_empty() {
        String::new()
    } else {
        format!(" drew {}", drew.join(" and "))
    };
    let opening = if facts.records == 1 {
        // A news item or a paper is no "post on News": it is an article of an outlet.
        let place = match (lead.source, lead.community.as_deref()) {
            (Source::News, Some(outlet)) => format!("from {outlet}"),
            _ => format!("on {platform}"),
        };
        format!("A single {} {place}{drew}", lead.kind.as_str())
    } else {
        let platforms = match facts.platforms.len() {
            1 => "one platform".to_string(),
            n => format!("{} platforms", crate::text::number_words(n as u64)),
        };
        let lead = if drew.is_empty() {
            String::new()
        } else {
            format!("; its lead on {platform}{drew}")
        };
        format!(
            "A conversation of {} posts and comments on {platforms}{lead}",
            crate::text::thousands(facts.records as i64)
        )
    };
    format!(
        "{opening}; that is {} times the attention of the usual conversation on its beat{}.",
        crate::text::ratio(facts.lift.exp()),
        if facts.standout {
            ", and the lead is in the top 1% of its platform's last 28 days"
        } else {
            ""
        }
    )
}

/// A volume with the counts of the window it was read on.
fn signal_volume(
    last_24h: u64,
    baseline: f64,
    window: Window,
    last_7d: u64,
    baseline_7d: f64,
) -> Volume {
    let (records, window_baseline) = match window {
        Window::Day => (last_24h, baseline),
        Window::Week => (last_7d, baseline_7d),
    };
    Volume {
        last_24h,
        baseline,
        fired: Some(WindowVolume {
            window,
            records,
            baseline: window_baseline,
        }),
    }
}
