//! all-MiniLM-L6-v2 run with candle's BERT on the CPU: tokenise with the `tokenizers` crate
//! (MiniLM's `tokenizer.json`, at most 256 tokens with `[CLS]`/`[SEP]`, padded to the longest
//! text of a batch), run the six layers, mean-pool the last hidden states over the attention
//! mask, L2-normalise: the sentence-transformers recipe, 384 dimensions.
//!
//! Slow (about 150 texts/s on 2 cores in a release build, two orders of magnitude slower in a
//! debug one), so it serves distillation and quality measurements, not the pipeline.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

use super::cache::{self, MiniLmFiles, CACHE_FIX};
use super::{EmbedError, Problem};

/// Output dimensions.
pub const DIM: usize = 384;
/// Tokens per text, `[CLS]` and `[SEP]` included (sentence-transformers' `max_seq_length`).
pub const MAX_SEQ: usize = 256;

/// The loaded model and tokenizer.
pub struct MiniLm {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

fn model_error(e: impl std::fmt::Display) -> EmbedError {
    EmbedError::Model(e.to_string())
}

impl MiniLm {
    /// Loads MiniLM from the cache folder ([`cache::default_dir`]), checking every file.
    pub fn load_cached() -> Result<MiniLm, EmbedError> {
        MiniLm::load(&MiniLmFiles::load(&cache::default_dir())?)
    }

    /// Loads MiniLM from checked files.
    pub fn load(files: &MiniLmFiles) -> Result<MiniLm, EmbedError> {
        let bad = |name: &str, e: String| {
            EmbedError::file(&files.dir.join(name), Problem::Format(e), CACHE_FIX)
        };
        let config: Config =
            serde_json::from_slice(&files.config).map_err(|e| bad("config.json", e.to_string()))?;
        let mut tokenizer = Tokenizer::from_bytes(&files.tokenizer)
            .map_err(|e| bad("tokenizer.json", e.to_string()))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_SEQ,
                ..Default::default()
            }))
            .map_err(|e| bad("tokenizer.json", e.to_string()))?;
        tokenizer.with_padding(Some(PaddingParams::default()));
        let device = Device::Cpu;
        let vb = VarBuilder::from_slice_safetensors(&files.model, DType::F32, &device)
            .map_err(|e| bad("model.safetensors", e.to_string()))?;
        let model =
            BertModel::load(vb, &config).map_err(|e| bad("model.safetensors", e.to_string()))?;
        Ok(MiniLm {
            model,
            tokenizer,
            device,
        })
    }

    /// The `tokenizers` crate's tokenizer (truncating to [`MAX_SEQ`], padding a batch).
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Sentence embeddings (unit vectors of [`DIM`]) of `texts`, one forward pass for all:
    /// callers batch (16–64 texts of similar length is fastest).
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(model_error)?;
        let ids: Vec<Vec<u32>> = encodings.iter().map(|e| e.get_ids().to_vec()).collect();
        let mask: Vec<Vec<u32>> = encodings
            .iter()
            .map(|e| e.get_attention_mask().to_vec())
            .collect();
        let mut out = self.pooled(&ids, &mask)?;
        for row in &mut out {
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            row.iter_mut().for_each(|x| *x /= norm);
        }
        Ok(out)
    }

    /// Mean-pooled last hidden states (not normalised) of sequences of token ids of equal length,
    /// `mask` 1 for real tokens and 0 for padding. Distillation feeds `[CLS] token [SEP]` here.
    pub fn pooled(&self, ids: &[Vec<u32>], mask: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let n = ids.len();
        let len = ids.first().map_or(0, Vec::len);
        let flat_ids: Vec<u32> = ids.iter().flatten().copied().collect();
        let flat_mask: Vec<u32> = mask.iter().flatten().copied().collect();
        let input = Tensor::from_vec(flat_ids, (n, len), &self.device).map_err(model_error)?;
        let mask = Tensor::from_vec(flat_mask, (n, len), &self.device).map_err(model_error)?;
        let types = input.zeros_like().map_err(model_error)?;
        let hidden = self
            .model
            .forward(&input, &types, Some(&mask))
            .map_err(model_error)?;
        let mask = mask
            .to_dtype(DType::F32)
            .map_err(model_error)?
            .unsqueeze(2)
            .map_err(model_error)?;
        let summed = hidden
            .broadcast_mul(&mask)
            .and_then(|h| h.sum(1))
            .map_err(model_error)?;
        let counts = mask.sum(1).map_err(model_error)?;
        let mean = summed.broadcast_div(&counts).map_err(model_error)?;
        mean.to_vec2::<f32>().map_err(model_error)
    }
}
