//! The inverted index: term → postings, cut into chunks by sorted term ranges, with a directory
//! over the chunks' first terms so the client finds the one chunk a term lives in.
//!
//! Chunk file (gzip of): for each term in order, `varint shared_prefix_bytes`,
//! `varint suffix_len`, suffix (UTF-8; front-coded against the previous term),
//! `varint df` (documents containing the term), `varint n` (postings stored, ≤ df), then `n` ×
//! (`varint doc_id_gap`, `u8 impact`), doc ids ascending.

use std::io;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::encode::{gzip, put_varint};
use super::tokenize::{normalise_into, words};
use super::SearchDoc;

/// Size bounds that keep every download small whatever the number of documents.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// A chunk closes before it would exceed this many encoded bytes (before gzip); a single
    /// term larger than this gets a chunk of its own.
    pub chunk_bytes: usize,
    /// At most this many postings per term, the highest-impact ones: ranking only ever shows the
    /// top of the list, and it bounds the largest chunk at ~3 bytes × this.
    pub max_postings: usize,
    /// Entries per directory level; above it the directory gets another level.
    pub fanout: usize,
}

pub(super) const LIMITS: Limits = Limits {
    chunk_bytes: 8 * 1024,
    max_postings: 6000,
    fanout: 1024,
};

/// Set in a posting's frequency when the term is in the title. A title match decides more than
/// any number of body matches (half the impact scale), because a page's title says what it is
/// about; body matches rank pages within each half by BM25 (length-normalised frequency).
const TITLE_BIT: u32 = 1 << 31;
const TITLE_SHARE: f64 = 0.5;
/// BM25 parameters (the usual defaults).
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Term → postings as (doc id, body frequency with [`TITLE_BIT`]), with each document's body
/// length in words, for a run of documents.
#[derive(Default)]
struct Partial {
    postings: FxHashMap<String, Vec<(u32, u32)>>,
    lengths: Vec<(u32, u32)>,
}

impl Partial {
    /// Adds a document's title and text words.
    fn add(mut self, id: u32, doc: &SearchDoc) -> Partial {
        let mut length = 0;
        let mut term = String::new();
        for (text, in_title) in [(doc.title.as_str(), true), (doc.text.as_str(), false)] {
            for word in words(text) {
                normalise_into(word, &mut term);
                let (set, add) = if in_title { (TITLE_BIT, 0) } else { (0, 1) };
                length += add;
                match self.postings.get_mut(term.as_str()) {
                    Some(list) => match list.last_mut() {
                        Some((last, tf)) if *last == id => *tf = (*tf | set) + add,
                        _ => list.push((id, set + add)),
                    },
                    None => {
                        self.postings.insert(term.clone(), vec![(id, set + add)]);
                    }
                }
            }
        }
        self.lengths.push((id, length));
        self
    }

    /// Merges two partial indexes, the smaller map into the larger.
    fn merge(mut self, mut other: Partial) -> Partial {
        if self.postings.len() < other.postings.len() {
            std::mem::swap(&mut self, &mut other);
        }
        for (term, list) in other.postings {
            self.postings.entry(term).or_default().extend(list);
        }
        self.lengths.extend(other.lengths);
        self
    }
}

/// A term and its postings: (doc id, impact) by ascending id.
pub(super) struct Term {
    pub text: String,
    pub df: u32,
    pub postings: Vec<(u32, u8)>,
}

/// Builds the sorted term list from the documents (in id order). The BM25 term-frequency part
/// is computed here and quantised to one byte (the "impact"); the client multiplies it by the
/// idf it derives from `df`.
///
/// Each rayon split counts its documents' terms into its own map and the maps are merged, so
/// no per-document term lists are kept; posting lists and lengths are sorted by id afterwards,
/// which makes the result independent of how the work was split.
pub(super) fn invert(docs: &[&SearchDoc], limits: &Limits) -> Vec<Term> {
    let partial = docs
        .par_iter()
        .enumerate()
        .fold(Partial::default, |partial, (id, doc)| {
            partial.add(id as u32, doc)
        })
        .reduce(Partial::default, Partial::merge);
    let mut lengths = partial.lengths;
    lengths.par_sort_unstable();
    let lengths: Vec<u32> = lengths.into_iter().map(|(_, length)| length).collect();
    let total: u64 = lengths.iter().map(|&l| u64::from(l)).sum();
    let average = (total as f64 / lengths.len().max(1) as f64).max(1.0);
    let mut lists: Vec<(String, Vec<(u32, u32)>)> = partial.postings.into_iter().collect();
    lists.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
    lists
        .into_par_iter()
        .map(|(text, mut list)| {
            list.sort_unstable();
            let postings = list
                .iter()
                .map(|&(id, tf)| (id, impact(tf, lengths[id as usize], average)))
                .collect();
            capped(text, postings, limits.max_postings)
        })
        .collect()
}

