//! Content files: parsing one file into a [`Document`] (done once per file, in parallel) and
//! assembling the documents into sections and taxonomies (cheap, redone after every edit).

use std::cmp::{Ordering, Reverse};
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde_json::{json, Value};
use walkdir::WalkDir;

use crate::config::{Config, Paths};
use crate::site::frontmatter::{self, FrontMatter, SortBy};
use crate::site::markdown::{self, Rendered};
use crate::site::render::fingerprint;
use crate::site::slug::{content_path, permalink, slugify};
use crate::site::taxonomy::{self, Taxonomy, TermName};
use crate::site::{display_path, read_text, slash_path, BuildOptions, Problem};

/// The name that makes a folder a section.
pub const SECTION_FILE: &str = "_index.md";

/// One parsed content file, page or section, with its JSON form for templates.
#[derive(Debug)]
pub struct Document {
    /// Path shown in messages, e.g. `content/posts/a.md`.
    pub file: PathBuf,
    /// Path under `content/` with `/` separators: the key for `get_page`/`get_section`.
    pub rel: String,
    pub is_section: bool,
    pub meta: FrontMatter,
    /// File line of the `template` key, for "missing template" errors.
    pub template_line: usize,
    /// URL path, e.g. `/posts/a/`.
    pub path: String,
    pub permalink: String,
    pub body: Rendered,
    /// Every taxonomy term the document names, slugs computed once.
    pub terms: Vec<TermName>,
    /// Changes whenever the file's bytes change; feeds render fingerprints.
    pub revision: u64,
    /// What templates see as `page` (with `content`).
    pub value: Value,
    /// The same without `content`, for listings and feeds.
    pub summary: Value,
}

impl Document {
    /// The date listings sort and feeds stamp by: `updated` falls back to `date`.
    pub fn last_modified(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.meta.updated.or(self.meta.date)
    }
}

/// Reads and parses one content file.
pub fn parse_file(
    paths: &Paths,
    config: &Config,
    base_url: &str,
    file: &Path,
) -> Result<Document, Problem> {
    let shown = display_path(&paths.root, file);
    let text = read_text(file, &shown)?;
    let rel = slash_path(&paths.content(), file);
    parse_text(config, base_url, shown, rel, &text)
}

/// Parses a content file's text; `shown` and `rel` name it.
pub fn parse_text(
    config: &Config,
    base_url: &str,
    shown: PathBuf,
    rel: String,
    text: &str,
) -> Result<Document, Problem> {
    let at = |line: usize, message: String| Problem::new(&shown, Some(line), message);
    let split = frontmatter::split(text).map_err(|e| at(e.line, e.message))?;
    let meta = frontmatter::parse(split.yaml).map_err(|e| at(e.line, e.message))?;
    let is_section = rel == SECTION_FILE || rel.ends_with(&format!("/{SECTION_FILE}"));
    validate(config, &meta, is_section).map_err(|(key, message)| {
        at(
            frontmatter::key_line(split.yaml, key),
            format!("front matter: `{key}`: {message}"),
        )
    })?;
    let path = content_path(&rel, meta.slug.as_deref());
    let body = markdown::render(split.body, split.body_line, base_url);
    let mut hasher = DefaultHasher::new();
    (&rel, text).hash(&mut hasher);
    let terms = meta
        .taxonomies
        .iter()
        .flat_map(|(taxonomy, names)| {
            names.iter().map(|name| TermName {
                taxonomy: taxonomy.clone(),
                name: name.clone(),
                slug: slugify(name),
            })
        })
        .collect();
    let mut document = Document {
        terms,
        template_line: frontmatter::key_line(split.yaml, "template"),
        permalink: permalink(base_url, &path),
        file: shown,
        rel,
        is_section,
        meta,
        path,
        body,
        revision: hasher.finish(),
        value: Value::Null,
        summary: Value::Null,
    };
    document.summary = summary_value(&document, base_url);
    document.value = full_value(&document);
    Ok(document)
}

