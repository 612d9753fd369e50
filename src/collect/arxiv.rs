//! arXiv's export API (`/api/query`, Atom): each category (`cat:cs.AI`) and query, newest
//! submissions first (`sortBy=submittedDate`), paged with `start`, stopping at the newest
//! `published` of the previous run; a stream stopped at its limit keeps the next `start` offset
//! as a backfill. The HTTP layer spaces calls 3 s apart as arXiv asks.

use serde_json::Value;

use super::text::normalize_whitespace;
use super::{
    endpoint, parse_time, record, Backfill, Batch, CollectError, Context, Gather, Reached,
};
use crate::config::sources::ArxivConfig;
use crate::http::{Expect, Request};
use crate::model::{Kind, Record, Source};

/// Reads every category and query of `[sources.arxiv]`.
pub async fn collect(
    config: &ArxivConfig,
    ctx: Context<'_>,
    previous: Option<&Value>,
) -> Result<Batch, CollectError> {
    let mut gather = Gather::new(Source::Arxiv, previous);
    let categories = config.categories.iter().map(|c| format!("cat:{c}"));
    for search in categories.chain(config.queries.iter().cloned()) {
        let outcome = read_stream(config, ctx, &mut gather, &search).await;
        gather.finish_paged_stream(&search, config.limit, outcome);
    }
    Ok(gather.finish())
}

async fn read_stream(
    config: &ArxivConfig,
    ctx: Context<'_>,
    gather: &mut Gather,
    search: &str,
) -> Result<Reached, String> {
    // An open gap is read first, from the `start` offset where the last run stopped down to the
    // cursor it had before. Papers submitted since then sit above that offset and push the rest
    // down, so resuming re-reads that many entries (the store drops exact duplicates) but skips
    // none; arXiv keeps withdrawn papers listed, so entries do not vanish from above the offset.
    let start_at = gather.start(search, |v| v.as_str().and_then(parse_time), Value::as_u64);
    let since = start_at.since;
    let first = start_at.resume.map_or(0, |n| n as usize);
    let mut newest = since;
    let mut start = first;
    let mut stopped_at_limit = false;
    let max_results = config.page_size.to_string();
    loop {
        let start_text = start.to_string();
        let params = [
            ("search_query", search),
            ("sortBy", "submittedDate"),
            ("sortOrder", "descending"),
            ("start", &start_text),
            ("max_results", &max_results),
        ];
        let url = endpoint(&config.base_url, "query", &params)?;
        let shown = ctx.http.redact(&url);
        let response = ctx
            .http
            .send(Request::get(url, Expect::Feed))
            .await
            .map_err(|e| e.to_string())?;
        let feed = feed_rs::parser::parse(response.body.as_slice())
            .map_err(|e| format!("GET {shown}: not an Atom feed: {e}"))?;
        let count = feed.entries.len();
        gather.fetched(count);
        let mut reached_cursor = false;
        for (index, entry) in feed.entries.into_iter().enumerate() {
            let place = format!("entry {index} of GET {shown}");
            match to_record(entry, search, ctx) {
                Ok(record) if since.is_some_and(|s| record.created_at < s) => reached_cursor = true,
                Ok(record) => {
                    newest = newest.max(Some(record.created_at));
                    gather.add(record);
                }
                Err(reason) => gather.skip(reason, &place),
            }
        }
        start += count;
        if reached_cursor || count < config.page_size {
            break;
        }
        if start - first >= config.limit {
            stopped_at_limit = true;
            break;
        }
    }
    let stamp = |t: chrono::DateTime<chrono::Utc>| {
        Value::from(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    };
    // A first run (no cursor) promises no history, so stopping at the limit leaves no gap.
    let backfill = since.filter(|_| stopped_at_limit).map(|until| Backfill {
        resume: Value::from(start),
        until: stamp(until),
    });
    let newest = newest.filter(|n| Some(*n) != since).map(stamp);
    Ok(start_at.reached(newest, backfill))
}

/// `http://arxiv.org/abs/1501.05039v1` → (`1501.05039`, `v1`); old-style ids keep their archive
/// (`hep-th/9901001`).
fn split_id(entry_id: &str) -> Option<(&str, &str)> {
    let id = entry_id.split_once("/abs/")?.1;
    let version_at = id
        .rfind('v')
        .filter(|&i| i + 1 < id.len() && id[i + 1..].bytes().all(|b| b.is_ascii_digit()))?;
    Some((&id[..version_at], &id[version_at..]))
}

fn to_record(
    entry: feed_rs::model::Entry,
    search: &str,
    ctx: Context<'_>,
) -> Result<Record, &'static str> {
    let (id, version) = split_id(&entry.id).ok_or("entry id is not an arXiv abs URL")?;
    let created_at = entry
        .published
        .or(entry.updated)
        .ok_or("entry has no published date")?;
    // 2019 responses link with http://; the canonical address is https and versionless.
    let url = format!("https://arxiv.org/abs/{id}");
    let mut record = record(
        Source::Arxiv,
        Kind::Paper,
        id,
        url,
        created_at,
        ctx.collected_at,
    );
    record.title = entry
        .title
        .map(|t| normalize_whitespace(&t.content).replace('\n', " "))
        .unwrap_or_default();
    record.text = entry
        .summary
        .map(|s| normalize_whitespace(&s.content).replace('\n', " "))
        .unwrap_or_default();
    let authors: Vec<String> = entry.authors.into_iter().map(|a| a.name).collect();
    record.author = authors.first().cloned();
    record.community = entry.categories.first().map(|c| c.term.clone());
    record.language = Some("en".into());
    record.matched = Some(search.to_string());
    record
        .extra
        .insert("version".into(), Value::String(version.to_string()));
    record.extra.insert(
        "authors".into(),
        serde_json::to_value(&authors).expect("strings serialise"),
    );
    let categories: Vec<Value> = entry
        .categories
        .into_iter()
        .map(|c| Value::String(c.term))
        .collect();
    record
        .extra
        .insert("categories".into(), Value::Array(categories));
    if let Some(updated) = entry.updated {
        record.extra.insert(
            "updated".into(),
            Value::String(updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
    }
    if let Some(pdf) = entry
        .links
        .iter()
        .find(|l| l.media_type.as_deref() == Some("application/pdf"))
    {
        record
            .extra
            .insert("pdf".into(), Value::String(pdf.href.clone()));
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_lose_their_version_and_keep_their_archive() {
        assert_eq!(
            split_id("http://arxiv.org/abs/1501.05039v1"),
            Some(("1501.05039", "v1"))
        );
        assert_eq!(
            split_id("https://arxiv.org/abs/hep-th/9901001v12"),
            Some(("hep-th/9901001", "v12"))
        );
        assert_eq!(split_id("http://arxiv.org/abs/1501.05039"), None);
    }
}
