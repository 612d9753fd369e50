//! The search index as one of the site generator's outputs: every published page, every beat of
//! the analysis taxonomy and every record the site loaded for the wire and beat pages becomes a
//! [`SearchDoc`] from what the loaded site already holds (rendered plain text, front matter, data
//! files), without re-reading any file.

use std::collections::BTreeMap;

use chrono::DateTime;
use serde_json::Value;

use crate::site::content::Document;
use crate::site::records::{self, shorten};
use crate::site::render::{fingerprint, Job, Output};
use crate::site::slug::{permalink, slugify};
use crate::site::{beats, Problem, Site};

use super::{build_index, DocKind, SearchDoc, BUNDLE_DIR};

/// One job building the whole bundle under `search/`. Its fingerprint is the content revision,
/// so the index is rebuilt when a published document changed — except under `serve`
/// ([`BuildOptions::search_on_full_render_only`]), where a constant fingerprint keeps a page
/// edit in milliseconds and the index is rebuilt on full renders (start, template, data or
/// config changes) only.
///
/// Nothing is indexed when `[search] enabled = false`.
///
/// [`BuildOptions::search_on_full_render_only`]: crate::site::BuildOptions
pub fn jobs(site: &Site) -> Vec<Job> {
    if !site.config.search.enabled {
        return Vec::new();
    }
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
    let mut docs: Vec<SearchDoc> = site.content.pages.iter().map(|d| page_doc(d)).collect();
    if let Some(taxonomy) = site.data.get("analysis/taxonomy.json") {
        docs.extend(beat_docs(taxonomy, &site.base_url));
    }
    if let Some(recent) = site.data.get(records::DATA_KEY) {
        docs.extend(record_docs(recent));
    }
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

/// Characters of a record's text used as its title when it has none (posts on Bluesky,
/// Mastodon…).
const UNTITLED_CHARS: usize = 90;

/// One document per beat of `taxonomy.json` (`{beats: [{slug, name, category, description}]}`),
/// linking to the beat's page.
pub fn beat_docs(taxonomy: &Value, base_url: &str) -> Vec<SearchDoc> {
    let Some(list) = taxonomy["beats"].as_array() else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|beat| {
            let slug = beat["slug"].as_str()?;
            let path = format!("/{}/{}/", slugify(beats::BEATS_TAXONOMY), slugify(slug));
            let mut filters = BTreeMap::from([("beats".to_string(), vec![slug.to_string()])]);
            if let Some(category) = beat["category"].as_str() {
                filters.insert("categories".to_string(), vec![category.to_string()]);
            }
            Some(SearchDoc {
                url: permalink(base_url, &path),
                title: beat["name"].as_str().unwrap_or(slug).to_string(),
                text: beat["description"].as_str().unwrap_or_default().to_string(),
                date: None,
                kind: DocKind::Beat,
                filters,
            })
        })
        .collect()
}

/// One document per record the site loaded (`{"items": [Item], "by_beat": {slug: [Item]}}`,
/// see [`records`]), once each, linking to the record at its source. Records without an
/// `http(s)` link (the loader blanks any other) are left out: a result must lead somewhere.
pub fn record_docs(recent: &Value) -> Vec<SearchDoc> {
    let by_beat = recent["by_beat"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values());
    let items = std::iter::once(&recent["items"]).chain(by_beat);
    let mut unique: BTreeMap<&str, &Value> = BTreeMap::new();
    for item in items.filter_map(Value::as_array).flatten() {
        if let Some(id) = item["id"].as_str() {
            unique.entry(id).or_insert(item);
        }
    }
    unique.into_values().filter_map(record_doc).collect()
}

fn record_doc(item: &Value) -> Option<SearchDoc> {
    let url = item["url"].as_str().filter(|u| !u.is_empty())?;
    let text = item["text"].as_str().unwrap_or_default();
    let title = match item["title"].as_str() {
        Some(title) if !title.trim().is_empty() => title.to_string(),
        _ => shorten(text, UNTITLED_CHARS),
    };
    let mut filters = BTreeMap::new();
    if let Some(source) = item["source"].as_str() {
        filters.insert("platform".to_string(), vec![source.to_string()]);
    }
    if let Some(beat) = item["beat"].as_str().filter(|b| !b.is_empty()) {
        filters.insert("beats".to_string(), vec![beat.to_string()]);
    }
    let date = item["created_at"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.date_naive());
    Some(SearchDoc {
        url: url.to_string(),
        title,
        text: text.to_string(),
        date,
        kind: DocKind::Record,
        filters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn beats_link_to_their_pages_with_filters() {
        let taxonomy = json!({"beats": [{"slug": "chips", "name": "Chips and compute",
            "category": "industry", "description": "GPUs, fabs and export rules."}]});
        let docs = beat_docs(&taxonomy, "https://z.example/");
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].url, "https://z.example/beats/chips/");
        assert_eq!(
            (docs[0].title.as_str(), docs[0].kind),
            ("Chips and compute", DocKind::Beat)
        );
        assert_eq!(docs[0].filters["categories"], ["industry"]);
    }

    #[test]
    fn records_are_indexed_once_with_platform_and_beat() {
        let a = json!({"id": "bluesky:1", "source": "bluesky", "url": "https://bsky.app/x",
            "title": "", "text": "A post about <script>alert(1)</script> GPUs", "beat": "chips",
            "created_at": "2025-03-01T10:00:00Z"});
        let hostile =
            json!({"id": "reddit:2", "source": "reddit", "url": "", "title": "t", "text": "x"});
        let recent = json!({"items": [a.clone(), hostile], "by_beat": {"chips": [a]}});
        let docs = record_docs(&recent);
        assert_eq!(docs.len(), 1, "one copy, and no record without a safe link");
        let doc = &docs[0];
        assert_eq!(doc.title, "A post about <script>alert(1)</script> GPUs");
        assert_eq!(doc.filters["platform"], ["bluesky"]);
        assert_eq!(doc.filters["beats"], ["chips"]);
        assert_eq!(
            doc.date.map(|d| d.to_string()).as_deref(),
            Some("2025-03-01")
        );
        assert_eq!(doc.kind, DocKind::Record);
    }
}
