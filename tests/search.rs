//! The search index built from real records (Hacker News and Reddit titles), queried by the
//! real browser client `themes/zeitgeist/static/js/search.js` running under node.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use serde_json::{json, Value};
use zeitgeist::site::search::{build_index, terms, DocKind, SearchDoc};

const RAW: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/search_client.js");

fn jsonl(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{RAW}/{path}")).expect(path);
    text.lines()
        .map(|l| serde_json::from_str(l).expect(path))
        .collect()
}

fn record(url: &str, title: &str, date: &str, filters: &[(&str, &str)]) -> SearchDoc {
    SearchDoc {
        url: url.to_string(),
        title: title.to_string(),
        text: title.to_string(),
        date: Some(NaiveDate::parse_from_str(&date[..10], "%Y-%m-%d").expect(date)),
        kind: DocKind::Record,
        filters: filters
            .iter()
            .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
            .collect(),
    }
}

fn real_docs() -> Vec<SearchDoc> {
    let hn = jsonl("hn-ai-digest/hn_ai_stories.jsonl")
        .into_iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_string();
            record(
                &s("hn_url"),
                &s("title"),
                &s("digest_date"),
                &[("platform", "hackernews")],
            )
        });
    let reddit = jsonl("reddit-ai-trends/reddit_ai_posts.jsonl")
        .into_iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_string();
            let sub = s("subreddit");
            record(
                &s("permalink"),
                &s("title"),
                &s("created_utc"),
                &[("platform", "reddit"), ("subreddit", &sub)],
            )
        });
    let mut docs: Vec<SearchDoc> = hn.chain(reddit).collect();
    docs.push(SearchDoc {
        url: "javascript:alert(1)".into(),
        title: "<img src=x onerror=alert(1)> zzxssprobe".into(),
        text: "<script>alert(1)</script>".into(),
        date: None,
        kind: DocKind::Record,
        filters: BTreeMap::new(),
    });
    docs
}

