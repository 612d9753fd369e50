//! Fast matching of many weighted terms at once (one Aho-Corasick pass per text).
//!
//! Terms use the syntax documented at the top of `data/beats.yaml`: case-insensitive whole
//! words, `*` suffix for prefixes, `=` prefix for exact case. All terms of the taxonomy and the
//! gazetteer go into one automaton; a pattern that several rules share (`deepseek` is both an
//! entity and a beat term) carries every meaning, so each text is scanned once.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// One term as written in the YAML, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermSyntax {
    /// The text to look for, without markers.
    pub core: String,
    /// `=` prefix: only this exact case matches.
    pub exact_case: bool,
    /// `*` suffix: any word starting with the core matches.
    pub prefix: bool,
}

impl TermSyntax {
    /// Splits `=Term*` into its parts.
    pub fn parse(term: &str) -> TermSyntax {
        let exact_case = term.starts_with('=');
        let rest = term.strip_prefix('=').unwrap_or(term);
        let prefix = rest.ends_with('*');
        let core = rest.strip_suffix('*').unwrap_or(rest).to_string();
        TermSyntax {
            core,
            exact_case,
            prefix,
        }
    }
}

/// A rule attached to a pattern: how it must match, and what it means when it does.
#[derive(Debug, Clone)]
struct Rule<M> {
    exact: Option<String>,
    prefix: bool,
    meaning: M,
}

/// Many terms, each with a meaning `M`, matched in one pass.
#[derive(Debug, Clone)]
pub struct TermMatcher<M> {
    automaton: AhoCorasick,
    /// Per pattern, the rules that share it.
    rules: Vec<Vec<Rule<M>>>,
    /// Per pattern, whether its first and last characters need a word boundary next to them.
    bounded: Vec<(bool, bool)>,
}

impl<M: Clone> TermMatcher<M> {
    /// Builds a matcher from `(term in YAML syntax, meaning)` pairs.
    pub fn new<'a>(terms: impl IntoIterator<Item = (&'a str, M)>) -> TermMatcher<M> {
        let mut patterns: Vec<String> = Vec::new();
        let mut rules: Vec<Vec<Rule<M>>> = Vec::new();
        let mut index = rustc_hash::FxHashMap::default();
        for (term, meaning) in terms {
            let syntax = TermSyntax::parse(term);
            let key = syntax.core.to_lowercase();
            let slot = *index.entry(key.clone()).or_insert_with(|| {
                patterns.push(key);
                rules.push(Vec::new());
                patterns.len() - 1
            });
            let exact = syntax.exact_case.then(|| syntax.core.clone());
            rules[slot].push(Rule {
                exact,
                prefix: syntax.prefix,
                meaning,
            });
        }
        let bounded = patterns
            .iter()
            .map(|p| {
                let first = p.chars().next().is_some_and(needs_boundary);
                let last = p.chars().next_back().is_some_and(needs_boundary);
                (first, last)
            })
            .collect();
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            // A full DFA: a few hundred kilobytes for our terms, and the fastest search.
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
            .expect("term patterns are plain strings");
        TermMatcher {
            automaton,
            rules,
            bounded,
        }
    }

    /// Calls `found(meaning, span)` for every rule that matches in `text`, overlapping matches
    /// included (`AI agents` gives both `=AI` and `agents`), ordered by where they end.
    pub fn for_each_match(&self, text: &str, mut found: impl FnMut(&M, std::ops::Range<usize>)) {
        let bytes = text.as_bytes();
        for hit in self.automaton.find_overlapping_iter(text) {
            let pattern = hit.pattern().as_usize();
            let (left, right) = self.bounded[pattern];
            if left
                && text[..hit.start()]
                    .chars()
                    .next_back()
                    .is_some_and(is_word_char)
            {
                continue;
            }
            let open_right = right && text[hit.end()..].chars().next().is_some_and(is_word_char);
            for rule in &self.rules[pattern] {
                if open_right && !rule.prefix {
                    continue;
                }
                if rule
                    .exact
                    .as_ref()
                    .is_some_and(|exact| exact.as_bytes() != &bytes[hit.range()])
                {
                    continue;
                }
                found(&rule.meaning, hit.range());
            }
        }
    }
}

/// Letters and digits make words; `_` too, as in identifiers.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Scripts written without spaces between words (Chinese, Japanese, Thai) cannot use word
/// boundaries: 人工知能 sits inside longer runs of characters.
fn needs_boundary(c: char) -> bool {
    is_word_char(c) && !is_unspaced_script(c)
}

/// True for characters of scripts written without spaces.
pub fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF   // Hiragana, Katakana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF // CJK compatibility
        | 0x0E00..=0x0E7F // Thai
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(terms: &[&str], text: &str) -> Vec<String> {
        let matcher = TermMatcher::new(terms.iter().map(|t| (*t, t.to_string())));
        let mut out = Vec::new();
        matcher.for_each_match(text, |m, _| out.push(m.clone()));
        out.sort();
        out
    }

    #[test]
    fn whole_words_prefixes_and_exact_case() {
        assert_eq!(hits(&["chip"], "Chipotle chip CHIP"), ["chip", "chip"]);
        assert_eq!(
            hits(&["deepfake*"], "Deepfakes and deepfake"),
            ["deepfake*", "deepfake*"]
        );
        assert_eq!(hits(&["=AI"], "AI, ai, Ai, Al Gore"), ["=AI"]);
        // Overlapping matches are all reported; the classifier lets exclusions cancel.
        assert_eq!(
            hits(&["=AI", "enemy ai"], "the enemy AI is dumb"),
            ["=AI", "enemy ai"]
        );
        assert_eq!(
            hits(&["ai agent*", "agents"], "AI agents"),
            ["agents", "ai agent*"]
        );
        assert_eq!(hits(&["人工知能"], "生成人工知能の話"), ["人工知能"]);
        assert_eq!(hits(&["yapay zekâ"], "Yapay zekâ ve"), ["yapay zekâ"]);
    }

    #[test]
    fn shared_patterns_carry_every_meaning() {
        assert_eq!(
            hits(&["deepseek", "=DeepSeek"], "DeepSeek wins"),
            ["=DeepSeek", "deepseek"]
        );
        assert_eq!(hits(&["gemma", "gemma*"], "gemma3 is out"), ["gemma*"]);
    }
}