/// Checks what serde cannot: taxonomy names, section-only keys, non-empty slugs and terms.
fn validate(
    config: &Config,
    meta: &FrontMatter,
    is_section: bool,
) -> Result<(), (&'static str, String)> {
    for (name, terms) in &meta.taxonomies {
        if !config.taxonomies.contains(name) {
            return Err((
                "taxonomies",
                format!(
                    "unknown taxonomy `{name}` (site.toml lists: {})",
                    config.taxonomies.join(", ")
                ),
            ));
        }
        if let Some(bad) = terms.iter().find(|t| slugify(t).is_empty()) {
            return Err((
                "taxonomies",
                format!("term `{bad}` of `{name}` has no letters or digits"),
            ));
        }
    }
    if !is_section && meta.sort_by.is_some() {
        return Err(("sort_by", "only a section (`_index.md`) can set it".into()));
    }
    if !is_section && meta.paginate_by.is_some() {
        return Err((
            "paginate_by",
            "only a section (`_index.md`) can set it".into(),
        ));
    }
    if meta.paginate_by == Some(0) {
        return Err(("paginate_by", "must be at least 1".into()));
    }
    if meta.slug.as_deref().is_some_and(|s| slugify(s).is_empty()) {
        return Err(("slug", "has no letters or digits".into()));
    }
    Ok(())
}

fn summary_value(doc: &Document, base_url: &str) -> Value {
    let meta = &doc.meta;
    let mut terms: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for term in &doc.terms {
        terms
            .entry(&term.taxonomy)
            .or_default()
            .push(taxonomy::term_value(base_url, term));
    }
    json!({
        "title": meta.title,
        "description": meta.description,
        "date": meta.date,
        "updated": meta.updated,
        "draft": meta.draft,
        "slug": meta.slug,
        "weight": meta.weight,
        "path": doc.path,
        "permalink": doc.permalink,
        "relative_path": doc.rel,
        "summary": doc.body.summary,
        "word_count": doc.body.word_count,
        "reading_time": doc.body.reading_time,
        "taxonomies": meta.taxonomies,
        "terms": terms,
        "extra": meta.extra,
    })
}

fn full_value(doc: &Document) -> Value {
    let mut value = doc.summary.clone();
    value["content"] = Value::String(doc.body.html.clone());
    value["heading_ids"] = json!(doc.body.heading_ids);
    value
}

/// The section a site without `content/_index.md` still has at `/`.
fn implicit_root(config: &Config, base_url: &str) -> Document {
    let text = format!(
        "---\ntitle: {}\n---\n",
        serde_json::to_string(&config.title).unwrap_or_default()
    );
    parse_text(
        config,
        base_url,
        PathBuf::from("content").join(SECTION_FILE),
        SECTION_FILE.to_string(),
        &text,
    )
    .expect("a generated front matter with only a quoted title parses")
}

/// Every parsed content file by `rel`, plus files beside them to copy (images, PDFs…).
#[derive(Debug, Default, Clone)]
pub struct Sources {
    pub documents: BTreeMap<String, Arc<Document>>,
    /// Output path (relative) → source file.
    pub assets: BTreeMap<String, PathBuf>,
    /// Files that could not be read or parsed, by the path shown in messages.
    pub problems: BTreeMap<PathBuf, Problem>,
}

impl Sources {
    /// Walks `content/` and parses every Markdown file in parallel.
    pub fn load(paths: &Paths, config: &Config, base_url: &str) -> (Sources, Vec<Problem>) {
        let content_dir = paths.content();
        let mut markdown_files = Vec::new();
        let mut sources = Sources::default();
        let mut problems = Vec::new();
        for entry in WalkDir::new(&content_dir)
            .follow_links(true)
            .sort_by_file_name()
        {
            match entry {
                Ok(entry) if entry.file_type().is_file() => {
                    let path = entry.into_path();
                    if path.extension().is_some_and(|e| e == "md") {
                        markdown_files.push(path);
                    } else {
                        sources.assets.insert(slash_path(&content_dir, &path), path);
                    }
                }
                Ok(_) => {}
                Err(e) if e.path() == Some(content_dir.as_path()) && content_dir_missing(&e) => {}
                Err(e) => {
                    let file = e
                        .path()
                        .map(|p| display_path(&paths.root, p))
                        .unwrap_or_default();
                    problems.push(Problem::new(file, None, format!("cannot read: {e}")));
                }
            }
        }
        let parsed: Vec<_> = markdown_files
            .par_iter()
            .map(|file| parse_file(paths, config, base_url, file))
            .collect();
        for result in parsed {
            match result {
                Ok(doc) => {
                    sources.documents.insert(doc.rel.clone(), Arc::new(doc));
                }
                Err(problem) => problems.push(problem),
            }
        }
        sources.problems = problems
            .iter()
            .map(|p| (p.file.clone(), p.clone()))
            .collect();
        (sources, problems)
    }

