//! The grounding gate's claim checks: what a sentence asserts beyond its quotes and numbers,
//! checked against the story's [`Figures`] — the struct the offline writer words, so the two
//! cannot disagree.
//!
//! - **dates**: every date written ("20 January", "January 20, 2026") is a record's day, the
//!   as-of day or the first day of the window;
//! - **orderings**: after "earliest"/"oldest" the date or the cited record is the pack's earliest;
//!   after "latest"/"most recent"/"newest", its latest; after "most discussed"/"drew the most"/
//!   "top-voted", the cited record is the most engaged of its kind (comment or post), among its
//!   platform's records when the sentence names that platform;
//! - **counts of citations**: "all/these/both N posts" in a sentence citing two records or more
//!   counts that sentence's footnotes; "quotes N comments" counts the story's;
//! - **attribution**: a platform, `r/community` or "commenter" named before a quote (since the
//!   last quote or the sentence start) or between the quote and its footnote is the cited
//!   record's;
//! - **multiples and percentages**: "four times", "3.5×", "fivefold", "twice" are the window's
//!   records ÷ usual records (at the precision written; "about" within a half, "more than"
//!   above); a percentage is one of the figures' shares or the window's change.
//!
//! Text inside quotation marks is the records' and is never read as a claim.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;

use super::figures::Figures;
use super::grounding::{footnotes, quote_spans, GateReport};
use crate::model::evidence::EvidenceRecord;
use crate::model::{RecordId, Source};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"\b([0-9]{{1,2}}) ({})(?: ([0-9]{{4}}))?\b",
        MONTHS.join("|")
    ))
    .unwrap()
});
static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"\b({}) ([0-9]{{1,2}})(?:, ([0-9]{{4}}))?\b",
        MONTHS.join("|")
    ))
    .unwrap()
});
static EARLIEST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:earliest|oldest)\b").unwrap());
static LATEST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:latest|newest|most recent)\b").unwrap());
static MOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:most[- ](?:discussed|engaged|upvoted|liked|commented|popular|attention)|drew (?:the )?most|top[- ](?:voted|scoring)|highest[- ]scor(?:ed|ing))\b").unwrap()
});
use super::grounding::NUMBER_WORDS;
const FOLD_WORDS: [&str; 10] = [
    "",
    "onefold",
    "twofold",
    "threefold",
    "fourfold",
    "fivefold",
    "sixfold",
    "sevenfold",
    "eightfold",
    "ninefold",
];
static ALL_N: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(?:all|these|those|both) ([0-9]+|{}) (?:\w+ )?(?:posts|comments|records|replies|submissions|articles|items|voices|people)\b",
        NUMBER_WORDS.join("|")
    ))
    .unwrap()
});
static QUOTES_N: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(?:quotes|quoted|cites|cited) ([0-9]+|{}) (?:\w+ )?(posts and comments|posts|comments|records|voices|people)\b",
        NUMBER_WORDS.join("|")
    ))
    .unwrap()
});
static MULTIPLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(?:(about|roughly|nearly|almost|around|some|more than|over|under|less than) )?(?:([0-9]+(?:\.[0-9]+)?|{}) ?(?:times|-fold)\b|([0-9]+(?:\.[0-9]+)?) ?(?:×|(?-i:x)\b)|({})\b|(twice|doubled|double|tripled|triple|quadrupled)\b)",
        NUMBER_WORDS.join("|"),
        FOLD_WORDS[2..].join("|")
    ))
    .unwrap()
});
static PERCENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b([0-9]+(?:\.[0-9]+)?) ?(?:%|per cent\b|percent\b)").unwrap()
});
/// `r/name`, Markdown-escaped or not (`r/AI\_Agents`).
static COMMUNITY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\br/((?:[A-Za-z0-9_]|\\_)+)").unwrap());
static COMMENTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:commenter|commented|comment|replied|reply)\b").unwrap());

/// Runs every claim check on `text` (a headline, dek or paragraph).
pub(super) fn check(
    text: &str,
    part: &str,
    figures: &Figures,
    cited: usize,
    report: &mut GateReport,
) {
    let masked = mask_records_words(text);
    for (at, sentence) in sentence_spans(&masked) {
        // Footnotes are read from the text itself: masking keeps every offset.
        let notes: Vec<(usize, RecordId)> = footnotes(&text[at..at + sentence.len()])
            .into_iter()
            .filter_map(|(at, label)| label.parse().ok().map(|id| (at, id)))
            .collect();
        check_dates(sentence, part, figures, report);
        check_orderings(sentence, &notes, part, figures, report);
        check_citation_counts(sentence, &notes, part, cited, report);
        check_multiples(sentence, part, figures, report);
        check_percentages(sentence, part, figures, report);
    }
    check_attribution(text, &masked, part, figures, report);
}

