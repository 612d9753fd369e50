//! Measuring the classifier against records a person has labelled.
//!
//! A labelled file is JSONL, one `{"record": <Record>, "label": {"relevant": bool, "beat":
//! "<slug>" | null}}` per line. Relevance is scored as a yes/no decision. Beats are scored on
//! the records labelled relevant that carry a beat: the classifier's primary beat against the
//! label (a record the classifier finds irrelevant predicts no beat), per beat and as macro
//! (mean of per-beat F1) and micro (pooled counts) averages.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::classify::{Annotation, Classifier};
use super::InputError;
use crate::model::Record;

/// One labelled record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labelled {
    pub record: Record,
    pub label: Label,
}

/// What a person decided about a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub relevant: bool,
    /// The primary beat's slug, for relevant records.
    #[serde(default)]
    pub beat: Option<String>,
}

/// True/false positives and false negatives, and the scores made from them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    pub true_positives: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
}

impl Counts {
    /// `tp / (tp + fp)`, 0 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }
    /// `tp / (tp + fn)`, 0 when nothing was labelled.
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }
    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    fn add(&mut self, other: Counts) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub records: u64,
    pub relevance: Counts,
    /// Per beat slug (beats present in labels or predictions).
    pub beats: BTreeMap<String, Counts>,
    pub beat_records: u64,
    pub beat_macro_f1: f64,
    pub beat_micro_f1: f64,
    /// Share of beat-labelled records whose label is among the assigned beats (primary or secondary).
    pub beat_in_assigned: f64,
}

/// Reads a labelled JSONL file; errors name the file and line.
pub fn read_labelled(path: &Path) -> Result<Vec<Labelled>, InputError> {
    let text = std::fs::read_to_string(path).map_err(|source| InputError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| InputError::Parse {
                path: path.to_path_buf(),
                line: i + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

/// Scores `annotations` (one per labelled record, same order) against the labels.
pub fn evaluate(
    classifier: &Classifier,
    labelled: &[Labelled],
    annotations: &[Annotation],
) -> Report {
    let slug = |a: &Annotation| {
        a.primary_beat()
            .map(|b| classifier.taxonomy.beats[b as usize].slug.to_string())
    };
    let mut relevance = Counts::default();
    let mut beats: BTreeMap<String, Counts> = BTreeMap::new();
    let (mut beat_records, mut in_assigned) = (0u64, 0u64);
    for (item, annotation) in labelled.iter().zip(annotations) {
        match (item.label.relevant, annotation.relevant) {
            (true, true) => relevance.true_positives += 1,
            (false, true) => relevance.false_positives += 1,
            (true, false) => relevance.false_negatives += 1,
            (false, false) => {}
        }
        let Some(gold) = item.label.beat.as_ref().filter(|_| item.label.relevant) else {
            continue;
        };
        beat_records += 1;
        let predicted = slug(annotation);
        if annotation
            .beats
            .iter()
            .any(|b| classifier.taxonomy.beats[b.beat as usize].slug.as_str() == gold)
        {
            in_assigned += 1;
        }
        if predicted.as_deref() == Some(gold.as_str()) {
            beats.entry(gold.clone()).or_default().true_positives += 1;
        } else {
            beats.entry(gold.clone()).or_default().false_negatives += 1;
            if let Some(predicted) = predicted {
                beats.entry(predicted).or_default().false_positives += 1;
            }
        }
    }
    let mut pooled = Counts::default();
    for counts in beats.values() {
        pooled.add(*counts);
    }
    let macro_f1 = if beats.is_empty() {
        0.0
    } else {
        beats.values().map(Counts::f1).sum::<f64>() / beats.len() as f64
    };
    Report {
        records: labelled.len() as u64,
        relevance,
        beats,
        beat_records,
        beat_macro_f1: macro_f1,
        beat_micro_f1: pooled.f1(),
        beat_in_assigned: ratio(in_assigned, beat_records),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f1_from_counts() {
        let c = Counts {
            true_positives: 8,
            false_positives: 2,
            false_negatives: 8,
        };
        assert!((c.precision() - 0.8).abs() < 1e-9);
        assert!((c.recall() - 0.5).abs() < 1e-9);
        assert!((c.f1() - 0.8 * 0.5 * 2.0 / 1.3).abs() < 1e-9);
        assert_eq!(Counts::default().f1(), 0.0);
    }
}
