//! Events: the records of one happening, joined, with the attention they drew.
//!
//! Records of the [`EventConfig::window`] (7 days) and of the [`EventConfig::baseline`]
//! (28 days) before it are joined with a union–find, three ways:
//!
//! 1. **Thread**: a reply or comment joins its parent and its thread's root (`parent_id`,
//!    `thread_id`); replies of one thread join each other even when the root is older.
//! 2. **Link**: records pointing at the same canonical URL ([`canonical_url`]: the submitted
//!    link of a Hacker News story, a Reddit link post's target, a news article, a paper).
//! 3. **Meaning**: a top-level record about AI joins the earlier one it is most similar to,
//!    created at most [`EventConfig::meaning_hours`] before it, when both say so:
//!    - their **headlines** (titles, else the start of the text) share rare words: the rarity
//!      `ln(N / df)` of the shared words, over the `N` headlines compared, adds up to at least
//!      [`MIN_SHARED_SHARE`] of `ln N` (over 8,000 headlines, one word of one headline in 550,
//!      or two of one in 23 each). A word counts in at most [`DAILY_CAP`] headlines a day, so a
//!      launch's burst of posts does not make its own name usual; a word in headlines on more
//!      than half the days ("GPU", "local", "model" on a forum about local models) counts
//!      nothing. The shared words must hold a name ([`WordDays::is_name`]: digits, an inner
//!      capital, capitals, or capitalised as often as not inside sentence-case headlines) or
//!      two rare words: "ago" in "10 years ago" names no happening;
//!    - their **vectors** have a cosine of at least [`EventConfig::similarity`] (less where
//!      the headlines share more: cosine × shared ≥ similarity × needed), each static
//!      embedding less the mean of its platform's ([`centred_vectors`]): averaged word vectors
//!      of one forum share so much that any two of its posts would otherwise look alike;
//!
//!    and the record is as close, both ways, to the head of that one's event (its most engaged
//!    post so far) and within `meaning_hours` of it, so a chain of near neighbours cannot make
//!    one event of a busy week's every post on a popular name. Records are blocked by their rare
//!    headline words, scanned in time order, and compared with at most
//!    [`EventConfig::neighbours`] earlier records per word, so the work is linear in the window,
//!    never quadratic.
//!
//! Replies join whatever their thread is; an event must hold at least one record about AI.
//!
//! # Attention
//!
//! A record's attention is `a = ln(1 + points or likes) + ln(1 + comments or replies)`, and
//! `ã = a − W_p + ln 100`, where `W_p` is the log of its platform's usual week of engagement
//! ([`PlatformNorm::week`]: the sum of `e^a` over the platform's top-level records of the 28
//! days to `as_of`, per week, and at least [`MIN_WEEK_ITEMS`] median items'): `e^ã` is the
//! record's engagement as a percentage of a usual week on its platform, which makes a Reddit
//! score and a Hacker News point comparable. An event's attention adds engagement, not
//! records, then rewards spread:
//!
//! `A = ln(Σ_r e^ã(r)) + ln(1 + 0.5 (P − 1)) + ln(1 + 0.1 (min(C, 11) − 1))`
//!
//! over every member `r` (the replies actually in the store included, each with its own
//! engagement), with `P` platforms and `C` communities. A post with a tenth of its platform's
//! usual week weighs `ln 10 = 2.3`; a second platform adds `ln 1.5 = 0.41`.
//!
//! The **baseline** of an event is the median `A` of the events of its beat first seen in the
//! 28 days before the window ([`BeatNorm`]; all events' median when the beat had none), and
//! its **lift** is `A − baseline`. A lead whose `a` reaches its platform's 99th percentile of
//! the last 28 days is a **standout**: an event on its own, however few records joined it.
//!
//! Everything is deterministic: records are visited in (time, id) order, union–find roots are
//! the smallest index, ties break on record ids.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rustc_hash::FxHashMap;

use super::aggregate::{age, round3};
use super::classify::{quantise, Annotation, BeatIndex, Classifier};
use super::{strands, text};
use crate::model::event::{BeatNorm, EventFacts, Joins, PlatformNorm, Topic};
use crate::model::{Engagement, Kind, Record, RecordId, Source};
use crate::text::{has_inner_capital, has_letters_and_digits, possessive_stem};

/// How events are found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventConfig {
    /// Events with a record in `(as_of − window, as_of]` are current.
    pub window: Duration,
    /// The period before the window that sets the beats' usual event attention.
    pub baseline: Duration,
    /// Cosine two records need to join by meaning.
    pub similarity: f32,
    /// Largest time between two records joined by meaning.
    pub meaning_hours: i64,
    /// Earlier records of one entity a record is compared with.
    pub neighbours: usize,
}

impl Default for EventConfig {
    fn default() -> Self {
        EventConfig {
            window: Duration::days(7),
            baseline: Duration::days(crate::model::BASELINE_DAYS as i64),
            similarity: 0.35,
            meaning_hours: 72,
            neighbours: 32,
        }
    }
}

/// The unit of attention: a record's engagement as a percentage of a usual week's on its
/// platform.
const PERCENT: f64 = 100.0;
/// The fewest usual items a platform's week counts as (see [`PlatformNorm::week`]).
pub const MIN_WEEK_ITEMS: f64 = 25.0;
/// Share of its platform's items an item must beat to be a standout.
pub const STANDOUT_QUANTILE: f64 = 0.99;
/// Weight of each platform beyond the first in an event's attention.
pub const PLATFORM_SPREAD: f64 = 0.5;
/// Weight of each community beyond the first, up to [`MAX_COMMUNITIES_COUNTED`].
pub const COMMUNITY_SPREAD: f64 = 0.1;
/// Communities beyond this add no attention.
pub const MAX_COMMUNITIES_COUNTED: usize = 11;
/// Communities listed per event.
const MAX_COMMUNITIES_LISTED: usize = 20;

