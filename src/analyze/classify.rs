//! Per-record analysis: AI relevance, beats with their deciding terms, sentiment, entities,
//! names, key phrases and language. [`Classifier::annotate`] is a pure function of a record.

use std::path::Path;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::embed::{EmbedError, StaticModel};
use super::learned::{self, KeywordEvidence, LearnedError, LearnedModel};
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BeatScore {
    pub beat: BeatIndex,
    pub score: f32,
    pub terms: Vec<TermIndex>,
}

/// Everything analysis says about one record; names are indices into the classifier's
/// taxonomy, gazetteer and term list ([`Classifier::view`] resolves them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    /// 0…1; the record is about AI when this reaches 0.5.
    pub relevance: f32,
    pub relevant: bool,
    /// Terms (and AI entities) that made it relevant, or the exclusions that made it not.
    pub relevance_terms: Vec<TermIndex>,
    /// Relevance points lent by the record's community (`relevance.communities`), 0 if none.
    pub community_weight: f32,
    /// Primary beat first, then secondaries scoring at least [`SECONDARY_SHARE`] of it; empty
    /// for records not about AI or filed under no single beat (`general`).
    pub beats: Vec<BeatScore>,
    /// The learned model's three best classes (`None` = `general`) with their probabilities,
    /// best first; empty from the keyword-only classifier and for records not about AI.
    pub choices: Vec<Choice>,
    /// −1…1.
    pub sentiment: f32,
    pub entities: Vec<EntityIndex>,
    /// Capitalised phrases not in the gazetteer (candidate names).
    pub names: Vec<String>,
    pub phrases: Vec<String>,
    #[serde(with = "language_tag")]
    pub language: LanguageTag,
    /// The record's embedding (static model), quantised to `i8` per dimension (scaled so the
    /// largest component is ±127): 256 bytes instead of 1 KB, enough for the cosines that join
    /// records into events (`analyze::events`). Empty from the keyword-only classifier.
    #[serde(with = "vector_bytes")]
    pub vector: Vec<i8>,
}

/// `embedding` scaled so its largest component is ±127 and rounded; all zeros stay zeros.
pub(super) fn quantise(embedding: &[f32]) -> Vec<i8> {
    let top = embedding.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if top == 0.0 {
        return vec![0; embedding.len()];
    }
    let scale = 127.0 / top;
    embedding
        .iter()
        .map(|x| (x * scale).round().clamp(-127.0, 127.0) as i8)
        .collect()
}

/// One of the learned model's best classes for a record.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// `None` is `general`: about AI, no single main subject.
    pub beat: Option<BeatIndex>,
    pub probability: f32,
}

impl Annotation {
    /// The primary beat, if the record has one.
    pub fn primary_beat(&self) -> Option<BeatIndex> {
        self.beats.first().map(|b| b.beat)
    }

    /// The choices of primary beat, best first: `Some(beat)`, or `None` for "no single beat"
    /// (`general`), which is the keyword classifier's only choice for a relevant record
    /// matching no beat.
    pub fn ranking(&self) -> Vec<Option<BeatIndex>> {
        if !self.choices.is_empty() {
            return self.choices.iter().map(|c| c.beat).collect();
        }
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
    /// The embedding and the trained models; `None` in the keyword-only classifier that
    /// training starts from.
    learned: Option<Arc<Learned>>,
}

/// The semantic layer: the static embedding model and the models trained over its vectors.
#[derive(Debug)]
pub struct Learned {
    pub embedder: StaticModel,
    pub model: LearnedModel,
}

/// Why the classifier could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Taxonomy(#[from] crate::model::beat::TaxonomyError),
    #[error(transparent)]
    Embedding(#[from] EmbedError),
    #[error(transparent)]
    Learned(#[from] LearnedError),
}

impl Classifier {
    /// The full classifier of the site at `root`: the taxonomy and gazetteer of `data/`, the
    /// committed static embedding model and the trained weights (`data/classifier.json`). A
    /// missing or stale file is an error naming it and the fix, never a silent fall-back to
    /// keywords alone.
    pub fn load(root: &Path) -> Result<Classifier, LoadError> {
        let data = root.join("data");
        let keywords = Classifier::new(Taxonomy::load(&data)?, Gazetteer::load(&data)?);
        let embedder = StaticModel::load_bundled(root)?;
        let sha = embedder.file_sha256().unwrap_or_default().to_string();
        let slugs = keywords.beat_slugs();
        let model = LearnedModel::load(root, &slugs, &sha, embedder.dim())?;
        Ok(keywords.with_learned(Learned { embedder, model }))
    }

    /// This keyword classifier with a semantic layer on top.
    pub fn with_learned(mut self, learned: Learned) -> Classifier {
        self.learned = Some(Arc::new(learned));
        self
    }

    /// The semantic layer, if loaded.
    pub fn learned(&self) -> Option<&Learned> {
        self.learned.as_deref()
    }

    /// The taxonomy's beat slugs, in order.
    pub fn beat_slugs(&self) -> Vec<&str> {
        self.taxonomy
            .beats
            .iter()
            .map(|b| b.slug.as_str())
            .collect()
    }

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
            learned: None,
        }
    }

