//! The offline writer: a deterministic, extractive reporter that needs no model. It says what
//! happened (the lead item: who posted what, where, when, and the attention it drew), how people
//! took it (the conversation's strands, each with its key phrases, size, tone and one or two
//! verbatim quotes attributed to platform and community), how platforms differed where each has
//! enough records, and the figures in plain words — all from the evidence pack's
//! [`Figures`], the struct the grounding gate checks the story against.
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

use chrono::{DateTime, Datelike, Utc};

use super::draft::Draft;
use super::figures::{Figures, Rise, StrandFigures, Tone};
use crate::model::evidence::{EvidencePack, EvidenceRecord};
use crate::model::Source;
use crate::text::{escape_markdown, number_words};
use phrasebook::{fill, Needs, Phrasings};
use quotes::{community_name, place, tidy};
use words::{
    baseline_weeks, capitalise, decimal, join_and, multiple, posts, records_in_words, WordUse,
};

/// Longest lead title a headline carries, in words.
const HEADLINE_TITLE_WORDS: usize = 12;

/// Writes the story for `pack`. Always passes the grounding gate (tests hold it to that).
pub fn write(pack: &EvidencePack) -> Draft {
    write_variant(pack, 0)
}

/// `headline` with the day of the pack's lead item, for a story whose every phrasing repeats an
/// earlier story's headline (a long arc on one subject).
pub fn dated_headline(pack: &EvidencePack, headline: &str) -> String {
    format!(
        "{headline}, {}",
        day(Figures::of(pack).lead.created_at, pack.as_of)
    )
}

/// A date as stories write it, with the year only when it differs from the as-of year.
fn day(at: DateTime<Utc>, as_of: DateTime<Utc>) -> String {
    if at.year() == as_of.year() {
        at.format("%-d %B").to_string()
    } else {
        at.format("%-d %B %Y").to_string()
    }
}

