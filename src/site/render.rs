//! Output generators and the parallel render pass.
//!
//! A generator looks at the loaded site and lists [`Job`]s; a job renders one unit (a page and
//! its text twin, one pager of a listing, a feed…) and carries a fingerprint of everything it
//! reads besides the templates, data and config. [`RenderCache`] remembers fingerprints between
//! renders, so after a one-page edit `serve` re-renders only the jobs whose inputs changed: the
//! page, the pagers and feeds that list it, the sitemap. Later stages add generators (search
//! index, JSON API) to [`GENERATORS`].

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::ops::Range;
use std::path::PathBuf;

use rayon::prelude::*;
use serde_json::Value;
use tera::Context;

use crate::site::content::{Content, Document, Section};
use crate::site::output::Sink;
use crate::site::pagination::{pager_path, pager_ranges, Paginator};
use crate::site::slug::{index_file, permalink};
use crate::site::{beats, feeds, search, sitemap, Problem, Site};

/// One file a job produced.
pub enum Output {
    /// Rendered bytes.
    Bytes { path: String, bytes: Vec<u8> },
    /// A file copied unchanged.
    Copy { path: String, source: PathBuf },
}

impl Output {
    /// The output path, relative to the output folder.
    pub fn path(&self) -> &str {
        match self {
            Output::Bytes { path, .. } | Output::Copy { path, .. } => path,
        }
    }
}

type RenderFn = Box<dyn Fn(&Site) -> Result<Vec<Output>, Problem> + Send + Sync>;

/// A unit of rendering.
pub struct Job {
    /// Unique and stable across renders: the hash of e.g. `("page", "posts/a.md")`.
    pub key: u64,
    /// Hash of the job's inputs; equal fingerprints mean equal output.
    pub fingerprint: u64,
    /// Produces the job's files from the loaded site.
    pub render: RenderFn,
}

impl Job {
    /// A job identified by `key` (hashed, so identifying a job allocates nothing).
    pub fn new(
        key: impl Hash,
        fingerprint: u64,
        render: impl Fn(&Site) -> Result<Vec<Output>, Problem> + Send + Sync + 'static,
    ) -> Job {
        Job {
            key: self::fingerprint(key),
            fingerprint,
            render: Box::new(render),
        }
    }
}

/// Lists the jobs of one kind of output.
pub type Generator = fn(&Site) -> Vec<Job>;

/// Every kind of output, in the order their jobs are listed.
pub const GENERATORS: &[Generator] = &[
    page_jobs,
    section_jobs,
    taxonomy_jobs,
    beats::jobs,
    feeds::jobs,
    sitemap::jobs,
    search::jobs,
    not_found_jobs,
    static_jobs,
    crate::site::api::jobs,
    crate::site::console::jobs,
];

/// The fingerprint and output files of each job of the last render.
#[derive(Debug, Default)]
pub struct RenderCache {
    jobs: HashMap<u64, (u64, Vec<String>)>,
    /// Files of the previous render that no job produces any more; see [`RenderCache::take_stale`].
    stale: Vec<String>,
    /// Jobs rendered by the last pass, for reports.
    pub last_rendered: usize,
}

impl RenderCache {
    /// Forgets every fingerprint, so the next render redoes every job (after a template, data
    /// or config change, which every job may read).
    pub fn clear(&mut self) {
        for (_, paths) in self.jobs.values_mut() {
            self.stale.append(paths);
        }
        self.jobs.clear();
    }

    /// Output files produced before but not by the last render: the caller deletes them.
    pub fn take_stale(&mut self) -> Vec<String> {
        std::mem::take(&mut self.stale)
    }

    /// Records the last render: drops jobs that no longer exist and remembers what ran.
    fn update(&mut self, live: HashSet<u64>, done: Vec<(&Job, Vec<String>)>) {
        self.last_rendered = done.len();
        let mut stale: Vec<String> = std::mem::take(&mut self.stale);
        self.jobs.retain(|key, (_, paths)| {
            let keep = live.contains(key);
            if !keep {
                stale.append(paths);
            }
            keep
        });
        let mut written = HashSet::new();
        for (job, paths) in done {
            written.extend(paths.iter().cloned());
            if let Some((_, old)) = self.jobs.insert(job.key, (job.fingerprint, paths)) {
                stale.extend(old);
            }
        }
        stale.retain(|path| !written.contains(path));
        stale.sort();
        stale.dedup();
        self.stale = stale;
    }
}

