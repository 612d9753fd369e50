//! Mastodon hashtag timelines (`/api/v1/timelines/tag/{tag}`) on configured instances: newest
//! first with `since_id` set to the newest status id of the previous run, older pages through
//! the `Link: <…max_id=…>; rel="next"` header (followed only on the same instance). A stream
//! stopped at its limit keeps the oldest id read as a backfill, resumed later with `max_id`
//! (status ids are permanent, so the gap stays resumable however long it waits).

use serde::Deserialize;
use serde_json::Value;

use super::text::html_to_text;
use super::{
    as_text, endpoint, parse_time, pick, record, Backfill, Batch, CollectError, Context, Gather,
    Reached,
};
use crate::config::sources::MastodonConfig;
use crate::model::{Kind, Record, Source};

/// A Status; fields newer than 2020 (`edited_at`, `quotes_count`, …) are optional or ignored.
#[derive(Debug, Deserialize)]
struct Status {
    id: String,
    uri: String,
    url: Option<String>,
    created_at: String,
    #[serde(default)]
    content: String,
    account: Account,
    language: Option<String>,
    replies_count: Option<i64>,
    reblogs_count: Option<i64>,
    favourites_count: Option<i64>,
    reblog: Option<Value>,
    in_reply_to_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Account {
    acct: String,
    url: Option<String>,
}

/// Reads every `instance × tag` timeline of `[sources.mastodon]`.
pub async fn collect(
    config: &MastodonConfig,
    ctx: Context<'_>,
    previous: Option<&Value>,
) -> Result<Batch, CollectError> {
    let mut gather = Gather::new(Source::Mastodon, previous);
    for instance in &config.instances {
        for tag in &config.tags {
            let host = reqwest::Url::parse(instance)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            let stream = format!("{}#{tag}", instance.trim_end_matches('/'));
            let outcome =
                read_stream(config, ctx, &mut gather, instance, &host, &stream, tag).await;
            gather.finish_paged_stream(&stream, config.limit, outcome);
        }
    }
    Ok(gather.finish())
}

/// Status ids are decimal strings of growing length; compare them as numbers would.
fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    (a.len(), a).cmp(&(b.len(), b))
}

async fn read_stream(
    config: &MastodonConfig,
    ctx: Context<'_>,
    gather: &mut Gather,
    instance: &str,
    host: &str,
    stream: &str,
    tag: &str,
) -> Result<Reached, String> {
    // An open gap is read first, from `max_id` where the last run stopped down to the cursor it
    // had before; newer statuses wait for the next run.
    let start = gather.start(stream, as_text, as_text);
    let since = start.since.clone();
    let mut oldest = start.resume.clone();
    let mut newest: Option<String> = None;
    let limit = config.page_size.to_string();
    let mut params = vec![("limit", limit.as_str())];
    if let Some(since) = &since {
        params.push(("since_id", since));
    }
    if let Some(max_id) = &oldest {
        params.push(("max_id", max_id));
    }
    let mut next = Some(endpoint(
        instance,
        &format!("api/v1/timelines/tag/{tag}"),
        &params,
    )?);
    let mut kept = 0;
    let mut stopped_at_limit = false;
    while let Some(url) = next.take() {
        let shown = ctx.http.redact(&url);
        let (page, response) = ctx
            .http
            .get_json(url, None)
            .await
            .map_err(|e| e.to_string())?;
        let statuses = page
            .as_array()
            .ok_or_else(|| format!("GET {shown}: response is not an array of statuses"))?;
        gather.fetched(statuses.len());
        let mut reached_cursor = false;
        for (index, raw) in statuses.iter().enumerate() {
            let place = || format!("status {index} of GET {shown}");
            let Some(status) = gather.item::<Status>(raw, place) else {
                continue;
            };
            if since
                .as_deref()
                .is_some_and(|s| id_order(&status.id, s).is_le())
            {
                reached_cursor = true;
                continue;
            }
            if newest
                .as_deref()
                .is_none_or(|n| id_order(&status.id, n).is_gt())
            {
                newest = Some(status.id.clone());
            }
            if oldest
                .as_deref()
                .is_none_or(|o| id_order(&status.id, o).is_lt())
            {
                oldest = Some(status.id.clone());
            }
            if status.reblog.is_some() {
                gather.filter_out("boost (the original is collected on its own)");
                continue;
            }
            match to_record(status, raw, host, tag, ctx) {
                Some(record) => {
                    kept += 1;
                    gather.add(record);
                }
                None => gather.skip("invalid created_at", &place()),
            }
        }
        if reached_cursor || statuses.is_empty() {
            break;
        }
        if kept >= config.limit {
            stopped_at_limit = true;
            break;
        }
        next = response
            .header("link")
            .and_then(|link| next_link(link, instance));
    }
    // A first run (no cursor) promises no history, so stopping at the limit leaves no gap.
    let backfill = match (stopped_at_limit, &since, oldest) {
        (true, Some(since), Some(oldest)) => Some(Backfill {
            resume: Value::from(oldest),
            until: Value::from(since.as_str()),
        }),
        _ => None,
    };
    Ok(start.reached(newest.map(Value::from), backfill))
}

