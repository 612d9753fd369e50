//! Training the learned classifier ([`super::learned`]) on labelled records: `zeitgeist model train`.
//!
//! Features are computed once per record (the static embedding plus the keyword evidence of
//! the taxonomy). Each model is fitted by full-batch AdamW on the mean cross-entropy plus an L2
//! penalty on the weights, with candle; the penalty is chosen from a small grid by the dev
//! split (relevance by F1 at its best threshold, beats by top-1 then top-2 accuracy), and the
//! test split is never read. Weights start at zero and every step is a pure function of the
//! data, so the same labels give the same file byte for byte.

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};

use super::classify::Classifier;
use super::embed::StaticModel;
use super::eval::Labelled;
use super::learned::{self, Binary, Exemplar, LearnedModel, Multiclass, Training, FORMAT, GENERAL};

/// Optimiser steps per fit: enough for the loss to settle on a few thousand records.
pub const STEPS: usize = 400;
/// The L2 penalties tried, per model.
pub const L2_GRID: [f64; 4] = [3e-5, 1e-4, 3e-4, 1e-3];
/// Labelled examples kept per class for explanations.
pub const EXEMPLARS_PER_CLASS: usize = 6;

/// Why training failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("{0}")]
    Labels(String),
}

/// A labelled split as features and targets.
struct Split {
    x: Vec<f32>,
    relevant: Vec<u32>,
    /// Class index per record labelled relevant, and that record's row.
    beat_rows: Vec<usize>,
    beat: Vec<u32>,
    embeddings: Vec<f32>,
}

/// What a fit produced and how it scored on dev.
struct Fit {
    weights: Vec<Vec<f32>>,
    bias: Vec<f32>,
    l2: f64,
    score: (f64, f64),
}