/// Hashes anything hashable into a fingerprint.
pub fn fingerprint(parts: impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    parts.hash(&mut hasher);
    hasher.finish()
}

/// Runs every job (or, with a cache, every changed job) in parallel and hands the files to
/// `sink`. Returns all problems of all jobs.
pub fn render_site(
    site: &Site,
    sink: &dyn Sink,
    cache: Option<&mut RenderCache>,
) -> Result<(), Vec<Problem>> {
    let jobs: Vec<Job> = GENERATORS
        .iter()
        .flat_map(|generator| generator(site))
        .collect();
    let fresh = |job: &&Job| {
        cache.as_ref().is_none_or(|c| {
            c.jobs
                .get(&job.key)
                .is_none_or(|(f, _)| *f != job.fingerprint)
        })
    };
    let todo: Vec<&Job> = jobs.iter().filter(fresh).collect();
    let results: Vec<(&Job, Result<Vec<String>, Problem>)> = todo
        .par_iter()
        .map(|job| (*job, run_job(site, job, sink)))
        .collect();
    let mut problems = Vec::new();
    let mut done = Vec::new();
    for (job, result) in results {
        match result {
            Ok(paths) => done.push((job, paths)),
            Err(problem) => problems.push(problem),
        }
    }
    if let Some(cache) = cache {
        // A failed job is not recorded, so it runs again on the next render.
        cache.update(jobs.iter().map(|j| j.key).collect(), done);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn run_job(site: &Site, job: &Job, sink: &dyn Sink) -> Result<Vec<String>, Problem> {
    let outputs = (job.render)(site)?;
    let mut paths = Vec::with_capacity(outputs.len());
    for output in outputs {
        paths.push(output.path().to_string());
        match output {
            Output::Bytes { path, bytes } => sink.put(&path, bytes)?,
            Output::Copy { path, source } => sink.copy(&path, &source)?,
        }
    }
    Ok(paths)
}

/// The base context every template gets.
pub(crate) fn context(site: &Site, path: &str) -> Context {
    let mut context = Context::new();
    context.insert("config", &site.config_value);
    context.insert("current_path", path);
    context.insert("current_url", &permalink(&site.base_url, path));
    context
}

/// Fails with the document's location if its chosen template does not exist.
fn template_for<'a>(site: &Site, doc: &'a Document, default: &'a str) -> Result<&'a str, Problem> {
    let name = doc.meta.template.as_deref().unwrap_or(default);
    if site.templates.has(name) {
        return Ok(name);
    }
    let line = doc.meta.template.is_some().then_some(doc.template_line);
    Err(Problem::new(
        &doc.file,
        line,
        format!("template `{name}` not found in the theme or templates/"),
    ))
}

/// A fingerprint part that changes with any content when the template reads the site through
/// lookup functions (it could show any page).
fn lookup_dependency(site: &Site, template: &str) -> u64 {
    if site.templates.uses_lookups(template) {
        site.content.revision
    } else {
        0
    }
}

fn page_jobs(site: &Site) -> Vec<Job> {
    let content = &site.content;
    // Reading each page's template name follows a pointer per page; skip it when no template
    // reads other pages anyway.
    let any_lookups = site.templates.uses_any_lookups();
    (0..content.pages.len())
        .map(|index| {
            let section = &content.sections[content.page_section[index]];
            let lookups = if any_lookups {
                let template = content.pages[index].meta.template.as_deref();
                lookup_dependency(site, template.unwrap_or("page.html"))
            } else {
                0
            };
            let inputs = (content.revisions[index], section.doc.revision, lookups);
            Job::new(content.page_keys[index], fingerprint(inputs), move |site| {
                render_page(site, index)
            })
        })
        .collect()
}

fn render_page(site: &Site, index: usize) -> Result<Vec<Output>, Problem> {
    let page = &site.content.pages[index];
    let section = &site.content.sections[site.content.page_section[index]];
    let template = template_for(site, page, "page.html")?;
    let mut context = context(site, &page.path);
    context.insert("page", &page.value);
    context.insert("section", &section.value);
    let html = site
        .templates
        .render(template, &context, &page.file.display().to_string())?;
    let mut outputs = vec![Output::Bytes {
        path: index_file(&page.path, "index.html"),
        bytes: html.into_bytes(),
    }];
    outputs.extend(twin_output(site, &page.path, page));
    Ok(outputs)
}

/// The `index.txt` twin of the document at `path`, unless the site turned twins off.
fn twin_output(site: &Site, path: &str, doc: &Document) -> Option<Output> {
    site.config.text_twins.then(|| Output::Bytes {
        path: index_file(path, "index.txt"),
        bytes: text_twin(doc).into_bytes(),
    })
}

/// The plain-text twin of a page: a short header, then the text.
pub fn text_twin(doc: &Document) -> String {
    let mut text = format!("{}\n", doc.meta.title);
    if !doc.meta.description.is_empty() {
        text.push_str(&format!("{}\n", doc.meta.description));
    }
    text.push_str(&format!("URL: {}\n", doc.permalink));
    if let Some(date) = doc.meta.date {
        text.push_str(&format!("Date: {}\n", date.format("%Y-%m-%d")));
    }
    if let Some(updated) = doc.meta.updated {
        text.push_str(&format!("Updated: {}\n", updated.format("%Y-%m-%d")));
    }
    if !doc.body.text.is_empty() {
        text.push('\n');
        text.push_str(&doc.body.text);
    }
    text
}

fn section_jobs(site: &Site) -> Vec<Job> {
    let content = &site.content;
    let mut jobs = Vec::new();
    for (index, section) in content.sections.iter().enumerate() {
        let template = section_template_name(section);
        let subsections: Vec<u64> = section
            .subsections
            .iter()
            .map(|&s| content.sections[s].doc.revision)
            .collect();
        for (number, count, range, listed) in pagers(content, &section.pages, section.paginate_by) {
            let inputs = (
                section.doc.revision,
                &subsections,
                number,
                count,
                listed,
                lookup_dependency(site, template),
            );
            jobs.push(Job::new(
                ("section", &section.doc.rel, number),
                fingerprint(inputs),
                move |site| render_section(site, index, number, count, range.clone()),
            ));
        }
    }
    jobs
}

/// Each pager of a listing of `pages`: its 1-based number, the number of pagers, its range of
/// `pages` and the revisions of the pages it lists (what its fingerprint depends on).
fn pagers<'a>(
    content: &'a Content,
    pages: &'a [usize],
    per_pager: usize,
) -> impl Iterator<Item = (usize, usize, Range<usize>, Vec<u64>)> + 'a {
    let ranges = pager_ranges(pages.len(), per_pager);
    let count = ranges.len();
    (1..).zip(ranges).map(move |(number, range)| {
        let listed = pages[range.clone()]
            .iter()
            .map(|&p| content.revisions[p])
            .collect();
        (number, count, range, listed)
    })
}

