//! YouTube Data API v3: `search.list` (videos, newest first, `publishedAfter` the newest
//! `publishedAt` of the previous run, paged with `pageToken`), then `videos.list` for each page's
//! statistics. The API key travels as `key=` and is redacted from every message. A stream stopped
//! at its limit keeps its next `pageToken` as a backfill.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::text::html_to_text;
use super::{
    as_text, endpoint, parse_time, pick, record, Batch, CollectError, Context, Gather, Reached,
};
use crate::config::sources::YoutubeConfig;
use crate::model::{Engagement, Kind, Record, Source};

#[derive(Debug, Deserialize)]
struct SearchResult {
    id: ResultId,
    snippet: Snippet,
}

#[derive(Debug, Deserialize)]
struct ResultId {
    kind: String,
    #[serde(rename = "videoId")]
    video_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Snippet {
    published_at: String,
    channel_id: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    channel_title: Option<String>,
}

/// `videos.list` statistics; counts arrive as decimal strings and some are hidden by owners.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Statistics {
    view_count: Option<String>,
    like_count: Option<String>,
    comment_count: Option<String>,
}

/// Reads every query of `[sources.youtube]`.
pub async fn collect(
    config: &YoutubeConfig,
    ctx: Context<'_>,
    previous: Option<&Value>,
) -> Result<Batch, CollectError> {
    let key = ctx.secret(Source::Youtube, "api_key_env", &config.api_key_env)?;
    let mut gather = Gather::new(Source::Youtube, previous);
    for query in &config.queries {
        let stream = format!("search:{query}");
        let outcome = read_stream(config, ctx, &mut gather, &key, &stream, query).await;
        gather.finish_paged_stream(&stream, config.limit, outcome);
    }
    Ok(gather.finish())
}

async fn read_stream(
    config: &YoutubeConfig,
    ctx: Context<'_>,
    gather: &mut Gather,
    key: &str,
    stream: &str,
    query: &str,
) -> Result<Reached, String> {
    // An open gap is read first: the same `publishedAfter` as the run that left it, from the
    // `pageToken` where it stopped. A token is an offset into the result list for exactly these
    // parameters; videos published since sit above it, so resuming can re-read a few (the store
    // drops exact duplicates) but skips none. YouTube does not promise how long a token stays
    // valid: if it refuses one, the stream fails and the backfill is kept as it was, so the gap
    // is reported on every run until a token is accepted or the backfill is cleared by hand.
    let start = gather.start(stream, as_text, as_text);
    let since = start.since.clone();
    let mut page_token = start.resume.clone();
    let mut newest = since.as_deref().and_then(parse_time);
    let mut kept = 0;
    let max_results = config.page_size.to_string();
    loop {
        let mut params = vec![
            ("part", "snippet"),
            ("type", "video"),
            ("order", "date"),
            ("q", query),
            ("maxResults", max_results.as_str()),
        ];
        if let Some(since) = &since {
            params.push(("publishedAfter", since));
        }
        if let Some(token) = &page_token {
            params.push(("pageToken", token));
        }
        params.push(("key", key));
        let url = endpoint(&config.base_url, "search", &params)?;
        let shown = ctx.http.redact(&url);
        let (page, _) = ctx
            .http
            .get_json(url, None)
            .await
            .map_err(|e| e.to_string())?;
        let items = page
            .get("items")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("GET {shown}: response has no `items` array"))?;
        gather.fetched(items.len());
        let mut videos = Vec::new();
        for (index, raw) in items.iter().enumerate() {
            let place = || format!("item {index} of GET {shown}");
            let Some(result) = gather.item::<SearchResult>(raw, place) else {
                continue;
            };
            let video_id = match (result.id.kind.as_str(), result.id.video_id.clone()) {
                ("youtube#video", Some(id)) if !id.is_empty() => id,
                _ => {
                    gather.filter_out("not a video");
                    continue;
                }
            };
            let Some(record) = to_record(&video_id, result.snippet, raw, query, ctx) else {
                gather.skip("invalid publishedAt", &place());
                continue;
            };
            newest = newest.max(Some(record.created_at));
            videos.push(record);
        }
        let statistics = statistics(config, ctx, key, &videos).await;
        let statistics = statistics.unwrap_or_else(|error| {
            gather.warn(format!("statistics not added: {error}"));
            HashMap::new()
        });
        for mut record in videos {
            if let Some(engagement) = statistics.get(record.id.native_id()) {
                record.engagement = engagement.clone();
            }
            kept += 1;
            gather.add(record);
        }
        page_token = page.get("nextPageToken").and_then(as_text);
        if items.is_empty() {
            page_token = None;
        }
        if page_token.is_none() || kept >= config.limit {
            break;
        }
    }
    let newest = newest.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    Ok(start.reached_at_token(page_token, newest))
}

/// `videos.list?part=statistics` for one page of videos, as engagement by video id.
async fn statistics(
    config: &YoutubeConfig,
    ctx: Context<'_>,
    key: &str,
    videos: &[Record],
) -> Result<HashMap<String, Engagement>, String> {
    if videos.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = videos
        .iter()
        .map(|r| r.id.native_id())
        .collect::<Vec<_>>()
        .join(",");
    let url = endpoint(
        &config.base_url,
        "videos",
        &[("part", "statistics"), ("id", &ids), ("key", key)],
    )?;
    let (page, _) = ctx
        .http
        .get_json(url, None)
        .await
        .map_err(|e| e.to_string())?;
    let count = |value: &Option<String>| value.as_deref().and_then(|v| v.parse::<i64>().ok());
    let items = page
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    Ok(items
        .filter_map(|item| {
            let id = item.get("id")?.as_str()?.to_string();
            let stats: Statistics = serde_json::from_value(item.get("statistics")?.clone()).ok()?;
            let engagement = Engagement {
                score: count(&stats.like_count),
                replies: count(&stats.comment_count),
                reposts: None,
                views: count(&stats.view_count),
            };
            Some((id, engagement))
        })
        .collect())
}

fn to_record(
    video_id: &str,
    snippet: Snippet,
    raw: &Value,
    query: &str,
    ctx: Context<'_>,
) -> Option<Record> {
    let created_at = parse_time(&snippet.published_at)?;
    let url = format!("https://www.youtube.com/watch?v={video_id}");
    let mut record = record(
        Source::Youtube,
        Kind::Video,
        video_id,
        url,
        created_at,
        ctx.collected_at,
    );
    // search.list HTML-escapes titles and descriptions (`&amp;`, `&#39;`).
    record.title = html_to_text(&snippet.title);
    record.text = html_to_text(&snippet.description);
    record.author = snippet.channel_title.clone();
    record.author_id = snippet.channel_id;
    record.community = snippet.channel_title;
    record.matched = Some(query.to_string());
    let snippet_raw = raw.get("snippet").unwrap_or(&Value::Null);
    record.extra = pick(snippet_raw, &["liveBroadcastContent"]);
    if let Some(thumbnail) = snippet_raw.pointer("/thumbnails/high/url") {
        record.extra.insert("thumbnail".into(), thumbnail.clone());
    }
    Some(record)
}