/// `text` with every character inside quotation marks and inside footnote labels replaced by
/// `x` bytes, so offsets stay and the records' words — a quote, or a cited article's address
/// such as `…/its-latest-flagship-ai` or `reddit.com/r/artificial/…` — are never read as the
/// writer's claims.
fn mask_records_words(text: &str) -> String {
    let mut out = text.to_string();
    let quoted = quote_spans(text).into_iter().map(|q| q.inner);
    let labels = footnotes(text).into_iter().map(|(at, label)| {
        let start = at + "[^".len();
        start..start + label.len()
    });
    for range in quoted.chain(labels) {
        out.replace_range(range.clone(), &"x".repeat(range.len()));
    }
    out
}

/// The sentences of `text` with their byte offsets.
fn sentence_spans(text: &str) -> Vec<(usize, &str)> {
    crate::text::sentences(text)
        .into_iter()
        .map(|s| (s.as_ptr() as usize - text.as_ptr() as usize, s))
        .collect()
}

/// Dates written in `text`, with their offsets, read against the as-of year when the year is
/// not written (a story writes it when it differs).
fn dates(text: &str, figures: &Figures) -> Vec<(usize, String, Option<NaiveDate>)> {
    let month = |name: &str| MONTHS.iter().position(|m| *m == name).map(|i| i as u32 + 1);
    let year = |y: Option<regex::Match>| {
        y.and_then(|m| m.as_str().parse().ok())
            .unwrap_or(figures.as_of().year())
    };
    let mut found = Vec::new();
    for c in DAY_MONTH.captures_iter(text) {
        let date = month(&c[2])
            .and_then(|m| NaiveDate::from_ymd_opt(year(c.get(3)), m, c[1].parse().unwrap_or(0)));
        found.push((c.get(0).unwrap().start(), c[0].to_string(), date));
    }
    for c in MONTH_DAY.captures_iter(text) {
        let date = month(&c[1])
            .and_then(|m| NaiveDate::from_ymd_opt(year(c.get(3)), m, c[2].parse().unwrap_or(0)));
        found.push((c.get(0).unwrap().start(), c[0].to_string(), date));
    }
    found.sort_by_key(|d| d.0);
    found
}

fn check_dates(sentence: &str, part: &str, figures: &Figures, report: &mut GateReport) {
    let allowed = figures.dates();
    for (_, written, date) in dates(sentence, figures) {
        report.check(date.is_some_and(|d| allowed.contains(&d)), || {
            format!("{part}: the date “{written}” is no record's day, nor the as-of day or the window's first day")
        });
    }
}

/// An ordering word's claim: what it says is first, last or most.
#[derive(Clone, Copy, PartialEq)]
enum Order {
    Earliest,
    Latest,
    Most,
}

fn check_orderings(
    sentence: &str,
    notes: &[(usize, RecordId)],
    part: &str,
    figures: &Figures,
    report: &mut GateReport,
) {
    let mut words: Vec<(usize, usize, Order)> = Vec::new();
    for (pattern, order) in [
        (&*EARLIEST, Order::Earliest),
        (&*LATEST, Order::Latest),
        (&*MOST, Order::Most),
    ] {
        words.extend(
            pattern
                .find_iter(sentence)
                .map(|m| (m.start(), m.end(), order)),
        );
    }
    words.sort_by_key(|w| w.0);
    for (n, &(start, end, order)) in words.iter().enumerate() {
        let until = words.get(n + 1).map_or(sentence.len(), |w| w.0);
        let segment = &sentence[end..until];
        let cited = notes
            .iter()
            .find(|(at, _)| *at >= end && *at < until)
            .or_else(|| notes.iter().rev().find(|(at, _)| *at < start))
            .and_then(|(_, id)| figures.record(id));
        let claim = &sentence[start..end];
        match order {
            Order::Earliest | Order::Latest => {
                let truth = if order == Order::Earliest {
                    figures.earliest
                } else {
                    figures.latest
                };
                let day = truth.created_at.date_naive();
                if let Some((_, written, date)) = dates(segment, figures).into_iter().next() {
                    report.check(date == Some(day), || {
                        format!("{part}: “{claim}” is dated {written}, but the {claim} record of the evidence is from {}", day.format("%-d %B %Y"))
                    });
                }
                if let Some(record) = cited {
                    report.check(record.created_at.date_naive() == day, || {
                        format!("{part}: “{claim}” cites {}, from {}, but the {claim} record of the evidence is from {}", record.id, record.created_at.format("%-d %B %Y"), day.format("%-d %B %Y"))
                    });
                }
            }
            Order::Most => {
                let Some(record) = cited else { continue };
                let named = names_platform(sentence, record.source).is_some();
                let comment = record.is_comment();
                let peers = |r: &EvidenceRecord| {
                    r.is_comment() == comment && (!named || r.source == record.source)
                };
                report.check(figures.is_most_engaged(record, peers), || {
                    let top = figures
                        .most_engaged_where(peers)
                        .map(|t| t.id.to_string())
                        .unwrap_or_default();
                    format!(
                        "{part}: “{claim}” cites {}, but the most engaged such record is {top}",
                        record.id
                    )
                });
            }
        }
    }
}

