//! The reader-facing site built from a small fixture with analysis data, a record store and a
//! story: the pages exist, beat pages carry figures and titled SVG charts, the story page has
//! its parts, and a hostile record (`<script>` text, `javascript:` link) is inert on the wire,
//! the beat page and the story's cards.

use crate::common;

use std::fs;
use std::path::Path;

use common::{copy_tree, write};
use serde_json::json;
use zeitgeist::config::Paths;
use zeitgeist::model::{Record, Source};
use zeitgeist::site::{self, BuildOptions};
use zeitgeist::store::{Batch, Store};

const HOSTILE_TEXT: &str = "<script>alert(1)</script>";
const HOSTILE_URL: &str = "javascript:alert(1)";

fn record(id: &str, title: &str, text: &str, url: &str, at: &str) -> Record {
    serde_json::from_value(json!({
        "id": id, "source": "bluesky", "kind": "post", "url": url, "title": title, "text": text,
        "author": "someone.bsky.social", "created_at": at, "collected_at": at,
    }))
    .unwrap()
}

fn annotation(id: &str, at: &str, beat: &str) -> String {
    json!({"source": "bluesky", "created_at": at, "id": id, "relevant": true,
           "beats": [{"beat": beat, "score": 3.0, "terms": ["chip"]}],
           "sentiment": -0.4, "sentiment_label": "negative"})
    .to_string()
}

fn stats(records_24h: u64) -> serde_json::Value {
    let daily: Vec<u64> = (0..90)
        .map(|d| d % 5)
        .chain([records_24h])
        .skip(1)
        .collect();
    json!({"records_24h": records_24h, "records_7d": 9, "records_30d": 40, "prior_24h": 1,
           "prior_7d": 6, "change_day": 2, "change_day_pct": 200.0, "change_week": 3,
           "change_week_pct": 50.0, "daily_average_30d": 1.333, "hourly": [], "daily": daily,
           "sentiment": {"bluesky": {"records": 30, "sentiment": -0.21},
                         "reddit": {"records": 10, "sentiment": 0.12}},
           "platform_share": {"bluesky": 0.75, "reddit": 0.25},
           "top_entities": [{"text": "Nvidia", "records": 4}],
           "top_phrases": [{"text": "export controls", "records": 3}]})
}

/// A site with two beats (one with a story, one without), analysis files, two stored records
/// (one hostile) and a story quoting both.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_tree(
        &repo.join("themes/zeitgeist"),
        &root.join("themes/zeitgeist"),
    );
    for page in [
        "wire.md",
        "search.md",
        "methodology.md",
        "stories/_index.md",
    ] {
        write(
            root,
            &format!("content/{page}"),
            &fs::read_to_string(repo.join("content").join(page)).unwrap(),
        );
    }
    write(root, "site.toml", "title = \"Z\"\nbase_url = \"https://example.org/z/\"\ntaxonomies = [\"beats\", \"categories\"]\n[extra]\nfeedback_endpoint = \"https://example.org/feedback\"\n");
    write(root, "content/_index.md", "---\ntitle: Z\n---\nHome.\n");
    let (at_bad, at_good) = ("2026-06-30T20:00:00Z", "2026-06-30T19:00:00Z");
    let bad = record(
        "bluesky:bad",
        HOSTILE_TEXT,
        HOSTILE_TEXT,
        HOSTILE_URL,
        at_bad,
    );
    let good = record(
        "bluesky:good",
        "",
        "Chips are scarce again",
        "https://bsky.app/p/good",
        at_good,
    );
    let mut store = Store::open(root.join("data"));
    store
        .commit(Batch::new(Source::Bluesky, vec![bad, good]))
        .unwrap();
    let taxonomy = json!({
        "categories": [{"slug": "industry", "name": "Industry", "description": "Money.", "beats": ["chips", "energy"]}],
        "beats": [{"slug": "chips", "name": "Chips and compute", "category": "industry", "description": "Semiconductors."},
                  {"slug": "energy", "name": "Energy", "category": "industry", "description": "Power."}]});
    write(root, "data/analysis/taxonomy.json", &taxonomy.to_string());
    let aggregates = json!({"as_of": "2026-06-30T22:59:00Z",
        "input": {"records": 2, "relevant": 2, "after_as_of": 0, "first_record": at_good, "last_record": at_bad, "by_source": {"bluesky": 2}},
        "overall": stats(3), "sources": {"bluesky": stats(3)}, "categories": {"industry": stats(3)},
        "beats": {"chips": stats(3), "energy": stats(0)}});
    write(
        root,
        "data/analysis/aggregates.json",
        &aggregates.to_string(),
    );
    write(
        root,
        "data/analysis/signals.json",
        "{\"as_of\": \"2026-06-30T22:59:00Z\", \"signals\": []}",
    );
    write(
        root,
        "data/analysis/records.jsonl",
        &format!(
            "{}\n{}\n",
            annotation("bluesky:bad", at_bad, "chips"),
            annotation("bluesky:good", at_good, "energy")
        ),
    );
    let quoted = |id: &str, text: &str, url: &str, at: &str| {
        format!("    - id: '{id}'\n      source: bluesky\n      url: '{url}'\n      text: '{text}'\n      created_at: {at}\n")
    };
    let story = format!(
        "---\ntitle: Chip talk triples\ndescription: Three times the usual.\ndate: 2026-06-30T22:59:00Z\nslug: chip-talk\ntaxonomies:\n  beats: [chips]\n  categories: [Industry]\nextra:\n  topic: chips/x\n  beat_name: Chips and compute\n  lead: true\n  intensity: high\n  signal: {{kind: velocity, strength: 4.2, subject: chips, reason: Three times the usual.}}\n  evidence:\n    records: ['bluesky:bad', 'bluesky:good']\n    counts: {{bluesky: 2}}\n    volume_24h: 3\n    baseline: 1.0\n    quoted:\n{}{}  writer: {{kind: offline, prompt_version: story-v1}}\n  grounding: {{checks: 12, passed: true, repaired: false, fell_back: false}}\n---\n\nChip talk tripled.[^1]\n\n[^1]: Bluesky: [a post](<https://bsky.app/p/good>)\n",
        quoted("bluesky:bad", HOSTILE_TEXT, HOSTILE_URL, at_bad),
        quoted("bluesky:good", "Chips are scarce again", "https://bsky.app/p/good", at_good)
    );
    write(root, "content/stories/2026/06/chip-talk.md", &story);
    dir
}

