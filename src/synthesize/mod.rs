//! The synthesis stage: turns the top story candidates into Markdown stories under
//! `content/stories/`, each written from an [`EvidencePack`] and checked by the grounding gate.
//!
//! Flow for one pack:
//! 1. A story on the same topic within the dedup window? Skip it, unless the evidence grew by
//!    the configured factor; then write a follow-up that links the earlier story.
//! 2. The configured writer drafts the story: the [`offline`] writer, or a model over HTTP
//!    ([`llm`]) prompted with the versioned editorial prompt ([`prompt`]).
//! 3. The [`grounding`] gate checks the draft. A model's failing draft gets one repair request
//!    listing the failures; if the repair fails too, or the model cannot be reached, the offline
//!    writer's story is published instead. The outcome is recorded in the front matter.
//! 4. The story file is written atomically ([`story_file`]).

mod claims;
pub mod draft;
pub mod figures;
pub mod grounding;
pub mod llm;
pub mod offline;
pub mod prompt;
pub mod story_file;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use draft::Draft;
pub use llm::{HttpWriter, WriterError};

use crate::config::SynthesisConfig;
use crate::model::evidence::EvidencePack;
use crate::model::story::{
    EarlierStory, FrozenEvidence, GroundingOutcome, QuotedRecord, StoryExtra, StorySignal,
    StoryTaxonomies, TokenUsage, WriterInfo,
};
use crate::model::{Story, Topic, WriterKind};
use llm::{ApiKey, HttpWriterSettings, Message, RetryPolicy, Role};

impl SynthesisConfig {
    /// Why `pack` does not make a story, if it does not: fewer distinct posts than
    /// `min_posts` (in the evidence or in the signal's window), or a velocity signal whose window
    /// rose less than `min_ratio` times its usual volume.
    pub fn falls_short(&self, pack: &EvidencePack) -> Option<String> {
        let window = pack.volume.window();
        let posts = pack.records.len() as u64;
        if posts < self.min_posts {
            return Some(format!(
                "{posts} distinct posts in the evidence, fewer than min_posts = {}",
                self.min_posts
            ));
        }
        if window.records < self.min_posts {
            return Some(format!(
                "{} posts in the last {}, fewer than min_posts = {}",
                window.records,
                window.window.span(),
                self.min_posts
            ));
        }
        let rise = window.ratio();
        if pack.signal.kind == crate::model::SignalKind::Velocity
            && rise.is_some_and(|r| r < self.min_ratio)
        {
            return Some(format!(
                "{:.1} times the usual volume, below min_ratio = {}",
                rise.unwrap_or_default(),
                self.min_ratio
            ));
        }
        None
    }

    /// The model writer this config asks for, reading the key from the environment through
    /// `env`; `None` for the offline writer.
    pub fn http_writer(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<HttpWriter>, WriterError> {
        let (base_url, model, key_var) = match self.writer {
            WriterKind::Offline => return Ok(None),
            WriterKind::Anthropic => (
                self.base_url
                    .clone()
                    .unwrap_or_else(|| "https://api.anthropic.com".into()),
                self.model_name().unwrap_or_default(),
                Some(
                    self.api_key_env
                        .clone()
                        .unwrap_or_else(|| "ANTHROPIC_API_KEY".into()),
                ),
            ),
            WriterKind::Openai => (
                self.base_url
                    .clone()
                    .unwrap_or_else(|| "http://127.0.0.1:11434/v1".into()),
                self.model_name().unwrap_or_default(),
                self.api_key_env.clone(),
            ),
        };
        let api_key = match key_var {
            Some(var) => match env(&var).filter(|k| !k.is_empty()) {
                Some(key) => Some(ApiKey::new(key)),
                None => {
                    return Err(WriterError::MissingKey {
                        writer: self.writer.as_str(),
                        var,
                    })
                }
            },
            None => None,
        };
        HttpWriter::new(HttpWriterSettings {
            provider: self.writer,
            base_url,
            model,
            api_key,
            max_tokens: self.max_tokens,
            timeout: Duration::from_millis(self.timeout_ms),
            retry: RetryPolicy {
                retries: self.retries,
                base_delay: Duration::from_millis(self.retry_base_ms),
                max_wait: Duration::from_millis(self.retry_max_wait_ms),
                deadline: Duration::from_millis(self.retry_deadline_ms),
            },
        })
        .map(Some)
    }
}

/// Why synthesis stopped. Writer failures are not here: they fall back to the offline writer.
#[derive(Debug, thiserror::Error)]
pub enum SynthesizeError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: front matter: {message}")]
    FrontMatter { path: PathBuf, message: String },
    #[error("evidence pack `{topic}`: {problem}")]
    InvalidPack { topic: Topic, problem: String },
    #[error("topic `{topic}`: the offline writer's story failed the grounding gate (a bug): {}", failures.join("; "))]
    OfflineUngrounded { topic: Topic, failures: Vec<String> },
}

