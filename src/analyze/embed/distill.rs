//! `zeitgeist model distill`: the static model from MiniLM, the model2vec recipe.
//!
//! 1. [`token_vectors`]: every vocabulary token `t` goes through MiniLM as `[CLS] t [SEP]`, mean
//!    pooled (the pooling MiniLM uses for sentences): 30,522 × 384.
//! 2. [`pca`]: centred, projected on the top `dim` eigenvectors of the covariance (nalgebra's
//!    `SymmetricEigen`, in f64), each eigenvector's sign fixed so its largest entry is positive:
//!    the same vectors always give the same rows.
//! 3. [`sif_weights`]: each row times `a / (a + p(t))` (smooth inverse frequency), with `p(t)` the
//!    token's share of all tokens of the bundled corpus's records. Chosen over model2vec's
//!    Zipf-by-rank weights because BERT's WordPiece vocabulary is not sorted by frequency (ids
//!    follow the original vocabulary file), so rank says little; real counts from the texts the
//!    model will embed say how uninformative "the", "ai" or "##s" are here.
//! 4. Rows quantised to int8 with one f32 scale each ([`StaticFile::quantise`]).
//!
//! Everything runs in a fixed order with fixed reductions, so the same MiniLM files and corpus
//! give a byte-identical file.

use std::collections::BTreeMap;
use std::time::Instant;

use nalgebra::{DMatrix, SymmetricEigen};
use rayon::prelude::*;

use super::file::StaticFile;
use super::minilm::{MiniLm, DIM};
use super::wordpiece::WordPiece;
use super::{EmbedError, MAX_TOKENS};

/// The recipe's knobs.
#[derive(Debug, Clone, Copy)]
pub struct DistillOptions {
    /// Dimensions kept by PCA (≤ 384).
    pub dim: usize,
    /// The SIF constant `a`.
    pub sif: f64,
    /// Tokens per MiniLM forward pass.
    pub batch: usize,
    /// Principal components of the corpus's sentence vectors to remove after centring them
    /// (the second step of SIF; 0 only centres).
    pub remove: usize,
}

impl Default for DistillOptions {
    fn default() -> Self {
        DistillOptions {
            dim: 256,
            sif: 1e-2,
            batch: 512,
            remove: 1,
        }
    }
}

