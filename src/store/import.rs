//! `zeitgeist import`: JSONL corpora into snapshots.
//!
//! Each line is one item. A source's *corpus format* reads the fields of the real dataset
//! bundled for it (see `data/README.md`); the *record format* reads lines that already are
//! [`Record`] JSON. Bad lines are skipped and reported with their line number and field. The
//! records of the good lines go to the store as one [`Batch`](super::Batch) through
//! [`Store::commit`](super::Store::commit), so re-importing a file adds nothing.
//!
//! | source | dataset | id | url | created_at = collected_at | engagement | extra |
//! |---|---|---|---|---|---|---|
//! | hackernews | hn-ai-digest | `hackernews:<hn_id>` | `hn_url` | `digest_date`T00:00:00Z | score=`points`, replies=`num_comments` | `link` (submitted url), `digest_date` |
//! | reddit | reddit-ai-trends | `reddit:<reddit_id>` | `permalink` | `created_utc` | score=`score`, replies=`num_comments` | `flair`, `title_truncated`, `first_report`, `last_report` |
//! | bluesky | bluesky-nytimes-feed | `bluesky:<uri>` | `url` | `created_at` | score=`like_count`, replies=`reply_count`, reposts=`repost_count` | `quote_count`, `is_reply` |
//!
//! Reddit's title is `title_full` when the dataset recovered it, else `title`, and its community
//! is the bare subreddit name. Bluesky's author is `author_handle`, its author id the DID in the
//! uri and its community the account whose feed this is (`nytimes.com`).

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::model::{Engagement, Kind, Record, RecordId, Source};

/// How the lines of a JSONL file are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// The fields of the source's bundled dataset (hackernews, reddit and bluesky have one).
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
    #[error("{platform} has no corpus format (hackernews, reddit and bluesky have one); use `--format record`")]
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

/// Parses every line of a JSONL file; blank lines are ignored.
pub fn read_lines(
    path: &Path,
    source: Source,
    format: ImportFormat,
) -> Result<ParsedLines, ImportError> {
    if format == ImportFormat::Corpus
        && !matches!(
            source,
            Source::Hackernews | Source::Reddit | Source::Bluesky
        )
    {
        return Err(ImportError::NoCorpusFormat { platform: source });
    }
    let read_error = |error| ImportError::Read {
        path: path.to_path_buf(),
        error,
    };
    let reader = BufReader::new(File::open(path).map_err(read_error)?);
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

/// Turns one JSONL line into a record.
pub fn parse_line(source: Source, format: ImportFormat, line: &str) -> Result<Record, LineError> {
    let record = match (format, source) {
        (ImportFormat::Record, _) => parse_json::<Record>(line)?,
        (ImportFormat::Corpus, Source::Hackernews) => {
            parse_json::<HnDigestLine>(line)?.into_record()?
        }
        (ImportFormat::Corpus, Source::Reddit) => {
            parse_json::<RedditTrendsLine>(line)?.into_record()?
        }
        (ImportFormat::Corpus, Source::Bluesky) => {
            parse_json::<BlueskyFeedLine>(line)?.into_record()?
        }
        (ImportFormat::Corpus, other) => {
            return Err(LineError {
                field: None,
                message: format!("{other} has no corpus format"),
            })
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
    let value = serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let field = e.path().to_string();
        LineError {
            field: (field != ".").then_some(field),
            message: e.inner().to_string(),
        }
    })?;
    json.end().map_err(|e| LineError {
        field: None,
        message: e.to_string(),
    })?;
    Ok(value)
}

fn record_id(source: Source, field: &str, native: &str) -> Result<RecordId, LineError> {
    format!("{source}:{native}")
        .parse()
        .map_err(|e: crate::model::record::RecordIdError| LineError::field(field, e.to_string()))
}

/// The skeleton every corpus line fills in: a post collected when it was created.
fn post(id: RecordId, url: String, created_at: DateTime<Utc>) -> Record {
    Record {
        source: id.source(),
        id,
        kind: Kind::Post,
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
