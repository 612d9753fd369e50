//! The `Record`: one public post, comment, article, video or paper, in the single shape every
//! stage uses. Collectors produce records, the store keeps them, analysis reads them and the site
//! publishes them. Field docs here are the reference shown on the developer hub.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text::decode_entities;

/// Where a record came from. The lowercase name is the prefix of its [`RecordId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Reddit,
    Bluesky,
    Hackernews,
    News,
    Youtube,
    Mastodon,
    Arxiv,
}

impl Source {
    pub const ALL: [Source; 7] = [
        Source::Reddit,
        Source::Bluesky,
        Source::Hackernews,
        Source::News,
        Source::Youtube,
        Source::Mastodon,
        Source::Arxiv,
    ];

    /// The stable lowercase name used in ids, file names and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Reddit => "reddit",
            Source::Bluesky => "bluesky",
            Source::Hackernews => "hackernews",
            Source::News => "news",
            Source::Youtube => "youtube",
            Source::Mastodon => "mastodon",
            Source::Arxiv => "arxiv",
        }
    }

    /// The name readers see.
    pub fn display_name(self) -> &'static str {
        match self {
            Source::Reddit => "Reddit",
            Source::Bluesky => "Bluesky",
            Source::Hackernews => "Hacker News",
            Source::News => "News",
            Source::Youtube => "YouTube",
            Source::Mastodon => "Mastodon",
            Source::Arxiv => "arXiv",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown source `{0}` (expected one of reddit, bluesky, hackernews, news, youtube, mastodon, arxiv)")]
pub struct UnknownSource(pub String);

impl FromStr for Source {
    type Err = UnknownSource;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Source::ALL
            .into_iter()
            .find(|source| source.as_str() == s)
            .ok_or_else(|| UnknownSource(s.to_string()))
    }
}

/// What sort of thing a record is.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Post,
    Comment,
    Article,
    Video,
    Paper,
}

impl Kind {
    /// The lowercase name used in files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Post => "post",
            Kind::Comment => "comment",
            Kind::Article => "article",
            Kind::Video => "video",
            Kind::Paper => "paper",
        }
    }
}

/// A record's stable identity: `<source>:<native id>`, e.g. `hackernews:35685497` or
/// `bluesky:at://did:plc:…/app.bsky.feed.post/3mbu6hyf5262a`. The native id is whatever the
/// platform uses and may itself contain colons; only the first colon separates.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordIdError {
    #[error("record id `{0}` has no `<source>:` prefix")]
    MissingPrefix(String),
    #[error("record id `{id}`: {source}")]
    BadSource { id: String, source: UnknownSource },
    #[error("record id `{0}` has an empty native id")]
    EmptyNativeId(String),
}

