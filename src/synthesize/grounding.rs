//! The grounding gate: every writer's draft passes through it before it can be published.
//!
//! Checks, on the headline, dek and body:
//! - **footnotes**: every `[^id]` (and every listed citation) is a record of the evidence pack;
//! - **quotes**: every span in quotation marks (“curly”, "straight" or ‘single curly’) appears
//!   verbatim — after normalising whitespace, quote marks and Markdown escapes, and allowing `…`
//!   to join fragments — in a record the quote cites: the footnotes between the quote and the
//!   next quote, or else any footnote of its paragraph (headline and dek quotes may come from any
//!   record of the pack);
//! - **figures**: every number outside quotes and links — in digits, or in words before what it
//!   counts ("seven records") — equals, at the precision written, a figure of the evidence: volumes, baseline, their ratio and change, counts by platform,
//!   entity and phrase counts, sentiment, engagement, dates, or a number inside a record;
//! - **claims** ([`claims`](super::claims)): dates, orderings (earliest, latest, most), counts
//!   of the records cited, who said a quote (platform, community, commenter), multiples and
//!   percentages — each against the story's [`Figures`], which the offline writer words too;
//! - **structure**: a headline, a dek, 3–12 non-empty paragraphs, at least one footnote, and no
//!   raw HTML or links (untrusted model output must not reach a page as markup).
//!
//! Straight single quotes are not checked (they double as apostrophes); the prompt asks for
//! double quotation marks, and the offline writer uses them only.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::claims;
use super::draft::Draft;
use super::figures::Figures;
use crate::model::evidence::{EvidencePack, EvidenceRecord};
use crate::model::RecordId;

/// Fewest and most body paragraphs a story may have.
pub const PARAGRAPHS: std::ops::RangeInclusive<usize> = 3..=12;

static FOOTNOTE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[\^([^\]\s]+)\]").unwrap());
/// A span in “curly”, "straight" or ‘single curly’ quotation marks; inside single marks, a `’`
/// followed by a letter is an apostrophe (“don’t”), not the closing mark.
static QUOTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"“([^”]*)”|"([^"]*)"|‘((?:[^’]|’\p{L})*)’"#).unwrap());
static LINK_TARGET: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\]\([^)]*\)").unwrap());
/// An unescaped `<` opening a tag, comment or declaration.
static RAW_HTML: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^\\])<[A-Za-z/!?]").unwrap());
/// An unescaped Markdown link or image `[text](…)`; footnote references `[^id]` are not links.
static LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^\\])\[[^\^\]][^\]]*\]\(").unwrap());
static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?").unwrap());
/// A count written in words ("seven records"); a bare "one" or "two" is too often not a figure.
static COUNT_IN_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b({})\s+(?:records|posts|comments|points|likes|reposts|replies|submissions|threads|stories|articles|mentions|times|videos|papers|platforms|strands|commenters|voices|people)\b",
        NUMBER_WORDS[2..].join("|")
    ))
    .unwrap()
});
/// Numbers as words, zero to twenty, as prose spells the counts the gate checks.
pub(super) const NUMBER_WORDS: [&str; 21] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];

/// What the gate found in one draft.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateReport {
    /// Individual checks run.
    pub checks: u32,
    /// One line per failed check, written to be sent back to the model as is.
    pub failures: Vec<String>,
}

impl GateReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    pub(super) fn check(&mut self, ok: bool, failure: impl FnOnce() -> String) {
        self.checks += 1;
        if !ok {
            self.failures.push(failure());
        }
    }
}

/// Runs every check of the gate on `draft` against `pack`.
pub fn check(draft: &Draft, pack: &EvidencePack) -> GateReport {
    let mut report = GateReport::default();
    check_structure(draft, &mut report);
    check_citations(draft, pack, &mut report);
    let everything: Vec<&EvidenceRecord> = pack.records.iter().collect();
    for (part, text) in [("headline", &draft.headline), ("dek", &draft.dek)] {
        for quote in quotes(text) {
            check_quote(&quote.text, &everything, part, &mut report);
        }
    }
    for paragraph in draft.paragraphs() {
        check_paragraph_quotes(paragraph, pack, &mut report);
    }
    let facts = Figures::of(pack);
    let cited = {
        let mut ids: Vec<&str> = footnote_labels(&draft.body).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    };
    for (part, text) in [
        ("headline", draft.headline.as_str()),
        ("dek", draft.dek.as_str()),
    ] {
        claims::check(text, part, &facts, cited, &mut report);
    }
    for paragraph in draft.paragraphs() {
        claims::check(paragraph, "body", &facts, cited, &mut report);
    }
    let allowed = AllowedFigures::from_figures(&facts);
    for text in [
        draft.headline.as_str(),
        draft.dek.as_str(),
        draft.body.as_str(),
    ] {
        for figure in figures(text) {
            report.check(allowed.contains(&figure), || {
                format!("figure {figure} matches no figure in the evidence (volumes, counts, engagement, dates or record text)")
            });
        }
    }
    report
}

