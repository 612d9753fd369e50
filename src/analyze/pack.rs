//! From an analysis candidate to an [`EvidencePack`]: count the candidate's records per
//! platform and choose the ones a writer sees — engagement against centrality, a voice for every
//! platform, no near-duplicates, then the comments of the chosen posts' threads — and group them
//! into strands ([`super::strands`]). The pack itself is a contract between stages and lives in
//! `model/evidence.rs`; choosing its records is the analysis stage's work.
//!
//! Text enters the pack cleaned (`text::own_text`: entities decoded, Markdown removed, and the
//! lines a record quotes from someone else left out), so what a writer quotes is what a reader
//! sees, and nobody is quoted saying what they only cited.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::embed::StaticModel;
use super::strands;
use crate::model::evidence::{CandidateFacts, EvidencePack, EvidenceRecord, PlatformStats};
use crate::model::{Kind, Record, RecordId, Source};

/// Most posts (anything but comments) a pack holds: enough voices, few enough tokens. A pack
/// holds fewer only when its candidate has fewer distinct records.
pub const MAX_PACK_RECORDS: usize = 40;

/// Most comments a pack holds besides its posts: enough for 2–4 strands of several voices each.
pub const MAX_PACK_COMMENTS: usize = 40;

/// How long a record's text may be inside a pack; longer text is cut at a word boundary so one
/// long article cannot crowd out the other voices (quotes must come from what is kept).
const MAX_RECORD_CHARS: usize = 1200;

/// Comments with fewer words than this say too little to quote or group ("This.", "lol").
const MIN_COMMENT_WORDS: usize = 4;

/// The writer's view of a stored record: title and text cleaned (`text::clean_title`,
/// `text::own_text`), the text cut to [`MAX_RECORD_CHARS`].
pub fn evidence_record(record: &Record) -> EvidenceRecord {
    EvidenceRecord {
        id: record.id.clone(),
        source: record.source,
        kind: record.kind,
        created_at: record.created_at,
        url: record.url.clone(),
        title: crate::text::clean_title(&record.title),
        text: crate::text::cut_at_word(&crate::text::own_text(&record.text), MAX_RECORD_CHARS)
            .to_string(),
        author: record.author.as_deref().map(crate::text::clean_title),
        community: record.community.clone(),
        engagement: record.engagement.clone(),
        parent_id: record.parent_id.clone(),
        thread_id: record.thread_id.clone(),
    }
}

/// Builds a pack from a candidate's facts and all its records (comments of its threads
/// included): counts records per platform and chooses the records the writer sees with
/// [`select_records`]. `centrality` is the analysis stage's score per record (similarity to the
/// cluster centre, 0…1); records missing from it get a centrality computed from shared
/// vocabulary. With `model`, the chosen records are grouped into strands, named against
/// `background`.
pub fn assemble(
    facts: CandidateFacts,
    records: &[Record],
    centrality: &HashMap<RecordId, f64>,
    model: Option<&StaticModel>,
    background: &strands::Background,
) -> EvidencePack {
    let mut platforms: BTreeMap<Source, PlatformStats> = BTreeMap::new();
    for record in records {
        let stats = platforms.entry(record.source).or_insert(PlatformStats {
            records: 0,
            comments: 0,
            sentiment: None,
        });
        stats.records += 1;
        stats.comments += u64::from(record.kind == Kind::Comment);
    }
    for (source, stats) in platforms.iter_mut() {
        stats.sentiment = facts.sentiment.get(source).copied();
    }
    let chosen = select_records(records, centrality, MAX_PACK_RECORDS);
    let evidence: Vec<EvidenceRecord> = chosen.iter().map(|r| evidence_record(r)).collect();
    let strands = model
        .map(|model| strands::find(&evidence, &facts.signal.subject, model, background))
        .unwrap_or_default();
    EvidencePack {
        topic: facts.topic,
        as_of: facts.as_of,
        beat: facts.beat,
        category: facts.category,
        signal: facts.signal,
        intensity: facts.intensity,
        volume: facts.volume,
        platforms,
        top_entities: facts.top_entities,
        top_phrases: facts.top_phrases,
        records: evidence,
        strands,
        event: facts.event,
    }
}

/// Weight of engagement against centrality when ranking a candidate's records.
const ENGAGEMENT_WEIGHT: f64 = 0.6;
/// No platform fills more than this share of a pack while others still have records to offer.
const MAX_PLATFORM_SHARE: f64 = 0.6;
/// Records each platform is guaranteed (when it has them) so every platform gets a voice.
const GUARANTEED_PER_PLATFORM: usize = 2;

