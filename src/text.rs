//! Text helpers every stage may use, each written once: HTML character references decoded,
//! shortening to a budget, numbers as readers expect them, slugs, Markdown escaping, the excerpt
//! of a record a story quotes, and the small stop-word lists of prose (the analysis keeps its
//! own multilingual lists in `analyze/text.rs`, which are a model of languages, not of English
//! prose).
//!
//! Two ways of shortening, because two budgets exist: [`shorten`] counts characters a reader
//! sees and marks the cut with `…` (summaries, excerpts, the `shorten` template filter and the
//! API's `wire.json`, whose clients are promised at most N characters); [`cut_at_word`] counts
//! bytes a machine stores (an evidence pack, an error message) and marks nothing.
//!
//! Record text reaches readers through [`clean`] (entities decoded, Markdown removed; see
//! [`clean`](mod@clean)) and, where it must be short, [`snippet`].

mod clean;

pub use clean::{clean, clean_lines, clean_title, own_text, quotable, sentences, CleanLine};

use std::borrow::Cow;

/// The small words a headline's slug does not end on ("…-jump-in").
const SLUG_TAIL_WORDS: [&str; 10] = [
    "a", "an", "and", "at", "in", "of", "on", "the", "to", "with",
];

/// Words of more than two letters that carry no meaning of their own (see [`content_words`]).
const PHRASE_STOP_WORDS: [&str; 24] = [
    "the", "and", "for", "with", "from", "that", "this", "are", "was", "were", "has", "have",
    "its", "into", "not", "but", "you", "your", "our", "their", "about", "will", "can", "all",
];

/// `text` with its HTML character references decoded — `&amp;` → `&`, `&nbsp;` → U+00A0,
/// `&#124;` → `|`, `&#x200B;` → U+200B — by the whole HTML5 table of named references
/// (`html-escape`). Platforms put references in text that is otherwise plain (Reddit titles and
/// Markdown bodies, feed ledes), and readers saw them as such; [`Record::sanitize`] calls this
/// once for every record the store takes, collected or imported, so both copies agree.
///
/// References are decoded again while any are left, up to [`ENTITY_ROUNDS`] rounds: a Reddit
/// body as the API sends it is HTML-escaped Markdown, and the Markdown may itself hold
/// references (`&amp;#x200B;`, `&amp;#32;`: 56 such in the r/LocalLLaMA corpus), which Reddit
/// shows as the characters. A reference a writer meant literally (`&amp;lt;` in a page about
/// HTML) is decoded too: rarer, in the bundled corpora, than the escaped text it fixes.
/// Borrows when there is nothing to decode.
///
/// [`Record::sanitize`]: crate::model::Record::sanitize
pub fn decode_entities(text: &str) -> Cow<'_, str> {
    let mut decoded = Cow::Borrowed(text);
    for _ in 0..ENTITY_ROUNDS {
        if !decoded.contains('&') {
            break;
        }
        match html_escape::decode_html_entities(&decoded) {
            Cow::Owned(again) => decoded = Cow::Owned(again),
            Cow::Borrowed(_) => break,
        }
    }
    decoded
}

/// Most rounds of [`decode_entities`]: an API's escaping, Markdown's own references, and one
/// more for a feed that escaped twice.
pub const ENTITY_ROUNDS: usize = 3;

/// At most `max` characters of `text` (trimmed), cut at a word boundary, the cut marked with
/// `…`: summaries, record excerpts, quoted records, wire titles and texts.
pub fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let at_word = cut
        .rfind(char::is_whitespace)
        .map_or(cut.as_str(), |i| &cut[..i]);
    format!("{}…", at_word.trim_end())
}

/// Record text as a card, feed item or search result shows it: cleaned ([`clean`]), on one line,
/// at most `max` characters cut at a word boundary with `…`.
pub fn snippet(text: &str, max: usize) -> String {
    shorten(
        &clean(text).split_whitespace().collect::<Vec<_>>().join(" "),
        max,
    )
}

/// The longest prefix of `text` of at most `max` bytes that ends at a word boundary.
pub fn cut_at_word(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    match text[..end].rfind(char::is_whitespace) {
        Some(space) => text[..space].trim_end(),
        None => &text[..end],
    }
}

/// A ratio as a reader reads it: one decimal below ten ("13.5" is not, "4.2" is), a whole
/// number with thousands separators from ten up ("312", not "312.0").
pub fn ratio(value: f64) -> String {
    if value < 9.95 {
        format!("{value:.1}")
    } else {
        thousands(value.round() as i64)
    }
}

/// `23,792` for 23792, `-1,000` for −1000.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// A whole number as readers expect it: words up to nine ("no", "one" … "nine"), digits with
/// separators above.
pub fn number_words(n: u64) -> String {
    const WORDS: [&str; 10] = [
        "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    match WORDS.get(n as usize) {
        Some(word) => word.to_string(),
        None => thousands(i64::try_from(n).unwrap_or(i64::MAX)),
    }
}

