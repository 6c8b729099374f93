//! `tokenward rules`: list rules and audits, explain one, and check every rule's
//! examples through the full scanning pipeline.

use crate::audit;
use crate::cli::{RulesAction, RulesArgs};
use crate::detect::matcher::Matcher;
use crate::rules::{self, Rule};
use crate::scan::{Engine, EngineOptions};
use std::io::Write;
use std::process::ExitCode;

/// Runs a `rules` subcommand.
pub fn run(args: &RulesArgs) -> anyhow::Result<ExitCode> {
    let rules = rules::builtin_rules().map_err(anyhow::Error::msg)?;
    let mut out = std::io::stdout().lock();
    match &args.action {
        None | Some(RulesAction::List) => {
            for r in &rules {
                writeln!(
                    out,
                    "{:<40} {:<8} {:<11} {}",
                    r.spec.id,
                    r.spec.severity.as_str(),
                    r.spec.lifetime.as_str(),
                    r.spec.name
                )?;
            }
            let audits = audit::docs();
            for a in &audits {
                writeln!(
                    out,
                    "{:<40} {:<8} {:<11} {}",
                    a.id,
                    a.severity.as_str(),
                    "pipeline",
                    a.name
                )?;
            }
            writeln!(
                out,
                "{:<40} {:<8} {:<11} {}",
                crate::reuse::DOC.id,
                crate::reuse::DOC.severity.as_str(),
                "grouping",
                crate::reuse::DOC.name
            )?;
            for d in crate::suppress::docs() {
                writeln!(
                    out,
                    "{:<40} {:<8} {:<11} {}",
                    d.id,
                    d.severity.as_str(),
                    "config",
                    d.name
                )?;
            }
            writeln!(
                out,
                "{} secret rules, {} pipeline audits",
                rules.len(),
                audits.len()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Some(RulesAction::Explain { id }) => {
            if let Some(r) = rules.iter().find(|r| r.id() == id) {
                write!(out, "{}", explain_rule(r))?;
                return Ok(ExitCode::SUCCESS);
            }
            let audit_id = audit::canonical_id(id);
            if let Some(a) = audit::docs().into_iter().find(|a| a.id == audit_id) {
                writeln!(out, "{} ({})\n", a.id, a.name)?;
                writeln!(
                    out,
                    "kind: pipeline audit\nseverity: {}\n",
                    a.severity.as_str()
                )?;
                writeln!(
                    out,
                    "{}\n\nFix: {}",
                    a.description.trim(),
                    a.remediation.trim()
                )?;
                write!(
                    out,
                    "{}",
                    explain_controls(&crate::frameworks::for_audit(a.id))
                )?;
                return Ok(ExitCode::SUCCESS);
            }
            if id == crate::reuse::SECRET_REUSE {
                let d = &crate::reuse::DOC;
                writeln!(out, "{} ({})\n", d.id, d.name)?;
                writeln!(
                    out,
                    "kind: secret (grouping)   family: {}   severity: {} (raised one level across environments)\n",
                    crate::reuse::FAMILY,
                    d.severity.as_str()
                )?;
                writeln!(
                    out,
                    "{}\n\nFix: {}",
                    d.description.trim(),
                    d.remediation.trim()
                )?;
                let ids = crate::frameworks::for_secret(d.id, crate::reuse::FAMILY, None);
                write!(out, "{}", explain_controls(&ids))?;
                return Ok(ExitCode::SUCCESS);
            }
            if let Some(d) = crate::suppress::docs().into_iter().find(|d| d.id == id) {
                writeln!(out, "{} ({})\n", d.id, d.name)?;
                writeln!(
                    out,
                    "kind: configuration check\nseverity: {}\n",
                    d.severity.as_str()
                )?;
                writeln!(
                    out,
                    "{}\n\nFix: {}",
                    d.description.trim(),
                    d.remediation.trim()
                )?;
                write!(
                    out,
                    "{}",
                    explain_controls(&crate::frameworks::for_check(d.id))
                )?;
                return Ok(ExitCode::SUCCESS);
            }
            anyhow::bail!("no rule or audit named `{id}` (see `tokenward rules`)")
        }
        Some(RulesAction::Check) => {
            let failures = check_examples(rules).map_err(anyhow::Error::msg)?;
            for f in &failures {
                writeln!(out, "{f}")?;
            }
            if failures.is_empty() {
                writeln!(out, "all rule examples behave")?;
                Ok(ExitCode::SUCCESS)
            } else {
                writeln!(out, "{} example failures", failures.len())?;
                Ok(ExitCode::from(crate::EXIT_FINDINGS))
            }
        }
    }
}

/// The `rules explain` text of a secret rule.
pub fn explain_rule(r: &Rule) -> String {
    let s = &r.spec;
    let mut t = format!(
        "{} ({})\n\nkind: secret   family: {}   severity: {}   confidence: {}   lifetime: {}\n\n{}\n\nFix: {}\n",
        s.id,
        s.name,
        s.family,
        s.severity.as_str(),
        s.confidence.as_str(),
        s.lifetime.as_str(),
        s.description.trim(),
        s.remediation.trim()
    );
    t.push_str(&explain_controls(&crate::frameworks::for_secret(
        &s.id,
        &s.family,
        Some(s.lifetime),
    )));
    if !s.references.is_empty() {
        t.push_str("\nReferences:\n");
        for u in &s.references {
            t.push_str(&format!("  {u}\n"));
        }
    }
    t.push_str("\nExamples (found):\n");
    for e in &s.examples {
        t.push_str(&format!("  {e}\n"));
    }
    t.push_str("\nNegative examples (not found):\n");
    for e in &s.negative_examples {
        t.push_str(&format!("  {e}\n"));
    }
    t
}

/// The "Frameworks" block of `rules explain`: one line per control, with its framework.
fn explain_controls(ids: &[&str]) -> String {
    let mut t = String::from("\nFrameworks:\n");
    for id in ids {
        match crate::frameworks::control(id) {
            Some((fw, title)) => t.push_str(&format!("  {id:<11} {title} ({})\n", fw.name)),
            None => t.push_str(&format!("  {id}\n")),
        }
    }
    t
}

/// Runs every rule's examples through the full pipeline (prefilter, regex, filters,
/// suppression) with every rule active, and returns one line per misbehaving example:
/// an example its rule does not find, a negative example it does find, a rule without
/// examples, a regex that does not compile, or an example whose secret a second
/// specific rule also reports.
pub fn check_examples(rules: Vec<Rule>) -> Result<Vec<String>, String> {
    check_examples_for(rules, None)
}

/// [`check_examples`] for only the rules whose ids are in `only` (all when `None`),
/// still with every rule active: how custom rules in `tokenward.toml` are checked at
/// load time.
pub fn check_examples_for(
    rules: Vec<Rule>,
    only: Option<&std::collections::HashSet<String>>,
) -> Result<Vec<String>, String> {
    let checked = |id: &str| only.is_none_or(|o| o.contains(id));
    let mut failures = Vec::new();
    for r in rules.iter().filter(|r| checked(r.id())) {
        if let Err(e) = r.compile_now() {
            failures.push(e);
        }
        if r.spec.examples.is_empty() {
            failures.push(format!("{}: no examples", r.id()));
        }
        if r.spec.negative_examples.is_empty() {
            failures.push(format!("{}: no negative examples", r.id()));
        }
    }
    let cases: Vec<(String, Vec<rules::Example>, Vec<rules::Example>)> = rules
        .iter()
        .filter(|r| checked(r.id()))
        .map(|r| {
            (
                r.id().to_string(),
                r.spec.examples.clone(),
                r.spec.negative_examples.clone(),
            )
        })
        .collect();
    let generic: std::collections::HashSet<String> = rules
        .iter()
        .filter(|r| r.is_fallback())
        .map(|r| r.id().to_string())
        .collect();
    let engine = Engine::new(rules, EngineOptions::default())?;
    let mut matcher = Matcher::default();
    for (id, examples, negatives) in &cases {
        for ex in examples {
            let found = engine
                .scan_file(&mut matcher, ex.path(), ex.text().as_bytes())
                .findings;
            let mine: Vec<_> = found.iter().filter(|f| &f.rule_id == id).collect();
            if mine.is_empty() {
                failures.push(format!("{id}: example not found: {ex}"));
            }
            for f in &found {
                let same_secret = mine.iter().any(|m| m.span == f.span);
                if &f.rule_id != id && same_secret && !generic.contains(&f.rule_id) {
                    failures.push(format!(
                        "{id}: example also reported by `{}`: {ex}",
                        f.rule_id
                    ));
                }
            }
        }
        for ex in negatives {
            let found = engine
                .scan_file(&mut matcher, ex.path(), ex.text().as_bytes())
                .findings;
            if found.iter().any(|f| &f.rule_id == id) {
                failures.push(format!("{id}: negative example found: {ex}"));
            }
        }
    }
    Ok(failures)
}
