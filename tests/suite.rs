//! The integration tests, one module per part of the product, compiled into one test binary:
//! each binary links the whole crate and its dependencies, so one binary instead of fourteen
//! keeps a fresh build's link time and disk use small. Run one part with
//! `cargo test --test suite <module>::`, e.g. `cargo test --test suite events::`.

mod common;

mod analyze;
mod architecture;
mod browser;
mod classifier;
mod collect;
mod embed;
mod events;
mod import;
mod reader;
mod run;
mod search;
mod site;
mod store;
mod synthesize;
