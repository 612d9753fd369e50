//! The offline writer: a deterministic analyst that needs no model. It writes only what the
//! evidence pack holds — what rose and by how much, where, who said what, how platforms differ,
//! what names recur, how the story unfolded — quoting records word for word with footnotes.
//!
//! Sentence shapes vary between stories: each slot has a few phrasings and the one used is
//! chosen by a hash of the pack's topic, so the same evidence always reads the same way.
//!
//! This file holds the paragraphs and their order; the phrasings that vary are data in
//! [`phrasebook`], quoting records (and naming where they came from) is [`quotes`], and figures
//! and lists in words are [`words`].

mod phrasebook;
mod quotes;
mod words;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::draft::Draft;
use super::grounding::PARAGRAPHS;
use crate::model::evidence::{EvidencePack, EvidenceRecord, TermCount, Window};
use crate::model::{SignalKind, Source};
use crate::text::{content_words, escape_markdown, number_words};
use phrasebook::{fill, Needs, Phrasings};
use quotes::{community_name, tidy};
use words::{baseline_weeks, capitalise, decimal, fold, join_and, multiple, posts, signed, tone};

/// Writes the story for `pack`. Always passes the grounding gate (tests hold it to that).
pub fn write(pack: &EvidencePack) -> Draft {
    let mut writer = Writer {
        pack,
        subject: subject_of(pack),
        used: BTreeSet::new(),
    };
    let mut paragraphs: Vec<String> = Vec::new();
    paragraphs.push(writer.the_rise());
    paragraphs.push(writer.where_it_happened());
    paragraphs.push(writer.who_said_what());
    paragraphs.extend(writer.how_platforms_differ());
    paragraphs.extend(writer.recurring_names());
    paragraphs.extend(writer.how_it_unfolded());
    if paragraphs.len() < *PARAGRAPHS.start() {
        // Thin evidence (few records, one platform, no sentiment): say what it rests on.
        paragraphs.push(writer.about_the_evidence());
    }
    paragraphs.truncate(*PARAGRAPHS.end());
    let body = tidy(&paragraphs.join("\n\n"));
    let mut citations: Vec<String> = Vec::new();
    for label in super::grounding::footnote_labels(&body) {
        if !citations.iter().any(|c| c == label) {
            citations.push(label.to_string());
        }
    }
    Draft {
        headline: writer.headline(),
        dek: writer.dek(),
        body,
        citations,
    }
}

struct Writer<'a> {
    pack: &'a EvidencePack,
    /// The signal's subject as the story names it (see [`subject_of`]).
    subject: String,
    /// Records already quoted, so each voice is heard once.
    used: BTreeSet<&'a str>,
}

impl<'a> Writer<'a> {
    /// The phrasing `set` has for this topic, its figures filled in from `values`.
    fn phrase(&self, set: &Phrasings, values: &[(&str, &str)]) -> String {
        self.phrase_if(set, |_| true, values)
    }

    /// As [`Writer::phrase`], where `met` says which of a phrasing's needs the evidence meets.
    fn phrase_if(
        &self,
        set: &Phrasings,
        met: impl Fn(Needs) -> bool,
        values: &[(&str, &str)],
    ) -> String {
        debug_assert!(
            values.iter().all(|(name, _)| set.names.contains(name)),
            "{}: a value the set does not declare",
            set.slot
        );
        fill(set.choose(&self.pack.topic, met), values)
    }

    /// The subject as Markdown text, for the body.
    fn subject_md(&self) -> String {
        escape_markdown(self.subject())
    }

    fn subject(&self) -> &str {
        &self.subject
    }

    /// Platforms by candidate records, most first (ties by name).
    fn platforms_by_size(&self) -> Vec<(Source, u64)> {
        let mut platforms: Vec<(Source, u64)> = self
            .pack
            .platforms
            .iter()
            .map(|(s, p)| (*s, p.records))
            .collect();
        platforms.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        platforms
    }

