//! site stage.
