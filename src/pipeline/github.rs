//! A view of a GitHub Actions workflow or action over the positioned YAML tree: triggers,
//! jobs, steps, `uses:` references, and the expression helpers audits share.

use super::yaml::Node;

/// Whether the file is a workflow or an action's metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `.github/workflows/*.yml`.
    Workflow,
    /// `action.yml`.
    Action,
}

/// A parsed workflow (or action, whose composite steps form one pseudo-job).
#[derive(Debug)]
pub struct Workflow<'a> {
    /// Workflow or action.
    pub kind: FileKind,
    /// The document root.
    pub root: &'a Node,
    /// The `on:` key, when present.
    pub on_key: Option<&'a Node>,
    /// Event names the workflow triggers on.
    pub triggers: Vec<String>,
    /// Workflow-level `permissions:` key and value.
    pub permissions: Option<(&'a Node, &'a Node)>,
    /// Workflow-level `env:` mapping.
    pub env: Option<&'a Node>,
    /// The jobs, in source order.
    pub jobs: Vec<Job<'a>>,
}

/// One job (or an action's `runs:` block).
#[derive(Debug)]
pub struct Job<'a> {
    /// The job id.
    pub id: &'a str,
    /// The job's key node.
    pub key: &'a Node,
    /// The job's mapping.
    pub node: &'a Node,
    /// YAML path of the job, e.g. `jobs.build`.
    pub path: String,
    /// Its steps.
    pub steps: Vec<Step<'a>>,
}

/// One step.
#[derive(Debug)]
pub struct Step<'a> {
    /// The step's mapping.
    pub node: &'a Node,
    /// YAML path, e.g. `jobs.build.steps[2]`.
    pub path: String,
    /// Position in the job.
    pub index: usize,
}

impl<'a> Workflow<'a> {
    /// Builds the view; unknown shapes are skipped rather than rejected.
    pub fn new(root: &'a Node, kind: FileKind) -> Self {
        let mut wf = Workflow {
            kind,
            root,
            on_key: None,
            triggers: Vec::new(),
            permissions: root.entry("permissions"),
            env: root.get("env"),
            jobs: Vec::new(),
        };
        if let Some((k, on)) = root.entry("on").or_else(|| root.entry("true")) {
            wf.on_key = Some(k);
            match &on.value {
                super::yaml::Value::Str(s) => wf.triggers.push(s.clone()),
                super::yaml::Value::Seq(items) => wf
                    .triggers
                    .extend(items.iter().filter_map(|n| n.as_str().map(str::to_string))),
                super::yaml::Value::Map(m) => wf
                    .triggers
                    .extend(m.iter().filter_map(|(k, _)| k.as_str().map(str::to_string))),
                super::yaml::Value::Null => {}
            }
        }
        match kind {
            FileKind::Workflow => {
                if let Some(jobs) = root.get("jobs") {
                    for (k, v) in jobs.entries() {
                        let Some(id) = k.as_str() else { continue };
                        let path = format!("jobs.{id}");
                        let steps = steps_of(v.get("steps"), &path);
                        wf.jobs.push(Job {
                            id,
                            key: k,
                            node: v,
                            path,
                            steps,
                        });
                    }
                }
            }
            FileKind::Action => {
                if let Some((k, runs)) = root.entry("runs") {
                    let path = "runs".to_string();
                    let steps = steps_of(runs.get("steps"), &path);
                    wf.jobs.push(Job {
                        id: "runs",
                        key: k,
                        node: runs,
                        path,
                        steps,
                    });
                }
            }
        }
        wf
    }

    /// Whether the workflow triggers on `event`.
    pub fn has_trigger(&self, event: &str) -> bool {
        self.triggers.iter().any(|t| t == event)
    }

    /// Whether any trigger runs with the base repository's privileges on input an
    /// outsider controls (see [`super::catalog::TRIGGERS`]).
    pub fn has_privileged_untrusted_trigger(&self) -> bool {
        self.triggers
            .iter()
            .any(|t| super::catalog::exposure(t) == super::catalog::Exposure::Privileged)
    }
}

