//! The one HTTP layer every collector and model writer uses: per-host concurrency and pacing,
//! timeouts, bounded retries with exponential backoff and jitter that honour `Retry-After` and
//! `X-Ratelimit-*`, a descriptive User-Agent, conditional GET, a cap on the body (streamed, never
//! buffered past the limit, a failed status's body included), and checks that a 200 body is what
//! was asked for (not an HTML error page, not truncated JSON, valid UTF-8). Too large a body and
//! a redirect loop are not retried: the same request would meet them again. Secrets never appear
//! in messages: every URL shown goes through [`HttpClient::redact`], every body and library
//! message through [`HttpClient::redact_text`].
//!
//! Collectors and model writers differ in four settings only: a model writer waits out a long
//! `Retry-After` (capped) instead of failing, backs off without jitter (it is one client, and a
//! reply costs tokens), stops retrying at an overall deadline, and reads bodies up to a fixed
//! [`WRITER_MAX_BODY_BYTES`] rather than `[sources.http] max_body_bytes`
//! ([`HttpClient::for_writer`]). `zeitgeist model fetch` downloads one large file with it
//! ([`HttpClient::for_download`]): its own body cap, progress lines while the body arrives.
//!
//! Every client trusts the system's CA bundle (`$SSL_CERT_FILE`, else Debian's
//! `/etc/ssl/certs/ca-certificates.crt`) besides the built-in web roots: networks that inspect
//! TLS install their CA there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    RETRY_AFTER,
};
use reqwest::{Method, StatusCode, Url};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::config::sources::HttpSettings;

/// `zeitgeist/<version> (+<repository>)`, sent with every request so operators can reach us.
pub const USER_AGENT: &str = concat!(
    "zeitgeist/",
    env!("CARGO_PKG_VERSION"),
    " (+",
    env!("CARGO_PKG_REPOSITORY"),
    ")"
);

/// The largest body a model writer reads: a reply of `max_tokens` tokens is kilobytes, so a
/// larger body is not a reply (and fails unretried, like a collector's over its cap).
pub const WRITER_MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;

/// What stands in every message where a secret was: a key, a token, a password.
pub const REDACTED: &str = "REDACTED";

/// Query parameters whose values are secrets wherever they appear.
const SECRET_PARAMS: [&str; 6] = [
    "key",
    "api_key",
    "access_token",
    "token",
    "client_secret",
    "password",
];

/// What a caller expects the body of a 2xx response to be; a body that is not is a
/// (retryable) fault rather than data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A JSON document.
    Json,
    /// An XML feed (RSS, Atom) or JSON Feed: anything but an HTML page.
    Feed,
    /// Any UTF-8 text, which the caller reads itself (a model's reply: a malformed one is the
    /// model's failure, not a fault worth paying for again).
    Text,
    /// Any bytes (a file download, checked by its own digest).
    Bytes,
}

/// Why a request failed, after its retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultKind {
    #[error("HTTP {0}")]
    Status(u16),
    #[error("timed out")]
    Timeout,
    #[error("connection failed: {0}")]
    Transport(String),
    #[error("got an HTML page instead of {0}")]
    HtmlPage(&'static str),
    #[error("body is not valid UTF-8 (byte {0})")]
    InvalidUtf8(usize),
    #[error("JSON is truncated: {0}")]
    TruncatedJson(String),
    #[error("JSON is invalid: {0}")]
    InvalidJson(String),
    #[error("server asked to wait {0:?}, longer than the allowed maximum")]
    WaitTooLong(Duration),
    /// `setting` names where the limit comes from.
    #[error("body is larger than the {limit}-byte limit ({setting})")]
    TooLarge { limit: u64, setting: &'static str },
    #[error("redirects loop or go on too long: {0}")]
    Redirects(String),
}

impl FaultKind {
    /// Client errors other than 429 say the request itself is wrong; repeating it cannot help,
    /// nor can it shrink a body or end a redirect loop.
    pub fn is_retryable(&self) -> bool {
        match self {
            FaultKind::Status(code) => *code == 429 || *code >= 500,
            FaultKind::WaitTooLong(_) | FaultKind::TooLarge { .. } | FaultKind::Redirects(_) => {
                false
            }
            _ => true,
        }
    }
}

/// A failed request: method, the URL with secrets redacted, attempts made and the last fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{method} {url}: {kind} (after {attempts} attempt{s})", s = if *attempts == 1 { "" } else { "s" })]
pub struct HttpError {
    pub method: String,
    pub url: String,
    pub attempts: u32,
    pub kind: FaultKind,
    /// The body of the last failed status (secrets redacted), for a caller that reads the
    /// server's own error message (a model provider's `{"error": {…}}`).
    pub body: Option<String>,
}

/// The TLS backend or system settings kept the client from starting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot start the HTTP client: {0}")]
pub struct ClientBuildError(pub String);

/// Conditional-GET validators remembered between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// One request to send, possibly several times.
#[derive(Clone)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    /// `application/x-www-form-urlencoded` body.
    pub form: Option<Vec<(String, String)>>,
    /// JSON body.
    pub json: Option<serde_json::Value>,
    /// HTTP basic credentials (user, password).
    pub basic_auth: Option<(String, String)>,
    pub expect: Expect,
}

