//! Per-record analysis: AI relevance, beats with their deciding terms, sentiment, entities,
//! names, key phrases and language. [`Classifier::annotate`] is a pure function of a record.

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::sentiment::{self, SentimentLabel};
use super::terms::TermMatcher;
use super::text::{self, Token};
use crate::model::beat::Taxonomy;
use crate::model::gazetteer::Gazetteer;
use crate::model::{Record, RecordId};

/// Weight an AI-specific entity (OpenAI, ChatGPT) adds to relevance: decisive on its own.
pub const AI_ENTITY_WEIGHT: f32 = 3.0;
/// A secondary beat must score at least this share of the primary beat's score.
pub const SECONDARY_SHARE: f32 = 0.5;
/// Most beats listed per record (primary plus secondaries).
pub const MAX_BEATS: usize = 3;
/// Key phrases kept per record.
pub const MAX_PHRASES: usize = 3;

/// What a matched term means.
#[derive(Debug, Clone, Copy)]
enum Meaning {
    Relevance { weight: f32, term: u32 },
    Beat { beat: u16, weight: f32, term: u32 },
    Entity(u16),
}

/// Index of a beat in the taxonomy's `beats` list.
pub type BeatIndex = u16;
/// Index of an entity in the gazetteer's `entities` list.
pub type EntityIndex = u16;
/// Index of a term in [`Classifier::term`].
pub type TermIndex = u32;

/// A beat assigned to a record, with the terms that decided it.
#[derive(Debug, Clone, PartialEq)]
pub struct BeatScore {
    pub beat: BeatIndex,
    pub score: f32,
    pub terms: Vec<TermIndex>,
}

/// Everything analysis says about one record; names are indices into the classifier's
/// taxonomy, gazetteer and term list ([`Classifier::view`] resolves them).
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    /// 0…1; the record is about AI when this reaches 0.5.
    pub relevance: f32,
    pub relevant: bool,
    /// Terms (and AI entities) that made it relevant, or the exclusions that made it not.
    pub relevance_terms: Vec<TermIndex>,
    /// Relevance points lent by the record's community (`relevance.communities`), 0 if none.
    pub community_weight: f32,
    /// Primary beat first; empty for records not about AI or matching no beat.
    pub beats: Vec<BeatScore>,
    /// −1…1.
    pub sentiment: f32,
    pub entities: Vec<EntityIndex>,
    /// Capitalised phrases not in the gazetteer (candidate names).
    pub names: Vec<String>,
    pub phrases: Vec<String>,
    pub language: &'static str,
}

impl Annotation {
    /// The primary beat, if the record has one.
    pub fn primary_beat(&self) -> Option<BeatIndex> {
        self.beats.first().map(|b| b.beat)
    }

    /// The choices of primary beat, best first: `Some(beat)`, or `None` for "no single beat"
    /// (`general`), which is the only choice of a relevant record matching no beat.
    pub fn ranking(&self) -> Vec<Option<BeatIndex>> {
        if self.beats.is_empty() {
            return vec![None];
        }
        self.beats.iter().map(|b| Some(b.beat)).collect()
    }
}

/// The compiled taxonomy and gazetteer, ready to annotate records. Build once, share freely.
#[derive(Debug, Clone)]
pub struct Classifier {
    pub taxonomy: Taxonomy,
    pub gazetteer: Gazetteer,
    matcher: TermMatcher<Meaning>,
    /// Term index → term as written in the YAML (entities: their name).
    terms: Vec<String>,
    community_relevance: FxHashMap<String, f32>,
    community_hints: FxHashMap<String, Vec<(BeatIndex, f32)>>,
    flair_hints: FxHashMap<String, Vec<(BeatIndex, f32)>>,
}

