//! `[sources.*]` in `site.toml`: which platforms to collect from, what to ask them for, how much,
//! and the NAMES of the environment variables that hold credentials (never the secrets themselves).
//!
//! A source whose table is absent is disabled; a present table is enabled unless it says
//! `enabled = false`. Unknown keys are errors, like everywhere in `site.toml`. Every key with
//! its default is on [`SourcesConfig`] and the per-source structs; a full example:
//!
//! ```toml
#![doc = include_str!("sources.example.toml")]
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

/// Most records per stream (subreddit, query, feed, …) per run, unless a source says otherwise.
const DEFAULT_LIMIT: usize = 500;

/// Every source's settings plus the shared HTTP settings (`[sources.http]`). A source is
/// collected when its table is present and not `enabled = false`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcesConfig {
    /// `[sources.http]`: limits of the shared HTTP layer.
    pub http: HttpSettings,
    /// `[sources.reddit]`.
    pub reddit: Option<RedditConfig>,
    /// `[sources.bluesky]` (and `[sources.bluesky.jetstream]`).
    pub bluesky: Option<BlueskyConfig>,
    /// `[sources.hackernews]`.
    pub hackernews: Option<HackernewsConfig>,
    /// `[sources.news]`.
    pub news: Option<NewsConfig>,
    /// `[sources.youtube]`.
    pub youtube: Option<YoutubeConfig>,
    /// `[sources.mastodon]`.
    pub mastodon: Option<MastodonConfig>,
    /// `[sources.arxiv]`.
    pub arxiv: Option<ArxivConfig>,
}

/// The HTTP layer's limits, shared by every collector (`[sources.http]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Whole-request timeout (connect, headers and body), milliseconds.
    pub timeout_ms: u64,
    /// Retries after the first attempt for retryable failures (timeouts, 429, 5xx, broken bodies).
    pub max_retries: u32,
    /// First backoff delay; doubles each retry up to `backoff_max_ms`, then jittered.
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    /// A `Retry-After` or rate-limit reset longer than this fails the request instead of
    /// stalling the run.
    pub max_wait_ms: u64,
    /// Requests in flight at once to one host.
    pub per_host_concurrency: usize,
    /// Minimum gap between two requests to one host, milliseconds.
    pub per_host_interval_ms: u64,
    /// Per-host overrides of `per_host_interval_ms` (arXiv asks for 3 s between calls).
    pub host_interval_ms: BTreeMap<String, u64>,
    /// Fixed seed for backoff jitter (tests); random when absent.
    pub jitter_seed: Option<u64>,
    /// The largest response body read, in bytes; a larger one fails the request unretried
    /// (it is streamed and abandoned at the cap, never buffered whole).
    pub max_body_bytes: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            timeout_ms: 20_000,
            max_retries: 3,
            backoff_base_ms: 500,
            backoff_max_ms: 30_000,
            max_wait_ms: 120_000,
            per_host_concurrency: 2,
            per_host_interval_ms: 1000,
            host_interval_ms: BTreeMap::from([("export.arxiv.org".to_string(), 3000)]),
            jitter_seed: None,
            max_body_bytes: 10 * 1024 * 1024,
        }
    }
}

/// `[sources.reddit]`: OAuth app-only access to subreddit listings and search.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedditConfig {
    pub enabled: bool,
    /// Subreddit names without `r/`; each is read newest-first from `/r/{name}/new`.
    pub subreddits: Vec<String>,
    /// Site-wide `/search` queries, newest first.
    pub queries: Vec<String>,
    /// Most records per subreddit or query per run.
    pub limit: usize,
    /// Listing page size (Reddit allows 100).
    pub page_size: usize,
    /// Env var holding the OAuth app's client id.
    pub client_id_env: String,
    /// Env var holding the OAuth app's client secret.
    pub client_secret_env: String,
    /// API host for listings.
    pub base_url: String,
    /// Host of `/api/v1/access_token`.
    pub auth_url: String,
}

