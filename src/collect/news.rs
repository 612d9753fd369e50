//! News feeds: RSS 2.0, Atom and JSON Feed (parsed by `feed-rs`), from a list of feed URLs and
//! from search-feed templates filled with each query. Every feed is read with conditional GET;
//! its ETag / Last-Modified are the stream's cursor, moved only after the feed parsed. An
//! article's id is its address without tracking parameters ([`article_address`]), the feed's
//! guid is kept in `extra.guid`.

use serde_json::Value;

use super::text::html_to_text;
use super::{record, Batch, CollectError, Context, Gather};
use crate::config::sources::NewsConfig;
use crate::http::{Expect, Request, Validators};
use crate::model::{article_address, Kind, Record, Source};

/// Reads every feed and search feed of `[sources.news]`.
pub async fn collect(
    config: &NewsConfig,
    ctx: Context<'_>,
    previous: Option<&Value>,
) -> Result<Batch, CollectError> {
    let mut gather = Gather::new(Source::News, previous);
    for (feed_url, matched) in feed_urls(config) {
        let outcome = read_feed(config, ctx, &mut gather, &feed_url, &matched).await;
        gather.finish_stream(&feed_url, outcome);
    }
    Ok(gather.finish())
}

/// Each configured feed (matched by its own URL) and each template × query (matched by the query).
fn feed_urls(config: &NewsConfig) -> Vec<(String, String)> {
    let feeds = config.feeds.iter().map(|url| (url.clone(), url.clone()));
    let searches = config.search_feeds.iter().flat_map(|template| {
        config.queries.iter().map(move |query| {
            let encoded: String = url_encode(query);
            (template.replace("{query}", &encoded), query.clone())
        })
    });
    feeds.chain(searches).collect()
}

fn url_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn read_feed(
    config: &NewsConfig,
    ctx: Context<'_>,
    gather: &mut Gather,
    feed_url: &str,
    matched: &str,
) -> Result<Option<Value>, String> {
    let validators: Validators = gather
        .cursor(feed_url)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    let url =
        reqwest::Url::parse(feed_url).map_err(|e| format!("bad feed URL `{feed_url}`: {e}"))?;
    let shown = ctx.http.redact(&url);
    let response = ctx
        .http
        .send(Request::get(url, Expect::Feed).conditional(&validators))
        .await
        .map_err(|e| e.to_string())?;
    if response.not_modified() {
        return Ok(None);
    }
    let feed = feed_rs::parser::parse(response.body.as_slice())
        .map_err(|e| format!("GET {shown}: not a feed: {e}"))?;
    let community = feed
        .title
        .as_ref()
        .map(|t| html_to_text(&t.content))
        .filter(|t| !t.is_empty());
    gather.fetched(feed.entries.len());
    for (index, entry) in feed.entries.into_iter().take(config.limit).enumerate() {
        let place = format!("entry {index} of GET {shown}");
        match to_record(
            entry,
            feed_url,
            matched,
            community.clone(),
            feed.language.clone(),
            ctx,
        ) {
            Ok(record) => gather.add(record),
            Err(reason) => gather.skip(reason, &place),
        }
    }
    let next = response.validators();
    Ok((next != Validators::default())
        .then(|| serde_json::to_value(next).expect("validators serialise")))
}

fn to_record(
    entry: feed_rs::model::Entry,
    feed_url: &str,
    matched: &str,
    community: Option<String>,
    language: Option<String>,
    ctx: Context<'_>,
) -> Result<Record, &'static str> {
    let url = entry
        .links
        .first()
        .map(|l| article_address(&l.href))
        .ok_or("entry has no link")?;
    let created_at = entry
        .published
        .or(entry.updated)
        .ok_or("entry has no date")?;
    // The article's address is its id, not the feed's guid: another feed, or an imported corpus
    // of links, knows the same article by its address only.
    let mut record = record(
        Source::News,
        Kind::Article,
        &url,
        url.clone(),
        created_at,
        ctx.collected_at,
    );
    if !entry.id.is_empty() {
        record.extra.insert("guid".into(), Value::String(entry.id));
    }
    record.title = entry
        .title
        .map(|t| html_to_text(&t.content))
        .unwrap_or_default();
    let body = entry
        .summary
        .map(|s| s.content)
        .or_else(|| entry.content.and_then(|c| c.body));
    record.text = html_to_text(body.as_deref().unwrap_or(""));
    record.author = entry
        .authors
        .into_iter()
        .map(|a| a.name)
        .find(|n| !n.is_empty());
    record.community = community;
    record.language = language;
    record.matched = Some(matched.to_string());
    record
        .extra
        .insert("feed".into(), Value::String(feed_url.to_string()));
    let categories: Vec<Value> = entry
        .categories
        .into_iter()
        .map(|c| Value::String(c.term))
        .collect();
    if !categories.is_empty() {
        record
            .extra
            .insert("categories".into(), Value::Array(categories));
    }
    Ok(record)
}