    fn headline(&self) -> String {
        let pack = self.pack;
        let subject = capitalise(self.subject());
        if pack.signal.kind == SignalKind::Divergence {
            if let Some(((warm, high), (cool, low))) = self.sentiment_extremes() {
                if high - low >= SAME_TONE {
                    return self.phrase(
                        &phrasebook::HEADLINE_DIVERGENCE,
                        &[
                            ("subject", self.subject()),
                            ("warm", warm.display_name()),
                            ("cool", cool.display_name()),
                        ],
                    );
                }
            }
        }
        let window = pack.volume.window();
        let posts = posts(window.records);
        let within = format!("in a {}", window.window.unit());
        let leader = self.leader().map(Source::display_name);
        let beat = pack.beat.name.to_lowercase();
        let values = [
            ("subject", self.subject()),
            ("Subject", subject.as_str()),
            ("posts", posts.as_str()),
            ("within", within.as_str()),
            ("leader", leader.unwrap_or_default()),
            ("beat", beat.as_str()),
        ];
        let has_leader = |needs| needs == Needs::Nothing || leader.is_some();
        if pack.signal.kind == SignalKind::Novelty {
            return self.phrase_if(&phrasebook::HEADLINE_NOVELTY, has_leader, &values);
        }
        match self.rise() {
            Rise::FromNothing => {
                let weeks = baseline_weeks();
                self.phrase(
                    &phrasebook::HEADLINE_FROM_NOTHING,
                    &[&values[..], &[("weeks", weeks.as_str())]].concat(),
                )
            }
            Rise::FromTrickle => self.phrase(&phrasebook::HEADLINE_FROM_TRICKLE, &values),
            Rise::Times(ratio) => {
                let (multiple, fold, capital_posts) =
                    (multiple(ratio), fold(ratio), capitalise(&posts));
                let met = |needs| match needs {
                    Needs::Nothing => true,
                    Needs::Leader => leader.is_some(),
                    Needs::LeaderAndThreefold => leader.is_some() && ratio >= 3.0,
                };
                let extra = [
                    ("Posts", capital_posts.as_str()),
                    ("multiple", multiple.as_str()),
                    ("fold", fold.as_str()),
                ];
                self.phrase_if(
                    &phrasebook::HEADLINE_TIMES,
                    met,
                    &[&values[..], &extra[..]].concat(),
                )
            }
            Rise::None => match leader {
                Some(leader) => format!(
                    "Talk of {} gathers on {leader}: {posts} {within}",
                    self.subject()
                ),
                None => format!(
                    "{subject}: {posts} {within} on the {} beat",
                    pack.beat.name.to_lowercase()
                ),
            },
        }
    }

    /// How the signal's window compares with its usual volume, as a story may say it.
    fn rise(&self) -> Rise {
        let window = self.pack.volume.window();
        match window.ratio() {
            None => Rise::FromNothing,
            Some(_) if window.baseline < 1.0 => Rise::FromTrickle,
            Some(ratio) if ratio >= MIN_STATED_RATIO => Rise::Times(ratio),
            Some(_) => Rise::None,
        }
    }

    /// The platform holding more than half the candidate's records, if one does.
    fn leader(&self) -> Option<Source> {
        let platforms = self.platforms_by_size();
        let (source, records) = platforms[0];
        (records * 2 > self.pack.total_records()).then_some(source)
    }

    /// "In the 24 hours to 12 June" / "In the seven days to 12 June".
    fn window_span(&self) -> String {
        format!(
            "the {} to {}",
            self.pack.volume.window().window.span(),
            self.date(self.pack.as_of)
        )
    }

    /// The usual volume set against the window's: "about four times the usual daily volume".
    fn against_usual(&self) -> String {
        let window = self.pack.volume.window();
        let unit = window.window.unit();
        match self.rise() {
            Rise::FromNothing => format!(
                "after {} weeks in which it did not come up at all",
                baseline_weeks()
            ),
            Rise::FromTrickle => format!("where fewer than one a {unit} is usual"),
            Rise::Times(ratio) => format!(
                "{} the usual {} volume",
                multiple(ratio),
                window.window.adjective()
            ),
            Rise::None => format!("against a usual {} a {unit}", decimal(window.baseline)),
        }
    }

    fn dek(&self) -> String {
        let pack = self.pack;
        let window = pack.volume.window();
        let first = if pack.signal.kind == SignalKind::Novelty {
            format!(
                "In {}, {} mentioned {}, a name new to the conversations we follow.",
                self.window_span(),
                posts(window.records),
                self.subject()
            )
        } else {
            format!(
                "In {}, {} mentioned {}, {}.",
                self.window_span(),
                posts(window.records),
                self.subject(),
                self.against_usual()
            )
        };
        format!("{first} {}", self.platform_split())
    }

