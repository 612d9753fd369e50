//! `zeitgeist import`: JSONL corpora into snapshots.
//!
//! Each line is one item. A source's *corpus format* reads the fields of the real datasets
//! bundled for it (see `data/README.md`), telling them apart **by the fields of each line**
//! ([`Dataset::detect`]: a field only that dataset has), never by the file name; the *record
//! format* reads lines that already are [`Record`] JSON. A file may be gzipped (told by its
//! first bytes, `1f 8b`), so the 43.6 MB arXiv dataset is read as published. Bad lines are
//! skipped and reported with their line number and field. The records of the good lines,
//! optionally narrowed to a [`Subset`] of days and communities, go to the store as one
//! [`Batch`](super::Batch) through [`Store::commit`](super::Store::commit), so re-importing a
//! file adds nothing; a record whose id is already stored only fills that copy's empty fields
//! (the store's rule, see `store/mod.rs`). HTML character references are decoded by the store
//! ([`Record::sanitize`]), for imported and collected records alike.
//!
//! | source | dataset (field that tells it) | kind | id | url | created_at = collected_at | engagement | extra |
//! |---|---|---|---|---|---|---|---|
//! | hackernews | hn-ai-digest (`hn_id`) | post | `hackernews:<hn_id>` | `hn_url` | `digest_date`T00:00:00Z | score=`points`, replies=`num_comments` | `link` (submitted url), `digest_date` |
//! | reddit | reddit-ai-trends (`reddit_id`) | post | `reddit:<reddit_id>` | `permalink` | `created_utc` | score=`score`, replies=`num_comments` | `flair`, `title_truncated`, `first_report`, `last_report` |
//! | reddit | reddit-localllama-threads posts (`selftext`) | post | `reddit:<id>` | `https://www.reddit.com` + `permalink` | `created_utc` (Unix seconds) | score=`score`, replies=`num_comments` | `flair`, `link` (`url` unless `is_self`), `upvote_ratio`, `over_18` |
//! | reddit | reddit-localllama-threads comments (`link_id`) | comment | `reddit:<id>` | `permalink` | `created_utc` (Unix seconds) | score=`score` | `depth` |
//! | bluesky | bluesky-nytimes-feed (`uri`) | post | `bluesky:<uri>` | `url` | `created_at` | score=`like_count`, replies=`reply_count`, reposts=`repost_count` | `quote_count`, `is_reply` |
//! | news | news-ai-aggregator (`lede`) | article | `news:<url>` ([`article_address`]) | the same address | `published` | — | — |
//! | arxiv | arxiv-daily-ai (`first_listed`) | paper | `arxiv:<id>` (versionless) | `https://arxiv.org/abs/<id>` | `first_listed`T00:00:00Z | — | `authors`, `categories`, `comment` |
//!
//! Reddit-ai-trends' title is `title_full` when the dataset recovered it, else `title`; every
//! Reddit community is the bare subreddit name. A localllama post's text is its `selftext`, a
//! comment's its `body` (Markdown, kept as written), its `parent_id` the `reddit:` id of the
//! `t1_` comment or `t3_` post it answers and its `thread_id` the post's (`link_id`); an author
//! of `[deleted]` is no author. Bluesky's author is `author_handle`, its author id the DID in
//! the uri and its community the account whose feed this is (`nytimes.com`). A news article's
//! text is the feed's `lede` and its community the `domain`. An arXiv paper's text is its
//! abstract (whitespace collapsed, as the collector does), its author the first of `authors`,
//! its community the primary (first) category and its language `en`; the dataset has only the
//! day a paper was first listed, hence midnight.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use flate2::read::MultiGzDecoder;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::model::{article_address, Engagement, Kind, Record, RecordId, Source};

/// How the lines of a JSONL file are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// The fields of a bundled dataset of the source (hackernews, reddit, bluesky, news and
    /// arxiv have them), told apart line by line.
    Corpus,
    /// Lines that already are `Record` JSON.
    Record,
}

impl fmt::Display for ImportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImportFormat::Corpus => "corpus",
            ImportFormat::Record => "record",
        })
    }
}

