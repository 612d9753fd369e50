//! The offline writer: a deterministic analyst that needs no model. It writes only what the
//! evidence pack holds — what rose and by how much, where, who said what, how platforms differ,
//! what names recur, how the story unfolded — quoting records word for word with footnotes.
//!
//! Sentence shapes vary between stories: each slot has a few phrasings and the one used is
//! chosen by a hash of the pack's topic, so the same evidence always reads the same way.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::draft::Draft;
use super::evidence::{EvidencePack, EvidenceRecord, TermCount, Window};
use super::grounding::PARAGRAPHS;
use crate::model::{SignalKind, Source};

/// Longest quote the writer lifts from one record, in words.
const MAX_QUOTE_WORDS: usize = 28;

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
    /// Picks one phrasing for a slot, the same one every time for this topic.
    fn variant(&self, slot: &str, choices: usize) -> usize {
        (fnv1a(format!("{}\u{0}{slot}", self.pack.topic).as_bytes()) % choices as u64) as usize
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
                    let (warm, cool) = (warm.display_name(), cool.display_name());
                    return match self.variant("headline", 2) {
                        0 => format!("{warm} and {cool} split over {}", self.subject()),
                        _ => format!(
                            "Talk of {} runs warmer on {warm} than on {cool}",
                            self.subject()
                        ),
                    };
                }
            }
        }
        let window = pack.volume.window();
        let posts = posts(window.records);
        let within = format!("in a {}", window.window.unit());
        let leader = self.leader().map(Source::display_name);
        if pack.signal.kind == SignalKind::Novelty {
            return match (self.variant("headline", 2), leader) {
                (0, Some(leader)) => format!(
                    "New on the radar: {}, with {posts} {within}, most of them on {leader}",
                    self.subject()
                ),
                _ => format!(
                    "A new name on the {} beat: {subject}",
                    pack.beat.name.to_lowercase()
                ),
            };
        }
        match self.rise() {
            Rise::FromNothing => match self.variant("headline", 2) {
                0 => format!("{subject} draws {posts} {within} after four quiet weeks"),
                _ => {
                    format!("{subject} surfaces with {posts} {within}, after four weeks of silence")
                }
            },
            Rise::FromTrickle => match self.variant("headline", 2) {
                0 => format!("{subject} draws {posts} {within}, where fewer than one is usual"),
                _ => format!(
                    "Talk of {} jumps from a trickle to {posts} {within}",
                    self.subject()
                ),
            },
            Rise::Times(ratio) => match (self.variant("headline", 4), leader) {
                (0, Some(leader)) => format!(
                    "Talk of {} runs at {} its usual pace, with {leader} loudest",
                    self.subject(),
                    multiple(ratio)
                ),
                (1, Some(leader)) if ratio >= 3.0 => format!(
                    "{leader} leads a roughly {} jump in talk of {}",
                    fold(ratio),
                    self.subject()
                ),
                (2, _) => format!(
                    "{} on {} {within}, {} the usual number",
                    capitalise(&posts),
                    self.subject(),
                    multiple(ratio)
                ),
                _ => format!("{subject}: {posts} {within}, {} the norm", multiple(ratio)),
            },
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
            Rise::FromNothing => "after four weeks in which it did not come up at all".to_string(),
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
                count(total),
                a.display_name(),
                b.display_name()
            ),
            _ => format!(
                "Of the {} posts this story draws on, {} came from {}.",
                count(total),
                count(leading),
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
        let intensity = format!("{:?}", pack.intensity).to_lowercase();
        let first = if pack.signal.kind == SignalKind::Novelty {
            format!(
                "{} had not come up in the posts we follow until this week; in {} it appeared in {}.",
                capitalise(&self.subject_md()),
                self.window_span(),
                posts(window.records)
            )
        } else {
            let usual = match self.rise() {
                Rise::FromNothing => "In the four weeks before, it did not come up at all.".to_string(),
                Rise::FromTrickle if decimal(window.baseline) == "0" => {
                    format!("In the four weeks before, it came up in fewer than one post a {unit}.")
                }
                Rise::FromTrickle => format!(
                    "In the four weeks before, it came up in fewer than one post a {unit} ({} on average).",
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
            match self.variant("rise", 2) {
                0 => format!(
                    "In {}, {} came up in {} across the platforms we follow. {usual}",
                    self.window_span(),
                    self.subject_md(),
                    posts(window.records)
                ),
                _ => format!(
                    "Talk of {} picked up: {} in {}. {usual}",
                    self.subject_md(),
                    posts(window.records),
                    self.window_span()
                ),
            }
        };
        let second = match self.variant("rise-beat", 2) {
            0 => format!(
                "The story belongs to our {beat} beat, in {}, and we rate its intensity {intensity}.",
                pack.category
            ),
            _ => format!(
                "We file it under {beat} ({}), at {intensity} intensity.",
                pack.category
            ),
        };
        format!("{first} {second}")
    }

    fn where_it_happened(&self) -> String {
        let platforms = self.platforms_by_size();
        let total = self.pack.total_records();
        let (leader, leading) = platforms[0];
        let share = (leading as f64 * 100.0 / total as f64).round();
        let others: Vec<String> = platforms[1..]
            .iter()
            .map(|(s, n)| format!("{} from {}", count(*n), s.display_name()))
            .collect();
        let even = platforms.len() == 2 && platforms[0].1 == platforms[1].1;
        let mut text = if platforms.len() == 1 || even {
            self.platform_split()
        } else {
            match self.variant("where", 2) {
                0 => format!(
                    "{} carried the most of the {} posts this story draws on: {}, or {share}%, with {}.",
                    leader.display_name(),
                    count(total),
                    count(leading),
                    join_and(&others)
                ),
                _ => format!(
                    "Of the {} posts this story draws on, {} came from {} ({share}%), with {}.",
                    count(total),
                    count(leading),
                    leader.display_name(),
                    join_and(&others)
                ),
            }
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
                count(of)
            )),
            _ if n >= 2 => Some(format!(
                "Of the {} {platform} posts selected for this story, {} come from {name}.",
                count(of),
                count(n)
            )),
            _ => None,
        }
    }

    fn who_said_what(&mut self) -> String {
        let top = self
            .most_engaged(None)
            .expect("a pack holds at least one record");
        let mut text = match self.variant("voices", 2) {
            0 => format!("The most-discussed entry was {}", self.introduce(top)),
            _ => format!("Nothing drew more attention than {}", self.introduce(top)),
        };
        if let Some(second) = self.most_engaged(Some(top.source)) {
            text.push_str(&format!(
                " On {}, the one that drew most was {}",
                second.source.display_name(),
                self.introduce(second)
            ));
        }
        text
    }

    /// "a Reddit post in r/singularity titled “…”[^id], with a score of 4,942 and 1,190 comments."
    fn introduce(&mut self, record: &'a EvidenceRecord) -> String {
        let kind = match (record.source, record.community.as_deref()) {
            (Source::Reddit, Some(sub)) => {
                format!("a post in {}", community_name(Source::Reddit, sub))
            }
            (Source::Hackernews, _) => "a submission".to_string(),
            (_, _) => match record.author.as_deref() {
                Some(author) => format!("a post by @{}", escape_markdown(author)),
                None => "a post".to_string(),
            },
        };
        let said = self.quote(record);
        let verb = if record.title.is_empty() {
            "reading"
        } else {
            "titled"
        };
        let attention = attention(record)
            .map(|a| format!(", with {a}"))
            .unwrap_or_default();
        format!("{kind} {verb} {said}{attention}.")
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

    /// The record's words in quote marks with its footnote; marks the record as heard.
    fn quote(&mut self, record: &'a EvidenceRecord) -> String {
        self.used.insert(record.id.as_str());
        format!("“{}”[^{}]", escape_markdown(&excerpt(record)), record.id)
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
            match self.variant("differ", 2) {
                0 => format!(
                    "The platforms did not sound alike. Posts on {warm_name} averaged a sentiment score of {}, {}, while {cool_name} sat at {}, {}.",
                    signed(warm_score), tone(warm_score), signed(cool_score), tone(cool_score)
                ),
                _ => format!(
                    "Tone split by platform: {warm_name} came out {} (mean sentiment score {}), {cool_name} {} ({}).",
                    tone(warm_score), signed(warm_score), tone(cool_score), signed(cool_score)
                ),
            }
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

    /// "@nytimes.com posted “…”[^id]", "a post in r/x was titled “…”[^id]", "sweis submitted “…”[^id]".
    fn posted(&mut self, record: &'a EvidenceRecord) -> String {
        let said = self.quote(record);
        match (
            record.source,
            record.community.as_deref(),
            record.author.as_deref(),
        ) {
            (Source::Reddit, Some(sub), _) => format!(
                "a post in {} was titled {said}",
                community_name(Source::Reddit, sub)
            ),
            (Source::Hackernews, _, Some(author)) => {
                format!("{} submitted {said}", escape_markdown(author))
            }
            (Source::Bluesky | Source::Mastodon, _, Some(author)) => {
                format!("@{} posted {said}", escape_markdown(author))
            }
            _ if record.title.is_empty() => format!("a post read {said}"),
            _ => format!("an item was titled {said}"),
        }
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
                listed.extend(
                    rest.iter()
                        .map(|e| format!("{} ({})", escape_markdown(&e.text), count(e.records))),
                );
                Some(match self.variant("names", 2) {
                    0 => format!("Other names recur across the posts: {}.", join_and(&listed)),
                    _ => format!(
                        "Beyond {}, the names that come up most are {}.",
                        self.subject_md(),
                        join_and(&listed)
                    ),
                })
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
            "This is a small sample: {} in all, published {span} on {}. The usual volume is the average number of posts on the subject over the four weeks before; the posts quoted here were chosen for the attention they drew, for how closely they follow the story and for a spread of platforms.",
            posts(pack.total_records()),
            join_and(&names)
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

/// Drops the full stop after a footnote when the quote before it already ended the sentence.
fn tidy(text: &str) -> String {
    static DOUBLE_STOP: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"([.?!])”(\[\^[^\]]+\])\.").unwrap());
    DOUBLE_STOP.replace_all(text, "$1”$2").into_owned()
}

/// The attention a record got, in its platform's terms.
fn attention(record: &EvidenceRecord) -> Option<String> {
    let e = &record.engagement;
    let mut parts = Vec::new();
    let (score_word, replies_word) = match record.source {
        Source::Reddit => ("a score of", "comments"),
        Source::Hackernews => ("points", "comments"),
        Source::Bluesky | Source::Mastodon => ("likes", "replies"),
        Source::Youtube => ("likes", "comments"),
        _ => ("points", "replies"),
    };
    if let Some(score) = e.score.filter(|s| *s > 0) {
        parts.push(if score_word == "a score of" {
            format!("a score of {}", count(score as u64))
        } else {
            format!("{} {score_word}", count(score as u64))
        });
    }
    if let Some(replies) = e.replies.filter(|r| *r > 0) {
        parts.push(format!("{} {replies_word}", count(replies as u64)));
    }
    if let Some(reposts) = e.reposts.filter(|r| *r > 0) {
        parts.push(format!("{} reposts", count(reposts as u64)));
    }
    (!parts.is_empty()).then(|| join_and(&parts))
}

/// The words of a record worth quoting: a title without its truncation mark, the first
/// sentence of a post, or — when a post itself quotes someone — the words it quotes. Always a
/// verbatim piece of the record (ellipses mark cuts), with inner quotation marks made single.
pub(crate) fn excerpt(record: &EvidenceRecord) -> String {
    let raw = if record.title.is_empty() {
        lead_sentence(&record.text)
    } else {
        record.title.trim().to_string()
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
/// gate treats all quote marks alike, so the quote stays verbatim.
fn nest_quotes(text: &str) -> String {
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

/// Escapes what Markdown would read as markup, so a record's words stay words.
pub(crate) fn escape_markdown(text: &str) -> String {
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

/// A community as Markdown text: `r/singularity`, or a feed's name.
fn community_name(source: Source, community: &str) -> String {
    match source {
        Source::Reddit => format!("r/{}", escape_markdown(community)),
        _ => escape_markdown(community),
    }
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

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

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A whole number as readers expect it: words up to nine, digits with separators above.
fn count(n: u64) -> String {
    const WORDS: [&str; 10] = [
        "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    match WORDS.get(n as usize) {
        Some(word) => word.to_string(),
        None => thousands(n),
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "one post", "six posts", "1,204 posts".
fn posts(n: u64) -> String {
    match n {
        1 => "one post".to_string(),
        n => format!("{} posts", count(n)),
    }
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
            count(n),
            source.display_name()
        ),
    }
}

/// How a window's volume compares with its usual volume, in the terms a story can use.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Rise {
    /// No posts at all in the four weeks before.
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

/// A rise as readers say it: "more than twice", "about four times", "about 14 times".
fn multiple(ratio: f64) -> String {
    let whole = format!("{ratio:.0}");
    match ratio {
        r if r < 3.0 => "more than twice".to_string(),
        r if (r - r.round()).abs() < 0.05 => format!("{} times", number(&whole)),
        _ => format!("about {} times", number(&whole)),
    }
}

/// "fourfold", "14-fold", for rises of three times or more.
fn fold(ratio: f64) -> String {
    let whole = format!("{ratio:.0}");
    match whole.parse::<u64>() {
        Ok(n) if n <= 9 => format!("{}fold", count(n)),
        _ => format!("{whole}-fold"),
    }
}

/// A whole number written as [`count`] writes it.
fn number(whole: &str) -> String {
    whole
        .parse::<u64>()
        .map(count)
        .unwrap_or_else(|_| whole.to_string())
}

/// Words of a phrase that carry meaning: not a stop word, with a letter, three letters or more.
fn content_words(phrase: &str) -> usize {
    const STOP: [&str; 24] = [
        "the", "and", "for", "with", "from", "that", "this", "are", "was", "were", "has", "have",
        "its", "into", "not", "but", "you", "your", "our", "their", "about", "will", "can", "all",
    ];
    phrase
        .split_whitespace()
        .filter(|w| {
            w.chars().filter(|c| c.is_alphabetic()).count() >= 3
                && !STOP.contains(&w.to_lowercase().as_str())
        })
        .count()
}

/// A baseline: one decimal, without a trailing `.0`.
fn decimal(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

fn signed(score: f64) -> String {
    if score < 0.0 {
        format!("−{:.2}", -score)
    } else {
        format!("{score:.2}")
    }
}

fn tone(score: f64) -> &'static str {
    match score {
        s if s <= -0.35 => "clearly negative",
        s if s <= -0.05 => "negative",
        s if s < 0.05 => "close to neutral",
        s if s < 0.35 => "positive",
        _ => "clearly positive",
    }
}

/// FNV-1a: a stable hash (std's hasher may change between releases) for choosing phrasings.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

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
    fn excerpts_are_verbatim_pieces() {
        let post = bluesky("Breaking News: President Trump told federal agencies to stop using A.I. technology made by Anthropic, an order. The rest.");
        assert_eq!(excerpt(&post), "President Trump told federal agencies to stop using A.I. technology made by Anthropic, an order.");
        let opinion = bluesky(
            "In @nytopinion.nytimes.com \n\n“A.I.’s promise is real,” Sebastian Mallaby writes.",
        );
        assert_eq!(excerpt(&opinion), "A.I.’s promise is real");
        let mut title = bluesky("");
        title.title = "Anthropic rejects Pentagon's \"final offer\" in AI safeguards fi...".into();
        assert_eq!(
            excerpt(&title),
            "Anthropic rejects Pentagon's ‘final offer’ in AI safeguards…"
        );
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

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(count(7), "seven");
        assert_eq!(count(4942), "4,942");
        assert_eq!(multiple(2.7), "more than twice");
        assert_eq!(multiple(4.4), "about four times");
        assert_eq!(multiple(5.0), "five times");
        assert_eq!(multiple(13.6), "about 14 times");
        assert_eq!(fold(3.9), "fourfold");
        assert_eq!(fold(14.2), "14-fold");
        assert_eq!(decimal(2.0), "2");
        assert_eq!(signed(-0.314), "−0.31");
        assert_eq!(posts(1), "one post");
        assert_eq!(content_words("anthropic wins fair"), 3);
        assert_eq!(content_words("the AI"), 0);
        assert_eq!(content_words("30b a3b"), 0);
    }
}
