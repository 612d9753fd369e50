//! Client-side full-text search: a static, chunked, pre-compressed index that the site generator
//! writes under `search/` and `themes/zeitgeist/static/js/search.js` queries in the browser.
//!
//! The generator hands over the documents it already holds ([`SearchDoc`]); [`build_index`]
//! tokenises them in parallel, inverts them into term → postings with a one-byte BM25 impact per
//! posting, cuts the sorted terms into chunks of bounded size and returns every file in memory
//! ([`SearchBundle`]) for the generator's staging directory. A one-word query downloads the
//! meta file, exactly one chunk (plus one small directory file per level when the index has
//! more than 1024 chunks) and a fragment per shown result; none of these grows with the number
//! of documents beyond the capped posting list, so a million records cost a query what ten
//! thousand do.
//!
//! Bundle layout (paths relative to the bundle root; every file is gzip on disk, with custom
//! extensions so hosts serve the bytes untouched and the client inflates them with
//! `DecompressionStream`):
//!
//! - `meta.zsm` — JSON `{"format":1,"build":B,"docs":N,"depth":D,"dir":[first term of each
//!   chunk, or of each directory file when D > 0],"filters":[[key,[[value,count],…]],…],
//!   "labels":{key:{value:name readers see}}}` (values without a label show as they are).
//! - `B/c/<n>.zsc` — chunk `n`, see `index.rs` for the binary layout.
//! - `B/d/<level>-<n>.zsd` — directory levels, only above 1024 chunks.
//! - `B/f/<id / 1000>/<id % 1000>.zsf` — result fragment of document `id`:
//!   `{"t","u","d","k","f","e"}`; a thousand per folder keeps folders small at a million records.
//! - `B/x/<k>-<v>.zsx` — ids of the documents with filter value `v` of key `k`.
//! - `B/t.zst` — the date runs (document ids are assigned newest first).
//!
//! `B` is a hash of all those files, so a browser never mixes a cached chunk of one build with
//! another build's meta file.
//!
//! In the site build, [`jobs`] is one of the generator's outputs (every published page becomes a
//! document); the markup `search.js` enhances is described at the top of that file. Figures
//! against Pagefind and the byte-counting rule: `bench/SEARCH.md`.

mod docs;
pub(crate) mod encode;
mod index;
mod pages;
mod tokenize;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hasher;
use std::io;
use std::path::Path;

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;
use siphasher::sip::SipHasher13;

pub use pages::{beat_docs, jobs, page_doc, record_doc};
pub use tokenize::terms;

/// The bundle's folder in the published site.
pub const BUNDLE_DIR: &str = "search";

/// The filter key holding a document's [`DocKind`]; documents may not set it themselves.
pub const KIND_FILTER: &str = "kind";

/// Version of the file formats, checked by the client.
const FORMAT: u32 = 1;

/// What a search result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    Story,
    Beat,
    Page,
    Record,
}

impl DocKind {
    /// The name readers see.
    pub fn label(self) -> &'static str {
        match self {
            DocKind::Story => "Story",
            DocKind::Beat => "Beat",
            DocKind::Page => "Page",
            DocKind::Record => "Post",
        }
    }

    /// The lowercase name used in the index and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Story => "story",
            DocKind::Beat => "beat",
            DocKind::Page => "page",
            DocKind::Record => "record",
        }
    }
}

/// One searchable document, built by the generator from what it already holds in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    /// The page's URL on the site (site-relative like `/stories/x/`, or absolute http(s)).
    pub url: String,
    pub title: String,
    /// Plain text of the page or record (no markup); the first words become the excerpt.
    pub text: String,
    /// Publication date; pages without one sort after dated ones.
    pub date: Option<NaiveDate>,
    pub kind: DocKind,
    /// Filter values by key, e.g. `beat` → `["agents"]`, `platform` → `["reddit"]`.
    pub filters: BTreeMap<String, Vec<String>>,
}

/// Why the index could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search document {url}: filter key `{key}` is reserved for the document kind")]
    ReservedFilterKey { url: String, key: String },
    #[error("search document {url}: empty filter key")]
    EmptyFilterKey { url: String },
    #[error("search index: encoding JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("search index: compressing: {0}")]
    Compress(#[from] io::Error),
}

/// One file of the bundle: a path relative to the bundle root and its (gzipped) bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The whole index, in memory, files sorted by path. Equal documents give an equal bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchBundle {
    pub files: Vec<BundleFile>,
    /// Documents indexed.
    pub docs: usize,
    /// Distinct terms.
    pub terms: usize,
    /// Index chunks.
    pub chunks: usize,
}

impl SearchBundle {
    /// Bytes of all files as stored (and as downloaded: they are already gzip).
    pub fn total_bytes(&self) -> usize {
        self.files.iter().map(|f| f.bytes.len()).sum()
    }

