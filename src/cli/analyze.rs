use clap::Args;

use crate::config::Paths;

#[derive(Debug, Args)]
pub struct AnalyzeArgs {}

#[derive(Debug, Args)]
pub struct ClassifyArgs {}

#[derive(Debug, Args)]
pub struct EvalArgs {}

pub fn analyze(_paths: &Paths, _args: AnalyzeArgs) -> anyhow::Result<()> {
    anyhow::bail!("`zeitgeist analyze` is not built yet")
}

pub fn classify(_paths: &Paths, _args: ClassifyArgs) -> anyhow::Result<()> {
    anyhow::bail!("`zeitgeist classify` is not built yet")
}

pub fn eval(_paths: &Paths, _args: EvalArgs) -> anyhow::Result<()> {
    anyhow::bail!("`zeitgeist eval` is not built yet")
}
