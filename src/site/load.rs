//! The loaded site: everything read from disk, kept in memory so `serve` can reload one part
//! (a content file, the data, the templates) without reading the rest again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};
use walkdir::WalkDir;

use crate::config::{Config, ConfigError, Paths};
use crate::site::content::{Content, Sources};
use crate::site::data::{self, DataFiles};
use crate::site::output::Sink;
use crate::site::records::JoinedRecords;
use crate::site::render::{self, RenderCache};
use crate::site::templates::Templates;
use crate::site::{slash_path, BuildOptions, Problem, SiteError};

/// A site read into memory and ready to render.
pub struct Site {
    pub paths: Paths,
    pub config: Config,
    pub options: BuildOptions,
    /// The base URL pages are published under (config's, or the override in the options).
    pub base_url: String,
    /// What templates see as `config`.
    pub config_value: Value,
    /// Every parsed content file, published or not.
    pub sources: Sources,
    /// The published content, grouped; shared with the template lookup functions.
    pub content: Arc<Content>,
    pub data: Arc<DataFiles>,
    /// The analysis window's AI records joined with their stored text, newest first; read
    /// once per load and shared by the template data, the API and the search index.
    pub records: JoinedRecords,
    pub templates: Templates,
    /// Files copied as they are: output path → source (theme `static/`, then the site's
    /// `static/`, then non-Markdown files under `content/`; later ones win).
    pub statics: BTreeMap<String, PathBuf>,
}

impl Site {
    /// Loads everything; any problem anywhere is an error listing all of them.
    pub fn load(paths: &Paths, options: &BuildOptions) -> Result<Site, SiteError> {
        match Site::load_partial(paths, options)? {
            (Some(site), problems) if problems.is_empty() => Ok(site),
            (_, problems) => Err(SiteError::from_problems(problems)),
        }
    }

    /// Loads what can be loaded and lists the rest: bad content files and data files are left
    /// out. There is no site only when the templates could not be compiled.
    pub fn load_partial(
        paths: &Paths,
        options: &BuildOptions,
    ) -> Result<(Option<Site>, Vec<Problem>), ConfigError> {
        let config = Config::load(&paths.root)?;
        let base_url = match &options.base_url {
            Some(url) if url.ends_with('/') => url.clone(),
            Some(url) => format!("{url}/"),
            None => config.base_url.clone(),
        };
        let ((sources, mut problems), ((data, records, data_problems), templates)) = rayon::join(
            || Sources::load(paths, &config, &base_url),
            || rayon::join(|| data::load(paths), || Templates::load(paths, &config)),
        );
        problems.extend(data_problems);
        let templates = match templates {
            Ok(templates) => Some(templates),
            Err(template_problems) => {
                problems.extend(template_problems);
                None
            }
        };
        let (content, content_problems) = Content::assemble(&sources, &config, options, &base_url);
        problems.extend(content_problems);
        let Some(templates) = templates else {
            return Ok((None, problems));
        };
        let mut site = Site {
            config_value: config_value(&config, &base_url),
            statics: BTreeMap::new(),
            paths: paths.clone(),
            options: options.clone(),
            base_url,
            sources,
            content: Arc::new(content),
            data: Arc::new(data),
            records,
            templates,
            config,
        };
        site.reload_statics();
        site.templates
            .register_lookups(Arc::clone(&site.content), Arc::clone(&site.data));
        Ok((Some(site), problems))
    }

    /// Renders every output whose inputs changed since `cache` last saw them (everything
    /// without a cache) into `sink`.
    pub fn render(
        &self,
        sink: &dyn Sink,
        cache: Option<&mut RenderCache>,
    ) -> Result<(), Vec<Problem>> {
        render::render_site(self, sink, cache)
    }

    /// Re-reads changed content files (added, edited or removed) and regroups the content.
    /// Their problems are then in `sources.problems` and `content.problems`.
    pub fn reload_content(&mut self, files: &[PathBuf]) {
        let before: Vec<_> = files
            .iter()
            .map(|f| self.sources.document(&self.paths, f))
            .collect();
        self.sources
            .refresh(&self.paths, &self.config, &self.base_url, files);
        let after: Vec<_> = files
            .iter()
            .map(|f| self.sources.document(&self.paths, f))
            .collect();
        let edited_in_place = match (before.as_slice(), after.as_slice()) {
            ([Some(old)], [Some(new)]) => self.content.with_page_replaced(old, new),
            _ => None,
        };
        let content = edited_in_place.unwrap_or_else(|| {
            Content::assemble(&self.sources, &self.config, &self.options, &self.base_url).0
        });
        self.content = Arc::new(content);
        if files
            .iter()
            .any(|f| f.extension().is_none_or(|e| e != "md"))
        {
            self.reload_statics();
        }
        self.templates
            .register_lookups(Arc::clone(&self.content), Arc::clone(&self.data));
    }

    /// Re-reads every data file.
    pub fn reload_data(&mut self) -> Vec<Problem> {
        let (data, records, problems) = data::load(&self.paths);
        self.data = Arc::new(data);
        self.records = records;
        self.templates
            .register_lookups(Arc::clone(&self.content), Arc::clone(&self.data));
        problems
    }

    /// Re-reads every template; on error the previous templates stay in use.
    pub fn reload_templates(&mut self) -> Vec<Problem> {
        match Templates::load(&self.paths, &self.config) {
            Ok(mut templates) => {
                templates.register_lookups(Arc::clone(&self.content), Arc::clone(&self.data));
                self.templates = templates;
                Vec::new()
            }
            Err(problems) => problems,
        }
    }

    /// Re-lists the static files.
    pub fn reload_statics(&mut self) {
        let mut statics = BTreeMap::new();
        for dir in [
            self.paths.theme(&self.config).join("static"),
            self.paths.static_dir(),
        ] {
            list_files(&dir, &mut statics);
        }
        statics.extend(
            self.sources
                .assets
                .iter()
                .map(|(rel, path)| (rel.clone(), path.clone())),
        );
        self.statics = statics;
    }
}

fn list_files(dir: &Path, into: &mut BTreeMap<String, PathBuf>) {
    for entry in WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
    {
        if entry.file_type().is_file() {
            into.insert(slash_path(dir, entry.path()), entry.into_path());
        }
    }
}

/// The config as templates see it, with the effective base URL.
fn config_value(config: &Config, base_url: &str) -> Value {
    json!({
        "title": config.title,
        "description": config.description,
        "base_url": base_url,
        "repository": config.repository,
        "language": config.language,
        "theme": config.theme,
        "paginate": config.paginate,
        "taxonomies": config.taxonomies,
        "text_twins": config.text_twins,
        "feeds": {"rss": config.feeds.rss, "atom": config.feeds.atom, "limit": config.feeds.limit},
        "extra": config.extra,
    })
}
