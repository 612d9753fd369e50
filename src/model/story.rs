//! The front matter of a story file, `content/stories/YYYY/MM/<slug>.md`.
//!
//! The site generator reads the fixed top-level keys (`title`, `description`, `date`, `slug`,
//! `taxonomies`, `extra`); everything the synthesis stage knows about how a story was made lives
//! under `extra`, so a reader can always see which evidence, writer and checks stand behind it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::event::EventFacts;
use super::{Kind, RecordId, Source, Topic};

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_post(kind: &Kind) -> bool {
    *kind == Kind::Post
}

/// Why a topic became a story candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignalKind {
    /// Far above its rolling baseline.
    Velocity,
    /// A burst of terms or entities with no history.
    Novelty,
    /// Platforms disagree in sentiment on the same subject.
    Divergence,
}

/// How strong a signal is, in three bands set by the analysis stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Intensity {
    #[serde(alias = "Low")]
    Low,
    #[serde(alias = "Medium")]
    Medium,
    #[serde(alias = "High")]
    High,
}

impl Intensity {
    /// The lowercase name used in front matter and in a story's prose ("medium intensity").
    pub fn as_str(self) -> &'static str {
        match self {
            Intensity::Low => "low",
            Intensity::Medium => "medium",
            Intensity::High => "high",
        }
    }
}

/// Who writes a story's text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WriterKind {
    /// The deterministic writer built into Zeitgeist; needs no network.
    #[default]
    Offline,
    /// Anthropic's Messages API.
    Anthropic,
    /// Any server speaking OpenAI's `/v1/chat/completions` (Ollama, llama-server, vLLM, …).
    Openai,
}

impl WriterKind {
    /// The lowercase name used in config and front matter.
    pub fn as_str(self) -> &'static str {
        match self {
            WriterKind::Offline => "offline",
            WriterKind::Anthropic => "anthropic",
            WriterKind::Openai => "openai",
        }
    }
}

/// The whole front matter of a story, in the order it is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Story {
    /// The headline; it states a finding.
    pub title: String,
    /// The dek: one or two sentences under the headline.
    pub description: String,
    /// When the story was written (the `--as-of` time or the evidence's as-of time).
    pub date: DateTime<Utc>,
    /// The file name without `.md`; also the last part of the story's URL.
    pub slug: String,
    /// `beats: [<beat slug>]` and `categories: [<category name>]`.
    pub taxonomies: StoryTaxonomies,
    /// How the story was made: signal, frozen evidence, writer, grounding outcome.
    pub extra: StoryExtra,
}

/// The taxonomy terms a story is listed under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoryTaxonomies {
    pub beats: Vec<String>,
    pub categories: Vec<String>,
}

/// Everything under the story's `extra:` key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoryExtra {
    /// The candidate's stable topic key; dedup compares it across runs.
    pub topic: Topic,
    /// The beat's display name.
    pub beat_name: String,
    /// True for the run's lead story.
    pub lead: bool,
    pub intensity: Intensity,
    pub signal: StorySignal,
    pub evidence: FrozenEvidence,
    pub writer: WriterInfo,
    pub grounding: GroundingOutcome,
    /// The earlier story on the same topic this one follows up, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows_up: Option<EarlierStory>,
    /// The event the story is about, as it stood when written (its `arc` lists the earlier
    /// stories: "the story so far"); the next runs compare their event with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventFacts>,
}

/// The signal that made the topic a story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorySignal {
    pub kind: SignalKind,
    pub strength: f64,
    /// The beat, entity or phrase the signal fired on.
    pub subject: String,
    /// Why it fired, in the analysis stage's words.
    pub reason: String,
}

/// The evidence as it stood when the story was written; later data never changes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrozenEvidence {
    /// The records shown to the writer, in evidence order.
    pub records: Vec<RecordId>,
    /// Records of the whole candidate, by platform.
    pub counts: BTreeMap<Source, u64>,
    /// How many of them are comments (stories from before it was recorded: 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub comments: u64,
    /// Records on the subject in the 24 hours to the as-of time.
    pub volume_24h: u64,
    /// The subject's usual records per day.
    pub baseline: f64,
    /// The window the signal fired on, with its counts: the volume figures the story states.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowVolume>,
    /// The records the story cites, as they read when it was written, in citation order: the
    /// story page shows them as cards. Their text is untrusted and must be escaped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quoted: Vec<QuotedRecord>,
}

/// A cited record frozen into the story (text cut to a few hundred characters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotedRecord {
    pub id: RecordId,
    pub source: Source,
    /// Post, comment, article… (cards of stories from before it was recorded: post).
    #[serde(default, skip_serializing_if = "is_post")]
    pub kind: Kind,
    pub url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Subreddit, feed, instance or channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Which writer produced the published text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriterInfo {
    /// The writer whose text was published.
    pub kind: WriterKind,
    /// The model asked, for HTTP writers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The editorial prompt's version, e.g. `story-v1` (the offline writer follows it too).
    pub prompt_version: String,
    /// When the offline writer stood in: the model whose drafts were not used,
    /// as `<provider>/<model>` (e.g. `anthropic/claude-sonnet-4-5`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_model: Option<String>,
    /// Tokens spent on this story, summed over the first request and any repair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<TokenUsage>,
}

/// Tokens a provider reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Model requests that returned a completion.
    pub requests: u32,
}

