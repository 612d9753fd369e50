//! The learned layer of the classifier: whether a record is about AI, and its primary beat,
//! decided by two linear models over what the record means (its sentence embedding,
//! [`super::embed`]) and what the keyword taxonomy found in it (`data/beats.yaml`: which
//! beats' terms and hints matched and how strongly, the relevance terms, AI entities).
//!
//! Both are trained on records people labelled (`tests/data/labelled/train.jsonl`) by
//! `zeitgeist model train` ([`super::train`]), their settings chosen on the dev split, and kept in
//! `data/classifier.json` ([`CLASSIFIER_FILE`]): a logistic regression for relevance and a
//! softmax regression over the beats plus `general`. Running them costs a few thousand
//! multiply-adds per record. The file also keeps, per beat, the labelled examples nearest the
//! beat's centre, so `classify` can show which labelled records a record resembles.
//!
//! Why this design (figures in `tests/data/README.md`): on the dev split the embedding and the
//! keyword features together beat either alone, and came within a few points of the same
//! models over MiniLM's own vectors at a thousandth of the cost per record; they train in
//! seconds, and each feature's weight can be read.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::classify::BeatScore;
use crate::model::{Kind, Record, Source};

/// The trained weights, relative to the site root.
pub const CLASSIFIER_FILE: &str = "data/classifier.json";
/// The format tag of [`CLASSIFIER_FILE`].
pub const FORMAT: &str = "zeitgeist-classifier/1";
/// The class of a record about AI with no single main subject.
pub const GENERAL: &str = "general";
/// Keyword beat scores are capped here before scaling: past two strong terms, more terms say
/// little more.
const BEAT_SCORE_CAP: f32 = 6.0;
/// How to repair a missing or stale classifier file.
pub const TRAIN_FIX: &str = "run `zeitgeist model train` (see tests/data/README.md)";

/// What the taxonomy's keywords found in a record: the learned models' non-embedding input.
#[derive(Debug, Clone, Copy)]
pub struct KeywordEvidence<'a> {
    /// The summed relevance weights (terms, AI entities, community), against `threshold`.
    pub relevance_raw: f32,
    pub threshold: f32,
    pub relevance_terms: usize,
    pub ai_entities: usize,
    pub community_weight: f32,
    /// Every beat whose terms or hints matched, unranked.
    pub beat_scores: &'a [BeatScore],
}

/// A linear yes/no decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binary {
    pub weights: Vec<f32>,
    pub bias: f32,
    /// The probability at and above which the answer is yes (chosen on the dev split).
    pub threshold: f32,
}

/// A linear choice among classes (softmax).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Multiclass {
    /// Beat slugs in the taxonomy's order, then [`GENERAL`].
    pub classes: Vec<String>,
    /// One row of feature weights per class.
    pub weights: Vec<Vec<f32>>,
    pub bias: Vec<f32>,
}

/// A labelled training record kept to explain decisions by resemblance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exemplar {
    pub id: String,
    /// Its labelled primary beat, or [`GENERAL`].
    pub beat: String,
    /// Its title or opening words, for display.
    pub text: String,
    /// Its embedding, as `i8 × scale`.
    pub vector: Vec<i8>,
    pub scale: f32,
}

/// How the models were trained and how they scored on the dev split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Training {
    pub train_records: usize,
    pub dev_records: usize,
    /// The L2 penalty chosen on dev, per model.
    pub relevance_l2: f64,
    pub beats_l2: f64,
    pub steps: usize,
    pub dev_relevance_f1: f64,
    pub dev_beat_top1: f64,
    pub dev_beat_top2: f64,
}

/// The contents of [`CLASSIFIER_FILE`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearnedModel {
    pub format: String,
    /// The static embedding model the vectors came from (its file's sha256) and their length.
    pub embedding_sha256: String,
    pub embedding_dim: usize,
    /// Names of the features, in order (the embedding's are `emb0`…).
    pub features: Vec<String>,
    pub relevance: Binary,
    pub beats: Multiclass,
    pub exemplars: Vec<Exemplar>,
    pub training: Training,
}

/// Why the classifier file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LearnedError {
    #[error("{}: {problem}: {TRAIN_FIX}", path.display())]
    File { path: PathBuf, problem: String },
}

/// The names of the non-embedding features, for `beats` (slugs in taxonomy order).
pub fn keyword_feature_names(beats: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = beats.iter().map(|b| format!("beat:{b}")).collect();
    names.extend(
        ["relevance", "relevance_terms", "ai_entities", "community"]
            .iter()
            .map(|s| s.to_string()),
    );
    names.extend(Source::ALL.iter().map(|s| format!("source:{}", s.as_str())));
    names.extend(KINDS.iter().map(|k| format!("kind:{}", k.as_str())));
    names
}

