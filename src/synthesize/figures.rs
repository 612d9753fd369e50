//! The figures of one story, computed once from its evidence pack: the only numbers, dates and
//! orderings a story may state. The offline writer words them and the grounding gate checks
//! every draft — the offline writer's and a model's — against this same struct, so writer and
//! gate cannot disagree about what is earliest, largest, most discussed or how many times the
//! usual volume a week saw.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::model::evidence::{EvidencePack, EvidenceRecord, Strand, WindowVolume};
use crate::model::{RecordId, Source};

/// A window's volume against its usual volume, in the terms a story can use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rise {
    /// No records at all in the baseline period.
    FromNothing,
    /// Fewer than one record per window before: a multiple of almost nothing means little.
    FromTrickle,
    /// At least [`MIN_STATED_RATIO`] times the usual volume (records ÷ usual records).
    Times(f64),
    /// Less than that: no multiple is stated.
    Flat,
}

/// Smallest multiple of the usual volume a story states; "1.3 times the norm" is not a rise.
pub const MIN_STATED_RATIO: f64 = 2.0;

/// Fewest records of each of two platforms before a story compares them.
pub const MIN_PLATFORM_RECORDS: u64 = 5;

/// How people took something, from a mean sentiment score (VADER's compound, −1…1). Comment
/// threads score above zero on average, so "warm" starts at 0.3, not at VADER's 0.05.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Warm,
    Even,
    Cool,
}

impl Tone {
    /// The tone of a mean sentiment score. Zero is what neutral text scores (most titles), so
    /// only a score below VADER's own negative threshold reads as cool.
    pub fn of(score: f64) -> Tone {
        match score {
            s if s >= 0.3 => Tone::Warm,
            s if s <= -0.05 => Tone::Cool,
            _ => Tone::Even,
        }
    }

    /// The tone in a word, as a sentence ends on it ("its tone is warm").
    pub fn word(self) -> &'static str {
        match self {
            Tone::Warm => "warm",
            Tone::Even => "mixed",
            Tone::Cool => "cool",
        }
    }
}

/// One platform's share of the conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformFigures {
    pub source: Source,
    /// Records of the whole conversation (comments included) and how many are comments.
    pub records: u64,
    pub comments: u64,
    /// Its share of the conversation's records, in whole per cent.
    pub share: u64,
    pub sentiment: Option<f64>,
    /// Records of the pack (those a story quotes from) from this platform.
    pub read: u64,
}

/// One strand as a story states it.
#[derive(Debug, Clone, PartialEq)]
pub struct StrandFigures<'a> {
    pub strand: &'a Strand,
    /// Records in the strand, and its share of the pack's records in whole per cent.
    pub size: u64,
    pub share: u64,
}

/// Every figure of one story.
#[derive(Debug, Clone)]
pub struct Figures<'a> {
    pub pack: &'a EvidencePack,
    /// The window the signal fired on, and how it compares with the usual.
    pub window: WindowVolume,
    /// `window.records ÷ window.baseline`, the only multiple a story states.
    pub ratio: Option<f64>,
    pub rise: Rise,
    /// Records of the whole conversation, and how many are comments.
    pub total: u64,
    pub comments: u64,
    /// Records of the pack, and how many of them are comments.
    pub read: u64,
    pub read_comments: u64,
    /// Platforms, most records first (ties by name).
    pub platforms: Vec<PlatformFigures>,
    /// Pack records per community, most first (ties by platform and name).
    pub communities: Vec<((Source, String), u64)>,
    /// The pack's earliest and latest records (ties by id).
    pub earliest: &'a EvidenceRecord,
    pub latest: &'a EvidenceRecord,
    /// The lead item: the pack's most engaged post (or record, in a pack of comments only).
    pub lead: &'a EvidenceRecord,
    /// The strands, largest first, as the pack orders them.
    pub strands: Vec<StrandFigures<'a>>,
}