/// A bundled dataset whose lines `--format corpus` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    HnDigest,
    RedditTrends,
    LocalLlamaPost,
    LocalLlamaComment,
    BlueskyFeed,
    NewsAggregator,
    ArxivDaily,
}

impl Dataset {
    /// Every dataset with its source and the field only its lines have.
    const ALL: [(Dataset, Source, &'static str); 7] = [
        (Dataset::HnDigest, Source::Hackernews, "hn_id"),
        (Dataset::RedditTrends, Source::Reddit, "reddit_id"),
        // Comments have `parent_id` too, but only they have the post's `link_id`.
        (Dataset::LocalLlamaComment, Source::Reddit, "link_id"),
        (Dataset::LocalLlamaPost, Source::Reddit, "selftext"),
        (Dataset::BlueskyFeed, Source::Bluesky, "uri"),
        (Dataset::NewsAggregator, Source::News, "lede"),
        (Dataset::ArxivDaily, Source::Arxiv, "first_listed"),
    ];

    /// The datasets of a source with the field that tells each.
    fn of(source: Source) -> impl Iterator<Item = (Dataset, &'static str)> {
        Dataset::ALL
            .into_iter()
            .filter(move |(_, of, _)| *of == source)
            .map(|(dataset, _, field)| (dataset, field))
    }

    /// Which of the source's datasets a line's fields belong to. A source with one dataset
    /// takes every line as that dataset's, so a line lacking the telling field is reported as
    /// missing it.
    pub fn detect(source: Source, fields: &Map<String, Value>) -> Result<Dataset, LineError> {
        let candidates: Vec<(Dataset, &str)> = Dataset::of(source).collect();
        if let [(only, _)] = candidates[..] {
            return Ok(only);
        }
        candidates
            .iter()
            .find(|(_, field)| fields.contains_key(*field))
            .map(|(dataset, _)| *dataset)
            .ok_or_else(|| {
                let telling: Vec<String> =
                    candidates.iter().map(|(_, f)| format!("`{f}`")).collect();
                LineError {
                    field: None,
                    message: format!(
                        "not a line of a {source} dataset: it has none of the fields {}",
                        telling.join(", ")
                    ),
                }
            })
    }

    fn parse(self, fields: &Value) -> Result<Record, LineError> {
        match self {
            Dataset::HnDigest => from_fields::<HnDigestLine>(fields)?.into_record(),
            Dataset::RedditTrends => from_fields::<RedditTrendsLine>(fields)?.into_record(),
            Dataset::LocalLlamaPost => {
                from_fields::<RedditPostLine>(fields)?.into_record(from_fields(fields)?)
            }
            Dataset::LocalLlamaComment => {
                from_fields::<RedditCommentLine>(fields)?.into_record(from_fields(fields)?)
            }
            Dataset::BlueskyFeed => from_fields::<BlueskyFeedLine>(fields)?.into_record(),
            Dataset::NewsAggregator => from_fields::<NewsAggregatorLine>(fields)?.into_record(),
            Dataset::ArxivDaily => from_fields::<ArxivDailyLine>(fields)?.into_record(),
        }
    }
}

/// Why one line was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The field at fault, when one is (`engagement.score`, `uri`).
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "field `{field}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl LineError {
    fn field(field: &str, message: impl Into<String>) -> LineError {
        LineError {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }
}

/// A line that was skipped, for the summary: `<file>:<line>: <error>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedLine {
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    pub error: LineError,
}

impl fmt::Display for SkippedLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.error)
    }
}

/// Errors that stop an import as a whole (bad lines only get skipped).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// (The I/O error is part of the message, not a chained source, so it is printed once.)
    #[error("{path}: {error}")]
    Read { path: PathBuf, error: io::Error },
    #[error("{platform} has no corpus format (hackernews, reddit, bluesky, news and arxiv have one); use `--format record`")]
    NoCorpusFormat { platform: Source },
}

/// The lines of a corpus file that parsed, and those that did not.
#[derive(Debug, Clone, Default)]
pub struct ParsedLines {
    /// Non-blank lines read.
    pub lines: usize,
    /// The records of the good lines, in file order.
    pub records: Vec<Record>,
    /// The bad lines, in file order.
    pub skipped: Vec<SkippedLine>,
}

