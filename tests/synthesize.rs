//! Story synthesis on real bundled records: evidence packs, the offline writer, the grounding
//! gate, the story file, and both HTTP writers against real loopback servers that speak each
//! provider's wire format.
//!
//! Fixtures: `tests/data/synthesize/<name>.candidate.json` (facts + real records, made by
//! `make_candidates.py` from ../shared/data/raw) and `<name>.pack.json`, the pack assembled from
//! it. Regenerate the packs with `ZEITGEIST_BLESS=1 cargo test --test synthesize`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use zeitgeist::model::{Record, Source, WriterKind};
use zeitgeist::synthesize::grounding::{self, normalise};
use zeitgeist::synthesize::{
    self, offline, CandidateFacts, Draft, EvidencePack, PackResult, RunOptions, SynthesisConfig,
};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/synthesize");
const NAMES: [&str; 3] = ["anthropic-pentagon", "claude-mythos", "grok-images"];
const KEY: &str = "sk-ant-test-4f9c2e7d1b";

// ---------------------------------------------------------------------------------------------
// Fixtures

#[derive(serde::Deserialize)]
struct Candidate {
    facts: CandidateFacts,
    records: Vec<Record>,
}

/// Mean VADER compound score per platform, as the analysis stage computes sentiment.
fn platform_sentiment(records: &[Record]) -> BTreeMap<Source, f64> {
    let analyzer = vader_sentiment::SentimentIntensityAnalyzer::new();
    let mut sums: BTreeMap<Source, (f64, u32)> = BTreeMap::new();
    for record in records {
        let score = analyzer.polarity_scores(&record.full_text())["compound"];
        let entry = sums.entry(record.source).or_default();
        entry.0 += score;
        entry.1 += 1;
    }
    sums.into_iter()
        .map(|(s, (sum, n))| (s, (sum / f64::from(n) * 100.0).round() / 100.0))
        .collect()
}

fn assemble(name: &str) -> EvidencePack {
    let path = format!("{FIXTURES}/{name}.candidate.json");
    let candidate: Candidate =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut facts = candidate.facts;
    facts.sentiment = platform_sentiment(&candidate.records);
    EvidencePack::assemble(facts, &candidate.records, &HashMap::new())
}

