//! synthesize stage.
