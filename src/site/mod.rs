//! site stage.
pub mod search;
