//! JSON output of `inventory` (schema version [`super::model::VERSION`]).
//!
//! The inventory is one object:
//! `{"version": 1, "codeowners", "summary", "secrets", "authentications", "permissions",
//! "hardcoded_credentials", "errors"}`; each field is documented on
//! [`super::model::Inventory`]. With `--diff`, the object is an
//! [`super::model::InventoryDiff`]: `{"version": 1, "base", "new_secrets",
//! "new_write_permissions", "new_long_lived_credentials"}`. Absent optional values are
//! `null`; lists are sorted; output ends with a newline.

use serde::Serialize;
use std::io::Write;

/// Writes `value` as pretty-printed JSON followed by a newline.
pub fn write<T: Serialize>(value: &T, w: &mut dyn Write) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *w, value)?;
    w.write_all(b"\n")?;
    Ok(())
}
