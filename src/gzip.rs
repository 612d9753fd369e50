//! Deterministic gzip, for every gzipped file the project writes: the search bundle and the
//! store's compacted snapshots. Equal input gives equal bytes on every machine, so rebuilt
//! files stay unchanged and git sees no churn.

use std::io::{self, Write};

use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};

/// Gzip at the best level with a zeroed header (no mtime, no name) so equal input gives equal
/// bytes on every machine.
pub fn gzip(bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder: GzEncoder<Vec<u8>> = GzBuilder::new().mtime(0).write(
        Vec::with_capacity(bytes.len() / 2 + 32),
        Compression::best(),
    );
    encoder.write_all(bytes)?;
    encoder.finish()
}
