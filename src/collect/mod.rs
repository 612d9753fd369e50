//! Collection: fetch public posts about AI from seven platforms and hand them on as per-source
//! [`Batch`]es (records, the cursor to resume from, and a [`SourceReport`]).
//!
//! Every collector speaks its platform's real wire format through the one [`HttpClient`], reads
//! credentials only from environment variables named in `[sources.*]`, keeps the good records of
//! a partly failed fetch, and never moves a stream's cursor past data it failed to get.
//! Persisting is not done here: [`run`] passes each batch to a [`BatchSink`] (the store), which
//! writes the snapshot before the cursor.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{Record, RecordId, Source};

pub mod arxiv;
pub mod bluesky;
pub mod hackernews;
pub mod mastodon;
pub mod news;
pub mod reddit;
pub mod run;
pub mod sink;
pub mod text;
pub mod youtube;

pub use crate::http::{HttpClient, HttpError, USER_AGENT};
pub use run::{
    enabled_sources, run, BatchSink, CommitReceipt, RunSummary, SinkError, SourceOutcome,
    SourceStatus,
};
pub use sink::StoreSink;

/// Where secrets come from: the process environment in production, a map in tests.
pub trait Env: Sync {
    /// The variable's value; unset and empty are both `None`.
    fn var(&self, name: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Env for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

/// What every collector needs: the HTTP client, the environment and the collection time.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub http: &'a HttpClient,
    pub env: &'a dyn Env,
    /// Stamped on every record as `collected_at`; passed in so runs are reproducible.
    pub collected_at: DateTime<Utc>,
}

impl Context<'_> {
    /// Reads the secret in env var `name`, registering it for redaction.
    pub fn secret(&self, source: Source, key: &str, name: &str) -> Result<String, CollectError> {
        let value = self
            .env
            .var(name)
            .ok_or_else(|| CollectError::MissingCredential {
                platform: source,
                key: key.to_string(),
                env: name.to_string(),
            })?;
        self.http.register_secret(&value);
        Ok(value)
    }
}

/// A source that could not collect anything at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollectError {
    #[error("sources.{platform}.{key}: environment variable {env} is not set")]
    MissingCredential {
        platform: Source,
        key: String,
        env: String,
    },
    #[error("{platform}: authentication failed: {error}")]
    Auth { platform: Source, error: HttpError },
    #[error("{platform}: authentication response lacks `{field}`")]
    AuthResponse {
        platform: Source,
        field: &'static str,
    },
    #[error("{platform}: {message}")]
    Stream { platform: Source, message: String },
}

/// What happened while collecting one source. `new` and `duplicate` first count ids within the
/// batch; the sink's [`CommitReceipt`] then updates them against what was already stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceReport {
    /// Items received from the platform (kept or not).
    pub fetched: usize,
    /// Records kept that were not seen before.
    pub new: usize,
    /// Records already seen (in this batch, or stored earlier once committed).
    pub duplicate: usize,
    /// Items dropped, counted by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Streams (subreddit, query, feed, tag, …) read.
    pub streams: usize,
    /// Streams that stopped on an error (their cursor did not move).
    pub failed_streams: usize,
    /// Details of skipped items and other non-fatal trouble, each naming its URL.
    pub warnings: Vec<String>,
    /// Stream failures, each naming its URL (secrets redacted).
    pub errors: Vec<String>,
}

impl SourceReport {
    /// Every stream failed: the source produced nothing trustworthy.
    pub fn all_streams_failed(&self) -> bool {
        self.streams > 0 && self.failed_streams == self.streams
    }
}

impl fmt::Display for SourceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let skipped: usize = self.skipped.values().sum();
        write!(
            f,
            "fetched {}, new {}, duplicate {}, skipped {}, streams {}/{} ok, errors {}",
            self.fetched,
            self.new,
            self.duplicate,
            skipped,
            self.streams - self.failed_streams,
            self.streams,
            self.errors.len()
        )
    }
}

/// One source's harvest: records sorted by id, the cursor to store once they are durable, and
/// the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub source: Source,
    pub records: Vec<Record>,
    /// Opaque per-source resume state (JSON object of per-stream markers); hand it back to the
    /// collector on the next run.
    pub cursor: Value,
    pub report: SourceReport,
}

/// Per-stream resume markers, keyed by stream (e.g. `r/MachineLearning`, `story:llm`).
pub type Cursors = BTreeMap<String, Value>;

/// A gap left when a stream stopped at its `limit` before reaching its previous marker: paging
/// resumes at `resume` (a time bound or page token, per platform) and continues down to `until`
/// (the marker the stream had before). Stored in the cursor map under `<stream>#backfill`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backfill {
    /// Where the next run continues paging (the oldest position read so far).
    pub resume: Value,
    /// The earlier marker the backfill must reach to close the gap.
    pub until: Value,
}

