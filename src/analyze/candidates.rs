//! Candidate stories: AI records of a recent window clustered by TF-IDF cosine similarity,
//! near-duplicates collapsed, each cluster keeping its evidence, ranked, and checked against
//! recent stories.
//!
//! Clustering is greedy and deterministic: records are taken by engagement (highest first, ties
//! by id); each joins the existing cluster whose centroid is most similar if the cosine reaches
//! [`CandidateConfig::similarity`], else it starts a cluster. A document is compared only with
//! clusters sharing a term with it, rarest terms first, at most [`MAX_PROPOSALS`] of them.
//!
//! Rank score: `s + log2(1 + n) / 2 + 0.5 × (p − 1)` where `n` is the candidate's distinct
//! records, `p` its platforms and `s` the score of its strongest signal (0 without one);
//! intensity is [`super::signals::intensity`] of the rank score.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::aggregate::{age, entity_texts, recurring_names, round3, top_counts};
use super::classify::{Annotation, Classifier, Words};
use super::signals::{self as signals, intensity, SignalKind, SubjectKind};
use super::stories::RecentStory;
use crate::model::evidence::{
    BeatRef, CandidateFacts, Signal, TermCount, Volume, Window, WindowVolume,
};
use crate::model::{Record, RecordId, Source};

/// Settings for clustering.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CandidateConfig {
    /// Records created in `(as_of − window, as_of]` are clustered.
    pub window: Duration,
    /// Cosine similarity a record needs to join a cluster.
    pub similarity: f64,
    /// Distinct records (after collapsing near-duplicates) a cluster needs to be a candidate.
    pub min_records: usize,
    /// Most candidates written.
    pub max_candidates: usize,
}

impl Default for CandidateConfig {
    fn default() -> Self {
        CandidateConfig {
            window: Duration::days(7),
            similarity: 0.2,
            min_records: 3,
            max_candidates: 50,
        }
    }
}

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
    /// Cosine similarity to the candidate's centroid, 0…1.
    pub centrality: f64,
}

/// A possible story and its evidence. Its `facts` are exactly what the synthesis stage's
/// [`pack::assemble`](super::pack::assemble) takes, and are
/// written flat beside the evidence fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Topic key (`<beat slug>/<two strongest terms>`), as-of time, beat, category name,
    /// strongest signal, intensity, signal volume, mean sentiment per platform, top entities
    /// and phrases.
    #[serde(flatten)]
    pub facts: CandidateFacts,
    /// The most central record's title or opening words.
    pub label: String,
    /// The rank score (see the module docs).
    pub score: f64,
    /// Every record id of the candidate, duplicates included, sorted.
    pub record_ids: Vec<RecordId>,
    /// Records per platform, duplicates included.
    pub counts: BTreeMap<Source, u64>,
    /// Distinct records after collapsing near-duplicates.
    pub distinct_records: u64,
    pub top_by_engagement: Vec<MemberRecord>,
    pub top_by_centrality: Vec<MemberRecord>,
    /// Centrality of every distinct record, for the story writer's record choice.
    pub centrality: BTreeMap<RecordId, f64>,
}

/// A candidate left out because a recent story covered it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suppressed {
    pub topic: String,
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

/// One distinct text of the window: its copies and its TF-IDF vector.
struct Doc {
    /// Index of the representative record (highest engagement among copies).
    record: usize,
    copies: Vec<usize>,
    vector: Vec<(u32, f32)>,
}

struct Cluster {
    docs: Vec<usize>,
    sum: FxHashMap<u32, f32>,
    norm_sq: f32,
}

/// Builds the ranked candidates as of `as_of`.
pub fn find(
    classifier: &Classifier,
    records: &[Record],
    annotations: &[Annotation],
    signals: &[signals::Signal],
    stories: &[RecentStory],
    as_of: DateTime<Utc>,
    config: &CandidateConfig,
) -> Candidates {
    let window: Vec<usize> = (0..records.len())
        .filter(|&i| annotations[i].relevant)
        .filter(|&i| age(records[i].created_at, as_of).is_some_and(|a| a < config.window))
        .collect();
    let (docs, vocabulary) = documents(records, &window);
    let clusters = cluster(records, &docs, vocabulary.len(), config.similarity);
    let names = recurring_names(records, annotations, as_of);
    let mut candidates: Vec<Candidate> = clusters
        .iter()
        .filter(|c| c.docs.len() >= config.min_records)
        .map(|c| {
            let context = Context {
                classifier,
                records,
                annotations,
                signals,
                docs: &docs,
                vocabulary: &vocabulary,
                names: &names,
            };
            describe(&context, c, as_of)
        })
        .collect();
    candidates.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.facts.topic.cmp(&b.facts.topic))
    });
    dedupe_topics(&mut candidates);
    let (candidates, suppressed) = super::stories::suppress(candidates, stories, as_of);
    Candidates {
        as_of,
        window_hours: config.window.num_hours(),
        candidates: candidates.into_iter().take(config.max_candidates).collect(),
        suppressed,
    }
}

