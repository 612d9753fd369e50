//! Record text as a reader should see it: HTML character references decoded, Markdown markup
//! and its backslash escapes removed, white space tidied — and that text split into sentences.
//!
//! Platforms hand us text in three dialects: Reddit's Markdown with `&gt;`/`&amp;` entities,
//! feeds' HTML-escaped titles (`&#124;`, `&nbsp;`), and plain text. [`clean`] turns all three into
//! plain text; it is what an evidence pack stores, so a story's quote is a verbatim span of it
//! ([`sentences`] cuts it into the spans a quote may take). Lines a comment quotes from the
//! comment it answers (Markdown `>` lines) are someone else's words: [`own_text`] leaves them
//! out, so nobody is quoted saying what they only cited.

use std::sync::LazyLock;

use regex::Regex;

/// One line of cleaned text, and whether the author quoted it from someone else (`> …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanLine {
    pub text: String,
    pub quoted: bool,
}

/// Stands in for a backslash-escaped ASCII character while markup is removed, so `\*` is never
/// read as emphasis (a private-use code point per character: U+E000 + its code).
fn protect_escapes(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&next) if c == '\\' && next.is_ascii_punctuation() => {
                chars.next();
                out.push(char::from_u32(0xE000 + next as u32).unwrap_or(next));
            }
            _ => out.push(c),
        }
    }
    out
}

fn restore_escapes(line: &str) -> String {
    line.chars()
        .map(|c| match c as u32 {
            code @ 0xE000..=0xE07F => char::from_u32(code - 0xE000).unwrap_or(c),
            _ => c,
        })
        .collect()
}

static IMAGE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"!\[([^\]]*)\]\([^)\s]*\)").unwrap());
static LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[([^\]]+)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+[^)]*)?\)").unwrap()
});
static AUTOLINK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<(https?://[^>\s]+)>").unwrap());
static STRONG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\*\*|__|~~)(\S(?:.*?\S)?)(\*\*|__|~~)").unwrap());
static EMPHASIS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(^|[^\w*])\*(\S(?:[^*]*?\S)?)\*($|[^\w*])|(^|[^\w_])_(\S(?:[^_]*?\S)?)_($|[^\w_])")
        .unwrap()
});
static CODE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`([^`]+)`").unwrap());
/// Reddit's superscript `^(words)`.
static SUPERSCRIPT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\^\(([^)]*)\)").unwrap());
static HEADING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^#{1,6}\s+").unwrap());
static BULLET: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[-*+•]\s+").unwrap());
/// The footer Reddit's feeds add to every item ("submitted by /u/name [link] [comments]"): feed
/// furniture, not anyone's words, so it never reaches a reader or names a strand.
static FEED_FOOTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:submitted by\s+/?u/[\w-]+(?:\s+to\s+/?r/\w+)?|\[link\]\s*\[comments\])$")
        .unwrap()
});
static RULE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[-*_]\s*){3,}$|^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$").unwrap()
});

/// The markup of one line removed (links keep their words, emphasis its text).
fn strip_inline(line: &str) -> String {
    // Most lines hold no markup at all: skip the regexes for them.
    if !line.contains(['[', ']', '*', '_', '~', '`', '^', '<', '\\']) {
        return line.to_string();
    }
    let mut text = protect_escapes(line);
    for (pattern, with) in [
        (&*IMAGE, "$1"),
        (&*LINK, "$1"),
        (&*AUTOLINK, "$1"),
        (&*CODE, "$1"),
        (&*SUPERSCRIPT, "$1"),
    ] {
        text = pattern.replace_all(&text, with).into_owned();
    }
    // Nested emphasis (`***a***`) needs a second pass.
    for _ in 0..2 {
        text = STRONG.replace_all(&text, "$2").into_owned();
        text = EMPHASIS.replace_all(&text, "$1$2$3$4$5$6").into_owned();
    }
    restore_escapes(&text)
}

/// Zero-width characters and the like that platforms leave in text.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// The lines of `text` as plain text, blank lines kept as paragraph breaks (one empty line),
/// fenced code and horizontal rules left out.
pub fn clean_lines(text: &str) -> Vec<CleanLine> {
    let decoded = super::decode_entities(text);
    let mut lines: Vec<CleanLine> = Vec::new();
    let mut in_fence = false;
    for raw in decoded.lines() {
        let trimmed = raw.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || RULE.is_match(trimmed) && !trimmed.is_empty() {
            continue;
        }
        let mut rest = trimmed;
        let mut quoted = false;
        while let Some(after) = rest.strip_prefix('>') {
            quoted = true;
            rest = after.trim_start();
        }
        let rest = HEADING.replace(rest, "");
        let rest = BULLET.replace(&rest, "");
        let plain: String = strip_inline(&rest)
            .chars()
            .filter(|c| !invisible(*c))
            .map(|c| if c == '\u{A0}' || c == '\t' { ' ' } else { c })
            .collect();
        let text = plain.split_whitespace().collect::<Vec<_>>().join(" ");
        if FEED_FOOTER.is_match(&text) {
            continue;
        }
        if text.is_empty() {
            if lines.last().is_some_and(|l| !l.text.is_empty()) {
                lines.push(CleanLine {
                    text,
                    quoted: false,
                });
            }
            continue;
        }
        lines.push(CleanLine { text, quoted });
    }
    while lines.last().is_some_and(|l| l.text.is_empty()) {
        lines.pop();
    }
    lines
}