impl Default for RedditConfig {
    fn default() -> Self {
        RedditConfig {
            enabled: true,
            subreddits: Vec::new(),
            queries: Vec::new(),
            limit: DEFAULT_LIMIT,
            page_size: 100,
            client_id_env: "REDDIT_CLIENT_ID".into(),
            client_secret_env: "REDDIT_CLIENT_SECRET".into(),
            base_url: "https://oauth.reddit.com".into(),
            auth_url: "https://www.reddit.com".into(),
        }
    }
}

/// `[sources.bluesky]`: `searchPosts` with an app-password session, and optionally Jetstream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BlueskyConfig {
    pub enabled: bool,
    /// `app.bsky.feed.searchPosts` queries (Lucene-like syntax), read with `sort=latest`.
    pub queries: Vec<String>,
    pub limit: usize,
    /// searchPosts page size (at most 100).
    pub page_size: usize,
    /// Env var holding the account handle or DID.
    pub identifier_env: String,
    /// Env var holding the app password.
    pub app_password_env: String,
    /// PDS / entryway for `createSession` and the proxied app view.
    pub base_url: String,
    /// Streaming collection from Jetstream; off unless `[sources.bluesky.jetstream]` is given.
    pub jetstream: Option<JetstreamConfig>,
}

impl Default for BlueskyConfig {
    fn default() -> Self {
        BlueskyConfig {
            enabled: true,
            queries: Vec::new(),
            limit: DEFAULT_LIMIT,
            page_size: 100,
            identifier_env: "BLUESKY_IDENTIFIER".into(),
            app_password_env: "BLUESKY_APP_PASSWORD".into(),
            base_url: "https://bsky.social".into(),
            jetstream: None,
        }
    }
}

/// `[sources.bluesky.jetstream]`: a bounded read of the public post stream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JetstreamConfig {
    pub enabled: bool,
    /// The `subscribe` endpoint (`wss://…/subscribe`).
    pub url: String,
    /// Keep only posts whose text contains one of these (case-insensitive); empty keeps all.
    pub keywords: Vec<String>,
    /// Stop after this many events (posts kept or not).
    pub max_events: usize,
    /// Stop after this many seconds of streaming.
    pub max_seconds: u64,
}

impl Default for JetstreamConfig {
    fn default() -> Self {
        JetstreamConfig {
            enabled: true,
            url: "wss://jetstream2.us-east.bsky.network/subscribe".into(),
            keywords: Vec::new(),
            max_events: 5000,
            max_seconds: 60,
        }
    }
}

/// `[sources.hackernews]`: Algolia `search_by_date`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HackernewsConfig {
    pub enabled: bool,
    /// Full-text queries; an empty string reads everything of the tag.
    pub queries: Vec<String>,
    /// Algolia tags to read, each with each query: `story` and/or `comment`.
    pub tags: Vec<String>,
    pub limit: usize,
    /// `hitsPerPage` (Algolia allows up to 1000).
    pub page_size: usize,
    pub base_url: String,
}

impl Default for HackernewsConfig {
    fn default() -> Self {
        HackernewsConfig {
            enabled: true,
            queries: Vec::new(),
            tags: vec!["story".into(), "comment".into()],
            limit: DEFAULT_LIMIT,
            page_size: 100,
            base_url: "https://hn.algolia.com/api/v1".into(),
        }
    }
}

/// `[sources.news]`: RSS 2.0, Atom and JSON Feed lists plus search-query feeds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewsConfig {
    pub enabled: bool,
    /// Feed URLs read with conditional GET.
    pub feeds: Vec<String>,
    /// Feed URL templates with `{query}`, one feed per entry of `queries`.
    pub search_feeds: Vec<String>,
    pub queries: Vec<String>,
    /// Most entries per feed per run.
    pub limit: usize,
}

impl Default for NewsConfig {
    fn default() -> Self {
        NewsConfig {
            enabled: true,
            feeds: Vec::new(),
            search_feeds: Vec::new(),
            queries: Vec::new(),
            limit: DEFAULT_LIMIT,
        }
    }
}

/// `[sources.youtube]`: Data API v3 `search.list` and `videos.list`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct YoutubeConfig {
    pub enabled: bool,
    pub queries: Vec<String>,
    pub limit: usize,
    /// `maxResults` (at most 50).
    pub page_size: usize,
    /// Env var holding the API key (sent as `key=`, always redacted in messages).
    pub api_key_env: String,
    pub base_url: String,
}