/// Shows no header, body or credential values: they may hold secrets.
impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.url.path())
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("expect", &self.expect)
            .finish_non_exhaustive()
    }
}

impl Request {
    /// A request with no body or extra headers yet.
    pub fn new(method: Method, url: Url, expect: Expect) -> Request {
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            form: None,
            json: None,
            basic_auth: None,
            expect,
        }
    }

    /// A GET expecting `expect`.
    pub fn get(url: Url, expect: Expect) -> Request {
        Request::new(Method::GET, url, expect)
    }

    /// Adds `Authorization: Bearer <token>`.
    pub fn bearer(mut self, token: &str) -> Request {
        if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
            self.headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        self
    }

    /// Adds `If-None-Match` / `If-Modified-Since` from earlier validators.
    pub fn conditional(mut self, validators: &Validators) -> Request {
        let pairs = [
            (IF_NONE_MATCH, &validators.etag),
            (IF_MODIFIED_SINCE, &validators.last_modified),
        ];
        for (name, value) in pairs {
            if let Some(value) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                self.headers.insert(name, value);
            }
        }
        self
    }
}

/// A successful response whose body passed the [`Expect`] checks.
#[derive(Debug, Clone)]
pub struct Response {
    pub url: Url,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Parsed body when [`Expect::Json`] (already validated).
    pub json: Option<serde_json::Value>,
}

impl Response {
    /// `304 Not Modified` to a conditional GET.
    pub fn not_modified(&self) -> bool {
        self.status == StatusCode::NOT_MODIFIED
    }

