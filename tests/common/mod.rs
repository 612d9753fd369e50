//! File helpers the integration tests share (`use crate::common;` in each test module).

use std::fs;
use std::path::Path;

/// Writes `text` to `root/rel`, creating its folders.
pub fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// Copies the file or folder tree `from` to `to`, creating folders as needed.
pub fn copy_tree(from: &Path, to: &Path) {
    if from.is_file() {
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(from, to).unwrap();
        return;
    }
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The files the analysis needs besides the records: the vocabulary, the static embedding model
/// and the trained classifier.
pub const ANALYSIS_FILES: [&str; 6] = [
    "data/beats.yaml",
    "data/entities.yaml",
    "data/classifier.json",
    "data/embeddings/minilm-static.safetensors",
    "data/embeddings/tokenizer.json",
    "data/embeddings/SHA256SUMS",
];

/// Copies [`ANALYSIS_FILES`] from the repository at `repo` into the site at `root`.
pub fn copy_analysis_files(repo: &Path, root: &Path) {
    for file in ANALYSIS_FILES {
        copy_tree(&repo.join(file), &root.join(file));
    }
}
