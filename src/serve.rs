//! The development server.

use crate::config::Paths;
use crate::site::BuildOptions;

/// Builds, serves and rebuilds on change.
pub fn run(_paths: &Paths, _options: BuildOptions, _port: u16) -> anyhow::Result<()> {
    anyhow::bail!("`zeitgeist serve` is not built yet")
}