impl ParsedLines {
    /// Keeps only the records `subset` admits; returns how many were left out.
    pub fn keep_only(&mut self, subset: &Subset) -> usize {
        let before = self.records.len();
        self.records.retain(|record| subset.admits(record));
        before - self.records.len()
    }
}

/// The part of a dataset to import (`--from`, `--to`, `--community`): the bundled arXiv papers
/// are one category over two periods of a far larger file. Empty fields admit everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subset {
    /// First UTC day of `created_at` to keep.
    pub from: Option<NaiveDate>,
    /// Last UTC day of `created_at` to keep.
    pub to: Option<NaiveDate>,
    /// Communities to keep (subreddit, domain, arXiv primary category); all when empty.
    pub communities: Vec<String>,
}

impl Subset {
    /// Whether a record falls in the chosen days and communities.
    pub fn admits(&self, record: &Record) -> bool {
        let day = record.created_at.date_naive();
        self.from.is_none_or(|from| from <= day)
            && self.to.is_none_or(|to| day <= to)
            && (self.communities.is_empty()
                || record
                    .community
                    .as_ref()
                    .is_some_and(|c| self.communities.contains(c)))
    }

    /// Whether anything is left out at all.
    pub fn is_everything(&self) -> bool {
        *self == Subset::default()
    }
}

/// Parses every line of a JSONL file, plain or gzipped; blank lines are ignored.
pub fn read_lines(
    path: &Path,
    source: Source,
    format: ImportFormat,
) -> Result<ParsedLines, ImportError> {
    if format == ImportFormat::Corpus && Dataset::of(source).next().is_none() {
        return Err(ImportError::NoCorpusFormat { platform: source });
    }
    let read_error = |error| ImportError::Read {
        path: path.to_path_buf(),
        error,
    };
    let reader = open_maybe_gzipped(path).map_err(read_error)?;
    let mut parsed = ParsedLines::default();
    for (index, bytes) in reader.split(b'\n').enumerate() {
        let bytes = bytes.map_err(read_error)?;
        let line = match std::str::from_utf8(&bytes) {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => parse_line(source, format, line),
            Err(e) => Err(LineError {
                field: None,
                message: format!("not UTF-8: {e}"),
            }),
        };
        parsed.lines += 1;
        match line {
            Ok(record) => parsed.records.push(record),
            Err(error) => parsed.skipped.push(SkippedLine {
                path: path.to_path_buf(),
                line: index + 1,
                error,
            }),
        }
    }
    Ok(parsed)
}

/// A buffered reader of the file's text, through gzip when the file starts with its magic
/// bytes (whatever its name).
fn open_maybe_gzipped(path: &Path) -> io::Result<Box<dyn BufRead>> {
    let mut file = BufReader::new(File::open(path)?);
    let gzipped = file.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzipped {
        Box::new(BufReader::new(MultiGzDecoder::new(file)))
    } else {
        Box::new(file)
    })
}

/// Turns one JSONL line into a record.
pub fn parse_line(source: Source, format: ImportFormat, line: &str) -> Result<Record, LineError> {
    let record = match format {
        ImportFormat::Record => parse_json::<Record>(line)?,
        ImportFormat::Corpus => {
            let fields = parse_json::<Map<String, Value>>(line)?;
            let dataset = Dataset::detect(source, &fields)?;
            dataset.parse(&Value::Object(fields))?
        }
    };
    if record.source != source {
        return Err(LineError::field(
            "source",
            format!("is {}, the import is for {source}", record.source),
        ));
    }
    Ok(record)
}

/// Deserialises a whole line, naming the field that failed.
fn parse_json<T: DeserializeOwned>(line: &str) -> Result<T, LineError> {
    let mut json = serde_json::Deserializer::from_str(line);
    let value = serde_path_to_error::deserialize(&mut json).map_err(path_error)?;
    json.end().map_err(|e| LineError {
        field: None,
        message: e.to_string(),
    })?;
    Ok(value)
}

