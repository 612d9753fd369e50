//! Figures and lists as the offline writer's prose says them: "one post", "about four times",
//! "warm", "A, B and C". Whole numbers go through
//! [`number_words`], so a figure reads the same in every sentence.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::BASELINE_DAYS;
use crate::text::{
    has_inner_capital, has_letters_and_digits, is_all_caps, is_capitalised, number_words,
    possessive_stem,
};

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

/// A baseline: one decimal, without a trailing `.0`; from 100 up, a whole number with its
/// thousands marked ("2,842", not "2841.8"), since a tenth says nothing at that size.
pub(super) fn decimal(value: f64) -> String {
    if value >= 100.0 {
        // Rounded as the gate rounds a written figure (192.5 reads "192").
        return number(&format!("{value:.0}"));
    }
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

/// Words after which a noun (or the adjective before one) follows: "the board", "your privacy".
/// "this" and "that" are left out, because as pronouns a verb follows them ("this sucks").
const DETERMINERS: [&str; 16] = [
    "the", "a", "an", "my", "your", "his", "her", "its", "our", "their", "some", "any", "every",
    "each", "another", "no",
];

/// How a story's own records use each word: how often it is written with a capital inside a
/// sentence and how often without, and whether it ever follows a determiner. Without a
/// part-of-speech tagger, this is what tells a name ("Radeon") from a title-case word ("Large
/// Language Models") and a noun ("board") from a verb ("acquires", "sue").
#[derive(Default)]
pub(super) struct WordUse {
    /// Per lower-case word: (written capitalised mid-sentence, written in lower case).
    case: BTreeMap<String, (u32, u32)>,
    after_determiner: BTreeSet<String>,
    /// Capitalised phrases the records write with another capitalised word after them, and
    /// those they write at the end of a name.
    continued_names: BTreeSet<String>,
    ended_names: BTreeSet<String>,
    /// Each record's title and text in lower case, to count the records a phrase is in.
    records: Vec<String>,
}

/// A word of a record as [`WordUse`] reads it.
struct Word {
    /// In lower case, a possessive `'s` left off.
    lower: String,
    capital: bool,
    /// A determiner or a possessive ("Preview's cyber capabilities"): a noun phrase follows.
    determines: bool,
    starts_sentence: bool,
    /// Punctuation follows it: a name or phrase ends here.
    break_after: bool,
}

fn read_words(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut starts_sentence = true;
    for chunk in text.split_whitespace() {
        let word = chunk.trim_matches(|c: char| !c.is_alphanumeric());
        let stem = possessive_stem(word);
        if !stem.is_empty() {
            let lower = stem.to_lowercase();
            words.push(Word {
                determines: stem.len() < word.len() || DETERMINERS.contains(&lower.as_str()),
                lower,
                capital: is_capitalised(stem),
                starts_sentence,
                break_after: !chunk.ends_with(|c: char| c.is_alphanumeric()),
            });
        }
        starts_sentence = chunk.ends_with(['.', '!', '?', ':']);
    }
    words
}

/// The phrases `words` starts with, one word to [`MAX_PHRASE_WORDS`], joined by spaces.
fn phrases(words: &[Word]) -> Vec<String> {
    (1..=MAX_PHRASE_WORDS.min(words.len()))
        .map(|n| {
            let phrase: Vec<&str> = words[..n].iter().map(|w| w.lower.as_str()).collect();
            phrase.join(" ")
        })
        .collect()
}

impl WordUse {
    /// Reads the records' `(title, text)` pairs. A title-case title's capitals say nothing of
    /// which words are names, so only its determiners count.
    pub fn of<'t>(records: impl IntoIterator<Item = (&'t str, &'t str)>) -> WordUse {
        let mut words = WordUse::default();
        for (title, text) in records {
            words.read(text, true);
            words.read(title, !is_title_case(title));
            words
                .records
                .push(format!("{title}\n{text}").to_lowercase());
        }
        words
    }

    fn read(&mut self, text: &str, case_counts: bool) {
        let words = read_words(text);
        for (i, word) in words.iter().enumerate() {
            if case_counts && !word.starts_sentence {
                let counts = self.case.entry(word.lower.clone()).or_default();
                match word.capital {
                    true => counts.0 += 1,
                    false => counts.1 += 1,
                }
            }
            if word.determines {
                for phrase in phrases(&words[i + 1..]) {
                    self.after_determiner.insert(phrase);
                }
            }
        }
        if case_counts {
            self.read_capital_runs(&words);
        }
    }

    /// Which capitalised phrases the records continue with another capitalised word ("Large
    /// Language" in "Large Language Models") and which they end.
    fn read_capital_runs(&mut self, words: &[Word]) {
        let mut start = 0;
        for (i, word) in words.iter().enumerate() {
            let run_ends = word.break_after || words.get(i + 1).is_none_or(|next| !next.capital);
            if !word.capital {
                start = i + 1;
                continue;
            }
            if run_ends {
                for from in start..=i {
                    let run = &words[from..=i];
                    for (k, phrase) in phrases(run).into_iter().enumerate() {
                        match from + k == i {
                            true => self.ended_names.insert(phrase),
                            false => self.continued_names.insert(phrase),
                        };
                    }
                }
                start = i + 1;
            }
        }
    }

    /// Whether a strand's key phrase can stand as what a headline says people talk about.
    /// It must be in at least [`MIN_RECORDS`] records. A name the records always continue
    /// ("Large Language" of "Large Language Models") is a fragment and cannot. Each word must
    /// be a name — shaped like one ("GPT-4", "OpenAI", "DGX") or written with a capital more
    /// often than not inside the records' sentences — or a lower-case word that does not end
    /// like a verb form or an adjective; and unless all are names, the records must put the
    /// phrase after a determiner ("their compensation packages"), as they put a noun and never
    /// a verb ("acquires Bun", "sucks"). A lone lower-case word needs five letters. Rejected
    /// terms still name their strand in the body, which quotes them in context.
    pub fn reads_as_topic(&self, term: &str) -> bool {
        let words: Vec<&str> = term.split_whitespace().collect();
        let is_name = |word: &&str| {
            has_name_shape(word) || {
                let (capital, lower) = self
                    .case
                    .get(&word.to_lowercase())
                    .copied()
                    .unwrap_or_default();
                is_capitalised(word) && capital > 0 && capital >= lower
            }
        };
        let is_plain_word = |word: &&str| !is_capitalised(word) && !describes(word);
        let lower = term.to_lowercase();
        let fragment = self.continued_names.contains(&lower) && !self.ended_names.contains(&lower);
        let all_names = words.iter().all(is_name) && !fragment;
        let noun_phrase = words.iter().all(|w| is_name(w) || is_plain_word(w))
            && self.after_determiner.contains(&lower);
        let in_records = self.records.iter().filter(|r| r.contains(&lower)).count();
        !words.is_empty()
            && in_records >= MIN_RECORDS
            && (all_names || noun_phrase)
            && (words.len() > 1 || term.len() >= 5 || all_names)
    }
}

