//! The store end to end, on the real corpora copied into `tests/fixtures/`: import, dedup, window
//! reads, compaction and crash safety (including a real `zeitgeist import` killed mid-write).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use zeitgeist::model::{Record, RecordId, Source};
use zeitgeist::store::import::{parse_line, read_lines, ImportFormat, SkippedLine};
use zeitgeist::store::snapshot::Encoding;
use zeitgeist::store::{Batch, CommitReport, Store, TimeWindow};

const RAW: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
const HN: &str = "hn-ai-digest/hn_ai_stories.jsonl";
const REDDIT: &str = "reddit-ai-trends/reddit_ai_posts.jsonl";
const BLUESKY: &str = "bluesky-nytimes-feed/bluesky_nytimes_posts.jsonl";

fn raw(file: &str) -> PathBuf {
    Path::new(RAW).join(file)
}

/// Line `number` (1-based) of a real corpus file.
fn real_line(file: &str, number: usize) -> String {
    fs::read_to_string(raw(file))
        .unwrap()
        .lines()
        .nth(number - 1)
        .unwrap()
        .to_string()
}

/// The real lines of a corpus file containing `needle`.
fn real_lines_with(file: &str, needle: &str) -> Vec<String> {
    let text = fs::read_to_string(raw(file)).unwrap();
    text.lines()
        .filter(|line| line.contains(needle))
        .map(str::to_string)
        .collect()
}

/// What `zeitgeist import` does: parse the lines, commit their records as one batch.
fn import(store: &mut Store, path: &Path, source: Source) -> Imported {
    let parsed = read_lines(path, source, ImportFormat::Corpus).unwrap();
    let commit = store.commit(Batch::new(source, parsed.records)).unwrap();
    Imported {
        lines: parsed.lines,
        skipped: parsed.skipped,
        commit,
    }
}

struct Imported {
    lines: usize,
    skipped: Vec<SkippedLine>,
    commit: CommitReport,
}

/// The one real line of a corpus file containing `needle`.
fn real_line_with(file: &str, needle: &str) -> String {
    let mut lines = real_lines_with(file, needle);
    assert_eq!(lines.len(), 1, "{needle}");
    lines.remove(0)
}

fn write_jsonl(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// Every snapshot file's path (relative) and bytes.
fn snapshot_files(data: &Path) -> BTreeMap<String, Vec<u8>> {
    let root = data.join("snapshots");
    walkdir::WalkDir::new(&root)
        .into_iter()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let relative = entry
                .path()
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (relative, fs::read(entry.path()).unwrap())
        })
        .collect()
}

/// Each stored record's id and serialisation.
fn record_bytes(store: &Store) -> BTreeMap<RecordId, Vec<u8>> {
    let records = store.read_window(&TimeWindow::all()).unwrap();
    let by_id: BTreeMap<_, _> = records
        .iter()
        .map(|r| (r.id.clone(), serde_json::to_vec(r).unwrap()))
        .collect();
    assert_eq!(by_id.len(), records.len(), "an id was read twice");
    by_id
}

#[test]
fn hackernews_line_maps_exactly() {
    let record = parse_line(Source::Hackernews, ImportFormat::Corpus, &real_line(HN, 1)).unwrap();
    let expected = json!({
        "id": "hackernews:35685497",
        "source": "hackernews",
        "kind": "post",
        "url": "https://news.ycombinator.com/item?id=35685497",
        "title": "LAION, a high school teacher’s free image database, powers AI unicorns",
        "author": "RafelMri",
        "created_at": "2023-04-24T00:00:00Z",
        "collected_at": "2023-04-24T00:00:00Z",
        "engagement": {"score": 315, "replies": 172},
        "extra": {
            "digest_date": "2023-04-24",
            "link": "https://www.bloomberg.com/news/features/2023-04-24/a-high-school-teacher-s-free-image-database-powers-ai-unicorns"
        }
    });
    assert_eq!(serde_json::to_value(&record).unwrap(), expected);
}

