//! The story file: `content/stories/YYYY/MM/<slug>.md`, YAML front matter ([`Story`]) and a
//! Markdown body whose footnote definitions carry each record's platform, date, link and a short
//! excerpt. Also finds earlier stories on the same topic, for dedup and follow-ups.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use walkdir::WalkDir;

use super::grounding::footnote_labels;
use super::SynthesizeError;
use crate::model::evidence::{EvidencePack, EvidenceRecord};
use crate::model::story::EarlierStory;
use crate::model::{RecordId, Story};
use crate::text::{escape_markdown, excerpt};

/// The folder under `content/` stories live in.
pub const STORIES_DIR: &str = "stories";

/// The story's path under `content/`: `stories/YYYY/MM/<slug>.md`.
pub fn story_path(date: DateTime<Utc>, slug: &str) -> PathBuf {
    PathBuf::from(STORIES_DIR)
        .join(date.format("%Y").to_string())
        .join(date.format("%m").to_string())
        .join(format!("{slug}.md"))
}

/// The whole file: front matter, optional follow-up note, body with numbered footnotes, the
/// earlier stories of the beat (`context`, newest first) and the footnote definitions.
/// `site_base_url` ends with `/` and prefixes the links to earlier stories.
pub fn render(
    story: &Story,
    body: &str,
    pack: &EvidencePack,
    context: &[EarlierStory],
    site_base_url: &str,
) -> String {
    let front = serde_yaml::to_string(story).expect("front matter always serialises");
    let mut out = format!("---\n{front}---\n\n");
    if let Some(earlier) = &story.extra.follows_up {
        let url = format!("{site_base_url}{}", page_url_path(&earlier.path));
        let _ = write!(
            out,
            "*A follow-up to [{}]({}), published {}, when the conversation held {}.*\n\n",
            escape_markdown(&earlier.title),
            url,
            earlier.date.format("%-d %B %Y"),
            match earlier.records {
                1 => "one post".to_string(),
                n => format!("{} posts and comments", crate::text::thousands(n as i64)),
            }
        );
    }
    let (numbered, order) = number_footnotes(body);
    out.push_str(&numbered);
    out.push_str("\n\n");
    if !context.is_empty() {
        let links: Vec<String> = context
            .iter()
            .map(|earlier| {
                format!(
                    "[{}]({}{}) ({})",
                    escape_markdown(&earlier.title),
                    site_base_url,
                    page_url_path(&earlier.path),
                    earlier.date.format("%-d %B %Y")
                )
            })
            .collect();
        let _ = write!(
            out,
            "*Earlier stories on {}:* {}.\n\n",
            escape_markdown(&story.extra.beat_name),
            links.join("; ")
        );
    }
    for (n, id) in order.iter().enumerate() {
        if let Some(record) = pack.record(id) {
            let _ = writeln!(out, "[^{}]: {}", n + 1, footnote_definition(record));
        }
    }
    out
}

/// `stories/2026/03/x.md` → `stories/2026/03/x/`, the page's URL below the site root.
fn page_url_path(content_path: &str) -> String {
    format!("{}/", content_path.trim_end_matches(".md"))
}

/// Replaces `[^<record id>]` with `[^1]`, `[^2]`, … in order of first use.
fn number_footnotes(body: &str) -> (String, Vec<RecordId>) {
    let mut order: Vec<RecordId> = Vec::new();
    let mut numbers: BTreeMap<String, usize> = BTreeMap::new();
    for label in footnote_labels(body) {
        if !numbers.contains_key(label) {
            if let Ok(id) = label.parse::<RecordId>() {
                order.push(id);
                numbers.insert(label.to_string(), order.len());
            }
        }
    }
    let mut out = body.to_string();
    for (label, n) in &numbers {
        out = out.replace(&format!("[^{label}]"), &format!("[^{n}]"));
    }
    (out, order)
}

/// "Reddit, r/singularity, 27 February 2026: [“Trump goes on…”](https://…) (`reddit:1rg…`)"
fn footnote_definition(record: &EvidenceRecord) -> String {
    let mut place = record.source.display_name().to_string();
    match (&record.community, &record.author) {
        (Some(community), _) if record.source == crate::model::Source::Reddit => {
            let _ = write!(place, ", r/{}", escape_markdown(community));
        }
        (_, Some(author)) => {
            let _ = write!(place, ", {}", escape_markdown(author));
        }
        _ => {}
    }
    let words = format!(
        "“{}”",
        escape_markdown(&excerpt(&record.title, &record.text))
    );
    let linked = match safe_url(&record.url) {
        Some(url) => format!("[{words}](<{url}>)"),
        None => words,
    };
    format!(
        "{place}, {}: {linked} (`{}`)",
        record.created_at.format("%-d %B %Y"),
        record.id.as_str().replace('`', "")
    )
}

/// An http(s) URL with the characters that could end a Markdown link destination escaped;
/// anything else (javascript:, data:) is not linked.
fn safe_url(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| {
        url.replace(' ', "%20")
            .replace('<', "%3C")
            .replace('>', "%3E")
            .replace('\n', "")
    })
}

/// Most earlier stories of the beat a story links to.
pub const CONTEXT_STORIES: usize = 3;

/// The stories already under `content/stories/`, read once per synthesis run (a run asks them
/// four questions per pack; reading the folder for each would make a long replay quadratic in
/// its stories) and told of each story the run writes.
#[derive(Debug, Default)]
pub struct Shelf {
    /// Path under `content/` and front matter, in file-name order, then in the order written.
    stories: Vec<(String, Story)>,
}

