//! The types every stage shares: records, beats, stories.

pub mod record;
pub mod story;

pub use record::{Engagement, Kind, Record, RecordId, Source};
pub use story::{Intensity, SignalKind, Story, WriterKind};
