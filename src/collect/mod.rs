//! collect stage.
