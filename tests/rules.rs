//! Every embedded rule's examples are found and its negative examples are not,
//! through the whole pipeline; ids are unique and kebab-case; the CLI lists and
//! explains them.

mod common;

use common::tokenward;
use tokenward::rules::{builtin_rules, is_kebab_case};
use tokenward::rules_cmd::check_examples;

#[test]
fn every_rule_example_behaves_through_the_full_pipeline() {
    let rules = builtin_rules().expect("rules load (ids unique)");
    let failures = check_examples(rules).expect("engine builds");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn rule_pack_is_large_and_documented() {
    let rules = builtin_rules().expect("rules load");
    assert!(rules.len() >= 60, "only {} rules", rules.len());
    for r in &rules {
        assert!(is_kebab_case(r.id()), "{}", r.id());
        assert!(
            !r.spec.description.trim().is_empty(),
            "{} lacks a description",
            r.id()
        );
        assert!(
            !r.spec.remediation.trim().is_empty(),
            "{} lacks a remediation",
            r.id()
        );
        assert!(
            !r.spec.examples.is_empty() && !r.spec.negative_examples.is_empty(),
            "{}",
            r.id()
        );
    }
}

#[test]
fn every_example_contains_a_keyword_of_its_rule() {
    // If the prefilter and the regex disagree, a rule silently never fires.
    for r in builtin_rules().expect("rules load") {
        for ex in &r.spec.examples {
            let lower = ex.text().to_ascii_lowercase();
            assert!(
                r.spec
                    .keywords
                    .iter()
                    .any(|k| lower.contains(&k.to_ascii_lowercase())),
                "{}: example has none of the keywords {:?}: {ex}",
                r.id(),
                r.spec.keywords
            );
        }
    }
}

#[test]
fn rules_command_lists_and_explains() {
    let out = tokenward().arg("rules").output().expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("github-pat-classic"));
    assert!(text.lines().count() > 60);
    let out = tokenward()
        .args(["rules", "explain", "github-pat-classic"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Fix:") && text.contains("long-lived") && text.contains("References"));
    let out = tokenward()
        .args(["rules", "explain", "no-such-rule"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn rules_check_command_passes() {
    let out = tokenward().args(["rules", "check"]).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