    /// Which platforms the story's posts came from, in one sentence (dek and body share it so
    /// they cannot disagree).
    fn platform_split(&self) -> String {
        let platforms = self.platforms_by_size();
        let total = self.pack.total_records();
        let (leader, leading) = platforms[0];
        match platforms.as_slice() {
            [_] => all_from(total, leader),
            [(a, n), (b, m)] if n == m => format!(
                "The {} posts this story draws on split evenly between {} and {}.",
                number_words(total),
                a.display_name(),
                b.display_name()
            ),
            _ => format!(
                "Of the {} posts this story draws on, {} came from {}.",
                number_words(total),
                number_words(leading),
                leader.display_name()
            ),
        }
    }

    /// A date, with the year only when it differs from the as-of year.
    fn date(&self, at: DateTime<Utc>) -> String {
        if at.format("%Y").to_string() == self.pack.as_of.format("%Y").to_string()
            && at != self.pack.as_of
        {
            at.format("%-d %B").to_string()
        } else {
            at.format("%-d %B %Y").to_string()
        }
    }

    fn the_rise(&self) -> String {
        let pack = self.pack;
        let window = pack.volume.window();
        let unit = window.window.unit();
        let beat = &pack.beat.name;
        let weeks = baseline_weeks();
        let first = if pack.signal.kind == SignalKind::Novelty {
            format!(
                "{} had not come up in the posts we follow until this week; in {} it appeared in {}.",
                capitalise(&self.subject_md()),
                self.window_span(),
                posts(window.records)
            )
        } else {
            let usual = match self.rise() {
                Rise::FromNothing => format!("In the {weeks} weeks before, it did not come up at all."),
                Rise::FromTrickle if decimal(window.baseline) == "0" => {
                    format!("In the {weeks} weeks before, it came up in fewer than one post a {unit}.")
                }
                Rise::FromTrickle => format!(
                    "In the {weeks} weeks before, it came up in fewer than one post a {unit} ({} on average).",
                    decimal(window.baseline)
                ),
                Rise::Times(ratio) => format!(
                    "That is {} the usual {} volume of about {} posts.",
                    multiple(ratio),
                    window.window.adjective(),
                    decimal(window.baseline)
                ),
                Rise::None => format!(
                    "A typical {unit} brings about {} posts on it.",
                    decimal(window.baseline)
                ),
            };
            self.phrase(
                &phrasebook::RISE,
                &[
                    ("subject", &self.subject_md()),
                    ("posts", &posts(window.records)),
                    ("span", &self.window_span()),
                    ("usual", &usual),
                ],
            )
        };
        let second = self.phrase(
            &phrasebook::RISE_BEAT,
            &[
                ("beat", beat),
                ("category", &pack.category),
                ("intensity", pack.intensity.as_str()),
            ],
        );
        format!("{first} {second}")
    }

    fn where_it_happened(&self) -> String {
        let platforms = self.platforms_by_size();
        let total = self.pack.total_records();
        let (leader, leading) = platforms[0];
        let share = (leading as f64 * 100.0 / total as f64).round();
        let others: Vec<String> = platforms[1..]
            .iter()
            .map(|(s, n)| format!("{} from {}", number_words(*n), s.display_name()))
            .collect();
        let even = platforms.len() == 2 && platforms[0].1 == platforms[1].1;
        let mut text = if platforms.len() == 1 || even {
            self.platform_split()
        } else {
            self.phrase(
                &phrasebook::WHERE,
                &[
                    ("leader", leader.display_name()),
                    ("total", &number_words(total)),
                    ("leading", &number_words(leading)),
                    ("share", &share.to_string()),
                    ("others", &join_and(&others)),
                ],
            )
        };
        let window = self.pack.volume.window();
        // The story's posts are its cluster of the past week, not the subject's mentions in the
        // window; say so when the two counts differ, so readers are not left with a puzzle.
        if total != window.records {
            text.push_str(match window.window {
                Window::Day => " They span the past week, not only the last 24 hours, which is why the two counts differ.",
                Window::Week => " They are the week's posts on this particular thread of conversation, which is why the two counts differ.",
            });
        }
        if let Some(sentence) = self.community_concentration() {
            text.push(' ');
            text.push_str(&sentence);
        }
        text
    }

