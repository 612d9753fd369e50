//! The static JSON API under `/api/v1/`: plain files any host can serve, no key needed.
//!
//! The API is described by `data/api/openapi.json` (OpenAPI 3.1); a site that ships that file
//! gets the API, published with the spec itself at `api/v1/openapi.json` (its `servers` set to
//! the build's base URL). Every file is a pure function of the stories, `data/analysis/` and the
//! store, so the same inputs give byte-identical files.
//!
//! | File | Content |
//! |---|---|
//! | `stories/index.json`, `stories/page/N.json` | story summaries, newest first, `paginate` per page |
//! | `stories/<id>.json` | one story (id: date and slug, see [`story_id`]): front matter, sanitized body HTML, citations |
//! | `beats/index.json`, `beats/<slug>.json` | beat figures and daily/hourly series |
//! | `wire.json` | the [`WIRE_ITEMS`] newest AI records |
//! | `records/index.json`, `records/YYYY-MM-DD.json` | AI records by UTC day of creation |
//! | `records/by-id/<shard>.json` | the same records by id, see [`shard_of`] |
//!
//! Records are the build's [`JoinedRecord`]s (see [`crate::site::records`]): the AI records of
//! `data/analysis/records.jsonl` (the analysis window) joined with their full text from the
//! store, so the API grows with the window, not with the whole history.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::model::analysis::{
    AggregatesFile, BeatEntry, Figures, GroupStats, PlatformMood, TaxonomyFile,
};
use crate::model::evidence::TermCount;
use crate::model::story::{EarlierStory, GroundingOutcome, StoryExtra, StorySignal, WriterInfo};
use crate::model::{RecordId, Source};
use crate::site::content::Document;
use crate::site::records::JoinedRecord;
use crate::site::render::{fingerprint, Job, Output};
use crate::site::slug::permalink;
use crate::site::{display_path, Problem, Site};
use crate::text::shorten;

/// The API's folder in the output; the version changes only with breaking changes.
pub const API_ROOT: &str = "api/v1";
/// Where the site keeps the OpenAPI document, under `data/`.
pub const SPEC_DATA_KEY: &str = "api/openapi.json";
/// Records in `wire.json`.
pub const WIRE_ITEMS: usize = 200;
/// Characters of a record's text kept in `wire.json` (the full text is in the record files).
pub const WIRE_TEXT_CHARS: usize = 500;
/// Characters of a record's title kept in `wire.json`.
pub const WIRE_TITLE_CHARS: usize = 300;
/// Number of `records/by-id/` shards; part of the API contract (clients compute the shard).
pub const SHARDS: u32 = 256;