fn section_template_name(section: &Section) -> &str {
    let default = if section.parent.is_none() {
        "index.html"
    } else {
        "section.html"
    };
    section.doc.meta.template.as_deref().unwrap_or(default)
}

fn render_section(
    site: &Site,
    index: usize,
    number: usize,
    count: usize,
    range: std::ops::Range<usize>,
) -> Result<Vec<Output>, Problem> {
    let content = &site.content;
    let section = &content.sections[index];
    let template = template_for(site, &section.doc, section_template_name(section))?;
    let path = pager_path(&section.doc.path, number);
    let pages: Vec<&Value> = section.pages[range]
        .iter()
        .map(|&p| &content.pages[p].summary)
        .collect();
    let paginator = Paginator::new(
        pages,
        (number, count),
        section.paginate_by,
        section.pages.len(),
        &site.base_url,
        &section.doc.path,
    );
    let mut context = context(site, &path);
    context.insert("section", &section.value);
    context.insert("paginator", &paginator);
    let html =
        site.templates
            .render(template, &context, &section.doc.file.display().to_string())?;
    let mut outputs = vec![Output::Bytes {
        path: index_file(&path, "index.html"),
        bytes: html.into_bytes(),
    }];
    if number == 1 {
        outputs.extend(twin_output(site, &path, &section.doc));
    }
    Ok(outputs)
}

