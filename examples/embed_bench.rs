//! Speed and quality of the embeddings (`bench/EMBED.md` holds the figures):
//!
//!     cargo run --release --example embed_bench [-- --minilm N]
//!
//! On the bundled corpus (`data/snapshots`, ~23,800 real records, title + text):
//! 1. tokenisation: the `tokenizers` crate (MiniLM's tokenizer.json, no padding, truncation or
//!    special tokens) against our WordPiece ([`zeitgeist::analyze::embed::wordpiece`]), texts/s
//!    on one thread, and whether both give the same ids for every record;
//! 2. the static model: texts/s with 1 and 2 threads, over 1,000,000 texts (the corpus cycled);
//! 3. with the MiniLM cache (`zeitgeist model fetch`): MiniLM's texts/s, and how close the static
//!    model comes to it: Spearman and Pearson correlation of the cosines of random record pairs
//!    (N records, default 2,000), and leave-one-out nearest-neighbour beat agreement on the
//!    labelled `tests/data/devset.jsonl` + `holdout.jsonl`.
//!
//! No assertions: it prints figures.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use rayon::prelude::*;
use zeitgeist::analyze::embed::cache::{self, MiniLmFiles};
use zeitgeist::analyze::embed::minilm::MiniLm;
use zeitgeist::analyze::embed::{cosine, StaticModel, MAX_TOKENS};
use zeitgeist::analyze::eval::read_labelled;
use zeitgeist::store::{Store, TimeWindow};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let minilm_records: usize = args
        .iter()
        .position(|a| a == "--minilm")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(2000);
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let quality_only = args.iter().any(|a| a == "--quality-only");
    let dense_cache = flag("--dense-cache").map(std::path::PathBuf::from);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let records = Store::open(root.join("data")).read_window(&TimeWindow::all())?;
    let texts: Vec<String> = records.iter().map(|r| r.full_text()).collect();
    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
    println!(
        "corpus: {} records, {:.0} characters each on average",
        texts.len(),
        chars as f64 / texts.len() as f64
    );

    let started = Instant::now();
    let model = match flag("--model") {
        Some(path) => StaticModel::load(
            Path::new(&path),
            &root.join("data/embeddings/tokenizer.json"),
            None,
        )?,
        None => StaticModel::load_bundled(root)?,
    };
    println!(
        "static model: {} dims, loaded and checked in {:.0} ms",
        model.dim(),
        started.elapsed().as_secs_f64() * 1e3
    );

    if !quality_only {
        speed(root, &texts, &model)?;
    }
    quality(root, &texts, &model, minilm_records, dense_cache.as_deref())
}

fn speed(root: &Path, texts: &[String], model: &StaticModel) -> Result<()> {
    // 1. Tokenisers, one thread.
    let hf = tokenizers::Tokenizer::from_file(root.join("data/embeddings/tokenizer.json"))
        .map_err(anyhow::Error::msg)?;
    let mut hf = hf;
    hf.with_truncation(None).map_err(anyhow::Error::msg)?;
    hf.with_padding(None);
    let started = Instant::now();
    let hf_ids: Vec<Vec<u32>> = texts
        .iter()
        .map(|t| {
            hf.encode_fast(t.as_str(), false)
                .map(|e| e.get_ids().to_vec())
        })
        .collect::<Result<_, _>>()
        .map_err(anyhow::Error::msg)?;
    let hf_rate = texts.len() as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let ours: Vec<Vec<u32>> = texts
        .iter()
        .map(|t| model.tokenizer().encode(t, usize::MAX))
        .collect();
    let our_rate = texts.len() as f64 / started.elapsed().as_secs_f64();
    let same = hf_ids.iter().zip(&ours).filter(|(a, b)| a == b).count();
    let tokens: usize = ours.iter().map(Vec::len).sum();
    println!("tokenise, 1 thread: tokenizers crate (encode_fast) {hf_rate:.0} texts/s, ours {our_rate:.0} texts/s ({:.1}x); same ids for {same}/{} records; {:.1} tokens/text", our_rate / hf_rate, texts.len(), tokens as f64 / texts.len() as f64);
    let longer = ours.iter().filter(|ids| ids.len() > MAX_TOKENS).count();
    println!("  records with more than {MAX_TOKENS} tokens (truncated): {longer}");

    // 2. Static model, 1M texts, 10,000 at a time into one reused buffer (1M vectors at once
    // would be 1 GB of f32, and page faults would dominate).
    let million: Vec<&str> = texts
        .iter()
        .map(String::as_str)
        .cycle()
        .take(1_000_000)
        .collect();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()?;
        let mut out = vec![0f32; 10_000 * model.dim()];
        let started = Instant::now();
        let mut check = 0f32;
        for chunk in million.chunks(10_000) {
            pool.install(|| model.embed_batch_into(chunk, &mut out[..chunk.len() * model.dim()]));
            check += out[0];
        }
        let secs = started.elapsed().as_secs_f64();
        println!("static embed, {threads} thread(s): {} texts in {secs:.2} s = {:.0} texts/s (checksum {check:.3})", million.len(), million.len() as f64 / secs);
    }
    Ok(())
}