impl Classifier {
    /// Compiles every term of the taxonomy and gazetteer into one matcher.
    pub fn new(taxonomy: Taxonomy, gazetteer: Gazetteer) -> Classifier {
        let mut terms: Vec<String> = Vec::new();
        let mut entries: Vec<(String, Meaning)> = Vec::new();
        let mut add =
            |term: &str, make: &dyn Fn(u32) -> Meaning, entries: &mut Vec<(String, Meaning)>| {
                terms.push(term.to_string());
                entries.push((term.to_string(), make(terms.len() as u32 - 1)));
            };
        let rules = &taxonomy.relevance;
        for (term, &w) in &rules.terms {
            add(
                term,
                &|t| Meaning::Relevance {
                    weight: w as f32,
                    term: t,
                },
                &mut entries,
            );
        }
        for (term, &w) in &rules.exclusions {
            add(
                term,
                &|t| Meaning::Relevance {
                    weight: -w as f32,
                    term: t,
                },
                &mut entries,
            );
        }
        for (b, beat) in taxonomy.beats.iter().enumerate() {
            let beat_index = b as BeatIndex;
            for (term, &w) in &beat.terms {
                add(
                    term,
                    &|t| Meaning::Beat {
                        beat: beat_index,
                        weight: w as f32,
                        term: t,
                    },
                    &mut entries,
                );
            }
            for (term, &w) in &beat.exclusions {
                add(
                    term,
                    &|t| Meaning::Beat {
                        beat: beat_index,
                        weight: -w as f32,
                        term: t,
                    },
                    &mut entries,
                );
            }
        }
        for (e, entity) in gazetteer.entities.iter().enumerate() {
            for alias in &entity.aliases {
                entries.push((alias.clone(), Meaning::Entity(e as EntityIndex)));
            }
        }
        let matcher = TermMatcher::new(entries.iter().map(|(t, m)| (t.as_str(), *m)));
        let mut community_hints: FxHashMap<String, Vec<(BeatIndex, f32)>> = FxHashMap::default();
        let mut flair_hints: FxHashMap<String, Vec<(BeatIndex, f32)>> = FxHashMap::default();
        for (b, beat) in taxonomy.beats.iter().enumerate() {
            for (community, &w) in &beat.hints.communities {
                community_hints
                    .entry(community.to_lowercase())
                    .or_default()
                    .push((b as BeatIndex, w as f32));
            }
            for (flair, &w) in &beat.hints.flairs {
                flair_hints
                    .entry(flair.to_lowercase())
                    .or_default()
                    .push((b as BeatIndex, w as f32));
            }
        }
        let community_relevance = rules
            .communities
            .iter()
            .map(|(c, &w)| (c.to_lowercase(), w as f32))
            .collect();
        Classifier {
            taxonomy,
            gazetteer,
            matcher,
            terms,
            community_relevance,
            community_hints,
            flair_hints,
        }
    }

    /// The term as written in `data/beats.yaml`.
    pub fn term(&self, index: TermIndex) -> &str {
        &self.terms[index as usize]
    }

    /// Analyses one record.
    pub fn annotate(&self, record: &Record) -> Annotation {
        let mut relevance_raw = 0.0f32;
        let mut relevance_terms: Vec<TermIndex> = Vec::new();
        let mut beat_scores: Vec<BeatScore> = Vec::new();
        let mut entities: Vec<EntityIndex> = Vec::new();
        for text in [&record.title, &record.text] {
            for (meaning, _) in self.matches_without_exclusions(text) {
                match meaning {
                    Meaning::Relevance { weight, term } => {
                        if !relevance_terms.contains(&term) {
                            relevance_terms.push(term);
                            relevance_raw += weight;
                        }
                    }
                    Meaning::Beat { beat, weight, term } => {
                        add_beat_term(&mut beat_scores, beat, weight, Some(term))
                    }
                    Meaning::Entity(entity) => {
                        if !entities.contains(&entity) {
                            entities.push(entity);
                        }
                    }
                }
            }
        }

        for &entity in &entities {
            if self.gazetteer.entities[entity as usize].ai {
                relevance_raw += AI_ENTITY_WEIGHT;
            }
        }
        let mut community_weight = 0.0;
        let community = record.community.as_deref().map(str::to_lowercase);
        if let Some(community) = &community {
            community_weight = self
                .community_relevance
                .get(community)
                .copied()
                .unwrap_or(0.0);
            relevance_raw += community_weight;
            for &(beat, weight) in self.community_hints.get(community).into_iter().flatten() {
                add_beat_term(&mut beat_scores, beat, weight, None);
            }
        }
        if let Some(flair) = record.extra.get("flair").and_then(|f| f.as_str()) {
            for &(beat, weight) in self
                .flair_hints
                .get(&flair.to_lowercase())
                .into_iter()
                .flatten()
            {
                add_beat_term(&mut beat_scores, beat, weight, None);
            }
        }
        let threshold = self.taxonomy.relevance.threshold as f32;
        let relevant = relevance_raw >= threshold;
        let relevance =
            (relevance_raw.max(0.0) / (relevance_raw.max(0.0) + threshold)).clamp(0.0, 1.0);
        let beats = if relevant {
            self.rank_beats(beat_scores)
        } else {
            Vec::new()
        };

        let words = Words::of(record);
        let lowered = words.lowered();
        Annotation {
            relevance,
            relevant,
            relevance_terms,
            community_weight,
            beats,
            sentiment: sentiment::compound(&words.tokens, &lowered, words.exclamations),
            names: self.unknown_names(&words.tokens),
            phrases: text::key_phrases(&words.tokens, &lowered, MAX_PHRASES),
            entities,
            language: match record.language.as_deref() {
                Some(known) => interned_language(known),
                None => text::guess_language(&words.tokens, &lowered),
            },
        }
    }