/// Trains both models on `train`, choosing settings on `dev`. `keywords` is the keyword-only
/// classifier of the same taxonomy (its evidence is part of the features).
pub fn train(
    keywords: &Classifier,
    embedder: &StaticModel,
    embedding_sha256: &str,
    train: &[Labelled],
    dev: &[Labelled],
    progress: &mut dyn FnMut(&str),
) -> Result<LearnedModel, TrainError> {
    let slugs: Vec<&str> = keywords
        .taxonomy
        .beats
        .iter()
        .map(|b| b.slug.as_str())
        .collect();
    let classes: Vec<String> = slugs
        .iter()
        .map(|s| s.to_string())
        .chain([GENERAL.to_string()])
        .collect();
    let features: Vec<String> = (0..embedder.dim())
        .map(|i| format!("emb{i}"))
        .chain(learned::keyword_feature_names(&slugs))
        .collect();
    let width = features.len();
    let train_split = split(keywords, embedder, train, &classes, width)?;
    let dev_split = split(keywords, embedder, dev, &classes, width)?;
    progress(&format!(
        "features: {} per record; {} train records ({} about AI), {} dev",
        width,
        train.len(),
        train_split.beat.len(),
        dev.len()
    ));

    let mut best_relevance: Option<(Fit, f32)> = None;
    let mut best_beats: Option<Fit> = None;
    for &l2 in &L2_GRID {
        let (weights, bias) = fit(&train_split.x, &train_split.relevant, width, 2, l2)?;
        let binary = to_binary(&weights, &bias, 0.5);
        let (threshold, f1) = best_threshold(&binary, &dev_split);
        progress(&format!(
            "relevance, L2 {l2:e}: dev F1 {f1:.3} at {threshold:.2}"
        ));
        if best_relevance.as_ref().is_none_or(|(b, _)| f1 > b.score.0) {
            best_relevance = Some((
                Fit {
                    weights,
                    bias,
                    l2,
                    score: (f1, 0.0),
                },
                threshold,
            ));
        }
        let x = rows(&train_split.x, &train_split.beat_rows, width);
        let (weights, bias) = fit(&x, &train_split.beat, width, classes.len(), l2)?;
        let multi = Multiclass {
            classes: classes.clone(),
            weights,
            bias,
        };
        let score = top_k_accuracy(&multi, &dev_split, width);
        progress(&format!(
            "beats, L2 {l2:e}: dev top-1 {:.3}, top-2 {:.3}",
            score.0, score.1
        ));
        if best_beats.as_ref().is_none_or(|b| score > b.score) {
            best_beats = Some(Fit {
                weights: multi.weights,
                bias: multi.bias,
                l2,
                score,
            });
        }
    }
    let (relevance_fit, threshold) = best_relevance.expect("the grid is not empty");
    let beats_fit = best_beats.expect("the grid is not empty");
    Ok(LearnedModel {
        format: FORMAT.to_string(),
        embedding_sha256: embedding_sha256.to_string(),
        embedding_dim: embedder.dim(),
        features,
        relevance: to_binary(&relevance_fit.weights, &relevance_fit.bias, threshold),
        exemplars: exemplars(train, &train_split, embedder.dim(), &classes),
        beats: Multiclass {
            classes,
            weights: beats_fit.weights,
            bias: beats_fit.bias,
        },
        training: Training {
            train_records: train.len(),
            dev_records: dev.len(),
            relevance_l2: relevance_fit.l2,
            beats_l2: beats_fit.l2,
            steps: STEPS,
            dev_relevance_f1: round4(relevance_fit.score.0),
            dev_beat_top1: round4(beats_fit.score.0),
            dev_beat_top2: round4(beats_fit.score.1),
        },
    })
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Features and targets of a labelled split; a label naming no beat of the taxonomy is an error.
fn split(
    keywords: &Classifier,
    embedder: &StaticModel,
    labelled: &[Labelled],
    classes: &[String],
    width: usize,
) -> Result<Split, TrainError> {
    let mut out = Split {
        x: Vec::with_capacity(labelled.len() * width),
        relevant: Vec::new(),
        beat_rows: Vec::new(),
        beat: Vec::new(),
        embeddings: Vec::new(),
    };
    let mut row = Vec::with_capacity(width);
    for (i, item) in labelled.iter().enumerate() {
        let embedding = embedder.embed_record(&item.record);
        keywords.features(&item.record, &embedding, &mut row);
        out.x.extend_from_slice(&row);
        out.embeddings.extend_from_slice(&embedding);
        out.relevant.push(u32::from(item.label.relevant));
        if let Some(primary) = item.label.primary() {
            let class = classes.iter().position(|c| c == primary).ok_or_else(|| {
                TrainError::Labels(format!(
                    "{}: label beat `{primary}` is not in data/beats.yaml",
                    item.record.id
                ))
            })?;
            out.beat_rows.push(i);
            out.beat.push(class as u32);
        }
    }
    Ok(out)
}

/// The rows `which` of a row-major matrix `width` wide.
fn rows(x: &[f32], which: &[usize], width: usize) -> Vec<f32> {
    which
        .iter()
        .flat_map(|&r| x[r * width..(r + 1) * width].iter().copied())
        .collect()
}

/// Fits a softmax regression: weights `classes × width` and biases, from zero.
fn fit(
    x: &[f32],
    y: &[u32],
    width: usize,
    classes: usize,
    l2: f64,
) -> Result<(Vec<Vec<f32>>, Vec<f32>), TrainError> {
    let device = Device::Cpu;
    let n = y.len();
    let xs = Tensor::from_slice(x, (n, width), &device)?;
    let ys = Tensor::from_slice(y, n, &device)?;
    let w = Var::zeros((classes, width), DType::F32, &device)?;
    let b = Var::zeros(classes, DType::F32, &device)?;
    let params = ParamsAdamW {
        lr: 0.05,
        weight_decay: 0.0,
        ..ParamsAdamW::default()
    };
    let mut optimiser = AdamW::new(vec![w.clone(), b.clone()], params)?;
    for _ in 0..STEPS {
        let logits = xs.matmul(&w.t()?)?.broadcast_add(&b)?;
        let loss = candle_nn::loss::cross_entropy(&logits, &ys)?;
        let penalty = (w.sqr()?.sum_all()? * l2)?;
        optimiser.backward_step(&(loss + penalty)?)?;
    }
    Ok((w.as_tensor().to_vec2()?, b.as_tensor().to_vec1()?))
}

/// A two-class softmax as one logistic regression (class 1 against class 0).
fn to_binary(weights: &[Vec<f32>], bias: &[f32], threshold: f32) -> Binary {
    Binary {
        weights: weights[1]
            .iter()
            .zip(&weights[0])
            .map(|(a, b)| a - b)
            .collect(),
        bias: bias[1] - bias[0],
        threshold,
    }
}

/// The probability threshold (in steps of 0.05) with the best dev F1, and that F1.
fn best_threshold(model: &Binary, dev: &Split) -> (f32, f64) {
    let width = model.weights.len();
    let probabilities: Vec<f32> = dev
        .x
        .chunks_exact(width)
        .map(|row| model.probability(row))
        .collect();
    let mut best = (0.5, -1.0);
    for step in 4..=16 {
        let threshold = step as f32 * 0.05;
        let (mut tp, mut fp, mut fn_) = (0u32, 0u32, 0u32);
        for (p, y) in probabilities.iter().zip(&dev.relevant) {
            match (*p >= threshold, *y == 1) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fn_ += 1,
                (false, false) => {}
            }
        }
        let f1 = if tp == 0 {
            0.0
        } else {
            2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
        };
        if f1 > best.1 {
            best = (threshold, f1);
        }
    }
    best
}