/// A draft that passed the gate, and how it came to be.
#[derive(Debug, Clone, PartialEq)]
pub struct Composed {
    pub draft: Draft,
    pub writer: WriterInfo,
    pub grounding: GroundingOutcome,
}

/// Writes and checks one story: the model's draft (repaired once if needed) or the offline
/// writer's. Never fails because of the model; fails only if the offline writer's own story
/// does not pass the gate, which is a bug.
pub async fn compose(
    pack: &EvidencePack,
    writer: Option<&HttpWriter>,
) -> Result<Composed, SynthesizeError> {
    if let Some(problem) = pack.problems().into_iter().next() {
        return Err(SynthesizeError::InvalidPack {
            topic: pack.topic.clone(),
            problem,
        });
    }
    let Some(model) = writer else {
        return offline_story(pack, GroundingOutcome::default(), None, None);
    };
    let attempted = Some(format!("{}/{}", model.provider().as_str(), model.model()));
    let mut usage = TokenUsage::default();
    let mut rejected = Vec::new();
    let mut messages = vec![Message {
        role: Role::User,
        content: prompt::evidence_message(pack),
    }];
    for attempt in 0..2 {
        let completion = match model.complete(prompt::SYSTEM_PROMPT, &messages).await {
            Ok(completion) => completion,
            Err(error) => {
                let outcome = GroundingOutcome {
                    rejected,
                    writer_error: Some(error.to_string()),
                    ..Default::default()
                };
                let usage = Some(usage).filter(|u| u.requests > 0);
                return offline_story(pack, outcome, attempted, usage);
            }
        };
        usage += completion.usage;
        let failures = match Draft::parse_reply(&completion.text) {
            Ok(draft) => {
                let report = grounding::check(&draft, pack);
                if report.passed() {
                    return Ok(Composed {
                        draft,
                        writer: WriterInfo {
                            kind: model.provider(),
                            model: Some(model.model().to_string()),
                            prompt_version: prompt::PROMPT_VERSION.to_string(),
                            replaced_model: None,
                            usage: Some(usage),
                        },
                        grounding: GroundingOutcome {
                            checks: report.checks,
                            passed: true,
                            repaired: attempt > 0,
                            fell_back: false,
                            rejected,
                            writer_error: None,
                        },
                    });
                }
                report.failures
            }
            Err(error) => vec![format!(
                "the reply is not the JSON object asked for: {error}"
            )],
        };
        messages.push(Message {
            role: Role::Assistant,
            content: completion.text,
        });
        messages.push(Message {
            role: Role::User,
            content: prompt::repair_message(&failures),
        });
        rejected.extend(failures);
    }
    offline_story(
        pack,
        GroundingOutcome {
            rejected,
            ..Default::default()
        },
        attempted,
        Some(usage),
    )
}