fn steps_of<'a>(steps: Option<&'a Node>, job_path: &str) -> Vec<Step<'a>> {
    steps
        .map(|s| {
            s.items()
                .iter()
                .enumerate()
                .filter(|(_, n)| n.is_map())
                .map(|(i, n)| Step {
                    node: n,
                    path: format!("{job_path}.steps[{i}]"),
                    index: i,
                })
                .collect()
        })
        .unwrap_or_default()
}

impl<'a> Job<'a> {
    /// `jobs.<id>.uses`: a reusable-workflow call, which has no steps.
    pub fn uses(&self) -> Option<(&'a Node, &'a Node)> {
        self.node.entry("uses")
    }

    /// The job's `permissions:` key and value.
    pub fn permissions(&self) -> Option<(&'a Node, &'a Node)> {
        self.node.entry("permissions")
    }

    /// The job's `if:` condition text.
    pub fn condition(&self) -> &'a str {
        self.node.get("if").and_then(Node::as_str).unwrap_or("")
    }
}

impl<'a> Step<'a> {
    /// The `uses:` key and value.
    pub fn uses_entry(&self) -> Option<(&'a Node, &'a Node)> {
        self.node.entry("uses")
    }

    /// The `uses:` string.
    pub fn uses(&self) -> Option<&'a str> {
        self.node.get("uses").and_then(Node::as_str)
    }

    /// Whether the step uses the action `name` (`owner/repo`, any ref, any subpath).
    pub fn is_action(&self, name: &str) -> bool {
        self.uses().is_some_and(|u| action_matches(u, name))
    }

    /// The `with:` input `name` (key and value).
    pub fn with_entry(&self, name: &str) -> Option<(&'a Node, &'a Node)> {
        self.node.get("with").and_then(|w| w.entry(name))
    }

    /// The `with:` input `name` as a string.
    pub fn with_str(&self, name: &str) -> Option<&'a str> {
        self.with_entry(name).and_then(|(_, v)| v.as_str())
    }

    /// The `run:` key and script.
    pub fn run(&self) -> Option<(&'a Node, &'a Node)> {
        self.node.entry("run")
    }

    /// The `run:` script text.
    pub fn run_str(&self) -> Option<&'a str> {
        self.node.get("run").and_then(Node::as_str)
    }
}

/// Whether a `uses:` value refers to action `name` (`owner/repo`), case-insensitively.
pub fn action_matches(uses: &str, name: &str) -> bool {
    // Called for every step against every catalog entry: compare the prefix first, and
    // look at the one byte after it instead of splitting at `@`.
    let (u, n) = (uses.as_bytes(), name.as_bytes());
    u.len() >= n.len()
        && u[..n.len()].eq_ignore_ascii_case(n)
        && !n.contains(&b'@')
        && matches!(u.get(n.len()), None | Some(b'@' | b'/'))
}

/// Where the first `${{` of `text` starts: one searcher for the whole run, not one
/// built per value searched.
fn find_expr(text: &str) -> Option<usize> {
    static OPEN: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    OPEN.get_or_init(|| memchr::memmem::Finder::new("${{"))
        .find(text.as_bytes())
}

/// Whether `text` contains a `${{ ... }}` expression.
pub fn has_expr(text: &str) -> bool {
    find_expr(text).is_some()
}

/// The `${{ ... }}` expressions in `text`: (raw text including braces, inner text).
pub fn expressions(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut base = 0;
    while let Some(s) = find_expr(rest) {
        let start = base + s;
        let after = &text[start + 3..];
        // Find `}}` outside string literals.
        let mut in_str = false;
        let mut end = None;
        let bytes = after.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\'' => in_str = !in_str,
                b'}' if !in_str && bytes.get(i + 1) == Some(&b'}') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let Some(e) = end else { break };
        let raw_end = start + 3 + e + 2;
        out.push((&text[start..raw_end], text[start + 3..start + 3 + e].trim()));
        base = raw_end;
        rest = &text[raw_end..];
    }
    out
}