/// A count in digits or words (up to twenty).
fn count(word: &str) -> Option<u64> {
    word.parse().ok().or_else(|| {
        NUMBER_WORDS
            .iter()
            .position(|w| w.eq_ignore_ascii_case(word))
            .map(|n| n as u64)
    })
}

fn check_citation_counts(
    sentence: &str,
    notes: &[(usize, RecordId)],
    part: &str,
    cited: usize,
    report: &mut GateReport,
) {
    let mut distinct: Vec<&RecordId> = notes.iter().map(|(_, id)| id).collect();
    distinct.sort();
    distinct.dedup();
    if distinct.len() >= 2 {
        for c in ALL_N.captures_iter(sentence) {
            let said = count(&c[1]);
            report.check(said == Some(distinct.len() as u64), || {
                format!(
                    "{part}: “{}” but the sentence cites {} records",
                    &c[0],
                    distinct.len()
                )
            });
        }
    }
    for c in QUOTES_N.captures_iter(sentence) {
        report.check(count(&c[1]) == Some(cited as u64), || {
            format!("{part}: “{}” but the story cites {cited} records", &c[0])
        });
    }
}

/// A written multiple as a value and what its qualifier allows.
fn multiple_claim(c: &regex::Captures) -> Option<(String, f64, Option<&'static str>)> {
    let qualifier = c.get(1).map(|q| q.as_str().to_lowercase());
    let (value, decimals) = if let Some(m) = c.get(2).or_else(|| c.get(3)) {
        let text = m.as_str();
        let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
        (
            count(text)
                .map(|n| n as f64)
                .or_else(|| text.parse().ok())?,
            decimals,
        )
    } else if let Some(m) = c.get(4) {
        (
            FOLD_WORDS
                .iter()
                .position(|w| w.eq_ignore_ascii_case(m.as_str()))? as f64,
            0,
        )
    } else {
        let word = c.get(5)?.as_str().to_lowercase();
        (
            if word.starts_with("tri") {
                3.0
            } else if word.starts_with("quad") {
                4.0
            } else {
                2.0
            },
            0,
        )
    };
    let rule = match qualifier.as_deref() {
        Some("more than" | "over") => Some("above"),
        Some("under" | "less than") => Some("below"),
        Some(_) => Some("about"),
        None if c.get(5).is_some() => Some("about"),
        None => None,
    };
    Some((format!("{value:.decimals$}"), value, rule))
}

fn check_multiples(sentence: &str, part: &str, figures: &Figures, report: &mut GateReport) {
    for c in MULTIPLE.captures_iter(sentence) {
        let Some((written, value, rule)) = multiple_claim(&c) else {
            continue;
        };
        let claim = c[0].to_string();
        let decimals = written.split_once('.').map_or(0, |(_, d)| d.len());
        let ok = figures.ratio.is_some_and(|ratio| match rule {
            Some("above") => ratio > value,
            Some("below") => ratio < value,
            Some(_) => (ratio - value).abs() <= 0.5,
            None => format!("{ratio:.decimals$}") == written,
        });
        report.check(ok, || match figures.ratio {
            Some(ratio) => format!("{part}: “{claim}” does not match the window's {ratio:.1} times its usual volume ({} records against a usual {:.1})", figures.window.records, figures.window.baseline),
            None => format!("{part}: “{claim}”, but the window has no usual volume to compare with"),
        });
    }
}