impl Default for YoutubeConfig {
    fn default() -> Self {
        YoutubeConfig {
            enabled: true,
            queries: Vec::new(),
            limit: DEFAULT_LIMIT,
            page_size: 50,
            api_key_env: "YOUTUBE_API_KEY".into(),
            base_url: "https://www.googleapis.com/youtube/v3".into(),
        }
    }
}

/// `[sources.mastodon]`: hashtag timelines on chosen instances.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MastodonConfig {
    pub enabled: bool,
    /// Instance base URLs, e.g. `https://mastodon.social`.
    pub instances: Vec<String>,
    /// Hashtags without `#`.
    pub tags: Vec<String>,
    pub limit: usize,
    /// `limit` per page (Mastodon allows 40).
    pub page_size: usize,
}

impl Default for MastodonConfig {
    fn default() -> Self {
        MastodonConfig {
            enabled: true,
            instances: Vec::new(),
            tags: Vec::new(),
            limit: DEFAULT_LIMIT,
            page_size: 40,
        }
    }
}

/// `[sources.arxiv]`: the export API (Atom), newest submissions first.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArxivConfig {
    pub enabled: bool,
    /// Categories such as `cs.AI`, each queried as `cat:<name>`.
    pub categories: Vec<String>,
    /// Raw `search_query` expressions, e.g. `abs:"large language model"`.
    pub queries: Vec<String>,
    pub limit: usize,
    pub page_size: usize,
    pub base_url: String,
}

impl Default for ArxivConfig {
    fn default() -> Self {
        ArxivConfig {
            enabled: true,
            categories: Vec::new(),
            queries: Vec::new(),
            limit: DEFAULT_LIMIT,
            page_size: 100,
            base_url: "https://export.arxiv.org/api".into(),
        }
    }
}

/// A setting that is out of range: the dotted key and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidSetting {
    pub key: String,
    pub message: String,
}

impl SourcesConfig {
    /// The same settings with every source not in `keep` removed (for `collect --source …`).
    pub fn only(&self, keep: &[crate::model::Source]) -> SourcesConfig {
        use crate::model::Source;
        let pick = |source: Source| keep.contains(&source);
        SourcesConfig {
            http: self.http.clone(),
            reddit: self.reddit.clone().filter(|_| pick(Source::Reddit)),
            bluesky: self.bluesky.clone().filter(|_| pick(Source::Bluesky)),
            hackernews: self.hackernews.clone().filter(|_| pick(Source::Hackernews)),
            news: self.news.clone().filter(|_| pick(Source::News)),
            youtube: self.youtube.clone().filter(|_| pick(Source::Youtube)),
            mastodon: self.mastodon.clone().filter(|_| pick(Source::Mastodon)),
            arxiv: self.arxiv.clone().filter(|_| pick(Source::Arxiv)),
        }
    }

