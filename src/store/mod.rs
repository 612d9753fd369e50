//! store stage.