impl std::ops::AddAssign for TokenUsage {
    fn add_assign(&mut self, other: TokenUsage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.requests += other.requests;
    }
}

/// What the grounding gate found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroundingOutcome {
    /// Individual checks run on the published text (footnotes, quotes, figures, structure).
    pub checks: u32,
    /// True when the published text passed every check.
    pub passed: bool,
    /// True when the model's first draft failed and its repaired draft passed.
    pub repaired: bool,
    /// True when the model's drafts failed (or the model could not be reached) and the
    /// offline writer's story was published instead.
    pub fell_back: bool,
    /// The failures that led to a repair or a fallback, as sent back to the model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<String>,
    /// Why the model's story was not used when no draft came back (e.g. HTTP 400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writer_error: Option<String>,
}

/// A link from a follow-up to the story it updates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlierStory {
    pub title: String,
    /// Path under `content/`, e.g. `stories/2026/03/anthropic-…md`.
    pub path: String,
    pub date: DateTime<Utc>,
    /// Candidate records the earlier story counted, across platforms.
    pub records: u64,
}

/// The month folders of `stories_dir` (`YYYY/MM`, as stories are filed by date) that may hold
/// stories dated from `from` to `to`, oldest first: readers of recent stories walk these
/// instead of every story ever written. Only folders that exist are listed.
pub fn month_folders(
    stories_dir: &std::path::Path,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<std::path::PathBuf> {
    use chrono::Datelike;
    let numbered = |dir: &std::path::Path| -> Vec<(u32, std::path::PathBuf)> {
        let mut found: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path())))
            .collect();
        found.sort();
        found
    };
    let (first, last) = (
        (from.year() as u32, from.month()),
        (to.year() as u32, to.month()),
    );
    let mut folders = Vec::new();
    for (year, year_dir) in numbered(stories_dir) {
        if year < first.0 || year > last.0 {
            continue;
        }
        for (month, month_dir) in numbered(&year_dir) {
            if (year, month) >= first && (year, month) <= last {
                folders.push(month_dir);
            }
        }
    }
    folders
}

/// Days of usual volume a window is compared with: the mean day of the 28 days before the last
/// 24 hours, or the mean week of the four weeks before the last seven days. The analysis computes
/// baselines over it; stories say it in words ("in the four weeks before").
pub const BASELINE_DAYS: usize = 28;

/// The length of the window a signal compares with the usual volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Window {
    /// The 24 hours to `as_of`, against the mean day of the [`BASELINE_DAYS`] before.
    #[serde(rename = "24h")]
    Day,
    /// The 7 days to `as_of`, against the mean week of the [`BASELINE_DAYS`] before.
    #[serde(rename = "7d")]
    Week,
}

impl Window {
    /// "24 hours" / "7 days", as a story names the span.
    pub fn span(self) -> &'static str {
        match self {
            Window::Day => "24 hours",
            Window::Week => "seven days",
        }
    }

    /// "day" / "week", the unit of the usual volume.
    pub fn unit(self) -> &'static str {
        match self {
            Window::Day => "day",
            Window::Week => "week",
        }
    }

    /// "daily" / "weekly".
    pub fn adjective(self) -> &'static str {
        match self {
            Window::Day => "daily",
            Window::Week => "weekly",
        }
    }

    /// The window's length in hours and days, figures a story may write ("24 hours", "7 days").
    pub fn figures(self) -> [f64; 2] {
        match self {
            Window::Day => [24.0, 1.0],
            Window::Week => [168.0, 7.0],
        }
    }
}

/// Records on the signal's subject in one window, against the usual number per window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowVolume {
    pub window: Window,
    /// Records in the window to `as_of`.
    pub records: u64,
    /// Usual records per window before it.
    pub baseline: f64,
}

impl WindowVolume {
    /// How many times the usual volume the window saw; `None` without a baseline.
    pub fn ratio(&self) -> Option<f64> {
        (self.baseline > 0.0).then(|| self.records as f64 / self.baseline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRONT: &str = "title: T\ndescription: D\ndate: 2026-02-28T00:00:00Z\nslug: t\ntaxonomies:\n  beats: [military]\n  categories: [Governance]\nextra:\n  topic: military/x\n  beat_name: Military\n  lead: true\n  intensity: medium\n  signal: {kind: velocity, strength: 3.82, subject: X, reason: R}\n  evidence:\n    records: [reddit:1abc]\n    counts: {reddit: 1}\n    volume_24h: 6\n    baseline: 1.57\n  writer: {kind: anthropic, model: m, prompt_version: story-v1, usage: {input_tokens: 10, output_tokens: 5, requests: 1}}\n  grounding: {checks: 3, passed: true, repaired: false, fell_back: false}\n";

    #[test]
    fn front_matter_round_trips_and_rejects_unknown_keys() {
        let story: Story = serde_yaml::from_str(FRONT).unwrap();
        assert_eq!(story.extra.intensity, Intensity::Medium);
        assert_eq!(story.extra.writer.kind, WriterKind::Anthropic);
        let again: Story = serde_yaml::from_str(&serde_yaml::to_string(&story).unwrap()).unwrap();
        assert_eq!(story, again);
        let err = serde_yaml::from_str::<Story>(&FRONT.replace("  lead:", "  leed: 1\n  lead:"))
            .unwrap_err();
        assert!(err.to_string().contains("unknown field `leed`"), "{err}");
    }
}