fn check_percentages(sentence: &str, part: &str, figures: &Figures, report: &mut GateReport) {
    let mut allowed: Vec<f64> = figures.shares().into_iter().map(|s| s as f64).collect();
    allowed.extend(figures.ratio.map(|r| (r - 1.0) * 100.0));
    for c in PERCENT.captures_iter(sentence) {
        let written = &c[1];
        let decimals = written.split_once('.').map_or(0, |(_, d)| d.len());
        report.check(
            allowed.iter().any(|v| format!("{v:.decimals$}") == written),
            || format!("{part}: “{}” is none of the story's shares (platforms, strands, comments) nor the window's change", &c[0]),
        );
    }
}

/// Who a sentence says is speaking before each quote (or between it and its footnote) must be
/// who the footnote cites.
fn check_attribution(
    text: &str,
    masked: &str,
    part: &str,
    figures: &Figures,
    report: &mut GateReport,
) {
    let quotes = quote_spans(text);
    let notes = footnotes(text);
    let sentences = sentence_spans(masked);
    let mut previous_end = 0;
    for quote in &quotes {
        let sentence_start = sentences
            .iter()
            .filter(|(at, _)| *at <= quote.start)
            .map(|(at, _)| *at)
            .next_back()
            .unwrap_or(0);
        let from = previous_end.max(sentence_start);
        let Some(&(note_at, label)) = notes.iter().find(|(at, _)| *at >= quote.end) else {
            previous_end = quote.end;
            continue;
        };
        let Some(record) = label
            .parse::<RecordId>()
            .ok()
            .and_then(|id| figures.record(&id))
        else {
            previous_end = quote.end;
            continue;
        };
        let before = &masked[from..quote.start];
        let between = &masked[quote.end..note_at];
        for segment in [before, between] {
            check_speaker(segment, record, part, report);
        }
        previous_end = note_at;
    }
}

/// Where `text` last names `source` as a platform: "News" inside "Hacker News" is not News.
fn names_platform(text: &str, source: Source) -> Option<usize> {
    let name = source.display_name();
    text.match_indices(name)
        .map(|(at, _)| at)
        .filter(|&at| {
            let before = text[..at].chars().next_back();
            let after = text[at + name.len()..].chars().next();
            let inside_a_word = before.is_some_and(char::is_alphanumeric)
                || after.is_some_and(char::is_alphanumeric);
            let in_hacker_news = source == Source::News && text[..at].ends_with("Hacker ");
            !(inside_a_word || in_hacker_news)
        })
        .last()
}

fn check_speaker(segment: &str, record: &EvidenceRecord, part: &str, report: &mut GateReport) {
    let named = Source::ALL
        .iter()
        .filter_map(|s| names_platform(segment, *s).map(|at| (at, *s)))
        .max_by_key(|(at, _)| *at);
    if let Some((_, source)) = named {
        report.check(source == record.source, || {
            format!(
                "{part}: a quote is put on {}, but the record it cites ({}) is from {}",
                source.display_name(),
                record.id,
                record.source.display_name()
            )
        });
    }
    if let Some(community) = COMMUNITY.captures_iter(segment).last() {
        let said = community[1].replace('\\', "");
        report.check(
            record
                .community
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(&said)),
            || {
                format!(
                    "{part}: a quote is put on r/{said}, but the record it cites ({}) is from {}",
                    record.id,
                    record
                        .community
                        .as_deref()
                        .map(|c| format!("r/{c}"))
                        .unwrap_or_else(|| "no community".into())
                )
            },
        );
    }
    if COMMENTER.is_match(segment) && !segment.to_lowercase().contains("post") {
        report.check(record.is_comment(), || {
            format!("{part}: a quote is put on a commenter, but the record it cites ({}) is not a comment", record.id)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_multiples_and_communities_are_found() {
        let c = COMMUNITY.captures("In r/AI\\_Agents, one").unwrap();
        assert_eq!(&c[1], "AI\\_Agents");
        assert!(PERCENT.is_match("Some 85% of them agree."));
        let c = MULTIPLE.captures("That is nine times the usual").unwrap();
        assert_eq!(multiple_claim(&c).unwrap().1, 9.0);
        let c = MULTIPLE
            .captures("Posts ran at 3.5x the usual rate")
            .unwrap();
        assert_eq!(multiple_claim(&c).unwrap().1, 3.5);
        // A name written with a capital X (the robot maker 1X) is not a multiple.
        assert!(!MULTIPLE.is_match("1X opens pre-orders for Neo"));
    }
}
