//! The block structure of a Jenkinsfile as far as the audits need it: which lines run
//! for change requests (pull requests), found from `when { changeRequest() }` stages and
//! `if (env.CHANGE_ID)` blocks, and where credentials are bound. Groovy is read line by
//! line with a brace matcher that skips strings and comments; it is not a Groovy parser.
//! Every pass is linear in the file (or log-linear), whatever its nesting.

use std::collections::HashMap;

/// Lines (1-based, inclusive) that run only for change requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrRegion {
    /// First line of the stage or `if` block.
    pub start: usize,
    /// Last line (the closing brace).
    pub end: usize,
    /// The line of the condition (`changeRequest()`, `env.CHANGE_ID`).
    pub condition: usize,
    /// The stage's name, or `if` for a scripted block.
    pub name: String,
}

/// Words that bind a stored credential for the lines inside (or after) them.
pub const CREDENTIAL_BINDINGS: &[&str] = &[
    "withCredentials",
    "credentials(",
    "sshagent",
    "withAWS(",
    "withDockerRegistry",
    "docker.withRegistry(",
    "AmazonWebServicesCredentialsBinding",
    "azureServicePrincipal",
    "googleServiceAccountKey",
];

/// Each `{` (line, byte) and the line of its matching `}`; braces in strings and
/// comments are skipped.
fn braces(text: &str) -> Vec<((usize, usize), usize)> {
    let mut out: Vec<((usize, usize), usize)> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut quote: Option<&str> = None;
    let mut block_comment = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let b = line.as_bytes();
        let mut j = 0;
        while j < b.len() {
            let rest = &line[j..];
            if block_comment {
                if rest.starts_with("*/") {
                    block_comment = false;
                    j += 2;
                } else {
                    j += 1;
                }
                continue;
            }
            if let Some(q) = quote {
                if b[j] == b'\\' {
                    j += 2;
                } else if rest.starts_with(q) {
                    quote = None;
                    j += q.len();
                } else {
                    j += 1;
                }
                continue;
            }
            if rest.starts_with("//") {
                break;
            }
            if rest.starts_with("/*") {
                block_comment = true;
                j += 2;
                continue;
            }
            if let Some(q) = ["'''", "\"\"\"", "'", "\""]
                .into_iter()
                .find(|q| rest.starts_with(q))
            {
                quote = Some(q);
                j += q.len();
                continue;
            }
            match b[j] {
                b'{' => {
                    stack.push(out.len());
                    out.push(((n, j), 0));
                }
                b'}' => {
                    if let Some(o) = stack.pop() {
                        out[o].1 = n;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        // A single- or double-quoted string ends at the line's end in Groovy.
        if matches!(quote, Some("'" | "\"")) {
            quote = None;
        }
    }
    // Unclosed blocks run to the end of the file.
    let last = text.lines().count().max(1);
    for o in stack {
        out[o].1 = last;
    }
    out
}

/// The block that opens at or after `(line, byte)`: its first and last lines.
fn block_from(
    braces: &[((usize, usize), usize)],
    line: usize,
    byte: usize,
) -> Option<(usize, usize)> {
    // `braces` is in text order: the first at or after the position, by bisection.
    let i = braces.partition_point(|((l, b), _)| (*l, *b) < (line, byte));
    braces
        .get(i)
        .filter(|((l, _), _)| *l <= line + 1)
        .map(|((l, _), end)| (*l, *end))
}

/// Whether `text` tests for a change request, and not its negation.
fn pr_test(text: &str) -> Option<bool> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let hit = t.contains("changeRequest")
        || t.contains("CHANGE_ID")
        || t.contains("startsWith('PR-')")
        || t.contains("startsWith(\"PR-\")");
    if !hit {
        return None;
    }
    let negated = t.contains("not{")
        || t.contains("!env.CHANGE_ID")
        || t.contains("CHANGE_ID==null")
        || t.contains("CHANGE_ID=='')")
        || t.contains("!env.BRANCH_NAME.startsWith");
    Some(!negated)
}

/// Stage names and the lines of their blocks.
fn stages(text: &str, braces: &[((usize, usize), usize)]) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim_start();
        if l.starts_with("//") {
            continue;
        }
        let Some(p) = line.find("stage(").or_else(|| line.find("stage (")) else {
            continue;
        };
        let after = line[p + 5..].trim_start_matches([' ', '(']);
        let Some(q) = after.chars().next().filter(|c| *c == '\'' || *c == '"') else {
            continue;
        };
        let name = after[1..].split(q).next().unwrap_or("").to_string();
        if let Some((_, end)) = block_from(braces, i + 1, p) {
            out.push((name, i + 1, end));
        }
    }
    out
}