/// The offline writer's story, gated; `outcome`, `replaced_model` and `usage` say what happened
/// before it when it stands in for a model.
fn offline_story(
    pack: &EvidencePack,
    outcome: GroundingOutcome,
    replaced_model: Option<String>,
    usage: Option<TokenUsage>,
) -> Result<Composed, SynthesizeError> {
    let draft = offline::write(pack);
    let report = grounding::check(&draft, pack);
    if !report.passed() {
        return Err(SynthesizeError::OfflineUngrounded {
            topic: pack.topic.clone(),
            failures: report.failures,
        });
    }
    let fell_back = !outcome.rejected.is_empty() || outcome.writer_error.is_some();
    Ok(Composed {
        draft,
        writer: WriterInfo {
            kind: WriterKind::Offline,
            model: None,
            prompt_version: prompt::PROMPT_VERSION.to_string(),
            replaced_model,
            usage,
        },
        grounding: GroundingOutcome {
            checks: report.checks,
            passed: true,
            repaired: false,
            fell_back,
            ..outcome
        },
    })
}

/// What a run needs besides the packs.
#[derive(Debug, Clone)]
pub struct RunOptions<'a> {
    /// The `content/` folder.
    pub content_dir: &'a Path,
    /// Story date and dedup reference; defaults to each pack's own `as_of`.
    pub as_of: Option<DateTime<Utc>>,
    /// The site's base URL (ending in `/`), for links to earlier stories.
    pub site_base_url: &'a str,
    pub config: &'a SynthesisConfig,
}

/// What happened to one pack.
#[derive(Debug, Clone, PartialEq)]
pub enum PackResult {
    /// Written to this path under `content/`.
    Written { path: PathBuf, story: Box<Story> },
    /// Not written: a story on the topic exists and the evidence did not grow enough.
    Covered { topic: Topic, earlier: EarlierStory },
    /// Not written: the pack is unusable or the offline writer's story failed its own gate.
    /// The run goes on with the next pack; the reason goes in the run log.
    Skipped { topic: Topic, reason: String },
}

/// Writes stories for `packs` (ranked, best first) until `max_stories` are written. The first
/// written is the lead, unless its UTC day has one already; each links the latest earlier
/// stories of its beat. Each file is written atomically as soon as it is ready, so a failure
/// later in the run keeps the stories already written. A pack whose story cannot be written
/// (an unusable pack, a story that fails the gate) is skipped with its reason: one bad story
/// never stops the others; only a file that cannot be read or written fails the run.
pub async fn run(
    packs: &[EvidencePack],
    writer: Option<&HttpWriter>,
    options: &RunOptions<'_>,
) -> Result<Vec<PackResult>, SynthesizeError> {
    let mut results = Vec::new();
    let mut written = 0;
    let window = chrono::Duration::hours(i64::from(options.config.dedup_window_hours));
    let mut shelf = story_file::Shelf::load(options.content_dir)?;
    for pack in packs {
        if written == options.config.max_stories {
            break;
        }
        let date = options.as_of.unwrap_or(pack.as_of);
        let earlier = shelf.find_earlier(&pack.topic, date, window);
        let follows_up = match earlier {
            Some(earlier) if !grown(pack, &earlier, options.config.dedup_growth) => {
                results.push(PackResult::Covered {
                    topic: pack.topic.clone(),
                    earlier,
                });
                continue;
            }
            other => other,
        };
        let mut composed = match compose(pack, writer).await {
            Ok(composed) => composed,
            Err(error @ SynthesizeError::Io { .. }) => return Err(error),
            Err(error) => {
                results.push(PackResult::Skipped {
                    topic: pack.topic.clone(),
                    reason: error.to_string(),
                });
                continue;
            }
        };
        avoid_repeated_headline(pack, &mut composed, &shelf, date);
        // The lead is the first story of its UTC day, not of each run: with a run every few
        // hours, a lead per run would crown nearly every story.
        let lead = written == 0 && !shelf.day_has_lead(&pack.topic, date);
        let context = shelf.earlier_on_beat(&pack.beat.slug, &pack.topic, date);
        let mut story = front_matter(pack, &composed, lead, date, follows_up);
        story.slug = unique_slug(options.content_dir, &story)?;
        let path = story_file::story_path(story.date, &story.slug);
        let body = composed.draft.paragraphs().join("\n\n");
        let text = story_file::render(&story, &body, pack, &context, options.site_base_url);
        let full = options.content_dir.join(&path);
        crate::atomic::write_atomic(&full, text.as_bytes())
            .map_err(|source| SynthesizeError::Io { path: full, source })?;
        written += 1;
        shelf.add(path.to_string_lossy().replace('\\', "/"), story.clone());
        results.push(PackResult::Written {
            path,
            story: Box::new(story),
        });
    }
    Ok(results)
}

