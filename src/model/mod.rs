//! The types every stage shares: records, beats, stories.

pub mod record;

pub use record::{Engagement, Kind, Record, RecordId, Source};
