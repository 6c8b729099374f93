//! Markdown output of `inventory`: a title, one summary table, then a section per kind of
//! entry written as lists (so the report has exactly one table and renders anywhere).

use super::model::{EffectivePermissions, Exception, Inventory, InventoryDiff, Scopes, SecretUse};
use crate::escape::{for_markdown as m, for_markdown_code as c};
use std::io::Write;

fn scopes(s: &Scopes) -> String {
    if s.is_empty() {
        return "`{}` (none)".to_string();
    }
    match s.get("*").map(String::as_str) {
        Some("write") if s.len() == 1 => return "`write-all`".to_string(),
        Some("read") if s.len() == 1 => return "`read-all`".to_string(),
        _ => {}
    }
    s.iter()
        .map(|(k, v)| format!("`{}: {}`", c(k), c(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn perms(p: &EffectivePermissions) -> String {
    match p.source.as_str() {
        "default" => "repository default (no `permissions:`)".to_string(),
        src => format!("{} (from {})", scopes(&p.scopes), m(src)),
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items
            .iter()
            .map(|t| format!("`{}`", c(t)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn use_line(u: &SecretUse) -> String {
    let mut s = format!("`{}:{}` job `{}`", c(&u.workflow), u.line, c(&u.job));
    if let Some(step) = &u.step {
        s.push_str(&format!(", step `{}`", c(step)));
    }
    if let Some(from) = &u.called_from {
        s.push_str(&format!(", called from `{}`", c(from)));
    }
    if u.via == "secrets-inherit" {
        s.push_str(" via `secrets: inherit`");
    }
    s.push_str(&format!(
        ". Triggers: {}. Token: {}",
        list(&u.triggers),
        perms(&u.permissions)
    ));
    if let Some(e) = &u.environment {
        s.push_str(&format!(". Environment: `{}`", c(e)));
    }
    if let Some(p) = &u.purpose {
        s.push_str(&format!(". Purpose: {}", m(p)));
    }
    if !u.untrusted_triggers.is_empty() {
        s.push_str(&format!(
            ". **Reachable from untrusted triggers: {}**",
            list(&u.untrusted_triggers)
        ));
    }
    if !u.consumers.is_empty() {
        let cs: Vec<String> = u
            .consumers
            .iter()
            .map(|c| {
                let t = if c.trust == "third-party-unpinned" {
                    format!("**{}**", c.trust)
                } else {
                    c.trust.clone()
                };
                format!("`{}` ({t})", code(&c.receiver))
            })
            .collect();
        s.push_str(&format!(". Consumers: {}", cs.join(", ")));
    }
    s
}

/// Text from a scanned file made safe inside a Markdown code span: no control
/// characters (a newline would end the list item), no backticks, at most 120 characters.
fn code(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() || c == '`' { ' ' } else { c })
        .take(120)
        .collect()
}

/// Writes the inventory as Markdown.
pub fn write(inv: &Inventory, w: &mut dyn Write) -> anyhow::Result<()> {
    let s = &inv.summary;
    writeln!(w, "# Machine-identity inventory\n")?;
    match &inv.codeowners {
        Some(f) => writeln!(w, "Owners from `{}`.\n", c(f))?,
        None => writeln!(w, "No CODEOWNERS file: every entry is unowned.\n")?,
    }
    writeln!(w, "## Summary\n")?;
    writeln!(w, "| | count |")?;
    writeln!(w, "|---|---:|")?;
    let reach = if s.secrets_reachable_from_untrusted.is_empty() {
        "0".to_string()
    } else {
        format!(
            "{} ({})",
            s.secrets_reachable_from_untrusted.len(),
            list(&s.secrets_reachable_from_untrusted)
        )
    };
    let rows: [(&str, String); 14] = [
        ("Credentials", s.credentials.to_string()),
        ("Long-lived credentials", s.long_lived.to_string()),
        ("Short-lived credentials", s.short_lived.to_string()),
        (
            "Credentials of unknown lifetime",
            s.unknown_lifetime.to_string(),
        ),
        ("Owned credentials", s.owned.to_string()),
        ("Unowned credentials", s.unowned.to_string()),
        ("Secrets referenced", s.secrets.to_string()),
        ("Secrets reachable from untrusted triggers", reach),
        (
            "Cloud/registry logins (OIDC / static)",
            format!(
                "{} ({} / {})",
                s.authentications, s.oidc_authentications, s.static_authentications
            ),
        ),
        ("Jobs", s.jobs.to_string()),
        (
            "Jobs with write permissions",
            s.jobs_with_write_permissions.to_string(),
        ),
        (
            "Jobs on default permissions",
            s.jobs_with_default_permissions.to_string(),
        ),
        (
            "Hard-coded credentials",
            s.hardcoded_credentials.to_string(),
        ),
        (
            "Exceptions (without owner / expiring / expired)",
            format!(
                "{} ({} / {} / {})",
                s.exceptions,
                s.exceptions_without_owner,
                s.exceptions_expiring,
                s.exceptions_expired
            ),
        ),
    ];
    for (k, v) in rows {
        writeln!(w, "| {k} | {v} |")?;
    }

    writeln!(w, "\n## Ranked register\n")?;
    writeln!(
        w,
        "Risk = lifetime x privilege x exposure, each 1 (low) to 3 (high); highest first.\n"
    )?;
    if inv.register.is_empty() {
        writeln!(w, "No identities.")?;
    }
    const SHOWN: usize = 25;
    for (i, r) in inv.register.iter().take(SHOWN).enumerate() {
        writeln!(
            w,
            "{}. **{}** {} `{}` at `{}`: {}, owner {}",
            i + 1,
            r.risk,
            r.kind,
            code(&r.name),
            code(&r.location),
            crate::escape::for_markdown(&r.why),
            r.owner
        )?;
    }
    if inv.register.len() > SHOWN {
        writeln!(
            w,
            "\n{} more in `--format json` (`register`).",
            inv.register.len() - SHOWN
        )?;
    }

    writeln!(w, "\n## Exceptions\n")?;
    if inv.exceptions.is_empty() {
        writeln!(w, "No `[[allow]]` entries.")?;
    }
    for e in &inv.exceptions {
        writeln!(w, "- {}", exception_line(e))?;
    }

    writeln!(w, "\n## Secrets\n")?;
    if inv.secrets.is_empty() {
        writeln!(w, "No workflow references a secret.")?;
    }
    for sec in &inv.secrets {
        let name = if sec.name == "*" {
            "`*` (every secret, passed by `secrets: inherit`)".to_string()
        } else {
            format!("`{}`", c(&sec.name))
        };
        writeln!(w, "### {name}\n")?;
        let life = m(sec.lifetime.as_deref().unwrap_or("not a credential"));
        let mut head = format!("{} ({life}), owner {}", m(&sec.kind), m(&sec.owner));
        if !sec.purposes.is_empty() {
            head.push_str(&format!(", used for {}", m(&sec.purposes.join(", "))));
        }
        if sec.reachable_from_untrusted {
            head.push_str(". **Reachable from untrusted triggers.**");
        }
        writeln!(w, "{head}\n")?;
        for u in &sec.uses {
            writeln!(w, "- {}", use_line(u))?;
        }
        writeln!(w)?;
    }

    writeln!(w, "## Cloud and registry logins\n")?;
    if inv.authentications.is_empty() {
        writeln!(w, "None.")?;
    }
    for a in &inv.authentications {
        let mut line = format!(
            "- **{}** by {} ({}): `{}:{}` job `{}`",
            m(&a.provider),
            m(&a.method),
            m(&a.lifetime),
            c(&a.workflow),
            a.line,
            c(&a.job)
        );
        if let Some(step) = &a.step {
            line.push_str(&format!(", step `{}`", c(step)));
        }
        if !a.secrets.is_empty() {
            line.push_str(&format!(", secrets {}", list(&a.secrets)));
        }
        line.push_str(&format!(", owner {}", m(&a.owner)));
        if let Some(n) = &a.note {
            line.push_str(&format!(". Note: {}", m(n)));
        }
        writeln!(w, "{line}")?;
    }

    writeln!(w, "\n## GITHUB_TOKEN permissions\n")?;
    if inv.permissions.is_empty() {
        writeln!(w, "No jobs.")?;
    }
    for p in &inv.permissions {
        let mut line = format!(
            "- `{}:{}` job `{}`: {}",
            c(&p.workflow),
            p.line,
            c(&p.job),
            perms(&p.permissions)
        );
        match &p.suggested {
            Some(sug) if *sug == p.permissions.scopes && p.permissions.source != "default" => {
                line.push_str("; already least privilege");
            }
            Some(sug) => line.push_str(&format!("; suggested: {}", scopes(sug))),
            None => {}
        }
        line.push_str(&format!(", owner {}", m(&p.owner)));
        writeln!(w, "{line}")?;
    }

    writeln!(w, "\n## Hard-coded credentials\n")?;
    if inv.hardcoded_credentials.is_empty() {
        writeln!(w, "None found.")?;
    }
    for h in &inv.hardcoded_credentials {
        let mut also = String::new();
        if !h.same_value_at.is_empty() {
            let places: Vec<String> = h
                .same_value_at
                .iter()
                .map(|p| format!("`{}`", code(p)))
                .collect();
            also = format!("; **same value at** {}", places.join(", "));
        }
        writeln!(
            w,
            "- `{}:{}:{}` {} ({}): `{}`, owner {}{also}",
            c(&h.path),
            h.line,
            h.column,
            m(&h.rule),
            m(&h.lifetime),
            c(&h.snippet),
            m(&h.owner)
        )?;
    }
    if !inv.history_credentials.is_empty() {
        writeln!(w, "\n## Credentials in git history\n")?;
        writeln!(
            w,
            "| where (adding commit) | rule | first committed | age (days) | at HEAD | rotated | commits |"
        )?;
        writeln!(w, "|---|---|---|---:|---|---|---:|")?;
        for h in &inv.history_credentials {
            writeln!(
                w,
                "| `{}:{}` ({}) `{}` | {} | {} {} | {} | {} | {} | {} |",
                c(&h.path),
                h.line,
                c(h.commit.get(..12).unwrap_or(&h.commit)),
                c(&h.snippet),
                m(&h.rule),
                c(h.first_commit.get(..12).unwrap_or(&h.first_commit)),
                m(&h.first_date),
                h.age_days,
                if h.at_head { "yes" } else { "no" },
                if h.rotated { "yes" } else { "no" },
                h.commits
            )?;
        }
    }
    if !inv.errors.is_empty() {
        writeln!(w, "\n## Not read\n")?;
        for e in &inv.errors {
            writeln!(w, "- {}", m(e))?;
        }
    }
    Ok(())
}

/// Writes an inventory diff as Markdown, made to be posted as a pull-request comment:
/// the verdict first, one table of counts, then only the sections with entries.
pub fn write_diff(d: &InventoryDiff, w: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        w,
        "## tokenward: machine-identity changes since `{}`\n",
        code(&d.base)
    )?;
    if d.failing.is_empty() {
        writeln!(
            w,
            "**Gate passed:** no new machine identity the gate checks.\n"
        )?;
    } else {
        writeln!(
            w,
            "**Gate failed:** this change adds machine identities ({}). Review each below; \
if one is intended, say so in the pull request.\n",
            list(&d.failing)
        )?;
    }
    writeln!(w, "| Change | count |")?;
    writeln!(w, "|---|---:|")?;
    let rows = [
        (
            "New long-lived credentials",
            d.new_long_lived_credentials.len(),
        ),
        ("New write scopes", d.new_write_permissions.len()),
        (
            "New third-party consumers of secrets",
            d.new_third_party_consumers.len(),
        ),
        ("New exceptions (`[[allow]]`)", d.new_exceptions.len()),
        ("New secret names", d.new_secrets.len()),
        ("Identities removed", d.removed),
    ];
    for (k, v) in rows {
        writeln!(w, "| {k} | {v} |")?;
    }
    if !d.new_long_lived_credentials.is_empty() {
        writeln!(w, "\n### New long-lived credentials\n")?;
        for c in &d.new_long_lived_credentials {
            writeln!(
                w,
                "- {} `{}` at `{}`, owner {}",
                c.kind,
                code(&c.name),
                code(&c.location),
                c.owner
            )?;
        }
    }
    if !d.new_write_permissions.is_empty() {
        writeln!(w, "\n### New write permissions\n")?;
        for p in &d.new_write_permissions {
            let scope = if p.scope == "*" {
                "write-all"
            } else {
                &p.scope
            };
            writeln!(
                w,
                "- `{}` job `{}`: `{}`, owner {}",
                code(&p.workflow),
                code(&p.job),
                code(scope),
                p.owner
            )?;
        }
    }
    if !d.new_third_party_consumers.is_empty() {
        writeln!(w, "\n### Secrets newly handed to third parties\n")?;
        for c in &d.new_third_party_consumers {
            writeln!(
                w,
                "- `{}` to `{}` ({}) at `{}`, owner {}",
                code(&c.secret),
                code(&c.receiver),
                c.trust,
                code(&c.location),
                c.owner
            )?;
        }
    }
    if !d.new_exceptions.is_empty() {
        writeln!(w, "\n### New exceptions\n")?;
        for e in &d.new_exceptions {
            writeln!(w, "- {}", exception_line(e))?;
        }
    }
    if !d.new_secrets.is_empty() {
        writeln!(w, "\n### New secrets referenced\n")?;
        for s in &d.new_secrets {
            let reach = if s.reachable_from_untrusted {
                ", **reachable from untrusted triggers**"
            } else {
                ""
            };
            writeln!(
                w,
                "- `{}` ({}), owner {}{reach}",
                code(&s.name),
                s.kind,
                s.owner
            )?;
            for u in &s.uses {
                writeln!(w, "  - {}", use_line(u))?;
            }
        }
    }
    Ok(())
}

/// One exception of the register as a list item.
fn exception_line(e: &Exception) -> String {
    let mut covers = Vec::new();
    if let Some(r) = &e.rule {
        covers.push(format!("rule `{}`", code(r)));
    }
    if !e.paths.is_empty() {
        let p: Vec<String> = e.paths.iter().map(|p| format!("`{}`", code(p))).collect();
        covers.push(format!("paths {}", p.join(", ")));
    }
    if let Some(f) = &e.fingerprint {
        covers.push(format!("fingerprint `{}`", code(f)));
    }
    let owner = e.owner.as_deref().map_or("**no owner**".to_string(), code);
    let expiry = match (&e.expires, e.status.as_str()) {
        (None, _) => "**no expiry**".to_string(),
        (Some(x), "expired") => format!("**expired {x}**"),
        (Some(x), "expiring") => format!("**expires {x}** (in {} days)", e.days_left.unwrap_or(0)),
        (Some(x), _) => format!("expires {x}"),
    };
    format!(
        "`{}`: {}; reason \"{}\"; owner {owner}; {expiry}",
        code(&e.origin),
        covers.join(", "),
        code(&e.reason)
    )
}