/// Builds the bundle into a temp dir and runs the queries through search.js.
fn run_client(dir: &Path, queries: Value) -> Vec<Value> {
    let output = Command::new("node")
        .arg(CLIENT)
        .arg(dir)
        .arg(queries.to_string())
        .output()
        .expect("node (v18+) must be installed to test search.js");
    assert!(
        output.status.success(),
        "search.js failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&output.stdout).unwrap()
}

fn titles(result: &Value) -> Vec<String> {
    result["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["t"].as_str().unwrap().to_string())
        .collect()
}

fn has_term_with_prefix(text: &str, prefix: &str) -> bool {
    terms(text).any(|t| t.starts_with(prefix))
}

fn text_of(node: &Value) -> String {
    match node {
        Value::String(s) => s.clone(),
        _ => node["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(text_of)
            .collect(),
    }
}

fn tags(node: &Value, out: &mut Vec<String>) {
    if let Some(tag) = node["tag"].as_str() {
        out.push(tag.to_string());
        node["children"]
            .as_array()
            .unwrap()
            .iter()
            .for_each(|c| tags(c, out));
    }
}

#[test]
fn real_records_are_found_ranked_filtered_and_rendered_inert() {
    let docs = real_docs();
    let bundle = build_index(&docs).unwrap();
    assert_eq!(bundle.docs, docs.len());
    let dir = tempfile::tempdir().unwrap();
    bundle.write_into(dir.path()).unwrap();

    let results = run_client(
        dir.path(),
        json!([
            {"q": "deepseek"},
            {"q": "gpu", "filters": {"platform": ["reddit"]}},
            {"q": "openai", "from": "2024-01-01", "to": "2024-01-31"},
            {"q": "open source models"},
            {"q": "Copyright"},
            {"q": "zzxssprobe", "fresh": true},
        ]),
    );
    for r in &results {
        eprintln!(
            "{:>20} {:>5} hits: {:?}",
            r["q"].as_str().unwrap(),
            r["total"],
            titles(r)
        );
    }
    let [deepseek, gpu, openai, open_source, copyright, xss] = &results[..] else {
        panic!()
    };

    // One word: every shown title has the word; the count lies between exact and prefix matches.
    let exact = docs
        .iter()
        .filter(|d| terms(&d.title).any(|t| t == "deepseek"))
        .count();
    let prefixed = docs
        .iter()
        .filter(|d| has_term_with_prefix(&d.title, "deepseek"))
        .count();
    let total = deepseek["total"].as_u64().unwrap() as usize;
    assert!(
        exact > 20 && (exact..=prefixed).contains(&total),
        "{exact} ≤ {total} ≤ {prefixed}"
    );
    assert_eq!(titles(deepseek).len(), 5);
    assert!(titles(deepseek)
        .iter()
        .all(|t| has_term_with_prefix(t, "deepseek")));

    // Filters: platform and date range hold for every result.
    assert!(gpu["total"].as_u64().unwrap() >= 5);
    for f in gpu["top"].as_array().unwrap() {
        assert_eq!(f["f"]["platform"][0], "reddit");
        assert!(has_term_with_prefix(f["t"].as_str().unwrap(), "gpu"));
    }
    assert!(openai["total"].as_u64().unwrap() >= 5);
    for f in openai["top"].as_array().unwrap() {
        let d = f["d"].as_str().unwrap();
        assert!(("2024-01-01"..="2024-01-31").contains(&d), "{d}");
    }

    // Several words: the best result has all of them.
    let best = titles(open_source)[0].clone();
    for word in ["open", "source", "model"] {
        assert!(has_term_with_prefix(&best, word), "{best}");
    }
    assert!(titles(copyright)
        .iter()
        .all(|t| t.to_lowercase().contains("copyright")));

    // Bytes: the first query fetched the meta file, one chunk and five fragments; a later query
    // on the same client never fetches meta again.
    let loaded = |r: &Value| -> Vec<String> {
        r["loaded"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["path"].as_str().unwrap().to_string())
            .collect()
    };
    let first = loaded(deepseek);
    assert_eq!(first.iter().filter(|p| p.as_str() == "meta.zsm").count(), 1);
    assert_eq!(
        first.iter().filter(|p| p.ends_with(".zsc")).count(),
        1,
        "{first:?}"
    );
    assert_eq!(first.iter().filter(|p| p.ends_with(".zsf")).count(), 5);
    assert!(!loaded(copyright).contains(&"meta.zsm".to_string()));

    // Untrusted text stays text: no markup elements, no javascript: href, literal text kept.
    let shown = &xss["rendered"][0];
    let mut seen = Vec::new();
    tags(shown, &mut seen);
    assert!(
        seen.iter()
            .all(|t| ["li", "h3", "a", "mark", "p", "time"].contains(&t.as_str())),
        "{seen:?}"
    );
    assert!(!shown.to_string().contains("javascript:"), "{shown}");
    let text = text_of(shown);
    assert!(
        text.contains("<script>alert(1)</script>") && text.contains("<img src=x onerror=alert(1)>"),
        "{text}"
    );
}

#[test]
fn client_never_uses_html_parsing_apis() {
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/themes/zeitgeist/static/js/search.js"
    ))
    .unwrap();
    for api in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
    ] {
        assert!(!source.contains(api), "search.js uses {api}");
    }
}

#[test]
fn site_build_publishes_the_index_of_its_pages() {
    let out = tempfile::tempdir().unwrap();
    let options = zeitgeist::site::BuildOptions {
        output: Some(out.path().join("public")),
        ..Default::default()
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    zeitgeist::site::build(&zeitgeist::config::Paths::new(root), &options).unwrap();
    let bundle = out.path().join("public/search");
    assert!(bundle.join("meta.zsm").is_file());
    assert!(
        out.path().join("public/js/search.js").is_file(),
        "the client ships with the theme"
    );

    let results = run_client(&bundle, json!([{"q": "methodology"}, {"q": "collectors"}]));
    let [methodology, collectors] = &results[..] else {
        panic!()
    };
    let base = "https://zeitgeist-observatory.github.io/zeitgeist/";
    assert_eq!(methodology["top"][0]["u"], format!("{base}methodology/"));
    assert_eq!(methodology["top"][0]["k"], "page");
    assert!(collectors["top"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["u"] == format!("{base}methodology/")));
}
