//! `site.toml`: the site's settings and, in their own tables, each pipeline stage's settings.
//! Unknown keys are errors so a typo never silently falls back to a default. This module owns
//! the whole schema (`sources`, `synthesis`, `run` are its submodules); every stage imports its
//! table from here, and nothing here imports a stage.

use std::fs;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

pub mod run;
pub mod sources;
pub mod synthesis;

pub use run::{RunConfig, Step};
pub use sources::SourcesConfig;
pub use synthesis::SynthesisConfig;

pub const CONFIG_FILE: &str = "site.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
}

/// The whole of `site.toml`. Every key but `title` and `base_url` is optional; its default is
/// in [`Config::default`] (the two required keys default to empty, which `validate` refuses).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The site's name, shown in the header and feeds.
    pub title: String,
    /// One sentence about the site, for feeds and meta tags.
    pub description: String,
    /// Absolute URL the site is published at; every permalink starts with it.
    pub base_url: String,
    /// BCP 47 language of the site's own pages.
    pub language: String,
    /// Where the project's source and issue tracker live (an http(s) URL), linked in the footer.
    pub repository: Option<String>,
    /// Folder name under `themes/`.
    pub theme: String,
    /// Where `zeitgeist build` writes the site, relative to the root.
    pub output_dir: PathBuf,
    /// Pages per page of a section or taxonomy term listing.
    pub paginate: usize,
    /// Taxonomies pages may list terms for; `beats` and `categories` are always present.
    pub taxonomies: Vec<String>,
    /// Write a plain-text twin (`index.txt`) beside every page and section, for machine readers.
    pub text_twins: bool,
    pub feeds: FeedsConfig,
    pub search: SearchConfig,
    /// `[sources.*]`: what `zeitgeist collect` reads (see [`SourcesConfig`]).
    pub sources: SourcesConfig,
    /// `[synthesis]`: which writer drafts stories and how hard to try.
    pub synthesis: SynthesisConfig,
    /// `[run]`: the offline replay's clock and the retention of old snapshots.
    pub run: RunConfig,
    /// Free settings for templates, available as `config.extra`.
    pub extra: toml::Table,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeedsConfig {
    pub rss: bool,
    pub atom: bool,
    /// JSON Feed 1.1 (`feed.json`) beside the RSS and Atom files.
    pub json: bool,
    /// Most recent entries per feed.
    pub limit: usize,
}

/// `[search]`: the client-side search index under `search/`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    /// Build the index (and so the search page's results); off for sites that need no search.
    pub enabled: bool,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig { enabled: true }
    }
}

impl Default for FeedsConfig {
    fn default() -> Self {
        FeedsConfig {
            rss: true,
            atom: true,
            json: true,
            limit: 50,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            title: String::new(),
            description: String::new(),
            base_url: String::new(),
            language: "en".into(),
            repository: None,
            theme: "zeitgeist".into(),
            output_dir: "public".into(),
            paginate: 10,
            taxonomies: vec!["beats".into(), "categories".into()],
            text_twins: true,
            feeds: FeedsConfig::default(),
            search: SearchConfig::default(),
            sources: SourcesConfig::default(),
            synthesis: SynthesisConfig::default(),
            run: RunConfig::default(),
            extra: toml::Table::new(),
        }
    }
}

impl Config {
    /// Reads and validates `<root>/site.toml`.
    pub fn load(root: &Path) -> Result<Config, ConfigError> {
        let path = root.join(CONFIG_FILE);
        let text = fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let config = Config::parse(&path, &text)?;
        let output = Paths::new(root).output(&config);
        if let Err(message) = Paths::new(root).check_output(&output) {
            return Err(ConfigError::Invalid {
                path,
                key: "output_dir".into(),
                message,
            });
        }
        Ok(config)
    }

    /// Parses config text; `path` is only used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    fn validate(&mut self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: &str| ConfigError::Invalid {
            path: path.to_path_buf(),
            key: key.to_string(),
            message: message.to_string(),
        };
        if self.title.is_empty() {
            return Err(invalid("title", "is required: the site's name"));
        }
        if self.base_url.is_empty() {
            return Err(invalid(
                "base_url",
                "is required: the absolute URL the site is published at",
            ));
        }
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(invalid("base_url", "must be an absolute http(s) URL"));
        }
        if !self.base_url.ends_with('/') {
            self.base_url.push('/');
        }
        let web_url = |url: &str| url.starts_with("http://") || url.starts_with("https://");
        if self.repository.as_deref().is_some_and(|url| !web_url(url)) {
            return Err(invalid("repository", "must be an absolute http(s) URL"));
        }
        if self.paginate == 0 {
            return Err(invalid("paginate", "must be at least 1"));
        }
        if self.feeds.limit == 0 {
            return Err(invalid("feeds.limit", "must be at least 1"));
        }
        if self.theme.is_empty() || self.theme.contains(['/', '\\']) {
            return Err(invalid("theme", "must be a folder name under themes/"));
        }
        self.sources
            .validate()
            .map_err(|e| invalid(&e.key, &e.message))?;
        let stage_problems = self.synthesis.problems().into_iter();
        if let Some((key, message)) = stage_problems.chain(self.run.problems()).next() {
            return Err(invalid(key, &message));
        }
        for required in ["beats", "categories"] {
            if !self.taxonomies.iter().any(|t| t == required) {
                self.taxonomies.push(required.to_string());
            }
        }
        Ok(())
    }
}

