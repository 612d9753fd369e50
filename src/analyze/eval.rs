//! Measuring the classifier against records people have labelled.
//!
//! A labelled file is JSONL, one `{"record": <Record>, "label": {"relevant": bool, "beat":
//! "<slug>" | "general" | null, "secondary": [...], "confident": bool}, "stratum": "..."}` per
//! line (`tests/data/README.md` says how ours were made). Relevance is scored as a yes/no
//! decision. The primary beat is scored on the records labelled relevant: a label of `general`
//! (or a relevant record without a beat) is right when the classifier files the record under no
//! beat; a record the classifier finds irrelevant is a miss. Reported: top-1 and top-2 accuracy
//! (the label is the classifier's first, or among its first two, choices), precision, recall and
//! F1 per beat with their macro average, a confusion table, and all of it per platform.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::classify::{Annotation, Classifier};
use super::InputError;
use crate::model::Record;

/// The label of a relevant record that fits no single beat.
pub const GENERAL: &str = "general";

/// One labelled record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labelled {
    pub record: Record,
    pub label: Label,
    /// Why the record was drawn (`tests/data/draw_labelset.py`), for reading errors by stratum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stratum: Option<String>,
}

/// What a person decided about a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub relevant: bool,
    /// The primary beat's slug, or `general`, for relevant records.
    #[serde(default)]
    pub beat: Option<String>,
    /// Further beats the record touches.
    #[serde(default)]
    pub secondary: Vec<String>,
    /// False where the person labelling marked the decision as unsure.
    #[serde(default = "yes")]
    pub confident: bool,
}

fn yes() -> bool {
    true
}

impl Label {
    /// The primary beat to score against, `general` for a relevant record without one; `None`
    /// for records not about AI.
    pub fn primary(&self) -> Option<&str> {
        self.relevant
            .then(|| self.beat.as_deref().unwrap_or(GENERAL))
    }
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
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Top-1 and top-2 hits of the primary beat over a number of records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Accuracy {
    pub records: u64,
    pub top1: u64,
    pub top2: u64,
}

impl Accuracy {
    pub fn top1_share(&self) -> f64 {
        ratio(self.top1, self.records)
    }
    pub fn top2_share(&self) -> f64 {
        ratio(self.top2, self.records)
    }
}

/// Relevance and primary-beat scores over one group of records (all, or one platform).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scores {
    pub records: u64,
    pub relevance: Counts,
    pub primary: Accuracy,
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub overall: Scores,
    /// Per platform (`hackernews`, `reddit`, …), and per platform and kind (`reddit comment`).
    pub platforms: BTreeMap<String, Scores>,
    /// Per beat slug (and `general`): the primary beat as a one-vs-rest decision.
    pub beats: BTreeMap<String, Counts>,
    /// Mean F1 over the beats that have labelled records.
    pub beat_macro_f1: f64,
    /// Label → predicted primary (`not relevant` when the classifier says so) → records.
    pub confusion: BTreeMap<String, BTreeMap<String, u64>>,
}

/// What the confusion table calls a relevant record the classifier judged not about AI.
pub const NOT_RELEVANT: &str = "not relevant";

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

/// The classifier's choices of primary beat for a record, best first, as slugs (`general` for
/// "no single beat"); empty when it finds the record not about AI.
pub fn ranked_slugs<'a>(classifier: &'a Classifier, annotation: &Annotation) -> Vec<&'a str> {
    if !annotation.relevant {
        return Vec::new();
    }
    annotation
        .ranking()
        .into_iter()
        .map(|beat| match beat {
            Some(b) => classifier.taxonomy.beats[b as usize].slug.as_str(),
            None => GENERAL,
        })
        .collect()
}

/// Scores `annotations` (one per labelled record, same order) against the labels.
pub fn evaluate(
    classifier: &Classifier,
    labelled: &[Labelled],
    annotations: &[Annotation],
) -> Report {
    let mut overall = Scores::default();
    let mut platforms: BTreeMap<String, Scores> = BTreeMap::new();
    let mut beats: BTreeMap<String, Counts> = BTreeMap::new();
    let mut confusion: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for (item, annotation) in labelled.iter().zip(annotations) {
        let ranked = ranked_slugs(classifier, annotation);
        let record = &item.record;
        let groups = [
            record.source.as_str().to_string(),
            format!("{} {}", record.source.as_str(), record.kind.as_str()),
        ];
        score_one(&mut overall, &item.label, annotation.relevant, &ranked);
        for group in groups {
            let scores = platforms.entry(group).or_default();
            score_one(scores, &item.label, annotation.relevant, &ranked);
        }
        let Some(gold) = item.label.primary() else {
            continue;
        };
        let predicted = ranked.first().copied();
        *confusion
            .entry(gold.to_string())
            .or_default()
            .entry(predicted.unwrap_or(NOT_RELEVANT).to_string())
            .or_default() += 1;
        if predicted == Some(gold) {
            beats.entry(gold.to_string()).or_default().true_positives += 1;
        } else {
            beats.entry(gold.to_string()).or_default().false_negatives += 1;
            if let Some(predicted) = predicted {
                beats
                    .entry(predicted.to_string())
                    .or_default()
                    .false_positives += 1;
            }
        }
    }
    let labelled_beats: Vec<&Counts> = beats
        .values()
        .filter(|c| c.true_positives + c.false_negatives > 0)
        .collect();
    let beat_macro_f1 = if labelled_beats.is_empty() {
        0.0
    } else {
        labelled_beats.iter().map(|c| c.f1()).sum::<f64>() / labelled_beats.len() as f64
    };
    Report {
        overall,
        platforms,
        beats,
        beat_macro_f1,
        confusion,
    }
}

fn score_one(scores: &mut Scores, label: &Label, predicted_relevant: bool, ranked: &[&str]) {
    scores.records += 1;
    match (label.relevant, predicted_relevant) {
        (true, true) => scores.relevance.true_positives += 1,
        (false, true) => scores.relevance.false_positives += 1,
        (true, false) => scores.relevance.false_negatives += 1,
        (false, false) => {}
    }
    if let Some(gold) = label.primary() {
        scores.primary.records += 1;
        scores.primary.top1 += u64::from(ranked.first() == Some(&gold));
        scores.primary.top2 += u64::from(ranked.iter().take(2).any(|b| *b == gold));
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
