//! The strands of a conversation: a pack's records (posts, bodies, comments) grouped by meaning
//! into 2–4 strands, each named by its key phrases and carried by 1–2 verbatim quotes.
//!
//! 1. **Vectors.** Each record's words (title and own text) become a vector of the static
//!    embedding model the classifier loads (`embed::StaticModel`).
//! 2. **Groups.** Ward's agglomerative clustering over those vectors (deterministic: no seed,
//!    ties broken by position), cut at one group per [`RECORDS_PER_STRAND`] records, two to
//!    four; groups under [`min_strand`] records are left out, and with fewer than
//!    [`MIN_RECORDS`] records, or fewer than two groups left, all records form one strand. The
//!    cut is by size, not by silhouette: on real comment threads the mean silhouette was 0.08–0.28
//!    at every cut, with no elbow, and its best cut split off the smallest outlying group. Ward
//!    rather than average linkage: average linkage left one group holding nearly everything.
//! 3. **Names.** Class-based TF-IDF (BERTopic's c-TF-IDF): a word or two-word phrase weighs
//!    `tf(t, strand) / words(strand) × ln(1 + A / tf(t, all))`, `A` the mean words per strand,
//!    times the share of the term's uses that fall in the strand (with only 2–4 classes the
//!    logarithm alone let "model" name every strand of a model thread); a term must occur in
//!    two of the strand's records, and conversational filler never names one. The weight is
//!    also times the term's rarity across the stored records ([`Background`]), and a word in
//!    more than about one record in ten names no strand. A group no term names is no strand.
//! 4. **Quotes.** Candidate quotes are sentences (6–40 words) of the records' text — their own
//!    words: the pack leaves out the lines a record quotes from another (`text::own_text`) — or,
//!    for a record with no such sentence, its title, at a penalty of [`TITLE_PENALTY`]: bodies
//!    and comments come first, and the record's attention (its engagement percentile in the strand) adds up to
//!    [`ENGAGEMENT_BONUS`]. Maximal marginal relevance picks 1–2 per strand: that relevance,
//!    less [`1 − MMR_LAMBDA`](MMR_LAMBDA) times the closeness to any quote already chosen, in
//!    this strand or an earlier one, one quote per record.
//! 5. **Size and warmth.** Records and comments per strand; warmth is the mean VADER score of
//!    its records (`sentiment::score`), rounded to three decimals like all analysis figures.
//!
//! Every quote is a verbatim span of its record's `title` or `text` as the pack holds them
//! (checked before it is kept), so the grounding gate finds it word for word.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, BuildHasherDefault};
use std::sync::LazyLock;

use rayon::prelude::*;
use regex::Regex;
use rustc_hash::{FxHashMap, FxHashSet, FxHasher};

use super::embed::{cosine, StaticModel};
use super::sentiment;
use super::text::{is_stopword, tokenize};
use crate::model::evidence::{EvidenceRecord, Strand, StrandQuote};
use crate::model::Record;
use crate::text::possessive_stem;

/// How common each word is across the stored conversation, so a strand is named by what sets
/// it apart: a word every conversation uses ("available", "billion", "means") names none.
///
/// It counts the records holding each word among a sample of at most [`Background::SAMPLE`]
/// records, chosen by a hash of their ids (the same store gives the same sample in any order).
/// Empty, it weighs every word alike.
#[derive(Debug, Default)]
pub struct Background {
    records: u32,
    holding: FxHashMap<String, u32>,
}

impl Background {
    /// Most records counted: enough to tell a word in one record of ten from a rare one, and
    /// cheap on every run.
    pub const SAMPLE: usize = 8_000;