fn impact(tf: u32, length: u32, average: f64) -> u8 {
    let body = f64::from(tf & !TITLE_BIT);
    let norm = K1 * (1.0 - B + B * f64::from(length) / average);
    let saturation = body / (body + norm); // BM25's tf·(k1+1)/(tf+norm) over (k1+1), in [0, 1)
    let title = if tf & TITLE_BIT != 0 {
        TITLE_SHARE
    } else {
        0.0
    };
    let score = title + (1.0 - TITLE_SHARE) * saturation;
    (score * 255.0).round().clamp(1.0, 255.0) as u8
}

/// Keeps the `max` highest-impact postings (ties: older documents drop first), in id order.
fn capped(text: String, mut postings: Vec<(u32, u8)>, max: usize) -> Term {
    let df = postings.len() as u32;
    if postings.len() > max {
        postings.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        postings.truncate(max);
        postings.sort_unstable();
    }
    Term { text, df, postings }
}

fn encode_postings(term: &Term) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + term.postings.len() * 2);
    put_varint(&mut out, u64::from(term.df));
    put_varint(&mut out, term.postings.len() as u64);
    let mut previous = 0;
    for &(id, impact) in &term.postings {
        put_varint(&mut out, u64::from(id - previous));
        out.push(impact);
        previous = id;
    }
    out
}

/// The chunk files (gzipped) and the first term of each.
pub(super) struct Chunks {
    pub files: Vec<Vec<u8>>,
    pub first_terms: Vec<String>,
}

/// Cuts the sorted terms into chunks of at most `limits.chunk_bytes` encoded bytes.
pub(super) fn chunk(terms: &[Term], limits: &Limits) -> io::Result<Chunks> {
    let blocks: Vec<Vec<u8>> = terms.par_iter().map(encode_postings).collect();
    let mut ranges = Vec::new();
    let (mut start, mut size) = (0, 0);
    for (i, block) in blocks.iter().enumerate() {
        let entry = block.len() + terms[i].text.len() + 2;
        if size > 0 && size + entry > limits.chunk_bytes {
            ranges.push(start..i);
            (start, size) = (i, 0);
        }
        size += entry;
    }
    if size > 0 {
        ranges.push(start..terms.len());
    }
    let files = ranges
        .par_iter()
        .map(|range| gzip(&assemble(&terms[range.clone()], &blocks[range.clone()])))
        .collect::<io::Result<Vec<_>>>()?;
    let first_terms = ranges.iter().map(|r| terms[r.start].text.clone()).collect();
    Ok(Chunks { files, first_terms })
}

fn assemble(terms: &[Term], blocks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut previous: &[u8] = &[];
    for (term, block) in terms.iter().zip(blocks) {
        let bytes = term.text.as_bytes();
        let shared = previous
            .iter()
            .zip(bytes)
            .take_while(|(a, b)| a == b)
            .count();
        put_varint(&mut out, shared as u64);
        put_varint(&mut out, (bytes.len() - shared) as u64);
        out.extend_from_slice(&bytes[shared..]);
        out.extend_from_slice(block);
        previous = bytes;
    }
    out
}

/// The directory over chunks: the top level goes into the meta file; deeper levels (only when
/// there are more than `fanout` chunks) are files `d/<level>-<n>.zsd` holding
/// `{"base": index of their first child, "dir": [first term of each child]}`.
pub(super) struct Directory {
    pub depth: u32,
    pub top: Vec<String>,
    pub files: Vec<(String, Vec<String>, usize)>,
}

pub(super) fn directory(first_terms: Vec<String>, fanout: usize) -> Directory {
    let mut level = first_terms;
    let mut depth = 0;
    let mut files = Vec::new();
    while level.len() > fanout {
        depth += 1;
        let mut firsts = Vec::new();
        for (n, group) in level.chunks(fanout).enumerate() {
            firsts.push(group[0].clone());
            files.push((format!("d/{depth}-{n}.zsd"), group.to_vec(), n * fanout));
        }
        level = firsts;
    }
    Directory {
        depth,
        top: level,
        files,
    }
}

#[cfg(test)]
pub(super) mod testing {
    use super::super::encode::testing::{gunzip, Reader};

    /// A decoded chunk: (term, df, postings).
    pub type Decoded = Vec<(String, u32, Vec<(u32, u8)>)>;

