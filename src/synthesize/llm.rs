//! Writers over HTTP: Anthropic's Messages API and any OpenAI-compatible chat completions server.
//!
//! Both send through the crate's one HTTP client ([`crate::http::HttpClient::for_writer`]): a
//! per-request timeout; up to `retries` more attempts on 429, 5xx (529 included) and transport
//! errors, waiting what `retry-after` says or an exponential backoff (whichever is longer, capped
//! at `max_wait`), and never past the overall deadline; no retry on other 4xx, on a reply larger
//! than [`crate::http::WRITER_MAX_BODY_BYTES`] or on a redirect loop. A reply cut off by the
//! token limit, or one that does not parse, is a failure, not a story, and is not asked for
//! again (it cost tokens). The API key travels only in a request header; it is never formatted
//! into an error, and any echo of it in a server's reply is redacted.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::{Method, Url};
use serde::Deserialize;
use serde_json::json;

use crate::http::{Expect, FaultKind, HttpClient, HttpError, Request};
use crate::model::story::TokenUsage;
use crate::model::WriterKind;

/// A secret API key. Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: String) -> Self {
        ApiKey(key)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(redacted)")
    }
}

/// How hard to try before giving up on a provider.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub retries: u32,
    /// First backoff when the server gives no `retry-after`; doubles each attempt.
    pub base_delay: Duration,
    /// Longest single wait, whatever `retry-after` asks.
    pub max_wait: Duration,
    /// No attempt starts after this much time since the first.
    pub deadline: Duration,
}

/// Who speaks a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One turn of the conversation with the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

/// A model's complete reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub text: String,
    pub usage: TokenUsage,
}

