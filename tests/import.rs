//! `zeitgeist import` of the three conversation, news and paper datasets, on real excerpts
//! copied into `tests/fixtures/` (each folder's SOURCE.md says which lines): exact fields, the
//! reply chain's parent and thread ids, HTML references decoded by the store, format detection
//! by each line's fields, bad lines named by line and field, a gzipped file read as it is, the
//! fill of a stored copy, and re-imports that add nothing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::json;
use zeitgeist::model::{Kind, Record, Source};
use zeitgeist::store::import::{parse_line, read_lines, ImportFormat, Subset};
use zeitgeist::store::{Batch, CommitReport, Store, TimeWindow};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
const POSTS: &str = "reddit-localllama-threads/posts.jsonl";
const COMMENTS: &str = "reddit-localllama-threads/comments.jsonl";
const TRENDS: &str = "reddit-ai-trends/reddit_ai_posts.jsonl";
const NEWS: &str = "news-ai-aggregator/ai_news_updates.jsonl";
const ARXIV: &str = "arxiv-daily-ai/arxiv_ai_papers.jsonl.gz";

fn fixture(file: &str) -> PathBuf {
    Path::new(FIXTURES).join(file)
}

/// The one line of a fixture holding `needle`.
fn line_with(file: &str, needle: &str) -> String {
    let text = fs::read_to_string(fixture(file)).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(needle)).collect();
    assert_eq!(lines.len(), 1, "{needle}");
    lines[0].to_string()
}

/// What `zeitgeist import` does with a file: parse it, commit the good lines as one batch.
fn import(store: &mut Store, path: &Path, source: Source) -> CommitReport {
    let parsed = read_lines(path, source, ImportFormat::Corpus).unwrap();
    assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
    store.commit(Batch::new(source, parsed.records)).unwrap()
}

/// The stored records by id.
fn stored(store: &Store) -> BTreeMap<String, Record> {
    store
        .read_window(&TimeWindow::all())
        .unwrap()
        .into_iter()
        .map(|r| (r.id.to_string(), r))
        .collect()
}

/// Every snapshot file's bytes, by path.
fn snapshot_bytes(data: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(data.join("snapshots"))
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), fs::read(e.path()).unwrap()))
        .collect()
}

#[test]
fn a_link_post_maps_exactly() {
    let line = line_with(POSTS, "\"18n3ar3\"");
    let record = parse_line(Source::Reddit, ImportFormat::Corpus, &line).unwrap();
    let expected = json!({
        "id": "reddit:18n3ar3",
        "source": "reddit",
        "kind": "post",
        "url": "https://www.reddit.com/r/LocalLLaMA/comments/18n3ar3/karpathy_on_llm_evals/",
        "title": "Karpathy on LLM evals",
        "text": "What do you think?",
        "author": "deykus",
        "community": "LocalLLaMA",
        "created_at": "2023-12-20T19:42:58Z",
        "collected_at": "2023-12-20T19:42:58Z",
        "engagement": {"score": 1739, "replies": 112},
        "extra": {
            "flair": "Discussion",
            "link": "https://i.redd.it/8g0zoors6i7c1.jpeg",
            "upvote_ratio": 0.98,
            "over_18": false
        }
    });
    assert_eq!(serde_json::to_value(&record).unwrap(), expected);
}

