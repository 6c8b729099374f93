//! The exception register: every `[[allow]]` entry of the configuration with its owner,
//! reason and expiry, and whether it expires within the warning window.

use super::model::Exception;
use crate::suppress::{Allow, Date};

/// Default warning window, in days, before an exception's `expires` date.
pub const DEFAULT_WARNING_DAYS: u32 = 14;

/// Days since 1970-01-01 of a civil date (inverse of `Date::from_days_since_epoch`).
pub fn days_since_epoch(d: Date) -> i64 {
    let y = i64::from(d.year) - i64::from(d.month <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(d.month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d.day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The register of `allows` as of `today`, with `warn_days` of warning.
pub fn register(allows: &[Allow], today: Date, warn_days: u32) -> Vec<Exception> {
    allows
        .iter()
        .map(|a| {
            let days_left = a
                .expires
                .map(|e| days_since_epoch(e) - days_since_epoch(today));
            let status = match days_left {
                None => "no-expiry",
                Some(d) if d < 0 => "expired",
                Some(d) if d <= i64::from(warn_days) => "expiring",
                Some(_) => "active",
            };
            Exception {
                origin: a.origin.clone(),
                rule: a.rule.clone(),
                paths: a.paths.clone(),
                fingerprint: a.fingerprint.clone(),
                reason: a.reason.clone(),
                owner: a.owner.clone(),
                expires: a.expires.map(|e| e.to_string()),
                status: status.to_string(),
                days_left,
            }
        })
        .collect()
}

/// One notice per exception expiring within the window, and one counting entries
/// without an owner.
pub fn notices(register: &[Exception]) -> Vec<String> {
    let mut out: Vec<String> = register
        .iter()
        .filter(|e| e.status == "expiring")
        .map(|e| {
            format!(
                "exception {} expires {} (in {} day{}); renew it with a reason or fix what it hides",
                e.origin,
                e.expires.as_deref().unwrap_or("?"),
                e.days_left.unwrap_or(0),
                if e.days_left == Some(1) { "" } else { "s" }
            )
        })
        .collect();
    let unowned = register.iter().filter(|e| e.owner.is_none()).count();
    if unowned > 0 {
        out.push(format!(
            "{unowned} exception{} without an owner (add `owner = \"@team\"` to each [[allow]])",
            if unowned == 1 { "" } else { "s" }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip() {
        for d in [0, 1, 59, 365, 11_000, 20_000, 20_426, -1] {
            assert_eq!(days_since_epoch(Date::from_days_since_epoch(d)), d);
        }
    }
}
