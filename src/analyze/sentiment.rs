//! Sentiment in −1…1, VADER-style (Hutto & Gilbert 2014), with VADER's own lexicon.
//!
//! We take the 7,500-word lexicon from the `vader_sentiment` crate but score with our own
//! single pass over tokens the classifier has already made: the crate's `polarity_scores`
//! re-tokenises and allocates per word, and in the benchmark (`examples/analyze_bench.rs`) it
//! scored ~300k short titles/s on one core — as slow as our entire per-record annotation
//! (terms, sentiment, entities, phrases, language) on the same titles. The rules kept are
//! VADER's main ones: boosters and dampeners in the three words before, negation in the three
//! words before (×−0.74), ALL-CAPS emphasis, "but" shifting weight to the clause after it, and
//! exclamation marks; the compound score is VADER's normalisation `s / sqrt(s² + 15)`. Emoji
//! and idioms are not scored.

use std::sync::LazyLock;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use super::text::Token;

const BOOST: f32 = 0.293;
const CAPS_BOOST: f32 = 0.733;
const NEGATION: f32 = -0.74;
const NORMALISATION_ALPHA: f32 = 15.0;
/// Compound scores within ±0.05 are neutral (VADER's published cut-off).
pub const NEUTRAL_BAND: f32 = 0.05;

static VALENCE: LazyLock<FxHashMap<String, f32>> = LazyLock::new(|| {
    vader_sentiment::LEXICON
        .iter()
        .map(|(word, valence)| (word.to_lowercase(), *valence as f32))
        .collect()
});

static BOOSTERS: LazyLock<FxHashMap<&'static str, f32>> = LazyLock::new(|| {
    let up = "absolutely amazingly awfully completely considerably decidedly deeply enormously entirely especially \
              exceptionally extremely fabulously greatly highly hugely incredibly intensely majorly more most \
              particularly purely quite really remarkably so substantially thoroughly totally tremendously \
              unbelievably unusually utterly very";
    let down = "almost barely hardly kinda less little marginally occasionally partly scarcely slightly somewhat sorta";
    let mut map = FxHashMap::default();
    map.extend(up.split_whitespace().map(|w| (w, BOOST)));
    map.extend(down.split_whitespace().map(|w| (w, -BOOST)));
    map
});

static NEGATIONS: LazyLock<FxHashSet<&'static str>> = LazyLock::new(|| {
    "aint arent cannot cant couldnt darent didnt doesnt dont hadnt hasnt havent isnt mightnt mustnt neither \
     neednt never none nope nor not nothing nowhere oughtnt shant shouldnt wasnt werent without wont wouldnt \
     rarely seldom despite"
        .split_whitespace()
        .collect()
});

/// How a record reads: negative, neutral or positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SentimentLabel {
    Negative,
    Neutral,
    Positive,
}

impl SentimentLabel {
    /// The label of a compound score (neutral within ±[`NEUTRAL_BAND`]).
    pub fn of(compound: f32) -> SentimentLabel {
        if compound >= NEUTRAL_BAND {
            SentimentLabel::Positive
        } else if compound <= -NEUTRAL_BAND {
            SentimentLabel::Negative
        } else {
            SentimentLabel::Neutral
        }
    }
}

/// VADER's compound score for a text given its tokens, their lower-case forms and how many
/// exclamation marks it has.
pub fn compound(tokens: &[Token<'_>], lowered: &[&str], exclamations: usize) -> f32 {
    let mixed_case = tokens
        .iter()
        .any(|t| !t.is_all_caps() && t.text.chars().any(char::is_alphabetic));
    let but_at = lowered.iter().position(|w| *w == "but");
    // Deref the lazy tables once, not once per word.
    let (valences, boosters, negations) = (&*VALENCE, &*BOOSTERS, &*NEGATIONS);
    let mut sum = 0.0f32;
    for (i, word) in lowered.iter().enumerate() {
        let Some(&base) = valences.get(*word) else {
            continue;
        };
        if boosters.contains_key(word) {
            continue;
        }
        let mut valence = base;
        if mixed_case && tokens[i].is_all_caps() {
            valence += CAPS_BOOST.copysign(base);
        }
        for distance in 1..=3.min(i) {
            let before = lowered[i - distance];
            if let Some(&boost) = boosters.get(before) {
                let decay = [1.0, 0.95, 0.9][distance - 1];
                valence += boost.copysign(base) * decay;
            }
            if is_negation(negations, before) {
                valence *= NEGATION;
            }
        }
        valence *= match but_at {
            Some(b) if i < b => 0.5,
            Some(b) if i > b => 1.5,
            _ => 1.0,
        };
        sum += valence;
    }
    if sum != 0.0 {
        sum += (exclamations.min(4) as f32 * 0.292).copysign(sum);
    }
    (sum / (sum * sum + NORMALISATION_ALPHA).sqrt()).clamp(-1.0, 1.0)
}

/// The compound score of a text on its own (a sentence, a strand's record), tokenised here;
/// the classifier scores records with [`compound`] on the tokens it already has.
pub fn score(text: &str) -> f32 {
    let tokens = super::text::tokenize(text);
    let lowered: Vec<String> = tokens.iter().map(|t| t.text.to_lowercase()).collect();
    let refs: Vec<&str> = lowered.iter().map(String::as_str).collect();
    compound(&tokens, &refs, text.matches('!').count())
}

fn is_negation(negations: &FxHashSet<&'static str>, word: &str) -> bool {
    negations.contains(word) || word.ends_with("n't") || word.ends_with("n’t")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_vader_rules() {
        assert!(score("This model is great") > 0.5);
        assert!(score("This model is not great") < 0.0);
        assert!(score("This model is very great") > score("This model is great"));
        assert!(score("This model is GREAT") > score("This model is great"));
        assert!(score("great!!!") > score("great"));
        assert!(score("The demo was good but the release is terrible") < 0.0);
        assert_eq!(score("The model has 7 billion parameters"), 0.0);
        assert_eq!(
            SentimentLabel::of(score("Layoffs and lawsuits, a terrible week")),
            SentimentLabel::Negative
        );
    }

    /// Our scores agree in sign with the reference implementation on real headlines.
    #[test]
    fn agrees_with_reference_vader_on_sign() {
        let analyzer = vader_sentiment::SentimentIntensityAnalyzer::new();
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/hn-ai-digest/hn_ai_stories.jsonl"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let (mut agree, mut total) = (0, 0);
        for line in text.lines().take(400) {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let title = value["title"].as_str().unwrap();
            let reference = analyzer.polarity_scores(title)["compound"] as f32;
            let ours = score(title);
            total += 1;
            agree += (SentimentLabel::of(reference) == SentimentLabel::of(ours)) as usize;
        }
        assert!(agree * 100 >= total * 90, "{agree}/{total} labels agree");
    }
}
