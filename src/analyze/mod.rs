//! The analysis stage: reads records, writes what the site and the story writer need under
//! `data/analysis/`.
//!
//! Everything here is a pure function of the records, the taxonomy (`data/beats.yaml`), the
//! gazetteer (`data/entities.yaml`) and an explicit `as_of` time, so any run can be reproduced
//! byte for byte.

pub mod classify;
pub mod gazetteer;
pub mod sentiment;
pub mod terms;
pub mod text;

pub use classify::{Annotation, Classifier};
pub use gazetteer::Gazetteer;
