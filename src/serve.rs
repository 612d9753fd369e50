//! The development server: builds the site into memory, serves it on 127.0.0.1, watches the
//! inputs and re-renders only what an edit affected.
//!
//! The loaded [`Site`] and a [`RenderCache`] stay in memory in a rebuild thread. A content edit
//! re-parses that one file, regroups the content (cheap) and re-runs only the render jobs whose
//! fingerprints changed; a template, data or config edit re-runs every job. HTML responses (never
//! the built files) get a small script that long-polls `/__zeitgeist/reload` and reloads the tab
//! after each rebuild. While the inputs have problems, HTML requests get a page listing them —
//! the server keeps running and recovers on the next good edit.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{EventKind, RecursiveMode, Watcher};
use serde::Deserialize;

use crate::config::{Paths, CONFIG_FILE};
use crate::site::output::Memory;
use crate::site::render::RenderCache;
use crate::site::{data, BuildOptions, Problem, Site};

/// Where the injected script polls for rebuilds.
const RELOAD_PATH: &str = "/__zeitgeist/reload";
/// How long a reload poll waits for a rebuild before answering anyway.
const POLL_TIMEOUT: Duration = Duration::from_secs(25);
/// Events closer together than this are one edit (editors write a file in several steps).
const DEBOUNCE: Duration = Duration::from_millis(30);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("{}: {source}", path.display())]
    Root {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot watch {}: {source}", path.display())]
    Watch {
        path: PathBuf,
        source: notify::Error,
    },
    #[error("cannot start the server: {0}")]
    Runtime(std::io::Error),
}

/// State shared by the rebuild thread and the HTTP handlers.
struct Shared {
    files: Memory,
    /// The current problems, as text; `None` when the last rebuild was clean.
    problems: RwLock<Option<String>>,
    /// Bumped after every rebuild; the reload script waits for it to change.
    version: tokio::sync::watch::Sender<u64>,
}

/// A running server. Dropping it stops the server and the watcher.
pub struct Server {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    http: Option<thread::JoinHandle<()>>,
    watcher: Option<notify::RecommendedWatcher>,
    rebuild: Option<thread::JoinHandle<()>>,
}

