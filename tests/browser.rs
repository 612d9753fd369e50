//! The published site end to end: the demo site is built from the bundled store
//! (`data/snapshots/`) through analysis and the offline writer, then
//!
//! - every API file must match its schema in `api/v1/openapi.json`, and build twice to the same
//!   bytes; every HTML page must tokenize without errors and every internal link must resolve;
//! - in headless Chromium (driven over WebDriver by chromedriver), the Playground fetches an
//!   endpoint and shows its JSON, the wire page (when the theme has one) shows a record added to
//!   `wire.json` after its poll, search run from a linked `/search/?q=…&platform=…` finds a
//!   story by its headline, narrows by platform and keeps a hostile query inert, no page logs a console error and no request leaves loopback.
//!
//! Chromium and chromedriver come from Debian (`.ci/run` installs them). Without them the
//! browser test prints a skip line, except under `CI=true`, where it fails.

use crate::common;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{copy_analysis_files, copy_tree};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use serde_json::{json, Value};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_zeitgeist");

/// A demo site root in a temporary folder: the repository's config, theme, content and
/// taxonomy, the bundled store, and analysis and stories made from it by the real commands.
struct Demo {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(prepare_demo)
}

fn run(root: &Path, args: &[&str]) {
    let output = Command::new(BIN)
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("run zeitgeist");
    assert!(
        output.status.success(),
        "zeitgeist {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn prepare_demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let repo = Path::new(REPO);
    std::fs::copy(repo.join("site.toml"), root.join("site.toml")).unwrap();
    for folder in ["themes", "static", "prompts", "data/snapshots", "data/api"] {
        if repo.join(folder).exists() {
            copy_tree(&repo.join(folder), &root.join(folder));
        }
    }
    copy_analysis_files(repo, &root);
    // The repository's pages, but stories only from this run's synthesis.
    let content = repo.join("content");
    for entry in walkdir::WalkDir::new(&content) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(&content).unwrap();
        let story = rel.starts_with("stories") && rel.file_name().is_some_and(|n| n != "_index.md");
        if entry.file_type().is_file() && !story {
            let target = root.join("content").join(rel);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
    let mut store = zeitgeist::store::Store::open(root.join("data"));
    let hostile: zeitgeist::model::Record = serde_json::from_value(hostile_record()).unwrap();
    store
        .commit(zeitgeist::store::Batch::new(hostile.source, vec![hostile]))
        .unwrap();
    write_run_logs(&root);
    let records = store
        .read_window(&zeitgeist::store::TimeWindow::all())
        .unwrap();
    assert!(records.len() > 1000, "the bundled store has records");
    let mut jsonl = Vec::new();
    for record in &records {
        serde_json::to_writer(&mut jsonl, record).unwrap();
        jsonl.push(b'\n');
    }
    let input = root.join("records.jsonl");
    std::fs::write(&input, jsonl).unwrap();
    run(&root, &["analyze", "--input", input.to_str().unwrap()]);
    run(&root, &["synthesize", "--writer", "offline"]);
    Demo { _dir: dir, root }
}

const HOSTILE_ID: &str = "reddit:zz-hostile-test";
const HOSTILE_TITLE: &str = "<script>alert(1)</script> OpenAI ships GPT-5 agents";

/// A record about AI whose title and text are markup and whose link is `javascript:`.
fn hostile_record() -> Value {
    json!({
        "id": HOSTILE_ID, "source": "reddit", "kind": "post",
        "url": "javascript:alert(1)",
        "title": HOSTILE_TITLE,
        "text": "<img src=x onerror=alert(1)> ChatGPT and Claude agents from OpenAI and Anthropic <a href=\"javascript:alert(1)\">click</a>",
        "author": "<b>mallory</b>", "community": "singularity",
        "created_at": "2026-06-30T22:30:00Z", "collected_at": "2026-06-30T22:40:00Z",
        "engagement": {"score": 5}
    })
}

/// Two run logs in the run stage's format (`src/pipeline/runlog.rs`) and one that is not JSON.
fn write_run_logs(root: &Path) {
    let dir = root.join("data/runs/2026/06");
    std::fs::create_dir_all(&dir).unwrap();
    let log = json!({
        "schema": 1, "mode": "offline", "clock": "2026-06-30T23:00:00Z",
        "started_at": "2026-06-30T23:00:00Z", "finished_at": "2026-06-30T23:00:00Z",
        "status": "partial",
        "sources": {
            "reddit": {"status": "ok", "fetched": 120, "new": 117, "duplicate": 3, "skipped": 0, "errors": []},
            "bluesky": {"status": "failed", "fetched": 0, "new": 0, "duplicate": 0, "skipped": 0,
                        "errors": ["https://bsky.social/xrpc/app.bsky.feed.searchPosts: HTTP 503"]}
        },
        "records": {"new": 117, "analyzed": 5210, "relevant": 3990},
        "analysis": {"signals": 41, "candidates": 17, "suppressed": 3},
        "stories": [{"path": "stories/2026/06/x.md", "title": "Console test story", "beat": "agents",
                     "lead": true, "writer": "offline", "grounding_checks": 23, "repaired": false, "fell_back": false}],
        "covered": 2, "writer": {"kind": "offline"},
        "tokens": {"input_tokens": 0, "output_tokens": 0, "requests": 0},
        "stages": [{"stage": "collect", "count": 117}],
        "errors": ["bluesky: HTTP 503"]
    });
    std::fs::write(
        dir.join("20260630T230000Z.json"),
        serde_json::to_vec_pretty(&log).unwrap(),
    )
    .unwrap();
    let mut older = log.clone();
    older["status"] = json!("ok");
    older["clock"] = json!("2026-06-30T22:00:00Z");
    std::fs::write(
        dir.join("20260630T220000Z.json"),
        serde_json::to_vec_pretty(&older).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("20260629T230000Z.json"), "{ not json").unwrap();
}

fn build(root: &Path, output: &Path, base_url: &str) {
    run(
        root,
        &[
            "build",
            "--output",
            output.to_str().unwrap(),
            "--base-url",
            base_url,
        ],
    );
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The schema name an API file must match, from the OpenAPI path templates.
fn schema_for(spec: &Value, rel: &str) -> Option<String> {
    let paths = spec["paths"].as_object()?;
    // Literal paths win over templated ones (`stories/index.json` over `stories/{slug}.json`).
    let mut candidates: Vec<(&String, &Value)> = paths.iter().collect();
    candidates.sort_by_key(|(path, _)| path.contains('{'));
    candidates.into_iter().find_map(|(path, item)| {
        let pattern = format!(
            "^{}$",
            regex::escape(path).replace(r"\{", "{").replace(r"\}", "}")
        );
        let pattern = regex::Regex::new(r"\{[a-z]+\}")
            .unwrap()
            .replace_all(&pattern, "[^/]+");
        regex::Regex::new(&pattern)
            .unwrap()
            .is_match(&format!("/{rel}"))
            .then(|| {
                let reference = item["get"]["responses"]["200"]["content"]["application/json"]
                    ["schema"]["$ref"]
                    .as_str()
                    .unwrap();
                reference.rsplit('/').next().unwrap().to_string()
            })
    })
}

/// A validator for one component schema, resolving `$ref`s within the document.
fn validator(spec: &Value, name: &str) -> jsonschema::Validator {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{name}"),
        "components": spec["components"],
    });
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("schema {name}: {e}"))
}