/// `text` as plain text: entities decoded, Markdown removed, one line per line and one blank line
/// between paragraphs. Quoted lines are kept, without their `>`.
pub fn clean(text: &str) -> String {
    join(clean_lines(text).iter())
}

/// The author's own words of `text`, cleaned as [`clean`] cleans them: the lines it quotes from
/// someone else (`> …`) are left out, and with them the blank line they leave behind.
pub fn own_text(text: &str) -> String {
    let lines = clean_lines(text);
    let mut own: Vec<&CleanLine> = Vec::new();
    for line in lines.iter().filter(|l| !l.quoted) {
        let blank_after_blank =
            line.text.is_empty() && own.last().is_none_or(|l| l.text.is_empty());
        if !blank_after_blank {
            own.push(line);
        }
    }
    while own.last().is_some_and(|l| l.text.is_empty()) {
        own.pop();
    }
    join(own.into_iter())
}

fn join<'a>(lines: impl Iterator<Item = &'a CleanLine>) -> String {
    lines
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A one-line text (a title, a handle) as plain text: entities decoded, escapes and emphasis
/// removed, white space single; a title the platform cut mid-word ("less intellige...") loses
/// the broken word and ends in `…`.
pub fn clean_title(title: &str) -> String {
    let plain = clean(title).replace('\n', " ");
    match plain
        .strip_suffix("...")
        .or_else(|| plain.strip_suffix('…'))
    {
        Some(stem) if !stem.ends_with(char::is_whitespace) => {
            let kept = match stem.rfind(' ') {
                Some(space) => stem[..space].trim_end_matches([',', ';', ':', '—', '-', ' ']),
                None => stem,
            };
            format!("{kept}…")
        }
        Some(stem) => format!("{}…", stem.trim_end()),
        None => plain,
    }
}

/// Short words ending in a full stop that end an abbreviation, not a sentence.
const ABBREVIATIONS: [&str; 14] = [
    "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "st", "no", "approx", "cf", "jr", "inc",
];

/// The sentences of `text`, each a verbatim slice of it: a sentence ends at `.`, `!`, `?` or `…`
/// (with any closing quote or bracket) before white space and a capital, digit or opening mark,
/// or at a line break. "U.S." and "e.g." do not end sentences.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut offset = 0;
    for line in text.split('\n') {
        let mut start = 0;
        let bytes: Vec<(usize, char)> = line.char_indices().collect();
        for (n, &(i, c)) in bytes.iter().enumerate() {
            // A mark inside a run already ended ("?!", "...") was taken with the run's first.
            if !matches!(c, '.' | '!' | '?' | '…') || i < start {
                continue;
            }
            // Closing marks belong to the sentence they close.
            let mut end_n = n + 1;
            while end_n < bytes.len()
                && matches!(
                    bytes[end_n].1,
                    '"' | '”' | '’' | ')' | '\'' | '.' | '!' | '?'
                )
            {
                end_n += 1;
            }
            let Some(&(space_at, space)) = bytes.get(end_n) else {
                continue;
            };
            if !space.is_whitespace() {
                continue;
            }
            let next = bytes[end_n..].iter().find(|(_, ch)| !ch.is_whitespace());
            let starts_sentence = next.is_some_and(|(_, ch)| {
                ch.is_uppercase()
                    || ch.is_ascii_digit()
                    || matches!(ch, '"' | '“' | '‘' | '(' | '\'')
            });
            if !starts_sentence || (c == '.' && is_abbreviation(&line[start..i])) {
                continue;
            }
            push_sentence(&mut found, text, offset + start, offset + space_at);
            start = space_at;
        }
        push_sentence(&mut found, text, offset + start, offset + line.len());
        offset += line.len() + 1;
    }
    found
}

fn push_sentence<'a>(found: &mut Vec<&'a str>, text: &'a str, start: usize, end: usize) {
    let sentence = text[start..end].trim();
    if !sentence.is_empty() {
        found.push(sentence);
    }
}

/// True when the text before a full stop ends in an abbreviation or an initial ("U.S", "J").
fn is_abbreviation(before: &str) -> bool {
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    let lower = word.to_lowercase();
    ABBREVIATIONS.contains(&lower.as_str())
        || word.contains('.')
        || (word.chars().count() == 1 && word.chars().all(char::is_uppercase))
}