    /// Where a platform's chosen records cluster in one community (a subreddit, a feed).
    fn community_concentration(&self) -> Option<String> {
        let mut by_community: BTreeMap<(Source, &str), u64> = BTreeMap::new();
        for record in &self.pack.records {
            if let Some(community) = record.community.as_deref() {
                *by_community.entry((record.source, community)).or_default() += 1;
            }
        }
        let ((source, community), n) = by_community
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
        let of = self
            .pack
            .records
            .iter()
            .filter(|r| r.source == source)
            .count() as u64;
        let name = community_name(source, community);
        let platform = source.display_name();
        match n {
            2 if of == 2 => Some(format!(
                "Both {platform} posts selected for this story come from {name}."
            )),
            _ if n == of && n >= 2 => Some(format!(
                "All {} {platform} posts selected for this story come from {name}.",
                number_words(of)
            )),
            _ if n >= 2 => Some(format!(
                "Of the {} {platform} posts selected for this story, {} come from {name}.",
                number_words(of),
                number_words(n)
            )),
            _ => None,
        }
    }

    fn who_said_what(&mut self) -> String {
        let top = self
            .most_engaged(None)
            .expect("a pack holds at least one record");
        let introduced = self.introduce(top);
        let mut text = self.phrase(&phrasebook::VOICES, &[("introduced", &introduced)]);
        if let Some(second) = self.most_engaged(Some(top.source)) {
            text.push_str(&format!(
                " On {}, the one that drew most was {}",
                second.source.display_name(),
                self.introduce(second)
            ));
        }
        text
    }

