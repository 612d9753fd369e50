//! `data/**/*.{json,yaml,yml,toml}` loaded for templates (`load_data(path="analysis/beats.json")`).
//! `analysis/records.jsonl` is the exception: its records are joined with their stored text
//! once here (see [`records`]), and templates get the newest of them. The record stores (`data/snapshots/`, `data/state/`, `data/runs/`) are skipped: they are large,
//! and pages read the analysis stage's summaries of them instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;
use walkdir::WalkDir;

use crate::config::Paths;
use crate::model::analysis::TaxonomyFile;
use crate::model::beat::{Taxonomy, TaxonomyError, BEATS_FILE};
use crate::model::gazetteer::{Gazetteer, ENTITIES_FILE};
use crate::site::records::{self, JoinedRecords};
use crate::site::{display_path, line_of, read_text, slash_path, Problem};

/// Folders of `data/` that hold record stores, not template data.
pub const SKIPPED_DIRS: [&str; 3] = ["snapshots", "state", "runs"];
const EXTENSIONS: [&str; 4] = ["json", "yaml", "yml", "toml"];

/// Loaded data files by path under `data/` (with `/` separators).
pub type DataFiles = BTreeMap<String, Value>;

/// The analysis taxonomy's key among the data files.
pub const TAXONOMY_KEY: &str = "analysis/taxonomy.json";

/// `analysis/taxonomy.json` as its model type: `None` when analysis has not run, or when the
/// file does not read as one, which [`load`] reports.
pub fn taxonomy(data: &DataFiles) -> Option<TaxonomyFile> {
    read_taxonomy(data).ok().flatten()
}

fn read_taxonomy(data: &DataFiles) -> Result<Option<TaxonomyFile>, serde_json::Error> {
    data.get(TAXONOMY_KEY)
        .map(TaxonomyFile::deserialize)
        .transpose()
}

/// Whether a path under `data/` (relative, `/`-separated) is a file templates can load
/// (including `analysis/records.jsonl`, served through [`records`]).
pub fn is_template_data(rel: &Path) -> bool {
    rel == Path::new(records::DATA_KEY) || is_parsed_data(rel)
}

/// Whether a path under `data/` is a JSON, YAML or TOML file outside the record stores.
fn is_parsed_data(rel: &Path) -> bool {
    let skipped = rel
        .components()
        .next()
        .is_some_and(|first| SKIPPED_DIRS.iter().any(|d| first.as_os_str() == *d));
    !skipped
        && rel
            .extension()
            .is_some_and(|e| EXTENSIONS.iter().any(|x| e == *x))
}

/// Reads and parses every data file in parallel, and joins the analysis window's records
/// (empty when analysis has not run), which the API and search generators share.
pub fn load(paths: &Paths) -> (DataFiles, JoinedRecords, Vec<Problem>) {
    let data_dir = paths.data();
    let files: Vec<PathBuf> = WalkDir::new(&data_dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() != 1
                || !e.file_type().is_dir()
                || !SKIPPED_DIRS.iter().any(|d| e.file_name() == *d)
        })
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| is_parsed_data(p.strip_prefix(&data_dir).unwrap_or(p)))
        .collect();
    let parsed: Vec<_> = files
        .par_iter()
        .map(|file| load_file(&paths.root, &data_dir, file))
        .collect();
    let mut data = DataFiles::new();
    let mut problems = Vec::new();
    for result in parsed {
        match result {
            Ok((key, value)) => {
                data.insert(key, value);
            }
            Err(problem) => problems.push(problem),
        }
    }
    problems.extend(vocabulary_problems(paths));
    let taxonomy = read_taxonomy(&data).unwrap_or_else(|e| {
        let file = display_path(&paths.root, &data_dir.join(TAXONOMY_KEY));
        problems.push(Problem::new(file, None, e.to_string()));
        None
    });
    let joined = match records::load(paths, taxonomy.as_ref()) {
        Ok(Some(joined)) => {
            data.insert(
                records::DATA_KEY.to_string(),
                records::template_value(&joined),
            );
            joined
        }
        Ok(None) => Vec::new(),
        Err(problem) => {
            problems.push(problem);
            Vec::new()
        }
    };
    (data, Arc::new(joined), problems)
}

/// Validates the analysis vocabulary, `beats.yaml` and `entities.yaml`, as `analyze` would, so
/// `check` and `build` report its mistakes too. A site without them has nothing to check.
fn vocabulary_problems(paths: &Paths) -> Vec<Problem> {
    let data_dir = paths.data();
    let problem = |error: TaxonomyError| match error {
        TaxonomyError::Read { path, source } => Problem::new(
            display_path(&paths.root, &path),
            None,
            format!("cannot read: {source}"),
        ),
        TaxonomyError::Invalid {
            path,
            line,
            field,
            message,
        } => Problem::new(
            display_path(&paths.root, &path),
            Some(line),
            format!("{field}: {message}"),
        ),
    };
    let mut problems = Vec::new();
    if data_dir.join(BEATS_FILE).exists() {
        problems.extend(Taxonomy::load(&data_dir).err().map(problem));
    }
    if data_dir.join(ENTITIES_FILE).exists() {
        problems.extend(Gazetteer::load(&data_dir).err().map(problem));
    }
    problems
}

fn load_file(root: &Path, data_dir: &Path, file: &Path) -> Result<(String, Value), Problem> {
    let shown = display_path(root, file);
    let text = read_text(file, &shown)?;
    let value =
        parse(file, &text).map_err(|(line, message)| Problem::new(&shown, line, message))?;
    Ok((slash_path(data_dir, file), value))
}

/// Parses a data file by extension into JSON values, with the line of any syntax error.
fn parse(file: &Path, text: &str) -> Result<Value, (Option<usize>, String)> {
    match file.extension().and_then(|e| e.to_str()) {
        Some("json") => {
            serde_json::from_str(text).map_err(|e| (Some(e.line()), format!("invalid JSON: {e}")))
        }
        Some("toml") => toml::from_str(text).map_err(|e| {
            let line = e.span().map(|span| line_of(text, span.start));
            (line, format!("invalid TOML: {}", e.message()))
        }),
        _ => serde_yaml::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line());
            (line, format!("invalid YAML: {e}"))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn loads_all_formats_and_skips_record_stores() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        for (rel, text) in [
            ("labels.yaml", "chips: {label: Chips}\n"),
            ("analysis/volume.json", "{\"total\": 3}"),
            ("site.toml", "a = 1\n"),
            ("snapshots/2024.json", "not even json"),
            ("notes.txt", "ignored"),
        ] {
            fs::create_dir_all(data.join(rel).parent().unwrap()).unwrap();
            fs::write(data.join(rel), text).unwrap();
        }
        let (files, _, problems) = load(&Paths::new(dir.path()));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            vec!["analysis/volume.json", "labels.yaml", "site.toml"]
        );
        assert_eq!(files["labels.yaml"]["chips"]["label"], "Chips");
        assert_eq!(files["analysis/volume.json"]["total"], 3);
    }

    #[test]
    fn syntax_errors_have_lines() {
        let err = parse(Path::new("x.json"), "{\n\"a\": ,\n}").unwrap_err();
        assert_eq!(err.0, Some(2));
        let err = parse(Path::new("x.toml"), "a = 1\nb = \n").unwrap_err();
        assert_eq!(err.0, Some(2));
    }
}