    /// Checks ranges, URLs and that each enabled source has something to read.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        let h = &self.http;
        check(
            h.per_host_concurrency >= 1,
            "sources.http.per_host_concurrency",
            "must be at least 1",
        )?;
        check(
            h.timeout_ms >= 1,
            "sources.http.timeout_ms",
            "must be at least 1",
        )?;
        check(
            h.max_body_bytes >= 1,
            "sources.http.max_body_bytes",
            "must be at least 1",
        )?;
        check(
            h.backoff_base_ms <= h.backoff_max_ms,
            "sources.http.backoff_base_ms",
            "must not exceed backoff_max_ms",
        )?;
        if let Some(c) = self.reddit.as_ref().filter(|c| c.enabled) {
            let n = "reddit";
            common(n, c.limit, c.page_size, 100)?;
            urls(n, "base_url", [&c.base_url, &c.auth_url])?;
            streams(
                n,
                "subreddits` or `queries",
                c.subreddits.len() + c.queries.len(),
            )?;
            env_names(
                n,
                [
                    ("client_id_env", &c.client_id_env),
                    ("client_secret_env", &c.client_secret_env),
                ],
            )?;
        }
        if let Some(c) = self.bluesky.as_ref().filter(|c| c.enabled) {
            let n = "bluesky";
            common(n, c.limit, c.page_size, 100)?;
            urls(n, "base_url", [&c.base_url])?;
            let streaming = c.jetstream.as_ref().is_some_and(|j| j.enabled);
            streams(
                n,
                "queries` or `jetstream",
                c.queries.len() + usize::from(streaming),
            )?;
            if !c.queries.is_empty() {
                env_names(
                    n,
                    [
                        ("identifier_env", &c.identifier_env),
                        ("app_password_env", &c.app_password_env),
                    ],
                )?;
            }
            if let Some(j) = c.jetstream.as_ref().filter(|j| j.enabled) {
                let ws = j.url.starts_with("ws://") || j.url.starts_with("wss://");
                check(
                    ws,
                    "sources.bluesky.jetstream.url",
                    "must be a ws:// or wss:// URL",
                )?;
                check(
                    j.max_events >= 1,
                    "sources.bluesky.jetstream.max_events",
                    "must be at least 1",
                )?;
            }
        }
        if let Some(c) = self.hackernews.as_ref().filter(|c| c.enabled) {
            let n = "hackernews";
            common(n, c.limit, c.page_size, 1000)?;
            urls(n, "base_url", [&c.base_url])?;
            streams(n, "tags", c.tags.len())?;
            for tag in &c.tags {
                check(
                    tag == "story" || tag == "comment",
                    "sources.hackernews.tags",
                    "each tag must be `story` or `comment`",
                )?;
            }
        }
        if let Some(c) = self.news.as_ref().filter(|c| c.enabled) {
            common("news", c.limit, 1, 1)?;
            urls("news", "feeds", c.feeds.iter())?;
            urls("news", "search_feeds", c.search_feeds.iter())?;
            for template in &c.search_feeds {
                check(
                    template.contains("{query}"),
                    "sources.news.search_feeds",
                    "each template must contain `{query}`",
                )?;
            }
            let searches = if c.search_feeds.is_empty() {
                0
            } else {
                c.queries.len()
            };
            streams(
                "news",
                "feeds` or `search_feeds` with `queries",
                c.feeds.len() + searches,
            )?;
        }
        if let Some(c) = self.youtube.as_ref().filter(|c| c.enabled) {
            common("youtube", c.limit, c.page_size, 50)?;
            urls("youtube", "base_url", [&c.base_url])?;
            streams("youtube", "queries", c.queries.len())?;
            env_names("youtube", [("api_key_env", &c.api_key_env)])?;
        }
        if let Some(c) = self.mastodon.as_ref().filter(|c| c.enabled) {
            common("mastodon", c.limit, c.page_size, 40)?;
            urls("mastodon", "instances", c.instances.iter())?;
            streams(
                "mastodon",
                "instances` and `tags",
                c.instances.len() * c.tags.len(),
            )?;
        }
        if let Some(c) = self.arxiv.as_ref().filter(|c| c.enabled) {
            common("arxiv", c.limit, c.page_size, 2000)?;
            urls("arxiv", "base_url", [&c.base_url])?;
            streams(
                "arxiv",
                "categories` or `queries",
                c.categories.len() + c.queries.len(),
            )?;
        }
        Ok(())
    }
}

fn check(ok: bool, key: &str, message: &str) -> Result<(), InvalidSetting> {
    if ok {
        Ok(())
    } else {
        Err(InvalidSetting {
            key: key.to_string(),
            message: message.to_string(),
        })
    }
}

fn common(
    source: &str,
    limit: usize,
    page_size: usize,
    max_page: usize,
) -> Result<(), InvalidSetting> {
    check(
        limit >= 1,
        &format!("sources.{source}.limit"),
        "must be at least 1",
    )?;
    check(
        (1..=max_page).contains(&page_size),
        &format!("sources.{source}.page_size"),
        &format!("must be between 1 and {max_page}"),
    )
}

fn urls<'a>(
    source: &str,
    key: &str,
    values: impl IntoIterator<Item = &'a String>,
) -> Result<(), InvalidSetting> {
    for url in values {
        let ok = reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        check(
            ok,
            &format!("sources.{source}.{key}"),
            &format!("`{url}` is not an absolute http(s) URL"),
        )?;
    }
    Ok(())
}