/// Two clusters can share their strongest terms; the weaker gets a numbered topic.
fn dedupe_topics(candidates: &mut [Candidate]) {
    let mut seen: FxHashMap<String, usize> = FxHashMap::default();
    for candidate in candidates {
        let topic = &mut candidate.facts.topic;
        let n = seen.entry(topic.clone()).or_default();
        *n += 1;
        if *n > 1 {
            *topic = format!("{topic}-{n}");
        }
    }
}

/// Collapses copies (same `near_duplicate_of` or the same words) and makes TF-IDF vectors.
fn documents(records: &[Record], window: &[usize]) -> (Vec<Doc>, Vec<String>) {
    let mut by_key: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut words_of: FxHashMap<usize, Vec<String>> = FxHashMap::default();
    for &i in window {
        let record = &records[i];
        let words = Words::of(record);
        let content = clustering_terms(&words.lowered());
        let key = match &record.near_duplicate_of {
            Some(first) => first.to_string(),
            None => content.join(" "),
        };
        by_key.entry(key).or_default().push(i);
        words_of.insert(i, content);
    }
    let mut vocabulary: Vec<String> = Vec::new();
    let mut term_ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut raw: Vec<(usize, Vec<usize>, FxHashMap<u32, u32>)> = Vec::new();
    for (_, mut copies) in by_key {
        copies.sort_by(|&a, &b| {
            records[b]
                .engagement
                .total()
                .cmp(&records[a].engagement.total())
                .then(records[a].id.cmp(&records[b].id))
        });
        let representative = copies[0];
        let mut tf: FxHashMap<u32, u32> = FxHashMap::default();
        for word in &words_of[&representative] {
            let id = *term_ids.entry(word.clone()).or_insert_with(|| {
                vocabulary.push(word.clone());
                vocabulary.len() as u32 - 1
            });
            *tf.entry(id).or_default() += 1;
        }
        raw.push((representative, copies, tf));
    }
    let n = raw.len() as f32;
    let mut df = vec![0u32; vocabulary.len()];
    for (_, _, tf) in &raw {
        for &t in tf.keys() {
            df[t as usize] += 1;
        }
    }
    let docs = raw
        .into_iter()
        .map(|(record, copies, tf)| {
            let mut vector: Vec<(u32, f32)> = tf
                .into_iter()
                .map(|(t, f)| {
                    (
                        t,
                        (1.0 + (f as f32).ln()) * ((n / df[t as usize] as f32).ln() + 1.0),
                    )
                })
                .collect();
            vector.sort_by_key(|&(t, _)| t);
            let norm = vector
                .iter()
                .map(|(_, w)| w * w)
                .sum::<f32>()
                .sqrt()
                .max(f32::EPSILON);
            vector.iter_mut().for_each(|(_, w)| *w /= norm);
            Doc {
                record,
                copies,
                vector,
            }
        })
        .collect();
    (docs, vocabulary)
}

/// Words platforms add to titles ("Show HN:", "[D]") that say nothing about the topic (more
/// such words are stop words already, see `text::NOISE`).
const BOILERPLATE: &[&str] = &["show", "ask", "tell", "launch", "video", "r", "d"];

/// Content words of a record for TF-IDF; hyphenated words also give their parts, so
/// `DeepSeek-R1-0528` and `DeepSeek R1 0528` share terms.
fn clustering_terms(lowered: &[&str]) -> Vec<String> {
    let keep = |w: &str| {
        w.chars().count() >= 2 && !super::text::is_stopword(w) && !BOILERPLATE.contains(&w)
    };
    let mut terms = Vec::with_capacity(lowered.len() * 2);
    for word in lowered {
        if keep(word) {
            terms.push(word.to_string());
        }
        if word.contains('-') {
            terms.extend(
                word.split('-')
                    .filter(|part| keep(part))
                    .map(str::to_string),
            );
        }
    }
    terms
}