/// The OpenAPI document's structure: version, unique operations, parameters declared for every
/// path template, responses that name existing schemas, and schemas valid under draft 2020-12.
fn check_openapi_structure(spec: &Value) {
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1."));
    assert!(spec["info"]["title"].is_string() && spec["info"]["version"].is_string());
    assert!(spec["servers"][0]["url"]
        .as_str()
        .unwrap()
        .ends_with("api/v1"));
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        jsonschema::meta::validate(schema)
            .unwrap_or_else(|e| panic!("schema {name} is not valid JSON Schema: {e}"));
    }
    let mut operations = std::collections::HashSet::new();
    let template = regex::Regex::new(r"\{([a-z]+)\}").unwrap();
    for (path, item) in spec["paths"].as_object().unwrap() {
        assert!(path.starts_with('/'), "{path}");
        let op = &item["get"];
        assert!(
            operations.insert(op["operationId"].as_str().unwrap()),
            "{path}: duplicate operationId"
        );
        let declared: Vec<&str> = op["parameters"]
            .as_array()
            .map(|ps| ps.iter().map(|p| p["name"].as_str().unwrap()).collect())
            .unwrap_or_default();
        let templated: Vec<&str> = template
            .captures_iter(path)
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        assert_eq!(declared, templated, "{path}: parameters");
        let name = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .unwrap_or_else(|| panic!("{path}: 200 response has no schema $ref"));
        assert!(schemas.contains_key(name), "{path}: unknown schema {name}");
    }
}

fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            (
                rel.to_string_lossy().replace('\\', "/"),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn api_files_match_the_openapi_schemas_and_build_deterministically() {
    let demo = demo();
    let out = tempfile::tempdir().unwrap();
    let (first, second) = (out.path().join("a"), out.path().join("b"));
    build(&demo.root, &first, "http://127.0.0.1:9/");
    build(&demo.root, &second, "http://127.0.0.1:9/");
    let api = first.join("api/v1");
    let spec = read_json(&api.join("openapi.json"));
    check_openapi_structure(&spec);

    let files = files_under(&api);
    let mut validators: BTreeMap<String, jsonschema::Validator> = BTreeMap::new();
    let mut per_schema: BTreeMap<String, usize> = BTreeMap::new();
    for (rel, bytes) in &files {
        let name = schema_for(&spec, rel).unwrap_or_else(|| panic!("{rel}: no endpoint"));
        let validator = validators
            .entry(name.clone())
            .or_insert_with(|| validator(&spec, &name));
        let value: Value = serde_json::from_slice(bytes).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{rel} does not match {name}: {errors:#?}"
        );
        *per_schema.entry(name).or_default() += 1;
    }
    eprintln!("validated {} API files: {per_schema:?}", files.len());
    // Every kind of file was produced from the real data, not just the indexes.
    for schema in [
        "Story",
        "Beat",
        "Wire",
        "RecordDay",
        "RecordShard",
        "StoryPage",
    ] {
        assert!(
            per_schema.get(schema).copied().unwrap_or(0) > 0,
            "no {schema} file"
        );
    }
    let wire = read_json(&api.join("wire.json"));
    let items = wire["items"].as_array().unwrap();
    assert_eq!(items.len(), 200);
    assert!(items
        .windows(2)
        .all(|w| w[0]["created_at"].as_str() >= w[1]["created_at"].as_str()));

    // Every cited record of every story is found where the sharding rule says.
    for (rel, bytes) in files.iter().filter(|(r, _)| r.starts_with("stories/")) {
        let story: Value = serde_json::from_slice(bytes).unwrap();
        for citation in story["citations"].as_array().into_iter().flatten() {
            let id = citation["record_id"].as_str().unwrap();
            let shard = zeitgeist::site::api::shard_of(id);
            let shard_file = read_json(&api.join(format!("records/by-id/{shard}.json")));
            assert_eq!(shard_file["records"][id]["id"], id, "{rel}: cited {id}");
        }
    }
    assert_eq!(
        files,
        files_under(&second.join("api/v1")),
        "API not deterministic"
    );

    // JSON Feed for the site and each beat.
    let feed = read_json(&first.join("feed.json"));
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert!(!feed["items"].as_array().unwrap().is_empty());
    let beat = read_json(&api.join("beats/index.json"))["beats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| {
            first
                .join(format!("beats/{}/feed.json", b["slug"].as_str().unwrap()))
                .exists()
        })
        .cloned()
        .expect("a beat with stories has a JSON feed");
    assert!(beat["slug"].is_string());
}

/// Collects tokenizer errors, the links of one page and any live copy of the hostile record's
/// payload (`alert(1)` in a script or an attribute; escaped text is inert and not counted).
#[derive(Default)]
struct PageScan {
    errors: RefCell<Vec<String>>,
    links: RefCell<Vec<String>>,
    in_script: std::cell::Cell<bool>,
    live_payloads: RefCell<Vec<String>>,
}