fn check_structure(draft: &Draft, report: &mut GateReport) {
    report.check(!draft.headline.is_empty(), || {
        "the headline is empty".into()
    });
    report.check(!draft.dek.is_empty(), || "the dek is empty".into());
    let paragraphs = draft.paragraphs();
    report.check(PARAGRAPHS.contains(&paragraphs.len()), || {
        format!(
            "the body has {} paragraphs; write {} to {}, separated by blank lines",
            paragraphs.len(),
            PARAGRAPHS.start(),
            PARAGRAPHS.end()
        )
    });
    report.check(
        paragraphs
            .iter()
            .all(|p| p.chars().any(char::is_alphanumeric)),
        || "a paragraph has no words".into(),
    );
    report.check(!footnotes(&draft.body).is_empty(), || {
        "the body cites no record; cite records with footnotes like [^reddit:abc123]".into()
    });
    for (part, text) in [
        ("headline", &draft.headline),
        ("dek", &draft.dek),
        ("body", &draft.body),
    ] {
        report.check(!RAW_HTML.is_match(text), || {
            format!("{part}: raw HTML is not allowed")
        });
        report.check(!LINK.is_match(text), || {
            format!("{part}: links are not allowed; cite with footnotes")
        });
    }
}

fn check_citations(draft: &Draft, pack: &EvidencePack, report: &mut GateReport) {
    for label in footnote_labels(&draft.body) {
        report.check(resolve(pack, label).is_some(), || {
            format!("footnote [^{label}] cites no record of the evidence")
        });
    }
    for citation in &draft.citations {
        report.check(resolve(pack, citation).is_some(), || {
            format!("citation `{citation}` is not a record of the evidence")
        });
    }
}

/// Footnote labels in the order they appear.
pub fn footnote_labels(text: &str) -> impl Iterator<Item = &str> {
    footnotes(text).into_iter().map(|(_, label)| label)
}

/// Footnote references with their byte offsets; `\[^x\]` is escaped text, not a reference.
pub(super) fn footnotes(text: &str) -> Vec<(usize, &str)> {
    FOOTNOTE
        .captures_iter(text)
        .map(|c| (c.get(0).unwrap().start(), c.get(1).unwrap().as_str()))
        .filter(|(at, label)| !text[..*at].ends_with('\\') && !label.ends_with('\\'))
        .collect()
}

fn resolve<'a>(pack: &'a EvidencePack, label: &str) -> Option<&'a EvidenceRecord> {
    label
        .parse::<RecordId>()
        .ok()
        .and_then(|id| pack.record(&id))
}

/// A span in quotation marks: where it starts and ends (marks included) and its words.
pub(super) struct QuoteSpan {
    pub start: usize,
    pub end: usize,
    pub inner: std::ops::Range<usize>,
}

/// Every quoted span of `text`, in order.
pub(super) fn quote_spans(text: &str) -> Vec<QuoteSpan> {
    QUOTE
        .captures_iter(text)
        .map(|c| {
            let whole = c.get(0).unwrap();
            let inner = c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)).unwrap();
            QuoteSpan {
                start: whole.start(),
                end: whole.end(),
                inner: inner.range(),
            }
        })
        .collect()
}

struct Quote {
    text: String,
    start: usize,
    end: usize,
}

fn quotes(text: &str) -> Vec<Quote> {
    quote_spans(text)
        .into_iter()
        .map(|q| Quote {
            text: text[q.inner].to_string(),
            start: q.start,
            end: q.end,
        })
        .collect()
}

