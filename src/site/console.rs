//! The developer hub's Console (`/developers/console/`): the pipeline's status from the run
//! logs under `data/runs/YYYY/MM/<timestamp>.json`, rendered at build time with the theme's
//! `console.html`. Sites without that template get no Console.
//!
//! Run logs are read as [`RunLog`]s, the type the pipeline writes them with, newest file name
//! first, at most [`RUNS_SHOWN`]; the template reads `status`, `mode`, `started_at`,
//! `finished_at`, `sources.<name>.{status, fetched, new, duplicate, skipped, errors}`,
//! `records.{new, analyzed, relevant}`, `stories[].{title, beat, lead, writer, model}`,
//! `writer.{kind, model}`, `tokens.{input_tokens, output_tokens, requests}` and `errors`, each
//! with a default, so a missing folder or an optional field left out shows as "—". A log that
//! does not read as a run log (not JSON, an older schema) is named on the page rather than
//! failing the build.

use serde::Serialize;

use crate::model::runlog::{RunLog, RunLogError};

use crate::site::render::{context, fingerprint, render_builtin, Job, Output};
use crate::site::{display_path, slash_path, Problem, Site};

/// Runs listed on the Console.
pub const RUNS_SHOWN: usize = 20;
/// The Console's URL path.
pub const CONSOLE_PATH: &str = "/developers/console/";
const TEMPLATE: &str = "console.html";

/// The section the Console belongs to.
const HUB_SECTION: &str = "developers/_index.md";

/// Whether the site has a Console: a developer hub, and the theme's template for it.
pub fn published(site: &Site) -> bool {
    site.content.section_by_rel.contains_key(HUB_SECTION) && site.templates.has(TEMPLATE)
}

/// The Console's one job, when it is [`published`].
pub fn jobs(site: &Site) -> Vec<Job> {
    if !published(site) {
        return Vec::new();
    }
    let (runs, problems) = read_runs(site);
    let inputs = fingerprint((serde_json::to_string(&runs).unwrap_or_default(), &problems));
    vec![Job::new("console", inputs, move |site| {
        render(site, &runs, &problems)
    })]
}

/// A run log as the template sees it: the log and its path under `data/`.
#[derive(Debug, Clone, Serialize)]
pub struct ConsoleRun {
    #[serde(flatten)]
    pub log: RunLog,
    pub log_file: String,
}

fn render(site: &Site, runs: &[ConsoleRun], problems: &[String]) -> Result<Vec<Output>, Problem> {
    let mut context = context(site, CONSOLE_PATH);
    context.insert("runs", runs);
    context.insert("problems", problems);
    let html = render_builtin(site, TEMPLATE, &context, CONSOLE_PATH)?;
    Ok(vec![Output::Bytes {
        path: format!("{}index.html", CONSOLE_PATH.trim_start_matches('/')),
        bytes: html.into_bytes(),
    }])
}

/// The newest run logs (each with `log_file`, its path under `data/`) and the unreadable ones.
pub fn read_runs(site: &Site) -> (Vec<ConsoleRun>, Vec<String>) {
    let data = site.paths.data();
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    for file in RunLog::files(&data).into_iter().take(RUNS_SHOWN) {
        let shown = display_path(&site.paths.root, &file).display().to_string();
        match RunLog::read(&file) {
            Ok(log) => runs.push(ConsoleRun {
                log,
                log_file: slash_path(&data, &file),
            }),
            Err(RunLogError::Io { error, .. }) => problems.push(format!("{shown}: {error}")),
            Err(RunLogError::Parse { message, .. }) => {
                problems.push(format!("{shown}: run log: {message}"))
            }
        }
    }
    (runs, problems)
}
