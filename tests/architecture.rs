//! The module map as a test: reads every file under `src/`, finds the crate paths it names
//! (`use crate::x…`, `crate::x::…`, `use crate::{x, y}`), maps both ends to their top module and
//! fails on any edge the table below does not allow, printing each with its file and line.
//!
//! The table is the one on the Architecture page (`content/developers/architecture.md`); change
//! both together. Stages talk through files: a later stage's code is never imported by an
//! earlier one, and the site reads the stages' files, never their code.

use std::collections::BTreeSet;
use std::path::Path;

/// Crate-level helpers every module may import: they know no stage.
const SHARED: [&str; 6] = ["model", "config", "text", "http", "atomic", "gzip"];

/// Who may import whom, beyond [`SHARED`] (and itself).
const ALLOWED: &[(&str, &[&str])] = &[
    // The shared helpers themselves: `model` depends on nothing but writing files atomically and
    // text; `config` on the model's names; the HTTP client reads its settings from `config` and
    // writes its progress lines' numbers with `text`.
    ("model", &["atomic", "text"]),
    ("config", &["model"]),
    ("http", &["config", "text"]),
    ("text", &[]),
    ("atomic", &[]),
    ("gzip", &[]),
    // Stages, in pipeline order: collectors commit to the store, analysis reads the store and
    // writes data/analysis/, synthesis reads analysis files (model types) only.
    ("collect", &["store"]),
    ("store", &[]),
    ("analyze", &["store"]),
    ("synthesize", &[]),
    // The site reads files: content/, data/analysis/ through model types, and data/snapshots/
    // through the store's reader (the snapshot format's one reader).
    ("site", &["store"]),
    ("serve", &["site"]),
    // Orchestration drives every stage, a single-stage command (`analyze`, `import`, `build`,
    // `serve`…) included (`pipeline::commands`); the command line only parses flags and calls
    // the pipeline.
    (
        "pipeline",
        &["collect", "store", "analyze", "synthesize", "site", "serve"],
    ),
    ("cli", &["pipeline"]),
];

/// The top module of a file under `src/`: `src/site/api.rs` → `site`, `src/text.rs` → `text`.
fn top_module(rel: &Path) -> String {
    let first = rel.components().next().expect("a file under src/");
    let name = first.as_os_str().to_string_lossy();
    name.strip_suffix(".rs").unwrap_or(&name).to_string()
}

/// The top modules named by crate paths on each line: `(line number, module)`.
fn imports(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                found.extend(group_heads(group).into_iter().map(|m| (i + 1, m)));
            } else {
                found.push((i + 1, ident(rest)));
            }
        }
    }
    // `use crate::{…}` spread over several lines.
    for (at, _) in text.match_indices("use crate::{") {
        let line = text[..at].matches('\n').count() + 1;
        let body = &text[at + "use crate::{".len()..];
        let end = body.find("};").unwrap_or(body.len());
        if body[..end].contains('\n') {
            found.extend(group_heads(&body[..end]).into_iter().map(|m| (line, m)));
        }
    }
    found.retain(|(_, m)| !m.is_empty());
    found
}

/// The first segment of each top-level item of a `{a::b, c, d::{e, f}}` group.
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut item = String::new();
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                heads.push(std::mem::take(&mut item));
                continue;
            }
            _ => {}
        }
        item.push(c);
    }
    heads.push(item);
    heads
        .iter()
        .map(|h| {
            h.trim()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// Whether `from` may import `to`. The shared helpers may import only what their own row lists
/// (so `model` never grows a dependency on `config` or `http`); every other module also gets
/// the shared helpers.
fn allowed(from: &str, to: &str) -> bool {
    let listed = ALLOWED
        .iter()
        .any(|(module, targets)| *module == from && targets.contains(&to));
    from == to || listed || (!SHARED.contains(&from) && SHARED.contains(&to))
}

/// Every forbidden edge in the files under `src`, as `file:line: from → to`.
fn forbidden_edges(src: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for entry in walkdir::WalkDir::new(src).sort_by_file_name() {
        let entry = entry.expect("src/ is readable");
        let path = entry.path();
        if path.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let rel = path.strip_prefix(src).expect("under src/");
        let from = top_module(rel);
        if from == "lib" || from == "main" {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("source is UTF-8");
        let mut seen = BTreeSet::new();
        for (line, to) in imports(&text) {
            if !allowed(&from, &to) && seen.insert((line, to.clone())) {
                problems.push(format!(
                    "src/{}:{line}: `{from}` may not import `{to}`",
                    rel.display()
                ));
            }
        }
    }
    problems
}

#[test]
fn modules_import_only_what_the_architecture_allows() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = forbidden_edges(&src);
    assert!(
        problems.is_empty(),
        "{} forbidden import(s); see the table in tests/architecture.rs and the Architecture page:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_top_module_is_in_the_table() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeSet::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let name = top_module(Path::new(&entry.unwrap().file_name()));
        if name != "lib" && name != "main" {
            modules.insert(name);
        }
    }
    let listed: BTreeSet<String> = ALLOWED.iter().map(|(m, _)| m.to_string()).collect();
    assert_eq!(modules, listed, "a new top module needs a row in ALLOWED");
}

#[test]
fn the_scanner_sees_every_form_of_crate_path() {
    let text = "use crate::site::api;\nuse crate::{analyze::x, store};\nlet y = crate::synthesize::run();\n// crate::cli::x in a comment\nuse crate::{\n    collect::Batch,\n    serve,\n};\n";
    let found: Vec<(usize, String)> = imports(text);
    let names: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(
        names,
        ["site", "analyze", "store", "synthesize", "collect", "serve"]
    );
    assert!(!allowed("analyze", "synthesize"));
    assert!(!allowed("store", "site"));
    assert!(!allowed("site", "analyze"));
    assert!(allowed("analyze", "model"));
    assert!(!allowed("model", "config"));
    assert!(allowed("pipeline", "site"));
}
