//! Bluesky two ways:
//! - search: a session from an app password (`com.atproto.server.createSession`), then
//!   `app.bsky.feed.searchPosts?sort=latest` per query, paged with `cursor`, resumed with `since`
//!   set to the newest `indexedAt` of the previous run;
//! - stream: the Jetstream websocket filtered to `wantedCollections=app.bsky.feed.post`, resumed
//!   from the `time_us` of the last event handled (`cursor=`), bounded by event count and time.

use std::time::Duration;

use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use super::{
    as_text, endpoint, parse_time, pick, record, Batch, CollectError, Context, Gather, Reached,
};
use crate::config::sources::{BlueskyConfig, JetstreamConfig};
use crate::http::{Expect, Request};
use crate::model::{Kind, Record, RecordId, Source};

/// The stream key Jetstream's `time_us` is kept under.
const JETSTREAM: &str = "jetstream";

/// An `app.bsky.feed.post` record (inside a postView or a Jetstream commit).
#[derive(Debug, Deserialize)]
struct PostRecord {
    #[serde(default)]
    text: String,
    #[serde(rename = "createdAt")]
    created_at: Option<String>,
    #[serde(default)]
    langs: Vec<String>,
    reply: Option<Reply>,
}

#[derive(Debug, Deserialize)]
struct Reply {
    parent: StrongRef,
    root: StrongRef,
}

#[derive(Debug, Deserialize)]
struct StrongRef {
    uri: String,
}

/// `app.bsky.feed.defs#postView`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostView {
    uri: String,
    author: Author,
    record: PostRecord,
    indexed_at: String,
    like_count: Option<i64>,
    reply_count: Option<i64>,
    repost_count: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Author {
    did: String,
    handle: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Session {
    access_jwt: String,
}

/// One Jetstream event; only creates of posts become records.
#[derive(Debug, Deserialize)]
struct Event {
    did: String,
    time_us: i64,
    kind: String,
    commit: Option<Commit>,
}

#[derive(Debug, Deserialize)]
struct Commit {
    operation: String,
    collection: String,
    rkey: String,
    record: Option<Value>,
    cid: Option<String>,
}

/// Reads `[sources.bluesky]`: search queries, then Jetstream when configured.
pub async fn collect(
    config: &BlueskyConfig,
    ctx: Context<'_>,
    previous: Option<&Value>,
) -> Result<Batch, CollectError> {
    let mut gather = Gather::new(Source::Bluesky, previous);
    if !config.queries.is_empty() {
        let token = create_session(config, ctx).await?;
        for query in &config.queries {
            let stream = format!("search:{query}");
            let outcome = search(config, ctx, &mut gather, &token, &stream, query).await;
            gather.finish_paged_stream(&stream, config.limit, outcome);
        }
    }
    if let Some(jetstream) = config.jetstream.as_ref().filter(|j| j.enabled) {
        let outcome = stream_jetstream(jetstream, ctx, &mut gather).await;
        gather.finish_stream(JETSTREAM, outcome);
    }
    Ok(gather.finish())
}

async fn create_session(config: &BlueskyConfig, ctx: Context<'_>) -> Result<String, CollectError> {
    let identifier = ctx.secret(Source::Bluesky, "identifier_env", &config.identifier_env)?;
    let password = ctx.secret(
        Source::Bluesky,
        "app_password_env",
        &config.app_password_env,
    )?;
    let url = endpoint(
        &config.base_url,
        "xrpc/com.atproto.server.createSession",
        &[],
    )
    .map_err(|message| CollectError::Stream {
        platform: Source::Bluesky,
        message,
    })?;
    let mut request = Request::new(reqwest::Method::POST, url, Expect::Json);
    request.json = Some(json!({ "identifier": identifier, "password": password }));
    let response = ctx
        .http
        .send(request)
        .await
        .map_err(|error| CollectError::Auth {
            platform: Source::Bluesky,
            error,
        })?;
    let session: Session = response
        .json
        .and_then(|json| serde_json::from_value(json).ok())
        .ok_or(CollectError::AuthResponse {
            platform: Source::Bluesky,
            field: "accessJwt",
        })?;
    ctx.http.register_secret(&session.access_jwt);
    Ok(session.access_jwt)
}

async fn search(
    config: &BlueskyConfig,
    ctx: Context<'_>,
    gather: &mut Gather,
    token: &str,
    stream: &str,
    query: &str,
) -> Result<Reached, String> {
    // An open gap is read first: the same `since` as the run that left it, from the page
    // `cursor` where it stopped. The cursor is an opaque position in the newest-first result
    // list; posts indexed since then sit above it, so resuming can re-read a few posts (the
    // store drops exact duplicates) but skips none. Should the app view stop accepting an old
    // cursor, the request fails, the stream reports the error and the backfill stays as it was.
    let start = gather.start(stream, as_text, as_text);
    let since = start.since.clone();
    let mut page_cursor = start.resume.clone();
    let mut newest = since.clone();
    let mut kept = 0;
    let limit = config.page_size.to_string();
    loop {
        let mut params = vec![("q", query), ("sort", "latest"), ("limit", limit.as_str())];
        if let Some(since) = &since {
            params.push(("since", since));
        }
        if let Some(cursor) = &page_cursor {
            params.push(("cursor", cursor));
        }
        let url = endpoint(&config.base_url, "xrpc/app.bsky.feed.searchPosts", &params)?;
        let shown = ctx.http.redact(&url);
        let (page, _) = ctx
            .http
            .get_json(url, Some(token))
            .await
            .map_err(|e| e.to_string())?;
        let posts = page
            .get("posts")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("GET {shown}: response has no `posts` array"))?;
        gather.fetched(posts.len());
        for (index, raw) in posts.iter().enumerate() {
            // Feed views wrap the post (`{"post": …, "reason": …}`); search returns it bare.
            let raw = raw.get("post").unwrap_or(raw);
            let place = || format!("post {index} of GET {shown}");
            let Some(view) = gather.item::<PostView>(raw, place) else {
                continue;
            };
            if parse_time(&view.indexed_at).is_some()
                && newest.as_deref().is_none_or(|n| later(&view.indexed_at, n))
            {
                newest = Some(view.indexed_at.clone());
            }
            match view_to_record(view, raw, query, ctx) {
                Some(record) => {
                    kept += 1;
                    gather.add(record);
                }
                None => gather.skip("no valid createdAt or indexedAt", &place()),
            }
        }
        page_cursor = page.get("cursor").and_then(as_text);
        if posts.is_empty() {
            page_cursor = None;
        }
        if page_cursor.is_none() || kept >= config.limit {
            break;
        }
    }
    Ok(start.reached_at_token(page_cursor, newest))
}

