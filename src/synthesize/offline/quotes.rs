//! Quoting records: a record's own words in quote marks with its footnote, introduced by who
//! posted it where ("a post in r/singularity titled “…”[^id], with a score of 4,942"), and the
//! attention it drew in its platform's terms. Each record is quoted at most once per story.

use super::words::join_and;
use super::Writer;
use crate::model::evidence::EvidenceRecord;
use crate::model::Source;
use crate::text::{escape_markdown, excerpt, number_words};

impl<'a> Writer<'a> {
    /// "a Reddit post in r/singularity titled “…”[^id], with a score of 4,942 and 1,190 comments."
    pub(super) fn introduce(&mut self, record: &'a EvidenceRecord) -> String {
        let kind = match (record.source, record.community.as_deref()) {
            (Source::Reddit, Some(sub)) => {
                format!("a post in {}", community_name(Source::Reddit, sub))
            }
            (Source::Hackernews, _) => "a submission".to_string(),
            (_, _) => match record.author.as_deref() {
                Some(author) => format!("a post by @{}", escape_markdown(author)),
                None => "a post".to_string(),
            },
        };
        let said = self.quote(record);
        let verb = if record.title.is_empty() {
            "reading"
        } else {
            "titled"
        };
        let attention = attention(record)
            .map(|a| format!(", with {a}"))
            .unwrap_or_default();
        format!("{kind} {verb} {said}{attention}.")
    }

    /// The record's words in quote marks with its footnote; marks the record as heard.
    fn quote(&mut self, record: &'a EvidenceRecord) -> String {
        self.used.insert(record.id.as_str());
        format!(
            "“{}”[^{}]",
            escape_markdown(&excerpt(&record.title, &record.text)),
            record.id
        )
    }

    /// "@nytimes.com posted “…”[^id]", "a post in r/x was titled “…”[^id]", "sweis submitted “…”[^id]".
    pub(super) fn posted(&mut self, record: &'a EvidenceRecord) -> String {
        let said = self.quote(record);
        match (
            record.source,
            record.community.as_deref(),
            record.author.as_deref(),
        ) {
            (Source::Reddit, Some(sub), _) => format!(
                "a post in {} was titled {said}",
                community_name(Source::Reddit, sub)
            ),
            (Source::Hackernews, _, Some(author)) => {
                format!("{} submitted {said}", escape_markdown(author))
            }
            (Source::Bluesky | Source::Mastodon, _, Some(author)) => {
                format!("@{} posted {said}", escape_markdown(author))
            }
            _ if record.title.is_empty() => format!("a post read {said}"),
            _ => format!("an item was titled {said}"),
        }
    }
}

/// Drops the full stop after a footnote when the quote before it already ended the sentence.
pub(super) fn tidy(text: &str) -> String {
    static DOUBLE_STOP: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"([.?!])”(\[\^[^\]]+\])\.").unwrap());
    DOUBLE_STOP.replace_all(text, "$1”$2").into_owned()
}

/// The attention a record got, in its platform's terms.
fn attention(record: &EvidenceRecord) -> Option<String> {
    let e = &record.engagement;
    let mut parts = Vec::new();
    let (score_word, replies_word) = match record.source {
        Source::Reddit => ("a score of", "comments"),
        Source::Hackernews => ("points", "comments"),
        Source::Bluesky | Source::Mastodon => ("likes", "replies"),
        Source::Youtube => ("likes", "comments"),
        _ => ("points", "replies"),
    };
    if let Some(score) = e.score.filter(|s| *s > 0) {
        parts.push(if score_word == "a score of" {
            format!("a score of {}", number_words(score as u64))
        } else {
            format!("{} {score_word}", number_words(score as u64))
        });
    }
    if let Some(replies) = e.replies.filter(|r| *r > 0) {
        parts.push(format!("{} {replies_word}", number_words(replies as u64)));
    }
    if let Some(reposts) = e.reposts.filter(|r| *r > 0) {
        parts.push(format!("{} reposts", number_words(reposts as u64)));
    }
    (!parts.is_empty()).then(|| join_and(&parts))
}

/// A community as Markdown text: `r/singularity`, or a feed's name.
pub(super) fn community_name(source: Source, community: &str) -> String {
    match source {
        Source::Reddit => format!("r/{}", escape_markdown(community)),
        _ => escape_markdown(community),
    }
}