/// The shard file of a record id: FNV-1a (32-bit) of the id's UTF-8 bytes, modulo [`SHARDS`],
/// as two lowercase hex digits. `hackernews:48663324` → `records/by-id/<shard_of(id)>.json`.
///
/// FNV-1a is written out here because it *is* the contract: clients in any language reproduce
/// it in a few lines (see the API reference), which a crate's internal hasher would not promise.
pub fn shard_of(id: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in id.as_bytes() {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{:02x}", hash % SHARDS)
}

/// The API's jobs: one per file, fingerprinted by the file's bytes. Nothing when the site has
/// no `data/api/openapi.json`.
pub fn jobs(site: &Site) -> Vec<Job> {
    if !site.data.contains_key(SPEC_DATA_KEY) {
        return Vec::new();
    }
    match files(site) {
        Ok(files) => files
            .into_iter()
            .map(|(path, bytes)| {
                let key = ("api", path.clone());
                Job::new(key, fingerprint(&bytes), move |_| {
                    Ok(vec![Output::Bytes {
                        path: path.clone(),
                        bytes: bytes.clone(),
                    }])
                })
            })
            .collect(),
        Err(problem) => vec![Job::new("api", fingerprint(&problem.message), move |_| {
            Err(problem.clone())
        })],
    }
}

/// Every API file, by output path.
pub fn files(site: &Site) -> Result<BTreeMap<String, Vec<u8>>, Problem> {
    let mut out = Files::default();
    let spec = openapi(site);
    out.put("openapi.json", &spec);
    let stories = stories(site)?;
    story_files(site, &stories, &mut out);
    let aggregates = analysis_file::<AggregatesFile>(site, "analysis/aggregates.json")?;
    let taxonomy = analysis_file::<TaxonomyFile>(site, "analysis/taxonomy.json")?;
    beat_files(
        site,
        aggregates.as_ref(),
        taxonomy.as_ref(),
        &stories,
        &mut out,
    )?;
    let records = &site.records;
    let as_of = site
        .options
        .as_of
        .or_else(|| aggregates.as_ref().map(|a| a.as_of))
        .or_else(|| records.first().map(|r| r.created_at))
        .unwrap_or_default();
    wire_file(records, as_of, &mut out);
    record_files(site, records, &mut out);
    Ok(out.0)
}

/// Output files being assembled; JSON is pretty-printed with a final newline.
#[derive(Default)]
struct Files(BTreeMap<String, Vec<u8>>);

impl Files {
    fn put(&mut self, rel: &str, value: &impl Serialize) {
        let mut bytes = serde_json::to_vec_pretty(value).expect("API values serialise");
        bytes.push(b'\n');
        self.0.insert(format!("{API_ROOT}/{rel}"), bytes);
    }
}

/// The site's OpenAPI document with `servers` pointing at this build's API.
fn openapi(site: &Site) -> Value {
    let mut spec = site.data[SPEC_DATA_KEY].clone();
    spec["servers"] = serde_json::json!([{ "url": permalink(&site.base_url, API_ROOT) }]);
    spec
}

fn api_url(site: &Site, rel: &str) -> String {
    permalink(&site.base_url, &format!("{API_ROOT}/{rel}"))
}

/// A story as listed.
#[derive(Debug, Clone, Serialize)]
pub struct StorySummary {
    /// Unique and stable: the story's path under `stories/` with `-` for `/`, so its date and
    /// slug (`2026-06-talk-of-glm-jumps`); names its file, `stories/{id}.json`.
    pub id: String,
    /// The last part of the story's URL; stories of different months may share one.
    pub slug: String,
    pub title: String,
    pub description: String,
    pub date: DateTime<Utc>,
    /// The story's web page.
    pub url: String,
    /// This story's API file.
    pub api_url: String,
    pub beat: Option<String>,
    pub beat_name: String,
    pub category: Option<String>,
    pub intensity: crate::model::story::Intensity,
    pub lead: bool,
}

/// A story with what stands behind it. Fields are listed one by one (not the front matter
/// flattened) so the API's shape changes only when this struct does.
#[derive(Debug, Clone, Serialize)]
pub struct StoryFile<'a> {
    #[serde(flatten)]
    pub summary: StorySummary,
    /// The rendered body, sanitized (no scripts, styles or event handlers).
    pub body_html: String,
    pub word_count: usize,
    pub reading_time: usize,
    /// The records the story cites, in citation order, each with its lookup file.
    pub citations: Vec<Citation>,
    /// The candidate's stable topic key.
    pub topic: &'a str,
    pub signal: &'a StorySignal,
    pub evidence: Evidence<'a>,
    pub writer: &'a WriterInfo,
    pub grounding: &'a GroundingOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follows_up: Option<&'a EarlierStory>,
}

/// The evidence frozen when the story was written.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence<'a> {
    pub records: &'a [RecordId],
    pub counts: &'a BTreeMap<Source, u64>,
    pub volume_24h: u64,
    pub baseline: f64,
    /// The window the signal fired on and its counts (the figures the story states).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<crate::model::story::WindowVolume>,
}

/// One cited record.
#[derive(Debug, Clone, Serialize)]
pub struct Citation {
    pub record_id: RecordId,
    /// `records/by-id/<shard>.json` where the record can be looked up.
    pub api_url: String,
}

struct LoadedStory<'a> {
    doc: &'a Document,
    extra: StoryExtra,
}

/// The published stories (pages under `content/stories/` whose `extra` is a story's), newest
/// first, ties by path. Two stories whose ids would be the same are an error.
fn stories(site: &Site) -> Result<Vec<LoadedStory<'_>>, Problem> {
    let mut stories = Vec::new();
    let mut ids: BTreeMap<String, &Document> = BTreeMap::new();
    for page in &site.content.pages {
        if !page.rel.starts_with("stories/") || !page.meta.extra.contains_key("topic") {
            continue;
        }
        let extra: StoryExtra = serde_json::from_value(Value::Object(page.meta.extra.clone()))
            .map_err(|e| Problem::new(&page.file, None, format!("front matter `extra`: {e}")))?;
        if let Some(other) = ids.insert(story_id(page), page) {
            return Err(Problem::new(
                &page.file,
                None,
                format!(
                    "story id `{}` is also {}'s; rename one of the files",
                    story_id(page),
                    other.file.display()
                ),
            ));
        }
        stories.push(LoadedStory { doc: page, extra });
    }
    stories.sort_by(|a, b| {
        b.doc
            .meta
            .date
            .cmp(&a.doc.meta.date)
            .then_with(|| a.doc.path.cmp(&b.doc.path))
    });
    Ok(stories)
}