fn cluster(
    records: &[Record],
    docs: &[Doc],
    vocabulary_len: usize,
    similarity: f64,
) -> Vec<Cluster> {
    let mut df = vec![0usize; vocabulary_len];
    for doc in docs {
        for &(t, _) in &doc.vector {
            df[t as usize] += 1;
        }
    }
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (&records[docs[a].record], &records[docs[b].record]);
        rb.engagement
            .total()
            .cmp(&ra.engagement.total())
            .then_with(|| ra.id.cmp(&rb.id))
    });
    let mut clusters: Vec<Cluster> = Vec::new();
    let mut postings: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
    for d in order {
        let doc = &docs[d];
        let proposed = proposals(doc, &df, &postings);
        let best = proposed
            .into_iter()
            .map(|c| (c, cosine_to_centroid(&doc.vector, &clusters[c])))
            .filter(|&(_, s)| s as f64 >= similarity)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let target = match best {
            Some((c, _)) => c,
            None => {
                clusters.push(Cluster {
                    docs: Vec::new(),
                    sum: FxHashMap::default(),
                    norm_sq: 0.0,
                });
                clusters.len() - 1
            }
        };
        let cluster = &mut clusters[target];
        let dot: f32 = doc
            .vector
            .iter()
            .map(|(t, w)| cluster.sum.get(t).copied().unwrap_or(0.0) * w)
            .sum();
        cluster.norm_sq += 2.0 * dot + 1.0;
        for &(t, w) in &doc.vector {
            *cluster.sum.entry(t).or_default() += w;
            let list = postings.entry(t).or_default();
            if list.last() != Some(&target) {
                list.push(target);
            }
        }
        cluster.docs.push(d);
    }
    clusters
}

/// Clusters worth comparing a document with: those sharing its rarest terms first, up to
/// [`MAX_PROPOSALS`], so a word every record shares does not make clustering quadratic.
fn proposals(doc: &Doc, df: &[usize], postings: &FxHashMap<u32, Vec<usize>>) -> Vec<usize> {
    let mut terms: Vec<u32> = doc.vector.iter().map(|&(t, _)| t).collect();
    terms.sort_by_key(|&t| (df[t as usize], t));
    let mut proposed: Vec<usize> = Vec::new();
    for t in terms {
        for &c in postings.get(&t).into_iter().flatten() {
            if !proposed.contains(&c) {
                proposed.push(c);
            }
        }
        if proposed.len() >= MAX_PROPOSALS {
            break;
        }
    }
    proposed.sort_unstable();
    proposed
}

/// Most clusters a document is compared with.
pub const MAX_PROPOSALS: usize = 64;

fn cosine_to_centroid(vector: &[(u32, f32)], cluster: &Cluster) -> f32 {
    let dot: f32 = vector
        .iter()
        .map(|(t, w)| cluster.sum.get(t).copied().unwrap_or(0.0) * w)
        .sum();
    dot / cluster.norm_sq.sqrt().max(f32::EPSILON)
}

/// What describing a cluster needs besides the cluster.
struct Context<'a> {
    classifier: &'a Classifier,
    records: &'a [Record],
    annotations: &'a [Annotation],
    signals: &'a [signals::Signal],
    docs: &'a [Doc],
    vocabulary: &'a [String],
    names: &'a FxHashMap<String, u32>,
}