/// Chooses up to `max` posts for a pack, best first, then up to [`MAX_PACK_COMMENTS`] comments
/// (see [`select_comments`]).
///
/// Posts are every record that is not a comment.
///
/// Each record scores `0.6 × engagement + 0.4 × centrality`, where engagement is the record's
/// percentile among records *of its own platform* (a Reddit score and a Bluesky like count are
/// not comparable) and centrality comes from `centrality` or, when absent, from
/// [`vocabulary_centrality`]. Near-duplicates of a record already chosen and records with the
/// same words as one already chosen are skipped. For platform diversity, every platform first
/// gets its best two records; the rest are filled by score, with no platform above 60 % of the
/// pack while other platforms still have records. Ties break on record id, so the choice is
/// deterministic.
pub fn select_records<'a>(
    records: &'a [Record],
    centrality: &HashMap<RecordId, f64>,
    max: usize,
) -> Vec<&'a Record> {
    let ranked = rank(records, centrality);
    let posts: Vec<(f64, &Record)> = ranked
        .iter()
        .filter(|(_, r)| r.kind != Kind::Comment)
        .copied()
        .collect();
    let mut chosen = select_posts(&posts, max);
    let comments: Vec<(f64, &Record)> = ranked
        .iter()
        .filter(|(_, r)| r.kind == Kind::Comment)
        .copied()
        .collect();
    chosen.extend(select_comments(&chosen, &comments, MAX_PACK_COMMENTS));
    chosen
}

/// Every record with its score, best first: `0.6 × engagement + 0.4 × centrality`.
fn rank<'a>(records: &'a [Record], centrality: &HashMap<RecordId, f64>) -> Vec<(f64, &'a Record)> {
    let fallback = vocabulary_centrality(records);
    let engagement = engagement_percentiles(records);
    let mut ranked: Vec<(f64, &Record)> = records
        .iter()
        .enumerate()
        .map(|(i, record)| {
            let central = centrality.get(&record.id).copied().unwrap_or(fallback[i]);
            (
                ENGAGEMENT_WEIGHT * engagement[i] + (1.0 - ENGAGEMENT_WEIGHT) * central,
                record,
            )
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
    ranked
}

/// Up to `max` comments, taken in turn from each thread (threads in the order of their chosen
/// post, then threads without one), each thread's best first: a thread of 300 comments does
/// not silence a thread of 20. Deleted, removed and very short comments are skipped.
pub fn select_comments<'a>(
    posts: &[&'a Record],
    ranked: &[(f64, &'a Record)],
    max: usize,
) -> Vec<&'a Record> {
    let mut threads: Vec<(&RecordId, Vec<&'a Record>)> = Vec::new();
    let thread_of = |r: &'a Record| r.thread_id.as_ref().or(r.parent_id.as_ref());
    for post in posts {
        threads.push((&post.id, Vec::new()));
    }
    let mut picker = Picker::new(max);
    for (_, comment) in ranked {
        let worth = comment.text.split_whitespace().count() >= MIN_COMMENT_WORDS
            && !matches!(comment.text.trim(), "[deleted]" | "[removed]");
        let Some(thread) = thread_of(comment).filter(|_| worth) else {
            continue;
        };
        match threads.iter_mut().find(|(id, _)| *id == thread) {
            Some((_, list)) => list.push(comment),
            None => threads.push((thread, vec![*comment])),
        }
    }
    let longest = threads.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    for turn in 0..longest {
        for (_, list) in &threads {
            if let Some(comment) = list.get(turn) {
                picker.try_take(comment);
            }
        }
    }
    picker.chosen
}

/// Posts for a pack from `ranked` (posts only, best first); see [`select_records`].
fn select_posts<'a>(ranked: &[(f64, &'a Record)], max: usize) -> Vec<&'a Record> {
    let mut picker = Picker::new(max);
    for source in Source::ALL {
        for (_, record) in ranked.iter().filter(|(_, r)| r.source == source) {
            if picker.count(source) >= GUARANTEED_PER_PLATFORM {
                break;
            }
            picker.try_take(record);
        }
    }
    let sources: BTreeSet<Source> = ranked.iter().map(|(_, r)| r.source).collect();
    let cap = if sources.len() > 1 {
        ((max as f64) * MAX_PLATFORM_SHARE).ceil() as usize
    } else {
        max
    };
    for (_, record) in ranked {
        if picker.count(record.source) < cap {
            picker.try_take(record);
        }
    }
    // When the cap left room and only capped platforms have records left, use them after all.
    for (_, record) in ranked {
        picker.try_take(record);
    }
    let order: HashMap<&RecordId, usize> = ranked
        .iter()
        .enumerate()
        .map(|(i, (_, r))| (&r.id, i))
        .collect();
    let mut chosen = picker.chosen;
    chosen.sort_by_key(|r| order[&r.id]);
    chosen
}

/// The records chosen so far, with what is needed to refuse duplicates.
struct Picker<'a> {
    max: usize,
    chosen: Vec<&'a Record>,
    ids: BTreeSet<&'a RecordId>,
    words: BTreeSet<String>,
}

impl<'a> Picker<'a> {
    fn new(max: usize) -> Self {
        Picker {
            max,
            chosen: Vec::new(),
            ids: BTreeSet::new(),
            words: BTreeSet::new(),
        }
    }

    fn count(&self, source: Source) -> usize {
        self.chosen.iter().filter(|r| r.source == source).count()
    }