    /// The background of `records` (the title and the opening of the text of each).
    pub fn of(records: &[Record]) -> Background {
        let stride = records.len().div_ceil(Self::SAMPLE).max(1) as u64;
        let hasher = BuildHasherDefault::<FxHasher>::default();
        let sample: Vec<&Record> = records
            .iter()
            .filter(|r| hasher.hash_one(r.id.as_str()) % stride == 0)
            .collect();
        let holding = sample
            .par_iter()
            .fold(
                FxHashMap::default,
                |mut counts: FxHashMap<String, u32>, record| {
                    // The raw text will do for counting words, and costs no cleaning.
                    let text = crate::text::cut_at_word(&record.text, MAX_BACKGROUND_CHARS);
                    let distinct: FxHashSet<String> = [record.title.as_str(), text]
                        .into_iter()
                        .flat_map(tokenize)
                        .map(|t| t.text.to_lowercase())
                        .filter(|lower| is_content_word(lower))
                        .map(|lower| possessive_stem(&lower).to_string())
                        .collect();
                    for word in distinct {
                        *counts.entry(word).or_default() += 1;
                    }
                    counts
                },
            )
            .reduce(FxHashMap::default, |mut a, b| {
                for (word, n) in b {
                    *a.entry(word).or_default() += n;
                }
                a
            });
        Background {
            records: sample.len() as u32,
            holding,
        }
    }

    /// 0…1: how rare `term` is: `ln((N + 1) / (n + 1)) / ln(N + 1)`, `n` of the `N` sampled
    /// records holding the word, and for a phrase that of its rarer word ("mental health" is
    /// as particular as "mental"); 1 for every term when empty.
    fn rarity(&self, term: &str) -> f64 {
        if self.records == 0 {
            return 1.0;
        }
        let all = f64::from(self.records) + 1.0;
        term.split(' ')
            .map(|w| {
                let holding = f64::from(self.holding.get(w).copied().unwrap_or(0));
                (all / (holding + 1.0)).ln() / all.ln()
            })
            .fold(0.0, f64::max)
    }
}

/// Fewest records split into strands; below this a pack has one strand.
pub const MIN_RECORDS: usize = 8;
/// Most strands a pack has.
pub const MAX_STRANDS: usize = 4;
/// Records per strand the cut aims at: 20 records make two strands, 40 or more four.
const RECORDS_PER_STRAND: usize = 10;
/// Relevance against novelty in maximal marginal relevance (Carbonell & Goldstein's λ); 0.7
/// keeps quotes on the strand's subject while refusing near-repeats.
const MMR_LAMBDA: f32 = 0.7;
/// Subtracted from a title's closeness to its strand: a post's own words or a comment say
/// more of what people think than a headline does.
const TITLE_PENALTY: f32 = 0.15;
/// Added to a quote's relevance for the most engaged record of its strand (scaled by percentile):
/// among equally central lines, the one readers upvoted speaks for more of them.
const ENGAGEMENT_BONUS: f32 = 0.1;
/// Subtracted from a quote shorter than [`SHORT_QUOTE_WORDS`] (a short line is seldom the point)
/// or longer than [`LONG_QUOTE_WORDS`] (a reader skims it).
const SHORT_QUOTE_WORDS: usize = 10;
const LONG_QUOTE_WORDS: usize = 30;
const LENGTH_PENALTY: f32 = 0.05;
/// How much of a record's text the background reads: its opening says what it is about.
const MAX_BACKGROUND_CHARS: usize = 600;

/// Least [`Background::rarity`] of a term that names a strand: with the full sample, a word
/// held by more than about one record in ten ("were", "model" on a model forum) names none.
const MIN_RARITY: f64 = 0.25;
/// Key phrases kept per strand.
const MAX_TERMS: usize = 3;

