//! YAML front matter between `---` lines at the top of every content file. Unknown keys are
//! errors (a typo such as `titel` must not silently drop the title), and every error carries the
//! line in the content file, not in the YAML snippet.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Dates in front matter read as on the command line.
pub use crate::text::parse_date;

/// The keys a content file may set.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    #[serde(default)]
    pub title: String,
    /// One or two sentences for listings, feeds and meta tags.
    #[serde(default)]
    pub description: String,
    /// Publication date: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS` (UTC) or RFC 3339.
    #[serde(skip)]
    pub date: Option<DateTime<Utc>>,
    /// Date of the last meaningful edit, same formats as `date`.
    #[serde(skip)]
    pub updated: Option<DateTime<Utc>>,
    // Dates are parsed after deserialising, where the key's line is known: serde_yaml does not
    // locate errors raised inside a field's own deserializer.
    #[serde(default, rename = "date")]
    date_text: Option<String>,
    #[serde(default, rename = "updated")]
    updated_text: Option<String>,
    /// Drafts are built only with `--drafts`.
    #[serde(default)]
    pub draft: bool,
    /// Replaces the file name in the page's URL.
    pub slug: Option<String>,
    /// Order within a section sorted by weight (lower first).
    pub weight: Option<i64>,
    /// Template to render with instead of the default one.
    pub template: Option<String>,
    /// Terms per taxonomy, e.g. `beats: [chips, policy]`. Taxonomies must be listed in site.toml.
    #[serde(default)]
    pub taxonomies: BTreeMap<String, Vec<String>>,
    /// Section only: how the section lists its pages.
    pub sort_by: Option<SortBy>,
    /// Section only: pages per listing page, overriding `paginate` in site.toml.
    pub paginate_by: Option<usize>,
    /// Free values for templates (`page.extra`).
    #[serde(default)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// How a section orders its pages.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SortBy {
    /// Newest first; undated pages last.
    #[default]
    Date,
    /// Lowest `weight` first.
    Weight,
    /// Alphabetical by title.
    Title,
}

/// A content file cut into its front matter and its Markdown body.
#[derive(Debug, PartialEq, Eq)]
pub struct Split<'a> {
    pub yaml: &'a str,
    pub body: &'a str,
    /// 1-based line of the file where the body starts.
    pub body_line: usize,
}

/// A front-matter problem at a line of the content file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatterError {
    pub line: usize,
    pub message: String,
}

/// The YAML starts on the line after the opening `---`.
const YAML_FIRST_LINE: usize = 2;

/// Cuts `text` at its `---` fences. A file must start with front matter.
pub fn split(text: &str) -> Result<Split<'_>, FrontMatterError> {
    let missing = |message: &str| FrontMatterError {
        line: 1,
        message: message.to_string(),
    };
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
        .ok_or_else(|| missing("front matter: the file must start with a `---` line"))?;
    let opening_len = text.len() - rest.len();
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end_matches(['\r', '\n']) == "---" {
            let yaml = &rest[..offset];
            let body = &rest[offset + line.len()..];
            let body_line = crate::site::line_of(text, opening_len + offset + line.len());
            return Ok(Split {
                yaml,
                body,
                body_line,
            });
        }
        offset += line.len();
    }
    Err(missing("front matter: no closing `---` line"))
}

/// Parses the YAML between the fences.
pub fn parse(yaml: &str) -> Result<FrontMatter, FrontMatterError> {
    if yaml.trim().is_empty() {
        return Ok(FrontMatter::default());
    }
    let mut front: FrontMatter = serde_yaml::from_str(yaml).map_err(|e| {
        let message = e.to_string();
        // "found unexpected end of stream at line 61 column 1, while scanning a quoted scalar
        // at line 1 column 8": the mistake is where the unfinished construct starts.
        let (line, started) = match context_line(&message) {
            Some(line) => (Some(line), " that starts on this line"),
            None => (e.location().map(|l| l.line()), ""),
        };
        FrontMatterError {
            line: line.map_or(YAML_FIRST_LINE, |line| YAML_FIRST_LINE + line - 1),
            message: format!("front matter: {}{started}", without_locations(&message)),
        }
    })?;
    front.date = front_date(yaml, "date", front.date_text.as_deref())?;
    front.updated = front_date(yaml, "updated", front.updated_text.as_deref())?;
    Ok(front)
}