/// One event: its facts and its members.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub facts: EventFacts,
    /// Indices into the records: the lead first, then by attention (highest first, ties by id).
    pub members: Vec<usize>,
    /// The beat most of its attention is on (primary beats of its records about AI, weighted
    /// by `e^ã`).
    pub beat: Option<BeatIndex>,
    /// `ã` of each member, in `members` order.
    pub member_attention: Vec<f64>,
}

/// The events of a window and the yardsticks they were measured with.
#[derive(Debug, Clone, PartialEq)]
pub struct Events {
    /// Current events (a record in the window), sorted by key.
    pub events: Vec<Event>,
    pub platforms: BTreeMap<Source, PlatformNorm>,
    pub beats: BTreeMap<String, BeatNorm>,
    pub joins: Joins,
}

/// A record's attention `ln(1 + points or likes) + ln(1 + comments or replies)`.
pub fn record_attention(engagement: &Engagement) -> f64 {
    let part = |n: Option<i64>| (n.unwrap_or(0).max(0) as f64).ln_1p();
    part(engagement.score) + part(engagement.replies)
}

/// A reply or comment (joined by thread, never a lead while its event has a post).
pub fn is_reply(record: &Record) -> bool {
    record.kind == Kind::Comment
        || record.parent_id.is_some()
        || record
            .thread_id
            .as_ref()
            .is_some_and(|thread| thread != &record.id)
}

/// Finds the events as of `as_of` (see the module docs).
pub fn find(
    classifier: &Classifier,
    records: &[Record],
    annotations: &[Annotation],
    as_of: DateTime<Utc>,
    config: &EventConfig,
) -> Events {
    let scan = config.window + config.baseline;
    let mut scope: Vec<usize> = (0..records.len())
        .filter(|&i| age(records[i].created_at, as_of).is_some_and(|a| a < scan))
        .filter(|&i| annotations[i].relevant || is_reply(&records[i]))
        .collect();
    scope.sort_by(|&a, &b| {
        (records[a].created_at, &records[a].id).cmp(&(records[b].created_at, &records[b].id))
    });
    let platforms = platform_norms(records, as_of, config.baseline);
    let relative: Vec<f64> = scope
        .iter()
        .map(|&i| {
            let record = &records[i];
            let week = platforms.get(&record.source).map_or(0.0, |p| p.week);
            record_attention(&record.engagement) - week + PERCENT.ln()
        })
        .collect();
    let mut sets = UnionFind::new(scope.len());
    join_threads(records, &scope, &mut sets);
    join_links(records, &scope, &mut sets);
    join_meaning(records, annotations, &scope, config, &mut sets);
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for position in 0..scope.len() {
        groups
            .entry(sets.root(position))
            .or_default()
            .push(position);
    }
    let mut joins_of: FxHashMap<usize, Joins> = FxHashMap::default();
    for (p, how) in std::mem::take(&mut sets.joins) {
        how.count(joins_of.entry(sets.root(p)).or_default());
    }
    let joins = joins_of.values().fold(Joins::default(), |mut all, j| {
        all.thread += j.thread;
        all.link += j.link;
        all.meaning += j.meaning;
        all
    });
    let context = Build {
        records,
        annotations,
        scope: &scope,
        relative: &relative,
        platforms: &platforms,
    };
    let built: Vec<(Event, bool)> = groups
        .into_values()
        .filter(|positions| positions.iter().any(|&p| annotations[scope[p]].relevant))
        .map(|positions| {
            let mut event = context.event(&positions);
            event.facts.joins = joins_of.get(&positions[0]).copied().unwrap_or_default();
            let current = age(event.facts.last_seen, as_of).is_some_and(|a| a < config.window);
            (event, current)
        })
        .collect();
    let beats = beat_norms(classifier, &built, as_of, config);
    let overall = median(
        built
            .iter()
            .filter(|(e, _)| in_baseline(e, as_of, config))
            .map(|(e, _)| e.facts.attention)
            .collect(),
    );
    let mut events: Vec<Event> = built
        .into_iter()
        .filter(|(_, current)| *current)
        .map(|(mut event, _)| {
            // Never below a usual item of the platform: where a beat's events are usually
            // below that, ordinary posts would otherwise all look remarkable.
            let baseline = event
                .beat
                .and_then(|b| beats.get(classifier.taxonomy.beats[b as usize].slug.as_str()))
                .map_or(overall, |b| b.median)
                .max(0.0);
            event.facts.baseline = round3(baseline);
            event.facts.lift = round3(event.facts.attention - baseline);
            event
        })
        .collect();
    events.sort_by(|a, b| a.facts.key.cmp(&b.facts.key));
    Events {
        events,
        platforms,
        beats,
        joins,
    }
}

/// First seen in the baseline period (before the window, within the scan).
fn in_baseline(event: &Event, as_of: DateTime<Utc>, config: &EventConfig) -> bool {
    age(event.facts.first_seen, as_of).is_some_and(|a| a >= config.window)
}