/// Where a site's folders are, all under one root (`--root`, default the current folder).
#[derive(Debug, Clone)]
pub struct Paths {
    pub root: PathBuf,
}

/// The root's folders that hold inputs: a build replaces its output folder wholesale, so the
/// output may be none of these, lie inside none and contain none.
const SOURCE_FOLDERS: [&str; 6] = ["content", "data", "themes", "static", "templates", ".git"];

impl Paths {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Paths { root: root.into() }
    }
    pub fn content(&self) -> PathBuf {
        self.root.join("content")
    }
    pub fn data(&self) -> PathBuf {
        self.root.join("data")
    }
    pub fn static_dir(&self) -> PathBuf {
        self.root.join("static")
    }
    pub fn templates(&self) -> PathBuf {
        self.root.join("templates")
    }
    pub fn theme(&self, config: &Config) -> PathBuf {
        self.root.join("themes").join(&config.theme)
    }
    pub fn output(&self, config: &Config) -> PathBuf {
        self.root.join(&config.output_dir)
    }

    /// Refuses an output folder a build would destroy inputs with: the root itself, or one that
    /// is, contains or lies inside a source folder ([`SOURCE_FOLDERS`]). Symbolic links and `..`
    /// are resolved first, so no spelling slips through.
    pub fn check_output(&self, output: &Path) -> Result<(), String> {
        let output = resolved(output);
        let root = resolved(&self.root);
        if root.starts_with(&output) {
            return Err(format!(
                "`{}` is the site's root or contains it; a build replaces its output folder \
                 wholesale, so choose a folder of its own, such as `public`",
                output.display()
            ));
        }
        for name in SOURCE_FOLDERS {
            let source = resolved(&root.join(name));
            if output.starts_with(&source) || source.starts_with(&output) {
                return Err(format!(
                    "`{}` is, contains or lies inside the source folder `{name}/`; a build \
                     replaces its output folder wholesale, so choose a folder of its own, such \
                     as `public`",
                    output.display()
                ));
            }
        }
        Ok(())
    }
}

/// `path` made absolute, with `.` and `..` resolved and every existing prefix's symbolic links
/// followed, as the file system would resolve it.
fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
        if let Ok(real) = fs::canonicalize(&out) {
            out = real;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "title = \"Z\"\nbase_url = \"https://example.org\"\n";

    #[test]
    fn defaults_fill_in_and_required_taxonomies_are_added() {
        let config = Config::parse(Path::new("site.toml"), MINIMAL).unwrap();
        assert_eq!(config.base_url, "https://example.org/");
        assert_eq!(config.output_dir, PathBuf::from("public"));
        assert!(config.taxonomies.contains(&"beats".to_string()));
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let text = format!("{MINIMAL}paginat = 3\n");
        let err = Config::parse(Path::new("site.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("site.toml:"), "{err}");
        assert!(err.contains("paginat"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn output_folders_that_would_destroy_sources_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("content/stories")).unwrap();
        fs::create_dir_all(root.join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(root.join("content"), root.join("alias")).unwrap();
        let paths = Paths::new(root);
        for bad in [
            "content",
            "content/stories/out",
            "data",
            "data/../data/analysis",
            "themes",
            "static",
            "templates",
            ".git",
            ".",
            "",
            "..",
            "public/..",
            "alias/out",
        ] {
            let err = paths.check_output(&root.join(bad));
            assert!(err.is_err(), "`{bad}` was accepted");
        }
        for good in ["public", "elsewhere/site", "../site", "contents"] {
            let ok = paths.check_output(&root.join(good));
            assert!(ok.is_ok(), "`{good}`: {ok:?}");
        }

        fs::write(
            root.join(CONFIG_FILE),
            format!("{MINIMAL}output_dir = \"content\"\n"),
        )
        .unwrap();
        let err = Config::load(root).unwrap_err().to_string();
        assert!(err.contains("site.toml: `output_dir`:"), "{err}");
        assert!(err.contains("source folder `content/`"), "{err}");
    }

    #[test]
    fn repository_must_be_a_web_address() {
        let text = format!("{MINIMAL}repository = \"git@github.com:x/y\"\n");
        let err = Config::parse(Path::new("site.toml"), &text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "site.toml: `repository`: must be an absolute http(s) URL"
        );
    }

    #[test]
    fn required_keys_are_named() {
        let err = Config::parse(Path::new("site.toml"), "base_url = \"https://e.org\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "site.toml: `title`: is required: the site's name");
        let err = Config::parse(Path::new("site.toml"), "title = \"Z\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("site.toml: `base_url`: is required"),
            "{err}"
        );
    }

    #[test]
    fn bad_value_names_the_key() {
        let text = format!("{MINIMAL}paginate = 0\n");
        let err = Config::parse(Path::new("site.toml"), &text)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "site.toml: `paginate`: must be at least 1");
    }
}
