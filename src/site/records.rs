//! The analysis window's AI records joined with their stored text, loaded once per build
//! and shared by every generator that shows records: the templates, the JSON API
//! ([`crate::site::api`]) and the search index.
//!
//! Each line of `data/analysis/records.jsonl` (the annotations the analysis stage wrote) is
//! joined with its record from the store (`data/snapshots/`, read only for the days the file
//! covers) into one [`JoinedRecord`]; records the store no longer holds are left out. Two
//! rules live here and nowhere else: a record's link is kept only when it is `http(s)`
//! ([`safe_url`]), and its main beat is the best-scoring one, the first of equals.
//!
//! Templates read the newest of them with `load_data(path="analysis/records.jsonl")` as
//! `{"items": [Item], "by_beat": {beat slug: [Item]}}`: the newest [`WIRE_LIMIT`] records
//! (newest first) and the newest [`BEAT_LIMIT`] of each beat. An Item has the agreed shape of
//! `/api/v1/wire.json` items: `id`, `source`, `url`, `title`, `text`, `created_at`, `beat`,
//! `beat_name`, `sentiment`, `sentiment_label`, plus `author` and `community`; its title is cut
//! to [`TITLE_CHARS`] and its text to [`TEXT_CHARS`], at a word.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::config::Paths;
use crate::model::analysis::TaxonomyFile;
use crate::model::{Engagement, Kind, Record, RecordId, Source};
use crate::site::{display_path, Problem};
use crate::store::{Store, TimeWindow};
use crate::text::shorten;

/// Records on the wire page.
pub const WIRE_LIMIT: usize = 200;
/// Records listed on each beat page.
pub const BEAT_LIMIT: usize = 8;
/// Characters of a record's text kept for display.
pub const TEXT_CHARS: usize = 480;
/// Characters of a record's title kept for display.
pub const TITLE_CHARS: usize = 300;
/// The key templates pass to `load_data`.
pub const DATA_KEY: &str = "analysis/records.jsonl";

/// The joined records of a build, newest first (ties by id), shared by the generators.
pub type JoinedRecords = Arc<Vec<JoinedRecord>>;

/// One line of `data/analysis/records.jsonl`, as far as the site needs it.
#[derive(Debug, Deserialize)]
struct Annotation {
    id: RecordId,
    created_at: DateTime<Utc>,
    #[serde(default)]
    beats: Vec<BeatScore>,
    #[serde(default)]
    sentiment: f64,
    #[serde(default)]
    sentiment_label: String,
    #[serde(default)]
    duplicate_of: Option<RecordId>,
}

/// A beat a record was sorted into, with the classifier's score.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BeatScore {
    pub beat: String,
    pub score: f64,
}

/// An AI record of the analysis window: the stored record and its annotation. Serialised as
/// the API's record files publish it (the field order is part of those files).
#[derive(Debug, Clone, Serialize)]
pub struct JoinedRecord {
    pub id: RecordId,
    pub source: Source,
    pub kind: Kind,
    /// The record's link when it is `http(s)`, else empty (see [`safe_url`]).
    pub url: String,
    /// Title and text cleaned for readers (`text::clean_title`, `text::clean`).
    pub title: String,
    pub text: String,
    pub author: Option<String>,
    pub community: Option<String>,
    pub created_at: DateTime<Utc>,
    pub language: Option<String>,
    pub engagement: Engagement,
    /// The best beat's slug and name (null when the record fits no beat).
    pub beat: Option<String>,
    pub beat_name: Option<String>,
    pub beats: Vec<BeatScore>,
    pub sentiment: f64,
    pub sentiment_label: String,
    pub duplicate_of: Option<RecordId>,
}

/// The best-scoring beat (the first of equals; the analysis stage lists beats by score,
/// then slug).
fn main_beat(beats: &[BeatScore]) -> Option<String> {
    let best = beats
        .iter()
        .reduce(|best, b| if b.score > best.score { b } else { best })?;
    Some(best.beat.clone())
}

/// Loads and joins the analysis window's records, or `None` when analysis has not run (no
/// `records.jsonl`). `taxonomy` is `analysis/taxonomy.json`, for the beats' names.
pub fn load(
    paths: &Paths,
    taxonomy: Option<&TaxonomyFile>,
) -> Result<Option<Vec<JoinedRecord>>, Problem> {
    let file = paths.data().join(DATA_KEY);
    if !file.is_file() {
        return Ok(None);
    }
    let annotations = read_annotations(&file, &display_path(&paths.root, &file))?;
    let stored = read_records(paths, &annotations).map_err(|e| {
        Problem::new(
            display_path(&paths.root, &paths.data().join("snapshots")),
            None,
            e.to_string(),
        )
    })?;
    let names = beat_name_map(taxonomy);
    let mut records: Vec<JoinedRecord> = annotations
        .into_iter()
        .filter_map(|annotation| {
            let record = stored.get(&annotation.id)?;
            Some(join(annotation, record, &names))
        })
        .collect();
    records.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(Some(records))
}

