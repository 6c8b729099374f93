//! CODEOWNERS: finds the file GitHub uses (`.github/`, root, then `docs/`), parses its
//! rules, and answers "who owns this path" with GitHub's semantics: the last matching
//! pattern wins, and a pattern with no owners leaves the path unowned.

use crate::finding::Finding;
use globset::{GlobBuilder, GlobMatcher};
use std::path::Path;

/// Where GitHub looks for CODEOWNERS, in its order of precedence.
pub const LOCATIONS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// One rule: a pattern's matchers and its owners (possibly none).
#[derive(Debug)]
struct Rule {
    globs: Vec<GlobMatcher>,
    owners: Vec<String>,
}

/// A parsed CODEOWNERS file.
#[derive(Debug, Default)]
pub struct CodeOwners {
    /// Relative path of the file, when one was found.
    pub path: Option<String>,
    rules: Vec<Rule>,
}

impl CodeOwners {
    /// Loads the CODEOWNERS file of the repository at `root` (none found: no owners).
    pub fn discover(root: &Path) -> CodeOwners {
        for loc in LOCATIONS {
            if let Ok(text) =
                crate::bounded::read_text(&root.join(loc), crate::bounded::HELPER_FILE_CAP)
            {
                let mut co = CodeOwners::parse(&text);
                co.path = Some(loc.to_string());
                return co;
            }
        }
        CodeOwners::default()
    }

    /// Parses CODEOWNERS text; lines whose pattern is not a valid glob are skipped, as
    /// GitHub skips invalid lines.
    pub fn parse(text: &str) -> CodeOwners {
        let mut rules = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let Some(pattern) = parts.next() else {
                continue;
            };
            let mut owners: Vec<String> = Vec::new();
            // An owner named twice on a line is one owner.
            for o in parts.take_while(|p| !p.starts_with('#')) {
                if !owners.iter().any(|x| x.eq_ignore_ascii_case(o)) {
                    owners.push(o.to_string());
                }
            }
            if let Some(globs) = globs_for(pattern) {
                rules.push(Rule { globs, owners });
            }
        }
        CodeOwners { path: None, rules }
    }

    /// The owners of `rel_path` (relative, `/`-separated), space-separated, or `None`
    /// when no rule matches or the last matching rule names nobody.
    pub fn owner(&self, rel_path: &str) -> Option<String> {
        let p = rel_path.trim_start_matches("./");
        let rule = self
            .rules
            .iter()
            .rev()
            .find(|r| r.globs.iter().any(|g| g.is_match(p)))?;
        (!rule.owners.is_empty()).then(|| rule.owners.join(" "))
    }

    /// The owner of `rel_path`, or [`super::model::UNOWNED`].
    pub fn owner_or_unowned(&self, rel_path: &str) -> String {
        self.owner(rel_path)
            .unwrap_or_else(|| super::model::UNOWNED.to_string())
    }
}

/// Translates a CODEOWNERS (gitignore-style) pattern into globs over relative paths.
///
/// A pattern with a `/` at the start or in the middle is anchored at the root; others
/// match at any depth. A trailing `/` matches only a directory's contents. A pattern
/// whose last segment has no wildcard also matches everything below it (`/build/logs`);
/// one with a wildcard matches only direct entries (`docs/*` covers `docs/a.md`, not
/// `docs/sub/b.md`), as GitHub documents.
fn globs_for(pattern: &str) -> Option<Vec<GlobMatcher>> {
    let dir_only = pattern.ends_with('/');
    let core = pattern.trim_start_matches('/').trim_end_matches('/');
    if core.is_empty() {
        return None;
    }
    let anchored = pattern.starts_with('/') || core.contains('/');
    let base = if anchored || core.starts_with("**") {
        core.to_string()
    } else {
        format!("**/{core}")
    };
    let last_has_wildcard = core
        .rsplit('/')
        .next()
        .is_some_and(|s| s.contains(['*', '?', '[']));
    let mut sources = Vec::new();
    if !dir_only {
        sources.push(base.clone());
    }
    if dir_only || !last_has_wildcard || core == "*" || core.ends_with("**") {
        sources.push(format!("{base}/**"));
    }
    if core == "*" {
        sources = vec!["**".to_string()];
    }
    sources
        .iter()
        .map(|s| {
            GlobBuilder::new(s)
                .literal_separator(true)
                .build()
                .map(|g| g.compile_matcher())
                .ok()
        })
        .collect()
}

/// Sets `owner` on every finding from the CODEOWNERS of `root` (a directory that the
/// findings' paths are relative to); does nothing when there is no CODEOWNERS file.
pub fn assign_owners(root: &Path, findings: &mut [Finding]) {
    if !root.is_dir() {
        return;
    }
    let co = CodeOwners::discover(root);
    if co.path.is_none() {
        return;
    }
    for f in findings {
        if f.owner.is_none() {
            f.owner = co.owner(&f.path);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn last_match_wins_and_empty_owner_unowns() {
        let co = CodeOwners::parse(
            "# comment\n* @org/all\n*.js @js-team\n/apps/web/ @web # trailing\n\
             docs/* @docs\napps/web/vendor\n",
        );
        assert_eq!(co.owner("README.md").as_deref(), Some("@org/all"));
        assert_eq!(co.owner("lib/x.js").as_deref(), Some("@js-team"));
        assert_eq!(co.owner("apps/web/src/x.js").as_deref(), Some("@web"));
        assert_eq!(co.owner("docs/a.md").as_deref(), Some("@docs"));
        assert_eq!(co.owner("docs/sub/b.md").as_deref(), Some("@org/all"));
        assert_eq!(co.owner("apps/web/vendor/lib.js"), None);
    }

    #[test]
    fn unanchored_names_match_at_any_depth() {
        let co = CodeOwners::parse("build/ @a\nMakefile @b\n/.github/workflows/ @ci\n");
        assert_eq!(co.owner("build/x").as_deref(), Some("@a"));
        assert_eq!(co.owner("x/build/y").as_deref(), Some("@a"));
        assert_eq!(co.owner("sub/Makefile").as_deref(), Some("@b"));
        assert_eq!(co.owner(".github/workflows/ci.yml").as_deref(), Some("@ci"));
        assert_eq!(co.owner("README.md"), None);
    }
}