fn describe(context: &Context<'_>, cluster: &Cluster, as_of: DateTime<Utc>) -> Candidate {
    let Context {
        classifier,
        records,
        annotations,
        signals,
        docs,
        vocabulary,
        names,
    } = *context;
    let mut members: Vec<MemberRecord> = cluster
        .docs
        .iter()
        .map(|&d| {
            let record = &records[docs[d].record];
            MemberRecord {
                id: record.id.clone(),
                source: record.source,
                engagement: record.engagement.total(),
                centrality: round3(cosine_to_centroid(&docs[d].vector, cluster) as f64),
            }
        })
        .collect();
    let all: Vec<usize> = cluster
        .docs
        .iter()
        .flat_map(|&d| docs[d].copies.iter().copied())
        .collect();
    let mut counts: BTreeMap<Source, u64> = BTreeMap::new();
    let mut mood: BTreeMap<Source, (u64, f64)> = BTreeMap::new();
    let mut beat_votes: BTreeMap<u16, u32> = BTreeMap::new();
    let mut entities: FxHashMap<String, u32> = FxHashMap::default();
    let mut phrases: FxHashMap<String, u32> = FxHashMap::default();
    for &i in &all {
        let (record, annotation) = (&records[i], &annotations[i]);
        *counts.entry(record.source).or_default() += 1;
        let m = mood.entry(record.source).or_default();
        m.0 += 1;
        m.1 += annotation.sentiment as f64;
        if let Some(beat) = annotation.primary_beat() {
            *beat_votes.entry(beat).or_default() += 1;
        }
        for text in entity_texts(classifier, annotation, names) {
            *entities.entry(text.to_string()).or_default() += 1;
        }
        for phrase in &annotation.phrases {
            *phrases.entry(phrase.clone()).or_default() += 1;
        }
    }
    let beat_index = beat_votes
        .iter()
        .max_by_key(|(b, n)| (**n, std::cmp::Reverse(**b)))
        .map(|(b, _)| *b);
    let (beat, category) = match beat_index {
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
    let signal = strongest_signal(signals, &beat.slug, &top_entities, &top_phrases);
    let platforms = counts.len() as f64;
    let signal_score = signal.map_or(0.0, |s| s.score);
    let score =
        round3(signal_score + (1.0 + members.len() as f64).log2() / 2.0 + 0.5 * (platforms - 1.0));
    let centrality: BTreeMap<RecordId, f64> = members
        .iter()
        .map(|m| (m.id.clone(), m.centrality))
        .collect();
    let mut record_ids: Vec<RecordId> = all.iter().map(|&i| records[i].id.clone()).collect();
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
    let central = records
        .iter()
        .find(|r| r.id == top_by_centrality[0].id)
        .expect("member of records");
    let facts = CandidateFacts {
        topic: format!("{}/{}", beat.slug, topic_words(vocabulary, cluster)),
        as_of,
        beat,
        category,
        signal: match signal {
            Some(s) => Signal {
                kind: s.kind,
                strength: s.strength,
                subject: s.subject.clone(),
                reason: s.reason.clone(),
            },
            None => Signal {
                kind: SignalKind::Velocity,
                strength: 0.0,
                subject: String::new(),
                reason: "No signal fired; ranked on its records alone.".into(),
            },
        },
        intensity: intensity(score),
        volume: signal.map_or(
            Volume {
                last_24h: 0,
                baseline: 0.0,
                fired: None,
            },
            signal_volume,
        ),
        sentiment: mood
            .into_iter()
            .map(|(s, (n, total))| (s, round3(total / n as f64)))
            .collect(),
        top_entities,
        top_phrases,
    };
    Candidate {
        facts,
        label: label_of(central),
        score,
        record_ids,
        counts,
        distinct_records: members.len() as u64,
        top_by_engagement,
        top_by_centrality,
        centrality,
    }
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

/// The two heaviest centroid terms, joined by a hyphen, ties by term.
fn topic_words(vocabulary: &[String], cluster: &Cluster) -> String {
    let mut terms: Vec<(&str, f32)> = cluster
        .sum
        .iter()
        .map(|(t, w)| (vocabulary[*t as usize].as_str(), *w))
        .collect();
    terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let words: Vec<String> = terms
        .iter()
        .take(2)
        .map(|(t, _)| {
            t.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect()
        })
        .collect();
    words.join("-")
}

fn label_of(record: &Record) -> String {
    let text = if record.title.is_empty() {
        &record.text
    } else {
        &record.title
    };
    let mut label: String = text.chars().take(140).collect();
    if label.len() < text.len() {
        label.push('…');
    }
    label
}

/// A signal's volume, with the counts of the window it fired on.
fn signal_volume(signal: &signals::Signal) -> Volume {
    let (records, baseline) = match signal.window {
        Window::Day => (signal.last_24h, signal.baseline),
        Window::Week => (signal.last_7d, signal.baseline_7d),
    };
    Volume {
        last_24h: signal.last_24h,
        baseline: signal.baseline,
        fired: Some(WindowVolume {
            window: signal.window,
            records,
            baseline,
        }),
    }
}