#[test]
fn reddit_line_maps_exactly_and_prefers_the_full_title() {
    let record = parse_line(
        Source::Reddit,
        ImportFormat::Corpus,
        &real_line_with(REDDIT, "\"1jcoxv6\""),
    )
    .unwrap();
    let expected = json!({
        "id": "reddit:1jcoxv6",
        "source": "reddit",
        "kind": "post",
        "url": "https://www.reddit.com/comments/1jcoxv6",
        "title": "Bespoke Cancer Vaccines Are Suddenly Looking Extremely Promising",
        "community": "singularity",
        "created_at": "2025-03-16T11:12:00Z",
        "collected_at": "2025-03-16T11:12:00Z",
        "engagement": {"score": 978, "replies": 116},
        "extra": {
            "flair": "Biotech/Longevity",
            "title_truncated": true,
            "first_report": "2025-03-16",
            "last_report": "2025-03-23"
        }
    });
    assert_eq!(serde_json::to_value(&record).unwrap(), expected);
}

#[test]
fn bluesky_line_maps_exactly() {
    let record = parse_line(
        Source::Bluesky,
        ImportFormat::Corpus,
        &real_line(BLUESKY, 1),
    )
    .unwrap();
    let expected = json!({
        "id": "bluesky:at://did:plc:eclio37ymobqex2ncko63h4r/app.bsky.feed.post/3mbu6hyf5262a",
        "source": "bluesky",
        "kind": "post",
        "url": "https://bsky.app/profile/nytimes.com/post/3mbu6hyf5262a",
        "text": "ICE officers in Minneapolis shot and killed a woman in a car, but details of the shooting remained unclear, with conflicting accounts from local and federal officials. The shooting took place about a mile from where George Floyd was killed by police in 2020. Follow updates.",
        "author": "nytimes.com",
        "author_id": "did:plc:eclio37ymobqex2ncko63h4r",
        "community": "nytimes.com",
        "created_at": "2026-01-07T19:15:01.957049Z",
        "collected_at": "2026-01-07T19:15:01.957049Z",
        "engagement": {"score": 148, "replies": 245, "reposts": 79},
        "extra": {"quote_count": 56, "is_reply": false}
    });
    assert_eq!(serde_json::to_value(&record).unwrap(), expected);
}

#[test]
fn snapshot_round_trip_through_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path());
    let lines: Vec<String> = (1..=40).map(|n| real_line(BLUESKY, n)).collect();
    let records: Vec<Record> = lines
        .iter()
        .map(|line| parse_line(Source::Bluesky, ImportFormat::Corpus, line).unwrap())
        .collect();
    let report = store
        .commit(Batch::new(Source::Bluesky, records.clone()))
        .unwrap();
    assert_eq!(
        (report.received, report.new, report.duplicates),
        (40, 40, 0)
    );
    let names: Vec<String> = snapshot_files(dir.path()).into_keys().collect();
    assert_eq!(
        names,
        [
            "2026/01/07/234006-bluesky.json",
            "2026/01/08/134021-bluesky.json"
        ]
    );

    let mut expected = records;
    expected.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let read = Store::open(dir.path())
        .read_window(&TimeWindow::all())
        .unwrap();
    assert_eq!(read, expected);
}

#[test]
fn reimport_adds_nothing_and_changes_no_byte() {
    let dir = tempfile::tempdir().unwrap();
    let first = import(&mut Store::open(dir.path()), &raw(REDDIT), Source::Reddit);
    assert_eq!(
        (first.lines, first.commit.new, first.skipped.len()),
        (9869, 9869, 0)
    );
    let before = snapshot_files(dir.path());
    assert_eq!(before.len(), first.commit.files.len());

    let again = import(&mut Store::open(dir.path()), &raw(REDDIT), Source::Reddit);
    assert_eq!(
        (
            again.commit.new,
            again.commit.duplicates,
            again.commit.files.len()
        ),
        (0, 9869, 0)
    );
    assert_eq!(snapshot_files(dir.path()), before);
}