    fn try_take(&mut self, record: &'a Record) {
        if self.chosen.len() >= self.max || self.ids.contains(&record.id) {
            return;
        }
        // A record without words gives a writer nothing to quote.
        if record.full_text().trim().is_empty() {
            return;
        }
        if record
            .near_duplicate_of
            .as_ref()
            .is_some_and(|original| self.ids.contains(original))
        {
            return;
        }
        let words = normalised_words(&record.full_text());
        if !self.words.insert(words) {
            return;
        }
        self.ids.insert(&record.id);
        self.chosen.push(record);
    }
}

fn normalised_words(text: &str) -> String {
    tokens(text).collect::<Vec<_>>().join(" ")
}

fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| t.chars().count() > 2)
        .map(str::to_lowercase)
}

/// Each record's engagement as a percentile (0…1) among records of its own platform.
fn engagement_percentiles(records: &[Record]) -> Vec<f64> {
    let mut by_source: HashMap<Source, Vec<i64>> = HashMap::new();
    for record in records {
        by_source
            .entry(record.source)
            .or_default()
            .push(record.engagement.total());
    }
    for totals in by_source.values_mut() {
        totals.sort_unstable();
    }
    records
        .iter()
        .map(|record| {
            let totals = &by_source[&record.source];
            if totals.len() < 2 {
                return 1.0;
            }
            let below = totals.partition_point(|&t| t < record.engagement.total());
            below as f64 / (totals.len() - 1) as f64
        })
        .collect()
}

/// A record's centrality from shared vocabulary: the mean share of the candidate's records
/// that contain each of its words, scaled to 0…1 within the candidate. A record built from the
/// words everyone uses sits at the centre of the story; an off-topic one sits at the edge.
pub fn vocabulary_centrality(records: &[Record]) -> Vec<f64> {
    let word_sets: Vec<BTreeSet<String>> = records
        .iter()
        .map(|r| tokens(&r.full_text()).collect())
        .collect();
    let mut document_frequency: HashMap<&str, usize> = HashMap::new();
    for set in &word_sets {
        for word in set {
            *document_frequency.entry(word.as_str()).or_default() += 1;
        }
    }
    let raw: Vec<f64> = word_sets
        .iter()
        .map(|set| {
            if set.is_empty() {
                return 0.0;
            }
            let shared: usize = set.iter().map(|w| document_frequency[w.as_str()] - 1).sum();
            shared as f64 / set.len() as f64
        })
        .collect();
    let top = raw.iter().copied().fold(0.0, f64::max);
    raw.iter()
        .map(|v| if top > 0.0 { v / top } else { 0.0 })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Engagement, Kind};

    fn record(source: Source, id: &str, title: &str, score: i64) -> Record {
        Record {
            id: RecordId::new(source, id),
            source,
            kind: Kind::Post,
            url: format!("https://example.org/{id}"),
            title: title.to_string(),
            text: String::new(),
            author: None,
            author_id: None,
            community: None,
            created_at: "2026-03-01T00:00:00Z".parse().unwrap(),
            collected_at: "2026-03-01T00:00:00Z".parse().unwrap(),
            language: None,
            engagement: Engagement {
                score: Some(score),
                ..Default::default()
            },
            parent_id: None,
            thread_id: None,
            matched: None,
            near_duplicate_of: None,
            extra: Default::default(),
            truncated: false,
        }
    }

    #[test]
    fn every_platform_gets_a_voice_and_no_platform_floods_the_pack() {
        let mut records: Vec<Record> = (0..30)
            .map(|i| {
                record(
                    Source::Reddit,
                    &format!("r{i}"),
                    &format!("Pentagon post item{i}"),
                    1000 + i,
                )
            })
            .collect();
        records.push(record(Source::Bluesky, "b1", "Pentagon bans a lab", 3));
        records.push(record(Source::Hackernews, "h1", "Pentagon and the lab", 5));
        let chosen = select_records(&records, &HashMap::new(), 10);
        assert_eq!(chosen.len(), 10);
        assert!(chosen.iter().any(|r| r.source == Source::Bluesky));
        assert!(chosen.iter().any(|r| r.source == Source::Hackernews));
        let reddit = chosen.iter().filter(|r| r.source == Source::Reddit).count();
        assert_eq!(
            reddit, 8,
            "the cap only binds while others have records left"
        );
    }

    #[test]
    fn duplicates_are_skipped_and_order_is_by_score() {
        let mut copy = record(Source::Reddit, "r2", "Same words here", 50);
        copy.near_duplicate_of = Some(RecordId::new(Source::Reddit, "r1"));
        let records = vec![
            record(Source::Reddit, "r1", "Same words here", 100),
            copy,
            record(Source::Reddit, "r3", "same words, here!", 10),
            record(Source::Reddit, "r4", "Other words entirely", 1),
        ];
        let chosen: Vec<&str> = select_records(&records, &HashMap::new(), 40)
            .iter()
            .map(|r| r.id.native_id())
            .collect();
        assert_eq!(chosen, ["r1", "r4"]);
    }
}
