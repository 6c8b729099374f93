//! Secret detection: keyword prefilter, per-rule regex confirmation, and filters.

pub mod decode;
pub mod filters;
pub mod matcher;
pub mod prefilter;
pub mod utf16;
