use clap::Args;

use crate::config::Paths;

#[derive(Debug, Args)]
pub struct CollectArgs {}

#[derive(Debug, Args)]
pub struct ImportArgs {}

#[derive(Debug, Args)]
pub struct CompactArgs {}

pub fn collect(_paths: &Paths, _args: CollectArgs) -> anyhow::Result<()> {
    anyhow::bail!("`zeitgeist collect` is not built yet")
}

pub fn import(_paths: &Paths, _args: ImportArgs) -> anyhow::Result<()> {
    anyhow::bail!("`zeitgeist import` is not built yet")
}

pub fn compact(_paths: &Paths, _args: CompactArgs) -> anyhow::Result<()> {
    anyhow::bail!("`zeitgeist compact` is not built yet")
}