/// How far a paged stream got: the newest marker to store (none while only a gap was read) and
/// the gap still open, if paging stopped at the limit first.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Reached {
    pub(crate) newest: Option<Value>,
    pub(crate) backfill: Option<Backfill>,
}

/// Where a paged stream starts this run: an open gap is read first, from the position where the
/// last run stopped (`resume`) down to the marker it had before (`since`); without a gap paging
/// starts at the newest page and goes down to the stream's marker.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Start<T, R> {
    /// The stream's stored marker, if any.
    pub(crate) cursor: Option<T>,
    /// Whether an open gap is being read (its newest items are already past the marker).
    pub(crate) in_gap: bool,
    /// The lower bound paging stops at: the gap's `until`, else the stream's marker.
    pub(crate) since: Option<T>,
    /// The position to page from inside the gap; none starts at the newest page.
    pub(crate) resume: Option<R>,
}

impl<T, R> Start<T, R> {
    /// Whether an earlier run left a marker or a gap; a first run promises no history, so
    /// stopping at the limit then leaves no gap.
    pub(crate) fn has_history(&self) -> bool {
        self.in_gap || self.cursor.is_some()
    }

    /// What the stream reached: while a gap is read the marker stays (it is already past the
    /// gap), otherwise it moves to `newest`.
    pub(crate) fn reached(&self, newest: Option<Value>, backfill: Option<Backfill>) -> Reached {
        let newest = if self.in_gap { None } else { newest };
        Reached { newest, backfill }
    }
}

impl Start<String, String> {
    /// The end of a stream paged by opaque tokens below a `since` time: a token still set means
    /// the limit stopped paging, leaving a gap from it down to `since` (a first run, without
    /// `since`, promises no history and leaves none); the marker moves to `newest` unless that
    /// is the bound already stored.
    pub(crate) fn reached_at_token(
        &self,
        token: Option<String>,
        newest: Option<String>,
    ) -> Reached {
        let backfill = match (token, &self.since) {
            (Some(resume), Some(until)) => Some(Backfill {
                resume: Value::from(resume),
                until: Value::from(until.as_str()),
            }),
            _ => None,
        };
        let newest = newest
            .filter(|n| self.since.as_ref() != Some(n))
            .map(Value::from);
        self.reached(newest, backfill)
    }
}

/// A marker or page position stored as a JSON string.
pub(crate) fn as_text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_string)
}

fn backfill_key(stream: &str) -> String {
    format!("{stream}#backfill")
}

/// Reads a stored cursor back; one that is not a JSON object of markers is an error (the
/// collector then starts fresh and says so).
pub fn cursors_from(previous: Option<&Value>) -> Result<Cursors, serde_json::Error> {
    previous.map_or(Ok(Cursors::new()), |v| serde_json::from_value(v.clone()))
}

/// Accumulates one source's records and report while its streams are read.
pub(crate) struct Gather {
    source: Source,
    records: BTreeMap<RecordId, Record>,
    report: SourceReport,
    cursors: Cursors,
}

impl Gather {
    pub(crate) fn new(source: Source, previous: Option<&Value>) -> Gather {
        let mut report = SourceReport::default();
        let cursors = cursors_from(previous).unwrap_or_else(|e| {
            report.warnings.push(format!(
                "stored cursor unreadable ({e}); reading from the start"
            ));
            Cursors::new()
        });
        Gather {
            source,
            records: BTreeMap::new(),
            report,
            cursors,
        }
    }

    /// The marker a stream reached on an earlier run.
    pub(crate) fn cursor(&self, stream: &str) -> Option<&Value> {
        self.cursors.get(stream)
    }

    /// Counts items received from the wire.
    pub(crate) fn fetched(&mut self, count: usize) {
        self.report.fetched += count;
    }

    /// Keeps a record; a second copy of an id is counted as a duplicate, not kept twice.
    pub(crate) fn add(&mut self, record: Record) {
        if self.records.contains_key(&record.id) {
            self.report.duplicate += 1;
        } else {
            self.report.new += 1;
            self.records.insert(record.id.clone(), record);
        }
    }

    /// Drops an item, counting `reason` and noting where it was.
    pub(crate) fn skip(&mut self, reason: &str, place: &str) {
        *self.report.skipped.entry(reason.to_string()).or_default() += 1;
        self.report
            .warnings
            .push(format!("skipped {place}: {reason}"));
    }

    /// Drops an item on purpose (filtered out, a boost): counted, but not a warning.
    pub(crate) fn filter_out(&mut self, reason: &str) {
        *self.report.skipped.entry(reason.to_string()).or_default() += 1;
    }

    /// A non-fatal note for the report.
    pub(crate) fn warn(&mut self, message: String) {
        self.report.warnings.push(message);
    }

