//! The types every stage shares: records, beats, the entity gazetteer, stories.

pub mod analysis;
pub mod beat;
pub mod event;
pub mod evidence;
pub mod gazetteer;
pub mod record;
pub mod runlog;
pub mod story;

pub use beat::{Beat, BeatSlug, Category, Taxonomy};
pub use event::Topic;
pub use record::{article_address, Engagement, Kind, Record, RecordId, Source};
pub use story::{Intensity, SignalKind, Story, WriterKind, BASELINE_DAYS};