/// Every secret name an expression references (`secrets.NAME` or `secrets['NAME']`), in
/// source case, without duplicates (compared case-insensitively, as GitHub does);
/// `GITHUB_TOKEN` is the job's token, not a stored secret, and is left out.
pub fn secret_names(expr: &str) -> Vec<&str> {
    if !expr
        .as_bytes()
        .windows(7)
        .any(|w| w.eq_ignore_ascii_case(b"secrets"))
    {
        return Vec::new();
    }
    let lower = expr.to_ascii_lowercase();
    let bytes = expr.as_bytes();
    let mut out: Vec<&str> = Vec::new();
    let mut from = 0;
    while let Some(p) = lower[from..].find("secrets") {
        let at = from + p;
        from = at + "secrets".len();
        let boundary = at == 0 || {
            let b = bytes[at - 1];
            !(b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        };
        if !boundary {
            continue;
        }
        let rest = &expr[from..];
        let name: &str = if let Some(r) = rest.strip_prefix('.') {
            let n = r
                .bytes()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
                .count();
            &r[..n]
        } else if let Some(r) = rest.strip_prefix('[') {
            let r = r.trim_start();
            match r.chars().next() {
                Some(q @ ('\'' | '"')) => r[1..].split(q).next().unwrap_or(""),
                _ => "",
            }
        } else {
            ""
        };
        if !name.is_empty()
            && !name.eq_ignore_ascii_case("GITHUB_TOKEN")
            && !out.iter().any(|o| o.eq_ignore_ascii_case(name))
        {
            out.push(name);
        }
    }
    out
}

/// The first stored secret an expression text references, if any.
pub fn secret_ref(text: &str) -> Option<&str> {
    secret_names(text).into_iter().next()
}

/// Whether a script or value uses the job's `GITHUB_TOKEN`.
pub fn uses_github_token(text: &str) -> bool {
    // Both spellings live inside `${{ }}`: most values have none, and are not copied.
    if !has_expr(text) {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    lower.contains("secrets.github_token") || lower.contains("github.token")
}

/// Splits an identifier like `AWS_SECRET_ACCESS_KEY` or `api-key` into lowercase words.
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' || c == '-' || c == '.' || c == ' ' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether `needle` occurs in `text` as a whole word (bounded by non-word characters).
pub fn contains_word(text: &str, needle: &str) -> bool {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(p) = text[from..].find(needle) {
        let s = from + p;
        let e = s + needle.len();
        let before = s == 0 || !is_word(bytes[s - 1]);
        let after = e >= bytes.len() || !is_word(bytes[e]);
        if before && after {
            return true;
        }
        from = s + 1;
        while !text.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn expressions_are_extracted() {
        let e = expressions("a ${{ github.event.issue.title }} b ${{ format('}}', x) }}");
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].1, "github.event.issue.title");
        assert_eq!(e[1].1, "format('}}', x)");
    }

    #[test]
    fn action_names_match_whole_segments() {
        assert!(action_matches("actions/checkout@v4", "actions/checkout"));
        assert!(action_matches("Actions/Checkout@v4", "actions/checkout"));
        assert!(!action_matches("actions/checkout-x@v4", "actions/checkout"));
        assert!(action_matches(
            "github/codeql-action/init@v3",
            "github/codeql-action"
        ));
    }

    #[test]
    fn words_split() {
        assert_eq!(
            words("AWS_SECRET_ACCESS_KEY"),
            ["aws", "secret", "access", "key"]
        );
        assert_eq!(words("apiKey"), ["api", "key"]);
    }

    #[test]
    fn secret_refs() {
        assert_eq!(secret_ref("${{ secrets.NPM_TOKEN }}"), Some("NPM_TOKEN"));
        assert_eq!(secret_ref("${{ secrets.GITHUB_TOKEN }}"), None);
        assert_eq!(
            secret_names("secrets.npm_token || secrets['Other-One'] || secrets.NPM_TOKEN"),
            ["npm_token", "Other-One"]
        );
        assert!(secret_names("mysecrets.X").is_empty());
        assert!(secret_names("toJSON(secrets)").is_empty());
        assert!(contains_word("git push origin", "git push"));
        assert!(!contains_word("git pushx", "git push"));
    }
}
