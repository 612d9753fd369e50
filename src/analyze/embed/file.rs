//! The static model's file: safetensors (readable by any safetensors tool) holding `scales`
//! (F32 `[vocab]`) and `embeddings` (I8 `[vocab, dim]`; a row's value is `i8 × scale`), with
//! the recipe in `__metadata__`. Written by hand so that the same rows give the same bytes: keys
//! sorted, header padded with spaces to 8 bytes, tensors in a fixed order.

use std::collections::BTreeMap;

use serde_json::{json, Value};

/// A static model's rows, quantised, with its metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct StaticFile {
    pub vocab: usize,
    pub dim: usize,
    /// `vocab × dim`, row-major.
    pub rows: Vec<i8>,
    /// One per row.
    pub scales: Vec<f32>,
    pub metadata: BTreeMap<String, String>,
}

impl StaticFile {
    /// Quantises f32 rows (`vocab × dim`, row-major) to int8 with one scale per row
    /// (`max |x| / 127`, round half away from zero).
    pub fn quantise(
        vocab: usize,
        dim: usize,
        values: &[f32],
        metadata: BTreeMap<String, String>,
    ) -> StaticFile {
        assert_eq!(values.len(), vocab * dim);
        let mut rows = Vec::with_capacity(values.len());
        let mut scales = Vec::with_capacity(vocab);
        for row in values.chunks_exact(dim) {
            let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
            let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
            scales.push(scale);
            rows.extend(
                row.iter()
                    .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8),
            );
        }
        StaticFile {
            vocab,
            dim,
            rows,
            scales,
            metadata,
        }
    }

    /// The rows as f32 (`vocab × dim`).
    pub fn dequantise(&self) -> Vec<f32> {
        self.rows
            .chunks_exact(self.dim)
            .zip(&self.scales)
            .flat_map(|(row, scale)| row.iter().map(move |x| *x as f32 * scale))
            .collect()
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let scales_len = self.vocab * 4;
        let rows_len = self.vocab * self.dim;
        let header = json!({
            "__metadata__": self.metadata,
            "scales": {"dtype": "F32", "shape": [self.vocab], "data_offsets": [0, scales_len]},
            "embeddings": {"dtype": "I8", "shape": [self.vocab, self.dim],
                           "data_offsets": [scales_len, scales_len + rows_len]},
        });
        let mut header = serde_json::to_vec(&header).expect("JSON of plain values");
        while !header.len().is_multiple_of(8) {
            header.push(b' ');
        }
        let mut out = Vec::with_capacity(8 + header.len() + scales_len + rows_len);
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        for scale in &self.scales {
            out.extend_from_slice(&scale.to_le_bytes());
        }
        out.extend(self.rows.iter().map(|x| *x as u8));
        out
    }

    /// How long a file must be according to its own header, or why the header is unreadable.
    pub fn expected_len(bytes: &[u8]) -> Result<u64, String> {
        let n = bytes
            .get(..8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
            .ok_or("shorter than the 8-byte header length")?;
        let header = bytes
            .get(8..8 + n as usize)
            .ok_or_else(|| format!("header says {n} bytes of JSON, the file ends before"))?;
        let header: BTreeMap<String, Value> =
            serde_json::from_slice(header).map_err(|e| format!("header is not JSON: {e}"))?;
        let end = header
            .iter()
            .filter(|(k, _)| *k != "__metadata__")
            .filter_map(|(_, v)| v.pointer("/data_offsets/1").and_then(Value::as_u64))
            .max()
            .unwrap_or(0);
        Ok(8 + n + end)
    }

    /// Parses a file (its length already checked against [`StaticFile::expected_len`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<StaticFile, String> {
        let tensors = safetensors::SafeTensors::deserialize(bytes).map_err(|e| e.to_string())?;
        let (_, meta) =
            safetensors::SafeTensors::read_metadata(bytes).map_err(|e| e.to_string())?;
        let metadata: BTreeMap<String, String> = meta
            .metadata()
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect();
        let scales = tensors
            .tensor("scales")
            .map_err(|e| format!("`scales`: {e}"))?;
        let rows = tensors
            .tensor("embeddings")
            .map_err(|e| format!("`embeddings`: {e}"))?;
        if scales.dtype() != safetensors::Dtype::F32 || rows.dtype() != safetensors::Dtype::I8 {
            return Err("expected F32 `scales` and I8 `embeddings`".into());
        }
        let (vocab, dim) = match rows.shape() {
            [vocab, dim] if scales.shape() == [*vocab] && *dim > 0 => (*vocab, *dim),
            shape => {
                return Err(format!(
                    "`embeddings` has shape {shape:?}, `scales` {:?}",
                    scales.shape()
                ))
            }
        };
        Ok(StaticFile {
            vocab,
            dim,
            rows: rows.data().iter().map(|b| *b as i8).collect(),
            scales: scales
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
                .collect(),
            metadata,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_is_byte_stable() {
        let meta = BTreeMap::from([
            ("b".to_string(), "2".to_string()),
            ("a".to_string(), "1".to_string()),
        ]);
        let file = StaticFile::quantise(3, 2, &[0.5, -1.0, 0.0, 0.0, 2.0, 1.0], meta);
        let bytes = file.to_bytes();
        assert_eq!(bytes, file.clone().to_bytes());
        assert_eq!(
            StaticFile::expected_len(&bytes).unwrap(),
            bytes.len() as u64
        );
        let back = StaticFile::from_bytes(&bytes).unwrap();
        assert_eq!(back, file);
        assert_eq!(back.dequantise()[1], -1.0);
        assert!(StaticFile::expected_len(&bytes[..4]).is_err());
    }
}