/// Why a model gave no usable reply. Messages name the URL, never the key.
#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    #[error("{url}: HTTP {status}: {message}")]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    /// No timing in the message: it lands in front matter, which must not vary run to run.
    #[error("{url}: gave up after {attempts} attempts; last: {last}")]
    GaveUp {
        url: String,
        attempts: u32,
        last: String,
    },
    /// A fault repeating the request cannot mend (too large a body, a redirect loop).
    #[error("{url}: {message} (not retried)")]
    Unretried { url: String, message: String },
    #[error("{url}: the reply was cut off at the token limit (max_tokens = {max_tokens}); raise [synthesis] max_tokens")]
    Truncated { url: String, max_tokens: u32 },
    #[error("{url}: malformed reply: {message}")]
    Malformed { url: String, message: String },
    #[error("[synthesis] writer = \"{writer}\" needs an API key in the environment variable {var}, which is not set")]
    MissingKey { writer: &'static str, var: String },
    #[error("[synthesis] base_url: `{url}` is not an absolute URL ({message})")]
    BadUrl { url: String, message: String },
    #[error("[synthesis]: the API key is not a valid HTTP header value (a stray newline?)")]
    BadKey,
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// A model behind an HTTP API.
#[derive(Clone)]
pub struct HttpWriter {
    provider: WriterKind,
    http: Arc<HttpClient>,
    endpoint: Url,
    model: String,
    /// The provider's headers, the key among them (marked sensitive).
    headers: HeaderMap,
    max_tokens: u32,
}

/// Shows neither headers nor key.
impl fmt::Debug for HttpWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpWriter")
            .field("provider", &self.provider)
            .field("endpoint", &self.endpoint.as_str())
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// What an [`HttpWriter`] needs to know.
#[derive(Debug, Clone)]
pub struct HttpWriterSettings {
    /// [`WriterKind::Anthropic`] or [`WriterKind::Openai`].
    pub provider: WriterKind,
    /// Server root, e.g. `https://api.anthropic.com` or `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<ApiKey>,
    pub max_tokens: u32,
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl HttpWriter {
    pub fn new(settings: HttpWriterSettings) -> Result<HttpWriter, WriterError> {
        let retry = settings.retry;
        let http = HttpClient::for_writer(
            settings.timeout,
            retry.retries,
            retry.base_delay,
            retry.max_wait,
            retry.deadline,
        )
        .map_err(|e| WriterError::Client(e.0))?;
        let base = settings.base_url.trim_end_matches('/');
        let endpoint = match settings.provider {
            WriterKind::Anthropic => format!("{base}/v1/messages"),
            _ if base.ends_with("/v1") => format!("{base}/chat/completions"),
            _ => format!("{base}/v1/chat/completions"),
        };
        let endpoint = Url::parse(&endpoint)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| WriterError::BadUrl {
                url: settings.base_url.clone(),
                message: "expected e.g. https://api.anthropic.com".into(),
            })?;
        let mut headers = HeaderMap::new();
        let secret = |value: String| {
            let mut value = HeaderValue::from_str(&value).map_err(|_| WriterError::BadKey)?;
            value.set_sensitive(true);
            Ok::<_, WriterError>(value)
        };
        if settings.provider == WriterKind::Anthropic {
            headers.insert("anthropic-version", HeaderValue::from_static("2023-06-01"));
        }
        if let Some(key) = &settings.api_key {
            http.register_secret(&key.0);
            match settings.provider {
                WriterKind::Anthropic => headers.insert("x-api-key", secret(key.0.clone())?),
                _ => headers.insert(AUTHORIZATION, secret(format!("Bearer {}", key.0))?),
            };
        }
        Ok(HttpWriter {
            provider: settings.provider,
            http: Arc::new(http),
            endpoint,
            model: settings.model,
            headers,
            max_tokens: settings.max_tokens,
        })
    }

    pub fn provider(&self) -> WriterKind {
        self.provider
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    /// Sends the conversation and returns the model's reply, retrying as the policy allows.
    pub async fn complete(
        &self,
        system: &str,
        messages: &[Message],
    ) -> Result<Completion, WriterError> {
        let mut request = Request::new(Method::POST, self.endpoint.clone(), Expect::Text);
        request.headers = self.headers.clone();
        request.json = Some(self.request_body(system, messages));
        let response = self.http.send(request).await.map_err(|e| self.failure(e))?;
        // `Expect::Text` has checked the body is UTF-8.
        self.parse(&String::from_utf8_lossy(&response.body))
    }

    /// What a failed exchange tells the run log: the provider's refusal, or why it gave up.
    fn failure(&self, error: HttpError) -> WriterError {
        let url = self.endpoint.to_string();
        let describe = |kind: &FaultKind| match kind {
            FaultKind::Status(status) => self.describe_status(*status, error.body.as_deref()),
            other => other.to_string(),
        };
        match &error.kind {
            FaultKind::Status(status) if !error.kind.is_retryable() => WriterError::Status {
                url,
                status: *status,
                message: describe(&error.kind),
            },
            // Too large a body, a redirect loop: sent once, as asking again would meet it again.
            kind if !kind.is_retryable() => WriterError::Unretried {
                url,
                message: describe(kind),
            },
            kind => WriterError::GaveUp {
                url,
                attempts: error.attempts,
                last: describe(kind),
            },
        }
    }

    fn request_body(&self, system: &str, messages: &[Message]) -> serde_json::Value {
        let turns = messages
            .iter()
            .map(|m| json!({"role": m.role.as_str(), "content": m.content}));
        match self.provider {
            WriterKind::Anthropic => json!({
                "model": self.model,
                "max_tokens": self.max_tokens,
                "temperature": 0,
                "system": system,
                "messages": turns.collect::<Vec<_>>(),
            }),
            _ => json!({
                "model": self.model,
                "max_tokens": self.max_tokens,
                "temperature": 0,
                "messages": std::iter::once(json!({"role": "system", "content": system}))
                    .chain(turns)
                    .collect::<Vec<_>>(),
            }),
        }
    }

    fn parse(&self, text: &str) -> Result<Completion, WriterError> {
        let malformed = |message: String| WriterError::Malformed {
            url: self.endpoint.to_string(),
            message: self.redact(&message),
        };
        let truncated = || WriterError::Truncated {
            url: self.endpoint.to_string(),
            max_tokens: self.max_tokens,
        };
        match self.provider {
            WriterKind::Anthropic => {
                let reply: AnthropicReply =
                    serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
                if reply.stop_reason.as_deref() == Some("max_tokens") {
                    return Err(truncated());
                }
                let text: String = reply
                    .content
                    .iter()
                    .filter(|b| b.kind == "text")
                    .map(|b| b.text.as_str())
                    .collect();
                if text.trim().is_empty() {
                    return Err(malformed("no text content".into()));
                }
                Ok(Completion {
                    text,
                    usage: TokenUsage {
                        input_tokens: reply.usage.input_tokens,
                        output_tokens: reply.usage.output_tokens,
                        requests: 1,
                    },
                })
            }
            _ => {
                let reply: OpenAiReply =
                    serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
                let choice = reply
                    .choices
                    .into_iter()
                    .next()
                    .ok_or_else(|| malformed("no choices".into()))?;
                if choice.finish_reason.as_deref() == Some("length") {
                    return Err(truncated());
                }
                let text = choice
                    .message
                    .content
                    .filter(|t| !t.trim().is_empty())
                    .ok_or_else(|| malformed("empty message content".into()))?;
                let usage = reply.usage.unwrap_or_default();
                Ok(Completion {
                    text,
                    usage: TokenUsage {
                        input_tokens: usage.prompt_tokens,
                        output_tokens: usage.completion_tokens,
                        requests: 1,
                    },
                })
            }
        }
    }

    /// A failed status as a short message: the provider's error message when it sent one.
    fn describe_status(&self, status: u16, body: Option<&str>) -> String {
        let body = body.unwrap_or_default();
        let message = serde_json::from_str::<ErrorReply>(body)
            .ok()
            .map(|e| match e.error.kind {
                Some(kind) => format!("{kind}: {}", e.error.message),
                None => e.error.message,
            })
            .unwrap_or_else(|| crate::text::cut_at_word(body.trim(), 200).to_string());
        self.redact(&format!("{status} {message}"))
    }

    /// Removes the key from text that came from elsewhere (a server may echo a request).
    fn redact(&self, text: &str) -> String {
        self.http.redact_text(text)
    }
}

#[derive(Deserialize)]
struct AnthropicReply {
    content: Vec<ContentBlock>,
    stop_reason: Option<String>,
    usage: AnthropicUsage,
}

#[derive(Deserialize)]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct AnthropicUsage {
    input_tokens: u64,
    output_tokens: u64,
}

#[derive(Deserialize)]
struct OpenAiReply {
    choices: Vec<OpenAiChoice>,
    usage: Option<OpenAiUsage>,
}

#[derive(Deserialize)]
struct OpenAiChoice {
    message: OpenAiMessage,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct OpenAiMessage {
    content: Option<String>,
}

#[derive(Deserialize, Default)]
struct OpenAiUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
}

/// Both providers' error shape: `{"error": {"type": …, "message": …}}`.
#[derive(Deserialize)]
struct ErrorReply {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type")]
    kind: Option<String>,
    message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let key = ApiKey::new("sk-ant-secret".into());
        assert!(!format!("{key:?}").contains("secret"));
    }
}