/// Headline variants the offline writer tries before giving up on a headline of its own.
const HEADLINE_VARIANTS: u32 = 12;

/// Rewrites an offline story's headline while it repeats an earlier story's: two stories should
/// not read the same at the top. A model's headline is its own and stays.
fn avoid_repeated_headline(
    pack: &EvidencePack,
    composed: &mut Composed,
    shelf: &story_file::Shelf,
    date: DateTime<Utc>,
) {
    if composed.writer.kind != WriterKind::Offline {
        return;
    }
    let taken = shelf.headlines(&pack.topic, date);
    for variant in 1..=HEADLINE_VARIANTS {
        if !taken.contains(composed.draft.headline.as_str()) {
            break;
        }
        let draft = offline::write_variant(pack, variant);
        if grounding::check(&draft, pack).passed() {
            composed.draft = draft;
        }
    }
    if taken.contains(composed.draft.headline.as_str()) {
        let mut draft = composed.draft.clone();
        draft.headline = offline::dated_headline(pack, &draft.headline);
        if grounding::check(&draft, pack).passed() {
            composed.draft = draft;
        }
    }
}

/// Whether `pack` grew enough since `earlier`, the last story on its topic, to be written
/// again: an event's engagement grew `growth` times or reached a new platform since the last
/// story of its arc (`EventFacts::grew_since`); a pack without an event, its records grew
/// `growth` times. Either way a record the story reads must be newer than `earlier`: an event
/// can reach a new platform by taking in an old post, and a follow-up that has nothing newer
/// to tell would retell the earlier story.
fn grown(pack: &EvidencePack, earlier: &EarlierStory, growth: f64) -> bool {
    let grew = match pack.event.as_ref().and_then(|e| Some((e, e.arc.last()?))) {
        Some((event, last)) => event.grew_since(last, growth),
        None => pack.total_records() as f64 >= growth * earlier.records as f64,
    };
    grew && pack.records.iter().any(|r| r.created_at > earlier.date)
}

fn front_matter(
    pack: &EvidencePack,
    composed: &Composed,
    lead: bool,
    date: DateTime<Utc>,
    follows_up: Option<EarlierStory>,
) -> Story {
    let mut slug = crate::text::headline_slug(&composed.draft.headline);
    if slug.is_empty() {
        slug = crate::text::headline_slug(&pack.topic);
    }
    Story {
        title: composed.draft.headline.clone(),
        description: composed.draft.dek.clone(),
        date,
        slug,
        taxonomies: StoryTaxonomies {
            beats: vec![pack.beat.slug.clone()],
            categories: vec![pack.category.clone()],
        },
        extra: StoryExtra {
            topic: pack.topic.clone(),
            beat_name: pack.beat.name.clone(),
            lead,
            intensity: pack.intensity,
            signal: StorySignal {
                kind: pack.signal.kind,
                strength: pack.signal.strength,
                subject: pack.signal.subject.clone(),
                reason: pack.signal.reason.clone(),
            },
            evidence: FrozenEvidence {
                records: pack.records.iter().map(|r| r.id.clone()).collect(),
                counts: pack
                    .platforms
                    .iter()
                    .map(|(s, p)| (*s, p.records))
                    .collect(),
                comments: pack.platforms.values().map(|p| p.comments).sum(),
                volume_24h: pack.volume.last_24h,
                baseline: pack.volume.baseline,
                window: Some(pack.volume.window()),
                quoted: quoted_records(pack, &composed.draft.citations),
            },
            writer: composed.writer.clone(),
            grounding: composed.grounding.clone(),
            follows_up,
            event: pack.event.clone(),
        },
    }
}