fn streams(source: &str, what: &str, count: usize) -> Result<(), InvalidSetting> {
    check(
        count > 0,
        &format!("sources.{source}"),
        &format!("enabled but has no `{what}` to read"),
    )
}

fn env_names<'a>(
    source: &str,
    names: impl IntoIterator<Item = (&'a str, &'a String)>,
) -> Result<(), InvalidSetting> {
    for (key, name) in names {
        let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        check(
            ok,
            &format!("sources.{source}.{key}"),
            "must be the NAME of an environment variable (letters, digits, `_`), not a secret",
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SourcesConfig, String> {
        let config: SourcesConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        config
            .validate()
            .map_err(|e| format!("{}: {}", e.key, e.message))?;
        Ok(config)
    }

    #[test]
    fn absent_tables_are_disabled_and_present_ones_enabled_with_defaults() {
        let config = parse("[reddit]\nsubreddits = [\"MachineLearning\"]\n").unwrap();
        let reddit = config.reddit.unwrap();
        assert!(reddit.enabled);
        assert_eq!(reddit.page_size, 100);
        assert_eq!(reddit.client_id_env, "REDDIT_CLIENT_ID");
        assert!(config.youtube.is_none());
        assert_eq!(config.http.host_interval_ms["export.arxiv.org"], 3000);
    }

    #[test]
    fn the_documented_example_is_a_valid_site_toml_fragment() {
        let text = format!(
            "title = \"Z\"\nbase_url = \"https://example.org/\"\n{}",
            include_str!("sources.example.toml")
        );
        let config =
            crate::config::Config::parse(std::path::Path::new("site.toml"), &text).unwrap();
        let sources = config.sources;
        assert_eq!(sources.reddit.as_ref().unwrap().subreddits.len(), 5);
        assert!(!sources.youtube.as_ref().unwrap().enabled);
        assert_eq!(
            sources.arxiv.as_ref().unwrap().categories,
            ["cs.AI", "cs.CL", "cs.LG"]
        );
        let arxiv_only = sources.only(&[crate::model::Source::Arxiv]);
        assert!(
            arxiv_only.arxiv.is_some() && arxiv_only.reddit.is_none() && arxiv_only.news.is_none()
        );
        assert!(!sources.bluesky.unwrap().jetstream.unwrap().enabled);
    }

    #[test]
    fn errors_through_site_toml_name_the_file_and_key() {
        let text = "title = \"Z\"\nbase_url = \"https://example.org/\"\n[sources.hackernews]\ntags = [\"poll\"]\n";
        let err = crate::config::Config::parse(std::path::Path::new("site.toml"), text)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "site.toml: `sources.hackernews.tags`: each tag must be `story` or `comment`"
        );
        let text = "title = \"Z\"\nbase_url = \"https://example.org/\"\n[sources.reddit]\nsubreddit = []\n";
        let err = crate::config::Config::parse(std::path::Path::new("site.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("site.toml:")
                && err.contains("line 4")
                && err.contains("unknown field `subreddit`"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let err = parse("[reddit]\nsubredits = []\n").unwrap_err();
        assert!(err.contains("unknown field `subredits`"), "{err}");
        let err = parse("[youtube]\nqueries = [\"ai\"]\npage_size = 51\n").unwrap_err();
        assert_eq!(err, "sources.youtube.page_size: must be between 1 and 50");
        let err =
            parse("[mastodon]\ninstances = [\"mastodon.social\"]\ntags = [\"ai\"]\n").unwrap_err();
        assert!(
            err.starts_with("sources.mastodon.instances: `mastodon.social`"),
            "{err}"
        );
        let err = parse("[youtube]\nqueries = [\"ai\"]\napi_key_env = \"AIza-secret key\"\n")
            .unwrap_err();
        assert!(err.contains("NAME of an environment variable"), "{err}");
        let err = parse("[arxiv]\n").unwrap_err();
        assert!(err.contains("no `categories` or `queries`"), "{err}");
        assert!(parse("[arxiv]\nenabled = false\n").is_ok());
    }
}