/// The regions of a Jenkinsfile that run only for change requests.
pub fn pr_regions(text: &str) -> Vec<PrRegion> {
    let br = braces(text);
    let lines: Vec<&str> = text.lines().collect();
    let st = stages(text, &br);
    let mut out = Vec::new();
    // Where each stage ends, by its first line: a stage's own lines skip its nested
    // stages in one jump, so finding every stage's `when` reads each line once.
    let mut ends_at: HashMap<usize, usize> = HashMap::new();
    for (_, s, e) in &st {
        let v = ends_at.entry(*s).or_insert(*e);
        *v = (*v).max(*e);
    }
    for (name, start, end) in &st {
        // Only the `when` block decides for a declarative stage; scripted tests are
        // `if` blocks, found below.
        let mut l = start + 1;
        let mut when_line = None;
        while l <= *end {
            if let Some(e) = ends_at.get(&l) {
                l = e + 1;
                continue;
            }
            if lines
                .get(l - 1)
                .is_some_and(|t| t.trim_start().starts_with("when"))
            {
                when_line = Some(l);
                break;
            }
            l += 1;
        }
        let Some(when_line) = when_line else { continue };
        let when_end = block_from(&br, when_line, 0).map_or(when_line, |(_, e)| e.min(*end));
        let block = lines.get(when_line - 1..when_end).unwrap_or_default();
        if pr_test(&block.join("\n")) == Some(true) {
            let condition = block
                .iter()
                .position(|t| pr_test(t).is_some())
                .map_or(when_line, |i| when_line + i);
            out.push(PrRegion {
                start: *start,
                end: *end,
                condition,
                name: name.clone(),
            });
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if !(t.starts_with("if (") || t.starts_with("if(") || t.starts_with("} else if")) {
            continue;
        }
        let cond = t.split('{').next().unwrap_or(t);
        if pr_test(cond) != Some(true) {
            continue;
        }
        let from = line.find("if").unwrap_or(0);
        if let Some((_, end)) = block_from(&br, i + 1, from) {
            out.push(PrRegion {
                start: i + 1,
                end,
                condition: i + 1,
                name: "if".to_string(),
            });
        }
    }
    out
}

/// A place that binds a stored credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// 1-based line.
    pub line: usize,
    /// 1-based column of the binding word.
    pub col: usize,
    /// The word (`withCredentials`, `credentials(`).
    pub word: &'static str,
    /// The last line the credential reaches: the end of the block the binding opens
    /// (`withCredentials(...) { }`), else of its stage, else of the file (a
    /// pipeline-level `environment { X = credentials(...) }` that every stage gets).
    pub reach: usize,
}

/// The credential bindings of a Jenkinsfile.
pub fn bindings(text: &str) -> Vec<Binding> {
    let br = braces(text);
    let st = stages(text, &br);
    let last = text.lines().count().max(1);
    // The end of the innermost stage around each line (0: none), in one sweep; stages
    // are in line order and nest.
    let mut inner = vec![0usize; last + 1];
    let mut open: Vec<usize> = Vec::new();
    let mut k = 0;
    for (n, slot) in inner.iter_mut().enumerate().skip(1) {
        while k < st.len() && st[k].1 == n {
            open.push(st[k].2);
            k += 1;
        }
        while open.last().is_some_and(|e| *e < n) {
            open.pop();
        }
        *slot = open.last().copied().unwrap_or(0);
    }
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.trim_start().starts_with("//") {
            continue;
        }
        let Some((b, word)) = CREDENTIAL_BINDINGS
            .iter()
            .filter_map(|w| l.find(w).map(|b| (b, *w)))
            .min()
        else {
            continue;
        };
        let n = i + 1;
        let assignment = word == "credentials(" && l[..b].contains('=');
        let reach = match block_from(&br, n, b) {
            Some((open, end)) if !assignment && open == n => end,
            _ => match inner.get(n) {
                Some(&e) if e > 0 => e,
                _ => last,
            },
        };
        out.push(Binding {
            line: n,
            col: l[..b].chars().count() + 1,
            word,
            reach,
        });
    }
    out
}

