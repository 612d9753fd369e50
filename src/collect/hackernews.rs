//! Hacker News through Algolia's `search_by_date`: stories and comments, newest first, paged by
//! `created_at_i` (each page asks for items no newer than the oldest of the previous page), and
//! resumed from the newest `created_at_i` seen (`numericFilters=created_at_i>X`).

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::Value;

use super::text::html_to_text;
use super::{
    endpoint, from_unix, pick, record, Backfill, Batch, CollectError, Context, Gather, Reached,
};
use crate::config::sources::HackernewsConfig;
use crate::model::{Kind, Record, RecordId, Source};

/// One Algolia hit; only `objectID` and `created_at_i` are required, the rest vary by tag and age.
#[derive(Debug, Deserialize)]
struct Hit {
    #[serde(rename = "objectID")]
    object_id: String,
    created_at_i: i64,
    title: Option<String>,
    url: Option<String>,
    author: Option<String>,
    points: Option<i64>,
    story_text: Option<String>,
    comment_text: Option<String>,
    num_comments: Option<i64>,
    story_id: Option<i64>,
    parent_id: Option<i64>,
}

/// Reads every `tag × query` stream of `[sources.hackernews]`.
pub async fn collect(
    config: &HackernewsConfig,
    ctx: Context<'_>,
    previous: Option<&Value>,
) -> Result<Batch, CollectError> {
    let mut gather = Gather::new(Source::Hackernews, previous);
    let queries: Vec<&str> = if config.queries.is_empty() {
        vec![""]
    } else {
        config.queries.iter().map(String::as_str).collect()
    };
    for tag in &config.tags {
        for query in &queries {
            let stream = if query.is_empty() {
                tag.clone()
            } else {
                format!("{tag}:{query}")
            };
            let outcome = read_stream(config, ctx, &mut gather, &stream, tag, query).await;
            gather.finish_paged_stream(&stream, config.limit, outcome);
        }
    }
    Ok(gather.finish())
}

async fn read_stream(
    config: &HackernewsConfig,
    ctx: Context<'_>,
    gather: &mut Gather,
    stream: &str,
    tag: &str,
    query: &str,
) -> Result<Reached, String> {
    // An open gap is read first (newest items wait for the next run; the cursor is already
    // past them): from where the last run stopped down to the cursor it had before.
    let start = gather.start(stream, Value::as_i64, Value::as_i64);
    let since = start.since.unwrap_or(0);
    let mut upper = start.resume;
    let mut newest: Option<i64> = None;
    let mut seen = HashSet::new();
    let page_size = config.page_size.to_string();
    let mut exhausted = false;
    while seen.len() < config.limit {
        let mut filters = format!("created_at_i>{since}");
        if let Some(upper) = upper {
            filters.push_str(&format!(",created_at_i<={upper}"));
        }
        let params = [
            ("query", query),
            ("tags", tag),
            ("numericFilters", filters.as_str()),
            ("hitsPerPage", page_size.as_str()),
        ];
        let url = endpoint(&config.base_url, "search_by_date", &params)?;
        let shown = ctx.http.redact(&url);
        let (page, _) = ctx
            .http
            .get_json(url, None)
            .await
            .map_err(|e| e.to_string())?;
        let hits = page
            .get("hits")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("GET {shown}: response has no `hits` array"))?;
        gather.fetched(hits.len());
        let mut fresh = 0;
        for (index, raw) in hits.iter().enumerate() {
            let time = raw.get("created_at_i").and_then(Value::as_i64);
            newest = newest.max(time);
            upper = match (upper, time) {
                (Some(u), Some(t)) => Some(u.min(t)),
                (None, t) => t,
                (u, None) => u,
            };
            let Some(hit) = gather.item::<Hit>(raw, || format!("hit {index} of GET {shown}"))
            else {
                continue;
            };
            if !seen.insert(hit.object_id.clone()) {
                continue;
            }
            fresh += 1;
            match to_record(hit, raw, tag, query, ctx) {
                Some(record) => gather.add(record),
                None => gather.skip(
                    "created_at_i out of range",
                    &format!("hit {index} of GET {shown}"),
                ),
            }
        }
        // A short page is the last; a page with nothing new means the window cannot shrink further.
        if hits.len() < config.page_size || fresh == 0 {
            exhausted = true;
            break;
        }
    }
    // A first run (no cursor) promises no history, so stopping at the limit leaves no gap.
    let backfill = (!exhausted && start.has_history())
        .then(|| {
            upper.map(|oldest| Backfill {
                resume: Value::from(oldest),
                until: Value::from(since),
            })
        })
        .flatten();
    let newest = newest.filter(|n| *n > since).map(Value::from);
    Ok(start.reached(newest, backfill))
}

fn to_record(hit: Hit, raw: &Value, tag: &str, query: &str, ctx: Context<'_>) -> Option<Record> {
    let created_at = from_unix(hit.created_at_i)?;
    let kind = if tag == "comment" {
        Kind::Comment
    } else {
        Kind::Post
    };
    let url = format!("https://news.ycombinator.com/item?id={}", hit.object_id);
    let mut record = record(
        Source::Hackernews,
        kind,
        &hit.object_id,
        url,
        created_at,
        ctx.collected_at,
    );
    record.title = hit.title.unwrap_or_default();
    record.text = html_to_text(hit.story_text.or(hit.comment_text).as_deref().unwrap_or(""));
    record.author = hit.author;
    record.engagement.score = hit.points;
    record.engagement.replies = hit.num_comments;
    let item_id = |id: i64| RecordId::new(Source::Hackernews, &id.to_string());
    record.parent_id = hit.parent_id.map(item_id);
    record.thread_id = hit.story_id.map(item_id);
    record.matched = (!query.is_empty()).then(|| query.to_string());
    record.extra = pick(raw, &["story_title", "story_url", "_tags"]);
    if let Some(link) = hit.url.filter(|u| !u.is_empty()) {
        record.extra.insert("link_url".into(), Value::String(link));
    }
    Some(record)
}