fn read_annotations(file: &Path, shown: &Path) -> Result<Vec<Annotation>, Problem> {
    let reader = std::fs::File::open(file)
        .map(BufReader::new)
        .map_err(|e| Problem::new(shown, None, format!("cannot read: {e}")))?;
    let mut annotations = Vec::new();
    for (number, line) in (1..).zip(reader.lines()) {
        let line = line.map_err(|e| Problem::new(shown, Some(number), e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let annotation = serde_json::from_str(&line)
            .map_err(|e| Problem::new(shown, Some(number), format!("invalid record line: {e}")))?;
        annotations.push(annotation);
    }
    Ok(annotations)
}

/// The stored records of the annotated ids, reading only the days the annotations span.
fn read_records(
    paths: &Paths,
    annotations: &[Annotation],
) -> Result<HashMap<RecordId, Record>, crate::store::StoreError> {
    let wanted: HashSet<&RecordId> = annotations.iter().map(|a| &a.id).collect();
    let days = annotations.iter().map(|a| a.created_at.date_naive());
    let window = match (days.clone().min(), days.max()) {
        (Some(first), Some(last)) => TimeWindow::days(first, last),
        _ => return Ok(HashMap::new()),
    };
    let records = Store::open(paths.data()).read_window(&window)?;
    Ok(records
        .into_iter()
        .filter(|r| wanted.contains(&r.id))
        .map(|r| (r.id.clone(), r))
        .collect())
}

fn beat_name_map(taxonomy: Option<&TaxonomyFile>) -> HashMap<String, String> {
    taxonomy
        .into_iter()
        .flat_map(|t| &t.beats)
        .map(|b| (b.slug.to_string(), b.name.clone()))
        .collect()
}

fn join(annotation: Annotation, record: &Record, names: &HashMap<String, String>) -> JoinedRecord {
    let beat = main_beat(&annotation.beats);
    JoinedRecord {
        id: annotation.id,
        source: record.source,
        kind: record.kind,
        url: safe_url(&record.url),
        // Readers see record text cleaned once, here, wherever it is shown (cards, wire, API,
        // search): entities decoded, Markdown removed, a title the platform cut mid-word
        // ending on a whole word and `…`.
        title: crate::text::clean_title(&record.title),
        text: crate::text::clean(&record.text),
        author: record.author.as_deref().map(crate::text::clean_title),
        community: record.community.clone(),
        created_at: record.created_at,
        language: record.language.clone(),
        engagement: record.engagement.clone(),
        beat_name: beat.as_ref().and_then(|b| names.get(b).cloned()),
        beat,
        beats: annotation.beats,
        sentiment: annotation.sentiment,
        sentiment_label: annotation.sentiment_label,
        duplicate_of: annotation.duplicate_of,
    }
}

/// What templates load as `analysis/records.jsonl`: the wire's newest records and each
/// beat's newest, from the joined records (newest first).
pub fn template_value(records: &[JoinedRecord]) -> Value {
    let items: Vec<Value> = records.iter().take(WIRE_LIMIT).map(template_item).collect();
    let mut by_beat: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for record in records {
        if let Some(beat) = record.beat.as_deref() {
            let list = by_beat.entry(beat).or_default();
            if list.len() < BEAT_LIMIT {
                list.push(template_item(record));
            }
        }
    }
    json!({"items": items, "by_beat": by_beat})
}

fn template_item(record: &JoinedRecord) -> Value {
    json!({
        "id": record.id,
        "source": record.source,
        "url": record.url,
        "title": shorten(&record.title, TITLE_CHARS),
        "text": shorten(&record.text, TEXT_CHARS),
        "created_at": record.created_at,
        "beat": record.beat,
        "beat_name": record.beat_name,
        "sentiment": record.sentiment,
        "sentiment_label": record.sentiment_label,
        "author": record.author,
        "community": record.community,
    })
}

/// The URL when it is `http:` or `https:`, else empty: `javascript:`, `data:` and relative
/// links from a record must never become clickable.
pub fn safe_url(url: &str) -> String {
    let lower = url.trim_start().to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        url.trim().to_string()
    } else {
        String::new()
    }
}

/// Adds the `safe_url` filter: templates pass any link taken from a record through it.
pub fn register(tera: &mut tera::Tera) {
    tera.register_filter("safe_url", |value: &Value, _: &HashMap<String, Value>| {
        Ok(Value::String(safe_url(value.as_str().unwrap_or_default())))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_survive() {
        assert_eq!(safe_url("https://x.org/a"), "https://x.org/a");
        assert_eq!(safe_url(" HTTP://x.org"), "HTTP://x.org");
        assert_eq!(safe_url("javascript:alert(1)"), "");
        assert_eq!(safe_url(" JavaScript:alert(1)"), "");
        assert_eq!(safe_url("data:text/html,<script>"), "");
        assert_eq!(safe_url("/relative"), "");
    }

    #[test]
    fn main_beat_is_the_best_scoring() {
        let beats = |scores: &[(&str, f64)]| -> Vec<BeatScore> {
            scores
                .iter()
                .map(|(beat, score)| BeatScore {
                    beat: beat.to_string(),
                    score: *score,
                })
                .collect()
        };
        assert_eq!(
            main_beat(&beats(&[("a", 1.0), ("b", 3.0)])),
            Some("b".into())
        );
        assert_eq!(
            main_beat(&beats(&[("a", 2.0), ("b", 2.0)])),
            Some("a".into())
        );
        assert_eq!(main_beat(&[]), None);
    }
}