    /// The validators to send next time.
    pub fn validators(&self) -> Validators {
        let header = |name: HeaderName| {
            self.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        Validators {
            etag: header(ETAG),
            last_modified: header(LAST_MODIFIED),
        }
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Pacing state of one host.
struct Host {
    in_flight: Semaphore,
    /// Earliest instant the next request may start.
    next_start: tokio::sync::Mutex<Instant>,
    interval: Duration,
}

/// The shared client. Cheap to share by reference across concurrent collectors.
pub struct HttpClient {
    client: reqwest::Client,
    settings: HttpSettings,
    /// A `Retry-After` longer than `max_wait_ms` is waited for `max_wait_ms`, not a failure.
    cap_long_waits: bool,
    /// Backoff without jitter: the full `base · 2^retry`.
    jitter: bool,
    /// No attempt starts later than this after the first.
    deadline: Option<Duration>,
    /// Where `max_body_bytes` comes from, for the message of too large a body.
    body_limit: &'static str,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
    rng: Mutex<fastrand::Rng>,
    secrets: RwLock<Vec<String>>,
    notify: Option<Notifier>,
    /// Report the arrival of a body in tenths to `notify` (downloads only).
    body_progress: bool,
}

/// Receives one line per retry, so a long wait is never silent (the CLI prints them).
pub type Notifier = Box<dyn Fn(&str) + Send + Sync>;

impl HttpClient {
    /// Builds the client from `[sources.http]`.
    pub fn new(settings: &HttpSettings) -> Result<HttpClient, ClientBuildError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(Duration::from_millis(settings.timeout_ms));
        for cert in system_roots() {
            builder = builder.add_root_certificate(cert);
        }
        let client = builder
            .build()
            .map_err(|e| ClientBuildError(e.to_string()))?;
        let rng = settings
            .jitter_seed
            .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        Ok(HttpClient {
            client,
            settings: settings.clone(),
            hosts: Mutex::new(HashMap::new()),
            rng: Mutex::new(rng),
            secrets: RwLock::new(Vec::new()),
            notify: None,
            cap_long_waits: false,
            jitter: true,
            deadline: None,
            body_limit: "[sources.http] max_body_bytes",
            body_progress: false,
        })
    }

    /// The client for one large download (`zeitgeist model fetch`): three retries backing off
    /// from 1 s to 30 s, `timeout` for the whole transfer, bodies up to `max_body_bytes`, and the
    /// body's arrival reported in tenths to the notifier.
    pub fn for_download(
        timeout: Duration,
        max_body_bytes: u64,
    ) -> Result<HttpClient, ClientBuildError> {
        let settings = HttpSettings {
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            max_retries: 3,
            backoff_base_ms: 1_000,
            backoff_max_ms: 30_000,
            max_wait_ms: 60_000,
            per_host_concurrency: 1,
            per_host_interval_ms: 0,
            max_body_bytes,
            ..HttpSettings::default()
        };
        let mut client = HttpClient::new(&settings)?;
        client.body_limit = "the download's expected size";
        client.body_progress = true;
        Ok(client)
    }

    /// The client for a model writer: one request at a time with no pause between them, the
    /// writer's retries (`retries` after the first attempt, backing off from `backoff_base`
    /// without jitter, a `Retry-After` or backoff capped at `max_wait`), no attempt later than
    /// `deadline` after the first, `timeout` per request, and bodies (replies and failed
    /// statuses' error messages alike) read up to [`WRITER_MAX_BODY_BYTES`]. Redirects are
    /// followed, and a loop fails unretried, as for the collectors.
    pub fn for_writer(
        timeout: Duration,
        retries: u32,
        backoff_base: Duration,
        max_wait: Duration,
        deadline: Duration,
    ) -> Result<HttpClient, ClientBuildError> {
        let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let settings = HttpSettings {
            timeout_ms: millis(timeout),
            max_retries: retries,
            backoff_base_ms: millis(backoff_base),
            backoff_max_ms: millis(max_wait),
            max_wait_ms: millis(max_wait),
            per_host_concurrency: 1,
            per_host_interval_ms: 0,
            host_interval_ms: Default::default(),
            jitter_seed: None,
            max_body_bytes: WRITER_MAX_BODY_BYTES,
        };
        let mut client = HttpClient::new(&settings)?;
        client.cap_long_waits = true;
        client.jitter = false;
        client.deadline = Some(deadline);
        client.body_limit = "model writer replies";
        Ok(client)
    }

    /// Reports each retry (method, redacted URL, fault, delay) to `notify`.
    pub fn with_notifier(mut self, notify: Notifier) -> HttpClient {
        self.notify = Some(notify);
        self
    }

    /// Remembers a secret value so it is blanked out of every message this client produces.
    pub fn register_secret(&self, secret: &str) {
        if !secret.is_empty() {
            self.secrets
                .write()
                .expect("secrets lock")
                .push(secret.to_string());
        }
    }

    /// `url` as safe to print: secret query values and passwords replaced by `REDACTED`, and any
    /// registered secret blanked wherever it appears.
    pub fn redact(&self, url: &Url) -> String {
        let mut shown = url.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some(REDACTED));
        }
        if shown.query().is_some() {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    let secret = SECRET_PARAMS.contains(&k.as_ref());
                    (
                        k.into_owned(),
                        if secret {
                            REDACTED.to_string()
                        } else {
                            v.into_owned()
                        },
                    )
                })
                .collect();
            shown.query_pairs_mut().clear().extend_pairs(pairs);
        }
        self.redact_text(shown.as_str())
    }

    /// Blanks registered secrets out of free text (error messages from libraries).
    pub fn redact_text(&self, text: &str) -> String {
        let secrets = self.secrets.read().expect("secrets lock");
        blank_secrets(text, secrets.iter().map(String::as_str))
    }

    /// Sends `request`, retrying retryable faults up to `max_retries` times.
    pub async fn send(&self, request: Request) -> Result<Response, HttpError> {
        let host = self.host(&request.url);
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let fault = match self.attempt(&host, &request).await {
                Ok(response) => return Ok(response),
                Err(fault) => fault,
            };
            let body = fault.body.as_deref().map(|b| self.redact_text(b));
            let error = |kind| HttpError {
                method: request.method.to_string(),
                url: self.redact(&request.url),
                attempts: attempt,
                kind,
                body: body.clone(),
            };
            if !fault.kind.is_retryable() || attempt > self.settings.max_retries {
                return Err(error(fault.kind));
            }
            let unit = if self.jitter {
                self.rng.lock().expect("jitter lock").f64()
            } else {
                1.0
            };
            let backoff = backoff_delay(&self.settings, attempt - 1, unit);
            let mut delay = fault.wait.map_or(backoff, |wait| wait.max(backoff));
            let max_wait = Duration::from_millis(self.settings.max_wait_ms);
            if delay > max_wait {
                if !self.cap_long_waits {
                    return Err(error(FaultKind::WaitTooLong(delay)));
                }
                delay = max_wait;
            }
            if self
                .deadline
                .is_some_and(|deadline| started.elapsed() + delay > deadline)
            {
                return Err(error(fault.kind));
            }
            if let Some(notify) = &self.notify {
                let (method, url, retries) = (
                    &request.method,
                    self.redact(&request.url),
                    self.settings.max_retries,
                );
                notify(&format!(
                    "{method} {url}: {}; retry {attempt}/{retries} in {delay:.2?}",
                    fault.kind
                ));
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// Sends a GET expecting JSON and returns the parsed document with the response.
    pub async fn get_json(
        &self,
        url: Url,
        bearer: Option<&str>,
    ) -> Result<(serde_json::Value, Response), HttpError> {
        let mut request = Request::get(url, Expect::Json);
        if let Some(token) = bearer {
            request = request.bearer(token);
        }
        let mut response = self.send(request).await?;
        let json = response.json.take().unwrap_or(serde_json::Value::Null);
        Ok((json, response))
    }

    fn host(&self, url: &Url) -> Arc<Host> {
        let name = url.host_str().unwrap_or("").to_string();
        let mut hosts = self.hosts.lock().expect("hosts lock");
        let interval = self
            .settings
            .host_interval_ms
            .get(&name)
            .copied()
            .unwrap_or(self.settings.per_host_interval_ms);
        hosts
            .entry(name)
            .or_insert_with(|| {
                Arc::new(Host {
                    in_flight: Semaphore::new(self.settings.per_host_concurrency),
                    next_start: tokio::sync::Mutex::new(Instant::now()),
                    interval: Duration::from_millis(interval),
                })
            })
            .clone()
    }

    async fn attempt(&self, host: &Host, request: &Request) -> Result<Response, Fault> {
        let _permit = host
            .in_flight
            .acquire()
            .await
            .expect("semaphore never closed");
        {
            let mut next_start = host.next_start.lock().await;
            tokio::time::sleep_until(*next_start).await;
            *next_start = Instant::now() + host.interval;
        }
        let result = self.build(request).send().await;
        let response = result.map_err(|e| self.transport_fault(e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let url = response.url().clone();
        self.obey_rate_limit(host, &headers).await;
        let wait = retry_after(&headers, SystemTime::now());
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Response {
                url,
                status,
                headers,
                body: Vec::new(),
                json: None,
            });
        }
        if !status.is_success() {
            // The server's own account of the failure, read under the same cap; unreadable or
            // too large bodies are left out.
            let body = self
                .read_body(response)
                .await
                .ok()
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .filter(|b| !b.is_empty());
            return Err(Fault {
                kind: FaultKind::Status(status.as_u16()),
                wait,
                body,
            });
        }
        let body = self.read_body(response).await?;
        let json = check_body(request.expect, &headers, &body).map_err(Fault::new)?;
        Ok(Response {
            url,
            status,
            headers,
            body,
            json,
        })
    }

    /// Reads the body chunk by chunk, giving up as soon as it passes `max_body_bytes` (or says
    /// in advance that it will).
    async fn read_body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, Fault> {
        let cap = self.settings.max_body_bytes;
        let too_large = || {
            Fault::new(FaultKind::TooLarge {
                limit: cap,
                setting: self.body_limit,
            })
        };
        if response.content_length().is_some_and(|length| length > cap) {
            return Err(too_large());
        }
        // Only a large body is worth progress lines (a JSON answer arrives at once).
        let expected = response
            .content_length()
            .filter(|total| self.body_progress && *total > 1024 * 1024);
        let mut body = Vec::new();
        let mut tenths = 0;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_fault(e))?
        {
            if (body.len() + chunk.len()) as u64 > cap {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
            if let (Some(total), Some(notify)) = (expected, &self.notify) {
                let now = body.len() as u64 * 10 / total;
                if now > tenths {
                    tenths = now;
                    notify(&format!(
                        "  {}% ({} bytes)",
                        (now * 10).min(100),
                        crate::text::thousands(body.len() as i64)
                    ));
                }
            }
        }
        Ok(body)
    }

    fn build(&self, request: &Request) -> reqwest::RequestBuilder {
        let mut builder = self
            .client
            .request(request.method.clone(), request.url.clone())
            .headers(request.headers.clone());
        if let Some(form) = &request.form {
            builder = builder.form(form);
        }
        if let Some(json) = &request.json {
            builder = builder.json(json);
        }
        if let Some((user, password)) = &request.basic_auth {
            builder = builder.basic_auth(user, Some(password));
        }
        builder
    }

    fn transport_fault(&self, error: reqwest::Error) -> Fault {
        let kind = if error.is_timeout() {
            FaultKind::Timeout
        } else if error.is_redirect() {
            FaultKind::Redirects(self.redact_text(&error.without_url().to_string()))
        } else {
            // reqwest's own message is generic ("error sending request"); the cause is below it.
            let causes: Vec<String> =
                std::iter::successors(std::error::Error::source(&error), |e| e.source())
                    .map(|e| e.to_string())
                    .collect();
            let mut message = error.without_url().to_string();
            for cause in causes {
                message.push_str(": ");
                message.push_str(&cause);
            }
            FaultKind::Transport(self.redact_text(&message))
        };
        Fault::new(kind)
    }

    /// Reddit-style `X-Ratelimit-Remaining` / `-Reset`: when the budget is spent, hold every
    /// request to this host until the window resets.
    async fn obey_rate_limit(&self, host: &Host, headers: &HeaderMap) {
        let Some(pause) = rate_limit_pause(headers) else {
            return;
        };
        let pause = pause.min(Duration::from_millis(self.settings.max_wait_ms));
        let mut next_start = host.next_start.lock().await;
        *next_start = (*next_start).max(Instant::now() + pause);
    }
}

struct Fault {
    kind: FaultKind,
    /// What the server asked us to wait (`Retry-After`), if anything.
    wait: Option<Duration>,
    /// The body of a failed status.
    body: Option<String>,
}

impl Fault {
    fn new(kind: FaultKind) -> Fault {
        Fault {
            kind,
            wait: None,
            body: None,
        }
    }
}

/// The delay before retry number `retry` (0-based): `base · 2^retry` capped at the maximum, then
/// "equal jitter": half of it fixed, half scaled by `unit` ∈ [0, 1). Pure, so tests can bound it.
pub fn backoff_delay(settings: &HttpSettings, retry: u32, unit: f64) -> Duration {
    let exponential = settings
        .backoff_base_ms
        .saturating_mul(1u64 << retry.min(32))
        .min(settings.backoff_max_ms);
    let half = exponential as f64 / 2.0;
    Duration::from_secs_f64((half + half * unit.clamp(0.0, 1.0)) / 1000.0)
}

/// `text` with every non-empty secret replaced by [`REDACTED`].
pub fn blank_secrets<'a>(text: &str, secrets: impl IntoIterator<Item = &'a str>) -> String {
    secrets
        .into_iter()
        .filter(|secret| !secret.is_empty())
        .fold(text.to_string(), |acc, secret| {
            acc.replace(secret, REDACTED)
        })
}