/// Each platform's yardsticks over its top-level records of `span` to `as_of`: the median and
/// 99th percentile of record attention, and the log of a usual week's engagement.
fn platform_norms(
    records: &[Record],
    as_of: DateTime<Utc>,
    span: Duration,
) -> BTreeMap<Source, PlatformNorm> {
    let mut values: BTreeMap<Source, Vec<f64>> = BTreeMap::new();
    for record in records {
        if !is_reply(record) && age(record.created_at, as_of).is_some_and(|a| a < span) {
            values
                .entry(record.source)
                .or_default()
                .push(record_attention(&record.engagement));
        }
    }
    let weeks = span.num_days() as f64 / 7.0;
    values
        .into_iter()
        .map(|(source, mut v)| {
            v.sort_by(f64::total_cmp);
            // Summed in sorted order, so the input order cannot change the last bits.
            let total: f64 = v.iter().map(|a| a.exp()).sum();
            let median = quantile(&v, 0.5);
            // A platform with few items (a new source, a thin feed) still has a week of at
            // least this many usual items, so no item of it claims most of a week alone.
            let floor = MIN_WEEK_ITEMS * median.exp();
            let norm = PlatformNorm {
                items: v.len() as u64,
                median: round3(median),
                p99: round3(quantile(&v, STANDOUT_QUANTILE)),
                week: round3((total / weeks).max(floor).ln()),
            };
            (source, norm)
        })
        .collect()
}

/// The `q` quantile of sorted values (nearest rank); 0 when empty.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    quantile(&values, 0.5)
}

/// The median attention of each beat's events first seen in the baseline period.
fn beat_norms(
    classifier: &Classifier,
    built: &[(Event, bool)],
    as_of: DateTime<Utc>,
    config: &EventConfig,
) -> BTreeMap<String, BeatNorm> {
    let mut values: BTreeMap<BeatIndex, Vec<f64>> = BTreeMap::new();
    for (event, _) in built {
        if let (Some(beat), true) = (event.beat, in_baseline(event, as_of, config)) {
            values.entry(beat).or_default().push(event.facts.attention);
        }
    }
    values
        .into_iter()
        .map(|(beat, v)| {
            let slug = classifier.taxonomy.beats[beat as usize].slug.to_string();
            let norm = BeatNorm {
                events: v.len() as u64,
                median: round3(median(v)),
            };
            (slug, norm)
        })
        .collect()
}

/// Joins replies to their parent and thread root, and replies of one thread to each other.
fn join_threads(records: &[Record], scope: &[usize], sets: &mut UnionFind) {
    let position: FxHashMap<&RecordId, usize> = scope
        .iter()
        .enumerate()
        .map(|(p, &i)| (&records[i].id, p))
        .collect();
    let mut first_of_thread: FxHashMap<&RecordId, usize> = FxHashMap::default();
    for (p, &i) in scope.iter().enumerate() {
        let record = &records[i];
        let targets = [record.parent_id.as_ref(), record.thread_id.as_ref()];
        for target in targets.into_iter().flatten() {
            if let Some(&q) = position.get(target) {
                sets.union(p, q, How::Thread);
            }
        }
        if let Some(thread) = &record.thread_id {
            let first = *first_of_thread.entry(thread).or_insert(p);
            sets.union(p, first, How::Thread);
        }
    }
}

/// Joins records linking the same canonical URL.
fn join_links(records: &[Record], scope: &[usize], sets: &mut UnionFind) {
    let mut first: FxHashMap<String, usize> = FxHashMap::default();
    for (p, &i) in scope.iter().enumerate() {
        if let Some(url) = linked_url(&records[i]) {
            let q = *first.entry(url).or_insert(p);
            sets.union(p, q, How::Link);
        }
    }
}

/// What a record points at, canonicalised: the submitted link of a Hacker News story or a
/// Reddit link post (`extra.link`, else `extra.url`), or the address of an article, paper or
/// video itself. Posts on Bluesky, Mastodon or Reddit's own pages point at nothing.
pub fn linked_url(record: &Record) -> Option<String> {
    let from_extra = ["link", "url"]
        .iter()
        .find_map(|k| record.extra.get(*k).and_then(|v| v.as_str()));
    let raw = match (from_extra, record.kind) {
        (Some(link), _) => link,
        (None, Kind::Article | Kind::Paper | Kind::Video) => record.url.as_str(),
        _ => return None,
    };
    canonical_url(raw)
}

/// Query parameters that track a reader rather than name a page.
const TRACKING: &[&str] = &[
    "ref",
    "ref_src",
    "ref_url",
    "referrer",
    "source",
    "src",
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "si",
    "share",
    "smid",
    "smtyp",
    "cmpid",
    "partner",
    "guccounter",
    "_ga",
    "_gl",
    "__twitter_impression",
    "s",
    "feature",
    "sc",
    "taid",
    "ncid",
    "sr_share",
    "via",
];

/// Hosts whose pages are the platforms' own discussions or media, not a link to something
/// that happened elsewhere (each thread there is joined by its id, not its URL).
const OWN_HOSTS: &[&str] = &[
    "news.ycombinator.com",
    "reddit.com",
    "old.reddit.com",
    "redd.it",
    "i.redd.it",
    "v.redd.it",
    "preview.redd.it",
    "i.imgur.com",
    "imgur.com",
    "bsky.app",
];

