//! Markdown output of `inventory`: a title, one summary table, then a section per kind of
//! entry written as lists (so the report has exactly one table and renders anywhere).

use super::model::{EffectivePermissions, Inventory, InventoryDiff, Scopes, SecretUse};
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
    s
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
    let rows: [(&str, String); 13] = [
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
    ];
    for (k, v) in rows {
        writeln!(w, "| {k} | {v} |")?;
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
        writeln!(
            w,
            "- `{}:{}:{}` {} ({}): `{}`, owner {}",
            c(&h.path),
            h.line,
            h.column,
            m(&h.rule),
            m(&h.lifetime),
            c(&h.snippet),
            m(&h.owner)
        )?;
    }
    if !inv.errors.is_empty() {
        writeln!(w, "\n## Not read\n")?;
        for e in &inv.errors {
            writeln!(w, "- {}", m(e))?;
        }
    }
    Ok(())
}

/// Writes an inventory diff as Markdown.
pub fn write_diff(d: &InventoryDiff, w: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(w, "# Machine-identity changes since `{}`\n", c(&d.base))?;
    writeln!(w, "## New secrets referenced\n")?;
    if d.new_secrets.is_empty() {
        writeln!(w, "None.")?;
    }
    for s in &d.new_secrets {
        let reach = if s.reachable_from_untrusted {
            ", **reachable from untrusted triggers**"
        } else {
            ""
        };
        writeln!(
            w,
            "- `{}` ({}), owner {}{reach}",
            c(&s.name),
            m(&s.kind),
            m(&s.owner)
        )?;
        for u in &s.uses {
            writeln!(w, "  - {}", use_line(u))?;
        }
    }
    writeln!(w, "\n## New write permissions\n")?;
    if d.new_write_permissions.is_empty() {
        writeln!(w, "None.")?;
    }
    for p in &d.new_write_permissions {
        let scope = if p.scope == "*" {
            "write-all"
        } else {
            &p.scope
        };
        writeln!(
            w,
            "- `{}` job `{}`: `{}`, owner {}",
            c(&p.workflow),
            c(&p.job),
            c(scope),
            m(&p.owner)
        )?;
    }
    writeln!(w, "\n## New long-lived credentials\n")?;
    if d.new_long_lived_credentials.is_empty() {
        writeln!(w, "None.")?;
    }
    for cred in &d.new_long_lived_credentials {
        writeln!(
            w,
            "- {} `{}` at `{}`, owner {}",
            m(&cred.kind),
            c(&cred.name),
            c(&cred.location),
            m(&cred.owner)
        )?;
    }
    Ok(())
}