/// MiniLM's vectors of `texts`, from `cache` when it holds them (the bench is rerun while
/// tuning the static model; MiniLM is the slow part).
fn dense(
    minilm: &mut Option<MiniLm>,
    texts: &[&str],
    cache: Option<&Path>,
    name: &str,
) -> Result<(Vec<Vec<f32>>, f64)> {
    let file = cache.map(|dir| dir.join(format!("{name}-{}.f32", texts.len())));
    if let Some(bytes) = file.as_ref().and_then(|f| std::fs::read(f).ok()) {
        let values: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        return Ok((values.chunks(384).map(<[f32]>::to_vec).collect(), f64::NAN));
    }
    if minilm.is_none() {
        *minilm = Some(MiniLm::load(&MiniLmFiles::load(&cache::default_dir())?)?);
    }
    let model = minilm.as_ref().unwrap();
    let started = Instant::now();
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(32) {
        out.extend(model.embed(chunk)?);
    }
    let rate = texts.len() as f64 / started.elapsed().as_secs_f64();
    if let Some(file) = file {
        std::fs::create_dir_all(file.parent().unwrap())?;
        std::fs::write(
            &file,
            out.iter()
                .flatten()
                .flat_map(|x| x.to_le_bytes())
                .collect::<Vec<u8>>(),
        )?;
    }
    Ok((out, rate))
}

fn quality(
    root: &Path,
    texts: &[String],
    model: &StaticModel,
    minilm_records: usize,
    cache_dir: Option<&Path>,
) -> Result<()> {
    // 3. MiniLM.
    let dir = cache::default_dir();
    if !MiniLmFiles::present(&dir) && cache_dir.is_none() {
        println!(
            "MiniLM: no cache in {} (run `zeitgeist model fetch`); skipping speed and quality",
            dir.display()
        );
        return Ok(());
    }
    let mut minilm = None;
    let step = (texts.len() / minilm_records.max(1)).max(1);
    let sample: Vec<&str> = texts
        .iter()
        .step_by(step)
        .take(minilm_records)
        .map(String::as_str)
        .collect();
    let (dense_sample, rate) = dense(&mut minilm, &sample, cache_dir, "sample")?;
    let dense_vectors = dense_sample;
    if rate.is_finite() {
        println!(
            "MiniLM embed ({} threads, batches of 32): {} texts, {rate:.1} texts/s",
            rayon::current_num_threads(),
            sample.len()
        );
    }
    let dense = &dense_vectors;
    let light: Vec<Vec<f32>> = sample.iter().map(|t| model.embed(t)).collect();
    // Cosines of pairs (i, j) with a fixed stride pattern: deterministic, spread over the sample.
    let n = sample.len();
    let pairs: Vec<(usize, usize)> = (0..n)
        .flat_map(|i| (1..=10).map(move |k| (i, (i + k * 97 + k * k) % n)))
        .filter(|(i, j)| i != j)
        .collect();
    let a: Vec<f64> = pairs
        .iter()
        .map(|&(i, j)| cosine(&dense[i], &dense[j]) as f64)
        .collect();
    let b: Vec<f64> = pairs
        .iter()
        .map(|&(i, j)| cosine(&light[i], &light[j]) as f64)
        .collect();
    println!(
        "cosines of {} record pairs: Pearson {:.3}, Spearman {:.3} (static vs MiniLM)",
        pairs.len(),
        pearson(&a, &b),
        pearson(&ranks(&a), &ranks(&b))
    );
    // Top-10 neighbour overlap within the sample.
    let overlap = top_k_overlap(dense, &light, 10);
    println!(
        "top-10 neighbours within the {n} records: {:.1}% shared between static and MiniLM",
        overlap * 100.0
    );

    let mut labelled = read_labelled(&root.join("tests/data/devset.jsonl"))?;
    labelled.extend(read_labelled(&root.join("tests/data/holdout.jsonl"))?);
    let with_beat: Vec<_> = labelled
        .iter()
        .filter_map(|l| l.label.beat.clone().map(|b| (l.record.full_text(), b)))
        .collect();
    let beat_texts: Vec<&str> = with_beat.iter().map(|(t, _)| t.as_str()).collect();
    let beats: Vec<&str> = with_beat.iter().map(|(_, b)| b.as_str()).collect();
    let (dense, _) = self::dense(&mut minilm, &beat_texts, cache_dir, "labelled")?;
    let light: Vec<Vec<f32>> = beat_texts.iter().map(|t| model.embed(t)).collect();
    let classes = {
        let mut b = beats.clone();
        b.sort();
        b.dedup();
        b.len()
    };
    println!(
        "nearest-neighbour beat agreement (leave one out, {} labelled records, {classes} beats): MiniLM {:.1}%, static {:.1}%",
        beats.len(),
        nn_agreement(&dense, &beats) * 100.0,
        nn_agreement(&light, &beats) * 100.0
    );
    Ok(())
}

fn nn_agreement(vectors: &[Vec<f32>], labels: &[&str]) -> f64 {
    let hits = (0..vectors.len())
        .into_par_iter()
        .filter(|&i| {
            let best = (0..vectors.len()).filter(|&j| j != i).max_by(|&x, &y| {
                cosine(&vectors[i], &vectors[x]).total_cmp(&cosine(&vectors[i], &vectors[y]))
            });
            best.is_some_and(|j| labels[j] == labels[i])
        })
        .count();
    hits as f64 / vectors.len() as f64
}

fn top_k_overlap(a: &[Vec<f32>], b: &[Vec<f32>], k: usize) -> f64 {
    let top = |v: &[Vec<f32>], i: usize| -> Vec<usize> {
        let mut idx: Vec<usize> = (0..v.len()).filter(|&j| j != i).collect();
        idx.sort_by(|&x, &y| cosine(&v[i], &v[y]).total_cmp(&cosine(&v[i], &v[x])));
        idx.truncate(k);
        idx
    };
    let shared: usize = (0..a.len())
        .into_par_iter()
        .map(|i| {
            let ta = top(a, i);
            top(b, i).iter().filter(|j| ta.contains(j)).count()
        })
        .sum();
    shared as f64 / (a.len() * k) as f64
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

fn ranks(values: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; values.len()];
    for (rank, i) in idx.into_iter().enumerate() {
        out[i] = rank as f64;
    }
    out
}
