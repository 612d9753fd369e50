//! Quoting records: a record's own words in quote marks with its footnote, where it was said
//! ("In r/LocalLLaMA", "On Hacker News"), and the attention it drew in its platform's terms.

use super::words::join_and;
use crate::model::evidence::EvidenceRecord;
use crate::model::Source;
use crate::text::{escape_markdown, nest_quotes, number_words};

/// Verbatim words of `record` in quote marks (inner quotes made single, Markdown escaped) with
/// the record's footnote.
pub(super) fn quoted(words: &str, record: &EvidenceRecord) -> String {
    format!("“{}”[^{}]", escape_markdown(&nest_quotes(words)), record.id)
}

/// Where a record was said, to open a sentence: "In r/LocalLLaMA", "On Hacker News".
pub(super) fn place(record: &EvidenceRecord) -> String {
    match (record.source, record.community.as_deref()) {
        (Source::Reddit, Some(community)) => {
            format!("In {}", community_name(Source::Reddit, community, true))
        }
        (source, _) => format!("On {}", source.display_name()),
    }
}

/// Drops the full stop after a footnote when the quote before it already ended the sentence.
pub(super) fn tidy(text: &str) -> String {
    static DOUBLE_STOP: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"([.?!…])”(\[\^[^\]]+\])\.").unwrap());
    DOUBLE_STOP.replace_all(text, "$1”$2").into_owned()
}

/// The attention a record got, in its platform's terms: "a score of 827 and 190 comments".
pub(super) fn attention(record: &EvidenceRecord) -> Option<String> {
    let e = &record.engagement;
    let mut parts = Vec::new();
    let score_word = match record.source {
        Source::Reddit => "a score of",
        Source::Bluesky | Source::Mastodon | Source::Youtube => "likes",
        _ => "points",
    };
    if let Some(score) = e.score.filter(|s| *s > 0) {
        parts.push(if score_word == "a score of" {
            format!("a score of {}", number_words(score as u64))
        } else {
            format!("{} {score_word}", number_words(score as u64))
        });
    }
    if let Some(replies) = e.replies.filter(|r| *r > 0) {
        parts.push(replies_noun(record.source, replies as u64));
    }
    if let Some(reposts) = e.reposts.filter(|r| *r > 0) {
        parts.push(format!("{} reposts", number_words(reposts as u64)));
    }
    (!parts.is_empty()).then(|| join_and(&parts))
}

/// `n` replies in a platform's word for them: "190 comments", "one reply".
pub(super) fn replies_noun(source: Source, n: u64) -> String {
    let (one, many) = match source {
        Source::Reddit | Source::Hackernews | Source::Youtube => ("comment", "comments"),
        _ => ("reply", "replies"),
    };
    format!("{} {}", number_words(n), if n == 1 { one } else { many })
}

/// A community as a story names it: `r/singularity`, or a feed's name; Markdown-escaped when
/// `markdown` (the body), plain for the headline and dek.
pub(super) fn community_name(source: Source, community: &str, markdown: bool) -> String {
    let name = if markdown {
        escape_markdown(community)
    } else {
        community.to_string()
    };
    match source {
        Source::Reddit => format!("r/{name}"),
        _ => name,
    }
}