fn build() -> (tempfile::TempDir, impl Fn(&str) -> String) {
    let dir = fixture();
    let out = dir.path().join("public");
    let options = BuildOptions {
        output: Some(out.clone()),
        ..BuildOptions::default()
    };
    site::build(&Paths::new(dir.path()), &options).unwrap_or_else(|e| panic!("{e}"));
    let read =
        move |rel: &str| fs::read_to_string(out.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    (dir, read)
}

/// No live script from the record and no `javascript:` link anywhere on the page.
fn assert_inert(page: &str, html: &str) {
    assert!(
        !html.contains(HOSTILE_TEXT),
        "{page}: raw <script> from a record"
    );
    assert!(
        !html.to_lowercase().contains("href=\"javascript:"),
        "{page}: javascript: link"
    );
}

#[test]
fn reader_pages_exist_with_their_parts() {
    let (_dir, read) = build();
    let home = read("index.html");
    assert!(
        home.contains("Lead story") && home.contains("Chip talk triples"),
        "home lacks the lead"
    );
    assert!(home.contains("records analysed") && home.contains("Beats at a glance"));
    assert!(
        home.matches("class=\"chart sparkline").count() == 2,
        "one sparkline per beat"
    );

    let beats = read("beats/index.html");
    assert!(beats.contains("Chips and compute") && beats.contains("Energy"));

    // A beat with a story (taxonomy term page) and one without (analysis-driven page).
    for (rel, story) in [
        ("beats/chips/index.html", true),
        ("beats/energy/index.html", false),
    ] {
        let html = read(rel);
        for figure in [
            "Last 24 h",
            "Last 7 days",
            "30-day average",
            "vs prior day",
            "vs prior week",
        ] {
            assert!(html.contains(figure), "{rel}: no `{figure}`");
        }
        assert_eq!(html.matches("<svg").count(), 3, "{rel}: three charts");
        assert_eq!(
            html.matches("<svg").count(),
            html.matches("</desc>").count(),
            "{rel}: every chart has a desc"
        );
        assert!(
            html.contains("<title>Records per day on "),
            "{rel}: chart title"
        );
        assert!(
            html.contains("Nvidia") && html.contains("export controls"),
            "{rel}: entities and phrases"
        );
        assert_eq!(
            html.contains("Chip talk triples"),
            story,
            "{rel}: stories of the beat"
        );
    }

    let story = read("stories/2026/06/chip-talk/index.html");
    // "Lead story" marks the home page's lead only, not the story everywhere it is listed.
    assert!(
        !story.contains("Lead story"),
        "the story page labels itself the lead"
    );
    for part in [
        "Synthesized on",
        "UTC",
        "min read",
        "Discourse volume",
        "From the discourse",
        "How this story was checked",
        "Passed all 12 grounding checks",
        "More stories",
        "Recommended for you",
        "Was this story useful?",
        "written by software from public posts",
        "data-feedback",
        "example.org&#x2F;feedback",
        "js/reader.js",
    ] {
        assert!(story.contains(part), "story page lacks `{part}`");
    }
    assert!(
        story.contains("Chips are scarce again"),
        "quoted record card"
    );

    let wire = read("wire/index.html");
    assert!(wire.contains("z&#x2F;api/v1/wire.json"));
    assert!(wire.contains("Chips are scarce again"), "{wire}");
    assert!(wire.contains("data-beat=\"energy\""), "{wire}");
    assert!(read("search/index.html").contains("data-zg-results"));
    assert!(read("methodology/index.html").contains("In the current data"));
}

#[test]
fn hostile_records_are_inert_everywhere() {
    let (_dir, read) = build();
    for page in [
        "wire/index.html",
        "beats/chips/index.html",
        "stories/2026/06/chip-talk/index.html",
        "index.html",
    ] {
        let html = read(page);
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"),
            "{page}: escaped text shown"
        );
        assert_inert(page, &html);
    }
}
