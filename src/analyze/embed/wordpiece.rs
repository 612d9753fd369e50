//! A fast BERT (uncased WordPiece) tokenizer that gives the same ids as the `tokenizers` crate
//! for MiniLM's `tokenizer.json` (BertNormalizer with lower-casing, Chinese-character spacing and
//! accent stripping; BertPreTokenizer; WordPiece with `##` and 100 characters a word), without
//! offsets, padding, truncation or special tokens around the text.
//!
//! Why not the `tokenizers` crate at run time: it tracks the alignment of every normalised
//! character and allocates per word, which made it the bottleneck of static embedding
//! (`bench/EMBED.md` has the figures). This one works on one reusable buffer, takes an ASCII
//! fast path, and looks whole words up in one hash probe. `tests/embed.rs` checks that both
//! agree on every record of the bundled corpus.

use rustc_hash::FxHashMap;
use serde_json::Value;
use unicode_categories::UnicodeCategories;
use unicode_normalization_alignments::char::decompose_canonical;

/// Literal special tokens that the `tokenizers` crate splits out of raw text before normalising
/// (MiniLM's `added_tokens`, all `normalized: false`).
const ADDED: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

/// Words longer than this many characters become `[UNK]` (MiniLM's `max_input_chars_per_word`).
const MAX_WORD_CHARS: usize = 100;

/// The vocabulary and special ids of one `tokenizer.json`.
#[derive(Debug, Clone)]
pub struct WordPiece {
    vocab: FxHashMap<Box<str>, u32>,
    /// `##piece` → id, looked up without building the prefixed string.
    continuation: FxHashMap<Box<str>, u32>,
    unk: u32,
    added: Vec<(&'static str, u32)>,
    size: usize,
}

/// Reusable buffers for [`WordPiece::encode_into`]; one per thread.
#[derive(Debug, Default)]
pub struct Scratch {
    normalized: String,
}

impl WordPiece {
    /// Reads a `tokenizer.json` text. Refuses configurations this tokenizer does not reproduce
    /// (another normaliser, pre-tokeniser or model), so it can never silently disagree with the
    /// `tokenizers` crate.
    pub fn from_json(json: &str) -> Result<WordPiece, String> {
        let doc: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
        let expect = |pointer: &str, want: Value| -> Result<(), String> {
            let got = doc.pointer(pointer).cloned().unwrap_or(Value::Null);
            if got == want {
                Ok(())
            } else {
                Err(format!(
                    "`{pointer}` is {got}, this tokenizer supports only {want}"
                ))
            }
        };
        expect("/normalizer/type", "BertNormalizer".into())?;
        expect("/normalizer/clean_text", true.into())?;
        expect("/normalizer/handle_chinese_chars", true.into())?;
        expect("/normalizer/lowercase", true.into())?;
        expect("/normalizer/strip_accents", Value::Null)?;
        expect("/pre_tokenizer/type", "BertPreTokenizer".into())?;
        expect("/model/type", "WordPiece".into())?;
        expect("/model/continuing_subword_prefix", "##".into())?;
        expect("/model/max_input_chars_per_word", MAX_WORD_CHARS.into())?;
        let vocab_json = doc
            .pointer("/model/vocab")
            .and_then(Value::as_object)
            .ok_or("no `/model/vocab` object")?;
        let mut vocab = FxHashMap::default();
        let mut continuation = FxHashMap::default();
        let mut size = 0;
        for (token, id) in vocab_json {
            let id = id
                .as_u64()
                .and_then(|id| u32::try_from(id).ok())
                .ok_or_else(|| format!("vocabulary id of `{token}` is not a number"))?;
            size = size.max(id as usize + 1);
            match token.strip_prefix("##") {
                Some(piece) => continuation.insert(piece.into(), id),
                None => vocab.insert(token.as_str().into(), id),
            };
        }
        let id_of = |token: &str| -> Result<u32, String> {
            vocab
                .get(token)
                .copied()
                .ok_or_else(|| format!("special token `{token}` is not in the vocabulary"))
        };
        let unk = id_of("[UNK]")?;
        let added = ADDED
            .iter()
            .map(|token| Ok((*token, id_of(token)?)))
            .collect::<Result<Vec<_>, String>>()?;
        Ok(WordPiece {
            vocab,
            continuation,
            unk,
            added,
            size,
        })
    }

    /// Number of ids (largest id + 1).
    pub fn vocab_size(&self) -> usize {
        self.size
    }

    /// The ids of the special tokens (`[PAD]`, `[UNK]`, `[CLS]`, `[SEP]`, `[MASK]`).
    pub fn special_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.added.iter().map(|(_, id)| *id)
    }

    /// Every `(token, id)` of the vocabulary, continuation pieces with their `##`.
    pub fn tokens(&self) -> Vec<(String, u32)> {
        let mut all: Vec<(String, u32)> = self
            .vocab
            .iter()
            .map(|(t, id)| (t.to_string(), *id))
            .chain(
                self.continuation
                    .iter()
                    .map(|(t, id)| (format!("##{t}"), *id)),
            )
            .collect();
        all.sort_by_key(|(_, id)| *id);
        all
    }

    /// The ids of `text` (no `[CLS]`/`[SEP]` around it), at most `limit` of them.
    pub fn encode(&self, text: &str, limit: usize) -> Vec<u32> {
        let mut ids = Vec::new();
        self.encode_into(text, limit, &mut Scratch::default(), &mut ids);
        ids
    }

