//! The development server.