    /// The parsed document of a content file, if it parsed.
    pub fn document(&self, paths: &Paths, file: &Path) -> Option<Arc<Document>> {
        self.documents
            .get(&slash_path(&paths.content(), file))
            .cloned()
    }

    /// Re-reads the given files (removed ones are dropped); their problems replace the old
    /// ones in `problems`.
    pub fn refresh(&mut self, paths: &Paths, config: &Config, base_url: &str, files: &[PathBuf]) {
        let content_dir = paths.content();
        for file in files {
            let rel = slash_path(&content_dir, file);
            self.documents.remove(&rel);
            self.assets.remove(&rel);
            self.problems.remove(&display_path(&paths.root, file));
            if !file.is_file() {
                continue;
            }
            if file.extension().is_some_and(|e| e == "md") {
                match parse_file(paths, config, base_url, file) {
                    Ok(doc) => {
                        self.documents.insert(rel, Arc::new(doc));
                    }
                    Err(problem) => {
                        self.problems.insert(problem.file.clone(), problem);
                    }
                }
            } else {
                self.assets.insert(rel, file.clone());
            }
        }
    }
}

fn content_dir_missing(e: &walkdir::Error) -> bool {
    e.io_error()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
}

/// A section: its own document and the documents it lists.
#[derive(Debug, Clone)]
pub struct Section {
    pub doc: Arc<Document>,
    /// Indices into [`Content::pages`], in the section's order.
    pub pages: Vec<usize>,
    /// Indices into [`Content::sections`], by path.
    pub subsections: Vec<usize>,
    pub parent: Option<usize>,
    pub paginate_by: usize,
    /// What templates see as `section` (no page list: listings get a paginator).
    pub value: Value,
}

/// The published documents, grouped.
#[derive(Debug, Default, Clone)]
pub struct Content {
    /// Published pages, ordered by `rel`.
    pub pages: Vec<Arc<Document>>,
    /// The section of each page (index into `sections`).
    pub page_section: Vec<usize>,
    /// Sections ordered by path; the root section (`/`) is first.
    pub sections: Vec<Section>,
    pub taxonomies: Vec<Taxonomy>,
    /// All pages, newest first, for feeds.
    pub newest_first: Vec<usize>,
    pub section_by_rel: HashMap<String, usize>,
    /// Each page's revision, parallel to `pages`: fingerprints read this array rather than
    /// follow a pointer per page.
    pub revisions: Vec<u64>,
    /// Each page's render-job key, parallel to `pages`.
    pub page_keys: Vec<u64>,
    /// Changes whenever any page's path or dates change (what the sitemap lists).
    pub listing_revision: u64,
    /// Changes whenever any published document changes.
    pub revision: u64,
    /// What grouping found wrong (two files for one URL).
    pub problems: Vec<Problem>,
}

