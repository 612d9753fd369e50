//! Pages for beats no story is filed under yet. A beat with stories gets its page from the
//! `beats` taxonomy (`taxonomy_term.html`); every other beat listed in
//! `data/analysis/taxonomy.json` gets one here, at the same place (`/beats/<slug>/`), rendered
//! with `beat.html`. Both templates receive `beat_slug`, so one partial draws either page from
//! the analysis data.

use serde_json::Value;

use crate::site::data;
use crate::site::render::{fingerprint, Job, Output};
use crate::site::slug::index_file;
use crate::site::{Problem, Site};
use crate::text::slugify;

/// The taxonomy whose terms are beats.
pub const BEATS_TAXONOMY: &str = "beats";
/// The template of a beat without stories.
pub const TEMPLATE: &str = "beat.html";

/// The slugs of the analysis taxonomy's beats that have no taxonomy term page (no story).
pub fn storyless(site: &Site) -> Vec<String> {
    let Some(taxonomy) = data::taxonomy(&site.data) else {
        return Vec::new();
    };
    let with_stories: Vec<&str> = site
        .content
        .taxonomies
        .iter()
        .filter(|t| t.name == BEATS_TAXONOMY)
        .flat_map(|t| t.terms.iter().map(|term| term.slug.as_str()))
        .collect();
    taxonomy
        .beats
        .iter()
        .map(|beat| beat.slug.as_str())
        .filter(|slug| !with_stories.contains(&slugify(slug).as_str()))
        .map(str::to_string)
        .collect()
}

/// The URL path of a storyless beat's page.
pub fn page_path(slug: &str) -> String {
    format!("/{}/{}/", slugify(BEATS_TAXONOMY), slugify(slug))
}

/// One job per beat of the analysis taxonomy that has no taxonomy term page.
pub fn jobs(site: &Site) -> Vec<Job> {
    storyless(site)
        .into_iter()
        .map(|slug| {
            // Data and template edits clear the whole render cache, so the slug is the only
            // input that can change under a kept job.
            let key = fingerprint(("beat", &slug));
            Job::new(key, key, move |site| render(site, &slug))
        })
        .collect()
}

fn render(site: &Site, slug: &str) -> Result<Vec<Output>, Problem> {
    let path = page_path(slug);
    let mut context = crate::site::render::context(site, &path);
    context.insert("beat_slug", &Value::String(slug.to_string()));
    let html = crate::site::render::render_builtin(site, TEMPLATE, &context, &path)?;
    Ok(vec![Output::Bytes {
        path: index_file(&path, "index.html"),
        bytes: html.into_bytes(),
    }])
}