fn check_paragraph_quotes(paragraph: &str, pack: &EvidencePack, report: &mut GateReport) {
    let found = quotes(paragraph);
    let footnotes = footnotes(paragraph);
    for (i, quote) in found.iter().enumerate() {
        let until = found.get(i + 1).map_or(paragraph.len(), |next| next.start);
        let following: Vec<&str> = footnotes
            .iter()
            .filter(|(at, _)| *at >= quote.end && *at < until)
            .map(|(_, label)| *label)
            .collect();
        let labels = if following.is_empty() {
            footnotes.iter().map(|(_, label)| *label).collect()
        } else {
            following
        };
        let cited: Vec<&EvidenceRecord> = labels
            .iter()
            .filter_map(|label| resolve(pack, label))
            .collect();
        check_quote(&quote.text, &cited, "body", report);
    }
}

fn check_quote(quote: &str, cited: &[&EvidenceRecord], part: &str, report: &mut GateReport) {
    let fragments = quote_fragments(quote);
    if fragments.is_empty() {
        return;
    }
    let found = cited.iter().any(|record| {
        let words = normalise(&record.words());
        fragments
            .iter()
            .all(|fragment| words.contains(fragment.as_str()))
    });
    report.check(found, || {
        let ids: Vec<&str> = cited.iter().map(|r| r.id.as_str()).collect();
        if ids.is_empty() {
            format!("{part}: quote “{quote}” cites no record; put the footnote of the record it comes from right after it")
        } else {
            format!(
                "{part}: quote “{quote}” is not word for word in the record(s) it cites ({}); quote only exact words of a record",
                ids.join(", ")
            )
        }
    });
}

/// The pieces of a quote that must each appear in one record: split at ellipses, trimmed of
/// the punctuation that house style puts inside closing quote marks.
fn quote_fragments(quote: &str) -> Vec<String> {
    normalise(quote)
        .split("...")
        .map(|f| {
            f.trim()
                .trim_end_matches([',', '.', ';', ':'])
                .trim()
                .to_string()
        })
        .filter(|f| !f.is_empty())
        .collect()
}

/// Text as the gate compares it: every quote mark, single or double, straight or curly, as `'`
/// (so a quote may nest a record's "double" marks as ‘single’ ones), plain ellipses, decoded
/// common HTML entities, no Markdown backslash escapes, single spaces.
pub fn normalise(text: &str) -> String {
    let replaced = text
        .replace("&quot;", "'")
        .replace("&#39;", "'")
        .replace(['‘', '’', 'ʼ', '“', '”', '„', '"'], "'")
        .replace('…', "...")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    let mut out = String::with_capacity(replaced.len());
    let mut chars = replaced.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|n| n.is_ascii_punctuation()) {
            continue;
        }
        out.push(c);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Numbers written in `text` outside quotes, footnote labels and link targets — in digits, or in
/// words before what they count — each in canonical form (no separators or leading zeros, the
/// decimals as written).
pub fn figures(text: &str) -> Vec<String> {
    let without_quotes = QUOTE.replace_all(text, " ");
    let without_links = LINK_TARGET.replace_all(&without_quotes, "]");
    let plain = FOOTNOTE.replace_all(&without_links, " ");
    let mut found = numbers_in(&plain);
    for words in COUNT_IN_WORDS.captures_iter(&plain) {
        let word = words[1].to_lowercase();
        found.extend(
            NUMBER_WORDS
                .iter()
                .position(|w| *w == word)
                .map(|n| n.to_string()),
        );
    }
    found
}

/// Numbers in digits that stand alone: the "3" of "Qwen3" is part of a name, not a figure.
fn numbers_in(text: &str) -> Vec<String> {
    NUMBER
        .find_iter(text)
        .filter(|m| !text[..m.start()].ends_with(|c: char| c.is_alphanumeric() || c == '.'))
        .filter_map(|m| {
            let digits = m.as_str().replace(',', "");
            let decimals = digits.split_once('.').map_or(0, |(_, d)| d.len());
            digits
                .parse::<f64>()
                .ok()
                .map(|value| format!("{value:.decimals$}"))
        })
        .collect()
}

/// Every figure a story may state, each kept as a value; a written number matches when the value
/// rounds to it at the written precision.
struct AllowedFigures {
    values: Vec<f64>,
}

