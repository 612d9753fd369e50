//! How long the store's near-duplicate check takes, and what it links, on real corpora.
//! Used for `bench/DEDUP.md`.
//!
//!     cargo run --release --example dedup_bench -- SOURCE FILE [SOURCE FILE …]
//!
//! Each FILE is read with `zeitgeist import`'s corpus reader (`store::import::read_lines`),
//! sanitized as the store does, and admitted, file after file, into one in-memory
//! [`DedupIndex`] — the work `Store::commit` does before it writes. Prints, per file, the
//! records admitted, the near duplicates linked, the records that had a word set at all, and the
//! time to admit them (reading and parsing not included).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use zeitgeist::model::{Kind, Source};
use zeitgeist::store::dedup::{word_set, DedupIndex};
use zeitgeist::store::import::{read_lines, ImportFormat};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || !args.len().is_multiple_of(2) {
        bail!("usage: dedup_bench SOURCE FILE [SOURCE FILE …]");
    }
    let mut index = DedupIndex::default();
    for pair in args.chunks(2) {
        let source: Source = pair[0].parse()?;
        let path = PathBuf::from(&pair[1]);
        let parsed = read_lines(&path, source, ImportFormat::Corpus)
            .with_context(|| format!("reading {}", path.display()))?;
        let mut records = parsed.records;
        records.iter_mut().for_each(|r| r.sanitize());
        let comments = records.iter().filter(|r| r.kind == Kind::Comment).count();
        let compared = records.iter().filter(|r| word_set(r).is_some()).count();
        let started = Instant::now();
        let admitted = index.admit(records);
        let elapsed = started.elapsed();
        let linked = admitted
            .fresh
            .iter()
            .filter(|r| r.near_duplicate_of.is_some())
            .count();
        println!(
            "{}: {} records ({comments} comments), {compared} with a word set, {linked} linked, {} duplicate ids; admitted in {:.2?} ({:.1} µs a record); index holds {}",
            path.display(),
            admitted.fresh.len() + admitted.duplicates,
            admitted.duplicates,
            elapsed,
            elapsed.as_secs_f64() * 1e6 / (admitted.fresh.len() + admitted.duplicates).max(1) as f64,
            index.len()
        );
    }
    Ok(())
}