/// Words that recur in any conversation and say nothing of what it is about: English function
/// words beyond the analysis's stop words, and the small talk of comment threads.
const FILLER: &[&str] = &[
    "all",
    "its",
    "our",
    "your",
    "their",
    "theirs",
    "his",
    "her",
    "him",
    "she",
    "them",
    "which",
    "when",
    "where",
    "there",
    "here",
    "then",
    "than",
    "very",
    "too",
    "only",
    "over",
    "out",
    "off",
    "down",
    "can",
    "may",
    "might",
    "must",
    "shall",
    "because",
    "while",
    "since",
    "though",
    "although",
    "just",
    "like",
    "really",
    "think",
    "know",
    "get",
    "gets",
    "got",
    "would",
    "could",
    "should",
    "also",
    "even",
    "much",
    "many",
    "one",
    "ones",
    "thing",
    "things",
    "way",
    "lot",
    "lots",
    "still",
    "yeah",
    "yes",
    "well",
    "actually",
    "pretty",
    "probably",
    "maybe",
    "sure",
    "good",
    "great",
    "better",
    "best",
    "make",
    "makes",
    "made",
    "want",
    "need",
    "use",
    "used",
    "using",
    "see",
    "say",
    "said",
    "says",
    "going",
    "try",
    "tried",
    "time",
    "people",
    "something",
    "anything",
    "everything",
    "nothing",
    "someone",
    "anyone",
    "every",
    "any",
    "some",
    "these",
    "those",
    "they're",
    "it's",
    "i'm",
    "don't",
    "doesn't",
    "can't",
    "isn't",
    "that's",
    "you're",
    "i've",
    "i'd",
    "what's",
    "there's",
    "won't",
    "didn't",
    "lol",
    "now",
    "new",
    "more",
    "most",
    "other",
    "others",
    "first",
    "last",
    "right",
    "being",
    "been",
    "does",
    "did",
    "doing",
    "had",
    "same",
    "back",
    "look",
    "looks",
    "seems",
    "seem",
    "kind",
    "bit",
    "take",
    "give",
    "come",
    "comes",
    "let",
    "let's",
    "why",
    "how",
    "what",
    "who",
    "yet",
    "already",
    "again",
    "ever",
    "never",
    "always",
    "least",
    "less",
    "own",
    "both",
    "each",
    "few",
    "such",
    "able",
    "far",
    "else",
    "etc",
    "via",
    "per",
    "edit",
    "deleted",
    "removed",
    "everyone",
    "everybody",
    "huh",
    "okay",
    "thanks",
    "please",
    "were",
    "another",
    "gonna",
    "kinda",
    "wanna",
    "gotta",
    "sorta",
    "lmao",
    "imo",
    "tbh",
    "thank",
    "wow",
    "damn",
    "guys",
    "literally",
    "basically",
    "definitely",
    "exactly",
    "totally",
    "whole",
    "point",
    "part",
    "case",
    "fact",
    "today",
    "year",
    "years",
    "shit",
    "fuck",
    "fucking",
    "crap",
    "hell",
    "ass",
    "truly",
    // Prepositions and conjunctions the stop words leave ("comparison between").
    "around",
    "after",
    "before",
    "whether",
    "between",
    "across",
    "within",
    "without",
    "against",
    "during",
    "toward",
    "towards",
    "upon",
    "behind",
    "beyond",
    "along",
    "among",
    "onto",
    "through",
    // Verbs of reporting and opinion, which headlines and replies wrap around the subject
    // ("OpenAI announces", "anthropic accuses").
    "believe",
    "believes",
    "announces",
    "announced",
    "accuses",
    "accused",
    "partnered",
    "unveils",
    "unveiled",
    "reveals",
    "revealed",
    "launches",
    "claims",
    "claimed",
    "reportedly",
    "whatever",
    "insane",
    "fine",
    "ways",
    // The vocabulary of the forum itself and of time, which every thread shares.
    "comment",
    "comments",
    "post",
    "posts",
    "thread",
    "threads",
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "bring",
    "brings",
];

/// Endings of web addresses left in comments ("huggingface.co"): no strand is named after one.
const DOMAINS: [&str; 8] = [".com", ".co", ".org", ".io", ".net", ".ai", ".dev", ".app"];

/// The smallest group that counts as a strand among `n` records.
pub fn min_strand(n: usize) -> usize {
    (n / 10).max(2)
}

