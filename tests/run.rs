//! `zeitgeist run --offline` end to end, on six weeks of the bundled corpus in a temporary site:
//! stories appear and the site builds; a second run changes nothing; a run killed part way
//! leaves consistent data and the next run ends exactly where an uninterrupted run would; the
//! lock refuses a second run while the first holds it.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::copy_tree;
use walkdir::WalkDir;
use zeitgeist::model::runlog::{RunLog, RunMode, RunStatus};
use zeitgeist::store::{Store, TimeWindow};
use zeitgeist::synthesize::story_file;

const BIN: &str = env!("CARGO_BIN_EXE_zeitgeist");
const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// The corpus days copied: enough history before the ticks for baselines (28 days).
const FIRST_DAY: &str = "2026-01-15";
const LAST_DAY: &str = "2026-03-05";
/// The replay every test runs.
const REPLAY: [&str; 8] = [
    "run",
    "--offline",
    "--from",
    "2026-02-26",
    "--to",
    "2026-03-05T00:00:00Z",
    "--step",
    "12h",
];

/// A site with the bundled theme, taxonomy, gazetteer and the corpus days in
/// `FIRST_DAY..=LAST_DAY`.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(
        root.join("site.toml"),
        "title = \"Test\"\nbase_url = \"https://example.org/\"\ntheme = \"zeitgeist\"\n\n[synthesis]\nmax_stories = 2\n",
    )
    .unwrap();
    copy_tree(&Path::new(REPO).join("themes"), &root.join("themes"));
    // The site's own pages, without the committed demo stories.
    for entry in fs::read_dir(Path::new(REPO).join("content")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != "stories" {
            copy_tree(&entry.path(), &root.join("content").join(entry.file_name()));
        }
    }
    copy_site_data(root);
    let snapshots = Path::new(REPO).join("data/snapshots");
    for entry in WalkDir::new(&snapshots).min_depth(3).max_depth(3) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(&snapshots).unwrap();
        let day = rel.to_string_lossy().replace('/', "-");
        if day.as_str() >= FIRST_DAY && day.as_str() <= LAST_DAY {
            copy_tree(entry.path(), &root.join("data/snapshots").join(rel));
        }
    }
    dir
}

/// The site's own data (taxonomy, gazetteer, API description…), not what the pipeline writes.
fn copy_site_data(root: &Path) {
    fs::create_dir_all(root.join("data")).unwrap();
    for entry in fs::read_dir(Path::new(REPO).join("data")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if !["snapshots", "runs", "analysis", "state", ".lock"].contains(&name.to_str().unwrap()) {
            copy_tree(&entry.path(), &root.join("data").join(&name));
        }
    }
}

fn zeitgeist(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.arg("--root").arg(root).args(args);
    command
}

