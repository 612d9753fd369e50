//! The collectors against real recorded API responses (`tests/fixtures/`), served
//! by real HTTP and WebSocket servers on 127.0.0.1 that check paths, query strings and headers,
//! page the way each platform pages, and inject faults.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use zeitgeist::collect::{
    arxiv, bluesky, hackernews, mastodon, news, reddit, run, youtube, Batch, BatchSink,
    CommitReceipt, Context, HttpClient, SinkError, SourceStatus, USER_AGENT,
};
use zeitgeist::config::sources::*;
use zeitgeist::model::{Kind, Record, Source};

// ---------------------------------------------------------------- harness

fn fixture(path: &str) -> String {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn fixture_json(path: &str) -> Value {
    serde_json::from_str(&fixture(path)).unwrap()
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: BTreeMap<String, String>,
    headers: HeaderMap,
    body: String,
    at: Instant,
}

impl Seen {
    fn q(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str)
    }
    fn header(&self, key: &str) -> Option<&str> {
        self.headers.get(key).and_then(|v| v.to_str().ok())
    }
}

/// What the server answers.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay: Duration,
}

impl Reply {
    fn ok(body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            headers: vec![],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
    fn json(value: &Value) -> Reply {
        Reply::ok(value.to_string()).with("content-type", "application/json; charset=utf-8")
    }
    fn status(status: u16, body: &str) -> Reply {
        Reply {
            status,
            ..Reply::ok(body)
        }
    }
    fn with(mut self, name: &'static str, value: &str) -> Reply {
        self.headers.push((name, value.to_string()));
        self
    }
}

type Handler = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

struct ServerState {
    seen: Mutex<Vec<Seen>>,
    handler: Box<Handler>,
}

struct TestServer {
    base: String,
    state: Arc<ServerState>,
}

impl TestServer {
    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }
}

async fn handle(State(state): State<Arc<ServerState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let url = reqwest::Url::parse(&format!("http://x{}", parts.uri)).unwrap();
    let seen = Seen {
        method: parts.method.to_string(),
        path: url.path().to_string(),
        query: url.query_pairs().into_owned().collect(),
        headers: parts.headers.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    };
    let index = {
        let mut all = state.seen.lock().unwrap();
        all.push(seen.clone());
        all.len() - 1
    };
    let reply = (state.handler)(&seen, index);
    tokio::time::sleep(reply.delay).await;
    let mut response = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    response.body(Body::from(reply.body)).unwrap()
}