/// `a` is a later instant than `b` (both RFC 3339).
fn later(a: &str, b: &str) -> bool {
    match (parse_time(a), parse_time(b)) {
        (Some(a), Some(b)) => a > b,
        (Some(_), None) => true,
        _ => false,
    }
}

/// `https://bsky.app/profile/<handle or did>/post/<rkey>` for an `at://` post URI.
fn web_url(profile: &str, uri: &str) -> String {
    let rkey = uri.rsplit('/').next().unwrap_or_default();
    format!("https://bsky.app/profile/{profile}/post/{rkey}")
}

fn view_to_record(view: PostView, raw: &Value, query: &str, ctx: Context<'_>) -> Option<Record> {
    // `createdAt` is written by the client and can be nonsense (the fixtures hold a year-0000
    // date); the app view's `indexedAt` is the fallback.
    let plausible = |text: &str| parse_time(text).filter(|t| t.timestamp() > 0);
    let created_at = view
        .record
        .created_at
        .as_deref()
        .and_then(plausible)
        .or_else(|| plausible(&view.indexed_at))?;
    let url = web_url(&view.author.handle, &view.uri);
    let mut record = post_record(&view.uri, url, created_at, view.record, ctx);
    record.author = Some(view.author.handle);
    record.author_id = Some(view.author.did);
    record.engagement.score = view.like_count;
    record.engagement.replies = view.reply_count;
    record.engagement.reposts = view.repost_count;
    record.matched = Some(query.to_string());
    record.extra = pick(raw, &["cid", "quoteCount", "indexedAt", "labels"]);
    Some(record)
}

/// The fields a post record gives, whether it came from search or the stream.
fn post_record(
    uri: &str,
    url: String,
    created_at: chrono::DateTime<chrono::Utc>,
    post: PostRecord,
    ctx: Context<'_>,
) -> Record {
    let mut record = record(
        Source::Bluesky,
        Kind::Post,
        uri,
        url,
        created_at,
        ctx.collected_at,
    );
    record.text = post.text;
    record.language = post.langs.into_iter().next();
    if let Some(reply) = post.reply {
        record.kind = Kind::Comment;
        record.parent_id = Some(RecordId::new(Source::Bluesky, &reply.parent.uri));
        record.thread_id = Some(RecordId::new(Source::Bluesky, &reply.root.uri));
    }
    record
}

