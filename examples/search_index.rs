//! Builds the search index for a folder of Markdown pages, the way the site generator will once
//! the search module is wired into it. Used by `bench/search.sh` on the shared 10,000-page corpus.
//!
//!     cargo run --release --example search_index -- CONTENT_DIR OUT_DIR
//!     cargo run --release --example search_index -- --records N OUT_DIR
//!
//! Reads every `*.md` under CONTENT_DIR (YAML front matter: `title`, `date`, `tags`; body
//! Markdown reduced to plain text with pulldown-cmark), builds the bundle and writes it to
//! OUT_DIR. Prints the time to load the pages and, separately, to build the index (the part the
//! generator pays: it already holds the pages in memory).
//!
//! `--records N` instead indexes N records made from the real Hacker News and Reddit titles in
//! `../shared/data/raw` (cycled, each with its own id word, date, platform and beat), to check
//! that per-query downloads stay flat at a million records.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, NaiveDate};
use pulldown_cmark::{Event, Parser, TagEnd};
use rayon::prelude::*;
use serde::Deserialize;
use walkdir::WalkDir;
use zeitgeist::site::search::{build_index, DocKind, SearchDoc};

#[derive(Deserialize)]
struct FrontMatter {
    title: String,
    date: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let started = Instant::now();
    let (docs, out) = match &args[..] {
        [flag, n, out] if flag == "--records" => (synthetic_records(n.parse()?)?, out),
        [content, out] => (markdown_pages(Path::new(content))?, out),
        _ => bail!("usage: search_index CONTENT_DIR OUT_DIR | search_index --records N OUT_DIR"),
    };
    let loaded = started.elapsed();

    let indexing = Instant::now();
    let bundle = build_index(&docs)?;
    let indexed = indexing.elapsed();
    bundle.write_into(Path::new(out))?;
    eprintln!(
        "search index: {} documents loaded in {:.2} s; indexed in {:.2} s: {} terms, {} chunks, {} files, {} bytes; written to {} ({:.2} s total)",
        docs.len(),
        loaded.as_secs_f64(),
        indexed.as_secs_f64(),
        bundle.terms,
        bundle.chunks,
        bundle.files.len(),
        bundle.total_bytes(),
        out,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn markdown_pages(content: &Path) -> Result<Vec<SearchDoc>> {
    let paths: Vec<PathBuf> = WalkDir::new(content)
        .sort_by_file_name()
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    paths.par_iter().map(|p| load(content, p)).collect()
}

const RAW: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/raw");
const BEATS: [&str; 8] = [
    "agents",
    "chips",
    "copyright",
    "jobs",
    "models",
    "open-source",
    "policy",
    "safety",
];

fn synthetic_records(n: usize) -> Result<Vec<SearchDoc>> {
    let mut titles = Vec::new();
    for file in [
        "hn-ai-digest/hn_ai_stories.jsonl",
        "reddit-ai-trends/reddit_ai_posts.jsonl",
    ] {
        let path = format!("{RAW}/{file}");
        for line in std::fs::read_to_string(&path)
            .with_context(|| path.clone())?
            .lines()
        {
            let record: serde_json::Value =
                serde_json::from_str(line).with_context(|| path.clone())?;
            titles.push(
                record["title"]
                    .as_str()
                    .with_context(|| format!("{path}: title"))?
                    .to_string(),
            );
        }
    }
    let first = NaiveDate::from_ymd_opt(2023, 1, 1).context("date")?;
    Ok((0..n)
        .into_par_iter()
        .map(|i| {
            let platform = zeitgeist::model::Source::ALL[i % 7].as_str().to_string();
            let beat = BEATS[(i / 7) % BEATS.len()].to_string();
            SearchDoc {
                url: format!("/records/{i}/"),
                title: titles[i % titles.len()].clone(),
                text: format!("{} r{i}", titles[(i * 7 + 3) % titles.len()]),
                date: Some(first + chrono::Days::new((i % 1000) as u64)),
                kind: DocKind::Record,
                filters: BTreeMap::from([
                    ("platform".into(), vec![platform]),
                    ("beat".into(), vec![beat]),
                ]),
            }
        })
        .collect())
}

fn load(root: &Path, path: &Path) -> Result<SearchDoc> {
    let source = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let rest = source
        .strip_prefix("---\n")
        .with_context(|| format!("{}: no front matter", path.display()))?;
    let (yaml, body) = rest
        .split_once("\n---\n")
        .with_context(|| format!("{}: unterminated front matter", path.display()))?;
    let front: FrontMatter =
        serde_yaml::from_str(yaml).with_context(|| format!("{}: front matter", path.display()))?;
    let date = front
        .date
        .as_deref()
        .map(parse_date)
        .transpose()
        .with_context(|| format!("{}: date", path.display()))?;
    let relative = path.strip_prefix(root)?.with_extension("");
    let url = format!(
        "/{}/",
        relative
            .to_string_lossy()
            .trim_end_matches("_index")
            .trim_end_matches('/')
    );
    Ok(SearchDoc {
        url: url.replace("//", "/"),
        title: front.title,
        text: plain_text(body),
        date,
        kind: DocKind::Page,
        filters: BTreeMap::from([("tags".to_string(), front.tags)]),
    })
}

fn parse_date(text: &str) -> Result<NaiveDate> {
    Ok(match DateTime::parse_from_rfc3339(text) {
        Ok(time) => time.date_naive(),
        Err(_) => NaiveDate::parse_from_str(text, "%Y-%m-%d")?,
    })
}

/// The words of a Markdown body without its markup, blocks separated by a space.
fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new(markdown) {
        match event {
            Event::Text(text) | Event::Code(text) => out.push_str(&text),
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => out.push(' '),
            _ => {}
        }
    }
    out
}