    /// All matches in `text`, except positive terms inside an exclusion of the same scope: in
    /// "the enemy AI", `enemy ai` (a relevance exclusion) cancels the `AI` inside it, and the
    /// exclusion's own negative weight still counts.
    fn matches_without_exclusions(&self, text: &str) -> Vec<(Meaning, std::ops::Range<usize>)> {
        let mut found: Vec<(Meaning, std::ops::Range<usize>)> = Vec::new();
        self.matcher
            .for_each_match(text, |m, span| found.push((*m, span)));
        let exclusions: Vec<(Option<BeatIndex>, std::ops::Range<usize>)> = found
            .iter()
            .filter_map(|(m, span)| match *m {
                Meaning::Relevance { weight, .. } if weight < 0.0 => Some((None, span.clone())),
                Meaning::Beat { beat, weight, .. } if weight < 0.0 => {
                    Some((Some(beat), span.clone()))
                }
                _ => None,
            })
            .collect();
        if exclusions.is_empty() {
            return found;
        }
        found.retain(|(m, span)| {
            let scope = match *m {
                Meaning::Relevance { weight, .. } if weight > 0.0 => None,
                Meaning::Beat { beat, weight, .. } if weight > 0.0 => Some(beat),
                _ => return true,
            };
            !exclusions
                .iter()
                .any(|(s, ex)| *s == scope && ex.start <= span.start && span.end <= ex.end)
        });
        found
    }

    /// Keeps beats at or above the taxonomy's minimum, best first, secondaries within
    /// [`SECONDARY_SHARE`] of the primary; ties go to the beat listed first in the taxonomy.
    fn rank_beats(&self, mut scores: Vec<BeatScore>) -> Vec<BeatScore> {
        let min = self.taxonomy.min_score as f32;
        scores.retain(|b| b.score >= min && !b.terms.is_empty());
        scores.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.beat.cmp(&b.beat)));
        if let Some(primary) = scores.first().map(|b| b.score) {
            scores.retain(|b| b.score >= primary * SECONDARY_SHARE);
        }
        scores.truncate(MAX_BEATS);
        scores
    }

    /// Capitalised phrases that are not already a gazetteer entity's spelling.
    fn unknown_names(&self, tokens: &[Token<'_>]) -> Vec<String> {
        let mut names = text::capitalised_phrases(tokens);
        names.retain(|name| {
            let mut known = false;
            self.matcher.for_each_match(name, |m, span| {
                known |= span.start == 0 && matches!(m, Meaning::Entity(_));
            });
            !known
        });
        names
    }

    /// Names of the record's AI-specific entities (those counted towards relevance).
    fn ai_entities<'a>(&'a self, annotation: &'a Annotation) -> impl Iterator<Item = &'a str> + 'a {
        annotation
            .entities
            .iter()
            .map(|&e| &self.gazetteer.entities[e as usize])
            .filter(|e| e.ai)
            .map(|e| e.name.as_str())
    }

    /// The annotation with names instead of indices, as `classify` prints it and
    /// `data/analysis/records.jsonl` stores it.
    pub fn view<'a>(&'a self, id: &'a RecordId, annotation: &'a Annotation) -> AnnotationView<'a> {
        AnnotationView {
            id,
            relevant: annotation.relevant,
            relevance: round3(annotation.relevance),
            relevance_terms: annotation
                .relevance_terms
                .iter()
                .map(|&t| self.term(t).to_string())
                .chain(
                    self.ai_entities(annotation)
                        .map(|name| format!("entity:{name}")),
                )
                .chain((annotation.community_weight > 0.0).then(|| "community".to_string()))
                .collect(),
            beats: annotation
                .beats
                .iter()
                .map(|b| BeatView {
                    beat: self.taxonomy.beats[b.beat as usize].slug.as_str(),
                    score: round3(b.score),
                    terms: b.terms.iter().map(|&t| self.term(t)).collect(),
                })
                .collect(),
            sentiment: round3(annotation.sentiment),
            sentiment_label: SentimentLabel::of(annotation.sentiment),
            entities: annotation
                .entities
                .iter()
                .map(|&e| self.gazetteer.entities[e as usize].name.as_str())
                .collect(),
            names: &annotation.names,
            phrases: &annotation.phrases,
            language: annotation.language,
        }
    }
}

