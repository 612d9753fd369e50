//! Words: tokenising, stop words, language guessing, key phrases and capitalised phrases.
//! Everything here is a single pass over the text with no regexes, for speed.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use super::terms::{is_unspaced_script, is_word_char};

/// One word of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// The word as written.
    pub text: &'a str,
    /// Punctuation (not just spaces) separates this word from the previous one: phrases end here.
    pub after_break: bool,
    /// Bit set of the languages this word is a stop word of (0 = content word); filled in with
    /// [`stopword_bits`] once per word by the classifier, because phrases, names and language
    /// all ask.
    pub stopword: u16,
}

impl Token<'_> {
    /// Starts with an upper-case letter.
    pub fn is_capitalised(&self) -> bool {
        crate::text::is_capitalised(self.text)
    }
    /// Every letter is upper case and there are at least two ("WOW", "GPT").
    pub fn is_all_caps(&self) -> bool {
        crate::text::is_all_caps(self.text)
    }
}

/// Splits text into words. A word is a run of letters and digits, keeping inner `'`, `’`, `-`,
/// `.` and `+` when a word character follows (`don't`, `gpt-4o`, `llama.cpp`, `c++` stays `c`).
pub fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::with_capacity(text.len() / 5);
    let mut chars = text.char_indices().peekable();
    let mut after_break = false;
    while let Some((start, c)) = chars.next() {
        if !is_word_char(c) {
            if !c.is_whitespace()
                && !matches!(
                    c,
                    '#' | '@' | '"' | '\'' | '“' | '”' | '‘' | '’' | '(' | ')'
                )
            {
                after_break = true;
            }
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, next)) = chars.peek() {
            if is_word_char(next) {
                end = i + next.len_utf8();
                chars.next();
            } else if matches!(next, '\'' | '’' | '-' | '.' | '+') {
                let rest = &text[i + next.len_utf8()..];
                if rest.chars().next().is_some_and(is_word_char) {
                    chars.next();
                } else {
                    break;
                }
            } else {
                break;
            }
        }
        tokens.push(Token {
            text: &text[start..end],
            after_break,
            stopword: 0,
        });
        after_break = false;
    }
    tokens
}

/// Appends the lower-case form of `word` to `out` (no allocation for plain ASCII words).
pub fn push_lowercase(word: &str, out: &mut String) {
    if word.is_ascii() {
        let start = out.len();
        out.push_str(word);
        out[start..].make_ascii_lowercase();
    } else {
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
}

/// Languages guessed from stop words, in tie-break order.
const STOPWORDS: &[(&str, &str)] = &[
    ("en", "the and of to is in that for with this it are was on be as by at from have has not but they you we will an or what how why who about into"),
    ("es", "el la los las de que y en por para con una un es del al se no su como más pero sus"),
    ("fr", "le la les des et est une un pour dans que qui sur avec pas du au ce il elle sont plus ne se"),
    ("de", "der die das und ist nicht mit ein eine für auf den zu von dem im sich auch wird es"),
    ("pt", "o os as de que e não uma um para com em do da no na é mais por se"),
    ("it", "il lo la gli le che di e è per non una un con del della nel sono si"),
    ("nl", "de het een en van is niet dat op voor met zijn er te ook"),
    ("tr", "ve bir bu için ile da de çok ne gibi daha olan en mi"),
];

/// Stop word → bit set of the languages that use it (bit i = STOPWORDS[i]).
static STOPWORD_LANGUAGES: LazyLock<FxHashMap<&'static str, u16>> = LazyLock::new(|| {
    let mut map = FxHashMap::default();
    for (i, (_, words)) in STOPWORDS.iter().enumerate() {
        for word in words.split(' ') {
            *map.entry(word).or_insert(0) |= 1 << i;
        }
    }
    for word in NOISE {
        *map.entry(word).or_insert(0) |= NOISE_BIT;
    }
    map
});

/// Platform boilerplate in titles ("Show HN:", "&nbsp;", "[pdf]"): never part of a phrase or a
/// name. Marked with a bit of its own so it casts no language vote.
const NOISE: &[&str] = &["hn", "nbsp", "amp", "pdf", "gt", "lt"];
const NOISE_BIT: u16 = 1 << 15;