/// A real HTTP server on a random loopback port answering with `handler(request, index)`.
async fn serve(handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> TestServer {
    let state = Arc::new(ServerState {
        seen: Mutex::new(vec![]),
        handler: Box::new(handler),
    });
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    TestServer { base, state }
}

/// Retry timings in milliseconds so fault tests stay fast.
fn fast_http() -> HttpSettings {
    HttpSettings {
        timeout_ms: 400,
        max_retries: 2,
        backoff_base_ms: 5,
        backoff_max_ms: 20,
        max_wait_ms: 3_000,
        per_host_concurrency: 4,
        per_host_interval_ms: 0,
        host_interval_ms: BTreeMap::new(),
        jitter_seed: Some(42),
        max_body_bytes: 1 << 20,
    }
}

fn collected_at() -> DateTime<Utc> {
    "2026-11-24T12:00:00Z".parse().unwrap()
}

fn env() -> BTreeMap<String, String> {
    [
        ("REDDIT_CLIENT_ID", "reddit-id"),
        ("REDDIT_CLIENT_SECRET", "reddit-secret"),
        ("BLUESKY_IDENTIFIER", "zeitgeist.bsky.social"),
        ("BLUESKY_APP_PASSWORD", "app-pass-word"),
        ("YOUTUBE_API_KEY", "AIzaTESTKEY"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// A fast-retrying HTTP client and the test environment, lent to collectors as a [`Context`].
struct Harness {
    http: HttpClient,
    env: BTreeMap<String, String>,
}

impl Harness {
    fn new() -> Harness {
        Harness {
            http: HttpClient::new(&fast_http()).unwrap(),
            env: env(),
        }
    }

    fn ctx(&self) -> Context<'_> {
        Context {
            http: &self.http,
            env: &self.env,
            collected_at: collected_at(),
        }
    }
}

fn by_id<'a>(batch: &'a Batch, id: &str) -> &'a Record {
    batch
        .records
        .iter()
        .find(|r| r.id.as_str() == id)
        .unwrap_or_else(|| panic!("no record {id}"))
}

fn assert_user_agent(seen: &[Seen]) {
    for request in seen {
        assert_eq!(
            request.header("user-agent"),
            Some(USER_AGENT),
            "{}",
            request.path
        );
    }
}

// ---------------------------------------------------------------- Hacker News

/// Algolia's `search_by_date` over a recorded page: applies `numericFilters` on `created_at_i`
/// and `hitsPerPage` to the real hits, newest first, as the live index does.
fn algolia(seen: &Seen) -> Reply {
    assert_eq!(seen.path, "/search_by_date");
    let file = match seen.q("tags") {
        Some("story") => "hn-algolia/hn_algolia_new_page.json",
        Some("comment") => "hn-algolia/hn_algolia_comments_page.json",
        other => panic!("unexpected tags {other:?}"),
    };
    let mut page = fixture_json(file);
    let per_page: usize = seen.q("hitsPerPage").unwrap().parse().unwrap();
    let filters = seen.q("numericFilters").unwrap().to_string();
    let keep = |t: i64| {
        filters.split(',').all(|f| {
            if let Some(v) = f.strip_prefix("created_at_i>") {
                t > v.parse::<i64>().unwrap()
            } else if let Some(v) = f.strip_prefix("created_at_i<=") {
                t <= v.parse::<i64>().unwrap()
            } else {
                panic!("unexpected filter {f}")
            }
        })
    };
    let hits: Vec<Value> = page["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| keep(h["created_at_i"].as_i64().unwrap()))
        .take(per_page)
        .cloned()
        .collect();
    page["hits"] = Value::Array(hits);
    page["hitsPerPage"] = json!(per_page);
    Reply::json(&page)
}

fn hn_config(base: &str, tags: &[&str], page_size: usize) -> HackernewsConfig {
    HackernewsConfig {
        enabled: true,
        queries: vec![],
        tags: tags.iter().map(|t| t.to_string()).collect(),
        limit: 500,
        page_size,
        base_url: base.to_string(),
    }
}

#[tokio::test]
async fn hackernews_pages_by_created_at_and_resumes_from_the_cursor() {
    let server = serve(|seen, _| algolia(seen)).await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let config = hn_config(&server.base, &["story", "comment"], 10);
    let batch = hackernews::collect(&config, ctx, None).await.unwrap();

    let stories = batch
        .records
        .iter()
        .filter(|r| r.kind == Kind::Post)
        .count();
    let comments = batch
        .records
        .iter()
        .filter(|r| r.kind == Kind::Comment)
        .count();
    assert_eq!((stories, comments), (30, 30), "{:?}", batch.report);
    assert!(
        batch.report.errors.is_empty() && batch.report.skipped.is_empty(),
        "{:?}",
        batch.report
    );

    let story = by_id(&batch, "hackernews:34451069");
    assert_eq!(
        story.title,
        "Google Cutting 12000 Jobs in 6% Slash to Global Workforce"
    );
    assert_eq!(story.url, "https://news.ycombinator.com/item?id=34451069");
    assert_eq!(story.author.as_deref(), Some("rc00"));
    assert_eq!(
        story.created_at,
        "2023-01-20T10:23:47Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(story.collected_at, collected_at());
    assert_eq!(
        (story.engagement.score, story.engagement.replies),
        (Some(19), Some(0))
    );
    assert_eq!(story.extra["link_url"], "https://www.bloomberg.com/news/articles/2023-01-20/google-cutting-12-000-jobs-in-6-slash-to-global-workforce");

    let comment = by_id(&batch, "hackernews:34451359");
    assert_eq!(comment.text, "I believe they're referring to startups who use VC capital to attract people away from other tech firms at very high cost to themselves.\nReally it's what all the big companies are doing, but at least some of them can claim solvency.");
    assert_eq!(
        comment.parent_id.as_ref().unwrap().as_str(),
        "hackernews:34451320"
    );
    assert_eq!(
        comment.thread_id.as_ref().unwrap().as_str(),
        "hackernews:34451051"
    );
    assert_eq!(
        comment.extra["story_title"],
        "Google Announces 12K Layoffs: A difficult decision to set us up for the future"
    );

    // Paging: the first request is open-ended, each next one is bounded by the oldest hit seen.
    let seen = server.seen();
    assert_user_agent(&seen);
    let stories: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.q("tags") == Some("story"))
        .collect();
    assert_eq!(stories[0].q("numericFilters"), Some("created_at_i>0"));
    assert_eq!(stories[0].q("hitsPerPage"), Some("10"));
    let hits = fixture_json("hn-algolia/hn_algolia_new_page.json")["hits"].clone();
    let tenth = hits[9]["created_at_i"].as_i64().unwrap();
    assert_eq!(
        stories[1].q("numericFilters"),
        Some(format!("created_at_i>0,created_at_i<={tenth}").as_str())
    );
    let newest_story = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["created_at_i"].as_i64().unwrap())
        .max()
        .unwrap();
    assert_eq!(batch.cursor["story"], json!(newest_story));

    // Resuming asks only for newer items; nothing new leaves the cursor as it was.
    let again = hackernews::collect(&config, ctx, Some(&batch.cursor))
        .await
        .unwrap();
    assert!(again.records.is_empty());
    assert_eq!(again.cursor, batch.cursor);
    let last = server.seen();
    let resumed = last
        .iter()
        .rev()
        .find(|s| s.q("tags") == Some("story"))
        .unwrap();
    assert_eq!(
        resumed.q("numericFilters"),
        Some(format!("created_at_i>{newest_story}").as_str())
    );
}

// ---------------------------------------------------------------- faults

/// Serves the HN story fixture, with `fault` answering the requests it chooses (by index), to a
/// client whose retry notices are collected.
async fn faulty_hn(
    fault: impl Fn(usize) -> Option<Reply> + Send + Sync + 'static,
) -> (TestServer, Batch, Vec<String>) {
    let server = serve(move |seen, index| fault(index).unwrap_or_else(|| algolia(seen))).await;
    let notices = Arc::new(Mutex::new(Vec::new()));
    let sink = notices.clone();
    let http = HttpClient::new(&fast_http())
        .unwrap()
        .with_notifier(Box::new(move |line| {
            sink.lock().unwrap().push(line.to_string())
        }));
    let env = env();
    let ctx = Context {
        http: &http,
        env: &env,
        collected_at: collected_at(),
    };
    let previous = json!({ "story": 1_000 });
    let batch = hackernews::collect(
        &hn_config(&server.base, &["story"], 10),
        ctx,
        Some(&previous),
    )
    .await
    .unwrap();
    let notices = notices.lock().unwrap().clone();
    (server, batch, notices)
}

/// A reply the fault-injecting server sends instead of the real one.
type Fault = Box<dyn Fn() -> Reply + Send + Sync>;

#[tokio::test]
async fn transient_faults_are_retried_and_lose_nothing() {
    let html = "<!DOCTYPE html><html><head><title>503</title></head><body>Try later</body></html>";
    let faults: Vec<(&str, Fault)> = vec![
        ("500 then success", Box::new(|| Reply::status(500, "oops"))),
        (
            "429 with Retry-After",
            Box::new(|| Reply::status(429, "slow down").with("retry-after", "1")),
        ),
        (
            "a timeout",
            Box::new(|| Reply {
                delay: Duration::from_millis(1200),
                ..Reply::json(&json!({"hits": []}))
            }),
        ),
        (
            "an HTML page with 200",
            Box::new(move || Reply::ok(html).with("content-type", "text/html")),
        ),
        (
            "truncated JSON",
            Box::new(|| Reply::ok(&fixture("hn-algolia/hn_algolia_new_page.json")[..5000])),
        ),
    ];
    for (name, fault) in faults {
        // The second request (page 2) fails once, then succeeds.
        let (server, batch, notices) = faulty_hn(move |index| (index == 1).then(&fault)).await;
        assert_eq!(notices.len(), 1, "{name}: {notices:?}");
        assert!(
            notices[0].starts_with("GET http://127.0.0.1:") && notices[0].contains("retry 1/2 in"),
            "{name}: {notices:?}"
        );
        assert_eq!(batch.records.len(), 30, "{name}: {:?}", batch.report);
        assert!(
            batch.report.errors.is_empty(),
            "{name}: {:?}",
            batch.report.errors
        );
        let seen = server.seen();
        assert_eq!(
            seen.len(),
            5,
            "{name}: 3 pages plus one retry, then the last short page"
        );
        assert_eq!(
            seen[1].query, seen[2].query,
            "{name}: the retry repeats the same request"
        );
        if name.starts_with("429") {
            assert!(
                seen[2].at - seen[1].at >= Duration::from_millis(950),
                "{name}: Retry-After obeyed"
            );
        }
        assert_ne!(
            batch.cursor["story"],
            json!(1_000),
            "{name}: complete stream moves its cursor"
        );
    }
}

#[tokio::test]
async fn persistent_faults_keep_good_records_and_hold_the_cursor() {
    let faults: Vec<(&str, &str, Fault)> = vec![
        ("500", "HTTP 500", Box::new(|| Reply::status(500, "oops"))),
        (
            "truncated",
            "JSON is truncated",
            Box::new(|| Reply::ok(&fixture("hn-algolia/hn_algolia_new_page.json")[..5000])),
        ),
        (
            "html",
            "got an HTML page instead of JSON",
            Box::new(|| Reply::ok("<html><body>Bad gateway</body></html>")),
        ),
        (
            "utf8",
            "body is not valid UTF-8",
            Box::new(|| Reply::ok(b"{\"hits\": [\"caf\xe9\"]}".to_vec())),
        ),
    ];
    for (name, message, fault) in faults {
        let (server, batch, _) = faulty_hn(move |index| (index >= 1).then(&fault)).await;
        // Page 1 (10 hits) is kept; page 2 failed after 1 + max_retries attempts.
        assert_eq!(batch.records.len(), 10, "{name}");
        assert_eq!(server.seen().len(), 4, "{name}: bounded retries");
        assert_eq!(batch.report.failed_streams, 1);
        let error = &batch.report.errors[0];
        assert!(
            error.starts_with("story: GET http://127.0.0.1:"),
            "{name}: {error}"
        );
        assert!(error.contains("/search_by_date?query=&tags=story&numericFilters=created_at_i%3E1000%2Ccreated_at_i%3C%3D"), "{name}: {error}");
        assert!(
            error.contains(message) && error.ends_with("(after 3 attempts)"),
            "{name}: {error}"
        );
        assert_eq!(
            batch.cursor["story"],
            json!(1_000),
            "{name}: cursor not advanced past lost data"
        );
    }
}

#[tokio::test]
async fn an_item_missing_its_id_is_skipped_and_named() {
    let server = serve(|seen, index| {
        let mut reply = algolia(seen);
        let mut page: Value = serde_json::from_slice(&reply.body).unwrap();
        if let Some(first) = page["hits"]
            .as_array_mut()
            .and_then(|h| h.first_mut())
            .filter(|_| index == 0)
        {
            first.as_object_mut().unwrap().remove("objectID");
        }
        reply.body = page.to_string().into_bytes();
        reply
    })
    .await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let batch = hackernews::collect(&hn_config(&server.base, &["story"], 30), ctx, None)
        .await
        .unwrap();
    assert_eq!(batch.records.len(), 29);
    assert_eq!(
        batch.report.skipped,
        BTreeMap::from([("missing field `objectID`".to_string(), 1)])
    );
    assert!(
        batch.report.warnings[0].starts_with("skipped hit 0 of GET http://127.0.0.1:"),
        "{:?}",
        batch.report.warnings
    );
    assert!(batch.report.errors.is_empty());
    assert!(
        batch.cursor["story"].as_i64().unwrap() > 0,
        "a skipped item is not lost data"
    );
}

#[tokio::test]
async fn server_wait_longer_than_allowed_fails_fast() {
    let (server, batch, _) = faulty_hn(|index| {
        (index == 1).then(|| Reply::status(503, "").with("retry-after", "86400"))
    })
    .await;
    assert_eq!(
        server.seen().len(),
        2,
        "no retry when the server asks for a day"
    );
    assert!(
        batch.report.errors[0].contains("longer than the allowed maximum"),
        "{:?}",
        batch.report.errors
    );
    assert_eq!(batch.records.len(), 10);
}

#[tokio::test]
async fn per_host_limits_bound_concurrency_and_pace_requests() {
    let server = serve(|_, _| Reply {
        delay: Duration::from_millis(60),
        ..Reply::json(&json!({}))
    })
    .await;
    let url = reqwest::Url::parse(&format!("{}/x", server.base)).unwrap();
    let cases = [(1, 0, 55), (4, 30, 28)];
    for (concurrency, interval, min_gap) in cases {
        let settings = HttpSettings {
            per_host_concurrency: concurrency,
            per_host_interval_ms: interval,
            ..fast_http()
        };
        let http = HttpClient::new(&settings).unwrap();
        let before = server.seen().len();
        let calls = (0..3).map(|_| http.get_json(url.clone(), None));
        let results = futures_util::future::join_all(calls).await;
        assert!(results.iter().all(Result::is_ok));
        let seen = server.seen();
        for pair in seen[before..].windows(2) {
            let gap = pair[1].at - pair[0].at;
            assert!(
                gap >= Duration::from_millis(min_gap),
                "concurrency {concurrency}, interval {interval}: {gap:?}"
            );
        }
    }
}

// ---------------------------------------------------------------- Reddit

#[tokio::test]
async fn reddit_authenticates_pages_with_after_and_obeys_rate_limits() {
    let listing = fixture_json("reddit-praw/reddit_r_askreddit_new_listing.json");
    let search = fixture_json("reddit-praw/reddit_r_all_search_listing.json");
    let server = serve(move |seen, _| match seen.path.as_str() {
        "/api/v1/access_token" => Reply::json(&json!({"access_token": "tok-123", "token_type": "bearer", "expires_in": 86400, "scope": "*"})),
        // The recorded 100-link page, served as two pages of 50 chained by `after`.
        "/r/askreddit/new" => {
            let mut page = listing.clone();
            let children = page["data"]["children"].as_array().unwrap().clone();
            let (slice, after) = match seen.q("after") {
                None => (&children[..50], children[49]["data"]["name"].clone()),
                Some(a) if a == children[49]["data"]["name"] => (&children[50..], Value::Null),
                Some(other) => panic!("unexpected after {other}"),
            };
            page["data"]["children"] = Value::Array(slice.to_vec());
            page["data"]["after"] = after;
            let remaining = if seen.q("after").is_none() { "0.0" } else { "599.0" };
            Reply::json(&page).with("x-ratelimit-remaining", remaining).with("x-ratelimit-reset", "1").with("x-ratelimit-used", "1")
        }
        "/search" => Reply::json(&search),
        other => panic!("unexpected path {other}"),
    })
    .await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let config: RedditConfig = toml::from_str(&format!(
        "subreddits = [\"askreddit\"]\nqueries = [\"praw oauth search\"]\npage_size = 50\nbase_url = \"{0}\"\nauth_url = \"{0}\"\n",
        server.base
    ))
    .unwrap();
    let batch = reddit::collect(&config, ctx, None).await.unwrap();
    assert_eq!(batch.records.len(), 106, "{:?}", batch.report);
    assert!(batch.report.errors.is_empty());

    let seen = server.seen();
    assert_user_agent(&seen);
    let token = &seen[0];
    assert_eq!(
        (token.method.as_str(), token.path.as_str()),
        ("POST", "/api/v1/access_token")
    );
    assert_eq!(
        token.header("authorization"),
        Some("Basic cmVkZGl0LWlkOnJlZGRpdC1zZWNyZXQ=")
    );
    assert_eq!(token.body, "grant_type=client_credentials");
    let pages: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.path == "/r/askreddit/new")
        .collect();
    assert_eq!(pages.len(), 2);
    assert!(pages
        .iter()
        .all(|p| p.header("authorization") == Some("Bearer tok-123")));
    assert_eq!(
        (
            pages[0].q("raw_json"),
            pages[0].q("limit"),
            pages[0].q("after")
        ),
        (Some("1"), Some("50"), None)
    );
    let fiftieth = fixture_json("reddit-praw/reddit_r_askreddit_new_listing.json")["data"]
        ["children"][49]["data"]["name"]
        .clone();
    assert_eq!(pages[1].q("after"), fiftieth.as_str());
    assert!(
        pages[1].at - pages[0].at >= Duration::from_millis(950),
        "X-Ratelimit-Remaining 0 holds the host until reset"
    );
    let searched = seen.iter().find(|s| s.path == "/search").unwrap();
    assert_eq!(
        (searched.q("q"), searched.q("sort"), searched.q("type")),
        (Some("praw oauth search"), Some("new"), Some("link"))
    );

    let post = by_id(&batch, "reddit:48fbm9");
    assert_eq!(
        post.title,
        "[Serious] Parents of Reddit, what's the biggest lie about yourself you've told your kids?"
    );
    assert_eq!(post.url, "https://www.reddit.com/r/AskReddit/comments/48fbm9/serious_parents_of_reddit_whats_the_biggest_lie/");
    assert_eq!(post.author.as_deref(), Some("RedHeadQc"));
    assert_eq!(
        post.author_id, None,
        "2016 listings predate author_fullname"
    );
    assert_eq!(post.community.as_deref(), Some("AskReddit"));
    assert_eq!(
        post.created_at,
        "2016-03-01T08:37:38Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(
        (post.engagement.score, post.engagement.replies),
        (Some(1), Some(1))
    );
    assert_eq!(post.matched.as_deref(), Some("r/askreddit"));
    assert_eq!(post.extra["link_flair_text"], "serious replies only");
    assert!(batch.cursor["r/askreddit"].as_f64().unwrap() >= 1456821458.0);
    assert!(
        batch
            .report
            .warnings
            .iter()
            .any(|w| w.ends_with("rate limit spent (1 used), paused 1s until reset")),
        "{:?}",
        batch.report.warnings
    );
}