fn add_beat_term(
    scores: &mut Vec<BeatScore>,
    beat: BeatIndex,
    weight: f32,
    term: Option<TermIndex>,
) {
    let slot = match scores.iter().position(|b| b.beat == beat) {
        Some(i) => i,
        None => {
            scores.push(BeatScore {
                beat,
                score: 0.0,
                terms: Vec::new(),
            });
            scores.len() - 1
        }
    };
    let entry = &mut scores[slot];
    match term {
        // Each distinct term counts once: a post repeating "copyright" five times is no more
        // about copyright than one saying it once.
        Some(term) if entry.terms.contains(&term) => {}
        Some(term) => {
            entry.score += weight;
            if weight > 0.0 {
                entry.terms.push(term);
            }
        }
        None => entry.score += weight,
    }
}

/// A collector-provided language tag as a `'static` string: the common ones are interned,
/// anything else is kept as `und` (collectors normalise tags upstream).
fn interned_language(tag: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "en", "es", "fr", "de", "pt", "it", "nl", "tr", "ja", "zh", "ko", "ru", "ar", "hi", "el",
        "pl", "sv", "fi", "uk", "ca",
    ];
    let primary = tag
        .split(['-', '_'])
        .next()
        .unwrap_or(tag)
        .to_ascii_lowercase();
    KNOWN
        .iter()
        .find(|k| **k == primary)
        .copied()
        .unwrap_or("und")
}

fn round3(x: f32) -> f64 {
    (x as f64 * 1000.0).round() / 1000.0
}

/// A record's words: title and text tokenised together (a break between them), lower-cased
/// once into one buffer.
pub struct Words<'a> {
    pub tokens: Vec<Token<'a>>,
    lower: String,
    spans: Vec<(u32, u32)>,
    pub exclamations: usize,
}

impl<'a> Words<'a> {
    /// Tokenises title and text and lower-cases every word once.
    pub fn of(record: &'a Record) -> Words<'a> {
        let mut tokens = text::tokenize(&record.title);
        let mut body = text::tokenize(&record.text);
        if let Some(first) = body.first_mut() {
            first.after_break = true;
        }
        tokens.append(&mut body);
        let mut lower = String::with_capacity(record.title.len() + record.text.len());
        let mut spans = Vec::with_capacity(tokens.len());
        for token in tokens.iter_mut() {
            let start = lower.len();
            text::push_lowercase(token.text, &mut lower);
            token.stopword = text::stopword_bits(&lower[start..]);
            spans.push((start as u32, lower.len() as u32));
        }
        let exclamations = record.title.matches('!').count() + record.text.matches('!').count();
        Words {
            tokens,
            lower,
            spans,
            exclamations,
        }
    }

    /// Lower-case forms, one per token.
    pub fn lowered(&self) -> Vec<&str> {
        self.spans
            .iter()
            .map(|&(s, e)| &self.lower[s as usize..e as usize])
            .collect()
    }
}

/// An [`Annotation`] with names resolved; see [`Classifier::view`].
#[derive(Debug, Serialize)]
pub struct AnnotationView<'a> {
    pub id: &'a RecordId,
    pub relevant: bool,
    pub relevance: f64,
    /// Relevance terms as written in beats.yaml, then `entity:<name>` for AI entities, then
    /// `community` when the record's community lent weight.
    pub relevance_terms: Vec<String>,
    pub beats: Vec<BeatView<'a>>,
    pub sentiment: f64,
    pub sentiment_label: SentimentLabel,
    pub entities: Vec<&'a str>,
    pub names: &'a [String],
    pub phrases: &'a [String],
    pub language: &'static str,
}

#[derive(Debug, Serialize)]
/// A beat of an [`AnnotationView`]: slug, score and the terms that decided it.
pub struct BeatView<'a> {
    pub beat: &'a str,
    pub score: f64,
    pub terms: Vec<&'a str>,
}