/// The wait a response's `Retry-After` header asks for, if it has a readable one (see
/// [`parse_retry_after`]).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, now)
}

/// `Retry-After` as delta-seconds or an HTTP-date (relative to `now`; a past date means 0).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let when = SystemTime::from(date.with_timezone(&chrono::Utc));
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// How long to pause when `X-Ratelimit-Remaining` says the budget is spent (Reddit sends
/// fractional counts like `0.0` and the reset in seconds).
pub fn rate_limit_pause(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok();
    let remaining = number("x-ratelimit-remaining")?;
    let reset = number("x-ratelimit-reset")?;
    (remaining < 1.0 && reset.is_finite() && reset >= 0.0).then(|| Duration::from_secs_f64(reset))
}

/// The system's CA bundle (`$SSL_CERT_FILE`, else Debian's path); none when it is unreadable.
fn system_roots() -> Vec<reqwest::Certificate> {
    let path = std::env::var_os("SSL_CERT_FILE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/etc/ssl/certs/ca-certificates.crt".into());
    std::fs::read(&path)
        .ok()
        .and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).ok())
        .unwrap_or_default()
}

/// Checks a 2xx body against what was expected; returns the parsed JSON for [`Expect::Json`].
fn check_body(
    expect: Expect,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<serde_json::Value>, FaultKind> {
    if expect == Expect::Bytes {
        return Ok(None);
    }
    let text = std::str::from_utf8(body).map_err(|e| FaultKind::InvalidUtf8(e.valid_up_to()))?;
    let wanted = match expect {
        Expect::Json => "JSON",
        Expect::Feed => "a feed",
        Expect::Text | Expect::Bytes => return Ok(None),
    };
    if looks_like_html(headers, text) {
        return Err(FaultKind::HtmlPage(wanted));
    }
    match expect {
        Expect::Feed | Expect::Text | Expect::Bytes => Ok(None),
        Expect::Json => serde_json::from_str(text).map(Some).map_err(|e| {
            if e.is_eof() {
                FaultKind::TruncatedJson(e.to_string())
            } else {
                FaultKind::InvalidJson(e.to_string())
            }
        }),
    }
}

/// An HTML document (maintenance page, login wall, CDN error) served in place of data.
fn looks_like_html(headers: &HeaderMap, text: &str) -> bool {
    let start = text.trim_start_matches('\u{feff}').trim_start();
    let prefix: String = start
        .chars()
        .take(15)
        .collect::<String>()
        .to_ascii_lowercase();
    let html_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/html"));
    prefix.starts_with("<!doctype html")
        || prefix.starts_with("<html")
        || (html_type && start.starts_with('<'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_jitter_stays_in_the_upper_half() {
        let settings = HttpSettings {
            backoff_base_ms: 100,
            backoff_max_ms: 1000,
            ..HttpSettings::default()
        };
        assert_eq!(backoff_delay(&settings, 0, 0.0), Duration::from_millis(50));
        assert_eq!(backoff_delay(&settings, 0, 1.0), Duration::from_millis(100));
        assert_eq!(backoff_delay(&settings, 2, 0.5), Duration::from_millis(300));
        assert_eq!(
            backoff_delay(&settings, 9, 1.0),
            Duration::from_millis(1000)
        );
        let mut rng = fastrand::Rng::with_seed(7);
        for retry in 0..6 {
            let delay = backoff_delay(&settings, retry, rng.f64());
            let full = (100u64 << retry).min(1000);
            assert!(
                delay >= Duration::from_millis(full / 2) && delay <= Duration::from_millis(full),
                "{delay:?}"
            );
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn rate_limit_pauses_only_when_the_budget_is_spent() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("598.0"));
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("7"));
        assert_eq!(rate_limit_pause(&headers), None);
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0.0"));
        assert_eq!(rate_limit_pause(&headers), Some(Duration::from_secs(7)));
    }

    #[test]
    fn bodies_are_checked_for_html_truncation_and_utf8() {
        let headers = HeaderMap::new();
        let html = b"<!DOCTYPE html><html><body>Service unavailable</body></html>";
        assert_eq!(
            check_body(Expect::Json, &headers, html),
            Err(FaultKind::HtmlPage("JSON"))
        );
        assert_eq!(
            check_body(Expect::Feed, &headers, html),
            Err(FaultKind::HtmlPage("a feed"))
        );
        assert!(matches!(
            check_body(Expect::Json, &headers, b"{\"hits\": [1, 2"),
            Err(FaultKind::TruncatedJson(_))
        ));
        assert!(matches!(
            check_body(Expect::Json, &headers, b"{\"a\" 1}"),
            Err(FaultKind::InvalidJson(_))
        ));
        assert_eq!(
            check_body(Expect::Json, &headers, b"{\"a\": \"\xff\"}"),
            Err(FaultKind::InvalidUtf8(7))
        );
        assert!(check_body(Expect::Feed, &headers, b"<?xml version=\"1.0\"?><rss/>").is_ok());
    }

    #[test]
    fn redaction_blanks_secret_params_and_registered_secrets() {
        let client = HttpClient::new(&HttpSettings::default()).unwrap();
        client.register_secret("s3cr3t");
        let url = Url::parse(
            "https://www.googleapis.com/youtube/v3/search?q=ai&key=AIzaXYZ&pageToken=s3cr3t",
        )
        .unwrap();
        let shown = client.redact(&url);
        assert_eq!(
            shown,
            "https://www.googleapis.com/youtube/v3/search?q=ai&key=REDACTED&pageToken=REDACTED"
        );
        assert!(
            USER_AGENT.starts_with("zeitgeist/0.") && USER_AGENT.contains("(+https://github.com/"),
            "{USER_AGENT}"
        );
    }
}