    /// Parses one item of a page as `T`; an item that does not fit is skipped with the reason.
    pub(crate) fn item<T: DeserializeOwned>(
        &mut self,
        value: &Value,
        place: impl Fn() -> String,
    ) -> Option<T> {
        match T::deserialize(value) {
            Ok(item) => Some(item),
            Err(error) => {
                self.skip(&error.to_string(), &place());
                None
            }
        }
    }

    /// The gap a stream left open on an earlier run, if it stopped at its limit before reaching
    /// its previous marker.
    pub(crate) fn backfill(&self, stream: &str) -> Option<Backfill> {
        self.cursors
            .get(&backfill_key(stream))
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// Where a paged stream starts: `marker` reads the stored marker and the gap's `until`,
    /// `position` the gap's `resume`.
    pub(crate) fn start<T: Clone, R>(
        &self,
        stream: &str,
        marker: impl Fn(&Value) -> Option<T>,
        position: impl Fn(&Value) -> Option<R>,
    ) -> Start<T, R> {
        let cursor = self.cursor(stream).and_then(&marker);
        match self.backfill(stream) {
            Some(gap) => Start {
                since: marker(&gap.until),
                resume: position(&gap.resume),
                in_gap: true,
                cursor,
            },
            None => Start {
                since: cursor.clone(),
                resume: None,
                in_gap: false,
                cursor,
            },
        }
    }

    /// Ends a stream: on success its marker moves to `newest` (if any); on failure the old
    /// marker stays so the next run re-reads what was lost.
    pub(crate) fn finish_stream<E: fmt::Display>(
        &mut self,
        stream: &str,
        outcome: Result<Option<Value>, E>,
    ) {
        self.report.streams += 1;
        match outcome {
            Ok(Some(newest)) => {
                self.cursors.insert(stream.to_string(), newest);
            }
            Ok(None) => {}
            Err(error) => {
                self.report.failed_streams += 1;
                self.report.errors.push(format!("{stream}: {error}"));
            }
        }
    }

    /// Ends a stream whose paging may stop at `limit`: as [`Gather::finish_stream`], and its
    /// backfill is replaced by `reached.backfill` (removed once the gap is closed). The marker
    /// may move to the newest item while a gap stays open, because the backfill records the gap
    /// and the next run reads it before anything newer.
    pub(crate) fn finish_paged_stream<E: fmt::Display>(
        &mut self,
        stream: &str,
        limit: usize,
        outcome: Result<Reached, E>,
    ) {
        let key = backfill_key(stream);
        let outcome = outcome.map(|reached| {
            match reached.backfill {
                Some(gap) => {
                    self.report.warnings.push(format!(
                        "stream {stream}: stopped at limit {limit} before reaching the previous \
                         cursor {}; will resume from {}",
                        gap.until, gap.resume
                    ));
                    let value = serde_json::to_value(gap).expect("backfill serialises");
                    self.cursors.insert(key, value);
                }
                None => {
                    self.cursors.remove(&key);
                }
            }
            reached.newest
        });
        self.finish_stream(stream, outcome);
    }

    pub(crate) fn finish(self) -> Batch {
        let cursor = serde_json::to_value(&self.cursors).expect("cursor map serialises");
        Batch {
            source: self.source,
            records: self.records.into_values().collect(),
            cursor,
            report: self.report,
        }
    }
}

/// A record with the fields every collector fills the same way; the rest start empty.
pub(crate) fn record(
    source: Source,
    kind: crate::model::Kind,
    native_id: &str,
    url: String,
    created_at: DateTime<Utc>,
    collected_at: DateTime<Utc>,
) -> Record {
    Record {
        id: RecordId::new(source, native_id),
        source,
        kind,
        url,
        title: String::new(),
        text: String::new(),
        author: None,
        author_id: None,
        community: None,
        created_at,
        collected_at,
        language: None,
        engagement: Default::default(),
        parent_id: None,
        thread_id: None,
        matched: None,
        near_duplicate_of: None,
        extra: Map::new(),
        truncated: false,
    }
}

/// The listed fields of a raw item that are present and not null, for `Record::extra`.
pub(crate) fn pick(item: &Value, keys: &[&str]) -> Map<String, Value> {
    keys.iter()
        .filter_map(|key| {
            item.get(*key)
                .filter(|v| !v.is_null())
                .map(|v| (key.to_string(), v.clone()))
        })
        .collect()
}

/// Seconds since the epoch as UTC.
pub(crate) fn from_unix(seconds: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(seconds, 0).single()
}

/// An RFC 3339 timestamp as UTC.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A URL built from a configured base and a path, with query pairs.
pub(crate) fn endpoint(
    base: &str,
    path: &str,
    query: &[(&str, &str)],
) -> Result<reqwest::Url, String> {
    let joined = format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    let mut url = reqwest::Url::parse(&joined).map_err(|e| format!("bad URL `{joined}`: {e}"))?;
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    Ok(url)
}
