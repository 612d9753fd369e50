//! Figures and lists as the offline writer's prose says them: "one post", "about four times",
//! "fourfold", "−0.31", "clearly negative", "A, B and C". Whole numbers go through
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
        r if r < 3.0 => "more than twice".to_string(),
        r if (r - r.round()).abs() < 0.05 => format!("{} times", number(&whole)),
        _ => format!("about {} times", number(&whole)),
    }
}

/// "fourfold", "14-fold", for rises of three times or more.
pub(super) fn fold(ratio: f64) -> String {
    let whole = format!("{ratio:.0}");
    match whole.parse::<u64>() {
        Ok(n) if n <= 9 => format!("{}fold", number_words(n)),
        _ => format!("{whole}-fold"),
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

/// A sentiment score with two decimals and a true minus sign.
pub(super) fn signed(score: f64) -> String {
    if score < 0.0 {
        format!("−{:.2}", -score)
    } else {
        format!("{score:.2}")
    }
}

/// A mean sentiment score in words.
pub(super) fn tone(score: f64) -> &'static str {
    match score {
        s if s <= -0.35 => "clearly negative",
        s if s <= -0.05 => "negative",
        s if s < 0.05 => "close to neutral",
        s if s < 0.35 => "positive",
        _ => "clearly positive",
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
        assert_eq!(fold(3.9), "fourfold");
        assert_eq!(fold(14.2), "14-fold");
        assert_eq!(decimal(2.0), "2");
        assert_eq!(signed(-0.314), "−0.31");
        assert_eq!(posts(1), "one post");
        assert_eq!(baseline_weeks(), "four");
        assert_eq!(content_words("anthropic wins fair"), 3);
        assert_eq!(content_words("the AI"), 0);
        assert_eq!(content_words("30b a3b"), 0);
    }
}
