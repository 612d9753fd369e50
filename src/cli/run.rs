//! `zeitgeist run`: the command line of [`pipeline::run`](crate::pipeline::run), which collects,
//! analyzes, synthesizes and builds in one go.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Args;

use crate::config::{Paths, Step};
use crate::pipeline::run::RunRequest;

/// `zeitgeist run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Replay the bundled corpus with a simulated clock instead of collecting live. Also what
    /// happens when no source is enabled in site.toml.
    #[arg(long)]
    offline: bool,
    /// The run's clock (YYYY-MM-DD or RFC 3339). Live: stamps collection and dates the stories
    /// (default: now). Offline: a single tick at this time.
    #[arg(long, value_parser = super::parse_time, conflicts_with_all = ["from", "to"])]
    as_of: Option<DateTime<Utc>>,
    /// Offline: the replay's first tick (default: [run] warmup_days after the first record).
    #[arg(long, value_parser = super::parse_time)]
    from: Option<DateTime<Utc>>,
    /// Offline: the replay's last tick (default: the newest record's time).
    #[arg(long, value_parser = super::parse_time)]
    to: Option<DateTime<Utc>>,
    /// Offline: simulated time between ticks, e.g. 1d or 7d (default: [run] step).
    #[arg(long)]
    step: Option<Step>,
    /// Live, without collecting: the sources were collected by `zeitgeist collect --report`
    /// into `<DIR>/*.json` (the publish workflow's matrix jobs); their results go into the log.
    #[arg(long, value_name = "DIR")]
    collected: Option<PathBuf>,
}

/// Runs the pipeline live or replays the corpus offline, then fails if any run log says failed.
pub fn run(paths: &Paths, args: RunArgs) -> anyhow::Result<()> {
    crate::pipeline::run::run(
        paths,
        &RunRequest {
            offline: args.offline,
            as_of: args.as_of,
            from: args.from,
            to: args.to,
            step: args.step,
            collected: args.collected,
        },
    )
}