#[test]
fn a_reply_chain_keeps_its_parents_thread_and_decoded_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path());
    let posts = import(&mut store, &fixture(POSTS), Source::Reddit);
    let comments = import(&mut store, &fixture(COMMENTS), Source::Reddit);
    assert_eq!((posts.new, comments.new, comments.duplicates), (2, 79, 0));
    let records = stored(&store);

    // ke8bo33 answers the post; ke8d9nd answers it; ke8nouh answers ke8d9nd.
    let chain = ["reddit:ke8bo33", "reddit:ke8d9nd", "reddit:ke8nouh"];
    let parents: Vec<&str> = chain
        .iter()
        .map(|id| records[*id].parent_id.as_ref().unwrap().as_str())
        .collect();
    assert_eq!(
        parents,
        ["reddit:18n3ar3", "reddit:ke8bo33", "reddit:ke8d9nd"]
    );
    assert!(chain.iter().all(|id| {
        records[*id].thread_id.as_ref().map(|t| t.as_str()) == Some("reddit:18n3ar3")
    }));
    assert_eq!(
        records["reddit:ke8bo33"].author, None,
        "[deleted] is no author"
    );

    let reply = serde_json::to_value(&records["reddit:ke8d9nd"]).unwrap();
    let expected = json!({
        "id": "reddit:ke8d9nd",
        "source": "reddit",
        "kind": "comment",
        "url": "https://www.reddit.com/r/LocalLLaMA/comments/18n3ar3/karpathy_on_llm_evals/ke8d9nd/",
        "text": "It's over, boys. Pack your bags.",
        "author": "slider2k",
        "community": "LocalLLaMA",
        "created_at": "2023-12-20T20:59:46Z",
        "collected_at": "2023-12-20T20:59:46Z",
        "engagement": {"score": 233},
        "parent_id": "reddit:ke8bo33",
        "thread_id": "reddit:18n3ar3",
        "extra": {"depth": 1}
    });
    assert_eq!(reply, expected);

    // References decoded by the store: the API's escaping, and Markdown's own inside it.
    assert!(records["reddit:kecy1ci"]
        .text
        .starts_with("\u{200b}\n\nThis leaderboard is based on lmsys"));
    let quoting = &records["reddit:ke8evih"].text;
    assert!(
        quoting.contains("\n> 🌟🚀 **ABSOLUTELY MIND-BLOWING ALERT!**"),
        "{quoting}"
    );
    let body = &records["reddit:1m80gsn"].text;
    assert!(
        body.contains("?width=1300&format=png&auto=webp&s="),
        "{body}"
    );
    let leftover = records.values().find(|r| {
        ["&amp;", "&gt;", "&lt;", "&#x200B;"]
            .iter()
            .any(|e| r.text.contains(e))
    });
    assert_eq!(leftover.map(|r| r.id.to_string()), None);

    // The deepest reply of the GLM-4.5 thread, six levels down.
    let deep = &records["reddit:n4vu981"];
    assert_eq!(deep.parent_id.as_ref().unwrap().as_str(), "reddit:n4vr7p5");
    assert_eq!(deep.thread_id.as_ref().unwrap().as_str(), "reddit:1m80gsn");
    assert_eq!(deep.extra["depth"], json!(6));
    assert_eq!(deep.kind, Kind::Comment);

    let before = snapshot_bytes(dir.path());
    let again = import(
        &mut Store::open(dir.path()),
        &fixture(COMMENTS),
        Source::Reddit,
    );
    assert_eq!(
        (again.new, again.duplicates, again.filled, again.files.len()),
        (0, 79, 0, 0)
    );
    assert_eq!(
        snapshot_bytes(dir.path()),
        before,
        "re-import changes no byte"
    );
}

#[test]
fn a_post_already_stored_title_only_gets_its_body_once() {
    let dir = tempfile::tempdir().unwrap();
    let trends = dir.path().join("trends.jsonl");
    fs::write(&trends, line_with(TRENDS, "\"1m80gsn\"") + "\n").unwrap();
    let mut store = Store::open(dir.path());
    import(&mut store, &trends, Source::Reddit);
    let first = import(&mut store, &fixture(POSTS), Source::Reddit);
    assert_eq!(
        (
            first.new,
            first.duplicates,
            first.filled,
            first.rewritten.len()
        ),
        (1, 1, 1, 1)
    );
    let glm = &stored(&store)["reddit:1m80gsn"];
    // Kept from the first copy: address, time, engagement, flair, report days.
    assert_eq!(glm.url, "https://www.reddit.com/comments/1m80gsn");
    assert_eq!(glm.created_at.to_rfc3339(), "2025-07-24T10:10:00+00:00");
    assert_eq!(
        (glm.engagement.score, glm.engagement.replies),
        (Some(320), Some(76))
    );
    assert_eq!(glm.extra["flair"], json!("New Model"));
    assert_eq!(glm.extra["last_report"], json!("2025-07-25"));
    // Filled from the second: the body, the author, the keys the first lacked.
    assert!(glm
        .text
        .starts_with("vLLM commit: [https://github.com/vllm-project/vllm/commit/"));
    assert_eq!(glm.author.as_deref(), Some("NeterOster"));
    assert_eq!(glm.extra["upvote_ratio"], json!(0.98));

    let before = snapshot_bytes(dir.path());
    let again = import(
        &mut Store::open(dir.path()),
        &fixture(POSTS),
        Source::Reddit,
    );
    assert_eq!((again.new, again.filled, again.rewritten.len()), (0, 0, 0));
    assert_eq!(snapshot_bytes(dir.path()), before);
}

#[test]
fn news_items_are_known_by_their_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path());
    let report = import(&mut store, &fixture(NEWS), Source::News);
    assert_eq!(
        (report.new, report.duplicates),
        (3, 1),
        "one article listed twice"
    );
    let records = stored(&store);
    let snake = serde_json::to_value(
        &records["news:https://www.aisnakeoil.com/p/ai-snake-oil-is-now-available-to"],
    )
    .unwrap();
    let expected = json!({
        "id": "news:https://www.aisnakeoil.com/p/ai-snake-oil-is-now-available-to",
        "source": "news",
        "kind": "article",
        "url": "https://www.aisnakeoil.com/p/ai-snake-oil-is-now-available-to",
        "title": "AI Snake Oil is now available to preorder",
        "text": "What artificial intelligence can do, what it can't, and how to tell the difference",
        "community": "www.aisnakeoil.com",
        "created_at": "2024-04-10T12:55:34Z",
        "collected_at": "2024-04-10T12:55:34Z",
        "engagement": {}
    });
    assert_eq!(snake, expected);
    // Tracking parameters are no part of the address (the collector drops them too).
    let scams = "https://www.newscientist.com/article/2453350-ai-models-fall-for-the-same-scams-that-we-do/";
    assert_eq!(records[&format!("news:{scams}")].url, scams);
    // The earlier of the two listings of one article is kept.
    let verge = &records["news:https://www.theverge.com/23610427/chatbots-chatgpt-new-bing-google-bard-conversational-ai"];
    assert_eq!(verge.created_at.to_rfc3339(), "2025-02-05T20:58:06+00:00");
}

