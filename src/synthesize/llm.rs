//! Writers over HTTP: Anthropic's Messages API and any OpenAI-compatible chat completions server.
//!
//! Both share one request loop: a per-request timeout; up to `retries` more attempts on 429,
//! 5xx (529 included) and transport errors, waiting what `retry-after` says (capped) or an
//! exponential backoff, and never past the overall deadline; no retry on other 4xx. A reply cut
//! off by the token limit is a failure, not a story. The API key travels only in a request header;
//! it is never formatted into an error, and any echo of it in a server's reply is redacted.

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::http;
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
    #[error("{url}: the reply was cut off at the token limit (max_tokens = {max_tokens}); raise [synthesis] max_tokens")]
    Truncated { url: String, max_tokens: u32 },
    #[error("{url}: malformed reply: {message}")]
    Malformed { url: String, message: String },
    #[error("[synthesis] writer = \"{writer}\" needs an API key in the environment variable {var}, which is not set")]
    MissingKey { writer: &'static str, var: String },
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// A model behind an HTTP API.
#[derive(Debug, Clone)]
pub struct HttpWriter {
    provider: WriterKind,
    client: reqwest::Client,
    endpoint: String,
    model: String,
    api_key: Option<ApiKey>,
    max_tokens: u32,
    retry: RetryPolicy,
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
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("zeitgeist/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WriterError::Client(e.to_string()))?;
        let base = settings.base_url.trim_end_matches('/');
        let endpoint = match settings.provider {
            WriterKind::Anthropic => format!("{base}/v1/messages"),
            _ if base.ends_with("/v1") => format!("{base}/chat/completions"),
            _ => format!("{base}/v1/chat/completions"),
        };
        Ok(HttpWriter {
            provider: settings.provider,
            client,
            endpoint,
            model: settings.model,
            api_key: settings.api_key,
            max_tokens: settings.max_tokens,
            retry: settings.retry,
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
        let body = self.request_body(system, messages);
        let started = Instant::now();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (wait, last) = match self.send(&body).await {
                Ok((status, _, text)) if status.is_success() => return self.parse(&text),
                Ok((status, headers, text)) if retryable(status) => (
                    http::retry_after(&headers, SystemTime::now()),
                    self.describe_status(status, &text),
                ),
                Ok((status, _, text)) => {
                    return Err(WriterError::Status {
                        url: self.endpoint.clone(),
                        status: status.as_u16(),
                        message: self.describe_status(status, &text),
                    })
                }
                Err(transport) => (None, transport),
            };
            let wait = wait
                .unwrap_or(self.retry.base_delay * 2u32.saturating_pow(attempts - 1))
                .min(self.retry.max_wait);
            if attempts > self.retry.retries || started.elapsed() + wait > self.retry.deadline {
                return Err(WriterError::GaveUp {
                    url: self.endpoint.clone(),
                    attempts,
                    last,
                });
            }
            tokio::time::sleep(wait).await;
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

    /// One HTTP exchange: status, headers and body text, or a transport failure described.
    async fn send(
        &self,
        body: &serde_json::Value,
    ) -> Result<(StatusCode, HeaderMap, String), String> {
        let mut request = self.client.post(&self.endpoint).json(body);
        request = match (self.provider, &self.api_key) {
            (WriterKind::Anthropic, Some(key)) => request
                .header("x-api-key", &key.0)
                .header("anthropic-version", "2023-06-01"),
            (WriterKind::Anthropic, None) => request.header("anthropic-version", "2023-06-01"),
            (_, Some(key)) => request.bearer_auth(&key.0),
            (_, None) => request,
        };
        let response = request
            .send()
            .await
            .map_err(|e| self.redact(&transport_message(&e)))?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .map_err(|e| self.redact(&transport_message(&e)))?;
        Ok((status, headers, text))
    }

    fn parse(&self, text: &str) -> Result<Completion, WriterError> {
        let malformed = |message: String| WriterError::Malformed {
            url: self.endpoint.clone(),
            message: self.redact(&message),
        };
        let truncated = || WriterError::Truncated {
            url: self.endpoint.clone(),
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
    fn describe_status(&self, status: StatusCode, body: &str) -> String {
        let message = serde_json::from_str::<ErrorReply>(body)
            .ok()
            .map(|e| match e.error.kind {
                Some(kind) => format!("{kind}: {}", e.error.message),
                None => e.error.message,
            })
            .unwrap_or_else(|| crate::text::cut_at_word(body.trim(), 200).to_string());
        self.redact(&format!("{} {}", status.as_u16(), message))
    }

    /// Removes the key from text that came from elsewhere (a server may echo a request).
    fn redact(&self, text: &str) -> String {
        http::blank_secrets(text, self.api_key.iter().map(|key| key.0.as_str()))
    }
}

fn retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

fn transport_message(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "transport error"
    };
    let mut message = format!("{kind}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
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
