//! Turning text into index terms. `search.js` holds the same rules (its `terms` function); both
//! sides must agree or queries miss, so the tests pin the shared cases.

/// Splits `text` into words (runs of Unicode alphabetic or numeric characters), lowercases each
/// and folds English plurals (see `stem`). Punctuation, spaces and symbols separate words and
/// are dropped.
pub fn terms(text: &str) -> impl Iterator<Item = String> + '_ {
    words(text).map(|word| {
        let mut term = String::new();
        normalise_into(word, &mut term);
        term
    })
}

/// Writes the term of one word into `out` (replacing its contents): lowercased, then stemmed.
/// The index builder reuses one buffer for every word, allocating only for new terms.
pub(super) fn normalise_into(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        out.push_str(word);
        out.make_ascii_lowercase();
    } else {
        // `str::to_lowercase` (not per char) handles a word-final sigma as JavaScript does.
        out.push_str(&word.to_lowercase());
    }
    stem(out);
}

/// The words of `text` as written (not lowercased or stemmed).
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_word_char(c))
        .filter(|word| !word.is_empty())
}

/// JavaScript's `/[\p{Alphabetic}\p{N}]/u`: Rust's `is_alphabetic` is the Alphabetic property
/// and `is_numeric` is the N category, so both sides split at the same characters.
fn is_word_char(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric()
}

/// A deliberately light English plural folding ("models" → "model", "companies" → "company"),
/// applied only to ASCII words so other languages are left alone. Prefix matching in the client
/// covers the other inflections ("model" also finds "modeling"); a full stemmer would conflate
/// more words than it helps on short titles, and would need a twin in JavaScript.
fn stem(word: &mut String) {
    if !word
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return;
    }
    if word.len() > 4 && word.ends_with("ies") {
        word.truncate(word.len() - 3);
        word.push('y');
        return;
    }
    let keeps_s = ["ss", "is"].iter().any(|end| word.ends_with(end));
    if word.len() > 3 && word.ends_with('s') && !keeps_s {
        word.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<String> {
        terms(text).collect()
    }

    #[test]
    fn splits_on_punctuation_and_lowercases() {
        assert_eq!(
            all("GPT-4o beats Llama3.1, says OpenAI!"),
            ["gpt", "4o", "beat", "llama3", "1", "say", "openai"]
        );
    }

    #[test]
    fn keeps_unicode_letters_and_digits_together() {
        assert_eq!(all("Künstliche Intelligenz"), ["künstliche", "intelligenz"]);
        assert_eq!(all("人工知能とは"), ["人工知能とは"]);
        assert_eq!(all("Ελληνικά ΔΟΚΙΜΉ"), ["ελληνικά", "δοκιμή"]);
        assert_eq!(all("٣ models"), ["٣", "model"]);
        assert_eq!(
            all("ΟΔΟΣ"),
            ["οδος"],
            "final sigma, as JavaScript's toLowerCase"
        );
    }

    #[test]
    fn folds_plurals_but_not_words_ending_in_s() {
        assert_eq!(all("companies GPUs chips"), ["company", "gpu", "chip"]);
        assert_eq!(
            all("class bus analysis gas"),
            ["class", "bus", "analysis", "gas"]
        );
        assert_eq!(all("ties its"), ["tie", "its"]);
        assert_eq!(all("modèles"), ["modèles"]);
    }

    #[test]
    fn markup_is_just_words() {
        assert_eq!(
            all("<script>alert(1)</script>"),
            ["script", "alert", "1", "script"]
        );
    }
}