#[test]
fn arxiv_papers_are_read_from_the_gzipped_file() {
    let parsed = read_lines(&fixture(ARXIV), Source::Arxiv, ImportFormat::Corpus).unwrap();
    assert_eq!((parsed.lines, parsed.records.len()), (3, 3));
    let paper = parsed
        .records
        .iter()
        .find(|r| r.id.as_str() == "arxiv:2505.23785")
        .unwrap();
    let value = serde_json::to_value(paper).unwrap();
    assert_eq!(value["url"], json!("https://arxiv.org/abs/2505.23785"));
    assert_eq!(
        value["title"],
        json!("Meaning Is Not A Metric: Using LLMs to make cultural context legible at scale")
    );
    assert_eq!(value["kind"], json!("paper"));
    assert_eq!(value["author"], json!("Cody Kommers"));
    assert_eq!(value["community"], json!("cs.CL"));
    assert_eq!(value["language"], json!("en"));
    assert_eq!(value["created_at"], json!("2025-06-02T00:00:00Z"));
    assert_eq!(
        value["extra"]["categories"],
        json!(["cs.CL", "cs.AI", "cs.CY"])
    );
    assert_eq!(value["extra"]["authors"].as_array().unwrap().len(), 7);
    assert_eq!(value["extra"]["comment"], json!("Position paper"));
    assert!(paper.text.starts_with(
        "This position paper argues that large language models (LLMs) can make cultural context, and therefore"
    ));
    assert!(!paper.text.contains('\n'), "arXiv's hard wraps are joined");
    assert!(value["engagement"].as_object().unwrap().is_empty());

    // `--community cs.CL --from 2025-06-01` keeps the one paper of the excerpt in both.
    let mut subset = parsed.clone();
    let left_out = subset.keep_only(&Subset {
        from: "2025-06-01".parse().ok(),
        to: None,
        communities: vec!["cs.CL".into()],
    });
    assert_eq!(left_out, 2);
    assert_eq!(subset.records.len(), 1);
    assert_eq!(subset.records[0].id.as_str(), "arxiv:2505.23785");
}

#[test]
fn one_file_may_mix_datasets_told_apart_by_their_fields() {
    let dir = tempfile::tempdir().unwrap();
    let comment = line_with(COMMENTS, "\"ke8d9nd\"");
    let lines = [
        line_with(TRENDS, "\"1m80gsn\""),
        line_with(POSTS, "\"18n3ar3\""),
        comment.clone(),
        // No field of any Reddit dataset.
        line_with(NEWS, "AI Snake Oil"),
        comment.replace("\"t1_ke8bo33\"", "\"t5_2r9vp\""),
        comment.replace(
            "\"created_utc\": 1703105986",
            "\"created_utc\": \"yesterday\"",
        ),
        comment.replace("\"body\"", "\"text\""),
    ];
    // The file's name says nothing about its contents.
    let path = dir.path().join("mixed.txt");
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    let parsed = read_lines(&path, Source::Reddit, ImportFormat::Corpus).unwrap();
    let kinds: Vec<(String, Kind)> = parsed
        .records
        .iter()
        .map(|r| (r.id.to_string(), r.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("reddit:1m80gsn".to_string(), Kind::Post),
            ("reddit:18n3ar3".to_string(), Kind::Post),
            ("reddit:ke8d9nd".to_string(), Kind::Comment)
        ]
    );
    let shown: Vec<String> = parsed.skipped.iter().map(ToString::to_string).collect();
    let file = path.display();
    assert_eq!(
        shown,
        [
            format!("{file}:4: not a line of a reddit dataset: it has none of the fields `reddit_id`, `link_id`, `selftext`"),
            format!("{file}:5: field `parent_id`: `t5_2r9vp` is not a t1_ or t3_ fullname"),
            format!("{file}:6: field `created_utc`: invalid type: string \"yesterday\", expected f64"),
            format!("{file}:7: missing field `body`"),
        ]
    );
    // A news line needs its own source.
    let news = parse_line(Source::News, ImportFormat::Corpus, &lines[3]).unwrap();
    assert_eq!(news.kind, Kind::Article);
    let err = parse_line(Source::News, ImportFormat::Corpus, "{\"title\": \"x\"}").unwrap_err();
    assert_eq!(err.to_string(), "missing field `published`");
}

#[test]
fn sources_without_a_dataset_are_refused_whole() {
    let err = read_lines(&fixture(NEWS), Source::Youtube, ImportFormat::Corpus).unwrap_err();
    assert_eq!(
        err.to_string(),
        "youtube has no corpus format (hackernews, reddit, bluesky, news and arxiv have one); use `--format record`"
    );
}