impl Content {
    /// Groups parsed documents into sections and taxonomies, leaving out drafts (unless asked)
    /// and pages dated after `as_of`.
    pub fn assemble(
        sources: &Sources,
        config: &Config,
        options: &BuildOptions,
        base_url: &str,
    ) -> (Content, Vec<Problem>) {
        let published = |doc: &&Arc<Document>| {
            (options.drafts || !doc.meta.draft)
                && !matches!((options.as_of, doc.meta.date), (Some(now), Some(date)) if date > now)
        };
        let mut section_docs: Vec<Arc<Document>> = sources
            .documents
            .values()
            .filter(|d| d.is_section)
            .filter(published)
            .cloned()
            .collect();
        if !section_docs.iter().any(|d| d.rel == SECTION_FILE) {
            section_docs.push(Arc::new(implicit_root(config, base_url)));
        }
        section_docs.sort_by(|a, b| a.path.cmp(&b.path));
        let pages: Vec<Arc<Document>> = sources
            .documents
            .values()
            .filter(|d| !d.is_section)
            .filter(published)
            .cloned()
            .collect();
        let (section_docs, pages, problems) = drop_duplicate_paths(section_docs, pages);

        let mut content = Content {
            pages,
            ..Content::default()
        };
        content.section_by_rel = section_docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.rel.clone(), i))
            .collect();
        let section_of_dir: HashMap<&str, usize> = section_docs
            .iter()
            .enumerate()
            .map(|(i, d)| (section_dir(&d.rel), i))
            .collect();
        let nearest = |dir: &str| -> usize {
            let mut dir = dir;
            loop {
                if let Some(&index) = section_of_dir.get(dir) {
                    return index;
                }
                dir = dir.rfind('/').map_or("", |i| &dir[..i]);
            }
        };
        content.page_section = content
            .pages
            .iter()
            .map(|p| nearest(page_dir(&p.rel)))
            .collect();
        let parents: Vec<Option<usize>> = section_docs
            .iter()
            .map(|d| (d.rel != SECTION_FILE).then(|| nearest(parent_dir(section_dir(&d.rel)))))
            .collect();
        content.sections = section_docs
            .into_iter()
            .zip(&parents)
            .map(|(doc, &parent)| Section {
                paginate_by: doc.meta.paginate_by.unwrap_or(config.paginate),
                doc,
                pages: Vec::new(),
                subsections: Vec::new(),
                parent,
                value: Value::Null,
            })
            .collect();
        for (page, &section) in content.page_section.iter().enumerate() {
            content.sections[section].pages.push(page);
        }
        for (index, parent) in parents.iter().enumerate() {
            if let Some(parent) = parent {
                content.sections[*parent].subsections.push(index);
            }
        }
        content.newest_first = newest_first_order(&content.pages);
        content.order_and_describe_sections();
        content.taxonomies =
            taxonomy::collect(config, base_url, &content.pages, &content.newest_first);
        content.revisions = content.pages.iter().map(|p| p.revision).collect();
        content.page_keys = content
            .pages
            .iter()
            .map(|p| fingerprint(("page", &p.rel)))
            .collect();
        let listing: Vec<_> = content
            .pages
            .iter()
            .map(|p| (&p.path, p.last_modified()))
            .collect();
        content.listing_revision = fingerprint(listing);
        content.revision = content.revision_of_all();
        content.problems = problems.clone();
        (content, problems)
    }

    fn revision_of_all(&self) -> u64 {
        let sections: Vec<u64> = self.sections.iter().map(|s| s.doc.revision).collect();
        fingerprint((sections, &self.revisions))
    }

    /// The content after the published page `old` was edited into `new`, when the edit leaves
    /// the grouping as it was (same URL, dates, title, draft state, weight and terms): then the
    /// sections, orders and taxonomies are reused instead of rebuilt, which keeps a one-page
    /// edit under `serve` independent of the site's size. `None` means: assemble again.
    pub fn with_page_replaced(&self, old: &Arc<Document>, new: &Arc<Document>) -> Option<Content> {
        let index = self.page_index(&old.rel)?;
        let same_grouping = Arc::ptr_eq(&self.pages[index], old)
            && !new.is_section
            && old.rel == new.rel
            && old.path == new.path
            && old.meta.date == new.meta.date
            && old.meta.title == new.meta.title
            && old.meta.draft == new.meta.draft
            && old.meta.weight == new.meta.weight
            && old.terms == new.terms;
        if !same_grouping {
            return None;
        }
        let mut content = self.clone();
        content.pages[index] = Arc::clone(new);
        content.revisions[index] = new.revision;
        if old.last_modified() != new.last_modified() {
            content.listing_revision = fingerprint((self.listing_revision, new.revision));
        }
        content.revision = content.revision_of_all();
        Some(content)
    }

    fn order_and_describe_sections(&mut self) {
        for index in 0..self.sections.len() {
            let sort_by = self.sections[index].doc.meta.sort_by.unwrap_or_default();
            let mut pages = std::mem::take(&mut self.sections[index].pages);
            if sort_by == SortBy::Date {
                // The site-wide order, restricted to the section: no second sort.
                let in_section = |p: &usize| self.page_section[*p] == index;
                pages = self
                    .newest_first
                    .iter()
                    .copied()
                    .filter(in_section)
                    .collect();
            } else {
                pages.sort_by(|&a, &b| compare(sort_by, &self.pages[a], &self.pages[b]));
            }
            self.sections[index].pages = pages;
            let section = &self.sections[index];
            let subsections: Vec<Value> = section
                .subsections
                .iter()
                .map(|&s| {
                    let sub = &self.sections[s].doc;
                    json!({"title": sub.meta.title, "description": sub.meta.description, "path": sub.path, "permalink": sub.permalink})
                })
                .collect();
            let mut value = section.doc.value.clone();
            value["page_count"] = json!(section.pages.len());
            value["subsections"] = Value::Array(subsections);
            self.sections[index].value = value;
        }
    }

    /// The page at `rel` (path under `content/`): pages are ordered by `rel`.
    pub fn page_index(&self, rel: &str) -> Option<usize> {
        self.pages
            .binary_search_by(|page| page.rel.as_str().cmp(rel))
            .ok()
    }

    /// Number of taxonomy terms over all taxonomies.
    pub fn term_count(&self) -> usize {
        self.taxonomies.iter().map(|t| t.terms.len()).sum()
    }
}

