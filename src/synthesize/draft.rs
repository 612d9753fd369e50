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
    /// preceded and followed by prose. The first `{` that starts a valid object wins.
    pub fn parse_reply(reply: &str) -> Result<Draft, DraftError> {
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
    /// may have added (the story file writes its own from the evidence).
    pub fn paragraphs(&self) -> Vec<&str> {
        self.body
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty() && !p.starts_with("[^"))
            .collect()
    }
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
    fn names_what_is_wrong() {
        assert_eq!(Draft::parse_reply("no json here"), Err(DraftError::NoJson));
        let err = Draft::parse_reply("{\"headline\": \"H\"}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `dek`"), "{err}");
    }
}