fn front_date(
    yaml: &str,
    key: &str,
    text: Option<&str>,
) -> Result<Option<DateTime<Utc>>, FrontMatterError> {
    let Some(text) = text else { return Ok(None) };
    parse_date(text).map(Some).ok_or_else(|| FrontMatterError {
        line: key_line(yaml, key),
        message: format!("front matter: `{key}`: invalid date `{text}`: expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS or RFC 3339"),
    })
}

/// serde_yaml appends "at line L column C" relative to the snippet (twice when it names the
/// construct it was reading); we report the file's line instead.
fn without_locations(message: &str) -> String {
    let location = regex::Regex::new(r" at line \d+ column \d+").expect("valid pattern");
    location.replace_all(message, "").into_owned()
}

/// The snippet line of the construct serde_yaml was reading when it failed (", while scanning
/// a quoted scalar at line 1 column 8"), if it names one.
fn context_line(message: &str) -> Option<usize> {
    let (_, context) = message.split_once(", while ")?;
    let (_, at) = context.rsplit_once(" at line ")?;
    at.split(' ').next()?.parse().ok()
}

/// The file line of top-level `key` in the front matter, for errors found after parsing.
pub fn key_line(yaml: &str, key: &str) -> usize {
    yaml.lines()
        .position(|line| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map_or(YAML_FIRST_LINE, |index| YAML_FIRST_LINE + index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_finds_fences_and_body_line() {
        let text = "---\ntitle: A\ndate: 2024-05-01\n---\n\nHello\n";
        let split = split(text).unwrap();
        assert_eq!(split.yaml, "title: A\ndate: 2024-05-01\n");
        assert_eq!(split.body, "\nHello\n");
        assert_eq!(split.body_line, 5);
    }

    #[test]
    fn split_requires_both_fences() {
        assert_eq!(split("title: A\n").unwrap_err().line, 1);
        assert!(split("---\ntitle: A\n")
            .unwrap_err()
            .message
            .contains("closing"));
    }

    #[test]
    fn parses_all_keys() {
        let yaml = "title: T\ndescription: D\ndate: 2024-05-01\nupdated: 2024-05-02T10:00:00+02:00\n\
                    draft: true\nslug: s\nweight: 3\ntemplate: x.html\ntaxonomies:\n  beats: [chips]\n\
                    extra:\n  hero: true\n";
        let fm = parse(yaml).unwrap();
        assert_eq!(fm.title, "T");
        assert_eq!(fm.date.unwrap().to_rfc3339(), "2024-05-01T00:00:00+00:00");
        assert_eq!(
            fm.updated.unwrap().to_rfc3339(),
            "2024-05-02T08:00:00+00:00"
        );
        assert!(fm.draft);
        assert_eq!(fm.weight, Some(3));
        assert_eq!(fm.taxonomies["beats"], vec!["chips".to_string()]);
        assert_eq!(fm.extra["hero"], serde_json::json!(true));
    }

    #[test]
    fn unknown_key_is_reported_at_its_file_line() {
        let err = parse("title: T\nbeet: x\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(
            err.message.contains("unknown field `beet`"),
            "{}",
            err.message
        );
        assert!(!err.message.contains("column"), "{}", err.message);
    }

    #[test]
    fn bad_date_and_broken_yaml_have_lines() {
        let err = parse("title: T\ndate: yesterday\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(
            err.message.contains("invalid date `yesterday`"),
            "{}",
            err.message
        );
        let err = parse("title: T\ntags: [a, b\n").unwrap_err();
        assert!(err.line >= 3, "{err:?}");
    }

    #[test]
    fn an_unclosed_string_is_reported_where_it_starts() {
        let long: String = (0..60).map(|i| format!("k{i}: v\n")).collect();
        let yaml = format!("title: \"unclosed\n{long}");
        let err = parse(&yaml).unwrap_err();
        assert_eq!(err.line, 2, "{err:?}");
        assert_eq!(
            err.message,
            "front matter: found unexpected end of stream, while scanning a quoted scalar that starts on this line"
        );
    }

    #[test]
    fn key_line_locates_top_level_keys() {
        assert_eq!(key_line("title: T\ntemplate: x.html\n", "template"), 3);
        assert_eq!(key_line("title: T\n", "template"), 2);
    }
}
