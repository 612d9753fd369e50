//! The static-site generator: turns `content/` (Markdown + YAML front matter), a theme's and the
//! site's Tera templates, `static/` files and `data/` files into a deployable folder.
//!
//! The work is split in two so that `serve` can redo only what an edit touched:
//!
//! 1. [`Site::load`] reads everything once: config, every content file (in parallel), data files
//!    and templates. Each page is rendered from Markdown and serialised to JSON exactly once.
//! 2. [`Site::render`] runs the output *generators* ([`render::GENERATORS`]): each turns the
//!    loaded site into independent [`render::Job`]s (one page, one pager of a section, one feed…)
//!    that run in parallel and hand their files to a [`output::Sink`] — a staging folder for
//!    `build`, memory for `serve` and `check`. Every job carries a fingerprint of its inputs, so a
//!    [`render::RenderCache`] can skip jobs whose inputs did not change.
//!
//! [`build`] and [`check`] are the entry points the commands call.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::config::{ConfigError, Paths};

pub mod api;
pub mod beats;
pub mod charts;
pub mod check;
pub mod console;
pub mod content;
pub mod data;
pub mod feeds;
pub mod frontmatter;
pub mod load;
pub mod markdown;
pub mod output;
pub mod pagination;
pub mod records;
pub mod render;
pub mod search;
pub mod sitemap;
pub mod slug;
pub mod taxonomy;
pub mod templates;

pub use load::Site;

/// One thing wrong with the input, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The file at fault, relative to the site root when it lies inside it.
    pub file: PathBuf,
    /// 1-based line in `file`, when the fault has one.
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    pub fn new(file: impl Into<PathBuf>, line: Option<usize>, message: impl Into<String>) -> Self {
        Problem {
            file: file.into(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// Why a build or check could not finish.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Everything wrong with the input, sorted by file and line.
    #[error("{}", list_problems(.0))]
    Problems(Vec<Problem>),
    /// Writing or swapping the output folder failed.
    #[error("{path}: {source}")]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn list_problems(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(Problem::to_string).collect();
    format!("{} problem(s):\n{}", problems.len(), lines.join("\n"))
}

impl SiteError {
    /// Sorts and condenses a problem list into an error.
    pub fn from_problems(problems: Vec<Problem>) -> SiteError {
        SiteError::Problems(condense(problems))
    }
}

/// Marks the part of a template error message that names what was being rendered.
pub(crate) const WHILE_RENDERING: &str = " (while rendering ";

/// Sorts and de-duplicates problems, and folds a template error repeated for many pages into
/// one line, so a typo in `page.html` reads as one problem and not ten thousand.
pub fn condense(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort();
    problems.dedup();
    let mut condensed: Vec<(Problem, usize)> = Vec::new();
    for problem in problems {
        let cause = |p: &Problem| {
            p.message
                .split(WHILE_RENDERING)
                .next()
                .unwrap_or_default()
                .to_string()
        };
        match condensed.last_mut() {
            Some((first, repeats))
                if first.file == problem.file
                    && first.line == problem.line
                    && cause(first) == cause(&problem)
                    && problem.message.contains(WHILE_RENDERING) =>
            {
                *repeats += 1
            }
            _ => condensed.push((problem, 0)),
        }
    }
    condensed
        .into_iter()
        .map(|(mut problem, repeats)| {
            if repeats > 0 {
                problem.message.push_str(&format!(" (and {repeats} more)"));
            }
            problem
        })
        .collect()
}

/// Escapes `&`, `<`, `>`, `"` and `'` for XML and HTML text and attributes.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// What a build may vary; everything else comes from `site.toml`.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Include pages marked `draft: true`.
    pub drafts: bool,
    /// The build's clock: pages dated after it are left out and feeds are stamped with it.
    /// Without it, nothing depends on the machine's time.
    pub as_of: Option<DateTime<Utc>>,
    /// Write here instead of the configured `output_dir`.
    pub output: Option<PathBuf>,
    /// Publish under this base URL instead of the configured one (`serve` uses its own address).
    pub base_url: Option<String>,
    /// Build the search index on full renders only, not again after each content edit: `serve`
    /// sets it, as the index takes seconds on a large site and a page edit milliseconds.
    pub search_on_full_render_only: bool,
}

/// What a build did, for the command to print.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub pages: usize,
    pub sections: usize,
    pub terms: usize,
    /// Files whose bytes differ from the previous output (or are new).
    pub written: usize,
    /// Files identical to the previous output, linked instead of rewritten.
    pub unchanged: usize,
    pub elapsed: Duration,
    pub output: PathBuf,
}