impl TokenSink for PageScan {
    type Handle = ();
    fn process_token(&self, token: Token, line: u64) -> TokenSinkResult<()> {
        match token {
            Token::ParseError(message) => {
                self.errors.borrow_mut().push(format!("{line}: {message}"))
            }
            Token::CharacterTokens(text) if self.in_script.get() && text.contains("alert(1)") => {
                self.live_payloads
                    .borrow_mut()
                    .push(format!("{line}: script {text}"))
            }
            Token::TagToken(Tag {
                kind: TagKind::EndTag,
                name,
                ..
            }) if &*name == "script" => self.in_script.set(false),
            Token::TagToken(Tag {
                kind: TagKind::StartTag,
                name,
                attrs,
                ..
            }) => {
                self.in_script.set(&*name == "script");
                for attr in &attrs {
                    if attr.value.contains("alert(1)") {
                        self.live_payloads
                            .borrow_mut()
                            .push(format!("{line}: <{name} {}=…>", &*attr.name.local));
                    }
                }
                for attr in attrs {
                    if matches!(&*attr.name.local, "href" | "src") {
                        self.links.borrow_mut().push(attr.value.to_string());
                    }
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

fn scan_page(html: &str) -> PageScan {
    let tokenizer = Tokenizer::new(PageScan::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink
}

/// The output file an internal URL names, if it exists.
fn resolves(out: &Path, base: &str, link: &str) -> bool {
    let path = link
        .strip_prefix(base)
        .unwrap_or(link.trim_start_matches('/'));
    let path = path.split(['#', '?']).next().unwrap();
    let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let target = out.join(&*path);
    target.is_file() || target.join("index.html").is_file()
}

#[test]
fn every_page_parses_and_every_internal_link_resolves() {
    let demo = demo();
    let out = tempfile::tempdir().unwrap();
    let base = "http://127.0.0.1:9/";
    build(&demo.root, out.path(), base);
    let mut pages = 0;
    let mut links = 0;
    let mut broken = Vec::new();
    let mut invalid = Vec::new();
    for (rel, bytes) in files_under(out.path()) {
        if !rel.ends_with(".html") {
            continue;
        }
        pages += 1;
        let scan = scan_page(std::str::from_utf8(&bytes).unwrap());
        let live = scan.live_payloads.into_inner();
        assert!(live.is_empty(), "{rel}: hostile markup is live: {live:?}");
        invalid.extend(
            scan.errors
                .into_inner()
                .into_iter()
                .map(|e| format!("{rel}:{e}")),
        );
        let links_of_page = scan.links.into_inner();
        for link in &links_of_page {
            let scheme = link.trim_start().to_ascii_lowercase();
            assert!(
                !scheme.starts_with("javascript:"),
                "{rel}: live javascript: link"
            );
        }
        for link in links_of_page {
            let internal = link.starts_with(base) || link.starts_with('/');
            if internal && !link.starts_with("//") {
                links += 1;
                if !resolves(out.path(), base, &link) {
                    broken.push(format!("{rel}: {link}"));
                }
            }
        }
    }
    eprintln!("{pages} pages, {links} internal links");
    assert!(pages > 10 && links > 100, "{pages} pages, {links} links");
    assert!(invalid.is_empty(), "HTML errors: {invalid:#?}");
    assert!(broken.is_empty(), "broken links: {broken:#?}");
    for page in [
        "developers/api/index.html",
        "developers/playground/index.html",
        "developers/console/index.html",
    ] {
        assert!(out.path().join(page).is_file(), "{page} missing");
    }
}

// ---- the browser ----

/// `value` with every number as an f64, so `1` and `1.0` compare equal.
fn numbers_as_f64(value: Value) -> Value {
    match value {
        Value::Number(n) => n.as_f64().map_or(Value::Null, Value::from),
        Value::Array(items) => Value::Array(items.into_iter().map(numbers_as_f64).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, numbers_as_f64(v)))
                .collect(),
        ),
        other => other,
    }
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process (chromedriver, `zeitgeist serve`), stopped when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_driver(program: &Path) -> (Driver, String) {
    let port = free_port();
    let child = Command::new(program)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (Driver(child), url)
}

async fn connect(driver_url: &str, chromium: &Path, profile: &Path) -> fantoccini::Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(driver_url)
        .await
        .expect("WebDriver session")
}

/// The browser's console entries since the last call (chromedriver's log endpoint).
async fn console_entries(driver_url: &str, client: &fantoccini::Client) -> Vec<Value> {
    let session = client.session_id().await.unwrap().unwrap();
    let response: Value = reqwest::Client::new()
        .post(format!("{driver_url}/session/{session}/se/log"))
        .json(&json!({"type": "browser"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response["value"].as_array().cloned().unwrap_or_default()
}

/// Every URL the page loaded (navigation and resources).
async fn loaded_urls(client: &fantoccini::Client) -> Vec<String> {
    let urls = client
        .execute(
            "return performance.getEntries().filter(e => e.entryType === 'navigation' || e.entryType === 'resource').map(e => e.name)",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(urls).unwrap()
}

async fn wait_for<F, Fut>(what: &str, seconds: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn text_of(client: &fantoccini::Client, css: &str) -> String {
    match client.find(fantoccini::Locator::Css(css)).await {
        Ok(element) => element.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The story pages' paths (as `[data-story]` holds them) linked from a page, in page order.
async fn story_links(client: &fantoccini::Client) -> Vec<String> {
    let hrefs = client
        .execute(
            "return [...document.querySelectorAll('main a[href]')].map(a => a.getAttribute('href'))",
            vec![],
        )
        .await
        .unwrap();
    let story = regex::Regex::new(r"/stories/\d{4}/\d{2}/[^/]+/$").unwrap();
    let hrefs: Vec<String> = serde_json::from_value(hrefs).unwrap();
    hrefs.into_iter().filter(|h| story.is_match(h)).collect()
}

async fn recommended(client: &fantoccini::Client) -> Vec<String> {
    let paths = client
        .execute(
            "return [...document.querySelectorAll('[data-rec-list] a')].map(a => a.getAttribute('href'))",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(paths).unwrap()
}

type Visit = (&'static str, Vec<String>, Vec<Value>);

/// Home → beat → story → its cited records, then recommendations before and after reading
/// another story. `None` when the theme has no reader story pages.
async fn reader_journey(
    client: &fantoccini::Client,
    driver_url: &str,
    site: &str,
    out: &Path,
) -> Option<Vec<Visit>> {
    let mut visits = Vec::new();
    client.goto(site).await.unwrap();
    let beat_link = client
        .find(fantoccini::Locator::Css(
            "main a[href*='/beats/'][href$='/']:not([href$='/beats/'])",
        ))
        .await
        .ok()?;
    beat_link.click().await.unwrap();
    let beat_url = client.current_url().await.unwrap().to_string();
    assert!(beat_url.contains("/beats/"), "home → beat: {beat_url}");
    visits.push(("home → beat", loaded_urls(client).await, vec![]));
    let stories = story_links(client).await;
    let first = stories.first()?;
    client
        .find(fantoccini::Locator::Css(&format!("main a[href='{first}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(fantoccini::Locator::Css("[data-story]"))
        .await
        .ok()?;
    let story_url = client.current_url().await.unwrap().to_string();
    assert!(
        story_url.ends_with(first.as_str()) || first.ends_with(url_path(&story_url)),
        "beat → story: {story_url}"
    );
    // Every cited record of the story (from the API) is linked from the page at its address.
    // A story's API id is its path below /stories/ with `-` for `/` (its date and slug).
    let story_id = url_path(&story_url)
        .split_once("/stories/")
        .unwrap()
        .1
        .trim_matches('/')
        .replace('/', "-");
    let api_story = read_json(&out.join(format!("api/v1/stories/{story_id}.json")));
    let hrefs: Vec<String> = serde_json::from_value(
        client
            .execute(
                "return [...document.querySelectorAll('a[href]')].map(a => a.href)",
                vec![],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    let mut cited = 0;
    for citation in api_story["citations"].as_array().unwrap() {
        let id = citation["record_id"].as_str().unwrap();
        let shard = read_json(&out.join(format!(
            "api/v1/records/by-id/{}.json",
            zeitgeist::site::api::shard_of(id)
        )));
        let url = shard["records"][id]["url"].as_str().unwrap_or_default();
        if !url.is_empty() {
            assert!(
                hrefs.iter().any(|h| h == url),
                "story {story_id} does not link cited record {id} ({url})"
            );
            cited += 1;
        }
    }
    assert!(cited > 0, "story {story_id} links no cited record");
    visits.push(("story", loaded_urls(client).await, vec![]));

    // Recommendations: a fresh reader of story B, then the same reader after story A.
    client
        .execute("localStorage.clear()", vec![])
        .await
        .unwrap();
    client.goto(site).await.unwrap();
    let all = story_links(client).await;
    let (b, a) = (
        all.first()?.clone(),
        all.iter().find(|s| **s != all[0])?.clone(),
    );
    client.goto(&absolute(site, &b)).await.unwrap();
    let before = recommended(client).await;
    client.goto(&absolute(site, &a)).await.unwrap();
    client.goto(&absolute(site, &b)).await.unwrap();
    let after = recommended(client).await;
    let read: String = serde_json::from_value(
        client
            .execute(
                "return localStorage.getItem('zeitgeist.read') || ''",
                vec![],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(
        read.contains(url_path(&absolute(site, &a))),
        "reading {a} was not remembered: {read}"
    );
    assert!(
        !after
            .iter()
            .any(|r| r.ends_with(url_path(&absolute(site, &a)))),
        "a read story is still recommended: {after:?}"
    );
    assert_ne!(
        before, after,
        "recommendations did not change after reading {a}"
    );
    let console = console_entries(driver_url, client).await;
    visits.push(("recommendations", loaded_urls(client).await, console));
    Some(visits)
}

/// The rendered search results: each one's title text, resolved link (empty when it has none)
/// and its facts line (kind and filter values).
async fn search_results(client: &fantoccini::Client) -> Vec<(String, String, String)> {
    let rows = client
        .execute(
            "return [...document.querySelectorAll('[data-zg-results] li.zg-result')].map(li => {
               const a = li.querySelector('h3 a');
               return [a.textContent, a.href, li.querySelector('.zg-result-meta').textContent];
             })",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(rows).unwrap()
}

/// Opens `/search/` with the given query string (as a shared link or the form's plain GET
/// submit would) and waits for the page to run it: the status line and, if any, the results.
async fn open_search(client: &fantoccini::Client, site: &str, params: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    client
        .goto(&format!("{site}search/?{query}"))
        .await
        .unwrap();
    wait_for("the linked search to run", 15, || async {
        let status = text_of(client, "[data-zg-results] > p").await;
        status.starts_with("No results") || !search_results(client).await.is_empty()
    })
    .await;
    text_of(client, "[data-zg-results] > p").await
}

/// The result count a status line such as `More than 120 results for “ai”` announces.
fn announced(status: &str) -> usize {
    let digits: String = status
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no count in {status:?}"))
}

/// Search, run from linked URLs: a story found by its headline links to it, a platform
/// filter narrows the results to that platform, and a link carrying the hostile record's
/// markup as its query stays inert.
async fn search_journey(
    client: &fantoccini::Client,
    driver_url: &str,
    site: &str,
    out: &Path,
) -> Vec<Visit> {
    let mut visits = Vec::new();
    let stories = read_json(&out.join("api/v1/stories/index.json"));
    let story = &stories["stories"][0];
    let (headline, story_url) = (
        story["title"].as_str().unwrap(),
        story["url"].as_str().unwrap(),
    );
    open_search(client, site, &[("q", headline)]).await;
    let found = search_results(client).await;
    assert!(
        found
            .iter()
            .any(|(title, href, _)| title == headline && href == story_url),
        "searching {headline:?} shows no result linking {story_url}: {found:#?}"
    );
    visits.push((
        "search: headline",
        loaded_urls(client).await,
        console_entries(driver_url, client).await,
    ));

    // The platform filter, chosen from the page's own select, narrows the same query.
    let all = announced(&open_search(client, site, &[("q", "ai")]).await);
    let (platform, platform_name): (String, String) = serde_json::from_value(
        client
            .execute(
                "const o = [...document.querySelectorAll('select[name=platform] option')].find(o => o.value);
                 return o ? [o.value, o.textContent.split(' (')[0]] : ['', ''];",
                vec![],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(
        !platform.is_empty(),
        "the search page offers no platform filter"
    );
    let status = open_search(client, site, &[("q", "ai"), ("platform", &platform)]).await;
    let filtered = search_results(client).await;
    assert!(
        !filtered.is_empty() && announced(&status) < all,
        "platform={platform}: {status:?} (unfiltered: {all})"
    );
    for (title, _, facts) in &filtered {
        assert!(
            facts.split(" · ").any(|fact| fact == platform_name),
            "{title:?} shown under platform={platform} ({platform_name}): {facts:?}"
        );
    }
    let select = client
        .find(fantoccini::Locator::Css("select[name=platform]"))
        .await
        .unwrap();
    assert_eq!(
        select.prop("value").await.unwrap().as_deref(),
        Some(platform.as_str())
    );
    assert!(client
        .current_url()
        .await
        .unwrap()
        .as_str()
        .contains(&format!("platform={platform}")));
    visits.push((
        "search: filter",
        loaded_urls(client).await,
        console_entries(driver_url, client).await,
    ));

    // A link whose query is the hostile record's title: the query is echoed as text, and the
    // record itself is not a result (the index leaves out records without an http(s) link).
    let status = open_search(client, site, &[("q", HOSTILE_TITLE)]).await;
    assert!(
        status.contains(HOSTILE_TITLE),
        "the query is not echoed as text: {status:?}"
    );
    let hostile = search_results(client).await;
    assert!(
        !hostile
            .iter()
            .any(|(title, href, _)| title.contains("alert(1)") || href.starts_with("javascript:")),
        "the hostile record is a search result: {hostile:#?}"
    );
    let live: usize = serde_json::from_value(
        client
            .execute(
                "return document.querySelectorAll('[data-zg-results] :is(script, img, [onerror]), [data-zg-results] a[href^=\"javascript:\" i]').length",
                vec![],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(live, 0, "hostile markup became elements in the results");
    assert!(client.get_alert_text().await.is_err(), "an alert is open");
    visits.push((
        "search: hostile",
        loaded_urls(client).await,
        console_entries(driver_url, client).await,
    ));
    visits
}

fn absolute(site: &str, href: &str) -> String {
    if href.starts_with("http") {
        href.to_string()
    } else {
        format!("{}{}", site.trim_end_matches('/'), href)
    }
}

fn url_path(url: &str) -> &str {
    url.find("://")
        .and_then(|i| url[i + 3..].find('/').map(|j| &url[i + 3 + j..]))
        .unwrap_or(url)
}

/// Chromium and chromedriver; `None` (after a skip line) where they are not installed, except
/// under `CI=true`, which requires them.
fn browser_programs() -> Option<(PathBuf, PathBuf)> {
    let programs = (
        find_program(&["chromium", "chromium-browser", "google-chrome"]),
        find_program(&["chromedriver"]),
    );
    if let (Some(chromium), Some(chromedriver)) = programs {
        return Some((chromium, chromedriver));
    }
    let message = "chromium or chromedriver not found (apt-get install chromium chromium-driver)";
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message}; CI=true requires the browser tests");
    }
    eprintln!("SKIPPED browser tests: {message}");
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_the_playground_wire_search_and_console_work_offline() {
    let Some((chromium, chromedriver)) = browser_programs() else {
        return;
    };
    let demo = demo();
    let out = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!(
        "http://127.0.0.1:{}/",
        listener.local_addr().unwrap().port()
    );
    build(&demo.root, out.path(), &site);
    let app = axum::Router::new().fallback_service(tower_http::services::ServeDir::new(out.path()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let (_driver, driver_url) = start_driver(&chromedriver).await;
    let profile = tempfile::tempdir().unwrap();
    let client = connect(&driver_url, &chromium, profile.path()).await;
    let mut visited: Vec<Visit> = Vec::new();

    // The Playground fetches an endpoint and shows exactly its JSON.
    client
        .goto(&format!("{site}developers/playground/"))
        .await
        .unwrap();
    let endpoint = client
        .find(fantoccini::Locator::Id("pg-endpoint"))
        .await
        .unwrap();
    endpoint
        .select_by_value("/beats/{slug}.json")
        .await
        .unwrap();
    wait_for("the beat list", 10, || async {
        client
            .find(fantoccini::Locator::Id("pg-param-slug"))
            .await
            .is_ok()
    })
    .await;
    client
        .find(fantoccini::Locator::Id("pg-send"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for("the response", 10, || async {
        !text_of(&client, "#pg-response").await.is_empty()
    })
    .await;
    let shown: Value = serde_json::from_str(&text_of(&client, "#pg-response").await).unwrap();
    let slug = shown["slug"].as_str().unwrap().to_string();
    // The page shows the file as JavaScript prints it, where 1.0 is 1: compare numbers as numbers.
    assert_eq!(
        numbers_as_f64(shown),
        numbers_as_f64(read_json(
            &out.path().join(format!("api/v1/beats/{slug}.json"))
        ))
    );
    assert!(text_of(&client, "#pg-url")
        .await
        .ends_with(&format!("api/v1/beats/{slug}.json")));
    assert!(text_of(&client, "#pg-curl").await.starts_with("curl -s '"));
    visited.push((
        "playground",
        loaded_urls(&client).await,
        console_entries(&driver_url, &client).await,
    ));

    for page in ["", "developers/api/", "developers/console/"] {
        client.goto(&format!("{site}{page}")).await.unwrap();
        visited.push((
            page,
            loaded_urls(&client).await,
            console_entries(&driver_url, &client).await,
        ));
    }

    // The wire shows a record added to wire.json after its next poll.
    let wire_page = out.path().join("wire/index.html");
    if wire_page.is_file() {
        // The theme polls every minute unless the list says otherwise; a second keeps the test short.
        let html = std::fs::read_to_string(&wire_page).unwrap();
        assert!(
            html.contains("data-wire "),
            "the wire list is marked data-wire"
        );
        std::fs::write(
            &wire_page,
            html.replacen("data-wire ", "data-wire data-wire-poll=\"1000\" ", 1),
        )
        .unwrap();
        client.goto(&format!("{site}wire/")).await.unwrap();
        let wire_path = out.path().join("api/v1/wire.json");
        let mut wire = read_json(&wire_path);
        let mut fresh = wire["items"][0].clone();
        fresh["id"] = json!("hackernews:999999999");
        fresh["title"] = json!("A record added while the page was open");
        fresh["created_at"] = json!("2099-01-01T00:00:00Z");
        wire["items"].as_array_mut().unwrap().insert(0, fresh);
        std::fs::write(&wire_path, serde_json::to_vec(&wire).unwrap()).unwrap();
        wait_for("the wire's poll", 30, || async {
            text_of(&client, "main")
                .await
                .contains("A record added while the page was open")
        })
        .await;
        visited.push((
            "wire",
            loaded_urls(&client).await,
            console_entries(&driver_url, &client).await,
        ));
    } else {
        eprintln!("no wire page in this theme yet: wire poll test not run");
    }

    visited.extend(search_journey(&client, &driver_url, &site, out.path()).await);

    match reader_journey(&client, &driver_url, &site, out.path()).await {
        Some(pages) => visited.extend(pages),
        None => eprintln!("no reader story pages ([data-story]) in this theme: navigation and recommendation tests not run"),
    }

    for (page, urls, console) in &visited {
        assert!(!urls.is_empty(), "{page}: no navigation entry");
        for url in urls {
            assert!(
                url.starts_with(&site),
                "{page}: request left loopback: {url}"
            );
        }
        let errors: Vec<&Value> = console.iter().filter(|e| e["level"] == "SEVERE").collect();
        assert!(errors.is_empty(), "{page}: console errors: {errors:#?}");
    }
    client.close().await.unwrap();
}

#[test]
fn the_page_scan_tells_live_payloads_from_escaped_text() {
    let live = |html: &str| scan_page(html).live_payloads.into_inner().len();
    assert_eq!(live("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"), 0);
    assert_eq!(live("<p>&lt;img src=x onerror=alert(1)&gt;</p>"), 0);
    assert_eq!(live("<script>alert(1)</script>"), 1);
    assert_eq!(live("<img src=x onerror=alert(1)>"), 1);
    assert_eq!(live("<a href=\"javascript:alert(1)\">x</a>"), 1);
}

/// The two widths every layout is checked at: a desktop window and a phone.
const WIDTHS: [u32; 2] = [1280, 390];

/// `zeitgeist serve` of the demo on a free port: the process and the site's address.
async fn serve_demo() -> (Driver, String) {
    let port = free_port();
    let child = Command::new(BIN)
        .arg("--root")
        .arg(&demo().root)
        .args(["serve", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start zeitgeist serve");
    let site = format!("http://127.0.0.1:{port}/");
    let deadline = Instant::now() + Duration::from_secs(120);
    while reqwest::get(&site)
        .await
        .map_or(true, |r| !r.status().is_success())
    {
        assert!(Instant::now() < deadline, "zeitgeist serve did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    (Driver(child), site)
}

/// Under `serve`, each page keeps a live-reload long poll open. Pages the browser keeps in its
/// back/forward cache used to keep theirs, until six held every connection Chromium allows to
/// the host and the next page's search never loaded its index. Every load must now search, at
/// both widths, and the filters and results show names and dates, not slugs and ISO dates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_serve_every_page_load_runs_the_search_and_shows_names() {
    let Some((chromium, chromedriver)) = browser_programs() else {
        return;
    };
    let (_server, site) = serve_demo().await;
    let (_driver, driver_url) = start_driver(&chromedriver).await;
    let profile = tempfile::tempdir().unwrap();
    let client = connect(&driver_url, &chromium, profile.path()).await;
    let slug = regex::Regex::new(r"^[a-z]+(-[a-z]+)+ \(").unwrap();
    let iso = regex::Regex::new(r"\d{4}-\d{2}-\d{2}").unwrap();
    for width in WIDTHS {
        client.set_window_size(width, 900).await.unwrap();
        for load in 0..8 {
            // A page in between, as a reader browses, then a linked search.
            client.goto(&format!("{site}beats/")).await.unwrap();
            let status = open_search(&client, &site, &[("q", "openai")]).await;
            assert!(
                status.contains("results for"),
                "{width} px, load {load}: {status:?}"
            );
        }
        let options: Vec<String> = serde_json::from_value(
            client
                .execute(
                    "return [...document.querySelectorAll('[data-zg-filters] option')].map(o => o.textContent)",
                    vec![],
                )
                .await
                .unwrap(),
        )
        .unwrap();
        assert!(
            options.iter().all(|o| !slug.is_match(o)),
            "raw slugs among the filters: {options:?}"
        );
        let mut lower: Vec<String> = options
            .iter()
            .map(|o| o.split(" (").next().unwrap().to_lowercase())
            .collect();
        let count = lower.len();
        lower.sort();
        lower.dedup();
        assert_eq!(lower.len(), count, "a filter value twice: {options:?}");
        assert!(
            options.iter().any(|o| o.starts_with("Hacker News (")),
            "{options:?}"
        );
        for (title, _, facts) in search_results(&client).await {
            assert!(!iso.is_match(&facts), "{title}: {facts}");
            assert!(
                !facts.split(" · ").any(|f| slug.is_match(&format!("{f} ("))),
                "{title}: {facts}"
            );
        }
    }
    client.close().await.unwrap();
}

/// What the layout check measures on one page, in CSS pixels.
const LAYOUT_PROBE: &str = r#"
const nav = document.querySelector('.site-nav');
const navLinks = [...nav.querySelectorAll('a')];
const navBox = nav.getBoundingClientRect();
const clipped = [...document.querySelectorAll('main pre, main table')]
  .filter((e) => e.scrollWidth > e.clientWidth + 1)
  .map((e) => e.tagName + ' ' + e.scrollWidth + '>' + e.clientWidth);
const fonts = [...document.querySelectorAll('svg.chart text')].map((t) => {
  const svg = t.ownerSVGElement, scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return parseFloat(getComputedStyle(t).fontSize) * scale;
});
const overlaps = [...document.querySelectorAll('svg.chart.hbars text.label')].filter((t) => {
  const bar = t.nextElementSibling;
  return bar && t.getBBox().x + t.getBBox().width > bar.x.baseVal.value + 0.5 && bar.width.baseVal.value > 0;
}).map((t) => t.textContent);
return {
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  wide: [...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 4).map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().width)}`),
  navHidden: navLinks.filter((a) => { const b = a.getBoundingClientRect(); return b.right > navBox.right + 1 || b.left < navBox.left - 1; }).map((a) => a.textContent),
  clipped, overlaps,
  h1: document.querySelectorAll('h1').length,
  og: ['og:title', 'og:description', 'og:type', 'og:url'].every((p) => document.querySelector(`meta[property="${p}"]`)),
  repository: [...document.querySelectorAll('footer a')].some((a) => a.textContent === 'Source and issues' && a.offsetWidth > 0),
  jsonLd: [...document.querySelectorAll('script[type="application/ld+json"]')].map((s) => JSON.parse(s.textContent)['@type']),
  fontMin: fonts.length ? Math.min(...fonts) : null,
  fontMax: fonts.length ? Math.max(...fonts) : null,
};
"#;

/// At a desktop and a phone width nothing overflows the page, every header link is in view,
/// code blocks and tables show whole (desktop) or scroll inside themselves, chart text is
/// 10–18 px as shown and bar labels stay clear of their bars; every page has one `h1`,
/// sharing tags and the repository link, and stories their `NewsArticle` JSON-LD.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_fit_desktop_and_phone_widths_with_headings_and_sharing_tags() {
    let Some((chromium, chromedriver)) = browser_programs() else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!(
        "http://127.0.0.1:{}/",
        listener.local_addr().unwrap().port()
    );
    build(&demo().root, out.path(), &site);
    let app = axum::Router::new().fallback_service(tower_http::services::ServeDir::new(out.path()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let story = read_json(&out.path().join("api/v1/stories/index.json"))["stories"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let (_driver, driver_url) = start_driver(&chromedriver).await;
    let profile = tempfile::tempdir().unwrap();
    let client = connect(&driver_url, &chromium, profile.path()).await;
    let pages = [
        "",
        "beats/",
        "beats/agents/",
        "wire/",
        "search/?q=openai",
        "developers/console/",
        "developers/api/",
        "developers/architecture/",
        "developers/playground/",
    ];
    let mut problems = Vec::new();
    for width in WIDTHS {
        client.set_window_size(width, 900).await.unwrap();
        let urls = pages
            .iter()
            .map(|p| format!("{site}{p}"))
            .chain([story.clone()]);
        for url in urls {
            client.goto(&url).await.unwrap();
            let probe = client.execute(LAYOUT_PROBE, vec![]).await.unwrap();
            let mut wrong = Vec::new();
            if probe["overflow"].as_f64().unwrap() > 0.0 {
                wrong.push(format!(
                    "page {} px too wide: {}",
                    probe["overflow"], probe["wide"]
                ));
            }
            if !probe["navHidden"].as_array().unwrap().is_empty() {
                wrong.push(format!("header links out of view: {}", probe["navHidden"]));
            }
            if width > 1000 && !probe["clipped"].as_array().unwrap().is_empty() {
                wrong.push(format!("clipped: {}", probe["clipped"]));
            }
            if probe["h1"] != 1 || probe["og"] != true || probe["repository"] != true {
                wrong.push(format!(
                    "h1 ×{}, sharing tags {}, repository link {}",
                    probe["h1"], probe["og"], probe["repository"]
                ));
            }
            let is_story = url == story;
            if (probe["jsonLd"] == json!(["NewsArticle"])) != is_story {
                wrong.push(format!("JSON-LD {}", probe["jsonLd"]));
            }
            if !probe["overlaps"].as_array().unwrap().is_empty() {
                wrong.push(format!("labels run into bars: {}", probe["overlaps"]));
            }
            if let (Some(min), Some(max)) = (probe["fontMin"].as_f64(), probe["fontMax"].as_f64()) {
                if min < 10.0 || max > 18.0 {
                    wrong.push(format!("chart text {min:.1}–{max:.1} px"));
                }
            }
            if !wrong.is_empty() {
                problems.push(format!("{width} px {url}: {}", wrong.join("; ")));
            }
        }
    }
    client.close().await.unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
}