/// Reads a dataset's line type (or the part several share) from the line's fields, naming the
/// field that failed.
fn from_fields<T: DeserializeOwned>(fields: &Value) -> Result<T, LineError> {
    serde_path_to_error::deserialize(fields).map_err(path_error)
}

fn path_error<E: fmt::Display>(e: serde_path_to_error::Error<E>) -> LineError {
    let field = e.path().to_string();
    LineError {
        field: (field != ".").then_some(field),
        message: e.inner().to_string(),
    }
}

fn record_id(source: Source, field: &str, native: &str) -> Result<RecordId, LineError> {
    format!("{source}:{native}")
        .parse()
        .map_err(|e: crate::model::record::RecordIdError| LineError::field(field, e.to_string()))
}

/// The skeleton every corpus line fills in: an item collected when it was created.
fn item(kind: Kind, id: RecordId, url: String, created_at: DateTime<Utc>) -> Record {
    Record {
        source: id.source(),
        id,
        kind,
        url,
        title: String::new(),
        text: String::new(),
        author: None,
        author_id: None,
        community: None,
        created_at,
        collected_at: created_at,
        language: None,
        engagement: Engagement::default(),
        parent_id: None,
        thread_id: None,
        matched: None,
        near_duplicate_of: None,
        extra: Map::new(),
        truncated: false,
    }
}

fn post(id: RecordId, url: String, created_at: DateTime<Utc>) -> Record {
    item(Kind::Post, id, url, created_at)
}

/// Keeps the present values only.
fn extra<const N: usize>(fields: [(&str, Option<Value>); N]) -> Map<String, Value> {
    fields
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_string(), value?)))
        .collect()
}

/// A line of `hn-ai-digest/hn_ai_stories.jsonl`.
#[derive(Debug, Deserialize)]
struct HnDigestLine {
    hn_id: u64,
    title: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    points: Option<i64>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    num_comments: Option<i64>,
    digest_date: NaiveDate,
    hn_url: String,
}

impl HnDigestLine {
    fn into_record(self) -> Result<Record, LineError> {
        let id = record_id(Source::Hackernews, "hn_id", &self.hn_id.to_string())?;
        // The digest has no per-story time; the stories are from the day before the digest.
        let created_at = self.digest_date.and_time(NaiveTime::MIN).and_utc();
        Ok(Record {
            title: self.title,
            author: self.author,
            engagement: Engagement {
                score: self.points,
                replies: self.num_comments,
                ..Engagement::default()
            },
            extra: extra([
                ("link", self.url.map(Value::from)),
                ("digest_date", Some(json!(self.digest_date))),
            ]),
            ..post(id, self.hn_url, created_at)
        })
    }
}

/// A line of `reddit-ai-trends/reddit_ai_posts.jsonl`.
#[derive(Debug, Deserialize)]
struct RedditTrendsLine {
    reddit_id: String,
    title: String,
    #[serde(default)]
    title_full: Option<String>,
    #[serde(default)]
    title_truncated: Option<bool>,
    subreddit: String,
    #[serde(default)]
    score: Option<i64>,
    #[serde(default)]
    num_comments: Option<i64>,
    #[serde(default)]
    flair: Option<String>,
    created_utc: DateTime<Utc>,
    permalink: String,
    #[serde(default)]
    first_report: Option<NaiveDate>,
    #[serde(default)]
    last_report: Option<NaiveDate>,
}

impl RedditTrendsLine {
    fn into_record(self) -> Result<Record, LineError> {
        let id = record_id(Source::Reddit, "reddit_id", &self.reddit_id)?;
        Ok(Record {
            title: self.title_full.unwrap_or(self.title),
            community: Some(self.subreddit),
            engagement: Engagement {
                score: self.score,
                replies: self.num_comments,
                ..Engagement::default()
            },
            extra: extra([
                ("flair", self.flair.map(Value::from)),
                ("title_truncated", self.title_truncated.map(Value::from)),
                ("first_report", self.first_report.map(|d| json!(d))),
                ("last_report", self.last_report.map(|d| json!(d))),
            ]),
            ..post(id, self.permalink, self.created_utc)
        })
    }
}