/// The strands of `records` (the pack's, in pack order), largest first.
/// `subject` is the signal's subject: a strand is never named after what the whole story is about.
/// `background` weighs the words that name them.
pub fn find(
    records: &[EvidenceRecord],
    subject: &str,
    model: &StaticModel,
    background: &Background,
) -> Vec<Strand> {
    let texts: Vec<String> = records.iter().map(EvidenceRecord::words).collect();
    let flat = model.embed_batch(&texts);
    let dim = model.dim();
    let vectors: Vec<&[f32]> = flat.chunks(dim).collect();
    // A record with no known token has a zero vector and no meaning to group by.
    let usable: Vec<usize> = (0..records.len())
        .filter(|&i| vectors[i].iter().any(|x| *x != 0.0))
        .collect();
    if usable.is_empty() {
        return Vec::new();
    }
    let points: Vec<&[f32]> = usable.iter().map(|&i| vectors[i]).collect();
    let groups: Vec<Vec<usize>> = group(&points)
        .into_iter()
        .map(|g| g.into_iter().map(|p| usable[p]).collect())
        .collect();
    let communities: Vec<&str> = records
        .iter()
        .filter_map(|r| r.community.as_deref())
        .collect();
    let names = name_groups(&texts, &groups, subject, &communities, background);
    let named = names.iter().filter(|n| !n.is_empty()).count();
    let (groups, names): (Vec<Vec<usize>>, Vec<Vec<String>>) = groups
        .into_iter()
        .zip(names)
        .filter(|(_, n)| !n.is_empty() || named == 0)
        .unzip();
    let mut chosen_quotes: Vec<Vec<f32>> = Vec::new();
    let mut strands: Vec<(Strand, i64)> = Vec::new();
    for (group, terms) in groups.iter().zip(names) {
        let centre = centroid(group.iter().map(|&i| vectors[i]), dim);
        let mut order = group.clone();
        order.sort_by(|&a, &b| {
            cosine(vectors[b], &centre)
                .total_cmp(&cosine(vectors[a], &centre))
                .then(records[a].id.cmp(&records[b].id))
        });
        let quotes = pick_quotes(records, &order, &centre, model, &mut chosen_quotes);
        let warmth = order
            .iter()
            .map(|&i| f64::from(sentiment::score(&texts[i])))
            .sum::<f64>()
            / order.len() as f64;
        let attention = order.iter().map(|&i| records[i].engagement.total()).sum();
        strands.push((
            Strand {
                terms,
                comments: order.iter().filter(|&&i| records[i].is_comment()).count() as u64,
                records: order.iter().map(|&i| records[i].id.clone()).collect(),
                warmth: (warmth * 1000.0).round() / 1000.0,
                quotes,
            },
            attention,
        ));
    }
    strands.sort_by(|a, b| {
        b.0.records
            .len()
            .cmp(&a.0.records.len())
            .then(b.1.cmp(&a.1))
            .then(a.0.records[0].cmp(&b.0.records[0]))
    });
    strands.into_iter().map(|(s, _)| s).collect()
}

/// The groups of `points` (indices into it), each sorted; see the module docs.
fn group(points: &[&[f32]]) -> Vec<Vec<usize>> {
    let n = points.len();
    let everything = || vec![(0..n).collect::<Vec<_>>()];
    if n < MIN_RECORDS {
        return everything();
    }
    let k = (n / RECORDS_PER_STRAND).clamp(2, MAX_STRANDS);
    let labels = &ward_cuts(points)[k - 2];
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, label) in labels.iter().enumerate() {
        groups.entry(*label).or_default().push(i);
    }
    let smallest = min_strand(n);
    let kept: Vec<Vec<usize>> = groups
        .into_values()
        .filter(|g| g.len() >= smallest)
        .collect();
    if kept.len() < 2 {
        everything()
    } else {
        kept
    }
}

/// Ward's clustering of `points` by Lance–Williams updates of squared Euclidean distances;
/// the cluster label of every point at 2, 3 and 4 clusters (in that order).
fn ward_cuts(points: &[&[f32]]) -> Vec<Vec<usize>> {
    let n = points.len();
    let mut distance = vec![vec![0.0f64; n]; n];
    for i in 0..n {
        for j in i + 1..n {
            let d: f64 = points[i]
                .iter()
                .zip(points[j])
                .map(|(a, b)| f64::from(a - b).powi(2))
                .sum();
            distance[i][j] = d;
            distance[j][i] = d;
        }
    }
    let mut size = vec![1usize; n];
    let mut alive = vec![true; n];
    let mut label: Vec<usize> = (0..n).collect();
    let mut cuts: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for clusters in (2..n).rev() {
        let mut closest: Option<(f64, usize, usize)> = None;
        for i in (0..n).filter(|&i| alive[i]) {
            for j in (i + 1..n).filter(|&j| alive[j]) {
                if closest.is_none_or(|(d, _, _)| distance[i][j] < d) {
                    closest = Some((distance[i][j], i, j));
                }
            }
        }
        let Some((dij, i, j)) = closest else { break };
        for k in (0..n).filter(|&k| alive[k] && k != i && k != j) {
            let (ni, nj, nk) = (size[i] as f64, size[j] as f64, size[k] as f64);
            let updated = ((ni + nk) * distance[i][k] + (nj + nk) * distance[j][k] - nk * dij)
                / (ni + nj + nk);
            distance[i][k] = updated;
            distance[k][i] = updated;
        }
        size[i] += size[j];
        alive[j] = false;
        for l in label.iter_mut().filter(|l| **l == j) {
            *l = i;
        }
        // `clusters` remain after this merge.
        if clusters <= MAX_STRANDS {
            cuts.insert(clusters, label.clone());
        }
    }
    (2..=MAX_STRANDS).filter_map(|k| cuts.remove(&k)).collect()
}