#[test]
fn bad_lines_are_skipped_with_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let good = real_line(HN, 1);
    let lines = vec![
        good.clone(),
        "{\"hn_id\": 1, \"title\": ".to_string(),
        good.replace("\"points\":315", "\"points\":\"many\""),
        String::new(),
        good.replace("\"hn_id\":35685497,", ""),
        good.replace("2023-04-24\",\"hn_url", "yesterday\",\"hn_url"),
        real_line(HN, 2),
    ];
    let path = write_jsonl(dir.path(), "hn.jsonl", &lines);
    let mut bytes = fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"hn_id\": 2, \"title\": \"caf\xe9\"}\n");
    fs::write(&path, bytes).unwrap();

    let report = import(&mut Store::open(dir.path()), &path, Source::Hackernews);
    assert_eq!((report.lines, report.commit.new), (7, 2));
    let shown: Vec<String> = report.skipped.iter().map(ToString::to_string).collect();
    let file = path.display();
    assert_eq!(shown.len(), 5, "{shown:#?}");
    assert!(
        shown[0].starts_with(&format!(
            "{file}:2: field `title`: EOF while parsing a value"
        )),
        "{}",
        shown[0]
    );
    assert!(
        shown[1].starts_with(&format!(
            "{file}:3: field `points`: invalid type: string \"many\", expected i64"
        )),
        "{}",
        shown[1]
    );
    assert!(
        shown[2].starts_with(&format!("{file}:5: missing field `hn_id`")),
        "{}",
        shown[2]
    );
    assert!(
        shown[3].starts_with(&format!(
            "{file}:6: field `digest_date`: input contains invalid characters"
        )),
        "{}",
        shown[3]
    );
    assert!(
        shown[4].starts_with(&format!("{file}:8: not UTF-8")),
        "{}",
        shown[4]
    );
}

#[test]
fn record_format_checks_the_source() {
    let record = parse_line(Source::Hackernews, ImportFormat::Corpus, &real_line(HN, 1)).unwrap();
    let line = serde_json::to_string(&record).unwrap();
    assert_eq!(
        parse_line(Source::Hackernews, ImportFormat::Record, &line).unwrap(),
        record
    );
    let err = parse_line(Source::Reddit, ImportFormat::Record, &line).unwrap_err();
    assert_eq!(
        err.to_string(),
        "field `source`: is hackernews, the import is for reddit"
    );
    let err = parse_line(
        Source::Hackernews,
        ImportFormat::Record,
        &line.replace("\"kind\"", "\"knd\":1,\"kind\""),
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown field `knd`"), "{err}");
}

#[test]
fn near_duplicates_on_real_text_link_to_the_first_copy() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path());
    // An HN headline, then the same headline cut short in a Reddit table.
    let hn = write_jsonl(
        dir.path(),
        "hn.jsonl",
        &real_lines_with(HN, "sign Europe AI agreement"),
    );
    let reddit = write_jsonl(
        dir.path(),
        "reddit.jsonl",
        &real_lines_with(REDDIT, "sign Europe AI agreement"),
    );
    // The NYT's recurring Connections blurb, with a different short link each day.
    let blurb = "\"text\":\"How did you do in Connections today? Players must select four groups of four words";
    let blurb_lines = real_lines_with(BLUESKY, blurb);
    assert_eq!(blurb_lines.len(), 72);
    let bluesky = write_jsonl(dir.path(), "bluesky.jsonl", &blurb_lines);
    assert_eq!(
        import(&mut store, &hn, Source::Hackernews)
            .commit
            .near_duplicates,
        0
    );
    assert_eq!(
        import(&mut store, &reddit, Source::Reddit)
            .commit
            .near_duplicates,
        1
    );
    let blurbs = import(&mut store, &bluesky, Source::Bluesky);
    assert_eq!((blurbs.commit.new, blurbs.commit.near_duplicates), (72, 71));

    let records = store.read_window(&TimeWindow::all()).unwrap();
    let link = |id: &str| {
        let record = records.iter().find(|r| r.id.as_str() == id).unwrap();
        record.near_duplicate_of.as_ref().map(|id| id.to_string())
    };
    assert_eq!(
        link("reddit:1m36d91").as_deref(),
        Some("hackernews:44607838")
    );
    assert_eq!(link("hackernews:44607838"), None);
    let first_blurb =
        "bluesky:at://did:plc:eclio37ymobqex2ncko63h4r/app.bsky.feed.post/3mbw6zekzch2e";
    assert_eq!(link(first_blurb), None);
    let blurbs: Vec<_> = records
        .iter()
        .filter(|r| r.source == Source::Bluesky && r.id.as_str() != first_blurb)
        .collect();
    assert!(blurbs
        .iter()
        .all(|r| r.near_duplicate_of.as_ref().map(RecordId::as_str) == Some(first_blurb)));
}