/// Keeps the first document (sections before pages) for each URL path; later ones are
/// reported and left out.
fn drop_duplicate_paths(
    sections: Vec<Arc<Document>>,
    pages: Vec<Arc<Document>>,
) -> (Vec<Arc<Document>>, Vec<Arc<Document>>, Vec<Problem>) {
    let mut owners: HashMap<&str, &Document> = HashMap::with_capacity(sections.len() + pages.len());
    let mut problems = Vec::new();
    let mut duplicate = HashSet::new();
    for doc in sections.iter().chain(&pages) {
        match owners.entry(&doc.path) {
            Entry::Vacant(slot) => {
                slot.insert(doc);
            }
            Entry::Occupied(first) => {
                duplicate.insert(Arc::as_ptr(doc));
                let first = first.get().file.display();
                let message = format!("URL {} is also produced by {first}", doc.path);
                problems.push(Problem::new(&doc.file, None, message));
            }
        }
    }
    let keep = |docs: Vec<Arc<Document>>| -> Vec<Arc<Document>> {
        if duplicate.is_empty() {
            return docs;
        }
        docs.into_iter()
            .filter(|d| !duplicate.contains(&Arc::as_ptr(d)))
            .collect()
    };
    (keep(sections), keep(pages), problems)
}

/// `posts/_index.md` → `posts`; `_index.md` → ``.
fn section_dir(rel: &str) -> &str {
    rel.strip_suffix(SECTION_FILE)
        .unwrap_or(rel)
        .trim_end_matches('/')
}

/// The folder whose section a page belongs to: a bundle's `index.md` belongs to its parent's.
fn page_dir(rel: &str) -> &str {
    let dir = parent_dir(rel);
    if rel.ends_with("/index.md") || rel == "index.md" {
        parent_dir(dir)
    } else {
        dir
    }
}

fn parent_dir(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// A page's place in the newest-first order: date (newest first), then two tie-breakers and
/// its index.
type OrderKey<'a> = (Reverse<Option<DateTime<Utc>>>, &'a str, &'a str, usize);

/// Page indices newest first. The keys are gathered into one array before sorting so the
/// comparisons do not chase a pointer per page (this runs after every edit under `serve`).
fn newest_first_order(pages: &[Arc<Document>]) -> Vec<usize> {
    let mut keys: Vec<OrderKey> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                Reverse(p.meta.date),
                p.meta.title.as_str(),
                p.rel.as_str(),
                i,
            )
        })
        .collect();
    keys.sort_unstable();
    keys.into_iter().map(|(_, _, _, i)| i).collect()
}

/// Newest first, undated last; ties by title then file, so the order never depends on the walk.
pub fn newest_first(a: &Document, b: &Document) -> Ordering {
    b.meta.date.cmp(&a.meta.date).then_with(|| by_title(a, b))
}

fn by_title(a: &Document, b: &Document) -> Ordering {
    a.meta
        .title
        .cmp(&b.meta.title)
        .then_with(|| a.rel.cmp(&b.rel))
}