/// The canonical form of a link, so that the same page submitted twice compares equal:
/// `https`, lowercase host without `www.`/`m.`/`mobile.`, no fragment, no tracking
/// parameters (`utm_*`, `ref`, `fbclid`, … see [`TRACKING`]), the others sorted, no trailing
/// slash; `youtu.be/ID` → `youtube.com/watch?v=ID`, arXiv `pdf`/versioned links → the
/// abstract. `None` for what is not a link to a page about something: not http(s), a
/// platform's own pages ([`OWN_HOSTS`]), or a site's home page.
pub fn canonical_url(raw: &str) -> Option<String> {
    let parsed = url::Url::parse(raw.trim()).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let mut host = parsed.host_str()?.to_ascii_lowercase();
    for prefix in ["www.", "m.", "mobile.", "amp."] {
        if let Some(rest) = host.strip_prefix(prefix) {
            host = rest.to_string();
        }
    }
    if OWN_HOSTS.contains(&host.as_str()) || host.ends_with(".reddit.com") {
        return None;
    }
    let mut path = parsed.path().trim_end_matches('/').to_string();
    let mut query: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| !is_tracking(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if host == "youtu.be" && path.len() > 1 {
        query = vec![("v".into(), path[1..].to_string())];
        host = "youtube.com".into();
        path = "/watch".into();
    }
    if host == "arxiv.org" {
        path = arxiv_abstract(&path);
    }
    if path.is_empty() && query.is_empty() {
        return None;
    }
    query.sort();
    let mut out = format!("https://{host}{path}");
    for (n, (k, v)) in query.iter().enumerate() {
        out.push(if n == 0 { '?' } else { '&' });
        out.push_str(k);
        if !v.is_empty() {
            out.push('=');
            out.push_str(v);
        }
    }
    Some(out)
}

/// A query parameter that tracks a click rather than names a page: `utm_*`, the names in
/// [`TRACKING`], and click ids made of a short prefix and a long number (`sf180690117`).
fn is_tracking(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let digits = key.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    key.starts_with("utm_")
        || TRACKING.contains(&key.as_str())
        || (digits.len() >= 6
            && key.len() - digits.len() <= 3
            && digits.chars().all(|c| c.is_ascii_digit()))
}

/// `/pdf/2401.01234v2.pdf`, `/abs/2401.01234v3` → `/abs/2401.01234`.
fn arxiv_abstract(path: &str) -> String {
    let Some(rest) = path
        .strip_prefix("/abs/")
        .or_else(|| path.strip_prefix("/pdf/"))
    else {
        return path.to_string();
    };
    let id = rest.trim_end_matches(".pdf");
    let id = match id.rfind('v') {
        Some(v) if v > 0 && id[v + 1..].chars().all(|c| c.is_ascii_digit()) && v + 1 < id.len() => {
            &id[..v]
        }
        _ => id,
    };
    format!("/abs/{id}")
}

/// Joins each top-level record about AI to the most similar earlier one whose headline shares
/// rare words with its own (see the module docs).
fn join_meaning(
    records: &[Record],
    annotations: &[Annotation],
    scope: &[usize],
    config: &EventConfig,
    sets: &mut UnionFind,
) {
    let vectors = centred_vectors(records, annotations, scope);
    let norms: Vec<f32> = vectors
        .iter()
        .map(|v| (v.iter().map(|&x| i32::from(x) * i32::from(x)).sum::<i32>() as f32).sqrt())
        .collect();
    let headlines = Headlines::of(records, scope, &norms);
    let cosine = |p: usize, q: usize| {
        let dot: i32 = vectors[p]
            .iter()
            .zip(&vectors[q])
            .map(|(&x, &y)| i32::from(x) * i32::from(y))
            .sum();
        dot as f32 / (norms[p] * norms[q])
    };
    // Headlines sharing more rare words than needed need less of the vectors' agreement: the
    // same title on two platforms joins whatever each platform's text adds to it.
    let alike = |shared: f32, cosine: f32| {
        shared >= headlines.needed && cosine * shared >= config.similarity * headlines.needed
    };
    let reach = Duration::hours(config.meaning_hours);
    let within_reach = |p: usize, q: usize| {
        (records[scope[p]].created_at - records[scope[q]].created_at).abs() <= reach
    };
    // Scope is in time order, so each block's list is too. Which block is scanned first does
    // not matter: each record keeps its best match over all its blocks, ties by position.
    let mut best: Vec<Option<(f32, usize)>> = vec![None; scope.len()];
    for list in headlines.blocks.values() {
        for (n, &p) in list.iter().enumerate() {
            for &q in list[n.saturating_sub(config.neighbours)..n].iter().rev() {
                if !within_reach(p, q) {
                    break;
                }
                let cosine = cosine(p, q);
                let better = match best[p] {
                    None => true,
                    Some((c, b)) => cosine > c || (cosine == c && q < b),
                };
                if better && alike(headlines.shared(p, q), cosine) {
                    best[p] = Some((cosine, q));
                }
            }
        }
    }
    // A record joins its match's event only if it is also like the event's head, its most
    // engaged post so far, and near it in time: without that, chains of near neighbours (each
    // like the one before, the last like none of the first) would make one event of a busy
    // week's every post on a popular name.
    let engagement: Vec<f64> = scope
        .iter()
        .map(|&i| record_attention(&records[i].engagement))
        .collect();
    let mut head: Vec<usize> = (0..scope.len()).collect();
    for p in 0..scope.len() {
        let root = sets.root(p);
        if norms[p] > 0.0 && (norms[head[root]] == 0.0 || engagement[p] > engagement[head[root]]) {
            head[root] = p;
        }
    }
    for (p, found) in best.into_iter().enumerate() {
        let Some((_, q)) = found else { continue };
        let (mine, theirs) = (head[sets.root(p)], head[sets.root(q)]);
        let like_the_head =
            || within_reach(p, theirs) && alike(headlines.shared(p, theirs), cosine(p, theirs));
        if theirs == q || like_the_head() {
            sets.union(p, q, How::Meaning);
            let merged = if engagement[theirs] >= engagement[mine] {
                theirs
            } else {
                mine
            };
            head[sets.root(p)] = merged;
        }
    }
}

/// A headline word that can tell what the headline is about.
fn says_something(lower: &str) -> bool {
    let letters = lower.chars().filter(|c| c.is_alphabetic()).count();
    (letters >= 3 || lower.chars().any(|c| c.is_ascii_digit())) && !strands::is_filler(lower)
}

/// Share of `ln N` (the rarity of a word of one headline alone) that the rarity of the words
/// two headlines share must add up to: over 8,000 headlines, 6.3 — one word of at most one
/// headline in 550, or two of one in 23 each.
pub const MIN_SHARED_SHARE: f32 = 0.7;
/// Headlines of one day a word counts in, at most: a launch's fifty posts in two days make its
/// name no more usual than a word of six headlines.
const DAILY_CAP: u32 = 3;
/// Words in headlines on more than this share of the days compared say nothing about two
/// records (on a forum about local models, "GPU", "local", "model"), so they neither block nor
/// count.
const MAX_DAY_SHARE: f64 = 0.5;
/// Characters of the text that stand for the headline of a record without a title.
const HEADLINE_CHARS: usize = 200;

/// The words of the compared records' headlines and how rare each is among them.
struct Headlines {
    /// Per scope position, its headline's word ids, sorted (empty for records not compared).
    words: Vec<Vec<u32>>,
    /// Per word id, `ln(N / df)` with `df` its headlines, at most [`DAILY_CAP`] a day; 0 for a
    /// word of more than [`MAX_DAY_SHARE`] of the days.
    rarity: Vec<f32>,
    /// Per word id, whether it is a name ([`WordDays::is_name`]).
    named: Vec<bool>,
    /// Per word rare enough to say something, the positions whose headline has it, in scope
    /// (time) order.
    blocks: FxHashMap<u32, Vec<usize>>,
    /// The rarity two headlines must share ([`MIN_SHARED_SHARE`] of `ln N`).
    needed: f32,
}

/// How often a word has been seen in the headlines so far.
#[derive(Debug, Clone, Copy, Default)]
struct WordDays {
    /// Headlines, at most [`DAILY_CAP`] a day.
    capped: u32,
    /// Days it was seen on.
    days: u32,
    /// The last of them, and its headlines that day.
    last: Option<(chrono::NaiveDate, u32)>,
    /// Seen shaped as a name ([`Case::Name`]).
    shaped: bool,
    /// Seen capitalised, and in lower case, where its case tells.
    capital: u32,
    lower: u32,
}

impl WordDays {
    fn add(&mut self, day: chrono::NaiveDate, case: Case) {
        match case {
            Case::Name => self.shaped = true,
            Case::Capital => self.capital += 1,
            Case::Lower => self.lower += 1,
            Case::Untold => {}
        }
        let today = match self.last {
            Some((d, n)) if d == day => n + 1,
            _ => {
                self.days += 1;
                1
            }
        };
        self.last = Some((day, today));
        if today <= DAILY_CAP {
            self.capped += 1;
        }
    }

    /// Shaped as a name, capitalised more often than not where its case tells, or never seen
    /// where its case tells ("Kiro" only ever opening headlines): only a word known to be
    /// ordinary is not a name.
    fn is_name(&self) -> bool {
        self.shaped || self.capital >= self.lower
    }
}

impl Headlines {
    /// The headlines of the positions with a vector (`norms > 0`), in scope (time) order.
    fn of(records: &[Record], scope: &[usize], norms: &[f32]) -> Headlines {
        let mut ids: FxHashMap<String, u32> = FxHashMap::default();
        let mut seen: Vec<WordDays> = Vec::new();
        let mut days = 0u32;
        let mut today = None;
        let words: Vec<Vec<u32>> = scope
            .iter()
            .zip(norms)
            .map(|(&i, &norm)| {
                if norm == 0.0 {
                    return Vec::new();
                }
                let day = records[i].created_at.date_naive();
                if today != Some(day) {
                    today = Some(day);
                    days += 1;
                }
                let mut found: Vec<(u32, Case)> = headline_words(&records[i])
                    .into_iter()
                    .map(|HeadlineWord { word, case }| {
                        let next = ids.len() as u32;
                        (*ids.entry(word).or_insert(next), case)
                    })
                    .collect();
                found.sort_unstable_by_key(|&(w, _)| w);
                found.dedup_by_key(|&mut (w, _)| w);
                seen.resize(ids.len(), WordDays::default());
                found
                    .iter()
                    .for_each(|&(w, case)| seen[w as usize].add(day, case));
                found.into_iter().map(|(w, _)| w).collect()
            })
            .collect();
        let n = words.iter().filter(|w| !w.is_empty()).count().max(1) as f64;
        let most_days = MAX_DAY_SHARE * f64::from(days);
        let rarity: Vec<f32> = seen
            .iter()
            .map(|w| match f64::from(w.days) {
                d if d <= most_days => (n / f64::from(w.capped)).ln() as f32,
                _ => 0.0,
            })
            .collect();
        let mut blocks: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
        for (p, found) in words.iter().enumerate() {
            for &w in found {
                if seen[w as usize].capped >= 2 && rarity[w as usize] > 0.0 {
                    blocks.entry(w).or_default().push(p);
                }
            }
        }
        Headlines {
            words,
            rarity,
            named: seen.iter().map(WordDays::is_name).collect(),
            blocks,
            needed: MIN_SHARED_SHARE * n.ln() as f32,
        }
    }

    /// The summed rarity of the words the headlines of `p` and `q` share; 0 unless one of them
    /// is a rare name or two are rare words ("IMO gold achieved"): one rare word that names
    /// nothing ("ago" in "10 years ago" and "2 years ago") makes no happening.
    fn shared(&self, p: usize, q: usize) -> f32 {
        let (a, b) = (&self.words[p], &self.words[q]);
        let (mut i, mut j, mut sum, mut named, mut rare) = (0, 0, 0.0, false, 0);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    let w = a[i] as usize;
                    sum += self.rarity[w];
                    if self.rarity[w] > 0.0 {
                        named |= self.named[w];
                        rare += 1;
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        if named || rare >= 2 {
            sum
        } else {
            0.0
        }
    }
}

/// A headline word, lower case, and what its case in the headline says about it.
#[derive(Debug, Clone, PartialEq)]
struct HeadlineWord {
    word: String,
    case: Case,
}

/// What a word's case in one headline says about whether it is a name.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Case {
    /// Letters with digits, an inner capital or all capitals ("K2", "OpenAI", "GPT"): a name.
    Name,
    /// Capitalised inside a sentence-case headline.
    Capital,
    /// Lower case inside a sentence-case headline.
    Lower,
    /// At the start of a sentence, in a title-case or shouted headline, or a part of a longer
    /// name: its case says nothing.
    Untold,
}

/// The words of a record's headline (its title, else the start of its text), lower case, filler
/// ([`strands::is_filler`]) and words of fewer than three letters without a digit left out ("3n"
/// and "K2" stay), possessives as their stem ("Grok’s" is "grok"); a name with inner hyphens
/// or dots also gives its parts ("qwen3-coder", "qwen3", "coder"), so that "Qwen3 Coder" and
/// "Qwen3-Coder" share words.
fn headline_words(record: &Record) -> Vec<HeadlineWord> {
    let headline = if record.title.trim().is_empty() {
        let end = record.text.char_indices().nth(HEADLINE_CHARS);
        &record.text[..end.map_or(record.text.len(), |(i, _)| i)]
    } else {
        &record.title
    };
    let tokens = text::tokenize(headline);
    let case_tells = !is_title_case(&tokens);
    let mut words = Vec::new();
    for (n, token) in tokens.iter().enumerate() {
        let mut lower = String::new();
        text::push_lowercase(possessive_stem(token.text), &mut lower);
        let parts: Vec<&str> = lower.split(['-', '.']).collect();
        if parts.len() > 1 {
            words.extend(parts.into_iter().filter(|s| says_something(s)).map(|part| {
                HeadlineWord {
                    case: if has_letters_and_digits(part) {
                        Case::Name
                    } else {
                        Case::Untold
                    },
                    word: part.to_string(),
                }
            }));
        }
        if says_something(&lower) {
            let case = match token {
                _ if has_letters_and_digits(&lower) => Case::Name,
                _ if !case_tells => Case::Untold,
                t if t.is_all_caps() || has_inner_capital(t.text) => Case::Name,
                t if n == 0 || t.after_break => Case::Untold,
                t if t.is_capitalised() => Case::Capital,
                _ => Case::Lower,
            };
            words.push(HeadlineWord { word: lower, case });
        }
    }
    words
}

/// Every word of four letters or more after the first, function words aside, is capitalised
/// ("OpenAI Releases New Model", not "Amazon launches Kiro, a Claude-powered IDE"), so
/// capitals there do not mark names.
fn is_title_case(tokens: &[text::Token<'_>]) -> bool {
    let words: Vec<&text::Token<'_>> = tokens
        .iter()
        .skip(1)
        .filter(|token| {
            token.text.chars().filter(|c| c.is_alphabetic()).count() >= 4
                && !strands::is_filler(&token.text.to_lowercase())
        })
        .collect();
    words.len() >= 2 && words.iter().all(|token| token.is_capitalised())
}

/// The embedding of each top-level record about AI, at unit length and less the mean of its
/// platform's (empty for the others), quantised like [`Annotation::vector`]. Averaged word
/// vectors of one forum share a large common part, so that any two of its posts have a cosine
/// of 0.3–0.6 whatever they are about; less that part, the cosine says whether two posts are
/// about the same thing.
fn centred_vectors(
    records: &[Record],
    annotations: &[Annotation],
    scope: &[usize],
) -> Vec<Vec<i8>> {
    let unit = |i: usize| -> Option<Vec<f64>> {
        let annotation = &annotations[i];
        if !annotation.relevant || is_reply(&records[i]) {
            return None;
        }
        let v: Vec<f64> = annotation.vector.iter().map(|&x| f64::from(x)).collect();
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        (norm > 0.0).then(|| v.into_iter().map(|x| x / norm).collect())
    };
    let units: Vec<Option<Vec<f64>>> = scope.iter().map(|&i| unit(i)).collect();
    // Summed in scope order (time, id), so the means do not depend on the input's order.
    let mut sums: BTreeMap<Source, (Vec<f64>, f64)> = BTreeMap::new();
    for (&i, unit) in scope.iter().zip(&units) {
        if let Some(v) = unit {
            let (sum, n) = sums
                .entry(records[i].source)
                .or_insert_with(|| (vec![0.0; v.len()], 0.0));
            sum.iter_mut().zip(v).for_each(|(s, x)| *s += x);
            *n += 1.0;
        }
    }
    scope
        .iter()
        .zip(units)
        .map(|(&i, unit)| {
            let Some(v) = unit else { return Vec::new() };
            let (sum, n) = &sums[&records[i].source];
            let centred: Vec<f32> = v.iter().zip(sum).map(|(x, s)| (x - s / n) as f32).collect();
            quantise(&centred)
        })
        .collect()
}

/// What building an event from its positions needs.
struct Build<'a> {
    records: &'a [Record],
    annotations: &'a [Annotation],
    scope: &'a [usize],
    /// `ã` per scope position.
    relative: &'a [f64],
    platforms: &'a BTreeMap<Source, PlatformNorm>,
}

impl Build<'_> {
    /// The event of these scope positions (in time order); baseline and lift are filled later.
    fn event(&self, positions: &[usize]) -> Event {
        let records = self.records;
        let record = |p: usize| &records[self.scope[p]];
        let top_level: Vec<usize> = positions
            .iter()
            .copied()
            .filter(|&p| !is_reply(record(p)))
            .collect();
        let mut ranked: Vec<usize> = positions.to_vec();
        ranked.sort_by(|&a, &b| {
            let (ta, tb) = (is_reply(record(a)), is_reply(record(b)));
            ta.cmp(&tb)
                .then(self.relative[b].total_cmp(&self.relative[a]))
                .then_with(|| record(a).id.cmp(&record(b).id))
        });
        let lead = record(ranked[0]);
        let anchor = match top_level.first() {
            Some(&p) => record(p).id.clone(),
            None => {
                let first = record(positions[0]);
                first.thread_id.clone().unwrap_or_else(|| first.id.clone())
            }
        };
        let mut platforms: Vec<Source> = positions.iter().map(|&p| record(p).source).collect();
        platforms.sort();
        platforms.dedup();
        let mut communities: Vec<String> = positions
            .iter()
            .filter_map(|&p| record(p).community.clone())
            .collect();
        communities.sort();
        communities.dedup();
        let engagement: f64 = positions.iter().map(|&p| self.relative[p].exp()).sum();
        let spread = (1.0 + PLATFORM_SPREAD * (platforms.len() as f64 - 1.0)).ln()
            + (1.0
                + COMMUNITY_SPREAD
                    * (communities.len().clamp(1, MAX_COMMUNITIES_COUNTED) as f64 - 1.0))
                .ln();
        let standout = self.platforms.get(&lead.source).is_some_and(|norm| {
            norm.items > 0 && record_attention(&lead.engagement) >= norm.p99 && norm.p99 > 0.0
        });
        communities.truncate(MAX_COMMUNITIES_LISTED);
        let facts = EventFacts {
            key: Topic::of_anchor(&anchor),
            lead: lead.id.clone(),
            headline: headline_of(lead),
            attention: round3(engagement.ln() + spread),
            baseline: 0.0,
            lift: 0.0,
            standout,
            records: positions.len() as u64,
            comments: (positions.len() - top_level.len()) as u64,
            platforms,
            communities,
            first_seen: record(positions[0]).created_at,
            last_seen: record(positions[positions.len() - 1]).created_at,
            joins: Joins::default(),
            arc: Vec::new(),
        };
        Event {
            facts,
            beat: self.beat_of(positions),
            member_attention: ranked.iter().map(|&p| self.relative[p]).collect(),
            members: ranked.into_iter().map(|p| self.scope[p]).collect(),
        }
    }

    /// The primary beat carrying most of the event's attention, ties by beat order. When none
    /// of its records has a primary beat (all are about AI in general), the beat the learned
    /// model rated most probable after `general`, weighted the same way: a story needs a beat
    /// to live on.
    fn beat_of(&self, positions: &[usize]) -> Option<BeatIndex> {
        let mut votes: BTreeMap<BeatIndex, f64> = BTreeMap::new();
        for &p in positions {
            let annotation = &self.annotations[self.scope[p]];
            if let (true, Some(beat)) = (annotation.relevant, annotation.primary_beat()) {
                *votes.entry(beat).or_default() += self.relative[p].exp();
            }
        }
        if votes.is_empty() {
            for &p in positions {
                let annotation = &self.annotations[self.scope[p]];
                let choice = annotation
                    .choices
                    .iter()
                    .find_map(|c| Some((c.beat?, c.probability)));
                if let (true, Some((beat, probability))) = (annotation.relevant, choice) {
                    *votes.entry(beat).or_default() +=
                        self.relative[p].exp() * f64::from(probability);
                }
            }
        }
        votes
            .into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(beat, _)| beat)
    }
}