#[test]
fn window_reads_only_overlapping_days() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path());
    import(&mut store, &raw(BLUESKY), Source::Bluesky);
    let all = store.read_window(&TimeWindow::all()).unwrap();
    assert_eq!(all.len(), 6636);
    assert!(all
        .windows(2)
        .all(|pair| (pair[0].created_at, &pair[0].id) < (pair[1].created_at, &pair[1].id)));

    let window = TimeWindow::new(at("2026-02-03T12:00:00Z"), at("2026-02-05T00:00:00Z"));
    let expected: Vec<&Record> = all
        .iter()
        .filter(|r| window.contains(r.created_at))
        .collect();
    assert!(expected.len() > 20, "{}", expected.len());
    let read = store.read_window(&window).unwrap();
    assert_eq!(read.iter().collect::<Vec<_>>(), expected);
    let day = TimeWindow::days(
        NaiveDate::from_ymd_opt(2026, 2, 4).unwrap(),
        NaiveDate::from_ymd_opt(2026, 2, 4).unwrap(),
    );
    assert!(store
        .read_window(&day)
        .unwrap()
        .iter()
        .all(|r| r.created_at.date_naive().to_string() == "2026-02-04"));

    // A broken file outside the window is never opened; inside it, it is named.
    let broken = dir.path().join("snapshots/2026/03/01/120000-bluesky.json");
    fs::write(&broken, b"{\"header\":").unwrap();
    assert_eq!(store.read_window(&window).unwrap().len(), expected.len());
    let err = store
        .read_window(&TimeWindow::all())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with(&broken.display().to_string()), "{err}");

    let count = store
        .fold_window(&window, || 0usize, |n, _| n + 1, |a, b| a + b)
        .unwrap();
    assert_eq!(count, expected.len());
}

/// Three collection runs on the same days: each writes its own snapshot per day.
fn three_runs(store: &mut Store) {
    let lines: Vec<String> = (1..=60).map(|n| real_line(BLUESKY, n)).collect();
    for (run, chunk) in lines.chunks(20).enumerate() {
        let collected_at = at("2026-01-09T10:00:00Z") + chrono::Duration::hours(run as i64);
        let records = chunk
            .iter()
            .map(|line| Record {
                collected_at,
                ..parse_line(Source::Bluesky, ImportFormat::Corpus, line).unwrap()
            })
            .collect();
        store.commit(Batch::new(Source::Bluesky, records)).unwrap();
    }
}