#[tokio::test]
async fn reddit_without_credentials_names_the_variable() {
    let http = HttpClient::new(&fast_http()).unwrap();
    let env = BTreeMap::new();
    let ctx = Context {
        http: &http,
        env: &env,
        collected_at: collected_at(),
    };
    let config: RedditConfig = toml::from_str("subreddits = [\"ai\"]").unwrap();
    let err = reddit::collect(&config, ctx, None)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "sources.reddit.client_id_env: environment variable REDDIT_CLIENT_ID is not set"
    );
}

// ---------------------------------------------------------------- Bluesky

/// A Bluesky app view: `createSession` for the test credentials, then `searchPosts` over
/// `views` in the given order, keeping those indexed at or after `since`, `limit` per page with
/// the offset as `cursor`.
async fn bluesky_server(views: Vec<Value>) -> TestServer {
    serve(move |seen, _| match seen.path.as_str() {
        "/xrpc/com.atproto.server.createSession" => {
            let body: Value = serde_json::from_str(&seen.body).unwrap();
            assert_eq!(body, json!({"identifier": "zeitgeist.bsky.social", "password": "app-pass-word"}));
            Reply::json(&json!({"accessJwt": "jwt-abc", "refreshJwt": "r", "handle": "zeitgeist.bsky.social", "did": "did:plc:z"}))
        }
        "/xrpc/app.bsky.feed.searchPosts" => {
            assert_eq!(seen.header("authorization"), Some("Bearer jwt-abc"));
            let time = |text: &str| text.parse::<DateTime<Utc>>().ok();
            let since = seen.q("since").and_then(time);
            let matching: Vec<&Value> = views
                .iter()
                .filter(|v| since.is_none_or(|s| time(v.get("post").unwrap_or(v)["indexedAt"].as_str().unwrap()).is_some_and(|t| t >= s)))
                .collect();
            let limit: usize = seen.q("limit").unwrap().parse().unwrap();
            let start: usize = seen.q("cursor").map_or(0, |c| c.parse().unwrap());
            let end = (start + limit).min(matching.len());
            let mut page = json!({"posts": matching[start..end], "hitsTotal": matching.len()});
            if end < matching.len() {
                page["cursor"] = json!(end.to_string());
            }
            Reply::json(&page)
        }
        other => panic!("unexpected path {other}"),
    })
    .await
}

#[tokio::test]
async fn bluesky_search_uses_a_session_and_pages_with_cursor() {
    // No real searchPosts envelope exists in the fixtures: the 123 real postViews are wrapped as
    // `{"posts": […], "cursor": …}` pages of 50, as SOURCE.md suggests.
    let views = fixture_json("bluesky-twitwi/bluesky_postviews_123.json")
        .as_array()
        .unwrap()
        .clone();
    let server = bluesky_server(views).await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let config: BlueskyConfig = toml::from_str(&format!(
        "queries = [\"ESR\"]\npage_size = 50\nbase_url = \"{}\"\n",
        server.base
    ))
    .unwrap();
    let batch = bluesky::collect(&config, ctx, None).await.unwrap();

    // 123 items, 119 distinct posts (repost wrappers repeat some), one with a year-0000 date.
    assert_eq!(batch.report.fetched, 123);
    assert_eq!(batch.records.len(), 118, "{:?}", batch.report.skipped);
    assert_eq!(batch.report.duplicate, 4);
    assert_eq!(
        batch.report.skipped,
        BTreeMap::from([("no valid createdAt or indexedAt".to_string(), 1)])
    );

    let seen = server.seen();
    assert_user_agent(&seen);
    let pages: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.path.ends_with("searchPosts"))
        .collect();
    let cursors: Vec<Option<&str>> = pages.iter().map(|p| p.q("cursor")).collect();
    assert_eq!(cursors, vec![None, Some("50"), Some("100")]);
    assert_eq!(
        (pages[0].q("q"), pages[0].q("sort"), pages[0].q("limit")),
        (Some("ESR"), Some("latest"), Some("50"))
    );

    let post = by_id(
        &batch,
        "bluesky:at://did:plc:crmrddqmbqzyqd24yjlpibz2/app.bsky.feed.post/3lkizm6uvhc2b",
    );
    assert_eq!(
        post.url,
        "https://bsky.app/profile/pecqueuxanthony.bsky.social/post/3lkizm6uvhc2b"
    );
    assert_eq!(post.author.as_deref(), Some("pecqueuxanthony.bsky.social"));
    assert_eq!(
        post.author_id.as_deref(),
        Some("did:plc:crmrddqmbqzyqd24yjlpibz2")
    );
    assert_eq!(
        post.created_at,
        "2025-03-16T16:09:09.779Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(post.language.as_deref(), Some("fr"));
    assert!(
        post.text.starts_with("Autre extrait de cet article")
            && post.text.ends_with("#HCERES #ESR")
    );
    assert_eq!(
        (
            post.engagement.score,
            post.engagement.replies,
            post.engagement.reposts
        ),
        (Some(34), Some(2), Some(8))
    );
    let reply = by_id(
        &batch,
        "bluesky:at://did:plc:fhv65kba5do4hgyf7yq4dtyo/app.bsky.feed.post/3lkhaibfxv22b",
    );
    assert_eq!(reply.kind, Kind::Comment);
    assert_eq!(
        reply.parent_id.as_ref().unwrap().as_str(),
        "bluesky:at://did:plc:7g4ic3vzf6ts42dmpy5usg4l/app.bsky.feed.post/3lkgnjzh6ec2g"
    );
    assert_eq!(batch.cursor["search:ESR"], "2026-01-08T22:22:53.146Z");

    // The next run asks only for posts since the newest one seen.
    bluesky::collect(&config, ctx, Some(&batch.cursor))
        .await
        .unwrap();
    let last = server
        .seen()
        .into_iter()
        .rev()
        .find(|s| s.path.ends_with("searchPosts"))
        .unwrap();
    assert_eq!(last.q("since"), Some("2026-01-08T22:22:53.146Z"));
}