/// The unit mean of some vectors.
fn centroid<'a>(vectors: impl Iterator<Item = &'a [f32]>, dim: usize) -> Vec<f32> {
    let mut sum = vec![0.0f32; dim];
    for v in vectors {
        for (s, x) in sum.iter_mut().zip(v) {
            *s += x;
        }
    }
    let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        sum.iter_mut().for_each(|x| *x /= norm);
    }
    sum
}

/// Web addresses, whose pieces ("preview", "webp", "width") are no words of anyone's, and the
/// LaTeX commands of abstracts (`\texttt`).
static NOT_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:redd\.it|imgur\.com)\S*|\\[a-zA-Z]+").unwrap()
});

/// A term of a text: one content word, or two adjacent ones, lower case.
fn terms_of(text: &str) -> Vec<(String, String)> {
    // Blanked rather than removed, so every word keeps its place in the text.
    let blanked = NOT_WORDS.replace_all(text, |m: &regex::Captures| " ".repeat(m[0].len()));
    let text: &str = &blanked;
    let tokens = tokenize(text);
    let content: Vec<Option<(String, &str)>> = tokens
        .iter()
        .map(|t| {
            let lower = t.text.to_lowercase();
            is_content_word(&lower).then_some((lower, t.text))
        })
        .collect();
    // A capital that only opens a sentence is no part of a name's spelling.
    let opens_sentence = |i: usize| {
        let at = tokens[i].text.as_ptr() as usize - text.as_ptr() as usize;
        text[..at]
            .trim_end_matches([' ', '"', '“', '(', '*'])
            .chars()
            .next_back()
            .is_none_or(|c| matches!(c, '.' | '!' | '?' | ':' | '\n'))
    };
    let mut found = Vec::new();
    for (i, token) in content.iter().enumerate() {
        let Some((lower, surface)) = token else {
            continue;
        };
        let (lower, surface) = (possessive_stem(lower).to_string(), possessive_stem(surface));
        let lower = &lower;
        // Its spelling tells nothing when a sentence opens with it ("Creative writing has…").
        let surface = if opens_sentence(i) && surface.chars().skip(1).all(|c| !c.is_uppercase()) {
            ""
        } else {
            surface
        };
        found.push((lower.clone(), surface.to_string()));
        if let Some(Some((next, next_surface))) = content.get(i + 1) {
            let (next, next_surface) = (possessive_stem(next), possessive_stem(next_surface));
            if !tokens[i + 1].after_break {
                let spelled = if surface.is_empty() {
                    String::new()
                } else {
                    format!("{surface} {next_surface}")
                };
                found.push((format!("{lower} {next}"), spelled));
            }
        }
    }
    found
}

/// Nouns and names that end like an adverb.
const NOT_ADVERBS: [&str; 10] = [
    "supply",
    "family",
    "assembly",
    "anomaly",
    "monopoly",
    "reply",
    "apply",
    "italy",
    "rally",
    "butterfly",
];

/// An adverb by its ending ("highly", "fundamentally"): it says how, never what about.
fn is_adverb(lower: &str) -> bool {
    lower.len() >= 5 && lower.ends_with("ly") && !NOT_ADVERBS.contains(&lower)
}