/// True for a word too common to carry meaning in any of the languages above.
pub fn is_stopword(lower: &str) -> bool {
    STOPWORD_LANGUAGES.contains_key(lower)
}

/// The languages (bit i = `STOPWORDS[i]`) a lower-case word is a stop word of; 0 if none.
pub fn stopword_bits(lower: &str) -> u16 {
    STOPWORD_LANGUAGES.get(lower).copied().unwrap_or(0)
}

/// Guesses the BCP 47 language of a text: a non-Latin script decides by itself; otherwise the
/// language whose stop words appear most wins (English on ties). `und` when nothing tells.
pub fn guess_language(tokens: &[Token<'_>], lowered_tokens: &[&str]) -> &'static str {
    if let Some(script_language) = script_language(lowered_tokens) {
        return script_language;
    }
    let mut votes = [0u16; STOPWORDS.len()];
    for bits in tokens.iter().map(|t| t.stopword).filter(|&b| b != 0) {
        for (i, vote) in votes.iter_mut().enumerate() {
            if bits & (1 << i) != 0 {
                *vote += 1;
            }
        }
    }
    let best = (0..votes.len())
        .max_by_key(|&i| (votes[i], std::cmp::Reverse(i)))
        .unwrap_or(0);
    if votes[best] == 0 {
        "und"
    } else {
        STOPWORDS[best].0
    }
}

/// The language of a text mostly written in a script only one major language uses.
fn script_language(words: &[&str]) -> Option<&'static str> {
    if words.iter().all(|w| w.is_ascii()) {
        return None;
    }
    let (
        mut latin,
        mut kana,
        mut han,
        mut hangul,
        mut cyrillic,
        mut arabic,
        mut devanagari,
        mut greek,
    ) = (0u32, 0u32, 0u32, 0u32, 0u32, 0u32, 0u32, 0u32);
    for c in words
        .iter()
        .flat_map(|w| w.chars())
        .filter(|c| c.is_alphabetic())
    {
        match c as u32 {
            0x3040..=0x30FF => kana += 1,
            0x4E00..=0x9FFF | 0x3400..=0x4DBF => han += 1,
            0xAC00..=0xD7AF | 0x1100..=0x11FF => hangul += 1,
            0x0400..=0x04FF => cyrillic += 1,
            0x0600..=0x06FF => arabic += 1,
            0x0900..=0x097F => devanagari += 1,
            0x0370..=0x03FF => greek += 1,
            _ if c.is_ascii_alphabetic() || ('\u{C0}'..='\u{24F}').contains(&c) => latin += 1,
            _ => {}
        }
    }
    let cjk = kana + han;
    let candidates = [
        (if kana > 0 { cjk } else { 0 }, "ja"),
        (if kana == 0 { han } else { 0 }, "zh"),
        (hangul, "ko"),
        (cyrillic, "ru"),
        (arabic, "ar"),
        (devanagari, "hi"),
        (greek, "el"),
    ];
    candidates
        .into_iter()
        .filter(|&(count, _)| count > 0 && count * 2 >= latin)
        .max_by_key(|&(count, _)| count)
        .map(|(_, language)| language)
}

/// Key phrases: runs of 2–3 content words not broken by punctuation or stop words, lower case,
/// longest first (then earliest). A light form of RAKE that suits short posts and headlines.
pub fn key_phrases(tokens: &[Token<'_>], lowered: &[&str], max: usize) -> Vec<String> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for i in 0..=tokens.len() {
        let ends_run =
            i == tokens.len() || tokens[i].after_break || !is_content_word(&tokens[i], lowered[i]);
        if ends_run {
            // Long runs are cut into three-word chunks; a lone word left over is dropped.
            let mut chunk = start;
            while i.saturating_sub(chunk) >= 2 {
                let end = i.min(chunk + 3);
                runs.push((chunk, end));
                chunk = end;
            }
            start = if i < tokens.len() && is_content_word(&tokens[i], lowered[i]) {
                i
            } else {
                i + 1
            };
        }
    }
    runs.sort_by_key(|&(s, e)| (std::cmp::Reverse(e - s), s));
    let mut phrases: Vec<String> = Vec::with_capacity(max);
    for (s, e) in runs {
        let phrase = lowered[s..e].join(" ");
        if !phrases.contains(&phrase) {
            phrases.push(phrase);
        }
        if phrases.len() == max {
            break;
        }
    }
    phrases
}

fn is_content_word(token: &Token<'_>, lower: &str) -> bool {
    token.stopword == 0
        && (lower.len() >= 3 || lower.chars().count() >= 2)
        && lower.chars().any(char::is_alphabetic)
}

/// Runs of two or more capitalised words (`Liang Wenfeng`, `Strait of Hormuz` is not kept whole:
/// lowercase words end a run), skipping texts in Title Case where every word is capitalised.
pub fn capitalised_phrases(tokens: &[Token<'_>]) -> Vec<String> {
    let words = tokens
        .iter()
        .filter(|t| t.text.chars().next().is_some_and(char::is_alphabetic));
    let (capitalised, total) =
        words.fold((0, 0), |(c, n), t| (c + t.is_capitalised() as usize, n + 1));
    if total == 0 || capitalised * 10 > total * 6 {
        return Vec::new();
    }
    let mut phrases = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    for token in tokens {
        let keeps = token.is_capitalised()
            && token.stopword == 0
            && !token.text.chars().any(is_unspaced_script);
        if keeps && (!token.after_break || run.is_empty()) {
            run.push(token.text);
            continue;
        }
        flush_run(&mut run, &mut phrases);
        if keeps {
            run.push(token.text);
        }
    }
    flush_run(&mut run, &mut phrases);
    phrases
}

fn flush_run(run: &mut Vec<&str>, phrases: &mut Vec<String>) {
    if let Some(last) = run.last_mut() {
        // "Silicon Valley’s" names Silicon Valley.
        *last = last
            .strip_suffix("’s")
            .or_else(|| last.strip_suffix("'s"))
            .unwrap_or(last);
    }
    if run.len() >= 2 {
        let phrase = run.join(" ");
        if !phrases.contains(&phrase) {
            phrases.push(phrase);
        }
    }
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lower-case forms, marking the tokens' stop words as analysis does.
    fn lower(tokens: &mut [Token<'_>]) -> Vec<String> {
        let lowered: Vec<String> = tokens.iter().map(|t| t.text.to_lowercase()).collect();
        let refs: Vec<&str> = lowered.iter().map(String::as_str).collect();
        for (token, lower) in tokens.iter_mut().zip(&refs) {
            token.stopword = stopword_bits(lower);
        }
        lowered
    }

    #[test]
    fn tokens_keep_inner_punctuation_and_mark_breaks() {
        let tokens = tokenize("Don't run gpt-4o; try llama.cpp. (really)");
        let words: Vec<_> = tokens.iter().map(|t| t.text).collect();
        assert_eq!(
            words,
            ["Don't", "run", "gpt-4o", "try", "llama.cpp", "really"]
        );
        assert!(tokens[3].after_break && tokens[5].after_break && !tokens[1].after_break);
    }

    #[test]
    fn languages_from_stopwords_and_scripts() {
        let guess = |text: &str| {
            let mut tokens = tokenize(text);
            let lowered = lower(&mut tokens);
            let refs: Vec<&str> = lowered.iter().map(String::as_str).collect();
            guess_language(&tokens, &refs)
        };
        assert_eq!(guess("The model is out and it is good"), "en");
        assert_eq!(
            guess("La inteligencia artificial y el trabajo de los periodistas"),
            "es"
        );
        assert_eq!(
            guess("Die KI ist nicht das Problem und wird es auch nicht"),
            "de"
        );
        assert_eq!(guess("人工知能についての記事"), "ja");
        assert_eq!(guess("GPT-5"), "und");
    }

    #[test]
    fn phrases_stop_at_stopwords_and_punctuation() {
        let text = "Liang Wenfeng meets Xi Jinping, and open source models win the benchmark race";
        let mut tokens = tokenize(text);
        let lowered = lower(&mut tokens);
        let refs: Vec<&str> = lowered.iter().map(String::as_str).collect();
        assert_eq!(
            key_phrases(&tokens, &refs, 2),
            ["liang wenfeng meets", "open source models"]
        );
        assert_eq!(
            capitalised_phrases(&tokens),
            ["Liang Wenfeng", "Xi Jinping"]
        );
        let mut title = tokenize("Google Authenticator Now Supports Google Account Sync");
        lower(&mut title);
        assert!(capitalised_phrases(&title).is_empty());
    }
}
