//! Zeitgeist watches how people talk about AI in public and publishes what it finds.
//!
//! The modules follow the pipeline; stages talk only through files under `data/` and
//! `content/`, so each can be rerun alone and inspected by a person:
//!
//! `collect` → `store` → `analyze` → `synthesize` → `site` → `serve`
//!
//! plus `config` (site.toml), `model` (the shared types) and `cli` (the commands).

pub mod analyze;
pub mod atomic;
pub mod cli;
pub mod collect;
pub mod config;
pub mod gzip;
pub mod http;
pub mod model;
pub mod pipeline;
pub mod serve;
pub mod site;
pub mod store;
pub mod synthesize;
pub mod text;