#[test]
fn compact_merges_days_and_keeps_every_record_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path());
    three_runs(&mut store);
    store
        .commit(Batch::new(
            Source::Hackernews,
            vec![parse_line(Source::Hackernews, ImportFormat::Corpus, &real_line(HN, 1)).unwrap()],
        ))
        .unwrap();
    let before_files = snapshot_files(dir.path());
    let before = record_bytes(&store);
    assert_eq!(before.len(), 61);

    // Days before 2026-01-08 hold one file each: nothing merges, and later days are left alone.
    let early = store
        .compact(NaiveDate::from_ymd_opt(2026, 1, 8), Encoding::Plain)
        .unwrap();
    assert_eq!(early.files_before, early.files_after);
    assert_eq!(snapshot_files(dir.path()), before_files);

    let report = store.compact(None, Encoding::Plain).unwrap();
    assert!(report.files_after < report.files_before, "{report:?}");
    let after_files = snapshot_files(dir.path());
    let per_day: Vec<&str> = after_files.keys().map(|name| name.as_str()).collect();
    assert_eq!(
        per_day,
        [
            "2023/04/24/000000-hackernews.json",
            "2026/01/07/100000-bluesky.json",
            "2026/01/08/120000-bluesky.json",
        ]
    );
    assert_eq!(record_bytes(&Store::open(dir.path())), before);
    assert_eq!(
        store.compact(None, Encoding::Plain).unwrap().written.len(),
        0,
        "nothing left to merge"
    );
}

#[test]
fn gzip_compaction_keeps_every_record_reads_mixed_days_and_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path());
    three_runs(&mut store);
    let before = record_bytes(&store);
    // Only 2026-01-07 goes to gzip; 2026-01-08 stays plain, so reads cross both kinds of file.
    let report = store
        .compact(NaiveDate::from_ymd_opt(2026, 1, 8), Encoding::Gzip)
        .unwrap();
    assert_eq!(report.written.len(), 1, "{report:?}");
    let names: Vec<String> = snapshot_files(dir.path()).into_keys().collect();
    assert!(
        names.contains(&"2026/01/07/100000-bluesky.json.gz".to_string()),
        "{names:?}"
    );
    assert!(names
        .iter()
        .any(|n| n.starts_with("2026/01/08/") && n.ends_with(".json")));
    assert_eq!(record_bytes(&Store::open(dir.path())), before);
    let day = TimeWindow::days(
        NaiveDate::from_ymd_opt(2026, 1, 7).unwrap(),
        NaiveDate::from_ymd_opt(2026, 1, 8).unwrap(),
    );
    assert_eq!(store.read_window(&day).unwrap().len(), before.len());

    // The rest, then a rerun that finds nothing to do.
    store.compact(None, Encoding::Gzip).unwrap();
    let first = snapshot_files(dir.path());
    assert!(
        first.keys().all(|name| name.ends_with(".json.gz")),
        "{first:?}"
    );
    assert_eq!(record_bytes(&Store::open(dir.path())), before);
    let again = store.compact(None, Encoding::Gzip).unwrap();
    assert!(again.written.is_empty(), "{again:?}");
    // A plain compaction never inflates an archived day back.
    assert!(store
        .compact(None, Encoding::Plain)
        .unwrap()
        .written
        .is_empty());
    assert_eq!(snapshot_files(dir.path()), first);

    // The same records compacted in another store give the same bytes.
    let other = tempfile::tempdir().unwrap();
    let mut second = Store::open(other.path());
    three_runs(&mut second);
    second.compact(None, Encoding::Gzip).unwrap();
    assert_eq!(snapshot_files(other.path()), first);
}

#[test]
fn interrupted_compaction_is_read_once_and_finished_later() {
    for encoding in [Encoding::Plain, Encoding::Gzip] {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path());
        three_runs(&mut store);
        let before = record_bytes(&store);
        let inputs = snapshot_files(dir.path());
        store.compact(None, encoding).unwrap();
        let finished = snapshot_files(dir.path());
        // A crash after writing the merged file and before deleting its inputs leaves both.
        for (name, bytes) in &inputs {
            fs::write(dir.path().join("snapshots").join(name), bytes).unwrap();
        }
        assert_eq!(record_bytes(&store), before, "repeated ids are read once");
        store.compact(None, encoding).unwrap();
        assert_eq!(snapshot_files(dir.path()), finished, "{encoding:?}");
        assert_eq!(record_bytes(&store), before);
    }
}