/// Characters of a cited record's text frozen into the story for its card.
const QUOTED_CHARS: usize = 320;

/// The cited records of the pack, in citation order.
fn quoted_records(pack: &EvidencePack, citations: &[String]) -> Vec<QuotedRecord> {
    citations
        .iter()
        .filter_map(|id| pack.records.iter().find(|r| r.id.as_str() == id))
        .map(|r| QuotedRecord {
            id: r.id.clone(),
            source: r.source,
            kind: r.kind,
            url: r.url.clone(),
            title: r.title.clone(),
            text: crate::text::shorten(&r.text, QUOTED_CHARS),
            author: r.author.clone(),
            community: r.community.clone(),
            created_at: r.created_at,
        })
        .collect()
}

/// The story's slug, with `-2`, `-3`… added when another story has the same slug that month;
/// only a rewrite of the same story (same topic and date) replaces its own file, so a follow-up
/// never overwrites the story it links to.
fn unique_slug(content_dir: &Path, story: &Story) -> Result<String, SynthesizeError> {
    let mut slug = story.slug.clone();
    for n in 2.. {
        let path = story_file::story_path(story.date, &slug);
        let taken_by_other = match story_file::read_front_matter(&content_dir.join(&path)) {
            Ok(Some(existing)) => {
                existing.extra.topic != story.extra.topic || existing.date != story.date
            }
            Ok(None) => content_dir.join(&path).exists(),
            Err(SynthesizeError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                false
            }
            Err(other) => return Err(other),
        };
        if !taken_by_other {
            return Ok(slug);
        }
        slug = format!("{}-{n}", story.slug);
    }
    unreachable!("the loop returns")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;
    use crate::model::WriterKind;

    const SITE: &str = "title = \"Z\"\nbase_url = \"https://example.org\"\n\n[synthesis]\n";

    fn parse(synthesis: &str) -> Result<Config, String> {
        Config::parse(Path::new("site.toml"), &format!("{SITE}{synthesis}"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn synthesis_settings_parse_and_default() {
        let config = parse("writer = \"anthropic\"\nmax_stories = 2\n").unwrap();
        assert_eq!(config.synthesis.writer, WriterKind::Anthropic);
        assert_eq!(config.synthesis.max_stories, 2);
        assert_eq!(config.synthesis.dedup_window_hours, 48);
        let plain = Config::parse(
            Path::new("site.toml"),
            "title = \"Z\"\nbase_url = \"https://e.org\"\n",
        )
        .unwrap();
        assert_eq!(plain.synthesis.writer, WriterKind::Offline);
    }

    #[test]
    fn synthesis_mistakes_name_the_key() {
        let err = parse("writr = \"offline\"\n").unwrap_err();
        assert!(err.contains("writr") && err.contains("line 5"), "{err}");
        let err = parse("writer = \"gpt\"\n").unwrap_err();
        assert!(err.contains("unknown variant `gpt`"), "{err}");
        assert_eq!(
            parse("writer = \"openai\"\n").unwrap_err(),
            "site.toml: `synthesis.model`: is required with writer = \"openai\""
        );
        let err = parse("api_key_env = \"sk-ant-abc\"\n").unwrap_err();
        assert!(
            err.contains("never put the key itself in site.toml"),
            "{err}"
        );
    }
}