/// A record's title, or its text's opening words, at most 140 characters.
pub fn headline_of(record: &Record) -> String {
    let text = if record.title.trim().is_empty() {
        &record.text
    } else {
        &record.title
    };
    crate::text::shorten(text.trim(), 140)
}

/// Which rule joined two records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    Thread,
    Link,
    Meaning,
}

impl How {
    fn count(self, joins: &mut Joins) {
        match self {
            How::Thread => joins.thread += 1,
            How::Link => joins.link += 1,
            How::Meaning => joins.meaning += 1,
        }
    }
}

/// Union–find over `0..n`; the root of a set is its smallest member, so the result does not
/// depend on the order of unions. Remembers each join that merged two sets, and how.
struct UnionFind {
    parent: Vec<u32>,
    joins: Vec<(usize, How)>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
            joins: Vec::new(),
        }
    }

    fn root(&mut self, mut x: usize) -> usize {
        while self.parent[x] as usize != x {
            let up = self.parent[self.parent[x] as usize];
            self.parent[x] = up;
            x = up as usize;
        }
        x
    }

    /// Joins the sets of `a` and `b`; true when they were apart.
    fn union(&mut self, a: usize, b: usize, how: How) -> bool {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra == rb {
            return false;
        }
        let (low, high) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[high] = low as u32;
        self.joins.push((a, how));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::snapshot::tests::record;

    #[test]
    fn headlines_share_rare_names_not_the_forum_s_common_words() {
        let titled = |native: &str, title: &str| Record {
            title: title.into(),
            ..record(native, "2025-06-26T00:00:00Z")
        };
        let words_of = |record: &Record| -> Vec<(String, Case)> {
            headline_words(record)
                .into_iter()
                .map(|w| (w.word, w.case))
                .collect()
        };
        let owned = |words: &[(&str, Case)]| -> Vec<(String, Case)> {
            words.iter().map(|&(w, c)| (w.to_string(), c)).collect()
        };
        let words = words_of(&titled("a", "Qwen3-Coder: is it any good on 2 GPUs?"));
        use Case::*;
        assert_eq!(
            words,
            owned(&[
                ("qwen3", Name),
                ("coder", Untold),
                ("qwen3-coder", Name),
                ("2", Lower),
                ("gpus", Name)
            ])
        );
        let untitled = Record {
            text: "Kimi K2 runs at 5 tok/s".into(),
            ..titled("b", " ")
        };
        assert_eq!(
            words_of(&untitled),
            owned(&[
                ("kimi", Untold),
                ("k2", Name),
                ("runs", Lower),
                ("5", Lower),
                ("tok", Lower)
            ])
        );
        // In a title-case headline capitals say nothing; digits still make names.
        assert_eq!(
            words_of(&titled("c", "Moonshot Releases Kimi’s K2 Model")),
            owned(&[
                ("moonshot", Untold),
                ("releases", Untold),
                ("kimi", Untold),
                ("k2", Name),
                ("model", Untold)
            ])
        );
        // 2,000 headlines, one an hour: one in ten says "GPU" (every day), two an hour apart
        // name FLUX.1 Kontext.
        let mut records: Vec<Record> = (0..2000)
            .map(|n| {
                let mut record = titled(&format!("r{n}"), &format!("question number{n}"));
                record.created_at += Duration::hours(n);
                if n % 10 == 0 {
                    record.title = format!("GPU question number{n}");
                }
                record
            })
            .collect();
        records[1000].title = "FLUX.1 Kontext released".into();
        records[1001].title = "Trying Kontext today".into();
        records[1500].title = "Imagine seeing this headline 10 years ago".into();
        records[1501].title = "Which models today beat Llama2-70B from 2 years ago?".into();
        records[1700].title = "OpenAI achieved IMO gold with an experimental model".into();
        records[1701].title = "Researcher confirms IMO gold was achieved".into();
        let scope: Vec<usize> = (0..records.len()).collect();
        let headlines = Headlines::of(&records, &scope, &vec![1.0; records.len()]);
        assert_eq!(
            headlines.shared(0, 10),
            0.0,
            "a word of every day weighs nothing"
        );
        assert!(headlines.shared(1000, 1001) >= headlines.needed);
        assert!(headlines.shared(0, 1000) == 0.0);
        assert_eq!(
            headlines.shared(1500, 1501),
            0.0,
            "a rare word that names nothing (\"ago\") joins nothing"
        );
        assert!(
            headlines.shared(1700, 1701) >= headlines.needed,
            "two rare words join without a name"
        );
        // Only words rare enough to matter block records for comparison.
        let mut blocked: Vec<&Vec<usize>> = headlines.blocks.values().collect();
        blocked.sort();
        assert_eq!(
            blocked,
            [
                &vec![1000, 1001],
                &vec![1500, 1501],
                &vec![1700, 1701],
                &vec![1700, 1701]
            ]
        );
    }

    #[test]
    fn canonical_urls_drop_what_does_not_name_the_page() {
        let same = [
            "https://www.example.com/a/b/?utm_source=hn&utm_medium=x#section",
            "http://example.com/a/b",
            "https://m.example.com/a/b?ref=producthunt",
            "HTTPS://WWW.EXAMPLE.COM/a/b/",
        ];
        for url in same {
            assert_eq!(
                canonical_url(url).as_deref(),
                Some("https://example.com/a/b"),
                "{url}"
            );
        }
        assert_eq!(
            canonical_url("https://example.com/watch?z=1&a=2&fbclid=x&sf180690117=1").as_deref(),
            Some("https://example.com/watch?a=2&z=1")
        );
        assert_eq!(
            canonical_url("https://youtu.be/dQw4w9WgXcQ?si=abc").as_deref(),
            Some("https://youtube.com/watch?v=dQw4w9WgXcQ")
        );
        assert_eq!(
            canonical_url("https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share").as_deref(),
            Some("https://youtube.com/watch?v=dQw4w9WgXcQ")
        );
        assert_eq!(
            canonical_url("https://arxiv.org/pdf/2401.01234v2.pdf").as_deref(),
            Some("https://arxiv.org/abs/2401.01234")
        );
        assert_eq!(
            canonical_url("https://arxiv.org/abs/2401.01234v3").as_deref(),
            Some("https://arxiv.org/abs/2401.01234")
        );
        // Case in a path names a different page.
        assert_ne!(
            canonical_url("https://example.com/A"),
            canonical_url("https://example.com/a")
        );
        for none in [
            "https://news.ycombinator.com/item?id=1",
            "https://www.reddit.com/r/LocalLLaMA/comments/abc/x/",
            "https://i.redd.it/abc.png",
            "https://openai.com/",
            "mailto:someone@example.com",
            "not a url",
        ] {
            assert_eq!(canonical_url(none), None, "{none}");
        }
    }

    #[test]
    fn attention_is_logarithmic_in_points_and_comments() {
        let engagement = Engagement {
            score: Some(99),
            replies: Some(9),
            ..Default::default()
        };
        assert!((record_attention(&engagement) - (100f64.ln() + 10f64.ln())).abs() < 1e-12);
        assert_eq!(record_attention(&Engagement::default()), 0.0);
        let negative = Engagement {
            score: Some(-5),
            ..Default::default()
        };
        assert_eq!(record_attention(&negative), 0.0);
    }

    #[test]
    fn union_find_roots_are_the_smallest_member_whatever_the_order() {
        let mut a = UnionFind::new(5);
        a.union(4, 3, How::Link);
        a.union(3, 1, How::Link);
        let mut b = UnionFind::new(5);
        b.union(1, 3, How::Thread);
        b.union(4, 1, How::Meaning);
        for x in 0..5 {
            assert_eq!(a.root(x), b.root(x));
        }
        assert_eq!(a.root(4), 1);
        assert!(!a.union(1, 4, How::Link));
        assert_eq!(a.joins.len(), 2);
    }
}