impl AllowedFigures {
    fn from_figures(figures: &Figures) -> AllowedFigures {
        let pack = figures.pack;
        let mut values: Vec<f64> = Vec::new();
        // The volume figures are those of the window the signal fired on, so a story cannot
        // mix a week's ratio with a day's count. The signal's own strength score is no figure
        // a reader is shown, so it is not one a story may state.
        let window = figures.window;
        values.extend([window.records as f64, window.baseline]);
        values.extend(window.window.figures());
        if let Some(ratio) = figures.ratio {
            values.extend([ratio, (ratio - 1.0) * 100.0]);
        }
        values.push((window.records as f64 - window.baseline).abs());
        values.extend(
            [
                figures.total,
                figures.comments,
                figures.total - figures.comments,
                figures.read,
                figures.read_comments,
                figures.read - figures.read_comments,
                figures.platforms.len() as u64,
                figures.strands.len() as u64,
            ]
            .map(|n| n as f64),
        );
        for platform in &figures.platforms {
            values.extend(
                [
                    platform.records,
                    platform.comments,
                    platform.read,
                    platform.share,
                ]
                .map(|n| n as f64),
            );
            values.extend(platform.sentiment.map(f64::abs));
        }
        values.extend(figures.communities.iter().map(|(_, n)| *n as f64));
        for strand in &figures.strands {
            values.extend([strand.size, strand.share, strand.strand.comments].map(|n| n as f64));
        }
        values.extend(figures.shares().into_iter().map(|n| n as f64));
        let mut texts: Vec<String> = vec![
            pack.signal.subject.clone(),
            pack.beat.name.clone(),
            pack.category.clone(),
            pack.as_of.format("%Y-%m-%d").to_string(),
        ];
        texts.extend(
            figures
                .dates()
                .iter()
                .map(|d| d.format("%Y-%m-%d").to_string()),
        );
        for term in pack.top_entities.iter().chain(&pack.top_phrases) {
            values.push(term.records as f64);
            texts.push(term.text.clone());
        }
        texts.extend(pack.strands.iter().flat_map(|s| s.terms.clone()));
        for record in &pack.records {
            let e = &record.engagement;
            values.extend(
                [e.score, e.replies, e.reposts, e.views]
                    .into_iter()
                    .flatten()
                    .map(|v| v as f64),
            );
            texts.push(record.created_at.format("%Y-%m-%d %H:%M").to_string());
            texts.push(record.words());
            texts.extend(record.community.clone());
            texts.extend(record.author.clone());
        }
        for text in texts {
            values.extend(
                numbers_in(&normalise(&text))
                    .iter()
                    .filter_map(|n| n.parse::<f64>().ok()),
            );
        }
        AllowedFigures { values }
    }

    fn contains(&self, written: &str) -> bool {
        let decimals = written.split_once('.').map_or(0, |(_, d)| d.len());
        let distinct: BTreeSet<String> = self
            .values
            .iter()
            .map(|v| format!("{:.*}", decimals, v))
            .collect();
        distinct.contains(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_makes_typography_irrelevant() {
        assert_eq!(
            normalise("“Don’t\n  stop” \\[now\\]…"),
            "'Don't stop' [now]..."
        );
    }

    #[test]
    fn quote_fragments_split_at_ellipses_and_drop_closing_punctuation() {
        assert_eq!(
            quote_fragments("Something will go wrong, … not ours,"),
            ["Something will go wrong", "not ours"]
        );
    }

    #[test]
    fn markup_is_caught_but_escaped_brackets_and_footnotes_are_not() {
        assert!(RAW_HTML.is_match("a <script>x</script>"));
        assert!(!RAW_HTML.is_match("a \\<script> and 3 < 4"));
        assert!(LINK.is_match("see [here](javascript:x)"));
        assert!(!LINK.is_match("quote[^reddit:1](x) and \\[a\\](b)"));
    }

    #[test]
    fn figures_skip_quotes_links_and_footnotes() {
        let text = "Up 3.5 times to 1,204 posts “in 2025”[^reddit:1abc2](https://x.org/9) 7%";
        assert_eq!(figures(text), ["3.5", "1204", "7"]);
    }

    #[test]
    fn figures_in_words_names_and_dates() {
        let text = "Seven records, up 3.8x, on 2026-02-09; Qwen3 and GPT-4o; one of two";
        assert_eq!(figures(text), ["3.8", "2026", "2", "9", "4", "7"]);
    }
}