/// The lower-case words of `text`: runs of characters `keep` accepts.
fn slug_words(text: &str, keep: fn(char) -> bool) -> impl Iterator<Item = String> + '_ {
    text.split(move |c: char| !keep(c))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// Lowercase words joined by `-`: `"Hello, World!"` → `hello-world`. Letters and digits of any
/// script are kept so non-English titles still get readable slugs.
pub fn slugify(text: &str) -> String {
    slug_words(text, char::is_alphanumeric)
        .collect::<Vec<_>>()
        .join("-")
}

/// A file-name slug from a headline: lowercase ASCII words joined by `-`, at most 8 words, not
/// ending on a small word ("…-jump-in").
pub fn headline_slug(headline: &str) -> String {
    let lower = headline.to_lowercase();
    let mut words: Vec<String> = slug_words(&lower, |c| c.is_ascii_alphanumeric())
        .take(8)
        .collect();
    while words.len() > 1
        && words
            .last()
            .is_some_and(|w| SLUG_TAIL_WORDS.contains(&w.as_str()))
    {
        words.pop();
    }
    words.join("-")
}

/// A word without its possessive ending: "Preview's" names what "Preview" names.
pub fn possessive_stem(word: &str) -> &str {
    word.strip_suffix("'s")
        .or_else(|| word.strip_suffix("’s"))
        .unwrap_or(word)
}

