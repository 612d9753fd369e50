//! The command line: one subcommand per pipeline stage, plus the site tools. This is the edge
//! where library errors (thiserror) become reports for people (anyhow).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

use crate::config::Paths;

mod analyze;
mod collect;
mod model;
mod run;
mod site;
mod synthesize;

#[derive(Debug, Parser)]
#[command(
    name = "zeitgeist",
    version,
    about = "Watch how people talk about AI in public, and publish what it finds."
)]
pub struct Cli {
    /// The site's root folder (the one holding site.toml).
    #[arg(long, global = true, default_value = ".")]
    pub root: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render content/, themes/ and data/ into the output folder.
    Build(site::BuildArgs),
    /// Build, serve on 127.0.0.1 and rebuild on every change.
    Serve(site::ServeArgs),
    /// Validate config, front matter, templates, links and anchors.
    Check(site::CheckArgs),
    /// Fetch new public posts from every enabled source into data/snapshots/.
    Collect(collect::CollectArgs),
    /// Turn a JSONL corpus into snapshots.
    Import(collect::ImportArgs),
    /// Merge old snapshots into one file per day.
    Compact(collect::CompactArgs),
    /// Score records and write aggregates and story signals to data/analysis/.
    Analyze(analyze::AnalyzeArgs),
    /// Print relevance, beats, sentiment and entities for records in a JSONL file.
    Classify(analyze::ClassifyArgs),
    /// Measure the classifier against a labelled JSONL file.
    Eval(analyze::EvalArgs),
    /// Write stories for the top candidates into content/stories/.
    Synthesize(synthesize::SynthesizeArgs),
    /// Collect, analyze, synthesize and build in one go.
    Run(run::RunArgs),
    /// Fetch MiniLM, distill the static embedding model, check model files.
    Model(model::ModelArgs),
}

/// A time flag: `YYYY-MM-DD` or RFC 3339.
fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    crate::text::parse_date(text)
        .ok_or_else(|| format!("`{text}` is not a date (YYYY-MM-DD or RFC 3339)"))
}

pub fn main(cli: Cli) -> anyhow::Result<()> {
    let paths = Paths::new(cli.root);
    match cli.command {
        Command::Build(args) => site::build(&paths, args),
        Command::Serve(args) => site::serve(&paths, args),
        Command::Check(args) => site::check(&paths, args),
        Command::Collect(args) => collect::collect(&paths, args),
        Command::Import(args) => collect::import(&paths, args),
        Command::Compact(args) => collect::compact(&paths, args),
        Command::Analyze(args) => analyze::analyze(&paths, args),
        Command::Classify(args) => analyze::classify(&paths, args),
        Command::Eval(args) => analyze::eval(&paths, args),
        Command::Synthesize(args) => synthesize::synthesize(&paths, args),
        Command::Run(args) => run::run(&paths, args),
        Command::Model(args) => model::model(&paths, args),
    }
}