/// [`FILLER`] as a set: it is asked about every word of every record the background reads.
static FILLER_SET: LazyLock<FxHashSet<&'static str>> =
    LazyLock::new(|| FILLER.iter().copied().collect());

/// Whether a lower-case word may be part of a term: a word of three letters or more that is no
/// stop word, filler, adverb, contraction or piece of a web address.
fn is_content_word(lower: &str) -> bool {
    lower.chars().filter(|c| c.is_alphabetic()).count() >= 3
        && !is_filler(lower)
        && !lower.starts_with("http")
        && !lower.starts_with("www")
        && !DOMAINS.iter().any(|d| {
            lower.ends_with(d)
                || lower
                    .match_indices(d)
                    .any(|(at, _)| lower[at + d.len()..].starts_with('/'))
        })
}

/// A lower-case word that says nothing of what a text is about: a stop word, informal filler
/// ([`FILLER`]), an adverb or a contraction.
pub fn is_filler(lower: &str) -> bool {
    let stem = possessive_stem(lower);
    is_stopword(stem) || FILLER_SET.contains(stem) || is_adverb(lower) || is_contraction(lower)
}

/// A contraction ("they'll", "don't", "I'm"): function words run together, never a topic.
fn is_contraction(lower: &str) -> bool {
    possessive_stem(lower).contains(['\'', '’'])
}

/// Each group's key phrases by class-based TF-IDF (see the module docs), in its most common
/// spelling.
///
/// No strand is named after what the whole story is about (`subject`, or a phrase made only of
/// its words), nor with the name of a community it was said in ("LocalLLaMA leaderboard" in
/// r/LocalLLaMA).
fn name_groups(
    texts: &[String],
    groups: &[Vec<usize>],
    subject: &str,
    communities: &[&str],
    background: &Background,
) -> Vec<Vec<String>> {
    let words_of = |phrase: &str| -> Vec<String> {
        tokenize(phrase)
            .iter()
            .map(|t| possessive_stem(&t.text.to_lowercase()).to_string())
            .collect()
    };
    let subject_words = words_of(subject);
    let community_words: Vec<String> = communities
        .iter()
        .flat_map(|c| words_of(c.trim_start_matches("r/")))
        .collect();
    let unnamed = |term: &str| {
        term.split(' ')
            .all(|w| subject_words.iter().any(|s| s == w))
            || term
                .split(' ')
                .any(|w| community_words.iter().any(|c| c == w))
    };
    // term → (per group: occurrences, records holding it); spellings per term.
    let mut counts: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    let mut spellings: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut words = vec![0usize; groups.len()];
    for (g, group) in groups.iter().enumerate() {
        for &i in group {
            let found = terms_of(&texts[i]);
            let mut seen: Vec<&str> = Vec::new();
            for (lower, surface) in &found {
                words[g] += usize::from(!lower.contains(' '));
                let entry = counts
                    .entry(lower.clone())
                    .or_insert_with(|| vec![(0, 0); groups.len()]);
                entry[g].0 += 1;
                if !seen.contains(&lower.as_str()) {
                    entry[g].1 += 1;
                    seen.push(lower);
                }
                let spelled = spellings.entry(lower.clone()).or_default();
                if !surface.is_empty() {
                    *spelled.entry(surface.clone()).or_default() += 1;
                }
            }
        }
    }
    let mean_words = words.iter().sum::<usize>() as f64 / groups.len() as f64;
    (0..groups.len())
        .map(|g| {
            let mut ranked: Vec<(f64, &String)> = counts
                .iter()
                .filter(|(term, per)| {
                    per[g].1 >= 2 && !unnamed(term) && background.rarity(term) >= MIN_RARITY
                })
                .map(|(term, per)| {
                    let all: usize = per.iter().map(|(n, _)| n).sum();
                    let tf = per[g].0 as f64 / words[g].max(1) as f64;
                    // With 2–4 classes the IDF part barely discounts a word every strand uses,
                    // so the weight is also the share of the term's uses in this strand.
                    let share = per[g].0 as f64 / all as f64;
                    let weight = tf * (1.0 + mean_words / all as f64).ln() * share;
                    // A two-word phrase names a strand better than either word alone.
                    let phrase_bonus = if term.contains(' ') { 1.5 } else { 1.0 };
                    let rarity = background.rarity(term);
                    (weight * phrase_bonus * rarity, term)
                })
                .collect();
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
            let mut chosen: Vec<&String> = Vec::new();
            for (_, term) in ranked {
                // "model" and "models" are one word here, and so are the versions of one
                // name ("qwen3.6" and "qwen3.6-35b-a3b").
                let stem = |w: &str| {
                    let family = w.split(['-', '.']).next().unwrap_or(w);
                    if family.len() >= 3 { family } else { w }
                        .trim_end_matches('s')
                        .to_string()
                };
                let overlaps = chosen.iter().any(|c| {
                    c.split(' ')
                        .any(|w| term.split(' ').any(|t| stem(t) == stem(w)))
                });
                if !overlaps {
                    chosen.push(term);
                }
                if chosen.len() == MAX_TERMS {
                    break;
                }
            }
            chosen
                .into_iter()
                .map(|term| most_common_spelling(term, &spellings[term]))
                .collect()
        })
        .collect()
}