    /// The term as written in `data/beats.yaml`.
    pub fn term(&self, index: TermIndex) -> &str {
        &self.terms[index as usize]
    }

    /// Analyses one record.
    pub fn annotate(&self, record: &Record) -> Annotation {
        let found = self.keyword_pass(record);
        let evidence = found.evidence(&self.taxonomy);
        let mut vector = Vec::new();
        let (relevance, relevant, beats, choices) = match &self.learned {
            Some(learned) => {
                let embedding = learned.embedder.embed_record(record);
                vector = quantise(&embedding);
                let mut x = Vec::new();
                learned::features(
                    &embedding,
                    &evidence,
                    record,
                    self.taxonomy.beats.len(),
                    &mut x,
                );
                self.learned_decision(learned, &x, &found.beat_scores)
            }
            None => self.keyword_decision(&found, evidence.threshold),
        };
        let words = Words::of(record);
        let lowered = words.lowered();
        Annotation {
            relevance,
            relevant,
            relevance_terms: found.relevance_terms,
            community_weight: found.community_weight,
            beats,
            choices,
            sentiment: sentiment::compound(&words.tokens, &lowered, words.exclamations),
            names: self.unknown_names(&words.tokens),
            phrases: text::key_phrases(&words.tokens, &lowered, MAX_PHRASES),
            entities: found.entities,
            language: match record.language.as_deref() {
                Some(known) => interned_language(known),
                None => text::guess_language(&words.tokens, &lowered),
            },
            vector,
        }
    }

    /// The learned models' input for `record` whose embedding is `embedding` (training
    /// computes features this way too, so training and use cannot drift apart).
    pub fn features(&self, record: &Record, embedding: &[f32], out: &mut Vec<f32>) {
        let found = self.keyword_pass(record);
        let evidence = found.evidence(&self.taxonomy);
        learned::features(embedding, &evidence, record, self.taxonomy.beats.len(), out);
    }

    /// Relevance by the summed keyword weights; beats by their keyword scores.
    fn keyword_decision(&self, found: &KeywordPass, threshold: f32) -> Decision {
        let relevant = found.relevance_raw >= threshold;
        let raw = found.relevance_raw.max(0.0);
        let relevance = (raw / (raw + threshold)).clamp(0.0, 1.0);
        let beats = if relevant {
            self.rank_beats(found.beat_scores.clone())
        } else {
            Vec::new()
        };
        (relevance, relevant, beats, Vec::new())
    }

    /// Relevance and beats by the trained models over the features `x`.
    fn learned_decision(&self, learned: &Learned, x: &[f32], scores: &[BeatScore]) -> Decision {
        let relevance = learned.model.relevance.probability(x);
        let relevant = relevance >= learned.model.relevance.threshold;
        if !relevant {
            return (relevance, false, Vec::new(), Vec::new());
        }
        let probabilities = learned.model.beats.probabilities(x);
        let general = self.taxonomy.beats.len();
        let choices: Vec<Choice> = super::train::ranked(&probabilities)
            .into_iter()
            .take(MAX_BEATS)
            .map(|class| Choice {
                beat: (class != general).then_some(class as BeatIndex),
                probability: probabilities[class],
            })
            .collect();
        let mut beats = Vec::new();
        if choices[0].beat.is_some() {
            let floor = choices[0].probability * SECONDARY_SHARE;
            for choice in choices.iter().filter(|c| c.probability >= floor) {
                let Some(beat) = choice.beat else { continue };
                let terms = scores
                    .iter()
                    .find(|s| s.beat == beat)
                    .map(|s| s.terms.clone())
                    .unwrap_or_default();
                beats.push(BeatScore {
                    beat,
                    score: choice.probability,
                    terms,
                });
            }
        }
        (relevance, true, beats, choices)
    }