/// Reads Jetstream until `max_events` events or `max_seconds` pass; the marker is the `time_us`
/// of the last event handled, so a dropped connection resumes exactly there.
async fn stream_jetstream(
    config: &JetstreamConfig,
    ctx: Context<'_>,
    gather: &mut Gather,
) -> Result<Option<Value>, String> {
    let mut url = reqwest::Url::parse(&config.url)
        .map_err(|e| format!("bad Jetstream URL `{}`: {e}", config.url))?;
    url.query_pairs_mut()
        .append_pair("wantedCollections", "app.bsky.feed.post");
    if let Some(cursor) = gather.cursor(JETSTREAM).and_then(Value::as_i64) {
        url.query_pairs_mut()
            .append_pair("cursor", &cursor.to_string());
    }
    let shown = ctx.http.redact(&url);
    let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .map_err(|e| format!("WebSocket {shown}: {e}"))?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(config.max_seconds);
    let keywords: Vec<String> = config.keywords.iter().map(|k| k.to_lowercase()).collect();
    let mut last_time: Option<i64> = None;
    let mut events = 0;
    while events < config.max_events {
        let message = match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) | Ok(None) => break,
            Ok(Some(Err(e))) => {
                // Keep what arrived; the marker stops at the last event handled.
                gather.warn(format!("WebSocket {shown}: {e} after {events} events"));
                break;
            }
            Ok(Some(Ok(message))) => message,
        };
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => break,
            _ => continue,
        };
        events += 1;
        gather.fetched(1);
        let place = || format!("event {events} of WebSocket {shown}");
        let raw: Value = match serde_json::from_str(&text) {
            Ok(raw) => raw,
            Err(e) => {
                gather.skip(&format!("invalid JSON: {e}"), &place());
                continue;
            }
        };
        let Some(event) = gather.item::<Event>(&raw, place) else {
            continue;
        };
        last_time = Some(event.time_us);
        match event_to_record(event, &keywords, ctx) {
            Ok(record) => gather.add(record),
            Err(Rejected::Unwanted(reason)) => gather.filter_out(reason),
            Err(Rejected::Malformed(reason)) => gather.skip(reason, &place()),
        }
    }
    let _ = socket.close(None).await;
    Ok(last_time.map(Value::from))
}

/// Why a stream event did not become a record.
enum Rejected {
    /// Not a post creation, or filtered out by keywords: expected, only counted.
    Unwanted(&'static str),
    /// A post creation that cannot be read: counted and warned about.
    Malformed(&'static str),
}

fn event_to_record(
    event: Event,
    keywords: &[String],
    ctx: Context<'_>,
) -> Result<Record, Rejected> {
    let commit = event
        .commit
        .filter(|_| event.kind == "commit")
        .ok_or(Rejected::Unwanted("not a commit"))?;
    if commit.operation != "create" || commit.collection != "app.bsky.feed.post" {
        return Err(Rejected::Unwanted("not a post creation"));
    }
    let raw = commit
        .record
        .ok_or(Rejected::Malformed("commit without record"))?;
    let post: PostRecord =
        serde_json::from_value(raw).map_err(|_| Rejected::Malformed("malformed post record"))?;
    let lower = post.text.to_lowercase();
    if !keywords.is_empty() && !keywords.iter().any(|k| lower.contains(k.as_str())) {
        return Err(Rejected::Unwanted("no keyword match"));
    }
    let created_at = post
        .created_at
        .as_deref()
        .and_then(parse_time)
        .ok_or(Rejected::Malformed("no valid createdAt"))?;
    let uri = format!("at://{}/app.bsky.feed.post/{}", event.did, commit.rkey);
    let url = web_url(&event.did, &uri);
    let mut record = post_record(&uri, url, created_at, post, ctx);
    record.author_id = Some(event.did);
    record.matched = Some(JETSTREAM.to_string());
    record
        .extra
        .insert("time_us".into(), Value::from(event.time_us));
    if let Some(cid) = commit.cid {
        record.extra.insert("cid".into(), Value::String(cid));
    }
    Ok(record)
}