#[test]
fn compaction_refuses_two_different_records_with_one_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path());
    three_runs(&mut store);
    let files = snapshot_files(dir.path());
    let (name, bytes) = files
        .iter()
        .find(|(name, _)| name.starts_with("2026/01/08/11"))
        .unwrap();
    let tampered = String::from_utf8(bytes.clone())
        .unwrap()
        .replace("\"score\":", "\"score\":1");
    let copy = dir
        .path()
        .join("snapshots")
        .join(name.replace(".json", "-copy.json"));
    fs::write(&copy, tampered).unwrap();
    let err = store
        .compact(None, Encoding::Plain)
        .unwrap_err()
        .to_string();
    assert!(err.contains("differs from its copy"), "{err}");
    assert!(copy.exists());
}

#[test]
fn crash_between_snapshot_and_cursor_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<Record> = (1..=30)
        .map(|n| parse_line(Source::Reddit, ImportFormat::Corpus, &real_line(REDDIT, n)).unwrap())
        .collect();
    let mut store = Store::open(dir.path());
    store
        .commit(
            Batch::new(Source::Reddit, records[..10].to_vec())
                .with_cursor("r/singularity", json!({"after": "t3_10"})),
        )
        .unwrap();

    // The next run fetched records 10..30 from cursor t3_10; its snapshots are written, then the
    // process dies before the cursor is saved (the pending cursors are dropped unsaved).
    let next = Batch::new(Source::Reddit, records[5..30].to_vec())
        .with_cursor("r/singularity", json!({"after": "t3_30"}));
    let pending = store.write_snapshots(next.clone()).unwrap();
    drop(pending);
    let mut restarted = Store::open(dir.path());
    assert_eq!(
        restarted.cursor(Source::Reddit, "r/singularity").unwrap(),
        Some(json!({"after": "t3_10"}))
    );

    // The rerun starts from the old cursor, so it fetches the same records again.
    let report = restarted.commit(next).unwrap();
    assert_eq!((report.new, report.duplicates), (0, 25));
    assert_eq!(
        restarted.cursor(Source::Reddit, "r/singularity").unwrap(),
        Some(json!({"after": "t3_30"}))
    );
    let stored = record_bytes(&restarted);
    let expected: Vec<&RecordId> = records.iter().map(|r| &r.id).collect();
    assert_eq!(stored.keys().collect::<Vec<_>>().len(), 30);
    assert!(expected.iter().all(|id| stored.contains_key(*id)));
}