    /// Writes every file under `root` (normally `<staging>/search`). Plain writes, in parallel:
    /// the generator publishes the staging directory as a whole, which is what makes the
    /// build atomic.
    pub fn write_into(&self, root: &Path) -> io::Result<()> {
        let folders: BTreeSet<&Path> = self
            .files
            .iter()
            .filter_map(|file| Path::new(&file.path).parent())
            .collect();
        for folder in folders {
            std::fs::create_dir_all(root.join(folder))?;
        }
        self.files
            .par_iter()
            .try_for_each(|file| std::fs::write(root.join(&file.path), &file.bytes))
    }
}

/// The names readers see for filter values: key → value → name (`beats` → `agents` → `Agents`).
pub type Labels = BTreeMap<String, BTreeMap<String, String>>;

/// Builds the search bundle for `docs` (any order; ids are assigned newest first).
pub fn build_index(docs: &[SearchDoc]) -> Result<SearchBundle, SearchError> {
    build_labelled_index(docs, &Labels::new())
}

/// [`build_index`], with names for the filter values in the meta file.
pub fn build_labelled_index(
    docs: &[SearchDoc],
    labels: &Labels,
) -> Result<SearchBundle, SearchError> {
    build_with(docs, labels, &index::LIMITS)
}

fn build_with(
    docs: &[SearchDoc],
    labels: &Labels,
    limits: &index::Limits,
) -> Result<SearchBundle, SearchError> {
    check_filter_keys(docs)?;
    let ordered = newest_first(docs);
    let terms = index::invert(&ordered, limits);
    let chunks = index::chunk(&terms, limits)?;
    let chunk_count = chunks.files.len();
    let directory = index::directory(chunks.first_terms, limits.fanout);
    let facets = docs::facets(&ordered)?;

    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    files.extend(
        chunks
            .files
            .into_iter()
            .enumerate()
            .map(|(n, f)| (format!("c/{n}.zsc"), f)),
    );
    for (path, dir, base) in &directory.files {
        let json = serde_json::to_vec(&serde_json::json!({ "base": base, "dir": dir }))?;
        files.push((path.clone(), encode::gzip(&json)?));
    }
    let fragments = docs::fragments(&ordered)?;
    files.extend(
        fragments
            .into_iter()
            .enumerate()
            .map(|(id, f)| (format!("f/{}/{}.zsf", id / 1000, id % 1000), f)),
    );
    files.extend(facets.files);
    files.push(("t.zst".to_string(), docs::date_runs(&ordered)?));

    let build = build_id(&files);
    let meta = serde_json::json!({
        "format": FORMAT,
        "build": build,
        "docs": ordered.len(),
        "depth": directory.depth,
        "dir": directory.top,
        "filters": facets.values,
        "labels": labels,
    });
    let mut bundle: Vec<BundleFile> = files
        .into_iter()
        .map(|(path, bytes)| BundleFile {
            path: format!("{build}/{path}"),
            bytes,
        })
        .collect();
    bundle.push(BundleFile {
        path: "meta.zsm".to_string(),
        bytes: encode::gzip(&serde_json::to_vec(&meta)?)?,
    });
    bundle.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(SearchBundle {
        files: bundle,
        docs: ordered.len(),
        terms: terms.len(),
        chunks: chunk_count,
    })
}