/// A line of `bluesky-nytimes-feed/bluesky_nytimes_posts.jsonl`.
#[derive(Debug, Deserialize)]
struct BlueskyFeedLine {
    uri: String,
    author_handle: String,
    created_at: DateTime<Utc>,
    text: String,
    #[serde(default)]
    is_reply: Option<bool>,
    #[serde(default)]
    like_count: Option<i64>,
    #[serde(default)]
    repost_count: Option<i64>,
    #[serde(default)]
    reply_count: Option<i64>,
    #[serde(default)]
    quote_count: Option<i64>,
    url: String,
}

impl BlueskyFeedLine {
    fn into_record(self) -> Result<Record, LineError> {
        let did = did_of(&self.uri).ok_or_else(|| {
            LineError::field("uri", format!("`{}` is not an at://did:…/… uri", self.uri))
        })?;
        let id = record_id(Source::Bluesky, "uri", &self.uri)?;
        Ok(Record {
            text: self.text,
            author_id: Some(did.to_string()),
            // An author feed: the account is the community.
            community: Some(self.author_handle.clone()),
            author: Some(self.author_handle),
            engagement: Engagement {
                score: self.like_count,
                replies: self.reply_count,
                reposts: self.repost_count,
                views: None,
            },
            extra: extra([
                ("quote_count", self.quote_count.map(Value::from)),
                ("is_reply", self.is_reply.map(Value::from)),
            ]),
            ..post(id, self.url, self.created_at)
        })
    }
}

/// The DID in `at://<did>/<collection>/<rkey>`.
fn did_of(uri: &str) -> Option<&str> {
    let authority = uri.strip_prefix("at://")?.split('/').next()?;
    authority.starts_with("did:").then_some(authority)
}

/// Reddit's placeholder author of a deleted account: no author at all.
const DELETED_AUTHOR: &str = "[deleted]";

fn reddit_author(author: Option<String>) -> Option<String> {
    author.filter(|a| a != DELETED_AUTHOR && !a.is_empty())
}

/// A Reddit `created_utc` (Unix seconds; the API sends them as floats).
fn reddit_time(field: &str, seconds: f64) -> Result<DateTime<Utc>, LineError> {
    DateTime::from_timestamp(seconds as i64, 0)
        .ok_or_else(|| LineError::field(field, format!("{seconds} is out of range")))
}

/// A Reddit permalink as an address: the API's are site-relative, the dataset's absolute.
fn reddit_url(permalink: &str) -> String {
    if permalink.starts_with('/') {
        format!("https://www.reddit.com{permalink}")
    } else {
        permalink.to_string()
    }
}

/// The `reddit:` id a fullname (`t1_…` comment, `t3_…` post) names, if it has one of `kinds`.
fn fullname_id(field: &str, fullname: &str, kinds: &[&str]) -> Result<RecordId, LineError> {
    let native = kinds
        .iter()
        .find_map(|kind| fullname.strip_prefix(kind))
        .ok_or_else(|| {
            LineError::field(
                field,
                format!("`{fullname}` is not a {} fullname", kinds.join(" or ")),
            )
        })?;
    record_id(Source::Reddit, field, native)
}

/// The fields a Reddit post and comment share, as Reddit's API names them (read from the same
/// line as the kind's own fields: `#[serde(flatten)]` would lose the failing field's name).
#[derive(Debug, Deserialize)]
struct RedditItem {
    id: String,
    subreddit: String,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    score: Option<i64>,
    created_utc: f64,
    permalink: String,
}

impl RedditItem {
    /// The record both kinds start from: id, address, time, author, subreddit and score.
    fn into_record(self, kind: Kind) -> Result<Record, LineError> {
        let id = record_id(Source::Reddit, "id", &self.id)?;
        let created_at = reddit_time("created_utc", self.created_utc)?;
        Ok(Record {
            author: reddit_author(self.author),
            community: Some(self.subreddit),
            engagement: Engagement {
                score: self.score,
                ..Engagement::default()
            },
            ..item(kind, id, reddit_url(&self.permalink), created_at)
        })
    }
}