/// The `rel="next"` target of a `Link` header, if it stays on the instance (same origin).
fn next_link(header: &str, instance: &str) -> Option<reqwest::Url> {
    let origin = reqwest::Url::parse(instance).ok()?.origin();
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let url = reqwest::Url::parse(target.trim().trim_start_matches('<').trim_end_matches('>'))
            .ok()?;
        (is_next && url.origin() == origin).then_some(url)
    })
}

fn to_record(
    status: Status,
    raw: &Value,
    host: &str,
    tag: &str,
    ctx: Context<'_>,
) -> Option<Record> {
    let created_at = parse_time(&status.created_at)?;
    let url = status.url.clone().unwrap_or_else(|| status.uri.clone());
    // The `uri` is global; local ids differ per instance, so the same toot seen on two
    // instances gets one id.
    let mut record = record(
        Source::Mastodon,
        Kind::Post,
        &status.uri,
        url,
        created_at,
        ctx.collected_at,
    );
    record.text = html_to_text(&status.content);
    let home = status
        .account
        .acct
        .split_once('@')
        .map_or(host, |(_, domain)| domain)
        .to_string();
    record.author = Some(status.account.acct);
    record.author_id = status.account.url;
    record.community = Some(home);
    record.language = status.language;
    record.engagement.score = status.favourites_count;
    record.engagement.replies = status.replies_count;
    record.engagement.reposts = status.reblogs_count;
    record.matched = Some(format!("#{tag}"));
    if status.in_reply_to_id.is_some() {
        record.kind = Kind::Comment;
    }
    record.extra = pick(
        raw,
        &[
            "id",
            "in_reply_to_id",
            "spoiler_text",
            "sensitive",
            "quotes_count",
            "edited_at",
        ],
    );
    let tags: Vec<Value> = raw
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("name").cloned())
        .collect();
    if !tags.is_empty() {
        record.extra.insert("tags".into(), Value::Array(tags));
    }
    record
        .extra
        .retain(|_, v| v != &Value::String(String::new()));
    Some(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_follows_rel_next_on_the_same_origin_only() {
        let header = "<https://mastodon.social/api/v1/timelines/tag/ai?max_id=103186126728896492>; rel=\"next\", <https://mastodon.social/api/v1/timelines/tag/ai?min_id=103206185588894565>; rel=\"prev\"";
        let next = next_link(header, "https://mastodon.social").unwrap();
        assert_eq!(next.query(), Some("max_id=103186126728896492"));
        assert!(next_link(header, "https://other.example").is_none());
        assert!(id_order("99", "100").is_lt());
    }
}