impl Server {
    /// Builds the site, starts watching and serving on 127.0.0.1:`port` (0 picks a free port)
    /// and returns once the first build is served.
    pub fn start(paths: &Paths, options: BuildOptions, port: u16) -> Result<Server, ServeError> {
        let root = paths
            .root
            .canonicalize()
            .map_err(|source| ServeError::Root {
                path: paths.root.clone(),
                source,
            })?;
        let paths = Paths::new(root);
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(|source| ServeError::Bind { port, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| ServeError::Bind { port, source })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| ServeError::Bind { port, source })?;
        let options = BuildOptions {
            base_url: Some(format!("http://{addr}/")),
            output: None,
            search_on_full_render_only: true,
            ..options
        };

        let shared = Arc::new(Shared {
            files: Memory::default(),
            problems: RwLock::new(None),
            version: tokio::sync::watch::Sender::new(0),
        });
        // Watch before the first build, so edits made while it runs queue up instead of being lost.
        let (events, received) = mpsc::channel();
        let mut watcher = notify::recommended_watcher(move |event| {
            let _ = events.send(event);
        })
        .map_err(|source| ServeError::Watch {
            path: paths.root.clone(),
            source,
        })?;
        for (dir, mode) in watched(&paths) {
            watcher
                .watch(&dir, mode)
                .map_err(|source| ServeError::Watch {
                    path: dir.clone(),
                    source,
                })?;
        }
        let mut rebuilder = Rebuilder::new(paths.clone(), options, Arc::clone(&shared));
        rebuilder.full();
        let rebuild = thread::spawn(move || rebuilder.run(received));

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(ServeError::Runtime)?;
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(listener)
                .map_err(|source| ServeError::Bind { port, source })?
        };
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new().fallback(respond).with_state(shared);
        let http = thread::spawn(move || {
            runtime.block_on(async move {
                let stopped = async move {
                    let _ = stop.await;
                };
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .await;
            })
        });
        Ok(Server {
            addr,
            shutdown: Some(shutdown),
            http: Some(http),
            watcher: Some(watcher),
            rebuild: Some(rebuild),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until the process is stopped.
    pub fn wait(mut self) {
        if let Some(http) = self.http.take() {
            let _ = http.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(http) = self.http.take() {
            let _ = http.join();
        }
        // Dropping the watcher closes the event channel, which ends the rebuild thread.
        self.watcher.take();
        if let Some(rebuild) = self.rebuild.take() {
            let _ = rebuild.join();
        }
    }
}

/// The folders to watch (those that exist) and the root itself for `site.toml`.
fn watched(paths: &Paths) -> Vec<(PathBuf, RecursiveMode)> {
    let mut dirs = vec![(paths.root.clone(), RecursiveMode::NonRecursive)];
    for dir in [
        paths.content(),
        paths.data(),
        paths.templates(),
        paths.static_dir(),
        paths.root.join("themes"),
    ] {
        if dir.is_dir() {
            dirs.push((dir, RecursiveMode::Recursive));
        }
    }
    dirs
}

/// What an edit touched, from the paths of one debounced batch of events.
#[derive(Debug, Default, PartialEq, Eq)]
struct Changes {
    config: bool,
    templates: bool,
    data: bool,
    statics: bool,
    content: Vec<PathBuf>,
}

impl Changes {
    fn classify(paths: &Paths, theme: &str, changed: &[PathBuf]) -> Changes {
        let mut changes = Changes::default();
        let theme_dir = paths.root.join("themes").join(theme);
        for path in changed {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            // Editors' swap and backup files are not inputs.
            if name.starts_with('.')
                || name.ends_with('~')
                || name.ends_with(".swp")
                || name.ends_with(".tmp")
            {
                continue;
            }
            if *path == paths.root.join(CONFIG_FILE) {
                changes.config = true;
            } else if path.starts_with(paths.content()) {
                if !changes.content.contains(path) {
                    changes.content.push(path.clone());
                }
            } else if path.starts_with(paths.templates())
                || path.starts_with(theme_dir.join("templates"))
            {
                changes.templates = true;
            } else if path.starts_with(paths.static_dir())
                || path.starts_with(theme_dir.join("static"))
            {
                changes.statics = true;
            } else if let Ok(rel) = path.strip_prefix(paths.data()) {
                changes.data |= data::is_template_data(rel);
            }
        }
        changes
    }

    fn is_empty(&self) -> bool {
        *self == Changes::default()
    }
}

/// The problems of each input, replaced one part at a time as parts are reloaded. Content
/// problems are not kept here: the loaded site tracks them per file.
#[derive(Default)]
struct Problems {
    /// `site.toml` could not be read, or (with no site loaded) anything else.
    config: Vec<Problem>,
    templates: Vec<Problem>,
    data: Vec<Problem>,
    render: Vec<Problem>,
}

impl Problems {
    /// Files the last full load with problems: content ones are the site's to track.
    fn from_load(problems: Vec<Problem>, with_site: bool) -> Problems {
        let mut sorted = Problems::default();
        for problem in problems {
            if problem.file.starts_with("data") {
                sorted.data.push(problem);
            } else if !(with_site && problem.file.starts_with("content")) {
                sorted.templates.push(problem);
            }
        }
        sorted
    }

    fn all(&self, site: Option<&Site>) -> Vec<Problem> {
        let content = site
            .into_iter()
            .flat_map(|s| s.sources.problems.values().chain(&s.content.problems));
        let all = self
            .config
            .iter()
            .chain(&self.templates)
            .chain(&self.data)
            .chain(&self.render)
            .chain(content);
        crate::site::condense(all.cloned().collect())
    }
}

/// Owns the loaded site and keeps `Shared::files` up to date.
struct Rebuilder {
    paths: Paths,
    options: BuildOptions,
    site: Option<Site>,
    cache: RenderCache,
    problems: Problems,
    shared: Arc<Shared>,
}

impl Rebuilder {
    fn new(paths: Paths, options: BuildOptions, shared: Arc<Shared>) -> Rebuilder {
        Rebuilder {
            paths,
            options,
            site: None,
            cache: RenderCache::default(),
            problems: Problems::default(),
            shared,
        }
    }

    /// Loads everything from disk and renders everything.
    fn full(&mut self) {
        let started = Instant::now();
        self.problems = Problems::default();
        self.cache.clear();
        match Site::load_partial(&self.paths, &self.options) {
            Ok((site, problems)) => {
                self.problems = Problems::from_load(problems, site.is_some());
                // Without a new site (templates do not compile) keep serving the last good one.
                if site.is_some() {
                    self.site = site;
                }
            }
            Err(config_error) => {
                self.problems.config =
                    vec![Problem::new(CONFIG_FILE, None, config_error.to_string())]
            }
        }
        self.render(started, "full build");
    }

    /// Waits for file events and applies them until the watcher goes away.
    fn run(mut self, events: mpsc::Receiver<notify::Result<notify::Event>>) {
        while let Ok(first) = events.recv() {
            let mut batch = vec![first];
            while let Ok(next) = events.recv_timeout(DEBOUNCE) {
                batch.push(next);
            }
            let changed: Vec<PathBuf> = batch
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| is_edit(&e.kind))
                .flat_map(|e| e.paths)
                .collect();
            self.apply(&changed);
        }
    }

    fn apply(&mut self, changed: &[PathBuf]) {
        let theme = self
            .site
            .as_ref()
            .map(|s| s.config.theme.clone())
            .unwrap_or_default();
        let changes = Changes::classify(&self.paths, &theme, changed);
        if changes.is_empty() {
            return;
        }
        let started = Instant::now();
        let loaded_cleanly = self.problems.config.is_empty();
        let Some(site) = self
            .site
            .as_mut()
            .filter(|_| !changes.config && loaded_cleanly)
        else {
            return self.full();
        };
        if changes.templates {
            self.problems.templates = site.reload_templates();
            self.cache.clear();
        }
        if changes.data {
            self.problems.data = site.reload_data();
            self.cache.clear();
        }
        if changes.statics {
            site.reload_statics();
        }
        if !changes.content.is_empty() {
            // The site keeps each content file's problems; they are listed in `render`.
            site.reload_content(&changes.content);
        }
        let mut what: Vec<String> = changed
            .iter()
            .map(|p| {
                crate::site::display_path(&self.paths.root, p)
                    .display()
                    .to_string()
            })
            .collect();
        what.sort();
        what.dedup();
        self.render(started, &what.join(", "));
    }

    /// Renders what changed into memory, publishes problems and wakes the reload script.
    fn render(&mut self, started: Instant, what: &str) {
        self.problems.render.clear();
        if let Some(site) = &self.site {
            if let Err(problems) = site.render(&self.shared.files, Some(&mut self.cache)) {
                self.problems.render = problems;
            }
            for path in self.cache.take_stale() {
                self.shared.files.remove(&path);
            }
        }
        let problems = self.problems.all(self.site.as_ref());
        let elapsed = started.elapsed();
        if problems.is_empty() {
            eprintln!(
                "rebuilt ({what}): {} render jobs in {elapsed:.1?}",
                self.cache.last_rendered
            );
            *self
                .shared
                .problems
                .write()
                .unwrap_or_else(|e| e.into_inner()) = None;
        } else {
            let text: Vec<String> = problems.iter().map(Problem::to_string).collect();
            eprintln!(
                "rebuild ({what}) found {} problem(s) in {elapsed:.1?}:\n{}",
                problems.len(),
                text.join("\n")
            );
            *self
                .shared
                .problems
                .write()
                .unwrap_or_else(|e| e.into_inner()) = Some(text.join("\n"));
        }
        self.shared.version.send_modify(|version| *version += 1);
    }
}

/// Writes, creations, removals and renames; not reads or metadata-only changes.
fn is_edit(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) => true,
        EventKind::Any | EventKind::Other => false,
    }
}