/// MiniLM's vector of every vocabulary token (`vocab × 384`, row-major), `[CLS] t [SEP]`
/// mean-pooled; `progress` gets a line about every tenth of the way.
pub fn token_vectors(
    minilm: &MiniLm,
    wordpiece: &WordPiece,
    batch: usize,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<f32>, EmbedError> {
    let vocab = wordpiece.vocab_size();
    let cls = 101;
    let sep = 102;
    let started = Instant::now();
    let mut out = Vec::with_capacity(vocab * DIM);
    let mut shown = 0;
    for start in (0..vocab).step_by(batch.max(1)) {
        let end = (start + batch.max(1)).min(vocab);
        let ids: Vec<Vec<u32>> = (start..end).map(|t| vec![cls, t as u32, sep]).collect();
        let mask = vec![vec![1u32; 3]; ids.len()];
        for row in minilm.pooled(&ids, &mask)? {
            out.extend_from_slice(&row);
        }
        if end * 10 / vocab > shown || end == vocab {
            shown = end * 10 / vocab;
            let secs = started.elapsed().as_secs_f64();
            progress(&format!(
                "  MiniLM: {end}/{vocab} tokens, {secs:.0} s ({:.0} tokens/s)",
                end as f64 / secs.max(1e-9)
            ));
        }
    }
    Ok(out)
}

/// PCA of `n × d` rows to `k` dimensions: the projected rows (`n × k`) and the share of the
/// variance they keep.
pub fn pca(values: &[f32], d: usize, k: usize) -> (Vec<f32>, f64) {
    let n = values.len() / d;
    assert!(k <= d && n > 1);
    let mut mean = vec![0f64; d];
    for row in values.chunks_exact(d) {
        for (m, x) in mean.iter_mut().zip(row) {
            *m += *x as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let centred = DMatrix::from_fn(n, d, |i, j| values[i * d + j] as f64 - mean[j]);
    let covariance = (centred.transpose() * &centred) / (n as f64 - 1.0);
    let eigen = SymmetricEigen::new(covariance);
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&a, &b| {
        eigen.eigenvalues[b]
            .total_cmp(&eigen.eigenvalues[a])
            .then(a.cmp(&b))
    });
    let total: f64 = eigen.eigenvalues.iter().map(|v| v.max(0.0)).sum();
    let kept: f64 = order[..k]
        .iter()
        .map(|&i| eigen.eigenvalues[i].max(0.0))
        .sum();
    let mut components = DMatrix::zeros(d, k);
    for (c, &i) in order[..k].iter().enumerate() {
        let mut v = eigen.eigenvectors.column(i).clone_owned();
        let (arg, _) = v.iter().enumerate().fold((0, 0f64), |best, (j, x)| {
            if x.abs() > best.1 {
                (j, x.abs())
            } else {
                best
            }
        });
        if v[arg] < 0.0 {
            v.neg_mut();
        }
        components.set_column(c, &v);
    }
    let projected = centred * components;
    let mut out = Vec::with_capacity(n * k);
    for i in 0..n {
        out.extend(projected.row(i).iter().map(|x| *x as f32));
    }
    (out, kept / total.max(f64::MIN_POSITIVE))
}

/// Token counts over `texts` (their first [`MAX_TOKENS`] tokens each) and the SIF weight
/// `a / (a + count / total)` of every id.
pub fn sif_weights<S: AsRef<str> + Sync>(
    wordpiece: &WordPiece,
    texts: &[S],
    a: f64,
) -> (Vec<f32>, u64) {
    let vocab = wordpiece.vocab_size();
    let counts = texts
        .par_iter()
        .fold(
            || vec![0u64; vocab],
            |mut counts, text| {
                for id in wordpiece.encode(text.as_ref(), MAX_TOKENS) {
                    counts[id as usize] += 1;
                }
                counts
            },
        )
        .reduce(
            || vec![0u64; vocab],
            |a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect(),
        );
    let total: u64 = counts.iter().sum();
    let weights = counts
        .iter()
        .map(|&c| (a / (a + c as f64 / total.max(1) as f64)) as f32)
        .collect();
    (weights, total)
}

/// Centres the corpus's sentence vectors and removes their top `k` principal components, baked
/// into the rows: a text's vector is the sum of its rows, so subtracting the mean sentence
/// vector `m` from every row and projecting every row off a direction `u` does the same to every
/// text's (mean-pooled) vector. Without it, every text shares a large common direction (the
/// frequent tokens' average), and all cosines crowd near one value.
pub fn remove_common<S: AsRef<str> + Sync>(
    rows: &mut [f32],
    dim: usize,
    wordpiece: &WordPiece,
    texts: &[S],
    k: usize,
) {
    let special: Vec<u32> = wordpiece.special_ids().collect();
    let sentence = |rows: &[f32], text: &str| -> Option<Vec<f64>> {
        let ids: Vec<u32> = wordpiece
            .encode(text, MAX_TOKENS)
            .into_iter()
            .filter(|id| !special.contains(id))
            .collect();
        if ids.is_empty() {
            return None;
        }
        let mut v = vec![0f64; dim];
        for id in &ids {
            for (o, r) in v.iter_mut().zip(&rows[*id as usize * dim..][..dim]) {
                *o += *r as f64;
            }
        }
        v.iter_mut().for_each(|x| *x /= ids.len() as f64);
        Some(v)
    };
    let vectors: Vec<Vec<f64>> = texts
        .iter()
        .filter_map(|t| sentence(rows, t.as_ref()))
        .collect();
    let n = vectors.len();
    if n < 2 {
        return;
    }
    let mut mean = vec![0f64; dim];
    for v in &vectors {
        for (m, x) in mean.iter_mut().zip(v) {
            *m += x / n as f64;
        }
    }
    let flat: Vec<f32> = vectors
        .iter()
        .flat_map(|v| v.iter().zip(&mean).map(|(x, m)| (x - m) as f32))
        .collect();
    let directions = if k > 0 {
        principal_directions(&flat, dim, k)
    } else {
        Vec::new()
    };
    for row in rows.chunks_exact_mut(dim) {
        let mut r: Vec<f64> = row.iter().zip(&mean).map(|(x, m)| *x as f64 - m).collect();
        for u in &directions {
            let dot: f64 = r.iter().zip(u).map(|(a, b)| a * b).sum();
            r.iter_mut().zip(u).for_each(|(a, b)| *a -= dot * b);
        }
        row.iter_mut().zip(&r).for_each(|(o, x)| *o = *x as f32);
    }
}

/// The top `k` unit eigenvectors of the covariance of centred rows (`n × d`), signs fixed.
fn principal_directions(centred: &[f32], d: usize, k: usize) -> Vec<Vec<f64>> {
    let n = centred.len() / d;
    let m = DMatrix::from_fn(n, d, |i, j| centred[i * d + j] as f64);
    let eigen = SymmetricEigen::new(m.transpose() * &m);
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&a, &b| {
        eigen.eigenvalues[b]
            .total_cmp(&eigen.eigenvalues[a])
            .then(a.cmp(&b))
    });
    order[..k.min(d)]
        .iter()
        .map(|&i| {
            let mut v: Vec<f64> = eigen.eigenvectors.column(i).iter().copied().collect();
            let arg = (0..d).fold(
                0,
                |best, j| if v[j].abs() > v[best].abs() { j } else { best },
            );
            if v[arg] < 0.0 {
                v.iter_mut().for_each(|x| *x = -*x);
            }
            v
        })
        .collect()
}

/// What [`distill`] made.
#[derive(Debug, Clone)]
pub struct Distilled {
    pub file: StaticFile,
    /// Share of MiniLM's token variance the PCA kept.
    pub explained: f64,
    /// Corpus tokens counted for the weights.
    pub corpus_tokens: u64,
}

/// Steps 2–4 on MiniLM's token vectors (`vocab × 384`): PCA, SIF weights from `texts`, int8.
/// `metadata` is stored in the file along with the recipe's own entries.
pub fn distill<S: AsRef<str> + Sync>(
    vectors: &[f32],
    wordpiece: &WordPiece,
    texts: &[S],
    options: DistillOptions,
    mut metadata: BTreeMap<String, String>,
) -> Distilled {
    let vocab = wordpiece.vocab_size();
    let (mut rows, explained) = pca(vectors, DIM, options.dim);
    let (weights, corpus_tokens) = sif_weights(wordpiece, texts, options.sif);
    for (row, w) in rows.chunks_exact_mut(options.dim).zip(&weights) {
        row.iter_mut().for_each(|x| *x *= w);
    }
    remove_common(&mut rows, options.dim, wordpiece, texts, options.remove);
    let entries = [
        ("format", "zeitgeist-static-embedding/1".to_string()),
        (
            "token_input",
            "[CLS] token [SEP], MiniLM last hidden states mean-pooled".to_string(),
        ),
        ("pca_dim", options.dim.to_string()),
        ("pca_explained", format!("{explained:.4}")),
        (
            "weighting",
            format!("sif a={} (a / (a + p(token)))", options.sif),
        ),
        (
            "common_removed",
            format!(
                "corpus sentence mean and top {} principal component(s)",
                options.remove
            ),
        ),
        ("corpus_tokens", corpus_tokens.to_string()),
        ("corpus_records", texts.len().to_string()),
        (
            "quantisation",
            "int8, one f32 scale per row (max |x| / 127)".to_string(),
        ),
        (
            "pooling",
            "sum of the rows of the first 256 tokens, special tokens skipped, L2-normalised"
                .to_string(),
        ),
    ];
    for (key, value) in entries {
        metadata.insert(key.to_string(), value);
    }
    Distilled {
        file: StaticFile::quantise(vocab, options.dim, &rows, metadata),
        explained,
        corpus_tokens,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pca_keeps_the_main_axis_with_a_fixed_sign() {
        // Points along (1, 1) with a little noise on (1, -1).
        let values: Vec<f32> = (0..50)
            .flat_map(|i| {
                let t = i as f32 - 25.0;
                let e = if i % 2 == 0 { 0.1 } else { -0.1 };
                [t + e, t - e]
            })
            .collect();
        let (rows, explained) = pca(&values, 2, 1);
        assert!(explained > 0.99, "{explained}");
        assert!(
            rows[49] > 0.0 && rows[0] < 0.0,
            "sign fixed: largest entry positive"
        );
        assert_eq!(pca(&values, 2, 1).0, rows);
    }
}