    /// What the taxonomy's terms, entities, community and flair hints say about `record`.
    fn keyword_pass(&self, record: &Record) -> KeywordPass {
        let mut found = KeywordPass::default();
        for text in [&record.title, &record.text] {
            for (meaning, _) in self.matches_without_exclusions(text) {
                match meaning {
                    Meaning::Relevance { weight, term } => {
                        if !found.relevance_terms.contains(&term) {
                            found.relevance_terms.push(term);
                            found.relevance_raw += weight;
                        }
                    }
                    Meaning::Beat { beat, weight, term } => {
                        add_beat_term(&mut found.beat_scores, beat, weight, Some(term))
                    }
                    Meaning::Entity(entity) => {
                        if !found.entities.contains(&entity) {
                            found.entities.push(entity);
                        }
                    }
                }
            }
        }
        for &entity in &found.entities {
            if self.gazetteer.entities[entity as usize].ai {
                found.relevance_raw += AI_ENTITY_WEIGHT;
                found.ai_entities += 1;
            }
        }
        if let Some(community) = record.community.as_deref().map(str::to_lowercase) {
            found.community_weight = self
                .community_relevance
                .get(&community)
                .copied()
                .unwrap_or(0.0);
            found.relevance_raw += found.community_weight;
            for &(beat, weight) in self.community_hints.get(&community).into_iter().flatten() {
                add_beat_term(&mut found.beat_scores, beat, weight, None);
            }
        }
        if let Some(flair) = record.extra.get("flair").and_then(|f| f.as_str()) {
            for &(beat, weight) in self
                .flair_hints
                .get(&flair.to_lowercase())
                .into_iter()
                .flatten()
            {
                add_beat_term(&mut found.beat_scores, beat, weight, None);
            }
        }
        found
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

/// Relevance, relevance-in-[0, 1], beats and the learned model's choices.
type Decision = (f32, bool, Vec<BeatScore>, Vec<Choice>);

/// What the keyword pass over a record found.
#[derive(Debug, Default)]
struct KeywordPass {
    relevance_raw: f32,
    relevance_terms: Vec<TermIndex>,
    entities: Vec<EntityIndex>,
    ai_entities: usize,
    community_weight: f32,
    beat_scores: Vec<BeatScore>,
}

impl KeywordPass {
    fn evidence<'a>(&'a self, taxonomy: &Taxonomy) -> KeywordEvidence<'a> {
        KeywordEvidence {
            relevance_raw: self.relevance_raw,
            threshold: taxonomy.relevance.threshold as f32,
            relevance_terms: self.relevance_terms.len(),
            ai_entities: self.ai_entities,
            community_weight: self.community_weight,
            beat_scores: &self.beat_scores,
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

/// A language tag (`en`, `ja`, `und`), interned. An alias, because serde would take a plain
/// `&'static str` field as borrowed from its input.
pub type LanguageTag = &'static str;

/// An annotation's language as the cache stores it: the tag, read back as the interned
/// `'static` string annotating gives.
mod language_tag {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(tag: &&'static str, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(tag)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<&'static str, D::Error> {
        let tag = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(super::interned_language(&tag))
    }
}

/// An annotation's vector as the cache stores it: one byte string, not 256 numbers, so reading
/// it back is a copy.
mod vector_bytes {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(vector: &[i8], serializer: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = vector.iter().map(|&x| x as u8).collect();
        serializer.serialize_bytes(&bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<i8>, D::Error> {
        let bytes: serde_bytes::ByteBuf = serde::Deserialize::deserialize(deserializer)?;
        Ok(bytes.into_iter().map(|x| x as i8).collect())
    }
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

/// Most labelled examples `classify` shows as the nearest to a record.
pub const NEAREST_SHOWN: usize = 3;

/// What `classify` prints: the annotation with names resolved, the learned model's three best
/// classes with their probabilities and the terms that matched for each, and the labelled
/// examples the record most resembles.
#[derive(Debug, Serialize)]
pub struct Explanation<'a> {
    #[serde(flatten)]
    pub view: AnnotationView<'a>,
    pub choices: Vec<ChoiceView<'a>>,
    pub nearest: Vec<NearestView<'a>>,
}

/// One of [`Explanation::choices`].
#[derive(Debug, Serialize)]
pub struct ChoiceView<'a> {
    /// A beat slug, or `general`.
    pub beat: &'a str,
    pub probability: f64,
    pub terms: Vec<&'a str>,
}

/// One of [`Explanation::nearest`]: a labelled training record and its cosine with the record.
#[derive(Debug, Serialize)]
pub struct NearestView<'a> {
    pub id: &'a str,
    pub beat: &'a str,
    pub text: &'a str,
    pub similarity: f64,
}

impl Classifier {
    /// The annotation of `record` explained (see [`Explanation`]).
    pub fn explain<'a>(
        &'a self,
        record: &'a Record,
        annotation: &'a Annotation,
    ) -> Explanation<'a> {
        let view = self.view(&record.id, annotation);
        let Some(learned) = self.learned() else {
            return Explanation {
                view,
                choices: Vec::new(),
                nearest: Vec::new(),
            };
        };
        let found = self.keyword_pass(record);
        let choices = annotation
            .choices
            .iter()
            .map(|choice| ChoiceView {
                beat: choice.beat.map_or(learned::GENERAL, |b| {
                    self.taxonomy.beats[b as usize].slug.as_str()
                }),
                probability: round3(choice.probability),
                terms: found
                    .beat_scores
                    .iter()
                    .filter(|s| Some(s.beat) == choice.beat)
                    .flat_map(|s| s.terms.iter().map(|&t| self.term(t)))
                    .collect(),
            })
            .collect();
        let embedding = learned.embedder.embed_record(record);
        let mut nearest: Vec<(f32, &learned::Exemplar)> = learned
            .model
            .exemplars
            .iter()
            .map(|e| (e.similarity(&embedding), e))
            .collect();
        nearest.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
        let nearest = nearest
            .into_iter()
            .take(NEAREST_SHOWN)
            .map(|(similarity, e)| NearestView {
                id: &e.id,
                beat: &e.beat,
                text: &e.text,
                similarity: round3(similarity),
            })
            .collect();
        Explanation {
            view,
            choices,
            nearest,
        }
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