/// The spelling used most away from a sentence's start, on a tie the first in byte order
/// (capitals before small letters); the term itself when it only ever opened sentences.
fn most_common_spelling(term: &str, spellings: &BTreeMap<String, usize>) -> String {
    spellings
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map_or_else(|| term.to_string(), |(s, _)| s.clone())
}

/// A sentence a strand may quote, from one record.
struct Candidate<'a> {
    member: usize,
    text: &'a str,
    vector: Vec<f32>,
    /// Closeness to the strand's centre, less the penalties.
    relevance: f32,
}

/// 1–2 quotes for the strand whose members are `order` (most central first); `chosen` holds
/// the vectors of quotes already taken by earlier strands and gains this strand's.
fn pick_quotes(
    members: &[EvidenceRecord],
    order: &[usize],
    centre: &[f32],
    model: &StaticModel,
    chosen: &mut Vec<Vec<f32>>,
) -> Vec<StrandQuote> {
    let mut totals: Vec<i64> = order
        .iter()
        .map(|&i| members[i].engagement.total())
        .collect();
    totals.sort_unstable();
    let percentile = |total: i64| -> f32 {
        if totals.len() < 2 {
            return 0.0;
        }
        totals.partition_point(|&t| t < total) as f32 / (totals.len() - 1) as f32
    };
    let mut candidates: Vec<Candidate> = Vec::new();
    for &i in order {
        let record = &members[i];
        let attention = ENGAGEMENT_BONUS * percentile(record.engagement.total());
        let mut own: Vec<&str> = crate::text::sentences(&record.text)
            .into_iter()
            .filter(|s| crate::text::quotable(s))
            .collect();
        let mut penalty = 0.0;
        if own.is_empty() && crate::text::quotable(&record.title) {
            own.push(&record.title);
            penalty = TITLE_PENALTY;
        }
        for text in own {
            let vector = model.embed(text);
            let words = text.split_whitespace().count();
            let short = if !(SHORT_QUOTE_WORDS..=LONG_QUOTE_WORDS).contains(&words) {
                LENGTH_PENALTY
            } else {
                0.0
            };
            candidates.push(Candidate {
                member: i,
                text,
                relevance: cosine(&vector, centre) - penalty - short + attention,
                vector,
            });
        }
    }
    let wanted = if order.len() >= 3 { 2 } else { 1 };
    let mut quotes: Vec<StrandQuote> = Vec::new();
    let mut used: Vec<usize> = Vec::new();
    while quotes.len() < wanted {
        let best = candidates
            .iter()
            .filter(|c| !used.contains(&c.member))
            .map(|c| {
                let redundancy = chosen
                    .iter()
                    .map(|q| cosine(q, &c.vector))
                    .fold(0.0f32, f32::max);
                (
                    MMR_LAMBDA * c.relevance - (1.0 - MMR_LAMBDA) * redundancy,
                    c,
                )
            })
            .max_by(|a, b| {
                a.0.total_cmp(&b.0)
                    .then(members[b.1.member].id.cmp(&members[a.1.member].id))
                    .then(b.1.text.cmp(a.1.text))
            });
        let Some((_, best)) = best else { break };
        used.push(best.member);
        chosen.push(best.vector.clone());
        quotes.push(StrandQuote {
            record: members[best.member].id.clone(),
            text: best.text.to_string(),
        });
    }
    quotes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ward_cuts_separate_obvious_groups() {
        let a = [1.0f32, 0.0, 0.0];
        let b = [0.9f32, 0.1, 0.0];
        let c = [0.0f32, 1.0, 0.0];
        let d = [0.1f32, 0.9, 0.0];
        let e = [0.0f32, 0.0, 1.0];
        let points: Vec<&[f32]> = vec![&a, &b, &c, &d, &e];
        let cuts = ward_cuts(&points);
        assert_eq!(cuts.len(), 3);
        let three = &cuts[1];
        assert_eq!(three[0], three[1]);
        assert_eq!(three[2], three[3]);
        assert_ne!(three[0], three[2]);
        assert_ne!(three[4], three[0]);
    }

    #[test]
    fn terms_skip_filler_and_pair_adjacent_words() {
        let terms: Vec<String> = terms_of("I just think the context length, really matters")
            .into_iter()
            .map(|(lower, _)| lower)
            .collect();
        assert_eq!(terms, ["context", "context length", "length", "matters"]);
    }

    #[test]
    fn terms_skip_adverbs_prepositions_and_reporting_verbs() {
        let terms: Vec<String> =
            terms_of("OpenAI announces a comparison between models, fundamentally")
                .into_iter()
                .map(|(lower, _)| lower)
                .collect();
        assert_eq!(terms, ["openai", "comparison", "models"]);
    }

    #[test]
    fn terms_skip_addresses_latex_and_contractions() {
        let terms: Vec<String> = terms_of(
            "They'll test \\texttt{Qwen} https://preview.redd.it/a.png?width=640&auto=webp daily",
        )
        .into_iter()
        .map(|(lower, _)| lower)
        .collect();
        assert_eq!(terms, ["test", "qwen"]);
    }

    #[test]
    fn words_common_everywhere_name_no_strand() {
        let texts: Vec<String> = [
            "The Radeon driver is available now and the Radeon card is too",
            "Radeon support is available in the new build",
            "Pricing is available on the site, pricing starts low",
            "The pricing page says it is available worldwide",
        ]
        .map(String::from)
        .to_vec();
        let groups = vec![vec![0, 1], vec![2, 3]];
        let plain = name_groups(&texts, &groups, "AMD", &[], &Background::default());
        assert!(plain.iter().flatten().any(|t| t == "available"));
        // "available" in 40 of 100 records read, "radeon" and "pricing" in one each.
        let background = Background {
            records: 100,
            holding: [("available", 40), ("radeon", 1), ("pricing", 1)]
                .map(|(w, n)| (w.to_string(), n))
                .into_iter()
                .collect(),
        };
        let names = name_groups(&texts, &groups, "AMD", &[], &background);
        assert_eq!(names[0][0], "Radeon");
        assert_eq!(names[1][0], "pricing");
        assert!(names.iter().flatten().all(|t| !t.contains("available")));
    }

    #[test]
    fn strands_are_not_named_after_the_subject_or_the_community() {
        let texts: Vec<String> = [
            "Qwen tops the LocalLLaMA leaderboard again",
            "The LocalLLaMA leaderboard has Qwen first",
            "Quantization of Qwen loses little at four bits",
            "Quantization at four bits is fine for Qwen",
        ]
        .map(String::from)
        .to_vec();
        let groups = vec![vec![0, 1], vec![2, 3]];
        let names = name_groups(
            &texts,
            &groups,
            "Qwen",
            &["r/LocalLLaMA"],
            &Background::default(),
        );
        assert_eq!(names[0], ["leaderboard"]);
        // Seen only at sentence starts, a word keeps its lower-case spelling.
        assert!(names[1].contains(&"quantization".to_string()));
        let all: Vec<&String> = names.iter().flatten().collect();
        assert!(all.iter().all(
            |t| !t.to_lowercase().contains("qwen") && !t.to_lowercase().contains("localllama")
        ));
    }
}