/// Top-1 and top-2 accuracy of the beat model on the dev records labelled relevant.
fn top_k_accuracy(model: &Multiclass, dev: &Split, width: usize) -> (f64, f64) {
    let (mut top1, mut top2) = (0usize, 0usize);
    for (&row, &gold) in dev.beat_rows.iter().zip(&dev.beat) {
        let probabilities = model.probabilities(&dev.x[row * width..(row + 1) * width]);
        let ranked = ranked(&probabilities);
        top1 += usize::from(ranked[0] == gold as usize);
        top2 += usize::from(ranked[..2].contains(&(gold as usize)));
    }
    let n = dev.beat.len().max(1) as f64;
    (top1 as f64 / n, top2 as f64 / n)
}

/// Class indices by falling probability (ties by index).
pub fn ranked(probabilities: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_by(|&a, &b| {
        probabilities[b]
            .total_cmp(&probabilities[a])
            .then(a.cmp(&b))
    });
    order
}

/// Per class, the training records nearest the mean of its records' embeddings.
fn exemplars(
    labelled: &[Labelled],
    split: &Split,
    dim: usize,
    classes: &[String],
) -> Vec<Exemplar> {
    let embedding = |row: usize| &split.embeddings[row * dim..(row + 1) * dim];
    let mut out = Vec::new();
    for (class, name) in classes.iter().enumerate() {
        let members: Vec<usize> = split
            .beat_rows
            .iter()
            .zip(&split.beat)
            .filter(|(_, b)| **b as usize == class)
            .map(|(r, _)| *r)
            .collect();
        let mut centre = vec![0f32; dim];
        for &row in &members {
            for (c, v) in centre.iter_mut().zip(embedding(row)) {
                *c += v;
            }
        }
        let mut scored: Vec<(f32, usize)> = members
            .iter()
            .map(|&row| {
                (
                    embedding(row).iter().zip(&centre).map(|(a, b)| a * b).sum(),
                    row,
                )
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, row) in scored.iter().take(EXEMPLARS_PER_CLASS) {
            let record = &labelled[row].record;
            let vector = embedding(row);
            let max = vector.iter().fold(0f32, |m, v| m.max(v.abs()));
            let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
            out.push(Exemplar {
                id: record.id.as_str().to_string(),
                beat: name.clone(),
                text: crate::text::shorten(
                    if record.title.is_empty() {
                        &record.text
                    } else {
                        &record.title
                    },
                    100,
                ),
                vector: vector.iter().map(|v| (v / scale).round() as i8).collect(),
                scale,
            });
        }
    }
    out
}