impl RecordId {
    pub fn new(source: Source, native_id: &str) -> Self {
        RecordId(format!("{}:{}", source.as_str(), native_id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn source(&self) -> Source {
        let (prefix, _) = self.0.split_once(':').expect("validated at construction");
        prefix.parse().expect("validated at construction")
    }

    pub fn native_id(&self) -> &str {
        self.0.split_once(':').expect("validated at construction").1
    }
}

/// Query parameters feeds add to links for analytics; they name no different article.
const TRACKING_PARAMETERS: [&str; 5] = ["wt_mc", "fbclid", "gclid", "mc_cid", "mc_eid"];

/// The address a news article is known by, and so its native id (`news:<address>`): the link
/// without its fragment and without the tracking parameters feeds add (`utm_*` and
/// [`TRACKING_PARAMETERS`]). The same article reached through two feeds, or collected by
/// `collect/news.rs` and imported from a corpus, is then one record. (A feed's guid cannot do
/// that: feeds number their items differently, and a corpus of links has no guid.) 218 of the
/// 13,447 links of the bundled news corpus carry `utm_*` parameters. Text that is not an
/// absolute URL is kept, trimmed.
pub fn article_address(link: &str) -> String {
    let Ok(mut url) = url::Url::parse(link.trim()) else {
        return link.trim().to_string();
    };
    url.set_fragment(None);
    let tracking = |name: &str| name.starts_with("utm_") || TRACKING_PARAMETERS.contains(&name);
    if url.query_pairs().any(|(name, _)| tracking(&name)) {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(name, _)| !tracking(name))
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    url.into()
}

impl FromStr for RecordId {
    type Err = RecordIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (prefix, native) = s
            .split_once(':')
            .ok_or_else(|| RecordIdError::MissingPrefix(s.to_string()))?;
        let source: Source = prefix.parse().map_err(|source| RecordIdError::BadSource {
            id: s.to_string(),
            source,
        })?;
        if native.is_empty() {
            return Err(RecordIdError::EmptyNativeId(s.to_string()));
        }
        Ok(RecordId::new(source, native))
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for RecordId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RecordId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// How much attention a record got, as far as its platform says. Every figure is optional:
/// platforms report different things and old payloads lack newer fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Engagement {
    /// Score, points, likes or favourites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
    /// Replies or comments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replies: Option<i64>,
    /// Reposts, boosts, shares or quotes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reposts: Option<i64>,
    /// Views, where the platform counts them (YouTube).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub views: Option<i64>,
}

impl Engagement {
    /// One number for ranking records by attention across platforms.
    pub fn total(&self) -> i64 {
        self.score.unwrap_or(0).max(0)
            + self.replies.unwrap_or(0).max(0)
            + self.reposts.unwrap_or(0).max(0)
    }
}

/// One public item about (possibly) AI, from any platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Stable id, `<source>:<native id>`.
    pub id: RecordId,
    /// The platform.
    pub source: Source,
    /// Post, comment, article, video or paper.
    pub kind: Kind,
    /// Canonical web address of the item itself.
    pub url: String,
    /// Title or headline; posts without one (Bluesky, Mastodon) leave it empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Body text, plain (HTML stripped by the collector).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// The author's public handle, when the platform shows one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The author's stable platform id (DID, account id), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_id: Option<String>,
    /// Subreddit, feed, instance, channel or arXiv category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community: Option<String>,
    /// When the item was published, UTC.
    pub created_at: DateTime<Utc>,
    /// When we collected it, UTC.
    pub collected_at: DateTime<Utc>,
    /// BCP 47 language tag, when known or detected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default)]
    pub engagement: Engagement,
    /// The record this one replies to, when it is a reply or comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<RecordId>,
    /// The thread (root post or story) this record belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<RecordId>,
    /// The query, hashtag or feed that matched it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
    /// The first copy of the same content (syndicated article, reposted text), set by the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near_duplicate_of: Option<RecordId>,
    /// Fields a platform has beyond these, kept as they came.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// True when the store cut the title to [`MAX_TITLE_CHARS`] or the text to
    /// [`MAX_TEXT_CHARS`] characters; absent otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// The most characters of a title the store keeps.
pub const MAX_TITLE_CHARS: usize = 500;
/// The most characters of body text the store keeps (a long article's first pages).
pub const MAX_TEXT_CHARS: usize = 20_000;

impl Record {
    /// Makes a record fit to store, whatever its platform sent: HTML character references in
    /// the title and body are decoded ([`decode_entities`]: `&amp;`, `&nbsp;`, `&#124;` reached
    /// readers), control characters (NUL, terminal escapes, carriage returns, …) are removed
    /// from every text field, except line breaks and tabs in the title and body, and the title
    /// and text are cut to [`MAX_TITLE_CHARS`] and [`MAX_TEXT_CHARS`] (then `truncated` is
    /// set). Decoding comes first, so whatever a reference decodes to still meets the control
    /// filter.
    pub fn sanitize(&mut self) {
        for (field, max) in [
            (&mut self.title, MAX_TITLE_CHARS),
            (&mut self.text, MAX_TEXT_CHARS),
        ] {
            if let Cow::Owned(decoded) = decode_entities(field) {
                *field = decoded;
            }
            strip_controls(field, true);
            if let Some((end, _)) = field.char_indices().nth(max) {
                field.truncate(end);
                self.truncated = true;
            }
        }
        strip_controls(&mut self.url, false);
        let optional = [
            &mut self.author,
            &mut self.author_id,
            &mut self.community,
            &mut self.language,
            &mut self.matched,
        ];
        for field in optional.into_iter().flatten() {
            strip_controls(field, false);
        }
    }

    /// Title and text together, the words analysis reads.
    pub fn full_text(&self) -> String {
        match (self.title.is_empty(), self.text.is_empty()) {
            (false, false) => format!("{}\n\n{}", self.title, self.text),
            (false, true) => self.title.clone(),
            _ => self.text.clone(),
        }
    }
}

/// Removes control characters from `text` in place, keeping `\n` and `\t` when `breaks`.
fn strip_controls(text: &mut String, breaks: bool) {
    let unwanted = |c: char| c.is_control() && !(breaks && matches!(c, '\n' | '\t'));
    if text.contains(unwanted) {
        text.retain(|c| !unwanted(c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_strips_control_characters_but_keeps_breaks_and_bidi_marks() {
        let json = r#"{"id":"hackernews:1","source":"hackernews","kind":"post","url":"https://x/\u0000a",
            "title":"A\u0000I \u202egnp.exe\u001b[31m","text":"one\r\ntwo\tthree\u0007\u0085",
            "author":"bob\n","created_at":"2026-01-01T00:00:00Z","collected_at":"2026-01-02T00:00:00Z"}"#;
        let mut record: Record = serde_json::from_str(json).unwrap();
        record.sanitize();
        assert_eq!(record.title, "AI \u{202e}gnp.exe[31m");
        assert_eq!(record.text, "one\ntwo\tthree");
        assert_eq!(record.url, "https://x/a");
        assert_eq!(record.author.as_deref(), Some("bob"));
        assert!(!record.truncated);
        assert!(!serde_json::to_string(&record)
            .unwrap()
            .contains("truncated"));
    }

    #[test]
    fn sanitize_decodes_entities_before_stripping_controls() {
        let json = r#"{"id":"reddit:1","source":"reddit","kind":"post","url":"https://x",
            "title":"Qwen3&nbsp;&#124; local","text":"&gt; quoted &amp;&#27;[2J",
            "created_at":"2026-01-01T00:00:00Z","collected_at":"2026-01-02T00:00:00Z"}"#;
        let mut record: Record = serde_json::from_str(json).unwrap();
        record.sanitize();
        assert_eq!(record.title, "Qwen3\u{a0}| local");
        // `html-escape` leaves a reference to a control character as it is: text, not a control.
        assert_eq!(record.text, "> quoted &&#27;[2J");
    }

    #[test]
    fn sanitize_caps_title_and_text_and_flags_the_record() {
        let json = r#"{"id":"news:1","source":"news","kind":"article","url":"https://x",
            "created_at":"2026-01-01T00:00:00Z","collected_at":"2026-01-02T00:00:00Z"}"#;
        let mut record: Record = serde_json::from_str(json).unwrap();
        record.title = "é".repeat(MAX_TITLE_CHARS + 1);
        record.text = "word ".repeat(MAX_TEXT_CHARS);
        record.sanitize();
        assert_eq!(record.title.chars().count(), MAX_TITLE_CHARS);
        assert_eq!(record.text.chars().count(), MAX_TEXT_CHARS);
        assert!(record.truncated);
        let stored = serde_json::to_string(&record).unwrap();
        assert!(stored.contains("\"truncated\":true"), "{stored}");
        assert_eq!(serde_json::from_str::<Record>(&stored).unwrap(), record);
    }

    #[test]
    fn article_addresses_drop_tracking_parameters_and_fragments() {
        // Real links: the bundled news corpus and the heise Atom fixture.
        assert_eq!(
            article_address("https://www.newscientist.com/article/2453350-ai-models-fall-for-the-same-scams-that-we-do/?utm_campaign=RSS%7CNSNS&utm_source=NSNS&utm_medium=RSS&utm_content=technology"),
            "https://www.newscientist.com/article/2453350-ai-models-fall-for-the-same-scams-that-we-do/"
        );
        assert_eq!(
            article_address("http://www.heise.de/developer/meldung/x-3088438.html?wt_mc=rss.developer.beitrag.atom#comments"),
            "http://www.heise.de/developer/meldung/x-3088438.html"
        );
        assert_eq!(
            article_address(" https://example.org/read?id=7&utm_source=rss "),
            "https://example.org/read?id=7"
        );
        assert_eq!(
            article_address("https://techcrunch.com/2025/07/01/a/"),
            "https://techcrunch.com/2025/07/01/a/"
        );
        assert_eq!(article_address(" not a url "), "not a url");
    }

    #[test]
    fn record_id_keeps_colons_in_native_id() {
        let id: RecordId = "bluesky:at://did:plc:abc/app.bsky.feed.post/3mb"
            .parse()
            .unwrap();
        assert_eq!(id.source(), Source::Bluesky);
        assert_eq!(id.native_id(), "at://did:plc:abc/app.bsky.feed.post/3mb");
    }

    #[test]
    fn record_id_errors_name_the_problem() {
        let err = "twitter:1".parse::<RecordId>().unwrap_err().to_string();
        assert!(err.contains("twitter"), "{err}");
        assert!("nocolon".parse::<RecordId>().is_err());
        assert!("reddit:".parse::<RecordId>().is_err());
    }

    #[test]
    fn record_round_trips_through_json_and_rejects_unknown_fields() {
        let json = r#"{"id":"hackernews:1","source":"hackernews","kind":"post","url":"https://x",
            "title":"T","created_at":"2026-01-01T00:00:00Z","collected_at":"2026-01-02T00:00:00Z",
            "engagement":{"score":5}}"#;
        let record: Record = serde_json::from_str(json).unwrap();
        assert_eq!(record.engagement.score, Some(5));
        let again: Record = serde_json::from_str(&serde_json::to_string(&record).unwrap()).unwrap();
        assert_eq!(record, again);
        let bad = json.replace("\"kind\"", "\"kin\":1,\"kind\"");
        let err = serde_json::from_str::<Record>(&bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `kin`"), "{err}");
    }
}
