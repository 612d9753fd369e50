//! `build`, `check` and `serve`: the site commands.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Args;

use crate::config::Paths;
use crate::pipeline::commands::{self, BuildOptions};

/// Options shared by every site command.
#[derive(Debug, Args)]
pub struct SiteArgs {
    /// Include pages marked `draft: true`.
    #[arg(long)]
    pub drafts: bool,
    /// The build's clock (YYYY-MM-DD or RFC 3339): later-dated pages are left out and feeds are
    /// stamped with it. Without it, output depends only on the inputs.
    #[arg(long, value_name = "TIME", value_parser = super::parse_time)]
    pub as_of: Option<DateTime<Utc>>,
}

/// `zeitgeist build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Write the site here instead of site.toml's `output_dir`.
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Publish under this base URL instead of site.toml's (e.g. `http://127.0.0.1:8000/` to
    /// serve the build on loopback).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

/// `zeitgeist serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 1111)]
    pub port: u16,
}

/// `zeitgeist check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub site: SiteArgs,
}

impl SiteArgs {
    fn options(&self) -> BuildOptions {
        BuildOptions {
            drafts: self.drafts,
            as_of: self.as_of,
            ..BuildOptions::default()
        }
    }
}

/// Builds the site and prints what it did.
pub fn build(paths: &Paths, args: BuildArgs) -> anyhow::Result<()> {
    let options = BuildOptions {
        output: args.output,
        base_url: args.base_url,
        ..args.site.options()
    };
    commands::build(paths, &options)
}

/// Lists every problem; fails (exit code 1) if there is any.
pub fn check(paths: &Paths, args: CheckArgs) -> anyhow::Result<()> {
    commands::check(paths, &args.site.options())
}

/// Serves until stopped.
pub fn serve(paths: &Paths, args: ServeArgs) -> anyhow::Result<()> {
    commands::serve(paths, args.site.options(), args.port)
}
