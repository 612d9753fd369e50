//! `[synthesis]` in `site.toml`: which writer drafts stories, how hard it tries, and what makes a
//! pack worth a story. The writer itself reads these settings in `synthesize/`.

use serde::Deserialize;

use crate::model::WriterKind;

/// `[synthesis]` in `site.toml`. Every key is optional.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SynthesisConfig {
    /// `offline` (default), `anthropic` or `openai` (any OpenAI-compatible server).
    pub writer: WriterKind,
    /// Model name; defaults to `claude-sonnet-4-5` for Anthropic, required for `openai`.
    pub model: Option<String>,
    /// Server root; defaults to `https://api.anthropic.com` for Anthropic and
    /// `http://127.0.0.1:11434/v1` (Ollama) for `openai`.
    pub base_url: Option<String>,
    /// Name of the environment variable holding the API key (never the key itself); defaults
    /// to `ANTHROPIC_API_KEY` for Anthropic; for `openai` no key is sent unless this is set.
    pub api_key_env: Option<String>,
    /// Stories written per run, at most; the first written is the lead.
    pub max_stories: usize,
    /// Token limit of one reply; a reply cut off there counts as a failure.
    pub max_tokens: u32,
    /// Limit for one HTTP request, in milliseconds.
    pub timeout_ms: u64,
    /// Extra attempts on 429, 5xx, 529 and transport errors.
    pub retries: u32,
    /// First backoff without `retry-after`, in milliseconds; doubles per attempt.
    pub retry_base_ms: u64,
    /// Longest single wait between attempts, whatever `retry-after` asks, in milliseconds.
    pub retry_max_wait_ms: u64,
    /// No attempt starts later than this after the first, in milliseconds.
    pub retry_deadline_ms: u64,
    /// A topic with a story in the last this-many hours is not written again…
    pub dedup_window_hours: u32,
    /// …unless it grew by at least this factor; then a follow-up is written. For an event (every
    /// candidate since events), growth is its engagement, `e^(A − A₀)` with `A` the event's
    /// attention, or reaching a new platform counts as well; for older packs, its records.
    pub dedup_growth: f64,
    /// Fewest distinct posts a story rests on: a story needs at least this many records in its
    /// evidence and in the window its signal fired on. One or two posts are an anecdote.
    pub min_posts: u64,
    /// Smallest rise, as a multiple of the usual volume of the window, for a velocity story:
    /// "1.4 times the usual" is noise, not news.
    pub min_ratio: f64,
}

impl Default for SynthesisConfig {
    fn default() -> Self {
        SynthesisConfig {
            writer: WriterKind::Offline,
            model: None,
            base_url: None,
            api_key_env: None,
            max_stories: 3,
            max_tokens: 2048,
            timeout_ms: 60_000,
            retries: 3,
            retry_base_ms: 1_000,
            retry_max_wait_ms: 30_000,
            retry_deadline_ms: 180_000,
            dedup_window_hours: 48,
            dedup_growth: crate::model::event::ARC_GROWTH,
            min_posts: 4,
            min_ratio: 2.0,
        }
    }
}

impl SynthesisConfig {
    /// The model the configured writer asks for: the configured one, Anthropic's default, or
    /// none for the offline writer (and for `openai` without one, which `problems` reports).
    pub fn model_name(&self) -> Option<String> {
        match self.writer {
            WriterKind::Offline => None,
            WriterKind::Anthropic => Some(
                self.model
                    .clone()
                    .unwrap_or_else(|| "claude-sonnet-4-5".into()),
            ),
            WriterKind::Openai => self.model.clone(),
        }
    }

    /// Problems with the values, as `(key, message)`, for the config loader to report.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.max_stories == 0 {
            problems.push(("synthesis.max_stories", "must be at least 1".to_string()));
        }
        if self.max_tokens < 256 {
            problems.push((
                "synthesis.max_tokens",
                "must be at least 256 (a story needs room)".to_string(),
            ));
        }
        if self.timeout_ms == 0 {
            problems.push(("synthesis.timeout_ms", "must be at least 1".to_string()));
        }
        if self.dedup_growth.is_nan() || self.dedup_growth <= 1.0 {
            problems.push((
                "synthesis.dedup_growth",
                "must be above 1 (a factor of growth)".to_string(),
            ));
        }
        if self.min_posts == 0 {
            problems.push(("synthesis.min_posts", "must be at least 1".to_string()));
        }
        if self.min_ratio.is_nan() || self.min_ratio <= 1.0 {
            problems.push((
                "synthesis.min_ratio",
                "must be above 1 (a rise over the usual volume)".to_string(),
            ));
        }
        if self.writer == WriterKind::Openai && self.model.is_none() {
            problems.push((
                "synthesis.model",
                "is required with writer = \"openai\"".to_string(),
            ));
        }
        if let Some(var) = &self.api_key_env {
            if var.is_empty() || var.contains(char::is_whitespace) || var.starts_with("sk-") {
                problems.push((
                    "synthesis.api_key_env",
                    "must name an environment variable (never put the key itself in site.toml)"
                        .to_string(),
                ));
            }
        }
        problems
    }
}