#[test]
fn killed_import_resumes_without_loss_or_duplicates() {
    let killed = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_zeitgeist"))
        .args([
            "--root",
            killed.path().to_str().unwrap(),
            "import",
            raw(HN).to_str().unwrap(),
            "--source",
            "hackernews",
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once a good part of its 1,110 day files is written, mid-way through the rest.
    let data = killed.path().join("data");
    let deadline = Instant::now() + Duration::from_secs(60);
    let written = || {
        let files = walkdir::WalkDir::new(data.join("snapshots"))
            .into_iter()
            .filter_map(Result::ok);
        files
            .filter(|entry| entry.file_name().to_string_lossy().ends_with(".json"))
            .count()
    };
    while written() < 300 && Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no cleanup
    let status = child.wait().unwrap();
    eprintln!(
        "killed import ({status}) after {} of 1110 snapshot files",
        written()
    );
    // Whatever was written is whole: every visible file parses, no id twice.
    let visible = record_bytes(&Store::open(&data));
    assert!(visible.len() < 7287, "killed before the end");

    let resumed = import(
        &mut Store::open(killed.path().join("data")),
        &raw(HN),
        Source::Hackernews,
    );
    assert_eq!(resumed.commit.new + resumed.commit.duplicates, 7287);

    let clean = tempfile::tempdir().unwrap();
    import(&mut Store::open(clean.path()), &raw(HN), Source::Hackernews);
    // Same records; only which copy counts as "first" for a near duplicate may differ.
    let without_links = |data: &Path| -> BTreeMap<RecordId, Record> {
        let records = Store::open(data).read_window(&TimeWindow::all()).unwrap();
        records
            .into_iter()
            .map(|r| {
                (
                    r.id.clone(),
                    Record {
                        near_duplicate_of: None,
                        ..r
                    },
                )
            })
            .collect()
    };
    let (resumed, clean) = (
        without_links(&killed.path().join("data")),
        without_links(clean.path()),
    );
    assert_eq!(resumed.len(), 7287);
    assert!(resumed == clean);
}

/// Not a test: `bench/store_read.sh`. Writes 1,000,000 records (the real corpus repeated with new
/// ids) and times reading them back against parsing the same bytes with serde_json alone.
#[test]
#[ignore]
fn bench_read_a_million_records() {
    const TARGET: usize = 1_000_000;
    let dir = tempfile::tempdir().unwrap();
    let mut corpus: Vec<Record> = Vec::new();
    for (source, file) in [
        (Source::Hackernews, HN),
        (Source::Reddit, REDDIT),
        (Source::Bluesky, BLUESKY),
    ] {
        let text = fs::read_to_string(raw(file)).unwrap();
        corpus.extend(
            text.lines()
                .map(|line| parse_line(source, ImportFormat::Corpus, line).unwrap()),
        );
    }
    let rounds = TARGET.div_ceil(corpus.len());
    let copies = (0..rounds)
        .flat_map(|round| corpus.iter().map(move |record| (round, record)))
        .take(TARGET);

    // One batch per source holding all its copies: the day files come out as a compacted store's.
    let mut store = Store::open(dir.path());
    let mut batches: BTreeMap<Source, Vec<Record>> = BTreeMap::new();
    for (round, record) in copies {
        let id = format!("{}-r{round}", record.id).parse().unwrap();
        batches.entry(record.source).or_default().push(Record {
            id,
            ..record.clone()
        });
    }
    for (source, records) in batches {
        let started = Instant::now();
        let report = store.commit(Batch::new(source, records)).unwrap();
        eprintln!(
            "commit {source}: {} new ({} near duplicates) into {} files in {:.1?}",
            report.new,
            report.near_duplicates,
            report.files.len(),
            started.elapsed()
        );
    }

    let mut fresh = Store::open(dir.path());
    let started = Instant::now();
    assert!(!fresh.contains(&"reddit:none".parse().unwrap()).unwrap());
    eprintln!(
        "id + near-duplicate index built from the snapshots (once per writing run): {:.1?}",
        started.elapsed()
    );

    let files: Vec<PathBuf> = walkdir::WalkDir::new(dir.path().join("snapshots"))
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    let bytes: u64 = files.iter().map(|f| f.metadata().unwrap().len()).sum();
    let mb = bytes as f64 / 1e6;
    eprintln!(
        "{} files, {mb:.0} MB, {} threads",
        files.len(),
        rayon::current_num_threads()
    );

    for _ in 0..3 {
        let started = Instant::now();
        let count = Store::open(dir.path())
            .fold_window(&TimeWindow::all(), || 0usize, |n, _| n + 1, |a, b| a + b)
            .unwrap();
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "store fold_window: {count} records in {secs:.2}s = {:.0} records/s, {:.0} MB/s",
            count as f64 / secs,
            mb / secs
        );
        assert_eq!(count, TARGET);

        let started = Instant::now();
        let records = Store::open(dir.path())
            .read_window(&TimeWindow::all())
            .unwrap();
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "store read_window (collect + sort): {} records in {secs:.2}s = {:.0} records/s",
            records.len(),
            records.len() as f64 / secs
        );
        drop(records);

        use rayon::prelude::*;
        let started = Instant::now();
        let parsed: usize = files
            .par_iter()
            .map(|f| {
                #[derive(serde::Deserialize)]
                struct Raw {
                    records: Vec<Record>,
                }
                serde_json::from_slice::<Raw>(&fs::read(f).unwrap())
                    .unwrap()
                    .records
                    .len()
            })
            .sum();
        let secs = started.elapsed().as_secs_f64();
        eprintln!("raw serde_json, same files, same threads: {parsed} records in {secs:.2}s = {:.0} records/s, {:.0} MB/s", parsed as f64 / secs, mb / secs);
    }
}