/// The change-request regions of a file, sorted for lookups from bindings.
#[derive(Debug, Default)]
pub struct Regions {
    items: Vec<PrRegion>,
    /// Largest end among the first `i + 1` regions.
    max_end: Vec<usize>,
}

impl Regions {
    /// Sorts `regions` by first line.
    pub fn new(mut regions: Vec<PrRegion>) -> Regions {
        regions.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
        let mut m = 0;
        let max_end = regions
            .iter()
            .map(|r| {
                m = m.max(r.end);
                m
            })
            .collect();
        Regions {
            items: regions,
            max_end,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// A region the credential of `b` is in reach on: one that holds its line, else
    /// one that starts after it inside its reach.
    pub fn reached_by(&self, b: &Binding) -> Option<&PrRegion> {
        let upto = self.items.partition_point(|r| r.start <= b.line);
        // The first region whose end reaches the line holds it (it starts before).
        let first = self.max_end[..upto].partition_point(|m| *m < b.line);
        if first < upto {
            return self.items.get(first);
        }
        let to = self.items.partition_point(|r| r.start <= b.reach);
        // Blocks nest, so the first region after the binding decides; a few more are
        // looked at for bindings whose reach is a stage's or the file's end.
        self.items[upto..to]
            .iter()
            .take(64)
            .find(|r| r.end <= b.reach)
    }
}

impl Binding {
    /// Whether the credential is in reach on the lines of `r`: bound inside it, or
    /// bound before it by a block or environment that covers it.
    pub fn reaches(&self, r: &PrRegion) -> bool {
        (self.line >= r.start && self.line <= r.end) || (self.line < r.start && self.reach >= r.end)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DECLARATIVE: &str = "\
pipeline {
  agent any
  stages {
    stage('PR') {
      when { changeRequest() }
      steps {
        withCredentials([string(credentialsId: 'x', variable: 'T')]) {
          sh './ci.sh \"}\"'
        }
      }
    }
    stage('main') {
      when { not { changeRequest() } }
      steps { sh 'make' }
    }
  }
}
";

    #[test]
    fn change_request_stages_and_if_blocks() {
        let r = pr_regions(DECLARATIVE);
        assert_eq!(
            r,
            [PrRegion {
                start: 4,
                end: 11,
                condition: 5,
                name: "PR".to_string()
            }]
        );
        let scripted = "node {\n  if (env.CHANGE_ID) {\n    sh 'x'\n  }\n  if (!env.CHANGE_ID) {\n    sh 'y'\n  }\n}\n";
        let r = pr_regions(scripted);
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].start, r[0].end), (2, 4));
    }

    #[test]
    fn deep_and_wide_files_are_read_in_one_pass() {
        // 20,000 nested change-request stages, each binding a credential, and as many
        // sibling `if` blocks: quadratic passes would not finish.
        let n = 20_000;
        let mut t = String::new();
        for i in 0..n {
            t.push_str(&format!(
                "stage('s{i}') {{\n when {{ changeRequest() }}\n withCredentials([]) {{ sh 'x' }}\n"
            ));
        }
        t.push_str(&"}\n".repeat(n));
        for _ in 0..n {
            t.push_str("if (env.CHANGE_ID) {\n sshagent(['k']) { sh 'y' }\n}\n");
        }
        let regions = Regions::new(pr_regions(&t));
        let b = bindings(&t);
        assert_eq!(b.len(), 2 * n);
        assert!(b.iter().all(|b| regions.reached_by(b).is_some()));
    }

    #[test]
    fn credential_bindings_and_their_reach() {
        let b = bindings(DECLARATIVE);
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].line, b[0].reach), (7, 9));
        assert!(b[0].reaches(&pr_regions(DECLARATIVE)[0]));
        let top =
            "pipeline {\n  environment {\n    T = credentials('t')\n  }\n  stages {\n  }\n}\n";
        assert_eq!(bindings(top)[0].reach, 7);
        let apart = "node {\n  if (env.CHANGE_ID) {\n    sh 'x'\n  }\n  withCredentials([]) {\n    sh 'y'\n  }\n}\n";
        let r = pr_regions(apart);
        assert!(!bindings(apart)[0].reaches(&r[0]));
    }
}