/// Whether a lower-case word ends like a verb form or an adjective ("quantized", "useful").
fn describes(word: &str) -> bool {
    word.len() > 4 && NOT_TOPIC_ENDINGS.iter().any(|e| word.ends_with(e))
}

/// Fewest records a headline's phrase is in: one commenter's coinage is not what people talk
/// about.
const MIN_RECORDS: usize = 2;

/// The longest phrase [`WordUse`] remembers after a determiner, in words.
const MAX_PHRASE_WORDS: usize = 3;

/// "Large Language Models Are Few-Shot Learners", "High-Speed Large Language Model Serving on
/// PCs with Consumer-Grade GPUs": of the words of four letters or more after the first, at
/// least two and more than three in four capitalised (a short word like "with" may not be).
fn is_title_case(title: &str) -> bool {
    let long: Vec<&str> = title
        .split_whitespace()
        .skip(1)
        .filter(|word| word.chars().filter(|c| c.is_alphabetic()).count() >= 4)
        .collect();
    let capitalised = long.iter().filter(|word| is_capitalised(word)).count();
    capitalised >= 2 && capitalised * 4 > long.len() * 3
}

/// Letters with digits ("GPT-4"), a capital after the first letter among lower-case ones
/// ("OpenAI", "AGENTS.md") or two capitals and no lower case ("DGX"): a name whatever its place.
fn has_name_shape(word: &str) -> bool {
    has_letters_and_digits(word) || has_inner_capital(word) || is_all_caps(word)
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
        assert_eq!(decimal(287.25), "287");
        assert_eq!(decimal(2841.8), "2,842");
        assert_eq!(decimal(192.5), "192");
        assert_eq!(records_in_words(1, 40), "one post and 40 comments");
        assert_eq!(records_in_words(0, 1), "one comment");
        assert_eq!(posts(1), "one post");
        assert_eq!(baseline_weeks(), "four");
        assert_eq!(content_words("anthropic wins fair"), 3);
        assert_eq!(content_words("the AI"), 0);
        assert_eq!(content_words("30b a3b"), 0);
    }

    #[test]
    fn topics_are_names_and_nouns_by_how_the_records_use_them() {
        let body = "I tried it on my Radeon and the MTP heads with GPT-4 from OpenAI. Your \
            privacy matters to the board, and their compensation packages too. It was a Pentagon \
            deal. Large language models are fine; the large language model is the point. \
            Anthropic acquires Bun, and Disney and Universal sue. This sucks on a data center. \
            Deep learning is the key for every deep net. Whatever. Papers on Large Language \
            Models abound.";
        let words = WordUse::of([
            ("Why Radeon Owners Are Happy with Their MTP Heads", ""),
            (
                "Show HN: a Pentagon deal for Mythos Preview",
                "What a butthole bonanza.",
            ),
            (
                "Assessing Claude Mythos Preview's cyber capabilities",
                "It is Anthropic’s.",
            ),
            ("Claude Mythos Preview's cyber capabilities", ""),
            ("", body),
            ("", body),
        ]);
        for topic in [
            "Radeon",
            "MTP",
            "GPT-4",
            "OpenAI",
            "compensation packages",
            "privacy",
            "board",
            "data center",
            "Mythos Preview",
            "Pentagon deal",
            "Anthropic",
            "cyber capabilities",
        ] {
            assert!(words.reads_as_topic(topic), "{topic}");
        }
        for not_topic in [
            "quantized",
            "managing full",
            "fully open",
            "affordable",
            "Large Language",
            "Deep",
            "acquires Bun",
            "Universal sue",
            "sucks",
            "bad",
            "Whatever",
            "Owners",
            "butthole bonanza",
        ] {
            assert!(!words.reads_as_topic(not_topic), "{not_topic}");
        }
    }
}