/// The story for `pack` with its headline chosen as variant `variant` (0 is [`write`]'s): the
/// caller asks for the next variant while a headline repeats an earlier story's.
pub fn write_variant(pack: &EvidencePack, variant: u32) -> Draft {
    let figures = Figures::of(pack);
    let mut writer = Writer {
        pack,
        figures: &figures,
        subject: subject_of(pack),
        used: BTreeSet::new(),
        variant,
        word_use: WordUse::of(
            pack.records
                .iter()
                .map(|record| (record.title.as_str(), record.text.as_str())),
        ),
    };
    let mut paragraphs: Vec<String> = Vec::new();
    paragraphs.push(writer.the_happening());
    paragraphs.push(writer.the_figures());
    let strands = writer.what_people_say();
    if strands.is_empty() {
        paragraphs.extend(writer.who_said_what());
    }
    paragraphs.extend(strands);
    paragraphs.extend(writer.how_platforms_differ());
    paragraphs.extend(writer.how_it_unfolded());
    if figures.read < 4 {
        paragraphs.push(writer.about_the_evidence());
    }
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

/// A lead title as a headline carries it.
struct HeadlineTitle {
    text: String,
    question: bool,
}

struct Writer<'a> {
    pack: &'a EvidencePack,
    figures: &'a Figures<'a>,
    /// The signal's subject as the story names it (see [`subject_of`]).
    subject: String,
    /// Records already quoted, so each voice is heard once.
    used: BTreeSet<&'a str>,
    /// Which headline phrasing to prefer (see [`write_variant`]).
    variant: u32,
    /// How the records use each word, for which key phrases a headline can carry.
    word_use: WordUse,
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
        let key = match self.variant {
            n if n > 0 && set.slot == "headline" => format!("{}#{n}", self.pack.topic),
            _ => self.pack.topic.to_string(),
        };
        fill(set.choose(&key, met), values)
    }

    /// The subject as Markdown text, for the body.
    fn subject_md(&self) -> String {
        escape_markdown(&self.subject)
    }

    /// What the pack's records are, as a story counts them: "posts and comments", "posts".
    fn records_noun(&self) -> &'static str {
        match (
            self.figures.read_comments,
            self.figures.read - self.figures.read_comments,
        ) {
            (0, _) => "posts",
            (_, 0) => "comments",
            _ => "posts and comments",
        }
    }

    /// The strongest strand: the largest (the pack orders them so).
    fn strongest(&self) -> Option<&'a StrandFigures<'a>> {
        self.figures.strands.first()
    }

    /// How people took it, when the pack shows people taking it: replies, or more than one
    /// post. A lone post's own wording is not a reception.
    fn reception(&self) -> Option<Tone> {
        let f = self.figures;
        (f.read_comments > 0 || f.read > 1).then(|| self.tone())
    }

    /// The mean tone of the strands' records, or of the platforms'.
    fn tone(&self) -> Tone {
        let strands = &self.figures.strands;
        let weighted: Option<f64> = (!strands.is_empty()).then(|| {
            let size: u64 = strands.iter().map(|s| s.size).sum();
            strands
                .iter()
                .map(|s| s.strand.warmth * s.size as f64)
                .sum::<f64>()
                / size.max(1) as f64
        });
        let platforms = weighted.or_else(|| {
            let measured: Vec<(f64, u64)> = self
                .figures
                .platforms
                .iter()
                .filter_map(|p| p.sentiment.map(|s| (s, p.records)))
                .collect();
            let n: u64 = measured.iter().map(|m| m.1).sum();
            (n > 0).then(|| measured.iter().map(|(s, r)| s * *r as f64).sum::<f64>() / n as f64)
        });
        platforms.map(Tone::of).unwrap_or(Tone::Even)
    }

    /// Where the lead item surfaced, as a headline names it: `r/LocalLLaMA`, `Hacker News`, a
    /// news item's site (`techcrunch.com`).
    fn lead_place(&self) -> String {
        let lead = self.figures.lead;
        match (lead.source, lead.community.as_deref()) {
            (Source::Reddit, Some(community)) => format!("r/{community}"),
            (Source::News, Some(site)) => site.to_string(),
            (Source::News, None) => "the news".to_string(),
            (source, _) => source.display_name().to_string(),
        }
    }

    /// The lead item's title when a headline can carry it — short, plain and not cut off (its
    /// inner quotes made single) — and whether it is a question. A long title whose first clause
    /// (before a colon or dash) is short enough gives that clause.
    fn headline_title(&self) -> Option<HeadlineTitle> {
        let title = self.figures.lead.title.trim();
        let fits = |text: &str| {
            (2..=HEADLINE_TITLE_WORDS).contains(&text.split_whitespace().count())
                && plain(text)
                && !text.contains(['…', '“', '”'])
                && !text.ends_with("...")
        };
        // The whole title, else its first clause, else its first sentence.
        let clause = title
            .split([':', '—', '–', '|'])
            .next()
            .unwrap_or(title)
            .trim();
        // A first "sentence" of a few words is more likely an abbreviation ("U.S.", "vs.").
        let sentence = [". ", "? ", "! "]
            .iter()
            .filter_map(|mark| title.find(mark))
            .min()
            .map(|at| &title[..=at])
            .filter(|sentence| sentence.split_whitespace().count() >= 4)
            .unwrap_or(title);
        let text = [title, clause, sentence]
            .into_iter()
            .find(|text| fits(text))?;
        let text = crate::text::nest_quotes(text.trim_end_matches(['.', ':', ';', ',']));
        Some(HeadlineTitle {
            question: text.ends_with('?'),
            text,
        })
    }

    /// The strongest strand's first one or two key phrases that read as a topic, plain.
    /// Leaves out any term that shares a word with `named` (what the sentence already names), so
    /// no headline reads "questions of Apple follow Apple".
    fn strand_terms(&self, strand: &StrandFigures, named: &str) -> (String, String) {
        let named: Vec<String> = named.split_whitespace().map(str::to_lowercase).collect();
        let terms: Vec<String> = strand
            .strand
            .terms
            .iter()
            .filter(|term| {
                self.word_use.reads_as_topic(term)
                    && !term
                        .split_whitespace()
                        .any(|word| named.contains(&word.to_lowercase()))
            })
            .cloned()
            .collect();
        // A second phrase must earn its place: a lone common word after the first ("hardware
        // and happens") reads as noise, a name or a phrase ("minimal and GLaDOS") does not.
        let two: Vec<String> = terms
            .iter()
            .take(2)
            .enumerate()
            .filter(|(i, term)| {
                *i == 0 || term.contains(' ') || term.chars().any(char::is_uppercase)
            })
            .map(|(_, term)| term.clone())
            .collect();
        (join_and(&two), terms.first().cloned().unwrap_or_default())
    }

    /// What a headline names: the subject, except that a beat ("new models and capabilities")
    /// gives way to the name the conversation mentions most, which says more of what happened.
    fn headline_subject(&self) -> String {
        let named = self
            .pack
            .top_entities
            .first()
            .filter(|entity| entity.records >= 2);
        match named {
            Some(entity) if self.pack.signal.subject == self.pack.beat.name => entity.text.clone(),
            _ => self.subject.clone(),
        }
    }

    fn headline(&self) -> String {
        let subject = self.headline_subject();
        let capital = capitalise(&subject);
        let place = self.lead_place();
        // A subreddit is written `r/…`, and a site's or brand's name ("techcrunch.com", "arXiv")
        // as it is, even at the start of a headline.
        let branded = place.chars().skip(1).any(char::is_uppercase);
        let place_capital = if place.starts_with("r/") || place.contains('.') || branded {
            place.clone()
        } else {
            capitalise(&place)
        };
        let title = self.headline_title();
        let (terms, term) = self
            .strongest()
            .map(|s| self.strand_terms(s, &subject))
            .unwrap_or_default();
        let terms_capital = capitalise(&terms);
        let set = match self.reception() {
            Some(Tone::Warm) => &phrasebook::HEADLINE_WARM,
            Some(Tone::Even) => &phrasebook::HEADLINE_EVEN,
            Some(Tone::Cool) => &phrasebook::HEADLINE_COOL,
            None => &phrasebook::HEADLINE_REPORT,
        };
        let met = |needs| match needs {
            Needs::Nothing => true,
            Needs::Title => title.as_ref().is_some_and(|t| !t.question),
            Needs::Question => title.as_ref().is_some_and(|t| t.question),
            Needs::Terms => !term.is_empty(),
        };
        self.phrase_if(
            set,
            met,
            &[
                ("subject", &subject),
                ("Subject", &capital),
                ("where", &place),
                ("Where", &place_capital),
                ("title", title.as_ref().map_or("", |t| t.text.as_str())),
                ("terms", &terms),
                ("Terms", &terms_capital),
                ("term", &term),
            ],
        )
    }

    /// One or two sentences: what happened, and how people took it.
    fn dek(&self) -> String {
        let lead = self.figures.lead;
        let item = if plain(&lead.title) && plain(&lead.text) {
            self.item(lead, false)
        } else {
            format!("a {} post", lead.source.display_name())
        };
        let attention = quotes::attention(lead);
        let first = match attention {
            Some(attention) => format!("{} drew {attention}.", capitalise(&item)),
            None => format!("{}.", capitalise(&item)),
        };
        let terms = self
            .strongest()
            .map(|strand| self.strand_terms(strand, &self.subject).0)
            .unwrap_or_default();
        let second = match self.reception() {
            None => String::new(),
            Some(tone) if !terms.is_empty() => {
                format!(" The talk ran {}, and turned most on {terms}.", tone.word())
            }
            Some(tone) => format!(" The talk ran {}.", tone.word()),
        };
        format!("{first}{second}")
    }

    /// The lead item named as a story introduces it, with its words quoted (plain text when
    /// `markdown` is false, for the dek). Marks the record as heard in the body.
    fn item(&self, record: &EvidenceRecord, markdown: bool) -> String {
        let words = crate::text::nest_quotes(&crate::text::excerpt(&record.title, &record.text));
        let said = if markdown {
            format!("“{}”[^{}]", escape_markdown(&words), record.id)
        } else {
            format!("“{words}”")
        };
        let community = record
            .community
            .as_deref()
            .map(|c| community_name(record.source, c, markdown));
        let author = record.author.as_deref().map(|a| {
            if markdown {
                escape_markdown(a)
            } else {
                a.to_string()
            }
        });
        match (record.source, community, author) {
            (Source::Reddit, Some(sub), _) => format!("a post in {sub} titled {said}"),
            (Source::Hackernews, _, Some(author)) => {
                format!("a Hacker News submission by {author}, {said}")
            }
            (Source::Hackernews, _, None) => format!("a Hacker News submission, {said}"),
            (Source::Bluesky | Source::Mastodon, _, Some(author)) => format!(
                "a {} post by @{author} reading {said}",
                record.source.display_name()
            ),
            (Source::News, Some(feed), _) => format!("a news item from {feed}, {said}"),
            (Source::Youtube, _, _) => format!("a YouTube video titled {said}"),
            (Source::Arxiv, _, _) => format!("an arXiv paper titled {said}"),
            (source, _, _) => format!("a {} post reading {said}", source.display_name()),
        }
    }

    fn date(&self, at: DateTime<Utc>) -> String {
        day(at, self.pack.as_of)
    }

    /// What happened: the lead item, who posted it where and when, the attention it drew, its
    /// author's own words, and where else the subject came up.
    fn the_happening(&mut self) -> String {
        let lead = self.figures.lead;
        self.used.insert(lead.id.as_str());
        let item = self.item(lead, true);
        let date = self.date(lead.created_at);
        let mut text = match quotes::attention(lead) {
            Some(attention) => self.phrase(
                &phrasebook::DREW,
                &[
                    ("item", &item),
                    ("item_cap", &capitalise(&item)),
                    ("attention", &attention),
                    ("date", &date),
                ],
            ),
            None => format!("On {date}, {item} opened the conversation here."),
        };
        if let Some(own) = self.own_words(lead) {
            text.push_str(&format!(" Its author wrote: {own}"));
        }
        if let Some(top) = self.top_comment() {
            text.push(' ');
            text.push_str(&top);
        }
        let elsewhere: Vec<String> = self
            .figures
            .platforms
            .iter()
            .filter(|p| p.source != lead.source)
            .map(|p| p.source.display_name().to_string())
            .collect();
        if !elsewhere.is_empty() {
            text.push_str(&format!(
                " The subject came up on {} too.",
                join_and(&elsewhere)
            ));
        }
        text
    }

    /// The most upvoted comment in its own words, when the pack has comments and it replies in
    /// the lead's thread: what the conversation's readers agreed with most. Told right after the
    /// lead, a comment of another thread would read as a reply to the lead.
    fn top_comment(&mut self) -> Option<String> {
        let lead = self.figures.lead;
        let top = self
            .figures
            .most_engaged_where(EvidenceRecord::is_comment)
            .filter(|top| top.thread_id.as_ref() == Some(&lead.id))?;
        let own = self.own_words(top)?;
        self.used.insert(top.id.as_str());
        let score = top
            .engagement
            .score
            .filter(|s| *s > 0)
            .map(|s| format!(", with a score of {},", number_words(s as u64)))
            .unwrap_or_default();
        Some(format!("The most upvoted comment{score} read: {own}"))
    }

    /// A sentence of a record's own text (not its title) worth quoting, quoted with its footnote.
    fn own_words(&self, record: &EvidenceRecord) -> Option<String> {
        let sentence = crate::text::sentences(&record.text)
            .into_iter()
            .find(|s| crate::text::quotable(s) && *s != record.title)?;
        Some(quotes::quoted(sentence, record))
    }

    /// The figures in plain words: the window's volume against the usual, and how much of the
    /// conversation the story reads.
    fn the_figures(&self) -> String {
        let f = self.figures;
        let window = f.window;
        let span = format!(
            "the {} to {}",
            window.window.span(),
            self.date(self.pack.as_of)
        );
        let unit = window.window.unit();
        let usual = match f.rise {
            Rise::FromNothing => format!(
                "after {} weeks in which it did not come up at all",
                baseline_weeks()
            ),
            Rise::FromTrickle => format!("where fewer than one a {unit} is usual"),
            Rise::Times(ratio) => format!(
                "{} the usual {} volume of about {}",
                multiple(ratio),
                window.window.adjective(),
                decimal(window.baseline)
            ),
            Rise::Flat => format!("against a usual {} a {unit}", decimal(window.baseline)),
        };
        let mut text = self.phrase(
            &phrasebook::VOLUME,
            &[
                ("subject", &self.subject_md()),
                ("posts", &posts(window.records)),
                ("span", &span),
                ("usual", &usual),
            ],
        );
        text.push(' ');
        text.push_str(&self.conversation_size());
        text
    }

    /// How much of the conversation the story reads: "This story reads 41 of its 230 posts and
    /// comments: one post and 40 comments."
    fn conversation_size(&self) -> String {
        let f = self.figures;
        let read = records_in_words(f.read - f.read_comments, f.read_comments);
        let mut text = if f.read == f.total {
            format!("This story draws on the whole conversation: {read}.")
        } else {
            format!(
                "This story draws on {} of the conversation's {} posts and comments: {read}.",
                number_words(f.read),
                number_words(f.total)
            )
        };
        if let Some(place) = self.one_community() {
            text.push_str(&format!(" Every one of them comes from {place}."));
        }
        let lead = f.lead;
        if let Some(replies) = lead
            .engagement
            .replies
            .filter(|r| *r as u64 > f.read_comments)
        {
            if f.read_comments > 0 {
                text.push_str(&format!(
                    " The lead thread has {} comments in all; those read here were chosen for the attention they drew and for how well they stand for the rest.",
                    number_words(replies as u64)
                ));
            }
        }
        text
    }

    /// The community every pack record comes from, when they all come from one.
    fn one_community(&self) -> Option<String> {
        let ((source, community), n) = self.figures.communities.first()?;
        (*n == self.figures.read && *n >= 2).then(|| community_name(*source, community, true))
    }

    /// What people are saying: one paragraph per strand, the first opened by how many there are;
    /// none when the pack shows no one taking it (a lone post).
    fn what_people_say(&mut self) -> Vec<String> {
        if self.reception().is_none() {
            return Vec::new();
        }
        let strands: Vec<&StrandFigures> = self
            .figures
            .strands
            .iter()
            .filter(|s| !s.strand.quotes.is_empty())
            .collect();
        let count = strands.len();
        let mut paragraphs = Vec::new();
        for (rank, strand) in strands.into_iter().enumerate() {
            let mut text = String::new();
            if rank == 0 && count > 1 {
                text.push_str(&self.phrase(
                    &phrasebook::STRANDS,
                    &[
                        ("n", &number_words(count as u64)),
                        ("records", self.records_noun()),
                    ],
                ));
                text.push(' ');
            }
            text.push_str(&self.strand(strand, rank, count));
            paragraphs.push(text);
        }
        paragraphs
    }

    /// One strand: what it is about, how large and warm it is, and its quotes.
    fn strand(&mut self, strand: &StrandFigures, rank: usize, count: usize) -> String {
        let f = self.figures;
        let terms: Vec<String> = strand
            .strand
            .terms
            .iter()
            .map(|t| format!("*{}*", escape_markdown(t)))
            .collect();
        let about = if terms.is_empty() {
            "ranges widely".to_string()
        } else {
            format!("turns on {}", join_and(&terms))
        };
        let which = match (rank, count) {
            (_, 1) => "The conversation".to_string(),
            (0, _) => "The largest".to_string(),
            (r, c) if r + 1 == c && c > 2 => "The smallest".to_string(),
            (1, _) => "The second".to_string(),
            _ => "Another".to_string(),
        };
        let size = if count == 1 {
            String::new()
        } else {
            format!(
                ", {} of the {} {},",
                number_words(strand.size),
                number_words(f.read),
                self.records_noun()
            )
        };
        let tone = Tone::of(strand.strand.warmth);
        let mut text = format!("{which}{size} {about}; its tone is {}.", tone.word());
        let mut previous: Option<Source> = None;
        for (n, quote) in strand.strand.quotes.iter().enumerate() {
            let Some(record) = f.record(&quote.record) else {
                continue;
            };
            if self.used.contains(record.id.as_str()) {
                continue;
            }
            self.used.insert(record.id.as_str());
            let quoted = quotes::quoted(&quote.text, record);
            let from_title = quote.text == record.title;
            let again = n > 0 && previous == Some(record.source);
            text.push(' ');
            text.push_str(&self.voice(record, &quoted, from_title, again));
            previous = Some(record.source);
        }
        text
    }

    /// A quote with who said it and where: "In r/LocalLLaMA, one commenter wrote: “…”[^id]".
    /// `from_title` when the quote is the record's title; `again` when the quote before came
    /// from the same platform, so its place is not repeated.
    fn voice(
        &self,
        record: &EvidenceRecord,
        quoted: &str,
        from_title: bool,
        again: bool,
    ) -> String {
        let where_ = place(record);
        if record.is_comment() {
            if again {
                return format!("Another commenter there wrote: {quoted}");
            }
            return self.phrase(
                &phrasebook::COMMENTER,
                &[("where", &where_), ("quote", quoted)],
            );
        }
        if record.id == self.figures.lead.id && !from_title {
            return format!("The post's author wrote: {quoted}");
        }
        let said = if from_title { "was titled" } else { "read:" };
        if again {
            return format!("Another there {said} {quoted}");
        }
        match record.source {
            Source::Reddit => format!("{where_}, a post {said} {quoted}"),
            Source::Hackernews => format!("{where_}, a submission {said} {quoted}"),
            Source::Bluesky | Source::Mastodon => match record.author.as_deref() {
                Some(author) => format!("{where_}, @{} wrote: {quoted}", escape_markdown(author)),
                None => format!("{where_}, a post read: {quoted}"),
            },
            Source::News => format!("{where_}, an item {said} {quoted}"),
            Source::Youtube => format!("{where_}, a video {said} {quoted}"),
            Source::Arxiv => format!("{where_}, a paper {said} {quoted}"),
        }
    }

    /// The fallback voices paragraph for a pack without strands: its most engaged records
    /// besides the lead; none for a lone post.
    fn who_said_what(&mut self) -> Option<String> {
        let mut voices: Vec<String> = Vec::new();
        let mut sources: Vec<Source> = Vec::new();
        let mut candidates: Vec<&'a EvidenceRecord> = self
            .pack
            .records
            .iter()
            .filter(|r| !self.used.contains(r.id.as_str()))
            .collect();
        candidates.sort_by(|a, b| {
            b.engagement
                .total()
                .cmp(&a.engagement.total())
                .then(a.id.cmp(&b.id))
        });
        for record in candidates {
            if voices.len() == 3 {
                break;
            }
            // One voice per platform first; then the next most engaged.
            if sources.contains(&record.source) && sources.len() < self.figures.platforms.len() {
                continue;
            }
            sources.push(record.source);
            self.used.insert(record.id.as_str());
            let words = crate::text::excerpt(&record.title, &record.text);
            let quoted = quotes::quoted(&words, record);
            voices.push(self.voice(record, &quoted, !record.title.is_empty(), false));
        }
        (!voices.is_empty()).then(|| voices.join(" "))
    }

    /// How platforms differ, only where at least two have enough records: their tone, and the
    /// strand each leans to.
    fn how_platforms_differ(&self) -> Option<String> {
        let comparable = self.figures.comparable_platforms();
        if comparable.len() < 2 {
            return None;
        }
        let mut parts: Vec<String> = Vec::new();
        for platform in &comparable {
            let tone = platform
                .sentiment
                .map(|s| format!("the tone was {}", Tone::of(s).word()));
            let leaning = self
                .leaning(platform.source)
                .map(|t| format!("talk leaned to *{}*", escape_markdown(t)));
            let said: Vec<String> = [tone, leaning].into_iter().flatten().collect();
            if !said.is_empty() {
                parts.push(format!(
                    "on {}, {}",
                    platform.source.display_name(),
                    join_and(&said)
                ));
            }
        }
        (parts.len() >= 2)
            .then(|| format!("The platforms did not sound alike: {}.", parts.join("; ")))
    }

    /// The first key phrase of the strand holding most of a platform's records.
    fn leaning(&self, source: Source) -> Option<&'a str> {
        let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
        for (i, strand) in self.figures.strands.iter().enumerate() {
            let n = strand
                .strand
                .records
                .iter()
                .filter(|id| id.source() == source)
                .count();
            counts.insert(i, n);
        }
        let (best, n) = counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
        (n > 0)
            .then(|| {
                self.figures.strands[best]
                    .strand
                    .terms
                    .first()
                    .map(String::as_str)
            })
            .flatten()
    }

    /// When: the earliest and latest records the story draws on.
    fn how_it_unfolded(&self) -> Option<String> {
        let f = self.figures;
        if f.read < 2 {
            return None; // The lead paragraph dates the one record.
        }
        let (earliest, latest) = (f.earliest, f.latest);
        if earliest.created_at.date_naive() == latest.created_at.date_naive() {
            return Some(format!(
                "Everything this story draws on was posted on {}[^{}].",
                self.date(earliest.created_at),
                earliest.id
            ));
        }
        Some(format!(
            "The earliest of the {} here is from {}[^{}]; the latest is from {}[^{}].",
            self.records_noun(),
            self.date(earliest.created_at),
            earliest.id,
            self.date(latest.created_at),
            latest.id
        ))
    }

    fn about_the_evidence(&self) -> String {
        let names: Vec<String> = self
            .figures
            .platforms
            .iter()
            .map(|p| p.source.display_name().to_string())
            .collect();
        let f = self.figures;
        let mut text = format!(
            "This is a small sample: {} in all, on {}. The usual volume is the average number of posts on the subject over the {} weeks before",
            posts(f.total),
            join_and(&names),
            baseline_weeks()
        );
        text.push_str(if f.total > 1 {
            "; the posts quoted here were chosen for the attention they drew and for how closely they follow the story."
        } else {
            "."
        });
        let unread_replies = f.lead.engagement.replies.filter(|r| *r > 0);
        if let (0, Some(replies)) = (f.read_comments, unread_replies) {
            text.push_str(&format!(
                " The {} under the lead item {} not in our records, so this story cannot say how people took it.",
                quotes::replies_noun(f.lead.source, replies as u64),
                if replies == 1 { "is" } else { "are" }
            ));
        }
        text
    }
}

/// Text the headline and dek may carry as it is: nothing Markdown or HTML would read as markup
/// (the body escapes such text; the headline and dek are plain).
fn plain(text: &str) -> bool {
    !text.contains(['<', '>', '[', ']', '*', '_', '`', '|', '\\', '#', '~'])
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Engagement, Kind, RecordId};

    fn bluesky(text: &str) -> EvidenceRecord {
        EvidenceRecord {
            id: RecordId::new(Source::Bluesky, "at://x"),
            source: Source::Bluesky,
            kind: Kind::Post,
            created_at: "2026-01-09T18:50:05Z".parse().unwrap(),
            url: "https://bsky.app/x".into(),
            title: String::new(),
            text: text.into(),
            author: Some("nytimes.com".into()),
            community: None,
            engagement: Engagement::default(),
            parent_id: None,
            thread_id: None,
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
