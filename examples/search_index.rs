//! Builds the search index for a folder of Markdown pages, the way the site generator will once
//! the search module is wired into it. Used by `bench/search.sh` on the shared 10,000-page corpus.
//!
//!     cargo run --release --example search_index -- CONTENT_DIR OUT_DIR
//!
//! Reads every `*.md` under CONTENT_DIR (YAML front matter: `title`, `date`, `tags`; body
//! Markdown reduced to plain text with pulldown-cmark), builds the bundle and writes it to
//! OUT_DIR. Prints the time to load the pages and, separately, to build the index (the part the
//! generator pays: it already holds the pages in memory).

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
    let [content, out] = &args[..] else {
        bail!("usage: search_index CONTENT_DIR OUT_DIR");
    };
    let started = Instant::now();
    let paths: Vec<PathBuf> = WalkDir::new(content)
        .sort_by_file_name()
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    let docs = paths
        .par_iter()
        .map(|p| load(Path::new(content), p))
        .collect::<Result<Vec<_>>>()?;
    let loaded = started.elapsed();

    let indexing = Instant::now();
    let bundle = build_index(&docs)?;
    let indexed = indexing.elapsed();
    bundle.write_into(Path::new(out))?;
    eprintln!(
        "search index: {} pages loaded in {:.2} s; indexed in {:.2} s: {} terms, {} chunks, {} files, {} bytes; written to {} ({:.2} s total)",
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
