//! The search index as one of the site generator's outputs: every published page, every beat of
//! the analysis taxonomy and every AI record of the analysis window (the build's joined records,
//! see [`crate::site::records`]) becomes a [`SearchDoc`] from what the loaded site already holds (rendered
//! plain text, front matter, data files, joined records), without re-reading any file.

use std::collections::BTreeMap;

use crate::model::analysis::TaxonomyFile;
use crate::model::Source;
use crate::site::content::Document;
use crate::site::records::JoinedRecord;
use crate::site::render::{fingerprint, Job, Output};
use crate::site::slug::permalink;
use crate::site::{beats, data, Problem, Site};
use crate::text::{shorten, slugify};

use super::{build_labelled_index, DocKind, Labels, SearchDoc, BUNDLE_DIR, KIND_FILTER};

/// The filter key of a record's platform.
const PLATFORM_FILTER: &str = "platform";

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
    let taxonomy = data::taxonomy(&site.data);
    if let Some(taxonomy) = &taxonomy {
        docs.extend(beat_docs(taxonomy, &site.base_url));
    }
    docs.extend(site.records.iter().filter_map(record_doc));
    let labels = labels(site, taxonomy.as_ref());
    let bundle = build_labelled_index(&docs, &labels)
        .map_err(|e| Problem::new("site.toml", None, e.to_string()))?;
    Ok(bundle
        .files
        .into_iter()
        .map(|file| Output::Bytes {
            path: format!("{BUNDLE_DIR}/{}", file.path),
            bytes: file.bytes,
        })
        .collect())
}

/// The names readers see for filter values: the kinds, the platforms, the taxonomy terms of
/// the content (by slug) and the beats and categories of the analysis taxonomy (which win).
fn labels(site: &Site, taxonomy: Option<&TaxonomyFile>) -> Labels {
    let mut labels = Labels::new();
    let kinds = [
        DocKind::Story,
        DocKind::Beat,
        DocKind::Page,
        DocKind::Record,
    ];
    labels.insert(
        KIND_FILTER.to_string(),
        kinds
            .map(|k| (k.as_str().to_string(), k.label().to_string()))
            .into(),
    );
    labels.insert(
        PLATFORM_FILTER.to_string(),
        Source::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), s.display_name().to_string()))
            .collect(),
    );
    for taxonomy in &site.content.taxonomies {
        let names = labels.entry(taxonomy.name.clone()).or_default();
        for term in &taxonomy.terms {
            names.insert(term.slug.clone(), term.name.clone());
        }
    }
    if let Some(taxonomy) = taxonomy {
        let beats = taxonomy
            .beats
            .iter()
            .map(|b| ("beats", b.slug.as_str(), &b.name));
        let categories = taxonomy
            .categories
            .iter()
            .map(|c| ("categories", c.slug.as_str(), &c.name));
        for (key, slug, name) in beats.chain(categories) {
            let names = labels.entry(key.to_string()).or_default();
            names.insert(slugify(slug), name.clone());
        }
    }
    labels
}

/// A page's search document: its taxonomies (beats, categories, …) become filters, by the
/// terms' slugs (so "Technical" and "technical" are one value), and the first folder of its
/// path names its kind (`stories/…` is a story, `beats/…` a beat, `records/…` a record,
/// anything else a page).
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
        filters: doc
            .meta
            .taxonomies
            .iter()
            .map(|(key, terms)| (key.clone(), terms.iter().map(|t| slugify(t)).collect()))
            .collect(),
    }
}

/// Characters of a record's text used as its title when it has none (posts on Bluesky,
/// Mastodon…).
const UNTITLED_CHARS: usize = 90;

/// One document per beat of `taxonomy.json`, linking to the beat's page.
pub fn beat_docs(taxonomy: &TaxonomyFile, base_url: &str) -> Vec<SearchDoc> {
    taxonomy
        .beats
        .iter()
        .map(|beat| {
            let slug = beat.slug.as_str();
            let path = format!("/{}/{}/", slugify(beats::BEATS_TAXONOMY), slugify(slug));
            let filters = BTreeMap::from([
                ("beats".to_string(), vec![slugify(slug)]),
                ("categories".to_string(), vec![slugify(&beat.category)]),
            ]);
            SearchDoc {
                url: permalink(base_url, &path),
                title: beat.name.clone(),
                text: beat.description.clone(),
                date: None,
                kind: DocKind::Beat,
                filters,
            }
        })
        .collect()
}

/// A record's document, linking to the record at its source, with its full text. Records
/// without an `http(s)` link (the loader blanks any other) are left out: a result must lead
/// somewhere.
pub fn record_doc(record: &JoinedRecord) -> Option<SearchDoc> {
    if record.url.is_empty() {
        return None;
    }
    let title = match record.title.trim() {
        "" => shorten(&record.text, UNTITLED_CHARS),
        _ => record.title.clone(),
    };
    let mut filters = BTreeMap::from([(
        PLATFORM_FILTER.to_string(),
        vec![record.source.as_str().to_string()],
    )]);
    if let Some(beat) = record.beat.as_ref().filter(|b| !b.is_empty()) {
        filters.insert("beats".to_string(), vec![slugify(beat)]);
    }
    Some(SearchDoc {
        url: record.url.clone(),
        title,
        text: record.text.clone(),
        date: Some(record.created_at.date_naive()),
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
        let taxonomy: TaxonomyFile = serde_json::from_value(
            json!({"categories": [], "beats": [{"slug": "chips", "name": "Chips and compute",
            "category": "industry", "description": "GPUs, fabs and export rules."}]}),
        )
        .unwrap();
        let docs = beat_docs(&taxonomy, "https://z.example/");
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].url, "https://z.example/beats/chips/");
        assert_eq!(
            (docs[0].title.as_str(), docs[0].kind),
            ("Chips and compute", DocKind::Beat)
        );
        assert_eq!(docs[0].filters["categories"], ["industry"]);
    }

    fn record(id: &str, url: &str, title: &str, text: &str) -> JoinedRecord {
        JoinedRecord {
            id: id.parse().unwrap(),
            source: id.split(':').next().unwrap().parse().unwrap(),
            kind: crate::model::Kind::Post,
            url: url.to_string(),
            title: title.to_string(),
            text: text.to_string(),
            author: None,
            community: None,
            created_at: "2025-03-01T10:00:00Z".parse().unwrap(),
            language: None,
            engagement: Default::default(),
            beat: Some("chips".to_string()),
            beat_name: None,
            beats: Vec::new(),
            sentiment: 0.0,
            sentiment_label: String::new(),
            duplicate_of: None,
        }
    }

    #[test]
    fn records_are_indexed_with_platform_and_beat() {
        let post = record(
            "bluesky:1",
            "https://bsky.app/x",
            "",
            "A post about <script>alert(1)</script> GPUs",
        );
        let doc = record_doc(&post).unwrap();
        assert_eq!(doc.title, "A post about <script>alert(1)</script> GPUs");
        assert_eq!(doc.url, "https://bsky.app/x");
        assert_eq!(doc.filters["platform"], ["bluesky"]);
        assert_eq!(doc.filters["beats"], ["chips"]);
        assert_eq!(
            doc.date.map(|d| d.to_string()).as_deref(),
            Some("2025-03-01")
        );
        assert_eq!(doc.kind, DocKind::Record);
    }

    #[test]
    fn records_without_a_web_link_are_left_out() {
        // The loader blanks non-http(s) links, so an empty URL is a hostile or missing one.
        assert!(record_doc(&record("reddit:2", "", "t", "x")).is_none());
    }
}