fn pack(name: &str) -> EvidencePack {
    let path = format!("{FIXTURES}/{name}.pack.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn fixture_packs_are_what_assembly_makes_of_their_candidates() {
    for name in NAMES {
        let assembled = assemble(name);
        let path = format!("{FIXTURES}/{name}.pack.json");
        if std::env::var_os("ZEITGEIST_BLESS").is_some() {
            let text = serde_json::to_string_pretty(&assembled).unwrap() + "\n";
            zeitgeist::atomic::write_atomic(Path::new(&path), text.as_bytes()).unwrap();
        }
        assert_eq!(
            pack(name),
            assembled,
            "{path} is stale: rerun with ZEITGEIST_BLESS=1"
        );
        assert!(
            (10..=40).contains(&assembled.records.len()),
            "{name}: {} records",
            assembled.records.len()
        );
        let sources: std::collections::BTreeSet<Source> =
            assembled.records.iter().map(|r| r.source).collect();
        assert_eq!(
            sources.len(),
            assembled.platforms.len(),
            "{name}: every platform is heard"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The offline writer

/// Every “…” span of a text.
fn quoted_spans(text: &str) -> Vec<String> {
    let mut spans = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('“') {
        let after = &rest[start + '“'.len_utf8()..];
        let end = after.find('”').expect("balanced quotes");
        spans.push(after[..end].to_string());
        rest = &after[end..];
    }
    spans
}

#[test]
fn offline_stories_on_real_records_keep_every_invariant() {
    for name in NAMES {
        let pack = pack(name);
        let draft = offline::write(&pack);
        assert_eq!(draft, offline::write(&pack), "{name}: deterministic");
        let report = grounding::check(&draft, &pack);
        assert!(
            report.passed(),
            "{name}: {:#?}\n{}",
            report.failures,
            draft.body
        );
        assert!(report.checks > 20, "{name}: only {} checks", report.checks);

        let paragraphs = draft.paragraphs();
        assert!(
            (4..=6).contains(&paragraphs.len()),
            "{name}: {} paragraphs",
            paragraphs.len()
        );
        assert_eq!(
            draft.body.split("\n\n").count(),
            paragraphs.len(),
            "{name}: no empty paragraphs"
        );
        assert!(!draft.headline.is_empty() && !draft.dek.is_empty());
        let dek_sentences = draft.dek.matches(". ").count() + 1;
        assert!(dek_sentences <= 2, "{name}: dek {:?}", draft.dek);

        // Independently of the gate: each footnote resolves, and each quote is word for word
        // in one of the pack's records.
        for label in grounding::footnote_labels(&draft.body) {
            assert!(
                pack.record(&label.parse().unwrap()).is_some(),
                "{name}: [^{label}]"
            );
        }
        let quotes = quoted_spans(&draft.body);
        assert!(quotes.len() >= 4, "{name}: only {} quotes", quotes.len());
        for quote in quotes {
            let fragments: Vec<String> = normalise(&quote)
                .split("...")
                .map(|f| f.trim().trim_end_matches(['.', ',']).to_string())
                .filter(|f| !f.is_empty())
                .collect();
            let found = pack.records.iter().any(|r| {
                fragments
                    .iter()
                    .all(|f| normalise(&r.words()).contains(f.as_str()))
            });
            assert!(found, "{name}: quote {quote:?} not in any record");
        }
        println!(
            "# {}\n\n*{}*\n\n{}\n",
            draft.headline, draft.dek, draft.body
        );
    }
}

#[test]
fn the_gate_rejects_invented_quotes_unknown_footnotes_and_wrong_figures() {
    let pack = pack("anthropic-pentagon");
    let good = offline::write(&pack);
    let first = &pack.records[0];
    let mut bad = good.clone();
    bad.body = bad.body.replacen(
        "\n\n",
        &format!(" Insiders called it “the end of the company”[^{}]. A rival post counted 9,999 comments[^reddit:zzzzzz].\n\n", first.id),
        1,
    );
    let report = grounding::check(&bad, &pack);
    let failures = report.failures.join("\n");
    assert!(
        failures.contains("quote “the end of the company” is not word for word"),
        "{failures}"
    );
    assert!(
        failures.contains("footnote [^reddit:zzzzzz] cites no record"),
        "{failures}"
    );
    assert!(
        failures.contains("figure 9999 matches no figure"),
        "{failures}"
    );
    assert_eq!(report.failures.len(), 3, "{failures}");
}

// ---------------------------------------------------------------------------------------------
// Story files

fn site_config(writer: WriterKind, base_url: &str) -> SynthesisConfig {
    SynthesisConfig {
        writer,
        model: Some("test-model".into()),
        base_url: Some(base_url.into()),
        api_key_env: Some("ZEITGEIST_TEST_KEY".into()),
        retries: 2,
        retry_base_ms: 20,
        retry_max_wait_ms: 1_500,
        retry_deadline_ms: 5_000,
        timeout_ms: 5_000,
        ..SynthesisConfig::default()
    }
}

fn run_offline(content: &Path, packs: &[EvidencePack], as_of: Option<&str>) -> Vec<PackResult> {
    let config = SynthesisConfig::default();
    let options = RunOptions {
        content_dir: content,
        as_of: as_of.map(|t| t.parse().unwrap()),
        site_base_url: "https://example.org/",
        config: &config,
    };
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(synthesize::run(packs, None, &options))
        .unwrap()
}

fn written_path(result: &PackResult) -> &Path {
    match result {
        PackResult::Written { path, .. } => path,
        other => panic!("not written: {other:?}"),
    }
}

#[test]
fn story_files_are_deterministic_and_carry_their_evidence() {
    let packs: Vec<EvidencePack> = NAMES.iter().map(|n| pack(n)).collect();
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = run_offline(one.path(), &packs, None);
    run_offline(two.path(), &packs, None);
    assert_eq!(first.len(), 3);
    for result in &first {
        let path = written_path(result);
        let a = std::fs::read(one.path().join(path)).unwrap();
        assert_eq!(
            a,
            std::fs::read(two.path().join(path)).unwrap(),
            "{} differs between runs",
            path.display()
        );
    }
    let lead = one.path().join(written_path(&first[0]));
    assert!(
        lead.starts_with(one.path().join("stories/2026/02")),
        "{}",
        lead.display()
    );
    let text = std::fs::read_to_string(&lead).unwrap();
    let front = zeitgeist::synthesize::story_file::read_front_matter(&lead)
        .unwrap()
        .unwrap();
    assert!(front.extra.lead);
    assert_eq!(front.taxonomies.beats, ["military"]);
    assert_eq!(front.taxonomies.categories, ["Governance"]);
    assert_eq!(front.extra.evidence.volume_24h, 6);
    assert_eq!(front.extra.evidence.counts.values().sum::<u64>(), 20);
    assert_eq!(front.extra.evidence.records.len(), packs[0].records.len());
    assert!(front.extra.grounding.passed && !front.extra.grounding.fell_back);
    assert_eq!(front.extra.writer.kind, WriterKind::Offline);
    // Only the site generator's top-level keys.
    let yaml: Value = serde_yaml::from_str(text.split("---\n").nth(1).unwrap()).unwrap();
    let keys: Vec<&String> = yaml.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "date",
            "description",
            "extra",
            "slug",
            "taxonomies",
            "title"
        ]
    );
    // Numbered footnotes, each defined once with platform, date, link and the record id.
    let cited = front
        .extra
        .evidence
        .records
        .iter()
        .filter(|id| text.contains(&format!("(`{id}`)")))
        .count();
    assert!(cited >= 4, "{text}");
    assert!(text.contains("[^1]: "), "{text}");
    assert!(
        !text.contains("[^reddit:") && !text.contains("[^bluesky:"),
        "record-id labels are renumbered"
    );
    assert!(
        text.lines().any(|l| l.starts_with("[^")
            && l.contains("Reddit, r/")
            && l.contains("](<https://www.reddit.com/comments/")),
        "{text}"
    );
    println!("{text}");
}

#[test]
fn a_covered_topic_is_skipped_until_its_evidence_grows_then_followed_up() {
    let content = tempfile::tempdir().unwrap();
    let pack = pack("claude-mythos");
    let first = run_offline(content.path(), std::slice::from_ref(&pack), None);
    let earlier = written_path(&first[0]).to_path_buf();

    let again = run_offline(
        content.path(),
        std::slice::from_ref(&pack),
        Some("2026-04-15T00:00:00Z"),
    );
    assert!(
        matches!(&again[0], PackResult::Covered { earlier: e, .. } if e.path == earlier.to_string_lossy()),
        "{again:?}"
    );

    let mut grown = pack.clone();
    grown.as_of = "2026-04-15T00:00:00Z".parse().unwrap();
    for stats in grown.platforms.values_mut() {
        stats.records *= 2;
    }
    let follow = run_offline(content.path(), std::slice::from_ref(&grown), None);
    let PackResult::Written { path, story } = &follow[0] else {
        panic!("{follow:?}")
    };
    let up = story
        .extra
        .follows_up
        .as_ref()
        .expect("links the earlier story");
    assert_eq!(up.path, earlier.to_string_lossy());
    assert_eq!(up.records, pack.total_records());
    let text = std::fs::read_to_string(content.path().join(path)).unwrap();
    let url = format!(
        "https://example.org/{}/",
        earlier.to_string_lossy().trim_end_matches(".md")
    );
    assert!(text.contains(&url), "{text}");
    assert!(
        std::fs::read_to_string(content.path().join(&earlier)).is_ok(),
        "the earlier story stays"
    );
}

#[test]
fn a_broken_story_file_is_named_in_the_error() {
    let content = tempfile::tempdir().unwrap();
    let bad = content.path().join("stories/2026/04/broken.md");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(
        &bad,
        "---\ntitle: [unclosed\nextra: {topic: x}\n---\nbody\n",
    )
    .unwrap();
    let config = SynthesisConfig::default();
    let options = RunOptions {
        content_dir: content.path(),
        as_of: None,
        site_base_url: "https://example.org/",
        config: &config,
    };
    let err = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(synthesize::run(&[pack("claude-mythos")], None, &options))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!("{}: front matter: line", bad.display())),
        "{err}"
    );
}