/// A story's id: its page path below `/stories/`, `/` replaced by `-`
/// (`/stories/2026/06/gpt-jumps/` → `2026-06-gpt-jumps`).
pub fn story_id(doc: &Document) -> String {
    let path = doc.path.trim_matches('/');
    path.strip_prefix("stories/")
        .unwrap_or(path)
        .replace('/', "-")
}

fn summary(site: &Site, story: &LoadedStory) -> StorySummary {
    let doc = story.doc;
    let id = story_id(doc);
    let slug = doc.path.trim_end_matches('/').rsplit('/').next();
    let first = |taxonomy: &str| doc.meta.taxonomies.get(taxonomy)?.first().cloned();
    StorySummary {
        api_url: api_url(site, &format!("stories/{id}.json")),
        id,
        slug: slug.unwrap_or_default().to_string(),
        title: doc.meta.title.clone(),
        description: doc.meta.description.clone(),
        date: doc.meta.date.unwrap_or_default(),
        url: doc.permalink.clone(),
        beat: first("beats"),
        beat_name: story.extra.beat_name.clone(),
        category: first("categories"),
        intensity: story.extra.intensity,
        lead: story.extra.lead,
    }
}

/// One page of the story listing.
#[derive(Serialize)]
struct StoryPage<'a> {
    page: usize,
    pages: usize,
    per_page: usize,
    total: usize,
    prev: Option<String>,
    next: Option<String>,
    stories: &'a [StorySummary],
}

fn story_files(site: &Site, stories: &[LoadedStory], out: &mut Files) {
    let summaries: Vec<StorySummary> = stories.iter().map(|s| summary(site, s)).collect();
    let per_page = site.config.paginate.max(1);
    let chunks: Vec<&[StorySummary]> = if summaries.is_empty() {
        vec![&[]]
    } else {
        summaries.chunks(per_page).collect()
    };
    let pages = chunks.len();
    let page_url = |n: usize| api_url(site, &format!("stories/page/{n}.json"));
    for (n, chunk) in (1..).zip(&chunks) {
        let page = StoryPage {
            page: n,
            pages,
            per_page,
            total: summaries.len(),
            prev: (n > 1).then(|| page_url(n - 1)),
            next: (n < pages).then(|| page_url(n + 1)),
            stories: chunk,
        };
        out.put(&format!("stories/page/{n}.json"), &page);
        if n == 1 {
            out.put("stories/index.json", &page);
        }
    }
    let sanitizer = body_sanitizer();
    for (story, summary) in stories.iter().zip(summaries) {
        // The records the story cites (its footnotes, frozen as `quoted`); a story from before
        // they were frozen cites its whole evidence.
        let evidence = &story.extra.evidence;
        let cited: Vec<&RecordId> = if evidence.quoted.is_empty() {
            evidence.records.iter().collect()
        } else {
            evidence.quoted.iter().map(|q| &q.id).collect()
        };
        let citations = cited
            .into_iter()
            .map(|id| Citation {
                record_id: id.clone(),
                api_url: api_url(
                    site,
                    &format!("records/by-id/{}.json", shard_of(id.as_str())),
                ),
            })
            .collect();
        let extra = &story.extra;
        let file = StoryFile {
            body_html: sanitizer.clean(&story.doc.body.html).to_string(),
            word_count: story.doc.body.word_count,
            reading_time: story.doc.body.reading_time,
            citations,
            topic: &extra.topic,
            signal: &extra.signal,
            evidence: Evidence {
                records: &extra.evidence.records,
                counts: &extra.evidence.counts,
                volume_24h: extra.evidence.volume_24h,
                baseline: extra.evidence.baseline,
                window: extra.evidence.window,
            },
            writer: &extra.writer,
            grounding: &extra.grounding,
            follows_up: extra.follows_up.as_ref(),
            summary,
        };
        out.put(&format!("stories/{}.json", file.summary.id), &file);
    }
}

/// Ammonia's defaults plus `id` attributes, so footnote anchors survive.
fn body_sanitizer() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder.add_generic_attributes(["id"]);
    builder
}

/// One point of a series: the records of the period that ends at `end`.
#[derive(Debug, Clone, Serialize)]
struct Point {
    end: DateTime<Utc>,
    records: u64,
}

#[derive(Serialize)]
struct BeatSummary<'a> {
    slug: &'a str,
    name: &'a str,
    category: &'a str,
    description: &'a str,
    records_24h: u64,
    records_7d: u64,
    change_day_pct: Option<f64>,
    url: String,
    api_url: String,
}