fn run_offline(root: &Path) -> Output {
    let output = zeitgeist(root, &REPLAY).output().unwrap();
    assert!(
        output.status.success(),
        "run failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Every file under the folders a run writes, with its bytes (the lock excluded).
fn contents(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    ["content", "data", "public"]
        .iter()
        .flat_map(|dir| WalkDir::new(root.join(dir)))
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .filter(|e| !e.file_name().to_string_lossy().ends_with(".tmp"))
        .map(|e| {
            (
                e.path().strip_prefix(root).unwrap().to_path_buf(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn stories(root: &Path) -> Vec<PathBuf> {
    let dir = root.join("content/stories");
    if !dir.exists() {
        return Vec::new();
    }
    WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect()
}

fn run_logs(root: &Path) -> Vec<RunLog> {
    let logs = RunLog::recent(&root.join("data"), usize::MAX).unwrap();
    assert!(logs.iter().all(|l| l.mode == RunMode::Offline));
    logs
}

#[test]
fn an_offline_replay_writes_stories_builds_the_site_and_a_rerun_changes_nothing() {
    let site = site();
    let root = site.path();
    let output = run_offline(root);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("[1/15] 2026-02-26 00:00"), "{stderr}");

    let logs = run_logs(root);
    assert_eq!(logs.len(), 15, "one log per tick of 12 h over 7 days");
    // No tick fails; a tick whose story was skipped (its reason logged) is `partial`.
    assert!(logs.iter().all(|l| l.status != RunStatus::Failed));
    assert!(logs
        .iter()
        .all(|l| (l.status == RunStatus::Partial) != l.skipped.is_empty()));
    let newest = &logs[0];
    assert_eq!(newest.clock.to_rfc3339(), "2026-03-05T00:00:00+00:00");
    assert!(newest.records.analyzed > 1000, "{:?}", newest.records);
    // Every record up to the last tick arrived exactly once across the ticks.
    let arrived: usize = logs.iter().map(|l| l.records.new).sum();
    let stored = zeitgeist::store::Store::open(root.join("data"))
        .read_window(&zeitgeist::store::TimeWindow::new(
            zeitgeist::store::TimeWindow::all().start,
            "2026-03-05T00:00:00.000000001Z".parse().unwrap(),
        ))
        .unwrap()
        .len();
    assert_eq!(arrived, stored);

    let written = stories(root);
    let logged: usize = logs.iter().map(|l| l.stories.len()).sum();
    assert!(logged > 0, "the replay wrote no story: {stderr}");
    assert_eq!(written.len(), logged);
    for log in &logs {
        for story in &log.stories {
            let file = root.join("content").join(&story.path);
            let front = story_file::read_front_matter(&file).unwrap().unwrap();
            assert_eq!(front.date, log.clock, "{}", story.path);
            let page = root
                .join("public")
                .join(story.path.trim_end_matches(".md"))
                .join("index.html");
            assert!(page.exists(), "{} has no page", story.path);
        }
    }
    assert!(root.join("data/analysis/candidates.json").exists());
    assert!(!root.join("data/.lock").exists(), "the lock is released");

    let before = contents(root);
    let again = run_offline(root);
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to do"));
    assert_eq!(contents(root), before, "a second run changed files");
}

#[test]
fn a_killed_run_leaves_consistent_files_and_the_next_run_ends_as_an_uninterrupted_one() {
    let reference = site();
    run_offline(reference.path());

    let site = site();
    let root = site.path();
    let mut child = zeitgeist(root, &REPLAY)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once the first tick's run log (its last output) is on disk.
    let deadline = Instant::now() + Duration::from_secs(120);
    let logged = || {
        WalkDir::new(root.join("data/runs"))
            .into_iter()
            .filter_map(Result::ok)
            .any(|e| e.file_type().is_file() && e.file_name().to_string_lossy().ends_with(".json"))
    };
    while !logged() {
        assert!(Instant::now() < deadline, "no run log appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended before it could be killed"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // What is on disk is whole: every story and run log parses, no site was half built.
    let logs = run_logs(root);
    assert!(!logs.is_empty() && logs.len() < 15, "{} logs", logs.len());
    for story in stories(root) {
        story_file::read_front_matter(&story)
            .unwrap_or_else(|e| panic!("{}: {e}", story.display()))
            .unwrap();
    }
    assert!(root.join("data/.lock").exists(), "SIGKILL leaves the lock");
    assert!(!root.join("public").exists(), "the build runs last");

    // Temp files a kill mid-write leaves behind (as a kill inside `write_atomic` would).
    let temps = [
        root.join("data/analysis/.zeitgeist-Kd83jd.tmp"),
        root.join("data/runs/2026/02/.zeitgeist-0aZ9xq.tmp"),
        root.join("content/stories/.zeitgeist-Pq1w2e.tmp"),
    ];
    for temp in &temps {
        fs::create_dir_all(temp.parent().unwrap()).unwrap();
        fs::write(temp, b"half").unwrap();
    }

    // The next run takes over the dead run's lock, clears the temp files, redoes the cut tick
    // and finishes.
    let output = run_offline(root);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("took over"), "{stderr}");
    assert!(stderr.contains("removed 2 temp file(s)"), "{stderr}");
    for temp in &temps {
        assert!(!temp.exists(), "{} is left", temp.display());
    }
    assert_eq!(contents(root), contents(reference.path()));
}

#[test]
fn the_lock_refuses_a_second_run() {
    let site = site();
    let root = site.path();
    // This test process holds the lock.
    let held = zeitgeist::pipeline::lock::RunLock::acquire(&root.join("data"), "run").unwrap();
    let output = zeitgeist(root, &["run", "--offline", "--as-of", "2026-03-01"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "another `zeitgeist run` (pid {}) has been running",
            std::process::id()
        )),
        "{stderr}"
    );
    assert!(!root.join("data/runs").exists(), "nothing ran");
    let output = zeitgeist(root, &["collect"]).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "every writing command takes the lock"
    );
    drop(held);

    // A dead run's lock file naming a pid that is now another live process (this one) does
    // not hold the lock: only the OS lock does.
    let leftover = format!(
        "{{\"pid\":{},\"command\":\"run\",\"started_at\":\"2026-01-01T00:00:00Z\"}}",
        std::process::id()
    );
    fs::write(root.join("data/.lock"), leftover).unwrap();
    let output = zeitgeist(root, &["compact"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("took over"), "{stderr}");
    assert!(!root.join("data/.lock").exists(), "the lock is released");
}

/// A loopback Algolia `search_by_date` serving the recorded front page, honouring the
/// `created_at_i` filters and `hitsPerPage` as Algolia does.
fn algolia_server() -> (String, std::sync::mpsc::Sender<()>) {
    let page: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/hn-algolia/hn_algolia_new_page.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            let app = axum::Router::new().route(
                "/api/v1/search_by_date",
                axum::routing::get(
                    move |query: axum::extract::Query<BTreeMap<String, String>>| {
                        let mut page = page.clone();
                        async move {
                            assert_eq!(query.get("tags").map(String::as_str), Some("story"));
                            let per_page: usize = query["hitsPerPage"].parse().unwrap();
                            let keep = |t: i64| {
                                query["numericFilters"].split(',').all(|f| {
                                    match (
                                        f.strip_prefix("created_at_i>"),
                                        f.strip_prefix("created_at_i<="),
                                    ) {
                                        (Some(v), _) => t > v.parse::<i64>().unwrap(),
                                        (_, Some(v)) => t <= v.parse::<i64>().unwrap(),
                                        _ => panic!("unexpected filter {f}"),
                                    }
                                })
                            };
                            let hits: Vec<serde_json::Value> = page["hits"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .filter(|h| keep(h["created_at_i"].as_i64().unwrap()))
                                .take(per_page)
                                .cloned()
                                .collect();
                            page["hits"] = serde_json::Value::Array(hits);
                            page["hitsPerPage"] = per_page.into();
                            axum::Json(page)
                        }
                    },
                ),
            );
            let server = axum::serve(listener, app);
            tokio::select! {
                _ = server => {}
                _ = tokio::task::spawn_blocking(move || stop_rx.recv()) => {}
            }
        });
    });
    let addr = addr_rx.recv().unwrap();
    (format!("http://{addr}/api/v1"), stop_tx)
}

#[test]
fn collect_stores_new_records_once_and_reports_them_for_run() {
    let (base, _stop) = algolia_server();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(
        root.join("site.toml"),
        format!(
            "title = \"Test\"\nbase_url = \"https://example.org/\"\n\n[sources.http]\nper_host_interval_ms = 0\n\n[sources.hackernews]\nqueries = [\"\"]\ntags = [\"story\"]\nlimit = 40\npage_size = 15\nbase_url = \"{base}\"\n"
        ),
    )
    .unwrap();
    let collect = |name: &str| {
        let report = root.join(name);
        let report = report.to_str().unwrap();
        let output = zeitgeist(
            root,
            &[
                "collect",
                "--source",
                "hackernews",
                "--source",
                "reddit",
                "--report",
                report,
            ],
        )
        .output()
        .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert!(output.status.success(), "{stderr}");
        assert!(
            stderr.contains("reddit: not enabled in site.toml"),
            "{stderr}"
        );
        let report: BTreeMap<String, serde_json::Value> =
            serde_json::from_slice(&fs::read(report).unwrap()).unwrap();
        report
    };
    let first = collect("first.json");
    let new = first["hackernews"]["new"].as_u64().unwrap();
    assert!(new > 15, "more than one page was read: {first:?}");
    assert_eq!(first["hackernews"]["status"], "ok");
    let stored = zeitgeist::store::Store::open(root.join("data"))
        .read_window(&zeitgeist::store::TimeWindow::all())
        .unwrap();
    assert_eq!(stored.len() as u64, new);
    assert!(
        root.join("data/state/hackernews.json").exists(),
        "cursor saved"
    );

    // The cursor resumes after the newest story: nothing new, nothing stored twice.
    let second = collect("second.json");
    assert_eq!(second["hackernews"]["new"], 0);
    let again = zeitgeist::store::Store::open(root.join("data"))
        .read_window(&zeitgeist::store::TimeWindow::all())
        .unwrap();
    assert_eq!(again.len(), stored.len());

    // `run --collected` takes the collect jobs' reports instead of collecting again.
    copy_tree(&Path::new(REPO).join("themes"), &root.join("themes"));
    copy_site_data(root);
    let newest = stored
        .iter()
        .map(|r| r.created_at)
        .max()
        .unwrap()
        .to_rfc3339();
    let reports = root.join("collected");
    fs::create_dir_all(&reports).unwrap();
    fs::rename(root.join("first.json"), reports.join("hackernews.json")).unwrap();
    let live = |args: &[&str]| {
        let mut all = vec!["run", "--as-of", newest.as_str(), "--collected"];
        all.extend(args);
        zeitgeist(root, &all).output().unwrap()
    };
    let output = live(&[reports.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let logs = RunLog::recent(&root.join("data"), 10).unwrap();
    assert_eq!(logs.len(), 1);
    let log = &logs[0];
    assert_eq!((log.mode, log.status), (RunMode::Live, RunStatus::Ok));
    assert_eq!(
        log.sources[&zeitgeist::model::Source::Hackernews].new as u64,
        new
    );
    let stages: Vec<&str> = log.stages.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(
        stages,
        ["collect", "analyze", "synthesize", "compact", "build"]
    );
    assert!(
        log.stages.iter().all(|s| s.seconds.is_some()),
        "live stages are timed"
    );
    assert!(root.join("public/index.html").exists());

    // A collect job that died left no report: its source failed, the rest is still built.
    fs::remove_dir_all(root.join("public")).unwrap();
    let empty = root.join("none");
    fs::create_dir_all(&empty).unwrap();
    std::thread::sleep(Duration::from_millis(1100)); // live logs are named by the second
    let output = live(&[empty.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let logs = RunLog::recent(&root.join("data"), 10).unwrap();
    assert_eq!(logs.len(), 2, "each live run appends its log");
    let failed = &logs[0].sources[&zeitgeist::model::Source::Hackernews];
    assert_eq!(failed.status, RunStatus::Failed);
    assert!(
        failed.errors[0].starts_with("no collection report in"),
        "{failed:?}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("run failed (every source failed)"),
        "{stderr}"
    );
    assert!(
        root.join("public/index.html").exists(),
        "the site is still built"
    );
}

#[test]
fn failed_ticks_are_logged_as_failed_and_redone_by_the_next_run() {
    let site = site();
    let root = site.path();
    // A file where the analysis folder should be: every tick's analysis fails to write.
    fs::write(root.join("data/analysis"), b"not a folder").unwrap();
    let output = zeitgeist(root, &REPLAY).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let logs = run_logs(root);
    assert_eq!(logs.len(), 15);
    assert!(logs.iter().all(|l| l.status == RunStatus::Failed));
    assert!(
        logs[0].errors[0].contains("cannot write analysis"),
        "{:?}",
        logs[0].errors
    );
    assert!(stories(root).is_empty());

    fs::remove_file(root.join("data/analysis")).unwrap();
    run_offline(root);
    let logs = run_logs(root);
    assert!(logs.iter().all(|l| l.status != RunStatus::Failed));
    assert!(!stories(root).is_empty());
}

#[test]
fn an_empty_analysis_window_builds_every_page_and_says_so() {
    let site = site();
    let root = site.path();
    // Months after the last record copied: the 90-day window holds nothing.
    let output = zeitgeist(root, &["analyze", "--as-of", "2026-11-30T00:00:00Z"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = zeitgeist(root, &["build"]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for page in [
        "index.html",
        "beats/index.html",
        "beats/regulation/index.html",
        "wire/index.html",
        "data-sources/index.html",
    ] {
        let html = fs::read_to_string(root.join("public").join(page)).unwrap();
        assert!(
            html.contains(
                "The analysis window, the 90 days up to 30 November 2026, holds no records"
            ),
            "{page} does not say the window is empty"
        );
        assert!(!html.contains("NaN"), "{page}");
    }
}

/// Imports one Hacker News record (a `Record` JSON line) into `root`'s store, then analyzes as
/// of the end of the copied corpus and builds the site.
fn import_analyze_build(root: &Path, record: &serde_json::Value) {
    let file = root.join("import.jsonl");
    fs::write(&file, format!("{record}\n")).unwrap();
    for args in [
        vec![
            "import",
            file.to_str().unwrap(),
            "--source",
            "hackernews",
            "--format",
            "record",
        ],
        vec!["analyze", "--as-of", "2026-03-05T00:00:00Z"],
        vec!["build"],
    ] {
        let output = zeitgeist(root, &args).output().unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn control_characters_are_stripped_at_import_and_bidi_text_is_isolated() {
    let site = site();
    let root = site.path();
    let record = serde_json::json!({
        "id": "hackernews:999000001", "source": "hackernews", "kind": "post",
        "url": "https://example.org/a\u{0}b",
        "title": "Artificial intelligence\u{0} model \u{202e}gnp.exe released\u{1b}[2J",
        "text": "Large language models\u{0}\u{7} and chatbots.",
        "author": "mallory\u{0}",
        "created_at": "2026-03-04T12:00:00Z", "collected_at": "2026-03-04T12:00:00Z",
    });
    import_analyze_build(root, &record);
    let snapshots: String = WalkDir::new(root.join("data/snapshots/2026/03/04"))
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(snapshots.contains("Artificial intelligence model \u{202e}gnp.exe released[2J"));
    assert!(!snapshots.contains("\\u0000"), "a NUL was stored");
    for page in ["wire/index.html", "index.html", "api/v1/wire.json"] {
        let text = fs::read_to_string(root.join("public").join(page)).unwrap();
        assert!(
            !text.contains('\u{0}') && !text.contains("\\u0000"),
            "{page} holds a NUL"
        );
    }
    let wire = fs::read_to_string(root.join("public/wire/index.html")).unwrap();
    assert!(
        wire.contains("<p class=\"record-title\" dir=\"auto\">Artificial intelligence model \u{202e}gnp.exe released[2J</p>"),
        "the title is not isolated"
    );
    assert!(wire.contains("<bdi>mallory</bdi>"));
}

#[test]
fn huge_titles_and_texts_are_capped_in_the_store_and_on_the_wire() {
    let site = site();
    let root = site.path();
    let title = format!("Artificial intelligence {}", "giant ".repeat(200_000));
    let record = serde_json::json!({
        "id": "hackernews:999000002", "source": "hackernews", "kind": "post",
        "url": "https://example.org/huge", "title": title,
        "text": "machine learning ".repeat(300_000),
        "created_at": "2026-03-04T13:00:00Z", "collected_at": "2026-03-04T13:00:00Z",
    });
    import_analyze_build(root, &record);
    let stored = Store::open(root.join("data"))
        .read_window(&TimeWindow::all())
        .unwrap()
        .into_iter()
        .find(|r| r.id.as_str() == "hackernews:999000002")
        .unwrap();
    assert!(stored.truncated);
    assert_eq!(
        stored.title.chars().count(),
        zeitgeist::model::record::MAX_TITLE_CHARS
    );
    assert_eq!(
        stored.text.chars().count(),
        zeitgeist::model::record::MAX_TEXT_CHARS
    );
    let wire: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root.join("public/api/v1/wire.json")).unwrap())
            .unwrap();
    let item = wire["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "hackernews:999000002")
        .unwrap();
    let shown = item["title"].as_str().unwrap();
    assert!(
        shown.chars().count() <= 301 && shown.ends_with("giant…"),
        "{shown}"
    );
    let page = fs::read_to_string(root.join("public/wire/index.html")).unwrap();
    assert!(
        page.len() < 2_000_000,
        "the wire page is {} bytes",
        page.len()
    );
}