/// A real WebSocket server on loopback sending the recorded Jetstream events, one per message.
async fn jetstream_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/subscribe", listener.local_addr().unwrap());
    let uris = Arc::new(Mutex::new(Vec::new()));
    let seen = uris.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                // The callback's signature (a large `ErrorResponse` error) is tungstenite's.
                #[allow(clippy::result_large_err)]
                let callback =
                    |request: &tokio_tungstenite::tungstenite::handshake::server::Request,
                     response| {
                        seen.lock().unwrap().push(request.uri().to_string());
                        Ok(response)
                    };
                let mut socket = tokio_tungstenite::accept_hdr_async(stream, callback)
                    .await
                    .unwrap();
                let events = fixture_json("bluesky-twitwi/bluesky_jetstream_commit_events.json");
                for event in events.as_array().unwrap() {
                    socket.send(Message::text(event.to_string())).await.unwrap();
                }
                let _ = socket.close(None).await;
            });
        }
    });
    (url, uris)
}

#[tokio::test]
async fn jetstream_streams_posts_and_resumes_from_time_us() {
    let (url, uris) = jetstream_server().await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let config: BlueskyConfig =
        toml::from_str(&format!("[jetstream]\nurl = \"{url}\"\nmax_seconds = 5\n")).unwrap();
    let batch = bluesky::collect(&config, ctx, None).await.unwrap();
    assert_eq!(batch.records.len(), 9, "{:?}", batch.report);
    assert_eq!(batch.cursor["jetstream"], json!(1765196890170392_i64));
    let post = by_id(
        &batch,
        "bluesky:at://did:plc:uu5mtxzumfsy5hqknfetoyft/app.bsky.feed.post/3m7aazmldai25",
    );
    assert_eq!(
        post.text,
        "all that i got is what you see, and isn't a lot, just lil' ol' me."
    );
    assert_eq!(
        post.author_id.as_deref(),
        Some("did:plc:uu5mtxzumfsy5hqknfetoyft")
    );
    assert_eq!(
        post.created_at,
        "2025-12-05T10:16:59.783492Z"
            .parse::<DateTime<Utc>>()
            .unwrap()
    );
    assert_eq!(
        post.url,
        "https://bsky.app/profile/did:plc:uu5mtxzumfsy5hqknfetoyft/post/3m7aazmldai25"
    );
    assert_eq!(post.extra["time_us"], json!(1764929823464700_i64));
    assert_eq!(
        batch
            .records
            .iter()
            .filter(|r| r.kind == Kind::Comment)
            .count(),
        1
    );

    // Resume with the cursor and keep only posts mentioning "christmas".
    let config: BlueskyConfig = toml::from_str(&format!(
        "[jetstream]\nurl = \"{url}\"\nkeywords = [\"Christmas\"]\n"
    ))
    .unwrap();
    let again = bluesky::collect(&config, ctx, Some(&batch.cursor))
        .await
        .unwrap();
    assert_eq!(again.records.len(), 1);
    assert_eq!(again.report.skipped["no keyword match"], 8);
    let uris = uris.lock().unwrap().clone();
    assert_eq!(uris[0], "/subscribe?wantedCollections=app.bsky.feed.post");
    assert_eq!(
        uris[1],
        "/subscribe?wantedCollections=app.bsky.feed.post&cursor=1765196890170392"
    );
}

// ---------------------------------------------------------------- News

#[tokio::test]
async fn news_reads_rss_and_atom_with_conditional_get() {
    let server = serve(|seen, _| {
        let (file, etag) = match seen.path.as_str() {
            "/guardian.rss" | "/search" => ("rss-atom/rss2_guardian_us_2018.xml", "\"g-1\""),
            "/heise.atom" => ("rss-atom/atom_heise_developer_2016.xml", "\"h-1\""),
            other => panic!("unexpected path {other}"),
        };
        if seen.header("if-none-match") == Some(etag) {
            return Reply::status(304, "");
        }
        Reply::ok(fixture(file))
            .with("content-type", "application/xml")
            .with("etag", etag)
            .with("last-modified", "Wed, 31 Jan 2018 20:15:15 GMT")
    })
    .await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let base = &server.base;
    let config: NewsConfig = toml::from_str(&format!(
        "feeds = [\"{base}/guardian.rss\", \"{base}/heise.atom\"]\nsearch_feeds = [\"{base}/search?q={{query}}&hl=en\"]\nqueries = [\"machine learning\"]\n"
    ))
    .unwrap();
    let batch = news::collect(&config, ctx, None).await.unwrap();
    assert_eq!(batch.report.fetched, 55 + 15 + 55);
    assert_eq!(
        batch.records.len(),
        55 + 15,
        "the search feed repeats the Guardian items"
    );
    assert_eq!(batch.report.duplicate, 55);

    let guardian = batch.records.iter().find(|r| r.url == "https://www.theguardian.com/us-news/2018/jan/31/donald-trump-state-of-the-union-address-unity-discord").unwrap();
    assert_eq!(
        guardian.title,
        "Trump State of the Union address promised unity but emphasized discord"
    );
    assert!(
        guardian.text.starts_with(
            "The president’s ‘new American moment’ speech stirred Republican applause"
        ),
        "{}",
        guardian.text
    );
    assert!(!guardian.text.contains('<'));
    assert_eq!(guardian.kind, Kind::Article);
    assert_eq!(guardian.language.as_deref(), Some("en-gb"));
    assert_eq!(
        guardian.matched.as_deref(),
        Some(format!("{base}/guardian.rss").as_str())
    );
    // Known by its address, without the feed's `wt_mc` tracking parameter; the guid is kept.
    let heise = by_id(
        &batch,
        "news:http://www.heise.de/developer/meldung/Java-Anwendungsserver-Red-Hat-gibt-WildFly-10-frei-3088438.html",
    );
    assert_eq!(heise.url, heise.id.native_id());
    assert_eq!(heise.extra["guid"], json!("http://heise.de/-3088438"));
    assert_eq!(
        heise.title,
        "Java-Anwendungsserver: Red Hat gibt WildFly 10 frei"
    );
    assert_eq!(
        heise.created_at,
        "2016-02-01T16:22:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert!(heise
        .text
        .starts_with("Die nun verfügbare Version 10 des Enterprise-Java-Servers"));
    assert_eq!(
        batch.cursor[format!("{base}/heise.atom")],
        json!({"etag": "\"h-1\"", "last_modified": "Wed, 31 Jan 2018 20:15:15 GMT"})
    );

    let search = server
        .seen()
        .into_iter()
        .find(|s| s.path == "/search")
        .unwrap();
    assert_eq!(
        (search.q("q"), search.q("hl")),
        (Some("machine learning"), Some("en"))
    );
    let searched = batch
        .records
        .iter()
        .filter(|r| r.matched.as_deref() == Some("machine learning"))
        .count();
    assert_eq!(searched, 0, "duplicates keep the first feed that matched");

    // Second run: validators sent back, 304s, nothing new, cursor unchanged.
    let again = news::collect(&config, ctx, Some(&batch.cursor))
        .await
        .unwrap();
    assert!(again.records.is_empty());
    assert_eq!(again.cursor, batch.cursor);
    let seen = server.seen();
    assert_user_agent(&seen);
    let conditional = &seen[seen.len() - 2];
    assert_eq!(conditional.path, "/heise.atom");
    assert_eq!(conditional.header("if-none-match"), Some("\"h-1\""));
    assert_eq!(
        conditional.header("if-modified-since"),
        Some("Wed, 31 Jan 2018 20:15:15 GMT")
    );
}

// ---------------------------------------------------------------- YouTube

/// `videos.list?part=statistics`. No recorded response with `statistics` is in the fixtures (the
/// public ones in sns-sdks/python-youtube testdata/apidata/videos/ were recorded with
/// part=snippet,player): this answers in the documented shape (counts as strings) with figures
/// derived from the position.
fn youtube_statistics(seen: &Seen) -> Reply {
    assert_eq!(seen.q("part"), Some("statistics"));
    let items: Vec<Value> = seen.q("id").unwrap().split(',').enumerate().map(|(i, id)| {
        json!({"kind": "youtube#video", "etag": "e", "id": id, "statistics": {"viewCount": format!("{}", 1000 + i), "likeCount": "10", "favoriteCount": "0", "commentCount": "3"}})
    }).collect();
    Reply::json(
        &json!({"kind": "youtube#videoListResponse", "etag": "e", "items": items, "pageInfo": {"totalResults": items.len(), "resultsPerPage": items.len()}}),
    )
}