#[derive(Deserialize)]
struct ReloadQuery {
    since: Option<u64>,
}

async fn respond(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    Query(query): Query<ReloadQuery>,
) -> Response {
    if uri.path() == RELOAD_PATH {
        return wait_for_rebuild(&shared, query.since).await;
    }
    let path = percent_encoding::percent_decode_str(uri.path())
        .decode_utf8_lossy()
        .into_owned();
    let (status, rel, bytes) = match find(&shared.files, &path) {
        Some((rel, bytes)) => (StatusCode::OK, rel, bytes),
        None => match shared.files.get("404.html") {
            Some(bytes) => (StatusCode::NOT_FOUND, "404.html".to_string(), bytes),
            None => (
                StatusCode::NOT_FOUND,
                "404.html".to_string(),
                Arc::new(b"<!doctype html><title>Not found</title><body>Not found".to_vec()),
            ),
        },
    };
    let problems = shared
        .problems
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let is_html = rel.ends_with(".html");
    let version = *shared.version.borrow();
    match (is_html, problems) {
        (true, Some(problems)) => html_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            problem_page(&problems),
            version,
        ),
        (true, None) => html_response(
            status,
            String::from_utf8_lossy(&bytes).into_owned(),
            version,
        ),
        (false, _) => (
            status,
            [(header::CONTENT_TYPE, content_type(&rel))],
            bytes.to_vec(),
        )
            .into_response(),
    }
}

