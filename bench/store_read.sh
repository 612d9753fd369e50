#!/usr/bin/env bash
# Benchmark (not a test): writes 1,000,000 records (the bundled corpus repeated with new ids) into
# a temporary store, compacts it, then times reading every record back through the store against
# parsing the same files with serde_json alone. Needs ../shared/data/raw beside the repository.
# The figures are printed to stderr; see tests/store.rs `bench_read_a_million_records`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --test store -- --ignored --nocapture bench_read_a_million_records
