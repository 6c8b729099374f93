//! The pipeline model: CI files parsed with positions and turned into one
//! platform-neutral set of facts that audits judge and the inventory lists.

pub mod github;
pub mod yaml;
