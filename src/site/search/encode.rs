//! Byte-level encodings of the bundle: LEB128 varints for integers and gzip for every file
//! ([`crate::gzip`], shared with the store's compacted snapshots).

pub use crate::gzip::gzip;

/// Appends `value` as an unsigned LEB128 varint: 7 bits per byte, high bit set on all but the
/// last byte. Small numbers (gaps between sorted ids) take one byte.
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends sorted ids as gaps from the previous id (the first from 0), each a varint.
pub fn put_gaps(out: &mut Vec<u8>, sorted_ids: impl IntoIterator<Item = u32>) {
    let mut previous = 0;
    for id in sorted_ids {
        put_varint(out, u64::from(id - previous));
        previous = id;
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Decoders for the tests; the production decoder is `search.js`.
    use std::io::Read;

    pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("valid gzip");
        out
    }

    /// Reads varints and raw bytes from the front of a slice.
    pub struct Reader<'a>(pub &'a [u8]);

    impl Reader<'_> {
        pub fn more(&self) -> bool {
            !self.0.is_empty()
        }
        pub fn varint(&mut self) -> u64 {
            let (mut value, mut shift) = (0u64, 0);
            loop {
                let byte = self.0[0];
                self.0 = &self.0[1..];
                value |= u64::from(byte & 0x7f) << shift;
                if byte & 0x80 == 0 {
                    return value;
                }
                shift += 7;
            }
        }
        pub fn take(&mut self, n: usize) -> Vec<u8> {
            let (head, tail) = self.0.split_at(n);
            self.0 = tail;
            head.to_vec()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn varints_round_trip_at_byte_boundaries() {
        let values = [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ];
        let mut out = Vec::new();
        values.iter().for_each(|&v| put_varint(&mut out, v));
        let mut reader = Reader(&out);
        let back: Vec<u64> = values.iter().map(|_| reader.varint()).collect();
        assert_eq!(back, values);
        assert!(!reader.more());
        let mut one = Vec::new();
        put_varint(&mut one, 127);
        assert_eq!(one, [127], "small values take one byte");
    }

    #[test]
    fn gaps_round_trip() {
        let ids = [0u32, 3, 4, 200, 70_000];
        let mut out = Vec::new();
        put_gaps(&mut out, ids);
        let mut reader = Reader(&out);
        let mut id = 0;
        let back: Vec<u32> = ids
            .iter()
            .map(|_| {
                id += reader.varint() as u32;
                id
            })
            .collect();
        assert_eq!(back, ids);
    }

    #[test]
    fn gzip_is_deterministic_and_round_trips() {
        let text = b"the same bytes every time ".repeat(50);
        let a = gzip(&text).unwrap();
        assert_eq!(a, gzip(&text).unwrap());
        assert_eq!(&a[..2], [0x1f, 0x8b]);
        assert_eq!(&a[4..8], [0, 0, 0, 0], "mtime is zero");
        assert_eq!(gunzip(&a), text);
    }
}