fn check_filter_keys(docs: &[SearchDoc]) -> Result<(), SearchError> {
    for doc in docs {
        for key in doc.filters.keys() {
            if key == KIND_FILTER {
                return Err(SearchError::ReservedFilterKey {
                    url: doc.url.clone(),
                    key: key.clone(),
                });
            }
            if key.is_empty() {
                return Err(SearchError::EmptyFilterKey {
                    url: doc.url.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Newest first, undated last, then by URL and title: ids (and so the whole bundle) do not
/// depend on the order the generator collected the documents in.
fn newest_first(docs: &[SearchDoc]) -> Vec<&SearchDoc> {
    let mut ordered: Vec<&SearchDoc> = docs.iter().collect();
    ordered.par_sort_by(|a, b| {
        (a.date.is_none(), Reverse(a.date), &a.url, &a.title, &a.text).cmp(&(
            b.date.is_none(),
            Reverse(b.date),
            &b.url,
            &b.title,
            &b.text,
        ))
    });
    ordered
}

/// SipHash-1-3 (fixed zero key: stable across machines and Rust versions, unlike std's
/// `DefaultHasher`) of every path and file, as 16 hex digits. It only has to tell builds apart
/// for caches, not resist an attacker.
fn build_id(files: &[(String, Vec<u8>)]) -> String {
    let mut hasher = SipHasher13::new();
    for (path, bytes) in files {
        hasher.write(path.as_bytes());
        hasher.write_u64(bytes.len() as u64);
        hasher.write(bytes);
    }
    format!("{:016x}", hasher.finish())
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// An undated page with no filters.
    pub fn doc(title: &str, text: &str) -> SearchDoc {
        SearchDoc {
            url: format!("/p/{}/", title.len()),
            title: title.to_string(),
            text: text.to_string(),
            date: None,
            kind: DocKind::Page,
            filters: BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::encode::testing::gunzip;
    use super::index::testing::decode_chunk;
    use super::testing::doc;
    use super::*;

    fn sample(n: usize) -> Vec<SearchDoc> {
        (0..n)
            .map(|i| {
                let mut d = doc(
                    &format!("Story {i} about GPUs"),
                    &format!("Text {i} on models and tokens {}", i % 13),
                );
                d.url = format!("/s/{i}/");
                d.date = NaiveDate::from_ymd_opt(2025, 1, 1 + (i % 28) as u32);
                d.filters
                    .insert("platform".into(), vec![["reddit", "bluesky"][i % 2].into()]);
                d
            })
            .collect()
    }

    fn meta(bundle: &SearchBundle) -> serde_json::Value {
        let file = bundle.files.iter().find(|f| f.path == "meta.zsm").unwrap();
        serde_json::from_slice(&gunzip(&file.bytes)).unwrap()
    }

    #[test]
    fn same_docs_give_identical_bytes_whatever_the_order_and_threads() {
        let docs = sample(300);
        let mut reversed = docs.clone();
        reversed.reverse();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let four = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let a = one.install(|| build_index(&docs)).unwrap();
        let b = four.install(|| build_index(&reversed)).unwrap();
        assert_eq!(a, b);
        let mut changed = docs.clone();
        changed[5].text.push_str(" extra");
        let c = build_index(&changed).unwrap();
        assert_ne!(
            meta(&a)["build"],
            meta(&c)["build"],
            "a changed document changes the build id"
        );
    }

    #[test]
    fn bundle_lists_its_files_under_the_build_id() {
        let bundle = build_index(&sample(40)).unwrap();
        let m = meta(&bundle);
        let build = m["build"].as_str().unwrap();
        assert_eq!(m["docs"], 40);
        assert_eq!(m["depth"], 0);
        assert_eq!(m["dir"].as_array().unwrap().len(), bundle.chunks);
        assert_eq!(m["filters"][0][0], "kind");
        assert_eq!(
            m["filters"][1],
            serde_json::json!(["platform", [["bluesky", 20], ["reddit", 20]]])
        );
        for file in &bundle.files {
            assert!(
                file.path == "meta.zsm" || file.path.starts_with(&format!("{build}/")),
                "{}",
                file.path
            );
        }
        let fragments = bundle
            .files
            .iter()
            .filter(|f| f.path.contains("/f/"))
            .count();
        assert_eq!(fragments, 40);
        // Newest first: id 0 is the latest date (2025-01-28, document 27).
        let first = bundle
            .files
            .iter()
            .find(|f| f.path.ends_with("/f/0/0.zsf"))
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&gunzip(&first.bytes)).unwrap();
        assert_eq!(
            (json["d"].as_str(), json["u"].as_str()),
            (Some("2025-01-28"), Some("/s/27/"))
        );
    }

    #[test]
    fn many_chunks_get_directory_files() {
        let limits = index::Limits {
            chunk_bytes: 64,
            max_postings: 100,
            fanout: 4,
        };
        let bundle = build_with(&sample(200), &Labels::new(), &limits).unwrap();
        let m = meta(&bundle);
        assert!(m["depth"].as_u64().unwrap() >= 1);
        assert!(m["dir"].as_array().unwrap().len() <= 4);
        assert!(bundle.files.iter().any(|f| f.path.contains("/d/1-0.zsd")));
        let terms: usize = bundle
            .files
            .iter()
            .filter(|f| f.path.ends_with(".zsc"))
            .map(|f| decode_chunk(&f.bytes).len())
            .sum();
        assert_eq!(terms, bundle.terms);
    }

    #[test]
    fn reserved_filter_key_is_an_error_naming_the_document() {
        let mut d = doc("x", "y");
        d.filters.insert("kind".into(), vec!["z".into()]);
        let err = build_index(&[d]).unwrap_err().to_string();
        assert!(err.contains("/p/1/") && err.contains("`kind`"), "{err}");
    }

    #[test]
    fn empty_input_gives_an_empty_but_valid_index() {
        let bundle = build_index(&[]).unwrap();
        let m = meta(&bundle);
        assert_eq!(
            (m["docs"].as_u64(), m["dir"].as_array().map(Vec::len)),
            (Some(0), Some(0))
        );
    }
}
