use clap::Args;

use crate::config::Paths;

#[derive(Debug, Args)]
pub struct RunArgs {}

pub fn run(_paths: &Paths, _args: RunArgs) -> anyhow::Result<()> {
    anyhow::bail!("`zeitgeist run` is not built yet")
}
