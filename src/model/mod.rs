//! The types every stage shares: records, beats, stories.

pub mod beat;
pub mod record;

pub use beat::{Beat, BeatSlug, Category, Taxonomy};
pub use record::{Engagement, Kind, Record, RecordId, Source};