/// Builds the site under `paths` into its output folder. The new output is assembled in a
/// staging folder beside it and replaces it only if everything succeeded; on any error the
/// previous output is left exactly as it was.
pub fn build(paths: &Paths, options: &BuildOptions) -> Result<BuildReport, SiteError> {
    match build_pool() {
        Some(pool) => pool.install(|| build_on_pool(paths, options)),
        None => build_on_pool(paths, options),
    }
}

/// Threads for a build: reading content and writing some 20,000 files block on the disk, so
/// more threads than cores keep the cores busy (a cold 10,000-page build on disk: 2.4 s with
/// one thread per core, 1.8 s with four). `RAYON_NUM_THREADS` still decides when it is set.
fn build_pool() -> Option<rayon::ThreadPool> {
    if std::env::var_os("RAYON_NUM_THREADS").is_some() {
        return None;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    rayon::ThreadPoolBuilder::new()
        .num_threads(cores * 4)
        .build()
        .ok()
}

fn build_on_pool(paths: &Paths, options: &BuildOptions) -> Result<BuildReport, SiteError> {
    let started = Instant::now();
    let site = Site::load(paths, options)?;
    let output_dir = options
        .output
        .clone()
        .unwrap_or_else(|| paths.output(&site.config));
    paths
        .check_output(&output_dir)
        .map_err(|message| SiteError::Output {
            path: output_dir.clone(),
            source: std::io::Error::other(message),
        })?;
    let staging = output::Staging::create(&output_dir)?;
    let rendered = site.render(&staging, None);
    let counts = staging.counts();
    // On error the staging folder is dropped (kept as scratch) before the output is touched.
    rendered.map_err(SiteError::from_problems)?;
    staging.publish()?;
    Ok(BuildReport {
        pages: site.content.pages.len(),
        sections: site.content.sections.len(),
        terms: site.content.term_count(),
        written: counts.written,
        unchanged: counts.unchanged,
        elapsed: started.elapsed(),
        output: output_dir,
    })
}

/// What `check` found: every problem, and how much it looked at.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    pub problems: Vec<Problem>,
    pub files_rendered: usize,
    pub links_checked: usize,
}

/// Validates config, front matter, data files and templates, renders everything into memory
/// and checks every internal link and anchor. Only an unreadable or invalid `site.toml` is an
/// `Err`; everything else is listed in the report.
pub fn check(paths: &Paths, options: &BuildOptions) -> Result<CheckReport, ConfigError> {
    check::run(paths, options)
}

/// Shows `path` relative to the site root when it lies inside it, for shorter messages.
pub(crate) fn display_path(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// `path` relative to `base` with `/` separators on every platform: the form of content keys,
/// template names and output paths.
pub(crate) fn slash_path(base: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    let parts: Vec<_> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    parts.join("/")
}

/// Reads a text file; problems name it as `shown`, with the line of the first invalid byte.
pub(crate) fn read_text(file: &Path, shown: &Path) -> Result<String, Problem> {
    let bytes =
        std::fs::read(file).map_err(|e| Problem::new(shown, None, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = line_of_bytes(e.as_bytes(), valid);
        Problem::new(shown, Some(line), format!("invalid UTF-8 at byte {valid}"))
    })
}

fn line_of_bytes(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    line_of_bytes(text.as_bytes(), offset)
}