fn compare(sort_by: SortBy, a: &Document, b: &Document) -> Ordering {
    match sort_by {
        SortBy::Date => newest_first(a, b),
        SortBy::Title => by_title(a, b),
        SortBy::Weight => a
            .meta
            .weight
            .unwrap_or(i64::MAX)
            .cmp(&b.meta.weight.unwrap_or(i64::MAX))
            .then_with(|| by_title(a, b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::parse(
            Path::new("site.toml"),
            "title = \"Z\"\nbase_url = \"https://x.org/\"\n",
        )
        .unwrap()
    }

    fn doc(rel: &str, text: &str) -> Result<Document, Problem> {
        parse_text(
            &config(),
            "https://x.org/",
            PathBuf::from("content").join(rel),
            rel.to_string(),
            text,
        )
    }

    #[test]
    fn parses_a_page_into_values() {
        let d = doc(
            "posts/a.md",
            "---\ntitle: A\ndate: 2024-01-02\ntaxonomies:\n  beats: [Chips]\n---\nHello *you*.\n",
        )
        .unwrap();
        assert_eq!(d.path, "/posts/a/");
        assert_eq!(d.value["content"], "<p>Hello <em>you</em>.</p>\n");
        assert_eq!(
            d.summary["terms"]["beats"][0]["permalink"],
            "https://x.org/beats/chips/"
        );
        assert!(d.summary.get("content").is_none());
    }

    #[test]
    fn unknown_taxonomy_and_page_only_keys_are_located() {
        let err = doc(
            "a.md",
            "---\ntitle: A\ntaxonomies:\n  colours: [red]\n---\n",
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "content/a.md:3: front matter: `taxonomies`: unknown taxonomy `colours` (site.toml lists: beats, categories)");
        let err = doc("a.md", "---\ntitle: A\nsort_by: date\n---\n").unwrap_err();
        assert_eq!(err.line, Some(3));
    }

    /// The parsed documents of `files` (path under `content/`, text).
    fn sources_of(files: &[(&str, &str)]) -> Sources {
        let mut sources = Sources::default();
        for (rel, text) in files {
            sources
                .documents
                .insert(rel.to_string(), Arc::new(doc(rel, text).unwrap()));
        }
        sources
    }

    fn assemble(sources: &Sources, options: &BuildOptions) -> (Content, Vec<Problem>) {
        Content::assemble(sources, &config(), options, "https://x.org/")
    }

    #[test]
    fn assembles_sections_and_orders_pages() {
        let sources = sources_of(&[
            ("posts/_index.md", "---\ntitle: Posts\n---\n"),
            ("posts/old.md", "---\ntitle: Old\ndate: 2020-01-01\n---\n"),
            ("posts/new.md", "---\ntitle: New\ndate: 2024-01-01\n---\n"),
            ("posts/deep/x.md", "---\ntitle: Deep\ndraft: true\n---\n"),
            ("about.md", "---\ntitle: About\n---\n"),
        ]);
        let (content, problems) = assemble(&sources, &BuildOptions::default());
        assert!(problems.is_empty());
        assert_eq!(content.sections[0].doc.path, "/");
        let posts = &content.sections[1];
        let titles: Vec<&str> = posts
            .pages
            .iter()
            .map(|&p| content.pages[p].meta.title.as_str())
            .collect();
        assert_eq!(titles, vec!["New", "Old"]);
        assert_eq!(content.sections[0].subsections, vec![1]);
        let with_drafts = BuildOptions {
            drafts: true,
            ..BuildOptions::default()
        };
        let (content, _) = assemble(&sources, &with_drafts);
        assert_eq!(content.pages.len(), 4);
    }

    #[test]
    fn a_text_edit_reuses_the_grouping_and_matches_a_full_assemble() {
        let post = |body: &str, title: &str| {
            let text = format!("---\ntitle: {title}\ndate: 2024-01-01\ntaxonomies:\n  beats: [chips]\n---\n{body}\n");
            Arc::new(doc("posts/a.md", &text).unwrap())
        };
        let mut sources = sources_of(&[
            ("posts/_index.md", "---\ntitle: P\n---\n"),
            ("posts/b.md", "---\ntitle: B\n---\n"),
        ]);
        sources
            .documents
            .insert("posts/a.md".into(), post("old", "A"));
        let options = BuildOptions::default();
        let (before, _) = assemble(&sources, &options);
        let old = Arc::clone(&sources.documents["posts/a.md"]);

        let edited = post("new text", "A");
        let fast = before
            .with_page_replaced(&old, &edited)
            .expect("same grouping");
        sources
            .documents
            .insert("posts/a.md".into(), Arc::clone(&edited));
        let (full, _) = assemble(&sources, &options);
        assert_eq!(fast.revisions, full.revisions);
        assert_eq!(
            (fast.revision, fast.listing_revision),
            (full.revision, full.listing_revision)
        );
        assert_eq!(fast.newest_first, full.newest_first);
        assert_eq!(fast.pages[0].body.text, "new text\n");
        assert_ne!(fast.revision, before.revision);

        let retitled = post("old", "Renamed");
        assert!(
            before.with_page_replaced(&old, &retitled).is_none(),
            "a title change reorders"
        );
    }

    #[test]
    fn two_files_with_one_url_conflict() {
        let sources = sources_of(&[
            ("a.md", "---\ntitle: A\n---\n"),
            ("b.md", "---\ntitle: B\nslug: a\n---\n"),
        ]);
        let (content, problems) = assemble(&sources, &BuildOptions::default());
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].to_string(),
            "content/b.md: URL /a/ is also produced by content/a.md"
        );
        assert_eq!(content.pages.len(), 1);
    }
}