    pub fn decode_chunk(file: &[u8]) -> Decoded {
        let raw = gunzip(file);
        let mut reader = Reader(&raw);
        let mut out: Decoded = Vec::new();
        let mut previous: Vec<u8> = Vec::new();
        while reader.more() {
            let shared = reader.varint() as usize;
            let suffix = reader.varint() as usize;
            let mut term = previous[..shared].to_vec();
            term.extend(reader.take(suffix));
            let df = reader.varint() as u32;
            let n = reader.varint() as usize;
            let mut id = 0;
            let postings = (0..n)
                .map(|_| {
                    id += reader.varint() as u32;
                    (id, reader.take(1)[0])
                })
                .collect();
            out.push((String::from_utf8(term.clone()).unwrap(), df, postings));
            previous = term;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::testing::decode_chunk;
    use super::*;
    use crate::site::search::testing::doc;

    fn build(docs: &[SearchDoc], limits: &Limits) -> (Vec<Term>, Chunks) {
        let terms = invert(&docs.iter().collect::<Vec<_>>(), limits);
        let chunks = chunk(&terms, limits).unwrap();
        (terms, chunks)
    }

    #[test]
    fn chunks_round_trip_and_cover_sorted_ranges() {
        let docs: Vec<SearchDoc> = (0..60)
            .map(|i| doc(&format!("title {i}"), &format!("word{i} shared x{}", i % 7)))
            .collect();
        let limits = Limits {
            chunk_bytes: 64,
            max_postings: 1000,
            fanout: 4,
        };
        let (terms, chunks) = build(&docs, &limits);
        assert!(chunks.files.len() > 5, "small limit gives many chunks");
        let decoded: Vec<_> = chunks.files.iter().flat_map(|f| decode_chunk(f)).collect();
        assert_eq!(decoded.len(), terms.len());
        for ((text, df, postings), term) in decoded.iter().zip(&terms) {
            assert_eq!(
                (text.as_str(), *df, postings),
                (term.text.as_str(), term.df, &term.postings)
            );
        }
        for (file, first) in chunks.files.iter().zip(&chunks.first_terms) {
            assert_eq!(&decode_chunk(file)[0].0, first);
        }
        let shared = decoded.iter().find(|t| t.0 == "shared").unwrap();
        assert_eq!(shared.1, 60);
        assert_eq!(
            shared.2.iter().map(|p| p.0).collect::<Vec<_>>(),
            (0..60).collect::<Vec<_>>()
        );
    }

    #[test]
    fn chunk_size_is_bounded_except_single_big_terms() {
        let docs: Vec<SearchDoc> = (0..500)
            .map(|i| doc("common", &format!("common w{i} v{}", i % 50)))
            .collect();
        let limits = Limits {
            chunk_bytes: 256,
            max_postings: 100,
            fanout: 8,
        };
        let (_, chunks) = build(&docs, &limits);
        for file in &chunks.files {
            let decoded = decode_chunk(file);
            let raw = super::super::encode::testing::gunzip(file).len();
            assert!(
                raw <= 256 || decoded.len() == 1,
                "chunk of {raw} bytes, {} terms",
                decoded.len()
            );
        }
        let common = chunks
            .files
            .iter()
            .flat_map(|f| decode_chunk(f))
            .find(|t| t.0 == "common")
            .unwrap();
        assert_eq!(common.1, 500, "df counts every document");
        assert_eq!(common.2.len(), 100, "postings capped");
    }

    #[test]
    fn cap_keeps_highest_impacts() {
        let mut docs: Vec<SearchDoc> = (0..20)
            .map(|_| doc("x", "gpu and many other words here"))
            .collect();
        docs.push(doc("gpu gpu", "gpu"));
        let limits = Limits {
            chunk_bytes: 1 << 16,
            max_postings: 5,
            fanout: 8,
        };
        let terms = invert(&docs.iter().collect::<Vec<_>>(), &limits);
        let gpu = terms.iter().find(|t| t.text == "gpu").unwrap();
        assert_eq!(gpu.df, 21);
        assert_eq!(gpu.postings.len(), 5);
        assert!(
            gpu.postings.iter().any(|p| p.0 == 20),
            "the title match survives the cap"
        );
        assert!(gpu.postings.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn title_words_weigh_more_than_body_words() {
        let docs = [
            doc("gpu prices", "other words"),
            doc("other words", "gpu prices"),
        ];
        let terms = invert(&docs.iter().collect::<Vec<_>>(), &LIMITS);
        let gpu = terms.iter().find(|t| t.text == "gpu").unwrap();
        assert!(gpu.postings[0].1 > gpu.postings[1].1);
    }

    #[test]
    fn directory_adds_levels_above_fanout() {
        let firsts: Vec<String> = (0..20).map(|i| format!("t{i:02}")).collect();
        let flat = directory(firsts.clone(), 32);
        assert_eq!((flat.depth, flat.top.len(), flat.files.len()), (0, 20, 0));
        let deep = directory(firsts, 3);
        // 20 → 7 files at level 1 → 3 files at level 2 → 3 entries at the top.
        assert_eq!(deep.depth, 2);
        assert_eq!(deep.top, ["t00", "t09", "t18"]);
        assert_eq!(deep.files.len(), 10);
        let (path, dir, base) = &deep.files[1];
        assert_eq!(
            (path.as_str(), dir.as_slice(), *base),
            (
                "d/1-1.zsd",
                &["t03".to_string(), "t04".into(), "t05".into()][..],
                3
            )
        );
    }
}