#[derive(Serialize)]
struct BeatFile<'a> {
    #[serde(flatten)]
    summary: &'a BeatSummary<'a>,
    as_of: DateTime<Utc>,
    figures: &'a Figures,
    /// Rolling 24-hour counts, oldest first; the last ends at `as_of`.
    daily: Vec<Point>,
    /// Hourly counts, oldest first; the last ends at `as_of`.
    hourly: Vec<Point>,
    /// Keyed by the platform's name, in name order.
    sentiment: BTreeMap<&'static str, &'a PlatformMood>,
    platform_share: BTreeMap<&'static str, f64>,
    top_entities: &'a [TermCount],
    top_phrases: &'a [TermCount],
    /// Ids of the beat's stories ([`story_id`]), newest first.
    stories: Vec<String>,
}

#[derive(Serialize)]
struct BeatIndex<'a> {
    as_of: Option<DateTime<Utc>>,
    beats: &'a [BeatSummary<'a>],
}

fn analysis_problem(site: &Site, file: &str, message: impl std::fmt::Display) -> Problem {
    let path = site.paths.data().join(file);
    Problem::new(
        display_path(&site.paths.root, &path),
        None,
        message.to_string(),
    )
}

fn beat_files(
    site: &Site,
    aggregates: Option<&AggregatesFile>,
    taxonomy: Option<&TaxonomyFile>,
    stories: &[LoadedStory],
    out: &mut Files,
) -> Result<(), Problem> {
    let (Some(aggregates), Some(taxonomy)) = (aggregates, taxonomy) else {
        out.put(
            "beats/index.json",
            &BeatIndex {
                as_of: None,
                beats: &[],
            },
        );
        return Ok(());
    };
    let as_of = aggregates.as_of;
    let beats: &[BeatEntry] = &taxonomy.beats;
    let mut groups: Vec<&GroupStats> = Vec::new();
    for beat in beats {
        let group = aggregates
            .aggregates
            .beats
            .get(beat.slug.as_str())
            .ok_or_else(|| {
                analysis_problem(
                    site,
                    "analysis/aggregates.json",
                    format!(
                        "`beats.{}`: missing (taxonomy.json lists the beat)",
                        beat.slug
                    ),
                )
            })?;
        groups.push(group);
    }
    let summaries: Vec<BeatSummary> = beats
        .iter()
        .zip(&groups)
        .map(|(beat, group)| BeatSummary {
            slug: beat.slug.as_str(),
            name: &beat.name,
            category: &beat.category,
            description: &beat.description,
            records_24h: group.figures.records_24h,
            records_7d: group.figures.records_7d,
            change_day_pct: group.figures.change_day_pct,
            url: permalink(&site.base_url, &format!("beats/{}/", beat.slug)),
            api_url: api_url(site, &format!("beats/{}.json", beat.slug)),
        })
        .collect();
    out.put(
        "beats/index.json",
        &BeatIndex {
            as_of: Some(as_of),
            beats: &summaries,
        },
    );
    for (summary, group) in summaries.iter().zip(&groups) {
        let beat_stories = stories
            .iter()
            .filter(|s| {
                s.doc
                    .meta
                    .taxonomies
                    .get("beats")
                    .is_some_and(|b| b.iter().any(|b| b == summary.slug))
            })
            .map(|s| story_id(s.doc))
            .collect();
        let file = BeatFile {
            summary,
            as_of,
            figures: &group.figures,
            daily: series(&group.daily, as_of, Duration::days(1)),
            hourly: series(&group.hourly, as_of, Duration::hours(1)),
            sentiment: group
                .sentiment
                .iter()
                .map(|(s, m)| (s.as_str(), m))
                .collect(),
            platform_share: group
                .platform_share
                .iter()
                .map(|(s, share)| (s.as_str(), *share))
                .collect(),
            top_entities: &group.top_entities,
            top_phrases: &group.top_phrases,
            stories: beat_stories,
        };
        out.put(&format!("beats/{}.json", summary.slug), &file);
    }
    Ok(())
}

/// A file of `data/analysis/` as its type, or `None` when the site has no such file.
fn analysis_file<T: serde::de::DeserializeOwned>(
    site: &Site,
    file: &str,
) -> Result<Option<T>, Problem> {
    site.data
        .get(file)
        .map(|value| T::deserialize(value).map_err(|e| analysis_problem(site, file, e)))
        .transpose()
}