/// Quote length bounds, in words: "a sentence or two", never a fragment.
const MIN_QUOTE_WORDS: usize = 6;
const MAX_QUOTE_WORDS: usize = 40;

/// Whether a sentence of a record can be quoted on its own: six to forty words, mostly
/// letters, no link, not a deleted body, and not the lead-in to something it does not hold
/// (ending with a colon: "check it out here:", "Here are the results:").
pub fn quotable(sentence: &str) -> bool {
    let words = sentence.split_whitespace().count();
    let letters = sentence.chars().filter(|c| c.is_alphabetic()).count();
    (MIN_QUOTE_WORDS..=MAX_QUOTE_WORDS).contains(&words)
        && letters * 2 >= sentence.chars().count()
        && !sentence.contains("http")
        && !sentence.contains("www.")
        && !sentence.trim_end().ends_with(':')
        && !matches!(sentence, "[deleted]" | "[removed]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_plain_text() {
        let text = "&gt; Qwen churns out models\n\nShows you how **much** they have their *shit* together.\nSee [the blog](https://x.org/a_(b)) and \\*not\\* this, snake_case_name stays.\n\n```\ncode here\n```\n- a list item\n# Heading\n---\n&#x200B;";
        let lines = clean_lines(text);
        assert_eq!(
            lines,
            [
                CleanLine {
                    text: "Qwen churns out models".into(),
                    quoted: true
                },
                CleanLine {
                    text: String::new(),
                    quoted: false
                },
                CleanLine {
                    text: "Shows you how much they have their shit together.".into(),
                    quoted: false
                },
                CleanLine {
                    text: "See the blog and *not* this, snake_case_name stays.".into(),
                    quoted: false
                },
                CleanLine {
                    text: String::new(),
                    quoted: false
                },
                CleanLine {
                    text: "a list item".into(),
                    quoted: false
                },
                CleanLine {
                    text: "Heading".into(),
                    quoted: false
                },
            ]
        );
        assert_eq!(
            clean(text),
            "Qwen churns out models\n\nShows you how much they have their shit together.\nSee the blog and *not* this, snake_case_name stays.\n\na list item\nHeading"
        );
        assert_eq!(
            own_text(text),
            "Shows you how much they have their shit together.\nSee the blog and *not* this, snake_case_name stays.\n\na list item\nHeading"
        );
        assert_eq!(
            clean("I have \\~25 years, at \\~55t/s"),
            "I have ~25 years, at ~55t/s"
        );
    }

    #[test]
    fn reddit_feed_footers_are_left_out() {
        // As www.reddit.com feeds hand an item over, after entities are decoded.
        let item = "A new GGUF of the model is up.\n  submitted by    /u/F0urLeafCl0ver  \n [link]   [comments]";
        assert_eq!(clean(item), "A new GGUF of the model is up.");
        assert_eq!(clean("submitted by /u/someone"), "");
        // Words that only begin like the footer stay.
        assert_eq!(
            clean("submitted by my team to the conference"),
            "submitted by my team to the conference"
        );
    }

    #[test]
    fn cleaning_twice_changes_nothing_on_ordinary_text() {
        let text = "Dario's [dumbass blog post](https://d.com/p) was *six months ago.* What a year &amp; more.";
        let once = clean(text);
        assert_eq!(
            once,
            "Dario's dumbass blog post was six months ago. What a year & more."
        );
        assert_eq!(clean(&once), once);
    }

    #[test]
    fn titles_lose_a_broken_last_word() {
        assert_eq!(
            clean_title("Models get less intellige..."),
            "Models get less…"
        );
        assert_eq!(clean_title("Wait for it ..."), "Wait for it…");
        assert_eq!(clean_title("OpenAI &#124; News&nbsp;"), "OpenAI | News");
        assert_eq!(
            clean_title("\\[P\\] I Gave Claude Code"),
            "[P] I Gave Claude Code"
        );
    }

    #[test]
    fn sentences_are_verbatim_slices() {
        let text = "The U.S. ban is real. It came on Monday! Why? e.g. this one.\nA new line without a stop\n\n“Quoted.” Then 3 more... And?! Done.";
        assert_eq!(
            sentences(text),
            [
                "The U.S. ban is real.",
                "It came on Monday!",
                "Why? e.g. this one.",
                "A new line without a stop",
                "“Quoted.”",
                "Then 3 more...",
                "And?!",
                "Done.",
            ]
        );
        for s in sentences(text) {
            assert!(text.contains(s));
        }
    }

    #[test]
    fn quotable_sentences_are_whole_and_wordy() {
        assert!(quotable("This model is the best thing I have run locally."));
        assert!(!quotable("Too short."));
        assert!(!quotable(
            "See https://example.org for the whole list of results"
        ));
        assert!(!quotable("If you haven't seen it yet, check it out here:"));
    }
}