#[tokio::test]
async fn youtube_searches_pages_adds_statistics_and_never_shows_the_key() {
    let server = serve(|seen, _| {
        assert_eq!(seen.q("key"), Some("AIzaTESTKEY"));
        match seen.path.as_str() {
            "/search" => match seen.q("pageToken") {
                None => Reply::json(&fixture_json("youtube/youtube_search_by_keywords_p1.json")),
                Some("CBkQAA") => {
                    Reply::json(&fixture_json("youtube/youtube_search_by_keywords_p2.json"))
                }
                Some(other) => panic!("unexpected page token {other}"),
            },
            "/videos" => youtube_statistics(seen),
            other => panic!("unexpected path {other}"),
        }
    })
    .await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let config: YoutubeConfig = toml::from_str(&format!(
        "queries = [\"surfing\"]\nlimit = 50\npage_size = 25\nbase_url = \"{}\"\n",
        server.base
    ))
    .unwrap();
    let batch = youtube::collect(&config, ctx, None).await.unwrap();
    assert_eq!(batch.report.fetched, 50);
    assert!(
        batch.report.errors.is_empty() && batch.report.warnings.is_empty(),
        "{:?}",
        batch.report
    );
    let video = by_id(&batch, "youtube:gQ_1zX-F_No");
    assert_eq!(
        video.title,
        "SURFING HAWAII’S BEST WAVE WITH MY GIRLFRIEND (PIPELINE)"
    );
    assert_eq!(video.url, "https://www.youtube.com/watch?v=gQ_1zX-F_No");
    assert_eq!(video.author.as_deref(), Some("Jamie O'Brien"));
    assert_eq!(video.author_id.as_deref(), Some("UCo_q6aOlvPH7M-j_XGWVgXg"));
    assert_eq!(
        video.created_at,
        "2019-12-05T19:00:10Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(
        (
            video.engagement.views,
            video.engagement.score,
            video.engagement.replies
        ),
        (Some(1000), Some(10), Some(3))
    );
    assert!(
        batch
            .records
            .iter()
            .any(|r| r.title == "World's best surfing 2017"),
        "entities unescaped"
    );
    let seen = server.seen();
    assert_user_agent(&seen);
    let first = &seen[0];
    assert_eq!(
        (
            first.q("part"),
            first.q("type"),
            first.q("order"),
            first.q("q"),
            first.q("maxResults")
        ),
        (
            Some("snippet"),
            Some("video"),
            Some("date"),
            Some("surfing"),
            Some("25")
        )
    );
    assert_eq!(
        seen.iter().filter(|s| s.path == "/search").count(),
        2,
        "stops at the limit although p2 has a nextPageToken"
    );

    // A failing API: the error names the URL with the key redacted.
    let down = serve(|_, _| Reply::status(500, "backend error")).await;
    let config = YoutubeConfig {
        base_url: down.base.clone(),
        ..config
    };
    let failed = youtube::collect(&config, ctx, None).await.unwrap();
    let error = &failed.report.errors[0];
    assert!(error.contains("/search?part=snippet&type=video&order=date&q=surfing&maxResults=25&key=REDACTED: HTTP 500"), "{error}");
    assert!(!format!("{:?}", failed.report).contains("AIzaTESTKEY"));
}

// ---------------------------------------------------------------- Mastodon

fn mastodon_statuses() -> Vec<Value> {
    fixture_json("mastodon-tootkit/mastodon_public_timeline_2020.json")
        .as_array()
        .unwrap()
        .clone()
}

/// `/api/v1/timelines/tag/ai` as Mastodon serves it: newest first between `since_id` and
/// `max_id`, with a `Link` header whose `next` carries `max_id` only.
async fn mastodon_server(statuses: Vec<Value>) -> TestServer {
    let server = Arc::new(Mutex::new(String::new()));
    let base_for_links = server.clone();
    let http_server = serve(move |seen, _| {
        assert_eq!(seen.path, "/api/v1/timelines/tag/ai");
        let limit: usize = seen.q("limit").map_or(20, |l| l.parse().unwrap());
        let newer = |s: &Value, bound: Option<&str>| bound.is_none_or(|b| s["id"].as_str().unwrap() > b);
        let older = |s: &Value, bound: Option<&str>| bound.is_none_or(|b| s["id"].as_str().unwrap() < b);
        let page: Vec<Value> = statuses.iter().filter(|s| newer(s, seen.q("since_id")) && older(s, seen.q("max_id"))).take(limit).cloned().collect();
        let mut reply = Reply::json(&Value::Array(page.clone()));
        if let Some(last) = page.last() {
            let base = base_for_links.lock().unwrap().clone();
            let link = format!("<{base}/api/v1/timelines/tag/ai?limit={limit}&max_id={}>; rel=\"next\", <{base}/api/v1/timelines/tag/ai?limit={limit}&min_id={}>; rel=\"prev\"", last["id"].as_str().unwrap(), page[0]["id"].as_str().unwrap());
            reply = reply.with("link", &link);
        }
        reply
    })
    .await;
    *server.lock().unwrap() = http_server.base.clone();
    http_server
}

