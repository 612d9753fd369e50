//! The newest records, for the live wire and the beat pages: templates read them with
//! `load_data(path="analysis/records.jsonl")`, which the generic data loader cannot serve
//! because the file is JSONL, holds only annotations and may be large.
//!
//! The value is `{"items": [Item], "by_beat": {beat slug: [Item]}}`: the newest [`WIRE_LIMIT`]
//! records about AI across platforms (newest first), and the newest [`BEAT_LIMIT`] of each beat.
//! An Item has the agreed shape of `/api/v1/wire.json` items: `id`, `source`, `url`, `title`,
//! `text`, `created_at`, `beat`, `beat_name`, `sentiment`, `sentiment_label`, plus `author`
//! and `community`. The annotations come from `data/analysis/records.jsonl`, the text from the
//! record store (`data/snapshots/`). Texts are cut to [`TEXT_CHARS`]; URLs that are not
//! `http(s)` are replaced by an empty string, so a hostile link can never become a live one.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::config::Paths;
use crate::model::{Record, RecordId, Source};
use crate::site::{display_path, Problem};
use crate::store::{Store, TimeWindow};

/// Records on the wire page.
pub const WIRE_LIMIT: usize = 200;
/// Records listed on each beat page.
pub const BEAT_LIMIT: usize = 8;
/// Characters of a record's text kept for display.
pub const TEXT_CHARS: usize = 480;
/// The key templates pass to `load_data`.
pub const DATA_KEY: &str = "analysis/records.jsonl";

/// The part of an annotation line the site needs.
#[derive(Debug, Deserialize)]
struct Annotation {
    id: RecordId,
    source: Source,
    created_at: DateTime<Utc>,
    #[serde(default)]
    beats: Vec<BeatScore>,
    #[serde(default)]
    sentiment: f64,
    #[serde(default)]
    sentiment_label: String,
}

#[derive(Debug, Deserialize)]
struct BeatScore {
    beat: String,
    score: f64,
}

impl Annotation {
    /// The record's strongest beat, if any.
    fn main_beat(&self) -> Option<&str> {
        self.beats
            .iter()
            .max_by(|a, b| {
                a.score
                    .total_cmp(&b.score)
                    .then_with(|| b.beat.cmp(&a.beat))
            })
            .map(|b| b.beat.as_str())
    }
}

/// Loads the newest records, or `None` when analysis has not run (no `records.jsonl`).
pub fn load(paths: &Paths, beat_names: &Value) -> Result<Option<Value>, Problem> {
    let file = paths.data().join(DATA_KEY);
    if !file.is_file() {
        return Ok(None);
    }
    let shown = display_path(&paths.root, &file);
    let annotations = read_annotations(&file, &shown)?;
    let chosen = choose(&annotations);
    let texts = read_records(paths, &chosen, &annotations).map_err(|e| {
        Problem::new(
            display_path(&paths.root, &paths.data().join("snapshots")),
            None,
            e.to_string(),
        )
    })?;
    let names = beat_name_map(beat_names);
    let item = |index: usize| -> Option<Value> {
        let annotation = &annotations[index];
        let record = texts.get(&annotation.id)?;
        Some(wire_item(annotation, record, &names))
    };
    let items: Vec<Value> = chosen.wire.iter().filter_map(|&i| item(i)).collect();
    let by_beat: BTreeMap<&str, Vec<Value>> = chosen
        .by_beat
        .iter()
        .map(|(beat, indices)| (*beat, indices.iter().filter_map(|&i| item(i)).collect()))
        .collect();
    Ok(Some(json!({"items": items, "by_beat": by_beat})))
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
    // The file is written newest first; sorting again keeps us right if it ever is not.
    annotations.sort_by(|a: &Annotation, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.id.as_str().cmp(b.id.as_str()))
    });
    Ok(annotations)
}

/// Indices into the annotations: the wire's and each beat's newest.
struct Chosen<'a> {
    wire: Vec<usize>,
    by_beat: BTreeMap<&'a str, Vec<usize>>,
}

fn choose(annotations: &[Annotation]) -> Chosen<'_> {
    let wire: Vec<usize> = (0..annotations.len().min(WIRE_LIMIT)).collect();
    let mut by_beat: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, annotation) in annotations.iter().enumerate() {
        if let Some(beat) = annotation.main_beat() {
            let list = by_beat.entry(beat).or_default();
            if list.len() < BEAT_LIMIT {
                list.push(index);
            }
        }
    }
    Chosen { wire, by_beat }
}

/// Reads the chosen records from the store, visiting only the days they were created on.
fn read_records(
    paths: &Paths,
    chosen: &Chosen,
    annotations: &[Annotation],
) -> Result<HashMap<RecordId, Record>, crate::store::StoreError> {
    let wanted: HashMap<&RecordId, ()> = chosen
        .wire
        .iter()
        .chain(chosen.by_beat.values().flatten())
        .map(|&i| (&annotations[i].id, ()))
        .collect();
    let times = wanted_times(chosen, annotations);
    let Some((first, last)) = times else {
        return Ok(HashMap::new());
    };
    let window = TimeWindow::new(first, last + chrono::Duration::seconds(1));
    Store::open(paths.data()).fold_window(
        &window,
        HashMap::new,
        |mut found, record| {
            if wanted.contains_key(&record.id) {
                found.insert(record.id.clone(), record);
            }
            found
        },
        |mut left, right| {
            left.extend(right);
            left
        },
    )
}

fn wanted_times(
    chosen: &Chosen,
    annotations: &[Annotation],
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let times = chosen
        .wire
        .iter()
        .chain(chosen.by_beat.values().flatten())
        .map(|&i| annotations[i].created_at);
    let first = times.clone().min()?;
    let last = times.max()?;
    Some((first, last))
}

fn beat_name_map(taxonomy: &Value) -> HashMap<String, String> {
    taxonomy["beats"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| Some((b["slug"].as_str()?.into(), b["name"].as_str()?.into())))
        .collect()
}

fn wire_item(annotation: &Annotation, record: &Record, names: &HashMap<String, String>) -> Value {
    let beat = annotation.main_beat();
    json!({
        "id": record.id,
        "source": annotation.source,
        "url": safe_url(&record.url),
        "title": record.title,
        "text": shorten(&record.text, TEXT_CHARS),
        "created_at": annotation.created_at,
        "beat": beat,
        "beat_name": beat.and_then(|b| names.get(b)),
        "sentiment": annotation.sentiment,
        "sentiment_label": annotation.sentiment_label,
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

/// At most `limit` characters, cut at a word boundary with an ellipsis.
pub fn shorten(text: &str, limit: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let cut: String = text.chars().take(limit).collect();
    let at = cut.rfind(char::is_whitespace).unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end())
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
    fn shorten_cuts_at_words() {
        assert_eq!(shorten("one two three", 9), "one two…");
        assert_eq!(shorten("short", 9), "short");
    }
}