impl<'a> Figures<'a> {
    /// The figures of `pack`, which must hold at least one record (`EvidencePack::problems`).
    pub fn of(pack: &'a EvidencePack) -> Figures<'a> {
        let window = pack.volume.window();
        let ratio = window.ratio();
        let rise = match ratio {
            None => Rise::FromNothing,
            Some(_) if window.baseline < 1.0 => Rise::FromTrickle,
            Some(r) if r >= MIN_STATED_RATIO => Rise::Times(r),
            Some(_) => Rise::Flat,
        };
        let total = pack.total_records();
        let mut platforms: Vec<PlatformFigures> = pack
            .platforms
            .iter()
            .map(|(source, stats)| PlatformFigures {
                source: *source,
                records: stats.records,
                comments: stats.comments,
                share: percent(stats.records, total),
                sentiment: stats.sentiment,
                read: pack.records.iter().filter(|r| r.source == *source).count() as u64,
            })
            .collect();
        platforms.sort_by(|a, b| b.records.cmp(&a.records).then(a.source.cmp(&b.source)));
        let mut by_community: BTreeMap<(Source, String), u64> = BTreeMap::new();
        for record in &pack.records {
            if let Some(community) = &record.community {
                *by_community
                    .entry((record.source, community.clone()))
                    .or_default() += 1;
            }
        }
        let mut communities: Vec<((Source, String), u64)> = by_community.into_iter().collect();
        communities.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let first = &pack.records[0];
        let earliest = pack
            .records
            .iter()
            .min_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)))
            .unwrap_or(first);
        let latest = pack
            .records
            .iter()
            .max_by(|a, b| a.created_at.cmp(&b.created_at).then(b.id.cmp(&a.id)))
            .unwrap_or(first);
        let read = pack.records.len() as u64;
        let strands = pack
            .strands
            .iter()
            .map(|strand| StrandFigures {
                strand,
                size: strand.records.len() as u64,
                share: percent(strand.records.len() as u64, read),
            })
            .collect();
        Figures {
            pack,
            window,
            ratio,
            rise,
            total,
            comments: pack.platforms.values().map(|p| p.comments).sum(),
            read,
            read_comments: pack.records.iter().filter(|r| r.is_comment()).count() as u64,
            platforms,
            communities,
            earliest,
            latest,
            lead: most_engaged(pack.records.iter().filter(|r| !r.is_comment()))
                .unwrap_or_else(|| most_engaged(pack.records.iter()).unwrap_or(first)),
            strands,
        }
    }

    /// The most engaged of the pack's records that `keep` accepts (ties by id).
    pub fn most_engaged_where(
        &self,
        keep: impl Fn(&EvidenceRecord) -> bool,
    ) -> Option<&'a EvidenceRecord> {
        most_engaged(self.pack.records.iter().filter(|r| keep(r)))
    }

    /// Whether `record` is, or ties with, the most engaged of the records `keep` accepts.
    pub fn is_most_engaged(
        &self,
        record: &EvidenceRecord,
        keep: impl Fn(&EvidenceRecord) -> bool,
    ) -> bool {
        self.most_engaged_where(keep)
            .is_some_and(|top| top.engagement.total() == record.engagement.total())
    }

    /// The pack's record with this id.
    pub fn record(&self, id: &RecordId) -> Option<&'a EvidenceRecord> {
        self.pack.record(id)
    }

    /// The platform holding more than half the conversation's records, if one does.
    pub fn leader(&self) -> Option<Source> {
        self.platforms
            .first()
            .filter(|p| p.records * 2 > self.total)
            .map(|p| p.source)
    }

    /// Platforms with enough records in the pack for a story to compare them.
    pub fn comparable_platforms(&self) -> Vec<&PlatformFigures> {
        self.platforms
            .iter()
            .filter(|p| p.read >= MIN_PLATFORM_RECORDS)
            .collect()
    }

    /// The whole multiple a story states for a rise ("about four times"): the ratio rounded.
    pub fn stated_multiple(&self) -> Option<u64> {
        match self.rise {
            Rise::Times(ratio) => Some(ratio.round() as u64),
            _ => None,
        }
    }

    /// Every share in per cent a story may state: platforms, strands, comments.
    pub fn shares(&self) -> Vec<u64> {
        let mut shares: Vec<u64> = self.platforms.iter().map(|p| p.share).collect();
        shares.extend(self.strands.iter().map(|s| s.share));
        shares.push(percent(self.comments, self.total));
        shares.push(percent(self.read_comments, self.read));
        shares
    }

    /// The dates a story may name: every record's day, the as-of day and the window's first day.
    pub fn dates(&self) -> Vec<NaiveDate> {
        let mut dates: Vec<NaiveDate> = self
            .pack
            .records
            .iter()
            .map(|r| r.created_at.date_naive())
            .collect();
        let as_of = self.pack.as_of;
        dates.push(as_of.date_naive());
        let days = self.window.window.figures()[1] as i64;
        dates.push((as_of - chrono::Duration::days(days)).date_naive());
        dates.sort_unstable();
        dates.dedup();
        dates
    }

    /// The as-of time, which dates without a year are read against.
    pub fn as_of(&self) -> DateTime<Utc> {
        self.pack.as_of
    }
}

/// `part` of `whole` in whole per cent (0 when `whole` is 0).
pub fn percent(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        0
    } else {
        (part as f64 * 100.0 / whole as f64).round() as u64
    }
}

fn most_engaged<'a>(
    records: impl Iterator<Item = &'a EvidenceRecord>,
) -> Option<&'a EvidenceRecord> {
    records.max_by(|a, b| {
        a.engagement
            .total()
            .cmp(&b.engagement.total())
            .then(b.id.cmp(&a.id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tones_read_as_words() {
        assert_eq!(Tone::of(0.45).word(), "warm");
        assert_eq!(Tone::of(0.1).word(), "mixed");
        assert_eq!(
            Tone::of(0.0).word(),
            "mixed",
            "neutral text is not a cool reception"
        );
        assert_eq!(Tone::of(-0.2).word(), "cool");
    }
}
