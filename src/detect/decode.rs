//! Encoded values where secrets hide in practice: the `data:` values of Kubernetes
//! `Secret` manifests are base64. The decoder finds them so the rules can scan the
//! decoded bytes, while findings point at the encoded value.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// An encoded value: its byte range in the file and its decoded bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Byte offset of the encoded value.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
    /// The decoded bytes.
    pub decoded: Vec<u8>,
}

/// Finds base64 values under `data:` in Kubernetes `Secret` manifests (YAML). Cheap
/// when the file is not one: a substring test first.
pub fn kubernetes_secret_values(content: &[u8]) -> Vec<Encoded> {
    static SECRET: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    let mut out = Vec::new();
    // One pass over most files (a prebuilt finder for the rarer common part).
    let secret = SECRET.get_or_init(|| memchr::memmem::Finder::new(b"Secret"));
    if secret.find(content).is_none()
        || (!contains(content, b"kind: Secret") && !contains(content, b"kind: \"Secret\""))
    {
        return out;
    }
    let mut data_indent: Option<usize> = None;
    let mut offset = 0;
    for line in content.split(|&b| b == b'\n') {
        let line_start = offset;
        offset += line.len() + 1;
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let body = &line[indent..];
        if body.is_empty() || body.starts_with(b"#") {
            continue;
        }
        if body.starts_with(b"---") {
            data_indent = None;
            continue;
        }
        if let Some(di) = data_indent {
            if indent <= di {
                data_indent = None;
            } else {
                if let Some(e) = encoded_value(body, line_start + indent) {
                    out.push(e);
                }
                continue;
            }
        }
        let trimmed = trim_end(body);
        if trimmed == b"data:" {
            data_indent = Some(indent);
        }
    }
    out
}

/// Decodes the value of a `key: value` line when it is plausible base64.
fn encoded_value(body: &[u8], body_start: usize) -> Option<Encoded> {
    let colon = body.iter().position(|&b| b == b':')?;
    let mut v_start = colon + 1;
    while v_start < body.len() && body[v_start] == b' ' {
        v_start += 1;
    }
    let mut value = trim_end(&body[v_start..]);
    let mut quote = 0;
    if let [q @ (b'"' | b'\''), rest @ ..] = value {
        quote = 1;
        value = rest.strip_suffix(&[*q]).unwrap_or(rest);
    }
    if value.len() < 8
        || !value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        return None;
    }
    let decoded = STANDARD.decode(value).ok()?;
    let text_like = decoded
        .iter()
        .all(|&b| b >= 0x20 || b == b'\n' || b == b'\r' || b == b'\t');
    if !text_like {
        return None;
    }
    let start = body_start + v_start + quote;
    Some(Encoded {
        start,
        end: start + value.len(),
        decoded,
    })
}

fn trim_end(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    &s[..n]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_secret_data_values() {
        let value = STANDARD.encode("token-value-1234567890");
        let yaml = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\ndata:\n  token: {value}\n  short: YQ==\nstringData:\n  a: b\n"
        );
        let found = kubernetes_secret_values(yaml.as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!(
            &yaml.as_bytes()[found[0].start..found[0].end],
            value.as_bytes()
        );
        assert_eq!(found[0].decoded, b"token-value-1234567890");
    }

    #[test]
    fn ignores_other_manifests() {
        let yaml = "kind: ConfigMap\ndata:\n  token: dG9rZW4tdmFsdWUtMTIzNDU2Nzg5MA==\n";
        assert!(kubernetes_secret_values(yaml.as_bytes()).is_empty());
    }
}
