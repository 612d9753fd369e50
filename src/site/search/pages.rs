//! The search index as one of the site generator's outputs: every published page becomes a
//! [`SearchDoc`] from what the loaded site already holds (rendered plain text, front matter),
//! without re-reading any file.

use crate::site::content::Document;
use crate::site::render::{fingerprint, Job, Output};
use crate::site::{Problem, Site};

use super::{build_index, DocKind, SearchDoc, BUNDLE_DIR};

/// One job building the whole bundle under `search/`. Its fingerprint is the content revision,
/// so the index is rebuilt when a published document changed — except under `serve`
/// ([`BuildOptions::search_on_full_render_only`]), where a constant fingerprint keeps a page
/// edit in milliseconds and the index is rebuilt on full renders (start, template, data or
/// config changes) only.
///
/// [`BuildOptions::search_on_full_render_only`]: crate::site::BuildOptions
pub fn jobs(site: &Site) -> Vec<Job> {
    let revision = match site.options.search_on_full_render_only {
        true => 0,
        false => site.content.revision,
    };
    vec![Job::new(
        "search".to_string(),
        fingerprint(revision),
        render,
    )]
}

fn render(site: &Site) -> Result<Vec<Output>, Problem> {
    let docs: Vec<SearchDoc> = site.content.pages.iter().map(|d| page_doc(d)).collect();
    let bundle = build_index(&docs).map_err(|e| Problem::new("site.toml", None, e.to_string()))?;
    Ok(bundle
        .files
        .into_iter()
        .map(|file| Output::Bytes {
            path: format!("{BUNDLE_DIR}/{}", file.path),
            bytes: file.bytes,
        })
        .collect())
}

/// A page's search document: its taxonomies (beats, categories, …) become filters, and the
/// first folder of its path names its kind (`stories/…` is a story, `beats/…` a beat,
/// `records/…` a record, anything else a page).
pub fn page_doc(doc: &Document) -> SearchDoc {
    let kind = match doc.rel.split('/').next() {
        Some("stories") => DocKind::Story,
        Some("beats") => DocKind::Beat,
        Some("records") => DocKind::Record,
        _ => DocKind::Page,
    };
    SearchDoc {
        url: doc.permalink.clone(),
        title: doc.meta.title.clone(),
        text: doc.body.text.clone(),
        date: doc.meta.date.map(|d| d.date_naive()),
        kind,
        filters: doc.meta.taxonomies.clone(),
    }
}
