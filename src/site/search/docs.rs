//! Per-document files: result fragments, filter value sets and the date table.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;

use super::encode::{gzip, put_gaps, put_varint};
use super::{DocKind, SearchDoc, SearchError, KIND_FILTER};

/// Characters of page text kept as a result's excerpt.
pub(super) const EXCERPT_CHARS: usize = 200;

/// A result fragment `f/<id / 1000>/<id % 1000>.zsf`: gzip of this JSON. Everything a result shows, nothing more.
#[derive(Serialize)]
struct Fragment<'a> {
    /// Title.
    t: &'a str,
    /// URL of the page.
    u: &'a str,
    /// Date, `YYYY-MM-DD`, absent for undated pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    d: Option<NaiveDate>,
    /// Kind: story, beat, page or record.
    k: DocKind,
    /// Filter values, e.g. `{"beat": ["agents"], "platform": ["reddit"]}`.
    f: &'a BTreeMap<String, Vec<String>>,
    /// The start of the text, whitespace collapsed, cut at a word boundary.
    e: String,
}

/// Encodes the fragments of the documents in id order, in parallel.
pub(super) fn fragments(docs: &[&SearchDoc]) -> Result<Vec<Vec<u8>>, SearchError> {
    docs.par_iter()
        .map(|doc| {
            let fragment = Fragment {
                t: &doc.title,
                u: &doc.url,
                d: doc.date,
                k: doc.kind,
                f: &doc.filters,
                e: crate::text::snippet(&doc.text, EXCERPT_CHARS),
            };
            Ok(gzip(&serde_json::to_vec(&fragment)?)?)
        })
        .collect()
}

/// Filter values with their document counts (for the meta file) and, per value, the file
/// `x/<key index>-<value index>.zsx`: gzip of the ascending doc ids as varint gaps.
pub(super) struct Facets {
    pub values: Vec<(String, Vec<(String, usize)>)>,
    pub files: Vec<(String, Vec<u8>)>,
}

/// Collects every filter key and value; the document kind is the filter `kind`.
pub(super) fn facets(docs: &[&SearchDoc]) -> Result<Facets, SearchError> {
    let mut sets: BTreeMap<&str, BTreeMap<&str, Vec<u32>>> = BTreeMap::new();
    for (id, doc) in docs.iter().enumerate() {
        let id = id as u32;
        let kind = std::iter::once((KIND_FILTER, doc.kind.as_str()));
        let filters = doc
            .filters
            .iter()
            .flat_map(|(key, values)| values.iter().map(move |v| (key.as_str(), v.as_str())));
        for (key, value) in kind.chain(filters) {
            let ids = sets.entry(key).or_default().entry(value).or_default();
            if ids.last() != Some(&id) {
                ids.push(id);
            }
        }
    }
    let mut values = Vec::new();
    let mut pending = Vec::new();
    for (k, (key, by_value)) in sets.into_iter().enumerate() {
        let mut counts = Vec::new();
        for (v, (value, ids)) in by_value.into_iter().enumerate() {
            counts.push((value.to_string(), ids.len()));
            pending.push((format!("x/{k}-{v}.zsx"), ids));
        }
        values.push((key.to_string(), counts));
    }
    let files = pending
        .into_par_iter()
        .map(|(path, ids)| {
            let mut raw = Vec::new();
            put_gaps(&mut raw, ids);
            Ok((path, gzip(&raw)?))
        })
        .collect::<Result<_, SearchError>>()?;
    Ok(Facets { values, files })
}

/// The date table `t.zst`: documents are numbered newest first, so each date is a run of ids.
/// Gzip of pairs `varint day` (days since 1970-01-01 plus one, earlier dates clamped to
/// 1970-01-01; 0 for undated) and
/// `varint run length`, in id order.
pub(super) fn date_runs(docs: &[&SearchDoc]) -> Result<Vec<u8>, SearchError> {
    let mut raw = Vec::new();
    for run in docs.chunk_by(|a, b| a.date == b.date) {
        put_varint(&mut raw, day_code(run[0].date));
        put_varint(&mut raw, run.len() as u64);
    }
    Ok(gzip(&raw)?)
}

fn day_code(date: Option<NaiveDate>) -> u64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    date.map_or(0, |d| (d - epoch).num_days().max(0) as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::super::encode::testing::{gunzip, Reader};
    use super::super::testing::doc;
    use super::*;

    #[test]
    fn excerpt_cuts_at_word_boundary() {
        assert_eq!(
            crate::text::snippet("short  text\nhere", 200),
            "short text here"
        );
        assert_eq!(
            crate::text::snippet("alpha beta gamma delta", 12),
            "alpha beta…"
        );
        assert_eq!(
            crate::text::snippet("https://example.com/a/very/long/url rest", 10),
            "https://ex…"
        );
        assert_eq!(crate::text::snippet("Ünïcödé wörds", 8), "Ünïcödé…");
        assert_eq!(
            crate::text::snippet("A &#124; B &amp; *c*", 50),
            "A | B & c"
        );
    }

    #[test]
    fn fragment_keeps_markup_as_text() {
        let mut d = doc("<img src=x onerror=alert(1)>", "<script>alert(1)</script>");
        d.filters.insert("beat".into(), vec!["agents".into()]);
        let json: serde_json::Value =
            serde_json::from_slice(&gunzip(&fragments(&[&d]).unwrap()[0])).unwrap();
        assert_eq!(json["t"], "<img src=x onerror=alert(1)>");
        assert_eq!(json["e"], "<script>alert(1)</script>");
        assert_eq!(json["k"], "page");
        assert_eq!(json["f"]["beat"][0], "agents");
        assert!(json.get("d").is_none());
    }

    #[test]
    fn facets_list_values_and_their_ids() {
        let mut docs = [doc("a", ""), doc("b", ""), doc("c", "")];
        docs[0]
            .filters
            .insert("platform".into(), vec!["reddit".into(), "reddit".into()]);
        docs[2]
            .filters
            .insert("platform".into(), vec!["reddit".into()]);
        docs[1]
            .filters
            .insert("platform".into(), vec!["bluesky".into()]);
        let refs: Vec<&SearchDoc> = docs.iter().collect();
        let facets = facets(&refs).unwrap();
        assert_eq!(
            facets.values[0],
            ("kind".to_string(), vec![("page".to_string(), 3)])
        );
        assert_eq!(
            facets.values[1].1,
            [("bluesky".to_string(), 1), ("reddit".to_string(), 2)]
        );
        let (path, file) = &facets.files[2];
        assert_eq!(path, "x/1-1.zsx");
        let raw = gunzip(file);
        let mut r = Reader(&raw);
        assert_eq!([r.varint(), r.varint()], [0, 2], "ids 0 and 2, once each");
        assert!(!r.more());
    }

    #[test]
    fn date_runs_group_equal_dates() {
        let mut docs = [doc("a", ""), doc("b", ""), doc("c", "")];
        docs[0].date = NaiveDate::from_ymd_opt(1970, 1, 3);
        docs[1].date = NaiveDate::from_ymd_opt(1970, 1, 3);
        let refs: Vec<&SearchDoc> = docs.iter().collect();
        let raw = gunzip(&date_runs(&refs).unwrap());
        let mut r = Reader(&raw);
        assert_eq!(
            [r.varint(), r.varint(), r.varint(), r.varint()],
            [3, 2, 0, 1]
        );
    }
}
