//! Suppression: the one inline-comment syntax (plus the markers of peer tools that
//! users migrating to tokenward already have in their code), parsed in one function.

/// What an inline marker allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InlineAllow {
    /// Every rule on the line.
    All,
    /// Only the listed rule or audit ids.
    Rules(Vec<String>),
}

impl InlineAllow {
    /// Whether this marker covers `rule_id`.
    pub fn covers(&self, rule_id: &str) -> bool {
        match self {
            InlineAllow::All => true,
            InlineAllow::Rules(ids) => ids.iter().any(|id| id == rule_id),
        }
    }
}

/// Where an inline marker applies relative to its own line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// The marker's own line (and, when alone on its line, the next one).
    SameOrNext,
    /// Only the next line (`pragma: allowlist nextline secret`).
    NextOnly,
}

/// Parses the suppression marker on one line, if any: `tokenward:allow`,
/// `tokenward:allow[id,id] reason`, `gitleaks:allow`, `pragma: allowlist secret`,
/// `pragma: allowlist nextline secret`.
fn parse_marker(line: &str) -> Option<(InlineAllow, Reach)> {
    if let Some(i) = line.find("tokenward:allow") {
        let rest = &line[i + "tokenward:allow".len()..];
        if let Some(list) = rest.strip_prefix('[') {
            let ids = list.split(']').next().unwrap_or("");
            let ids: Vec<String> = ids
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            return Some((InlineAllow::Rules(ids), Reach::SameOrNext));
        }
        return Some((InlineAllow::All, Reach::SameOrNext));
    }
    if line.contains("pragma: allowlist nextline secret") {
        return Some((InlineAllow::All, Reach::NextOnly));
    }
    if line.contains("gitleaks:allow") || line.contains("pragma: allowlist secret") {
        return Some((InlineAllow::All, Reach::SameOrNext));
    }
    None
}

/// Whether a line holds nothing but a comment.
fn is_comment_only(line: &str) -> bool {
    let t = line.trim_start();
    [
        "#", "//", "--", "/*", "<!--", ";", "%", "*", "'", "rem ", "REM ",
    ]
    .iter()
    .any(|p| t.starts_with(p))
}

/// Whether an inline marker suppresses `rule_id` on 1-based `line_no` of `content`.
pub fn inline_allows(content: &[u8], line_no: usize, rule_id: &str) -> bool {
    let line = nth_line(content, line_no);
    if let Some((allow, Reach::SameOrNext)) = line.as_deref().and_then(parse_marker)
        && allow.covers(rule_id)
    {
        return true;
    }
    if line_no > 1
        && let Some(prev) = nth_line(content, line_no - 1)
        && let Some((allow, reach)) = parse_marker(&prev)
    {
        let applies = reach == Reach::NextOnly || is_comment_only(&prev);
        return applies && allow.covers(rule_id);
    }
    false
}

/// The 1-based `n`th line of `content`, lossily decoded.
fn nth_line(content: &[u8], n: usize) -> Option<String> {
    content
        .split(|&b| b == b'\n')
        .nth(n.checked_sub(1)?)
        .map(|l| String::from_utf8_lossy(l).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_line_and_ids() {
        let c = b"a\ntoken = x # tokenward:allow[github-pat-classic] fixture\n";
        assert!(inline_allows(c, 2, "github-pat-classic"));
        assert!(!inline_allows(c, 2, "aws-access-key-id"));
    }

    #[test]
    fn line_above_only_when_alone() {
        let c = b"# tokenward:allow\nsecret\ncode() # tokenward:allow\nsecret2\n";
        assert!(inline_allows(c, 2, "any"));
        assert!(!inline_allows(c, 4, "any"));
    }

    #[test]
    fn peer_markers() {
        assert!(inline_allows(b"k = v # gitleaks:allow\n", 1, "x"));
        assert!(inline_allows(
            b"k = v  # pragma: allowlist secret\n",
            1,
            "x"
        ));
        assert!(inline_allows(
            b"# pragma: allowlist nextline secret\nk = v\n",
            2,
            "x"
        ));
    }
}
