//! Taxonomies (`beats`, `categories`, any the config adds) and their terms, gathered from the
//! pages' `taxonomies` front matter. A taxonomy lists its terms at `/<taxonomy>/`, a term its
//! pages at `/<taxonomy>/<term>/` (paginated), with RSS and Atom feeds beside it.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::config::Config;
use crate::site::content::Document;
use crate::site::slug::permalink;
use crate::text::slugify;

/// One taxonomy and its terms, ordered by slug.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    pub name: String,
    pub path: String,
    pub permalink: String,
    pub terms: Vec<Term>,
    /// What templates see as `taxonomy` (with the term list, without pages).
    pub value: Value,
}

/// One term and its pages, newest first.
#[derive(Debug, Clone)]
pub struct Term {
    /// The spelling used by the first page (in newest-first order) that named it.
    pub name: String,
    pub slug: String,
    pub path: String,
    pub permalink: String,
    /// Indices into `Content::pages`, newest first.
    pub pages: Vec<usize>,
    /// What templates see as `term`.
    pub value: Value,
}

/// A term as one document names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermName {
    pub taxonomy: String,
    /// As written in the front matter.
    pub name: String,
    pub slug: String,
}

/// The URL path of a term.
pub fn term_path(taxonomy: &str, name: &str) -> String {
    format!("/{}/{}/", slugify(taxonomy), slugify(name))
}

/// A term as a page lists it: name, slug and permalink.
pub fn term_value(base_url: &str, term: &TermName) -> Value {
    let path = term_path(&term.taxonomy, &term.name);
    json!({"name": term.name, "slug": term.slug, "permalink": permalink(base_url, &path)})
}

/// Groups pages by term for every configured taxonomy (empty ones included, so their list page
/// exists). `newest_first` orders the pages of each term.
pub fn collect(
    config: &Config,
    base_url: &str,
    pages: &[Arc<Document>],
    newest_first: &[usize],
) -> Vec<Taxonomy> {
    // One pass over the pages for all taxonomies: this runs after every edit under `serve`.
    let mut grouped: Vec<BTreeMap<&str, Term>> = vec![BTreeMap::new(); config.taxonomies.len()];
    for &index in newest_first {
        for named in &pages[index].terms {
            let Some(taxonomy) = config.taxonomies.iter().position(|t| *t == named.taxonomy) else {
                continue;
            };
            let term = grouped[taxonomy].entry(&named.slug).or_insert_with(|| {
                let path = term_path(&named.taxonomy, &named.name);
                Term {
                    name: named.name.clone(),
                    permalink: permalink(base_url, &path),
                    slug: named.slug.clone(),
                    path,
                    pages: Vec::new(),
                    value: Value::Null,
                }
            });
            if term.pages.last() != Some(&index) {
                term.pages.push(index);
            }
        }
    }
    config
        .taxonomies
        .iter()
        .zip(grouped)
        .map(|(name, terms)| {
            let mut terms: Vec<Term> = terms.into_values().collect();
            for term in &mut terms {
                term.value = json!({
                    "name": term.name, "slug": term.slug, "path": term.path,
                    "permalink": term.permalink, "page_count": term.pages.len(),
                });
            }
            let path = format!("/{}/", slugify(name));
            let value = json!({
                "name": name,
                "path": path,
                "permalink": permalink(base_url, &path),
                "terms": terms.iter().map(|t| &t.value).collect::<Vec<_>>(),
            });
            Taxonomy {
                name: name.clone(),
                permalink: permalink(base_url, &path),
                path,
                terms,
                value,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::content::parse_text;
    use std::path::{Path, PathBuf};

    #[test]
    fn groups_pages_by_term_slug() {
        let config = Config::parse(
            Path::new("site.toml"),
            "title = \"Z\"\nbase_url = \"https://x.org/\"\n",
        )
        .unwrap();
        let page = |rel: &str, beats: &str| {
            let text = format!("---\ntitle: {rel}\ntaxonomies:\n  beats: [{beats}]\n---\n");
            Arc::new(
                parse_text(
                    &config,
                    "https://x.org/",
                    PathBuf::from(rel),
                    rel.into(),
                    &text,
                )
                .unwrap(),
            )
        };
        let pages = vec![page("a.md", "Chips, Policy"), page("b.md", "chips")];
        let taxonomies = collect(&config, "https://x.org/", &pages, &[1, 0]);
        let beats = &taxonomies[0];
        assert_eq!(beats.name, "beats");
        let slugs: Vec<&str> = beats.terms.iter().map(|t| t.slug.as_str()).collect();
        assert_eq!(slugs, vec!["chips", "policy"]);
        assert_eq!(beats.terms[0].pages, vec![1, 0]);
        assert_eq!(beats.terms[0].name, "chips");
        assert_eq!(beats.terms[0].permalink, "https://x.org/beats/chips/");
        assert!(taxonomies[1].terms.is_empty());
    }
}