/// Renders a template that the site needs but no content file chooses.
pub(crate) fn render_builtin(
    site: &Site,
    template: &str,
    context: &Context,
    path: &str,
) -> Result<String, Problem> {
    if !site.templates.has(template) {
        let expected = site
            .paths
            .theme(&site.config)
            .join("templates")
            .join(template);
        return Err(Problem::new(
            crate::site::display_path(&site.paths.root, &expected),
            None,
            format!(
                "template `{template}` not found in the theme or templates/ (needed for {path})"
            ),
        ));
    }
    site.templates.render(template, context, path)
}

fn taxonomy_jobs(site: &Site) -> Vec<Job> {
    let content = &site.content;
    let mut jobs = Vec::new();
    for (tax_index, taxonomy) in content.taxonomies.iter().enumerate() {
        let terms: Vec<(&str, usize)> = taxonomy
            .terms
            .iter()
            .map(|t| (t.name.as_str(), t.pages.len()))
            .collect();
        let inputs = (
            &taxonomy.name,
            terms,
            lookup_dependency(site, "taxonomy_list.html"),
        );
        jobs.push(Job::new(
            ("taxonomy", &taxonomy.name),
            fingerprint(inputs),
            move |site| {
                let taxonomy = &site.content.taxonomies[tax_index];
                let mut context = context(site, &taxonomy.path);
                context.insert("taxonomy", &taxonomy.value);
                context.insert("terms", &taxonomy.value["terms"]);
                let html = render_builtin(site, "taxonomy_list.html", &context, &taxonomy.path)?;
                Ok(vec![Output::Bytes {
                    path: index_file(&taxonomy.path, "index.html"),
                    bytes: html.into_bytes(),
                }])
            },
        ));
        for (term_index, term) in taxonomy.terms.iter().enumerate() {
            for (number, count, range, listed) in pagers(content, &term.pages, site.config.paginate)
            {
                let inputs = (
                    &term.name,
                    number,
                    count,
                    listed,
                    lookup_dependency(site, "taxonomy_term.html"),
                );
                let key = ("term", &taxonomy.name, &term.slug, number);
                jobs.push(Job::new(key, fingerprint(inputs), move |site| {
                    render_term(
                        site,
                        (tax_index, term_index),
                        (number, count),
                        range.clone(),
                    )
                }));
            }
        }
    }
    jobs
}

fn render_term(
    site: &Site,
    (tax_index, term_index): (usize, usize),
    (number, count): (usize, usize),
    range: std::ops::Range<usize>,
) -> Result<Vec<Output>, Problem> {
    let content = &site.content;
    let taxonomy = &content.taxonomies[tax_index];
    let term = &taxonomy.terms[term_index];
    let path = pager_path(&term.path, number);
    let pages: Vec<&Value> = term.pages[range]
        .iter()
        .map(|&p| &content.pages[p].summary)
        .collect();
    let paginator = Paginator::new(
        pages,
        (number, count),
        site.config.paginate,
        term.pages.len(),
        &site.base_url,
        &term.path,
    );
    let mut context = context(site, &path);
    context.insert("taxonomy", &taxonomy.value);
    context.insert("term", &term.value);
    if taxonomy.name == beats::BEATS_TAXONOMY {
        context.insert("beat_slug", &term.name);
    }
    context.insert("paginator", &paginator);
    let html = render_builtin(site, "taxonomy_term.html", &context, &path)?;
    Ok(vec![Output::Bytes {
        path: index_file(&path, "index.html"),
        bytes: html.into_bytes(),
    }])
}

fn not_found_jobs(site: &Site) -> Vec<Job> {
    let inputs = lookup_dependency(site, "404.html");
    vec![Job::new("404", fingerprint(inputs), |site| {
        let html = render_builtin(site, "404.html", &context(site, "/404.html"), "/404.html")?;
        Ok(vec![Output::Bytes {
            path: "404.html".into(),
            bytes: html.into_bytes(),
        }])
    })]
}

fn static_jobs(site: &Site) -> Vec<Job> {
    site.statics
        .iter()
        .map(|(rel, source)| {
            let modified = std::fs::metadata(source)
                .ok()
                .map(|m| (m.len(), m.modified().ok()));
            let (path, source) = (rel.clone(), source.clone());
            Job::new(
                ("static", rel),
                fingerprint((&source, modified)),
                move |_| {
                    Ok(vec![Output::Copy {
                        path: path.clone(),
                        source: source.clone(),
                    }])
                },
            )
        })
        .collect()
}
