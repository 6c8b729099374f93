//! The identity `merge` deduplicates on: a finding's fingerprint and its start, so the
//! JSON and SARIF of one scan, or one scan given twice, count once, while a secret
//! written twice in one file (one fingerprint, two places) still counts twice.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Key of a finding from scan JSON.
pub fn of_json(f: &Map<String, Value>) -> String {
    let fp = f.get("fingerprint").and_then(Value::as_str).unwrap_or("");
    let line = f.pointer_get("span", "start_line");
    let col = f.pointer_get("span", "start_column");
    format!("{fp}:{line}:{col}")
}

/// Key of a SARIF result: our fingerprint when present, else a hash of the rule, the
/// location and the message (other tools' results).
pub fn of_sarif(rule_id: &str, r: &Map<String, Value>) -> String {
    let region = r
        .get("locations")
        .and_then(|l| l.get(0))
        .and_then(|l| l.pointer("/physicalLocation/region"));
    let line = region
        .and_then(|g| g.get("startLine"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let col = region
        .and_then(|g| g.get("startColumn"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let fp = r
        .get("partialFingerprints")
        .and_then(|p| p.get(crate::report::sarif::FINGERPRINT_KEY))
        .and_then(Value::as_str);
    match fp {
        Some(fp) => format!("{fp}:{line}:{col}"),
        None => {
            let uri = r
                .get("locations")
                .and_then(|l| l.get(0))
                .and_then(|l| l.pointer("/physicalLocation/artifactLocation/uri"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let msg = r
                .get("message")
                .and_then(|m| m.get("text"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let mut h = Sha256::new();
            for part in [rule_id, uri, msg] {
                h.update(part.as_bytes());
                h.update([0]);
            }
            let d = h.finalize();
            let hex: String = d.iter().take(16).map(|b| format!("{b:02x}")).collect();
            format!("{hex}:{line}:{col}")
        }
    }
}

trait PointerGet {
    fn pointer_get(&self, a: &str, b: &str) -> u64;
}

impl PointerGet for Map<String, Value> {
    fn pointer_get(&self, a: &str, b: &str) -> u64 {
        self.get(a)
            .and_then(|v| v.get(b))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_and_sarif_of_one_finding_share_a_key() {
        let j = json!({"fingerprint": "abc", "span": {"start_line": 3, "start_column": 7}});
        let s = json!({"partialFingerprints": {"tokenward/v1": "abc"},
            "locations": [{"physicalLocation": {"region": {"startLine": 3, "startColumn": 7}}}]});
        let j = j.as_object().expect("object");
        let s = s.as_object().expect("object");
        assert_eq!(of_json(j), of_sarif("r", s));
    }

    #[test]
    fn results_without_our_fingerprint_get_a_content_key() {
        let a = json!({"message": {"text": "m"}, "locations": [{"physicalLocation":
            {"artifactLocation": {"uri": "a.txt"}, "region": {"startLine": 1}}}]});
        let b = json!({"message": {"text": "m"}, "locations": [{"physicalLocation":
            {"artifactLocation": {"uri": "b.txt"}, "region": {"startLine": 1}}}]});
        let a = a.as_object().expect("object");
        let b = b.as_object().expect("object");
        assert_ne!(of_sarif("r", a), of_sarif("r", b));
        assert_eq!(of_sarif("r", a), of_sarif("r", a));
    }
}