impl Shelf {
    /// Every story file under `content/stories/`; an empty shelf when the folder is missing.
    pub fn load(content_dir: &Path) -> Result<Shelf, SynthesizeError> {
        let root = content_dir.join(STORIES_DIR);
        let mut stories = Vec::new();
        for entry in WalkDir::new(&root).sort_by_file_name() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e)
                    if e.io_error()
                        .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) =>
                {
                    return Ok(Shelf::default())
                }
                Err(e) => {
                    return Err(SynthesizeError::Io {
                        path: root.clone(),
                        source: e.into(),
                    })
                }
            };
            let path = entry.path();
            if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "md") {
                continue;
            }
            if let Some(story) = read_front_matter(path)? {
                let relative = path.strip_prefix(content_dir).unwrap_or(path);
                stories.push((relative.to_string_lossy().replace('\\', "/"), story));
            }
        }
        Ok(Shelf { stories })
    }

    /// Records a story just written at `path` (under `content/`).
    pub fn add(&mut self, path: String, story: Story) {
        self.stories.push((path, story));
    }

    /// The most recent story on `topic` written in the `window` before `as_of`, if any.
    pub fn find_earlier(
        &self,
        topic: &str,
        as_of: DateTime<Utc>,
        window: Duration,
    ) -> Option<EarlierStory> {
        self.stories
            .iter()
            .filter(|(_, s)| s.extra.topic == topic && s.date <= as_of && s.date > as_of - window)
            .fold(None, |best: Option<&(String, Story)>, item| match best {
                Some(b) if item.1.date <= b.1.date => Some(b),
                _ => Some(item),
            })
            .map(|(path, s)| earlier_story(path, s))
    }

    /// The [`CONTEXT_STORIES`] latest stories of `beat` before `as_of`, newest first, other
    /// than the one on `topic` a story follows up (it is linked already).
    pub fn earlier_on_beat(
        &self,
        beat: &str,
        topic: &str,
        as_of: DateTime<Utc>,
    ) -> Vec<EarlierStory> {
        let mut earlier: Vec<EarlierStory> = self
            .stories
            .iter()
            .filter(|(_, s)| s.date < as_of && s.extra.topic != topic)
            .filter(|(_, s)| s.taxonomies.beats.iter().any(|b| b == beat))
            .map(|(path, s)| earlier_story(path, s))
            .collect();
        earlier.sort_by(|a, b| b.date.cmp(&a.date).then(a.path.cmp(&b.path)));
        earlier.truncate(CONTEXT_STORIES);
        earlier
    }

    /// The headlines of every story but a rewrite of this one (same topic and date).
    pub fn headlines(&self, topic: &str, date: DateTime<Utc>) -> std::collections::BTreeSet<&str> {
        self.stories
            .iter()
            .filter(|(_, s)| !(s.extra.topic == topic && s.date == date))
            .map(|(_, s)| s.title.as_str())
            .collect()
    }

    /// Whether another story is already the lead of `date`'s UTC day: any but the one on `topic`
    /// at `date` itself (which a rerun of the tick rewrites), so a same-day follow-up on the
    /// lead's topic is not a second lead.
    pub fn day_has_lead(&self, topic: &str, date: DateTime<Utc>) -> bool {
        self.stories.iter().any(|(_, s)| {
            s.extra.lead
                && !(s.extra.topic == topic && s.date == date)
                && s.date.date_naive() == date.date_naive()
        })
    }
}

fn earlier_story(path: &str, story: &Story) -> EarlierStory {
    EarlierStory {
        title: story.title.clone(),
        path: path.to_string(),
        date: story.date,
        records: story.extra.evidence.counts.values().sum(),
    }
}

/// A story file's front matter; `None` for Markdown files that are not synthesised stories
/// (no `extra.topic`), an error naming the file for broken ones.
pub fn read_front_matter(path: &Path) -> Result<Option<Story>, SynthesizeError> {
    let text = fs::read_to_string(path).map_err(|source| SynthesizeError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |message: String| SynthesizeError::FrontMatter {
        path: path.to_path_buf(),
        message,
    };
    let Some(rest) = text.strip_prefix("---\n") else {
        return Ok(None);
    };
    let end = rest
        .find("\n---\n")
        .ok_or_else(|| bad("front matter has no closing `---`".into()))?;
    let yaml = &rest[..end + 1];
    let value: serde_yaml::Value = serde_yaml::from_str(yaml).map_err(|e| bad(yaml_message(&e)))?;
    if value.get("extra").and_then(|e| e.get("topic")).is_none() {
        return Ok(None);
    }
    serde_yaml::from_value(value)
        .map(Some)
        .map_err(|e| bad(e.to_string()))
}

/// serde_yaml's message with the line shifted past the opening `---`.
fn yaml_message(error: &serde_yaml::Error) -> String {
    match error.location() {
        Some(at) => format!(
            "line {}: {}",
            at.line() + 1,
            error
                .to_string()
                .split(" at line")
                .next()
                .unwrap_or_default()
        ),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footnotes_are_numbered_in_order_of_first_use() {
        let (body, order) = number_footnotes("A[^reddit:b] B[^hackernews:1] C[^reddit:b]");
        assert_eq!(body, "A[^1] B[^2] C[^1]");
        assert_eq!(order.len(), 2);
    }

    #[test]
    fn only_web_urls_are_linked() {
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(
            safe_url("https://x.org/a b>").unwrap(),
            "https://x.org/a%20b%3E"
        );
    }
}
