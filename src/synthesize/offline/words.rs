//! Figures and lists as the offline writer's prose says them: "one post", "about four times",
//! "warm", "A, B and C". Whole numbers go through
//! [`number_words`], so a figure reads the same in every sentence.

use crate::model::BASELINE_DAYS;
use crate::text::number_words;

/// The baseline's length in weeks, as a word ("four"), for "in the four weeks before".
pub(super) fn baseline_weeks() -> String {
    const _: () = assert!(
        BASELINE_DAYS.is_multiple_of(7) && BASELINE_DAYS >= 14,
        "the prose counts the baseline in (plural) weeks"
    );
    number_words((BASELINE_DAYS / 7) as u64)
}

/// "one post", "six posts", "1,204 posts".
pub(super) fn posts(n: u64) -> String {
    match n {
        1 => "one post".to_string(),
        n => format!("{} posts", number_words(n)),
    }
}

/// A rise as readers say it: "more than twice", "about four times", "about 14 times".
pub(super) fn multiple(ratio: f64) -> String {
    let whole = format!("{ratio:.0}");
    match ratio {
        r if r < 2.05 => "twice".to_string(),
        r if r < 3.0 => "more than twice".to_string(),
        r if (r - r.round()).abs() < 0.05 => format!("{} times", number(&whole)),
        _ => format!("about {} times", number(&whole)),
    }
}

/// A whole number written as [`number_words`] writes it.
fn number(whole: &str) -> String {
    whole
        .parse::<u64>()
        .map(number_words)
        .unwrap_or_else(|_| whole.to_string())
}

/// A baseline: one decimal, without a trailing `.0`.
pub(super) fn decimal(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

/// "one post and 40 comments", "12 posts", "three comments".
pub(super) fn records_in_words(posts_n: u64, comments: u64) -> String {
    let comments_words = match comments {
        1 => "one comment".to_string(),
        n => format!("{} comments", number_words(n)),
    };
    match (posts_n, comments) {
        (_, 0) => posts(posts_n),
        (0, _) => comments_words,
        _ => format!("{} and {comments_words}", posts(posts_n)),
    }
}

/// "A", "A and B", "A, B and C".
pub(super) fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

pub(super) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Endings of words that say how or what kind, not what about ("quantized", "managing",
/// "fully", "expensive", "useful", "affordable").
const NOT_TOPIC_ENDINGS: [&str; 9] = [
    "ed", "ing", "ly", "ive", "ful", "ous", "able", "ible", "est",
];

/// Whether a strand's key phrase can stand as what a headline says people talk about.
///
/// Without a part-of-speech tagger this goes by shape: a name spelled with a capital
/// ("Radeon", "MTP") or a phrase of two words reads as a topic, unless a word of it ends like a
/// verb form or an adjective; so does a single word of five letters or more that does not.
/// Rejected terms still name their strand in the body, which quotes them in context.
pub(super) fn reads_as_topic(term: &str) -> bool {
    if term.chars().any(char::is_uppercase) {
        return true;
    }
    let descriptive =
        |word: &str| word.len() > 4 && NOT_TOPIC_ENDINGS.iter().any(|e| word.ends_with(e));
    let words: Vec<&str> = term.split_whitespace().collect();
    !words.iter().any(|w| descriptive(w)) && (words.len() > 1 || term.len() >= 5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::content_words;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number_words(7), "seven");
        assert_eq!(number_words(4942), "4,942");
        assert_eq!(multiple(2.7), "more than twice");
        assert_eq!(multiple(4.4), "about four times");
        assert_eq!(multiple(5.0), "five times");
        assert_eq!(multiple(13.6), "about 14 times");
        assert_eq!(decimal(2.0), "2");
        assert_eq!(records_in_words(1, 40), "one post and 40 comments");
        assert_eq!(records_in_words(0, 1), "one comment");
        assert_eq!(posts(1), "one post");
        assert_eq!(baseline_weeks(), "four");
        assert_eq!(content_words("anthropic wins fair"), 3);
        assert_eq!(content_words("the AI"), 0);
        assert_eq!(content_words("30b a3b"), 0);
    }

    #[test]
    fn topics_are_names_and_phrases_not_descriptions() {
        for topic in [
            "Radeon",
            "MTP",
            "compensation packages",
            "privacy",
            "data center",
        ] {
            assert!(reads_as_topic(topic), "{topic}");
        }
        for description in [
            "quantized",
            "managing full",
            "fully open",
            "affordable",
            "bad",
        ] {
            assert!(!reads_as_topic(description), "{description}");
        }
    }
}
