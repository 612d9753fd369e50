//! Zeitgeist watches how people talk about AI in public and publishes what it finds.
//!
//! The modules follow the pipeline; stages talk only through files under `data/` and
//! `content/`, so each can be rerun alone and inspected by a person:
//!
//! `collect` → `store` → `analyze` → `synthesize` → `site` → `serve`
//!
//! plus `config` (the whole site.toml schema), `model` (the types every stage shares, among them
//! the files passed between stages), `pipeline` (the orchestration: run, replay, the
//! single-stage commands, lock), `cli` (flag parsing only; it calls `pipeline`) and crate-level helpers any module may use: `text`, `http`, `atomic`, `gzip`.
//! `tests/architecture.rs` holds the table of which module may import which.

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