/// Counts, oldest first, with the end of each period; the last ends at `as_of`.
fn series(counts: &[u32], as_of: DateTime<Utc>, step: Duration) -> Vec<Point> {
    let last = counts.len().saturating_sub(1) as i32;
    (0..)
        .zip(counts)
        .map(|(i, &records)| Point {
            end: as_of - step * (last - i),
            records: u64::from(records),
        })
        .collect()
}

/// One `wire.json` item: a record cut to what a live list shows.
#[derive(Serialize)]
struct WireItem<'a> {
    id: &'a RecordId,
    source: Source,
    url: &'a str,
    title: String,
    text: String,
    created_at: DateTime<Utc>,
    beat: Option<&'a str>,
    beat_name: Option<&'a str>,
    sentiment: f64,
    sentiment_label: &'a str,
}

#[derive(Serialize)]
struct Wire<'a> {
    generated_at: DateTime<Utc>,
    items: Vec<WireItem<'a>>,
}

fn wire_file(records: &[JoinedRecord], as_of: DateTime<Utc>, out: &mut Files) {
    let items = records
        .iter()
        .take(WIRE_ITEMS)
        .map(|r| WireItem {
            id: &r.id,
            source: r.source,
            url: &r.url,
            title: shorten(&r.title, WIRE_TITLE_CHARS),
            text: shorten(&r.text, WIRE_TEXT_CHARS),
            created_at: r.created_at,
            beat: r.beat.as_deref(),
            beat_name: r.beat_name.as_deref(),
            sentiment: r.sentiment,
            sentiment_label: &r.sentiment_label,
        })
        .collect();
    out.put(
        "wire.json",
        &Wire {
            generated_at: as_of,
            items,
        },
    );
}

#[derive(Serialize)]
struct DayFile<'a> {
    date: NaiveDate,
    count: usize,
    records: Vec<&'a JoinedRecord>,
}

#[derive(Serialize)]
struct DayEntry {
    date: NaiveDate,
    count: usize,
    api_url: String,
}

#[derive(Serialize)]
struct RecordIndex {
    shards: u32,
    shard_rule: &'static str,
    days: Vec<DayEntry>,
}

#[derive(Serialize)]
struct ShardFile<'a> {
    shard: String,
    records: BTreeMap<&'a str, &'a JoinedRecord>,
}

/// `records/index.json`, one file per day (newest records first) and the id shards.
fn record_files(site: &Site, records: &[JoinedRecord], out: &mut Files) {
    let mut by_day: BTreeMap<NaiveDate, Vec<&JoinedRecord>> = BTreeMap::new();
    let mut by_shard: BTreeMap<String, BTreeMap<&str, &JoinedRecord>> = BTreeMap::new();
    for record in records {
        by_day
            .entry(record.created_at.date_naive())
            .or_default()
            .push(record);
        by_shard
            .entry(shard_of(record.id.as_str()))
            .or_default()
            .insert(record.id.as_str(), record);
    }
    let days = by_day
        .iter()
        .rev()
        .map(|(date, records)| DayEntry {
            date: *date,
            count: records.len(),
            api_url: api_url(site, &format!("records/{date}.json")),
        })
        .collect();
    out.put(
        "records/index.json",
        &RecordIndex {
            shards: SHARDS,
            shard_rule: "fnv1a32(utf8(id)) % 256, two lowercase hex digits",
            days,
        },
    );
    for (date, records) in by_day {
        let file = DayFile {
            date,
            count: records.len(),
            records,
        };
        out.put(&format!("records/{date}.json"), &file);
    }
    for (shard, records) in by_shard {
        out.put(
            &format!("records/by-id/{shard}.json"),
            &ShardFile {
                shard: shard.clone(),
                records,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_fnv1a_of_the_id() {
        // FNV-1a 32-bit reference values: "" → 0x811c9dc5, "a" → 0xe40c292c.
        assert_eq!(shard_of(""), format!("{:02x}", 0x811c_9dc5u32 % 256));
        assert_eq!(shard_of("a"), "2c");
        assert_eq!(
            shard_of("hackernews:48663324"),
            shard_of("hackernews:48663324")
        );
        assert_ne!(shard_of("reddit:1"), shard_of("reddit:2"));
    }

    #[test]
    fn series_ends_at_as_of() {
        let as_of: DateTime<Utc> = "2026-06-30T12:00:00Z".parse().unwrap();
        let points = series(&[1, 2, 3], as_of, Duration::days(1));
        assert_eq!(points[2].end, as_of);
        assert_eq!(points[0].end, as_of - Duration::days(2));
        assert_eq!(points[0].records, 1);
    }
}