const KINDS: [Kind; 5] = [
    Kind::Post,
    Kind::Comment,
    Kind::Article,
    Kind::Video,
    Kind::Paper,
];

/// Writes a record's features into `out`: the embedding, then the keyword evidence scaled to
/// roughly 0…1, then its platform and kind one-hot. `beats` is the taxonomy's beat count.
pub fn features(
    embedding: &[f32],
    evidence: &KeywordEvidence<'_>,
    record: &Record,
    beats: usize,
    out: &mut Vec<f32>,
) {
    out.clear();
    out.extend_from_slice(embedding);
    let beat_start = out.len();
    out.resize(beat_start + beats, 0.0);
    for score in evidence.beat_scores {
        out[beat_start + score.beat as usize] = score.score.clamp(0.0, BEAT_SCORE_CAP) / 3.0;
    }
    let raw = evidence.relevance_raw.max(0.0);
    out.push(raw / (raw + evidence.threshold));
    out.push(evidence.relevance_terms.min(4) as f32 / 2.0);
    out.push(evidence.ai_entities.min(4) as f32 / 2.0);
    out.push(evidence.community_weight.clamp(0.0, 3.0) / 3.0);
    out.extend(Source::ALL.iter().map(|s| f32::from(*s == record.source)));
    out.extend(KINDS.iter().map(|k| f32::from(*k == record.kind)));
}

fn dot(weights: &[f32], x: &[f32]) -> f32 {
    weights.iter().zip(x).map(|(w, v)| w * v).sum()
}

impl Binary {
    /// The probability of yes.
    pub fn probability(&self, x: &[f32]) -> f32 {
        1.0 / (1.0 + (-(dot(&self.weights, x) + self.bias)).exp())
    }
}

impl Multiclass {
    /// One probability per class, summing to 1.
    pub fn probabilities(&self, x: &[f32]) -> Vec<f32> {
        let logits: Vec<f32> = self
            .weights
            .iter()
            .zip(&self.bias)
            .map(|(w, b)| dot(w, x) + b)
            .collect();
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
        let sum: f32 = exp.iter().sum();
        exp.iter().map(|e| e / sum).collect()
    }
}

impl Exemplar {
    /// The cosine of the exemplar's vector with a unit vector.
    pub fn similarity(&self, unit: &[f32]) -> f32 {
        self.vector
            .iter()
            .zip(unit)
            .map(|(q, x)| *q as f32 * self.scale * x)
            .sum()
    }
}

impl LearnedModel {
    /// Reads and checks [`CLASSIFIER_FILE`] under `root` against the taxonomy's beats (in
    /// order) and the embedding model in use.
    pub fn load(
        root: &Path,
        beats: &[&str],
        embedding_sha256: &str,
        embedding_dim: usize,
    ) -> Result<LearnedModel, LearnedError> {
        let path = root.join(CLASSIFIER_FILE);
        let problem = |problem: String| LearnedError::File {
            path: path.clone(),
            problem,
        };
        let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => problem("is missing".into()),
            _ => problem(format!("cannot be read ({e})")),
        })?;
        let model: LearnedModel = serde_json::from_slice(&bytes)
            .map_err(|e| problem(format!("is not a classifier file ({e})")))?;
        model
            .check(beats, embedding_sha256, embedding_dim)
            .map_err(problem)?;
        Ok(model)
    }

    /// Why the model cannot serve this taxonomy and embedding, if it cannot.
    fn check(&self, beats: &[&str], embedding_sha256: &str, dim: usize) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!("format `{}`, expected `{FORMAT}`", self.format));
        }
        if self.embedding_sha256 != embedding_sha256 || self.embedding_dim != dim {
            return Err(
                "was trained with another embedding model than data/embeddings/ holds".into(),
            );
        }
        let expected: Vec<&str> = beats.iter().copied().chain([GENERAL]).collect();
        if self.beats.classes != expected {
            return Err("was trained for another list of beats than data/beats.yaml".into());
        }
        let width = dim + keyword_feature_names(beats).len();
        let rows_ok = self.beats.weights.iter().all(|w| w.len() == width);
        if self.features.len() != width
            || self.relevance.weights.len() != width
            || !rows_ok
            || self.beats.weights.len() != expected.len()
            || self.beats.bias.len() != expected.len()
        {
            return Err(format!("weights do not have {width} features per class"));
        }
        Ok(())
    }
}
