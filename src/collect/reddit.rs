//! Reddit with an OAuth app-only token (client-credentials grant at `/api/v1/access_token`):
//! `/r/{sub}/new` and site-wide `/search?sort=new`, paged with `after`, newest first, stopping at
//! the newest `created_utc` of the previous run. The HTTP layer obeys `X-Ratelimit-Remaining` /
//! `-Reset`; `-Used` is noted in the report.

use serde::Deserialize;
use serde_json::Value;

use super::{
    as_text, endpoint, from_unix, pick, record, Backfill, Batch, CollectError, Context, Gather,
    Reached,
};
use crate::config::sources::RedditConfig;
use crate::http::{rate_limit_pause, Expect, Request};
use crate::model::{Kind, Record, Source};

/// A `t3` (link) listing child's `data`; the 2016 fields every listing has are required.
#[derive(Debug, Deserialize)]
struct Link {
    id: String,
    title: String,
    #[serde(default)]
    selftext: String,
    author: String,
    subreddit: String,
    created_utc: f64,
    score: i64,
    num_comments: i64,
    permalink: String,
    author_fullname: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Token {
    access_token: String,
}

/// Reads every subreddit and query of `[sources.reddit]`.
pub async fn collect(
    config: &RedditConfig,
    ctx: Context<'_>,
    previous: Option<&Value>,
) -> Result<Batch, CollectError> {
    let client_id = ctx.secret(Source::Reddit, "client_id_env", &config.client_id_env)?;
    let client_secret = ctx.secret(
        Source::Reddit,
        "client_secret_env",
        &config.client_secret_env,
    )?;
    let token = access_token(config, ctx, client_id, client_secret).await?;
    ctx.http.register_secret(&token);
    let mut gather = Gather::new(Source::Reddit, previous);
    let subreddits = config
        .subreddits
        .iter()
        .map(|sub| (format!("r/{sub}"), format!("r/{sub}/new"), None));
    let searches = config.queries.iter().map(|q| {
        (
            format!("search:{q}"),
            "search".to_string(),
            Some(q.as_str()),
        )
    });
    for (stream, path, query) in subreddits.chain(searches) {
        let outcome = read_stream(config, ctx, &mut gather, &token, &stream, &path, query).await;
        gather.finish_paged_stream(&stream, config.limit, outcome);
    }
    Ok(gather.finish())
}

async fn access_token(
    config: &RedditConfig,
    ctx: Context<'_>,
    id: String,
    secret: String,
) -> Result<String, CollectError> {
    let url = endpoint(&config.auth_url, "api/v1/access_token", &[]).map_err(|message| {
        CollectError::Stream {
            platform: Source::Reddit,
            message,
        }
    })?;
    let mut request = Request::new(reqwest::Method::POST, url, Expect::Json);
    request.form = Some(vec![("grant_type".into(), "client_credentials".into())]);
    request.basic_auth = Some((id, secret));
    let response = ctx
        .http
        .send(request)
        .await
        .map_err(|error| CollectError::Auth {
            platform: Source::Reddit,
            error,
        })?;
    let token: Token = response
        .json
        .and_then(|json| serde_json::from_value(json).ok())
        .ok_or(CollectError::AuthResponse {
            platform: Source::Reddit,
            field: "access_token",
        })?;
    Ok(token.access_token)
}

async fn read_stream(
    config: &RedditConfig,
    ctx: Context<'_>,
    gather: &mut Gather,
    token: &str,
    stream: &str,
    path: &str,
    query: Option<&str>,
) -> Result<Reached, String> {
    // An open gap is read first, from the `after` token where the last run stopped down to the
    // cursor it had before; newer links wait for the next run.
    let start = gather.start(stream, Value::as_f64, as_text);
    let since = start.since.unwrap_or(0.0);
    let mut after = start.resume.clone();
    let mut newest: Option<f64> = None;
    let mut kept = 0;
    let limit = config.page_size.to_string();
    loop {
        let mut params = vec![("raw_json", "1"), ("limit", limit.as_str())];
        if let Some(q) = query {
            params.extend([("q", q), ("sort", "new"), ("type", "link")]);
        }
        if let Some(after) = &after {
            params.push(("after", after));
        }
        let url = endpoint(&config.base_url, path, &params)?;
        let shown = ctx.http.redact(&url);
        let (page, response) = ctx
            .http
            .get_json(url, Some(token))
            .await
            .map_err(|e| e.to_string())?;
        // The HTTP layer already holds the host; the report says why the run slowed down.
        if let Some(pause) = rate_limit_pause(&response.headers) {
            let used = response.header("x-ratelimit-used").unwrap_or("?");
            gather.warn(format!(
                "GET {shown}: rate limit spent ({used} used), paused {pause:?} until reset"
            ));
        }
        let data = page
            .get("data")
            .ok_or_else(|| format!("GET {shown}: response is not a Listing"))?;
        let children = data
            .get("children")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("GET {shown}: Listing has no `children`"))?;
        gather.fetched(children.len());
        let mut reached_cursor = false;
        for (index, child) in children.iter().enumerate() {
            let place = || format!("child {index} of GET {shown}");
            let raw = child.get("data").unwrap_or(&Value::Null);
            let Some(link) = gather.item::<Link>(raw, place) else {
                continue;
            };
            // Same-second posts at the cursor are re-read on purpose; the store drops exact duplicates.
            if link.created_utc < since {
                reached_cursor = true;
                continue;
            }
            newest = Some(newest.map_or(link.created_utc, |n| n.max(link.created_utc)));
            match to_record(link, raw, stream, query, ctx) {
                Some(record) => {
                    kept += 1;
                    gather.add(record);
                }
                None => gather.skip("created_utc out of range", &place()),
            }
        }
        after = data
            .get("after")
            .and_then(Value::as_str)
            .map(str::to_string);
        if after.is_none() || reached_cursor {
            after = None;
            break;
        }
        if kept >= config.limit {
            break;
        }
    }
    // `after` is still set only if the limit stopped paging before the cursor; a first run
    // (no cursor) promises no history, so it leaves no gap.
    let backfill = after.filter(|_| start.has_history()).map(|token| Backfill {
        resume: Value::from(token),
        until: Value::from(since),
    });
    let newest = newest.filter(|n| *n > since).map(Value::from);
    Ok(start.reached(newest, backfill))
}

fn to_record(
    link: Link,
    raw: &Value,
    stream: &str,
    query: Option<&str>,
    ctx: Context<'_>,
) -> Option<Record> {
    let created_at = from_unix(link.created_utc as i64)?;
    let url = format!("https://www.reddit.com{}", link.permalink);
    let mut record = record(
        Source::Reddit,
        Kind::Post,
        &link.id,
        url,
        created_at,
        ctx.collected_at,
    );
    record.title = link.title;
    record.text = link.selftext;
    record.author = Some(link.author);
    record.author_id = link.author_fullname;
    record.community = Some(link.subreddit);
    record.engagement.score = Some(link.score);
    record.engagement.replies = Some(link.num_comments);
    record.matched = Some(query.unwrap_or(stream).to_string());
    record.extra = pick(
        raw,
        &[
            "name",
            "url",
            "domain",
            "is_self",
            "link_flair_text",
            "over_18",
            "upvote_ratio",
            "num_crossposts",
        ],
    );
    Some(record)
}