#[tokio::test]
async fn mastodon_follows_link_next_and_resumes_with_since_id() {
    let http_server = mastodon_server(mastodon_statuses()).await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let config: MastodonConfig = toml::from_str(&format!(
        "instances = [\"{}\"]\ntags = [\"ai\"]\npage_size = 8\n",
        http_server.base
    ))
    .unwrap();
    let batch = mastodon::collect(&config, ctx, None).await.unwrap();
    assert_eq!(batch.records.len(), 20, "{:?}", batch.report);
    let seen = http_server.seen();
    let max_ids: Vec<Option<&str>> = seen.iter().map(|s| s.q("max_id")).collect();
    assert_eq!(
        max_ids,
        vec![
            None,
            Some("104009345653131175"),
            Some("104009345171295837"),
            Some("104009344997858505")
        ]
    );
    let stream = format!("{}#ai", http_server.base);
    assert_eq!(batch.cursor[&stream], "104009345973121628");

    let status = batch
        .records
        .iter()
        .find(|r| r.extra["id"] == "104009345973121628")
        .unwrap();
    assert_eq!(status.id.as_str(), "mastodon:https://friendica.chilemasto.casa/objects/e7f1d4da94e7709966bfc900101aebf181299505");
    assert_eq!(
        status.author.as_deref(),
        Some("elmostrador@friendica.chilemasto.casa")
    );
    assert_eq!(
        status.community.as_deref(),
        Some("friendica.chilemasto.casa")
    );
    assert_eq!(status.language.as_deref(), Some("es"));
    assert_eq!(
        status.created_at,
        "2020-04-16T16:45:08Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(status.matched.as_deref(), Some("#ai"));
    assert!(status.text.starts_with("“Léanlo completo”: la respuesta de Mañalich a las dudas de Espacio Público sobre el Informe Epidemiológico del Minsal\nhttps://tinyurl.com/y7ku9teg\n"), "{}", status.text);

    let again = mastodon::collect(&config, ctx, Some(&batch.cursor))
        .await
        .unwrap();
    assert!(again.records.is_empty());
    assert_eq!(
        http_server.seen().last().unwrap().q("since_id"),
        Some("104009345973121628")
    );
}

#[tokio::test]
async fn mastodon_parses_a_current_status_with_newer_fields() {
    let status = fixture_json("mastodon-docs/mastodon_status_example.json");
    let server = serve(move |_, _| Reply::json(&json!([status.clone()]))).await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let config: MastodonConfig = toml::from_str(&format!(
        "instances = [\"{}\"]\ntags = [\"cats\"]\n",
        server.base
    ))
    .unwrap();
    let batch = mastodon::collect(&config, ctx, None).await.unwrap();
    let record = &batch.records[0];
    assert_eq!(record.author.as_deref(), Some("Gargron"));
    assert_eq!(
        record.community.as_deref(),
        Some("127.0.0.1"),
        "a local account lives on the instance asked"
    );
    assert!(record.extra.contains_key("quotes_count"));
}

// ---------------------------------------------------------------- arXiv

/// The recorded Atom feed split into its head (everything before the first entry) and entries.
fn arxiv_feed() -> (String, Vec<String>) {
    let feed = fixture("arxiv/arxiv_api_query_all_science_2019.xml");
    let head = feed[..feed.find("<entry>").unwrap()].to_string();
    let entries = feed
        .split("<entry>")
        .skip(1)
        .map(|rest| {
            format!(
                "<entry>{}</entry>\n",
                rest.split("</entry>").next().unwrap()
            )
        })
        .collect();
    (head, entries)
}

/// `/api/query` as arXiv pages it: `max_results` entries from offset `start`, in the order given
/// (an offset past the end gets the head with no entries).
async fn arxiv_server(head: String, entries: Vec<String>) -> TestServer {
    serve(move |seen, _| {
        assert_eq!(seen.path, "/api/query");
        let start: usize = seen.q("start").unwrap().parse().unwrap();
        let max: usize = seen.q("max_results").unwrap().parse().unwrap();
        let page = entries
            .iter()
            .skip(start)
            .take(max)
            .cloned()
            .collect::<String>();
        Reply::ok(format!("{head}{page}</feed>\n")).with("content-type", "application/atom+xml")
    })
    .await
}

#[tokio::test]
async fn arxiv_reads_the_atom_api_and_pages_with_start() {
    let (head, entries) = arxiv_feed();
    let server = arxiv_server(head, entries).await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let config: ArxivConfig = toml::from_str(&format!(
        "categories = [\"cs.DB\"]\npage_size = 10\nbase_url = \"{}/api\"\n",
        server.base
    ))
    .unwrap();
    let batch = arxiv::collect(&config, ctx, None).await.unwrap();
    assert_eq!(batch.records.len(), 10, "{:?}", batch.report);
    let seen = server.seen();
    assert_user_agent(&seen);
    assert_eq!(
        (
            seen[0].q("search_query"),
            seen[0].q("sortBy"),
            seen[0].q("sortOrder"),
            seen[0].q("max_results")
        ),
        (
            Some("cat:cs.DB"),
            Some("submittedDate"),
            Some("descending"),
            Some("10")
        )
    );
    assert_eq!(
        seen.iter()
            .map(|s| s.q("start").unwrap().to_string())
            .collect::<Vec<_>>(),
        ["0", "10"]
    );

    let paper = by_id(&batch, "arxiv:1501.05039");
    assert_eq!(paper.kind, Kind::Paper);
    assert_eq!(paper.title, "Defining Data Science");
    assert_eq!(paper.url, "https://arxiv.org/abs/1501.05039");
    assert!(paper.text.starts_with("Data science is gaining more and more and widespread attention, but no consensus viewpoint"));
    assert_eq!(paper.author.as_deref(), Some("Yangyong Zhu"));
    assert_eq!(paper.extra["authors"], json!(["Yangyong Zhu", "Yun Xiong"]));
    assert_eq!(paper.community.as_deref(), Some("cs.DB"));
    assert_eq!(paper.extra["categories"], json!(["cs.DB", "cs.CY"]));
    assert_eq!(paper.extra["pdf"], "http://arxiv.org/pdf/1501.05039v1");
    assert_eq!(
        paper.created_at,
        "2015-01-21T02:41:55Z".parse::<DateTime<Utc>>().unwrap()
    );
    let newest = batch.records.iter().map(|r| r.created_at).max().unwrap();
    assert_eq!(
        batch.cursor["cat:cs.DB"],
        newest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
}

// ---------------------------------------------------------------- orchestration

/// Keeps batches in memory, refusing sources listed in `broken`.
#[derive(Default)]
struct MemorySink {
    cursors: Mutex<BTreeMap<Source, Value>>,
    stored: Mutex<BTreeMap<String, Record>>,
    broken: Vec<Source>,
}

impl BatchSink for MemorySink {
    fn load_cursor(&self, source: Source) -> Result<Option<Value>, SinkError> {
        Ok(self.cursors.lock().unwrap().get(&source).cloned())
    }
    fn commit(&self, batch: &Batch) -> Result<CommitReceipt, SinkError> {
        if self.broken.contains(&batch.source) {
            return Err(SinkError("data/snapshots: disk full".into()));
        }
        let mut stored = self.stored.lock().unwrap();
        let mut receipt = CommitReceipt {
            location: Some(format!("memory:{}", batch.source)),
            ..Default::default()
        };
        for record in &batch.records {
            if stored
                .insert(record.id.to_string(), record.clone())
                .is_none()
            {
                receipt.stored += 1;
            } else {
                receipt.duplicates += 1;
            }
        }
        self.cursors
            .lock()
            .unwrap()
            .insert(batch.source, batch.cursor.clone());
        Ok(receipt)
    }
}

#[tokio::test]
async fn run_isolates_failing_sources_and_summarises() {
    let hn = serve(|seen, _| algolia(seen)).await;
    let feeds = serve(|_, _| Reply::ok(fixture("rss-atom/atom_heise_developer_2016.xml"))).await;
    let config: SourcesConfig = toml::from_str(&format!(
        "[hackernews]\ntags = [\"story\"]\nbase_url = \"{}\"\n[news]\nfeeds = [\"{}/heise.atom\"]\n[reddit]\nsubreddits = [\"ai\"]\n[youtube]\nqueries = [\"ai\"]\nbase_url = \"{}\"\n",
        hn.base, feeds.base, feeds.base
    ))
    .unwrap();
    config.validate().unwrap();
    let http = HttpClient::new(&fast_http()).unwrap();
    let env = BTreeMap::from([("YOUTUBE_API_KEY".to_string(), "AIzaTESTKEY".to_string())]);
    let ctx = Context {
        http: &http,
        env: &env,
        collected_at: collected_at(),
    };
    let sink = MemorySink {
        broken: vec![Source::News],
        ..Default::default()
    };
    let summary = run(&config, ctx, &sink).await;

    let status = |source| {
        summary
            .outcomes
            .iter()
            .find(|o| o.source == source)
            .unwrap()
            .status
            .clone()
    };
    assert_eq!(status(Source::Hackernews), SourceStatus::Ok);
    assert_eq!(
        status(Source::Reddit),
        SourceStatus::Failed(
            "sources.reddit.client_id_env: environment variable REDDIT_CLIENT_ID is not set".into()
        )
    );
    assert_eq!(
        status(Source::News),
        SourceStatus::Failed("cannot store batch: data/snapshots: disk full".into())
    );
    assert!(
        matches!(status(Source::Youtube), SourceStatus::Failed(reason) if reason.contains("got an HTML page") || reason.contains("JSON"))
    );
    assert!(!summary.all_failed());
    let text = summary.to_string();
    assert!(
        text.contains(
            "hackernews  ok; fetched 30, new 30, duplicate 0, skipped 0, streams 1/1 ok, errors 0"
        ),
        "{text}"
    );
    assert!(
        text.contains("→ memory:hackernews") && text.ends_with("collect: 4 source(s), 3 failed\n"),
        "{text}"
    );
    assert!(!text.contains("AIzaTESTKEY"), "{text}");
    assert_eq!(sink.stored.lock().unwrap().len(), 30);

    // Second run: cursors come from the sink; nothing new is stored twice.
    let summary = run(&config, ctx, &sink).await;
    let hn = summary
        .outcomes
        .iter()
        .find(|o| o.source == Source::Hackernews)
        .unwrap();
    assert_eq!((hn.report.fetched, hn.report.new), (0, 0));
    assert_eq!(sink.stored.lock().unwrap().len(), 30);

    let only_reddit: SourcesConfig = toml::from_str("[reddit]\nsubreddits = [\"ai\"]\n").unwrap();
    assert!(run(&only_reddit, ctx, &sink).await.all_failed());
}

#[tokio::test]
async fn jetstream_and_search_agree_on_the_same_posts() {
    // The same 9 posts arrive once as Jetstream commits and once hydrated as postViews
    // (`app.bsky.feed.getPosts` output, wrapped here in a searchPosts envelope).
    let views = fixture_json("bluesky-twitwi/bluesky_postviews_hydrated_from_jetstream.json");
    let search = serve(move |seen, _| match seen.path.as_str() {
        "/xrpc/com.atproto.server.createSession" => {
            Reply::json(&json!({"accessJwt": "jwt", "did": "did:plc:z"}))
        }
        _ => Reply::json(&json!({ "posts": views.clone() })),
    })
    .await;
    let (url, _) = jetstream_server().await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let config: BlueskyConfig = toml::from_str(&format!(
        "queries = [\"x\"]\nbase_url = \"{}\"\n[jetstream]\nurl = \"{url}\"\nmax_events = 9\n",
        search.base
    ))
    .unwrap();
    let batch = bluesky::collect(&config, ctx, None).await.unwrap();
    assert_eq!(batch.report.fetched, 18);
    assert_eq!(
        (batch.records.len(), batch.report.duplicate),
        (9, 9),
        "every stream post joins its view"
    );
    // The first copy (the hydrated view) is kept: it knows the handle and engagement.
    let post = by_id(
        &batch,
        "bluesky:at://did:plc:uu5mtxzumfsy5hqknfetoyft/app.bsky.feed.post/3m7aazmldai25",
    );
    assert!(post.author.is_some() && post.engagement.score.is_some());
    assert_eq!(
        post.created_at,
        "2025-12-05T10:16:59.783492Z"
            .parse::<DateTime<Utc>>()
            .unwrap()
    );
    assert_eq!(batch.cursor["jetstream"], json!(1765196890170392_i64));
}

#[tokio::test]
async fn refused_connections_and_bad_cursors_are_reported_not_fatal() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let harness = Harness::new();
    let ctx = harness.ctx();
    let config = hn_config(&format!("http://127.0.0.1:{port}"), &["story"], 10);
    let garbage = json!(["not", "a", "cursor"]);
    let batch = hackernews::collect(&config, ctx, Some(&garbage))
        .await
        .unwrap();
    assert!(
        batch.report.warnings[0].starts_with("stored cursor unreadable"),
        "{:?}",
        batch.report.warnings
    );
    let error = &batch.report.errors[0];
    assert!(
        error.contains("connection failed") && error.contains("(after 3 attempts)"),
        "{error}"
    );
    assert!(batch.report.all_streams_failed());
}

// ---------------------------------------------------------------- limits and backfill

/// Runs `collect` with the previous cursor until no backfill is left (at most `max_runs`),
/// returning every run's batch.
async fn runs_until_closed<F, Fut>(start: Value, max_runs: usize, collect: F) -> Vec<Batch>
where
    F: Fn(Value) -> Fut,
    Fut: std::future::Future<Output = Batch>,
{
    let mut cursor = start;
    let mut batches = vec![];
    for _ in 0..max_runs {
        let batch = collect(cursor).await;
        cursor = batch.cursor.clone();
        let open = cursor
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.ends_with("#backfill"));
        batches.push(batch);
        if !open {
            return batches;
        }
    }
    panic!("backfill still open after {max_runs} runs: {cursor}");
}