    /// Appends the ids of `text` to `ids`, stopping after `limit` ids in all.
    pub fn encode_into(&self, text: &str, limit: usize, scratch: &mut Scratch, ids: &mut Vec<u32>) {
        if text.as_bytes().contains(&b'[') {
            let mut rest = text;
            while let Some((at, token, id)) = self.next_added(rest) {
                self.encode_segment(&rest[..at], limit, scratch, ids);
                if ids.len() < limit {
                    ids.push(id);
                }
                rest = &rest[at + token.len()..];
            }
            self.encode_segment(rest, limit, scratch, ids);
        } else {
            self.encode_segment(text, limit, scratch, ids);
        }
    }

    /// The first literal special token in `text` (leftmost, then longest).
    fn next_added(&self, text: &str) -> Option<(usize, &'static str, u32)> {
        self.added
            .iter()
            .filter_map(|(token, id)| text.find(token).map(|at| (at, *token, *id)))
            .min_by_key(|(at, token, _)| (*at, usize::MAX - token.len()))
    }

    fn encode_segment(&self, text: &str, limit: usize, scratch: &mut Scratch, ids: &mut Vec<u32>) {
        if ids.len() >= limit {
            return;
        }
        let normalized = &mut scratch.normalized;
        normalized.clear();
        if text.is_ascii() {
            for &b in text.as_bytes() {
                match b {
                    b'\t' | b'\n' | b'\r' | b' ' => normalized.push(' '),
                    0..=31 | 127 => {}
                    _ => normalized.push(b.to_ascii_lowercase() as char),
                }
            }
        } else {
            normalize_unicode(text, normalized);
        }
        // Pre-tokenise: split on white space (removed) and punctuation (kept alone).
        let mut start = None;
        for (at, c) in normalized.char_indices() {
            if c.is_whitespace() {
                if let Some(s) = start.take() {
                    self.word(&normalized[s..at], ids);
                }
            } else if is_bert_punctuation(c) {
                if let Some(s) = start.take() {
                    self.word(&normalized[s..at], ids);
                }
                self.word(&normalized[at..at + c.len_utf8()], ids);
            } else if start.is_none() {
                start = Some(at);
            }
            if ids.len() >= limit {
                ids.truncate(limit);
                return;
            }
        }
        if let Some(s) = start {
            self.word(&normalized[s..], ids);
        }
        ids.truncate(limit);
    }

    /// WordPiece on one word: greedy longest match, `[UNK]` for the whole word when a piece has
    /// no match or the word is too long.
    fn word(&self, word: &str, ids: &mut Vec<u32>) {
        if let Some(&id) = self.vocab.get(word) {
            ids.push(id);
            return;
        }
        if word.len() > MAX_WORD_CHARS && word.chars().count() > MAX_WORD_CHARS {
            ids.push(self.unk);
            return;
        }
        let first = ids.len();
        let mut start = 0;
        while start < word.len() {
            let table = if start == 0 {
                &self.vocab
            } else {
                &self.continuation
            };
            let mut end = word.len();
            let mut found = None;
            while start < end {
                if let Some(&id) = table.get(&word[start..end]) {
                    found = Some(id);
                    break;
                }
                end -= word[..end].chars().next_back().map_or(1, char::len_utf8);
            }
            match found {
                Some(id) => ids.push(id),
                None => {
                    ids.truncate(first);
                    ids.push(self.unk);
                    return;
                }
            }
            start = end;
        }
    }
}

/// BertNormalizer on non-ASCII text: drop NUL, U+FFFD and control characters, white space to a
/// space, spaces around CJK ideographs, canonical decomposition without non-spacing marks,
/// lower case.
fn normalize_unicode(text: &str, out: &mut String) {
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || is_control(c) {
            continue;
        }
        if is_whitespace(c) {
            out.push(' ');
            continue;
        }
        let chinese = is_chinese_char(c);
        if chinese {
            out.push(' ');
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            decompose_canonical(c, |d| {
                if !d.is_mark_nonspacing() {
                    out.extend(d.to_lowercase());
                }
            });
        }
        if chinese {
            out.push(' ');
        }
    }
}

fn is_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || c.is_whitespace()
}

fn is_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && c.is_other()
}

fn is_bert_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || (!c.is_ascii() && c.is_punctuation())
}

fn is_chinese_char(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF
        | 0x3400..=0x4DBF
        | 0x20000..=0x2A6DF
        | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F
        | 0x2B920..=0x2CEAF
        | 0xF900..=0xFAFF
        | 0x2F800..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> WordPiece {
        let json = r###"{"normalizer":{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":true},
            "pre_tokenizer":{"type":"BertPreTokenizer"},
            "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,
            "vocab":{"[PAD]":0,"[UNK]":1,"[CLS]":2,"[SEP]":3,"[MASK]":4,"llama":5,"un":6,"##able":7,"!":8,"cafe":9,"中":10}}}"###;
        WordPiece::from_json(json).unwrap()
    }

    #[test]
    fn splits_words_pieces_punctuation_and_specials() {
        let wp = tiny();
        assert_eq!(wp.encode("LLaMA unable!", 100), vec![5, 6, 7, 8]);
        assert_eq!(wp.encode("Café 中", 100), vec![9, 10]);
        assert_eq!(wp.encode("unx [SEP]llama", 100), vec![1, 3, 5]);
        assert_eq!(wp.encode("llama llama llama", 2), vec![5, 5]);
        assert_eq!(wp.vocab_size(), 11);
    }

    #[test]
    fn refuses_other_tokenizers() {
        let err = WordPiece::from_json(r#"{"normalizer":{"type":"NFC"}}"#).unwrap_err();
        assert!(err.contains("/normalizer/type"), "{err}");
    }
}