/// Starts with an upper-case letter.
pub fn is_capitalised(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

/// Every letter is upper case and there are at least two ("WOW", "GPT").
pub fn is_all_caps(word: &str) -> bool {
    let mut letters = 0;
    for c in word.chars().filter(|c| c.is_alphabetic()) {
        if !c.is_uppercase() {
            return false;
        }
        letters += 1;
    }
    letters >= 2
}

/// Letters and digits together ("K2", "GPT-4"): shaped as a name.
pub fn has_letters_and_digits(word: &str) -> bool {
    word.chars().any(char::is_alphabetic) && word.chars().any(|c| c.is_ascii_digit())
}

/// "OpenAI", "DeepSeek", "iPhone": a capital after the first letter, among lower-case ones.
pub fn has_inner_capital(word: &str) -> bool {
    word.chars().skip(1).any(char::is_uppercase) && word.chars().any(char::is_lowercase)
}

/// Words of a phrase that carry meaning: not a stop word, with a letter, three letters or more.
pub fn content_words(phrase: &str) -> usize {
    phrase
        .split_whitespace()
        .filter(|w| {
            w.chars().filter(|c| c.is_alphabetic()).count() >= 3
                && !PHRASE_STOP_WORDS.contains(&w.to_lowercase().as_str())
        })
        .count()
}

/// Escapes what Markdown would read as markup, so a record's words stay words.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '[' | ']' | '`' | '<' | '>' | '#' | '|' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Longest quote lifted from one record, in words.
pub const MAX_QUOTE_WORDS: usize = 28;

/// The words of a record worth quoting: a title without its truncation mark, the first
/// sentence of a post, or — when a post itself quotes someone — the words it quotes. Always a
/// verbatim piece of the record (ellipses mark cuts), with inner quotation marks made single.
pub fn excerpt(title: &str, text: &str) -> String {
    let raw = if title.is_empty() {
        lead_sentence(text)
    } else {
        title.trim().to_string()
    };
    let (text, truncated) = match raw.strip_suffix("...").or_else(|| raw.strip_suffix('…')) {
        Some(stem) => (drop_partial_word(stem), true),
        None => (raw.clone(), false),
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut quoted = words[..words.len().min(MAX_QUOTE_WORDS)].join(" ");
    if truncated || words.len() > MAX_QUOTE_WORDS {
        quoted = quoted
            .trim_end_matches([',', ';', ':', '—', '-'])
            .trim_end()
            .to_string();
        quoted.push('…');
    }
    // A quote that starts mid-sentence says so.
    if quoted.starts_with(char::is_lowercase) {
        quoted.insert(0, '…');
    }
    nest_quotes(&quoted)
}

fn drop_partial_word(stem: &str) -> String {
    match stem.rfind(' ') {
        Some(space) => stem[..space].trim_end().to_string(),
        None => stem.to_string(),
    }
}

/// A post's leading sentence, skipping a short label such as "Breaking News:" and preferring
/// the words it quotes when it quotes someone.
fn lead_sentence(text: &str) -> String {
    if let Some(inner) = quoted_words(text) {
        return inner;
    }
    let mut text = text.trim();
    if let Some((label, rest)) = text.split_once(": ") {
        if label.split_whitespace().count() <= 3 && !rest.is_empty() {
            text = rest;
        }
    }
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut end = flat.len();
    for (i, _) in flat.match_indices(". ") {
        let word = flat[..i].rsplit(' ').next().unwrap_or("");
        // "A.I.", "U.S." and "Mr." end abbreviations, not sentences.
        if word.len() > 3 && !word.contains('.') {
            end = i + 1;
            break;
        }
    }
    flat[..end].to_string()
}

/// The first span of four or more words a post puts in curly double quotes.
fn quoted_words(text: &str) -> Option<String> {
    let start = text.find('“')? + '“'.len_utf8();
    let len = text[start..].find('”')?;
    let inner = text[start..start + len].trim().trim_end_matches(',');
    (inner.split_whitespace().count() >= 4)
        .then(|| inner.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Double quotation marks inside a quote become single ones, as house style nests quotes; the
/// grounding gate treats all quote marks alike, so the quote stays verbatim.
pub fn nest_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous = ' ';
    for c in text.chars() {
        out.push(match c {
            '“' => '‘',
            '”' => '’',
            '"' if previous.is_whitespace() || "([".contains(previous) => '‘',
            '"' => '’',
            other => other,
        });
        previous = c;
    }
    out
}

/// Parses a date as front matter and the command line accept it: RFC 3339, `YYYY-MM-DDTHH:MM:SS`
/// (UTC) or `YYYY-MM-DD` (midnight UTC).
pub fn parse_date(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    let text = text.trim();
    if let Ok(date) = DateTime::parse_from_rfc3339(text) {
        return Some(date.with_timezone(&Utc));
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S") {
        return Some(naive.and_utc());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_hms_opt(0, 0, 0).unwrap().and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_decode_by_the_html5_table() {
        // Real titles and bodies: reddit-ai-trends and r/LocalLLaMA.
        assert_eq!(
            decode_entities("Claude&nbsp;Sonnet &#124; 4.5 &amp; &lt;think&gt; &#x200B;"),
            "Claude\u{a0}Sonnet | 4.5 & <think> \u{200b}"
        );
        assert!(matches!(decode_entities("no references"), Cow::Borrowed(_)));
        // A RemindMeBot reply as the API sends it: escaped Markdown holding a reference.
        assert_eq!(decode_entities("in 7 days&amp;#32;on"), "in 7 days on");
        assert_eq!(decode_entities("&amp;amp;amp;amp;"), "&amp;");
        assert_eq!(decode_entities("AT&T; R&D & Q&A"), "AT&T; R&D & Q&A");
    }

    #[test]
    fn ratios_keep_a_decimal_only_below_ten() {
        assert_eq!(ratio(4.24), "4.2");
        assert_eq!(ratio(9.94), "9.9");
        assert_eq!(ratio(9.96), "10");
        assert_eq!(ratio(312.04), "312");
        assert_eq!(ratio(1204.6), "1,205");
    }

    #[test]
    fn shortening_cuts_at_words_or_bytes() {
        assert_eq!(shorten("one two three", 9), "one two…");
        assert_eq!(shorten("one, two three", 9), "one, two…");
        assert_eq!(shorten("one two, three", 9), "one two,…");
        assert_eq!(shorten("  short ", 9), "short");
        assert_eq!(cut_at_word("alpha beta gamma", 12), "alpha beta");
        assert_eq!(cut_at_word("short", 12), "short");
    }

    #[test]
    fn numbers_read_as_words_or_grouped_digits() {
        assert_eq!(thousands(23792), "23,792");
        assert_eq!(thousands(-1000), "-1,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(number_words(0), "no");
        assert_eq!(number_words(9), "nine");
        assert_eq!(number_words(1204), "1,204");
    }

    #[test]
    fn slugs_keep_words_and_drop_punctuation() {
        assert_eq!(slugify("Hello, World!"), "hello-world");
        assert_eq!(slugify("  GPT-5 & friends "), "gpt-5-friends");
        assert_eq!(slugify("Überblick"), "überblick");
        assert_eq!(slugify("!!"), "");
        assert_eq!(
            headline_slug("Reddit drives a 6.4-fold jump in talk of Anthropic’s fight!"),
            "reddit-drives-a-6-4-fold-jump"
        );
    }

    #[test]
    fn markdown_is_escaped_and_excerpts_stay_verbatim() {
        assert_eq!(escape_markdown("a*b_[c]"), "a\\*b\\_\\[c\\]");
        assert_eq!(
            excerpt("", "Breaking News: President Trump told federal agencies to stop using A.I. technology made by Anthropic, an order. The rest."),
            "President Trump told federal agencies to stop using A.I. technology made by Anthropic, an order."
        );
        assert_eq!(
            excerpt("", "In @nytopinion.nytimes.com \n\n“A.I.’s promise is real,” Sebastian Mallaby writes."),
            "A.I.’s promise is real"
        );
        assert_eq!(
            excerpt(
                "Anthropic rejects Pentagon's \"final offer\" in AI safeguards fi...",
                ""
            ),
            "Anthropic rejects Pentagon's ‘final offer’ in AI safeguards…"
        );
        assert_eq!(content_words("the open models"), 2);
    }
}
