//! A story draft — headline, dek, body, citations — as a writer returns it, before the grounding
//! gate and before it is laid out as a story file.

use serde::{Deserialize, Serialize};

/// What every writer produces. The body is Markdown paragraphs separated by blank lines, citing
/// records with footnote references by record id: `[^reddit:1rg3x5k]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub headline: String,
    pub dek: String,
    pub body: String,
    /// Record ids the writer says it cited; each must be in the evidence pack.
    #[serde(default)]
    pub citations: Vec<String>,
}

/// Why a model's reply is not a draft.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    #[error("the reply holds no JSON object")]
    NoJson,
    #[error("the reply's JSON is not a story: {0}")]
    Shape(String),
}

impl Draft {
    /// Reads a model's reply tolerantly: the JSON object may be wrapped in a code fence or
    /// preceded and followed by prose, and its strings may hold raw line breaks (a common slip of
    /// smaller models). The first `{` that starts a valid story object wins.
    pub fn parse_reply(reply: &str) -> Result<Draft, DraftError> {
        match Draft::parse_strict(reply) {
            Err(first) => Draft::parse_strict(&escape_raw_controls(reply)).map_err(|_| first),
            ok => ok,
        }
    }

    fn parse_strict(reply: &str) -> Result<Draft, DraftError> {
        let mut last_error = None;
        for (start, _) in reply.match_indices('{') {
            let mut stream = serde_json::Deserializer::from_str(&reply[start..])
                .into_iter::<serde_json::Value>();
            let Some(Ok(value)) = stream.next() else {
                continue;
            };
            match serde_json::from_value::<Draft>(value) {
                Ok(draft) => return Ok(draft.trimmed()),
                Err(e) => last_error = Some(DraftError::Shape(e.to_string())),
            }
        }
        Err(last_error.unwrap_or(DraftError::NoJson))
    }

    fn trimmed(self) -> Draft {
        Draft {
            headline: self.headline.trim().to_string(),
            dek: self.dek.trim().to_string(),
            body: self.body.trim().replace("\r\n", "\n"),
            citations: self
                .citations
                .into_iter()
                .map(|c| c.trim().to_string())
                .collect(),
        }
    }

    /// The body's paragraphs, without blank ones and without any footnote definitions a model
    /// may have added (the story file writes its own from the evidence). Paragraphs are split at
    /// blank lines, or at line breaks when a body has no blank line at all.
    pub fn paragraphs(&self) -> Vec<&str> {
        let separator = if self.body.contains("\n\n") {
            "\n\n"
        } else {
            "\n"
        };
        self.body
            .split(separator)
            .map(str::trim)
            .filter(|p| !p.is_empty() && !p.starts_with("[^"))
            .collect()
    }
}

/// Escapes raw line breaks and tabs inside JSON strings, leaving the rest untouched.
fn escape_raw_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        match c {
            '\n' if in_string => out.push_str("\\n"),
            '\r' if in_string => out.push_str("\\r"),
            '\t' if in_string => out.push_str("\\t"),
            _ => out.push(c),
        }
        if in_string && c == '\\' && !escaped {
            escaped = true;
            continue;
        }
        if c == '"' && !escaped {
            in_string = !in_string;
        }
        escaped = false;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_json_inside_a_fence_after_prose() {
        let reply = "Here is the story:\n```json\n{\"headline\": \"H\", \"dek\": \"D\", \"body\": \"P1\\n\\nP2\", \"citations\": [\"reddit:1\"]}\n```\nThanks";
        let draft = Draft::parse_reply(reply).unwrap();
        assert_eq!(draft.headline, "H");
        assert_eq!(draft.paragraphs(), ["P1", "P2"]);
        assert_eq!(draft.citations, ["reddit:1"]);
    }

    #[test]
    fn skips_braces_that_are_not_the_story() {
        let reply = "Note {not json} then {\"headline\":\"H\",\"dek\":\"D\",\"body\":\"B\"}";
        assert_eq!(Draft::parse_reply(reply).unwrap().body, "B");
    }

    #[test]
    fn raw_line_breaks_in_strings_and_single_newline_paragraphs_are_tolerated() {
        let reply = "{\"headline\": \"H\", \"dek\": \"D \\\"q\\\"\", \"body\": \"P1\nP2\n\nP3\"}";
        let draft = Draft::parse_reply(reply).unwrap();
        assert_eq!(draft.dek, "D \"q\"");
        assert_eq!(draft.paragraphs(), ["P1\nP2", "P3"]);
        let lines = Draft {
            body: "P1\nP2".into(),
            ..draft
        };
        assert_eq!(lines.paragraphs(), ["P1", "P2"]);
    }

    #[test]
    fn names_what_is_wrong() {
        assert_eq!(Draft::parse_reply("no json here"), Err(DraftError::NoJson));
        let err = Draft::parse_reply("{\"headline\": \"H\"}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `dek`"), "{err}");
    }
}