/// The file for a URL path: `/a/` → `a/index.html`, `/a` → `a` or `a/index.html`.
fn find(files: &Memory, path: &str) -> Option<(String, Arc<Vec<u8>>)> {
    let rel = path.trim_start_matches('/');
    let candidates = if rel.is_empty() || rel.ends_with('/') {
        vec![format!("{rel}index.html")]
    } else {
        vec![rel.to_string(), format!("{rel}/index.html")]
    };
    candidates
        .into_iter()
        .find_map(|c| files.get(&c).map(|bytes| (c, bytes)))
}

/// Answers at once if the site changed since `since`, else when it next changes (or on timeout).
async fn wait_for_rebuild(shared: &Shared, since: Option<u64>) -> Response {
    let mut updates = shared.version.subscribe();
    let current = *updates.borrow_and_update();
    if since == Some(current) {
        let _ = tokio::time::timeout(POLL_TIMEOUT, updates.changed()).await;
    }
    let version = *shared.version.borrow();
    (
        [
            (header::CONTENT_TYPE, "text/plain"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        version.to_string(),
    )
        .into_response()
}

fn html_response(status: StatusCode, html: String, version: u64) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    (status, headers, inject_reload_script(&html, version)).into_response()
}

/// Adds the live-reload script before `</body>` (or at the end). The poll is aborted when the
/// page is hidden and restarted if it comes back from the back/forward cache: a cached page's
/// open poll would otherwise keep its connection, and six of them take every connection a
/// browser allows to one host, so the next page's own requests (the search index) never run.
fn inject_reload_script(html: &str, version: u64) -> String {
    let script = format!(
        "<script>(function(){{var v={version},c=null;function poll(){{c=new AbortController();\
         fetch('{RELOAD_PATH}?since='+v,{{cache:'no-store',signal:c.signal}})\
         .then(function(r){{return r.text()}}).then(function(t){{if(+t!==v){{location.reload()}}else{{poll()}}}})\
         .catch(function(e){{if(e.name!=='AbortError'){{setTimeout(poll,1000)}}}})}}\
         addEventListener('pagehide',function(){{if(c){{c.abort()}}}});\
         addEventListener('pageshow',function(e){{if(e.persisted){{poll()}}}});poll()}})();</script>"
    );
    match html.rfind("</body>") {
        Some(at) => format!("{}{script}{}", &html[..at], &html[at..]),
        None => format!("{html}{script}"),
    }
}

/// The page shown instead of every HTML page while the inputs have problems.
fn problem_page(problems: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Build problems · zeitgeist serve</title>\
         <style>body{{font:16px/1.5 system-ui,sans-serif;margin:2rem;background:#2b0b0b;color:#fde8e8}}\
         pre{{white-space:pre-wrap;background:#1a0505;padding:1rem;border-radius:6px;font-size:14px}}</style></head>\
         <body><h1>The site has problems</h1><p>Fix them and this page reloads by itself.</p><pre>{}</pre></body></html>",
        crate::site::escape_xml(problems)
    )
}

fn content_type(rel: &str) -> &'static str {
    match rel.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_changes() {
        let paths = Paths::new("/site");
        let changed = [
            "/site/content/a.md",
            "/site/content/.a.md.swp",
            "/site/themes/zeitgeist/templates/page.html",
            "/site/data/analysis/x.json",
            "/site/data/snapshots/2024.json",
            "/site/public/index.html",
        ]
        .map(PathBuf::from);
        let changes = Changes::classify(&paths, "zeitgeist", &changed);
        assert_eq!(
            changes,
            Changes {
                templates: true,
                data: true,
                content: vec![PathBuf::from("/site/content/a.md")],
                ..Changes::default()
            }
        );
        let snapshots_only = Changes::classify(
            &paths,
            "zeitgeist",
            &[PathBuf::from("/site/data/snapshots/x.json")],
        );
        assert!(snapshots_only.is_empty());
    }

    #[test]
    fn script_goes_before_body_end() {
        let html = inject_reload_script("<html><body><p>x</p></body></html>", 7);
        assert!(html.contains("var v=7,"), "{html}");
        assert!(html.ends_with("</script></body></html>"), "{html}");
    }
}