/// How often each record id was read over all runs.
fn union_of(batches: &[Batch]) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    for batch in batches {
        for record in &batch.records {
            *ids.entry(record.id.as_str().to_string()).or_insert(0) += 1;
        }
    }
    ids
}

/// The shape every limited stream shows over its runs: run 1 moves `stream`'s marker to `newest`
/// and leaves the gap `{resume, until}` with a warning naming both; later runs keep the marker;
/// the last run closes the gap, after several runs.
fn assert_gap_closed(
    batches: &[Batch],
    stream: &str,
    limit: usize,
    newest: Value,
    resume: Value,
    until: Value,
) {
    assert!(batches.len() >= 3, "the gap needs several runs");
    let gap_key = format!("{stream}#backfill");
    let first = &batches[0];
    assert_eq!(first.cursor[stream], newest);
    assert_eq!(
        first.cursor[&gap_key],
        json!({ "resume": resume, "until": until })
    );
    assert!(first.report.warnings.contains(&format!(
        "stream {stream}: stopped at limit {limit} before reaching the previous cursor {until}; will resume from {resume}"
    )));
    for batch in &batches[1..] {
        assert_eq!(batch.cursor[stream], newest, "cursor stays put");
    }
    assert!(batches.last().unwrap().cursor.get(&gap_key).is_none());
}

#[tokio::test]
async fn hackernews_limit_leaves_a_backfill_that_the_next_runs_close() {
    let server = serve(|seen, _| algolia(seen)).await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let hits = fixture_json("hn-algolia/hn_algolia_new_page.json")["hits"].clone();
    let times: Vec<i64> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["created_at_i"].as_i64().unwrap())
        .collect();
    // An earlier run reached the 25th newest story; 24-ish newer ones wait, the limit is 8.
    let old_cursor = times[24];
    let expected: Vec<String> = hits
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["created_at_i"].as_i64().unwrap() > old_cursor)
        .map(|h| format!("hackernews:{}", h["objectID"].as_str().unwrap()))
        .collect();
    let mut config = hn_config(&server.base, &["story"], 4);
    config.limit = 8;
    let batches = runs_until_closed(json!({ "story": old_cursor }), 6, |cursor| {
        let config = config.clone();
        async move {
            hackernews::collect(&config, ctx, Some(&cursor))
                .await
                .unwrap()
        }
    })
    .await;
    // Run 1 moves the cursor to the newest story and records the gap it left.
    let newest = *times.iter().max().unwrap();
    let oldest_read = batches[0]
        .records
        .iter()
        .map(|r| r.created_at.timestamp())
        .min()
        .unwrap();
    assert_gap_closed(
        &batches,
        "story",
        8,
        json!(newest),
        json!(oldest_read),
        json!(old_cursor),
    );

    // Later runs read only the gap: bounded above by the resume point, below by the old cursor.
    let seen = server.seen();
    let second_run_first_page = seen
        .iter()
        .find(|s| {
            s.q("numericFilters")
                == Some(format!("created_at_i>{old_cursor},created_at_i<={oldest_read}").as_str())
        })
        .expect("run 2 resumes the gap");
    assert_eq!(second_run_first_page.q("hitsPerPage"), Some("4"));

    // Nothing lost; repeats only at resume boundaries.
    let ids = union_of(&batches);
    let got: Vec<&String> = ids.keys().collect();
    let mut want: Vec<&String> = expected.iter().collect();
    want.sort();
    assert_eq!(got, want);
    let resumes: Vec<i64> = batches
        .iter()
        .filter_map(|b| b.cursor["story#backfill"]["resume"].as_i64())
        .collect();
    for batch in &batches {
        for record in &batch.records {
            if ids[record.id.as_str()] > 1 {
                assert!(
                    resumes.contains(&record.created_at.timestamp()),
                    "{} read twice away from a boundary",
                    record.id.as_str()
                );
            }
        }
    }
}

#[tokio::test]
async fn reddit_limit_leaves_a_backfill_resumed_with_after() {
    let listing = fixture_json("reddit-praw/reddit_r_askreddit_new_listing.json");
    let children = listing["data"]["children"].as_array().unwrap().clone();
    let served = children.clone();
    // /r/{sub}/new as Reddit pages it: `limit` links after the link named by `after`.
    let server = serve(move |seen, _| match seen.path.as_str() {
        "/api/v1/access_token" => Reply::json(&json!({"access_token": "tok-123", "token_type": "bearer", "expires_in": 86400, "scope": "*"})),
        "/r/askreddit/new" => {
            let limit: usize = seen.q("limit").unwrap().parse().unwrap();
            let start = seen.q("after").map_or(0, |a| {
                1 + served.iter().position(|c| c["data"]["name"] == a).expect("known after")
            });
            let end = (start + limit).min(served.len());
            let mut page = listing.clone();
            page["data"]["children"] = Value::Array(served[start..end].to_vec());
            page["data"]["after"] = if end < served.len() { served[end - 1]["data"]["name"].clone() } else { Value::Null };
            Reply::json(&page)
        }
        other => panic!("unexpected path {other}"),
    })
    .await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let config: RedditConfig = toml::from_str(&format!(
        "subreddits = [\"askreddit\"]\nlimit = 20\npage_size = 10\nbase_url = \"{0}\"\nauth_url = \"{0}\"\n",
        server.base
    ))
    .unwrap();
    let created = |c: &Value| c["data"]["created_utc"].as_f64().unwrap();
    // An earlier run reached the 60th newest link: about 60 newer ones wait, the limit is 20.
    let old_cursor = created(&children[59]);
    let expected: BTreeMap<String, usize> = children
        .iter()
        .filter(|c| created(c) >= old_cursor)
        .map(|c| (format!("reddit:{}", c["data"]["id"].as_str().unwrap()), 1))
        .collect();
    let batches = runs_until_closed(json!({ "r/askreddit": old_cursor }), 6, |cursor| {
        let config = config.clone();
        async move { reddit::collect(&config, ctx, Some(&cursor)).await.unwrap() }
    })
    .await;
    let newest = children.iter().map(created).fold(f64::MIN, f64::max);
    let twentieth = children[19]["data"]["name"].as_str().unwrap();
    assert_gap_closed(
        &batches,
        "r/askreddit",
        20,
        json!(newest),
        json!(twentieth),
        json!(old_cursor),
    );
    let seen = server.seen();
    assert!(
        seen.iter().any(|s| s.q("after") == Some(twentieth)),
        "run 2 resumes after the last link run 1 read"
    );
    // `after` paging has no overlap: every link exactly once, none lost.
    assert_eq!(union_of(&batches), expected);
}

#[tokio::test]
async fn mastodon_limit_leaves_a_backfill_resumed_with_max_id() {
    let statuses = mastodon_statuses();
    let server = mastodon_server(statuses.clone()).await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let config: MastodonConfig = toml::from_str(&format!(
        "instances = [\"{}\"]\ntags = [\"ai\"]\npage_size = 4\nlimit = 4\n",
        server.base
    ))
    .unwrap();
    let stream = format!("{}#ai", server.base);
    let id = |i: usize| statuses[i]["id"].as_str().unwrap().to_string();
    // An earlier run reached the 15th newest status: 14 newer ones wait, the limit is 4.
    let old_cursor = id(14);
    let expected: BTreeMap<String, usize> = statuses[..14]
        .iter()
        .map(|s| (format!("mastodon:{}", s["uri"].as_str().unwrap()), 1))
        .collect();
    let batches = runs_until_closed(json!({ &stream: old_cursor }), 6, |cursor| {
        let config = config.clone();
        async move {
            mastodon::collect(&config, ctx, Some(&cursor))
                .await
                .unwrap()
        }
    })
    .await;
    assert_gap_closed(
        &batches,
        &stream,
        4,
        json!(id(0)),
        json!(id(3)),
        json!(old_cursor),
    );
    let seen = server.seen();
    assert!(
        seen.iter()
            .any(|s| s.q("max_id") == Some(&id(3)) && s.q("since_id") == Some(&old_cursor)),
        "run 2 resumes below the oldest status run 1 read, above the old cursor"
    );
    // `max_id` paging has no overlap: every status exactly once, none lost.
    assert_eq!(union_of(&batches), expected);
}