    fn most_engaged(&self, not_from: Option<Source>) -> Option<&'a EvidenceRecord> {
        self.pack
            .records
            .iter()
            .filter(|r| Some(r.source) != not_from && !self.used.contains(r.id.as_str()))
            .max_by(|a, b| {
                a.engagement
                    .total()
                    .cmp(&b.engagement.total())
                    .then(b.id.cmp(&a.id))
            })
    }

    fn sentiment_extremes(&self) -> Option<((Source, f64), (Source, f64))> {
        let mut measured: Vec<(Source, f64)> = self
            .pack
            .platforms
            .iter()
            .filter_map(|(s, p)| p.sentiment.map(|v| (*s, v)))
            .collect();
        if measured.len() < 2 {
            return None;
        }
        measured.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Some((measured[0], *measured.last().unwrap()))
    }

    fn how_platforms_differ(&mut self) -> Option<String> {
        let ((warm, warm_score), (cool, cool_score)) = self.sentiment_extremes()?;
        let (warm_name, cool_name) = (warm.display_name(), cool.display_name());
        let mut text = if warm_score - cool_score < SAME_TONE {
            format!(
                "The tone barely changed from one platform to another: posts on {warm_name} averaged a sentiment score of {}, those on {cool_name} {}, both {}.",
                signed(warm_score), signed(cool_score), tone(cool_score)
            )
        } else {
            self.phrase(
                &phrasebook::DIFFER,
                &[
                    ("warm", warm_name),
                    ("warm_score", &signed(warm_score)),
                    ("warm_tone", tone(warm_score)),
                    ("cool", cool_name),
                    ("cool_score", &signed(cool_score)),
                    ("cool_tone", tone(cool_score)),
                ],
            )
        };
        let between: Vec<String> = self
            .pack
            .platforms
            .iter()
            .filter(|(s, p)| **s != warm && **s != cool && p.sentiment.is_some())
            .map(|(s, p)| {
                format!(
                    "{} ({})",
                    s.display_name(),
                    signed(p.sentiment.unwrap_or_default())
                )
            })
            .collect();
        if !between.is_empty() {
            text.push_str(&format!(" {} fell in between.", join_and(&between)));
        }
        let mut voices: Vec<String> = Vec::new();
        for source in [cool, warm] {
            if let Some(record) = self.most_engaged_from(source) {
                voices.push(format!(
                    "on {}, {}",
                    source.display_name(),
                    self.posted(record)
                ));
            }
        }
        if !voices.is_empty() {
            text.push_str(&format!(" Typical posts: {}.", voices.join("; ")));
        }
        Some(text)
    }

    fn most_engaged_from(&self, source: Source) -> Option<&'a EvidenceRecord> {
        self.pack
            .records
            .iter()
            .filter(|r| r.source == source && !self.used.contains(r.id.as_str()))
            .max_by(|a, b| {
                a.engagement
                    .total()
                    .cmp(&b.engagement.total())
                    .then(b.id.cmp(&a.id))
            })
    }

    /// Other names and phrases that recur across the story's posts. A name or phrase found in a
    /// single post does not recur, and a phrase needs two content words to say anything.
    fn recurring_names(&self) -> Option<String> {
        let subject = self.subject().to_lowercase();
        let entities: Vec<&TermCount> = self
            .pack
            .top_entities
            .iter()
            .filter(|e| e.records >= 2 && e.text.to_lowercase() != subject)
            .take(4)
            .collect();
        let phrases: Vec<String> = self
            .pack
            .top_phrases
            .iter()
            .filter(|p| p.records >= 2 && content_words(&p.text) >= 2)
            .filter(|p| !p.text.to_lowercase().contains(&subject))
            .filter(|p| {
                !entities
                    .iter()
                    .any(|e| e.text.to_lowercase() == p.text.to_lowercase())
            })
            .take(3)
            .map(|p| format!("*{}*", escape_markdown(&p.text)))
            .collect();
        let names = match entities.as_slice() {
            [] => None,
            [one] => Some(format!(
                "One other name recurs across the posts: {}, in {}.",
                escape_markdown(&one.text),
                posts(one.records)
            )),
            [first, rest @ ..] => {
                let mut listed = vec![format!(
                    "{} (in {})",
                    escape_markdown(&first.text),
                    posts(first.records)
                )];
                listed.extend(rest.iter().map(|e| {
                    format!("{} ({})", escape_markdown(&e.text), number_words(e.records))
                }));
                Some(self.phrase(
                    &phrasebook::NAMES,
                    &[
                        ("subject", &self.subject_md()),
                        ("names", &join_and(&listed)),
                    ],
                ))
            }
        };
        let words = match phrases.as_slice() {
            [] => None,
            [one] => Some(format!(
                "One phrase comes back in more than one post: {one}."
            )),
            several => Some(format!(
                "Phrases that come back in more than one post include {}.",
                join_and(several)
            )),
        };
        match (names, words) {
            (None, None) => None,
            (a, b) => Some([a, b].into_iter().flatten().collect::<Vec<_>>().join(" ")),
        }
    }

    fn about_the_evidence(&self) -> String {
        let pack = self.pack;
        let first = pack
            .records
            .iter()
            .map(|r| r.created_at)
            .min()
            .unwrap_or(pack.as_of);
        let last = pack
            .records
            .iter()
            .map(|r| r.created_at)
            .max()
            .unwrap_or(pack.as_of);
        let span = if first.date_naive() == last.date_naive() {
            format!("on {}", self.date(first))
        } else {
            format!("between {} and {}", self.date(first), self.date(last))
        };
        let names: Vec<String> = self
            .platforms_by_size()
            .iter()
            .map(|(s, _)| s.display_name().to_string())
            .collect();
        format!(
            "This is a small sample: {} in all, published {span} on {}. The usual volume is the average number of posts on the subject over the {} weeks before; the posts quoted here were chosen for the attention they drew, for how closely they follow the story and for a spread of platforms.",
            posts(pack.total_records()),
            join_and(&names),
            baseline_weeks()
        )
    }

    fn how_it_unfolded(&mut self) -> Option<String> {
        let unheard = |w: &Self| -> Vec<&'a EvidenceRecord> {
            w.pack
                .records
                .iter()
                .filter(|r| !w.used.contains(r.id.as_str()))
                .collect()
        };
        let earliest = unheard(self)
            .into_iter()
            .min_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)))?;
        let mut text = format!(
            "The earliest post here dates from {}, when {}.",
            self.date(earliest.created_at),
            self.posted(earliest)
        );
        let latest = unheard(self)
            .into_iter()
            .max_by(|a, b| a.created_at.cmp(&b.created_at).then(b.id.cmp(&a.id)));
        if let Some(latest) =
            latest.filter(|l| l.created_at.date_naive() != earliest.created_at.date_naive())
        {
            text.push_str(&format!(
                " The latest is from {}: {}.",
                self.date(latest.created_at),
                self.posted(latest)
            ));
        }
        Some(text)
    }
}

/// Platforms whose mean sentiment differs by less than this sound alike.
const SAME_TONE: f64 = 0.15;

