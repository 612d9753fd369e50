use clap::Args;

use crate::config::Paths;

#[derive(Debug, Args)]
pub struct SynthesizeArgs {}

pub fn synthesize(_paths: &Paths, _args: SynthesizeArgs) -> anyhow::Result<()> {
    anyhow::bail!("`zeitgeist synthesize` is not built yet")
}
