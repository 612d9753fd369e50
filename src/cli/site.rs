use clap::Args;

use crate::config::Paths;

#[derive(Debug, Args)]
pub struct BuildArgs {}

#[derive(Debug, Args)]
pub struct ServeArgs {}

#[derive(Debug, Args)]
pub struct CheckArgs {}

pub fn build(_paths: &Paths, _args: BuildArgs) -> anyhow::Result<()> {
    anyhow::bail!("`zeitgeist build` is not built yet")
}

pub fn serve(_paths: &Paths, _args: ServeArgs) -> anyhow::Result<()> {
    anyhow::bail!("`zeitgeist serve` is not built yet")
}

pub fn check(_paths: &Paths, _args: CheckArgs) -> anyhow::Result<()> {
    anyhow::bail!("`zeitgeist check` is not built yet")
}