#[tokio::test]
async fn bluesky_limit_leaves_a_backfill_resumed_with_cursor() {
    // The real postViews, newest indexed first as `sort=latest` returns them.
    let mut views: Vec<Value> = fixture_json("bluesky-twitwi/bluesky_postviews_123.json")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.get("post").unwrap_or(v).clone())
        .collect();
    let indexed = |v: &Value| {
        v["indexedAt"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap()
    };
    views.sort_by_key(|v| std::cmp::Reverse(indexed(v)));
    views.dedup_by(|a, b| a["uri"] == b["uri"]);
    let newest = views[0]["indexedAt"].clone();
    // An earlier run reached the 61st newest post: 60 newer ones wait, the limit is 20.
    let old_cursor = views[60]["indexedAt"].as_str().unwrap().to_string();
    let server = bluesky_server(views).await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let config_with = |limit: usize| -> BlueskyConfig {
        toml::from_str(&format!(
            "queries = [\"ESR\"]\nlimit = {limit}\npage_size = 10\nbase_url = \"{}\"\n",
            server.base
        ))
        .unwrap()
    };
    let start = json!({ "search:ESR": old_cursor });
    let config = config_with(20);
    let batches = runs_until_closed(start.clone(), 6, |cursor| {
        let config = config.clone();
        async move { bluesky::collect(&config, ctx, Some(&cursor)).await.unwrap() }
    })
    .await;
    assert_gap_closed(
        &batches,
        "search:ESR",
        20,
        newest,
        json!("20"),
        json!(old_cursor),
    );
    assert!(
        server
            .seen()
            .iter()
            .any(|s| s.q("cursor") == Some("20") && s.q("since") == Some(old_cursor.as_str())),
        "run 2 resumes from the page cursor with the old since"
    );
    // The limited runs together read exactly what one unlimited run reads, each post once.
    let unlimited = bluesky::collect(&config_with(1000), ctx, Some(&start))
        .await
        .unwrap();
    let expected = union_of(&[unlimited]);
    assert!(expected.len() >= 60, "{}", expected.len());
    assert_eq!(union_of(&batches), expected);
}

#[tokio::test]
async fn arxiv_limit_leaves_a_backfill_resumed_with_start() {
    let (head, mut entries) = arxiv_feed();
    let published = |entry: &String| {
        let from = entry.find("<published>").unwrap() + "<published>".len();
        entry[from..from + 20].to_string()
    };
    // Newest submission first, as `sortBy=submittedDate&sortOrder=descending` returns them.
    entries.sort_by_key(|e| std::cmp::Reverse(published(e)));
    let newest = published(&entries[0]);
    // An earlier run reached the 8th newest paper: 7 newer ones wait, the limit is 2.
    let old_cursor = published(&entries[7]);
    let server = arxiv_server(head, entries).await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let config_with = |limit: usize| -> ArxivConfig {
        toml::from_str(&format!(
            "categories = [\"cs.DB\"]\nlimit = {limit}\npage_size = 2\nbase_url = \"{}/api\"\n",
            server.base
        ))
        .unwrap()
    };
    let start = json!({ "cat:cs.DB": old_cursor });
    let config = config_with(2);
    let batches = runs_until_closed(start.clone(), 6, |cursor| {
        let config = config.clone();
        async move { arxiv::collect(&config, ctx, Some(&cursor)).await.unwrap() }
    })
    .await;
    assert_gap_closed(
        &batches,
        "cat:cs.DB",
        2,
        json!(newest),
        json!(2),
        json!(old_cursor),
    );
    let starts: Vec<String> = server
        .seen()
        .iter()
        .map(|s| s.q("start").unwrap().to_string())
        .collect();
    assert_eq!(
        &starts[..3],
        ["0", "2", "4"],
        "each run resumes at the next offset"
    );
    // The limited runs together read exactly what one unlimited run reads, each paper once.
    let unlimited = arxiv::collect(&config_with(100), ctx, Some(&start))
        .await
        .unwrap();
    let expected = union_of(&[unlimited]);
    // The 7 newer papers and the one at the cursor (kept: same-second submissions share it).
    assert_eq!(expected.len(), 8);
    assert_eq!(union_of(&batches), expected);
}

#[tokio::test]
async fn youtube_limit_leaves_a_backfill_resumed_with_page_token() {
    // The 50 recorded results, newest first as `order=date` returns them.
    let p1 = fixture_json("youtube/youtube_search_by_keywords_p1.json");
    let p2 = fixture_json("youtube/youtube_search_by_keywords_p2.json");
    let mut items: Vec<Value> = [&p1, &p2]
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().clone())
        .collect();
    let published = |v: &Value| {
        v["snippet"]["publishedAt"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap()
    };
    items.sort_by_key(|v| std::cmp::Reverse(published(v)));
    let stamp = |v: &Value| published(v).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let newest = stamp(&items[0]);
    // An earlier run reached the 31st newest video: 30 newer ones wait, the limit is 10.
    let old_cursor = stamp(&items[30]);
    let envelope = p1.clone();
    // search.list with `publishedAfter` (at or after), `maxResults` per page, the offset as token.
    let server = serve(move |seen, _| match seen.path.as_str() {
        "/search" => {
            let after = seen
                .q("publishedAfter")
                .map(|a| a.parse::<DateTime<Utc>>().unwrap());
            let matching: Vec<&Value> = items
                .iter()
                .filter(|v| after.is_none_or(|a| published(v) >= a))
                .collect();
            let max: usize = seen.q("maxResults").unwrap().parse().unwrap();
            let start: usize = seen.q("pageToken").map_or(0, |t| t.parse().unwrap());
            let end = (start + max).min(matching.len());
            let mut page = envelope.clone();
            page["items"] = json!(matching[start..end]);
            page["nextPageToken"] = if end < matching.len() {
                json!(end.to_string())
            } else {
                Value::Null
            };
            Reply::json(&page)
        }
        "/videos" => youtube_statistics(seen),
        other => panic!("unexpected path {other}"),
    })
    .await;
    let harness = Harness::new();
    let ctx = harness.ctx();
    let config_with = |limit: usize| -> YoutubeConfig {
        toml::from_str(&format!(
            "queries = [\"surfing\"]\nlimit = {limit}\npage_size = 5\nbase_url = \"{}\"\n",
            server.base
        ))
        .unwrap()
    };
    let start = json!({ "search:surfing": old_cursor });
    let config = config_with(10);
    let batches = runs_until_closed(start.clone(), 6, |cursor| {
        let config = config.clone();
        async move { youtube::collect(&config, ctx, Some(&cursor)).await.unwrap() }
    })
    .await;
    assert_gap_closed(
        &batches,
        "search:surfing",
        10,
        json!(newest),
        json!("10"),
        json!(old_cursor),
    );
    assert!(
        server.seen().iter().any(|s| s.q("pageToken") == Some("10")
            && s.q("publishedAfter") == Some(old_cursor.as_str())),
        "run 2 resumes from the page token with the old publishedAfter"
    );
    // The limited runs together read exactly what one unlimited run reads, each video once.
    let unlimited = youtube::collect(&config_with(1000), ctx, Some(&start))
        .await
        .unwrap();
    let expected = union_of(&[unlimited]);
    assert!(expected.len() >= 30, "{}", expected.len());
    assert_eq!(union_of(&batches), expected);
}

#[tokio::test]
async fn large_bodies_and_redirect_loops_fail_once_without_buffering_or_retrying() {
    static CHUNK: [u8; 65_536] = [b' '; 65_536];
    let hits = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let count = hits.clone();
    let app = axum::Router::new().fallback(move |request: Request| {
        let count = count.clone();
        async move {
            let path = request.uri().path().to_string();
            *count.lock().unwrap().entry(path.clone()).or_default() += 1;
            // 50 MB, streamed: chunked without a length, or with its length announced.
            let chunks = futures_util::stream::iter(
                (0..800).map(|_| Ok::<_, std::convert::Infallible>(&CHUNK[..])),
            );
            let response = Response::builder().header("content-type", "application/json");
            match path.as_str() {
                "/chunked" => response.body(Body::from_stream(chunks)).unwrap(),
                "/sized" => response
                    .header("content-length", (800 * CHUNK.len()).to_string())
                    .body(Body::from_stream(chunks))
                    .unwrap(),
                _ => Response::builder()
                    .status(302)
                    .header("location", "/loop")
                    .body(Body::empty())
                    .unwrap(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = HttpClient::new(&HttpSettings {
        timeout_ms: 20_000,
        ..fast_http()
    })
    .unwrap();
    for (path, expected) in [
        ("/chunked", "body is larger than the 1048576-byte limit"),
        ("/sized", "body is larger than the 1048576-byte limit"),
        ("/loop", "redirects loop or go on too long"),
    ] {
        let url = reqwest::Url::parse(&format!("{base}{path}")).unwrap();
        let err = http.get_json(url, None).await.unwrap_err();
        assert_eq!(err.attempts, 1, "{path}: {err}");
        assert!(err.to_string().contains(expected), "{path}: {err}");
    }
    let hits = hits.lock().unwrap().clone();
    assert_eq!(hits["/chunked"], 1);
    assert_eq!(hits["/sized"], 1);
    assert!(hits["/loop"] <= 11, "{hits:?}");
}