/// The signal's subject as a story names it. A beat's name reads in lower case mid-sentence
/// ("talk of open and local models"); a phrase the analysis found (kept in lower case) takes the
/// spelling the posts use most ("claude opus" → "Claude Opus"); a proper name stays as it is.
fn subject_of(pack: &EvidencePack) -> String {
    let subject = &pack.signal.subject;
    if *subject == pack.beat.name {
        // Only the first word's capital is the beat name's own: "AGI", "LLMs" stay.
        let mut chars = subject.chars();
        return match (chars.next(), chars.next()) {
            (Some(first), Some(second)) if second.is_lowercase() => first
                .to_lowercase()
                .chain(subject[first.len_utf8()..].chars())
                .collect(),
            _ => subject.clone(),
        };
    }
    if subject.chars().any(char::is_uppercase) {
        return subject.clone();
    }
    spelling_in_records(subject, &pack.records).unwrap_or_else(|| subject.clone())
}

/// The spelling of `phrase` (matched as whole words, ignoring case) found most often in the
/// records' titles and texts, on a tie the one with more capitals, if it is spelled as a name
/// (every word capitalised): "Unpopular opinion", a title's first words, stays lower case.
fn spelling_in_records(phrase: &str, records: &[EvidenceRecord]) -> Option<String> {
    let pattern = regex::Regex::new(&format!(r"(?i)\b{}\b", regex::escape(phrase))).ok()?;
    let mut spellings: BTreeMap<&str, usize> = BTreeMap::new();
    for text in records
        .iter()
        .flat_map(|r| [r.title.as_str(), r.text.as_str()])
    {
        for found in pattern.find_iter(text) {
            *spellings.entry(found.as_str()).or_default() += 1;
        }
    }
    // Among equal counts the first in byte order wins: it puts capitals before small letters.
    spellings
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(spelling, _)| spelling)
        .filter(|spelling| {
            spelling
                .split_whitespace()
                .all(|word| !word.starts_with(char::is_lowercase))
        })
        .map(str::to_string)
}

/// "All six posts this story draws on come from Reddit." / "The one post … comes from …".
fn all_from(total: u64, source: Source) -> String {
    match total {
        1 => format!(
            "The one post this story draws on comes from {}.",
            source.display_name()
        ),
        n => format!(
            "All {} posts this story draws on come from {}.",
            number_words(n),
            source.display_name()
        ),
    }
}

/// How a window's volume compares with its usual volume, in the terms a story can use.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Rise {
    /// No posts at all in the [`BASELINE_DAYS`](crate::model::BASELINE_DAYS) before.
    FromNothing,
    /// Fewer than one post per window before: a multiple of almost nothing means little.
    FromTrickle,
    /// At least [`MIN_STATED_RATIO`] times the usual volume.
    Times(f64),
    /// Less than that: no multiple is stated.
    None,
}

/// Smallest multiple of the usual volume a story states; "1.3 times the norm" is not a rise.
const MIN_STATED_RATIO: f64 = 2.0;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Engagement, RecordId};

    fn bluesky(text: &str) -> EvidenceRecord {
        EvidenceRecord {
            id: RecordId::new(Source::Bluesky, "at://x"),
            source: Source::Bluesky,
            created_at: "2026-01-09T18:50:05Z".parse().unwrap(),
            url: "https://bsky.app/x".into(),
            title: String::new(),
            text: text.into(),
            author: Some("nytimes.com".into()),
            community: None,
            engagement: Engagement::default(),
        }
    }

    #[test]
    fn a_lower_case_phrase_takes_the_posts_spelling() {
        let mut hn = bluesky("");
        hn.title = "Claude Opus 4.6".into();
        let records = [
            hn,
            bluesky("claude opus is out; Claude Opus beats the claude opusx hype"),
            bluesky("CLAUDE OPUS!"),
        ];
        assert_eq!(
            spelling_in_records("claude opus", &records).as_deref(),
            Some("Claude Opus"),
            "the most frequent spelling, whole words only"
        );
        let tie = [bluesky("gpt oss is here"), bluesky("Try GPT OSS")];
        assert_eq!(
            spelling_in_records("gpt oss", &tie).as_deref(),
            Some("GPT OSS"),
            "capitals win a tie"
        );
        assert_eq!(spelling_in_records("sora", &records), None);
        let opinion = [bluesky("Unpopular opinion: agents are fine")];
        assert_eq!(
            spelling_in_records("unpopular opinion", &opinion),
            None,
            "a sentence's first word is no name"
        );
    }
}