/// A line of `reddit-localllama-threads/posts.jsonl`.
#[derive(Debug, Deserialize)]
struct RedditPostLine {
    title: String,
    selftext: String,
    #[serde(default)]
    upvote_ratio: Option<f64>,
    #[serde(default)]
    num_comments: Option<i64>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    link_flair_text: Option<String>,
    #[serde(default)]
    over_18: Option<bool>,
    #[serde(default)]
    is_self: Option<bool>,
}

impl RedditPostLine {
    fn into_record(self, item: RedditItem) -> Result<Record, LineError> {
        let mut record = item.into_record(Kind::Post)?;
        // A self post's `url` is its own permalink; only a link post points elsewhere.
        let link = self.url.filter(|_| self.is_self == Some(false));
        record.title = self.title;
        record.text = self.selftext;
        record.engagement.replies = self.num_comments;
        record.extra = extra([
            ("flair", self.link_flair_text.map(Value::from)),
            ("link", link.map(Value::from)),
            ("upvote_ratio", self.upvote_ratio.map(Value::from)),
            ("over_18", self.over_18.map(Value::from)),
        ]);
        Ok(record)
    }
}

/// A line of `reddit-localllama-threads/comments.jsonl`.
#[derive(Debug, Deserialize)]
struct RedditCommentLine {
    link_id: String,
    parent_id: String,
    body: String,
    #[serde(default)]
    depth: Option<u32>,
}

impl RedditCommentLine {
    fn into_record(self, item: RedditItem) -> Result<Record, LineError> {
        let mut record = item.into_record(Kind::Comment)?;
        record.parent_id = Some(fullname_id("parent_id", &self.parent_id, &["t1_", "t3_"])?);
        record.thread_id = Some(fullname_id("link_id", &self.link_id, &["t3_"])?);
        record.text = self.body;
        record.extra = extra([("depth", self.depth.map(Value::from))]);
        Ok(record)
    }
}

/// A line of `news-ai-aggregator/ai_news_updates.jsonl`: one item of a tech-press feed.
#[derive(Debug, Deserialize)]
struct NewsAggregatorLine {
    title: String,
    published: DateTime<Utc>,
    url: String,
    domain: String,
    lede: String,
}

impl NewsAggregatorLine {
    fn into_record(self) -> Result<Record, LineError> {
        // The news collector's scheme: the article's address is its id.
        let address = article_address(&self.url);
        let id = record_id(Source::News, "url", &address)?;
        Ok(Record {
            title: self.title,
            text: self.lede,
            community: Some(self.domain),
            ..item(Kind::Article, id, address, self.published)
        })
    }
}

/// A line of `arxiv-daily-ai/arxiv_ai_papers.jsonl.gz`: a paper as first listed.
#[derive(Debug, Deserialize)]
struct ArxivDailyLine {
    id: String,
    first_listed: NaiveDate,
    title: String,
    authors: Vec<String>,
    categories: Vec<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(rename = "abstract")]
    summary: String,
}

impl ArxivDailyLine {
    fn into_record(self) -> Result<Record, LineError> {
        // The arXiv collector's ids are versionless (`2503.11677`, `hep-th/9901001`).
        let versioned = self
            .id
            .rsplit_once('v')
            .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if versioned {
            return Err(LineError::field(
                "id",
                format!(
                    "`{}` has a version; arXiv ids here are versionless",
                    self.id
                ),
            ));
        }
        let id = record_id(Source::Arxiv, "id", &self.id)?;
        let url = format!("https://arxiv.org/abs/{}", self.id);
        let created_at = self.first_listed.and_time(NaiveTime::MIN).and_utc();
        Ok(Record {
            title: one_line(&self.title),
            text: one_line(&self.summary),
            author: self.authors.first().cloned(),
            community: self.categories.first().cloned(),
            language: Some("en".into()),
            extra: extra([
                ("authors", Some(json!(self.authors))),
                ("categories", Some(json!(self.categories))),
                ("comment", self.comment.map(Value::from)),
            ]),
            ..item(Kind::Paper, id, url, created_at)
        })
    }
}

/// Text with every run of whitespace, line breaks included, as one space: arXiv wraps titles
/// and abstracts at ~80 columns.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
