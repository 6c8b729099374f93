//! `tokenward.toml`: discovery (the scan root, then `.github/`), parsing with spans so
//! every problem is reported as `file:line:col`, validation of globs, regexes, dates
//! and ids, and the merge with command-line flags into the effective scan setup.

use crate::baseline::Baseline;
use crate::cli::{FailOn, ScanArgs};
use crate::finding::{Severity, Span};
use crate::gitleaks;
use crate::paths::Roots;
use crate::rules::{self, Rule, RuleSpec};
use crate::scan::EngineOptions;
use crate::suppress::{self, Allow, Date};
use clap::ValueEnum;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The config file's name.
pub const CONFIG_FILE_NAME: &str = "tokenward.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    enable: Vec<Spanned<String>>,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<String, Spanned<Severity>>,
    fail_on: Option<Spanned<String>>,
    max_file_size: Option<Spanned<toml::Value>>,
    no_ignore: Option<bool>,
    threads: Option<usize>,
    include_suppressed: Option<bool>,
    baseline: Option<Spanned<String>>,
    gitleaks_config: Option<Spanned<String>>,
    #[serde(default)]
    rule: Vec<Spanned<RuleSpec>>,
    #[serde(default)]
    allow: Vec<Spanned<RawAllow>>,
    #[serde(default)]
    pin_policy: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    rule: Option<Spanned<String>>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    fingerprint: Option<Spanned<String>>,
    reason: Spanned<String>,
    owner: Option<String>,
    expires: Option<Spanned<toml::Value>>,
}

/// A parsed and validated `tokenward.toml`.
#[derive(Debug)]
pub struct Config {
    /// Where it was read from.
    pub path: PathBuf,
    /// Paths never scanned.
    pub exclude: Option<GlobSet>,
    /// When non-empty, only these rules and audits run.
    pub enable: Vec<String>,
    /// Rules and audits that never run.
    pub disable: Vec<String>,
    /// `[pin-policy]`: action patterns and how they must be pinned.
    pub pin_policy: Vec<(String, crate::audit::PinPolicy)>,
    /// Severity overrides by rule or audit id.
    pub severity: BTreeMap<String, Severity>,
    /// `fail-on`.
    pub fail_on: Option<FailOn>,
    /// `max-file-size`, in bytes.
    pub max_file_size: Option<u64>,
    /// `no-ignore`.
    pub no_ignore: Option<bool>,
    /// `threads`.
    pub threads: Option<usize>,
    /// `include-suppressed`.
    pub include_suppressed: Option<bool>,
    /// `baseline`, resolved against the config file's folder.
    pub baseline: Option<PathBuf>,
    /// `gitleaks-config`, resolved against the config file's folder.
    pub gitleaks_config: Option<PathBuf>,
    /// Custom `[[rule]]` tables with their `file:line:col`.
    pub rules: Vec<(RuleSpec, String)>,
    /// `[[allow]]` entries.
    pub allows: Vec<Allow>,
    /// Every rule id the file names, with its location, checked once all ids are known.
    id_refs: Vec<(String, String)>,
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

struct Src<'a> {
    origin: &'a str,
    text: &'a str,
}

impl Src<'_> {
    fn at(&self, span: Range<usize>) -> String {
        let (l, c) = line_col(self.text, span.start);
        format!("{}:{l}:{c}", self.origin)
    }

    fn span(&self, span: Range<usize>) -> Span {
        let (start_line, start_column) = line_col(self.text, span.start);
        let (end_line, end_column) = line_col(self.text, span.end);
        Span {
            start_line,
            start_column,
            end_line,
            end_column,
        }
    }
}

/// Edit distance between two short strings.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate closest to `name`, if one is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('_', "-");
    let n = norm(name);
    candidates
        .into_iter()
        .filter_map(|c| {
            let m = norm(c);
            let d = if m == n {
                0
            } else if n.starts_with(&m) || m.starts_with(&n) {
                1
            } else {
                levenshtein(&n, &m)
            };
            (d <= (n.len() / 3).max(2)).then_some((d, c))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Rewrites serde's "unknown field `x`, expected one of `a`, `b`" into a suggestion.
fn unknown_field_message(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("unknown field `")?;
    let (name, rest) = rest.split_once('`')?;
    let known: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    Some(match closest(name, known.iter().copied()) {
        Some(c) => format!("unknown key `{name}`; did you mean `{c}`?"),
        None if known.is_empty() => format!("unknown key `{name}`"),
        None => format!(
            "unknown key `{name}` (expected one of {})",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// Globs for one `exclude` / `paths` pattern, matched against `/`-separated paths
/// relative to the scan root: `*` stays within a folder, `**` crosses folders, a
/// pattern without `/` matches at any depth, and a folder matches everything in it.
pub fn path_globs(pattern: &str) -> Result<Vec<globset::Glob>, globset::Error> {
    let p = pattern.trim_start_matches("./").trim_end_matches('/');
    let base = if p.contains('/') {
        p.trim_start_matches('/').to_string()
    } else {
        format!("**/{p}")
    };
    Ok(vec![
        GlobBuilder::new(&base).literal_separator(true).build()?,
        GlobBuilder::new(&format!("{base}/**"))
            .literal_separator(true)
            .build()?,
    ])
}

fn glob_set(src: &Src, patterns: &[Spanned<String>], key: &str) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let globs = path_globs(p.get_ref()).map_err(|e| {
            format!(
                "{}: bad glob in `{key}`: `{}`: {}",
                src.at(p.span()),
                p.get_ref(),
                e.kind()
            )
        })?;
        for g in globs {
            b.add(g);
        }
    }
    b.build()
        .map(Some)
        .map_err(|e| format!("{}: bad `{key}` globs: {e}", src.origin))
}

fn parse_date(src: &Src, v: &Spanned<toml::Value>) -> Result<Date, String> {
    let parsed = match v.get_ref() {
        toml::Value::String(s) => Date::parse(s),
        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => {
            d.date.and_then(|d| Date::parse(&d.to_string()))
        }
        _ => None,
    };
    parsed.ok_or_else(|| {
        format!(
            "{}: `expires` must be a real date written YYYY-MM-DD (e.g. \"2027-03-31\")",
            src.at(v.span())
        )
    })
}

impl Config {
    /// Parses config text; `origin` names the file in errors, `path` is where it lives
    /// (relative paths in it are resolved against its folder).
    pub fn parse(origin: &str, path: &Path, text: &str) -> Result<Config, String> {
        let src = Src { origin, text };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let msg = e.message().replace('\n', " ");
            let msg = unknown_field_message(&msg).unwrap_or(msg);
            match e.span() {
                Some(s) => format!("{}: {msg}", src.at(s)),
                None => format!("{origin}: {msg}"),
            }
        })?;
        let dir = path.parent().unwrap_or(Path::new(""));
        let mut id_refs = Vec::new();
        for id in raw.enable.iter().chain(&raw.disable) {
            id_refs.push((canon(id.get_ref()), src.at(id.span())));
        }
        for (id, sev) in &raw.severity {
            id_refs.push((canon(id), src.at(sev.span())));
        }
        let fail_on = match &raw.fail_on {
            None => None,
            Some(v) => Some(FailOn::from_str(v.get_ref(), true).map_err(|_| {
                format!(
                    "{}: `fail-on` must be one of info, low, medium, high, critical, never",
                    src.at(v.span())
                )
            })?),
        };
        let max_file_size = match &raw.max_file_size {
            None => None,
            Some(v) => Some(match v.get_ref() {
                toml::Value::Integer(n) if *n >= 0 => *n as u64,
                toml::Value::String(s) => crate::cli::parse_size(s)
                    .map_err(|e| format!("{}: `max-file-size`: {e}", src.at(v.span())))?,
                _ => {
                    return Err(format!(
                        "{}: `max-file-size` must be a byte count or a string like \"10M\"",
                        src.at(v.span())
                    ));
                }
            }),
        };
        let mut rules_out = Vec::new();
        for r in &raw.rule {
            let loc = src.at(r.span());
            let rule = Rule::new(r.get_ref().clone()).map_err(|e| format!("{loc}: {e}"))?;
            rule.compile_now().map_err(|e| format!("{loc}: {e}"))?;
            rules_out.push((r.get_ref().clone(), loc));
        }
        let mut allows = Vec::new();
        for a in &raw.allow {
            let loc = src.at(a.span());
            let entry = a.get_ref();
            if entry.rule.is_none() && entry.paths.is_empty() && entry.fingerprint.is_none() {
                return Err(format!(
                    "{loc}: an [[allow]] entry needs `rule`, `paths` or `fingerprint` to say what it allows"
                ));
            }
            if entry.reason.get_ref().trim().is_empty() {
                return Err(format!(
                    "{}: `reason` must say why this exception exists",
                    src.at(entry.reason.span())
                ));
            }
            if let Some(r) = &entry.rule {
                id_refs.push((canon(r.get_ref()), src.at(r.span())));
            }
            if let Some(h) = &entry.fingerprint {
                let ok =
                    h.get_ref().len() == 32 && h.get_ref().bytes().all(|b| b.is_ascii_hexdigit());
                if !ok {
                    return Err(format!(
                        "{}: `fingerprint` must be the 32-hex-digit fingerprint tokenward reports (JSON `fingerprint`, SARIF `partialFingerprints`)",
                        src.at(h.span())
                    ));
                }
            }
            let expires = match &entry.expires {
                Some(v) => Some(parse_date(&src, v)?),
                None => None,
            };
            let (line, _) = line_col(text, a.span().start);
            allows.push(Allow {
                rule: entry.rule.as_ref().map(|r| canon(r.get_ref())),
                paths: entry.paths.iter().map(|p| p.get_ref().clone()).collect(),
                path_set: glob_set(&src, &entry.paths, "paths")?,
                fingerprint: entry
                    .fingerprint
                    .as_ref()
                    .map(|h| h.get_ref().to_ascii_lowercase()),
                reason: entry.reason.get_ref().trim().to_string(),
                owner: entry.owner.clone(),
                expires,
                origin: format!("{origin}:{line}"),
                span: src.span(entry.expires.as_ref().map_or(a.span(), |e| e.span())),
                base: String::new(),
            });
        }
        let mut pin_policy = Vec::new();
        for (pattern, v) in &raw.pin_policy {
            let policy = crate::audit::PinPolicy::parse(v.get_ref()).ok_or_else(|| {
                format!(
                    "{}: `pin-policy` values are hash-pin, ref-pin or any (got `{}`)",
                    src.at(v.span()),
                    v.get_ref()
                )
            })?;
            pin_policy.push((pattern.clone(), policy));
        }
        // The most specific pattern first: `my-org/tool` before `my-org/*` before `*`.
        pin_policy.sort_by_key(|(p, _)| (p.ends_with('*'), std::cmp::Reverse(p.len())));
        Ok(Config {
            path: path.to_path_buf(),
            pin_policy,
            exclude: glob_set(&src, &raw.exclude, "exclude")?,
            enable: raw.enable.iter().map(|s| canon(s.get_ref())).collect(),
            disable: raw.disable.iter().map(|s| canon(s.get_ref())).collect(),
            severity: raw
                .severity
                .iter()
                .map(|(k, v)| (canon(k), *v.get_ref()))
                .collect(),
            fail_on,
            max_file_size,
            no_ignore: raw.no_ignore,
            threads: raw.threads,
            include_suppressed: raw.include_suppressed,
            baseline: raw.baseline.as_ref().map(|b| dir.join(b.get_ref())),
            gitleaks_config: raw.gitleaks_config.as_ref().map(|g| dir.join(g.get_ref())),
            rules: rules_out,
            allows,
            id_refs,
        })
    }

    /// Reads and parses the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, String> {
        let origin = path.display().to_string();
        let text = crate::bounded::read_text(path, crate::bounded::HELPER_FILE_CAP)
            .map_err(|e| format!("{origin}: {e}"))?;
        Config::parse(&origin, path, &text)
    }

    /// Fails on the first rule id the file names that is not a known rule or audit.
    pub fn check_ids(&self, known: &HashSet<String>) -> Result<(), String> {
        for (id, loc) in &self.id_refs {
            if !known.contains(id) {
                let hint = closest(id, known.iter().map(String::as_str))
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_else(|| " (see `tokenward rules`)".to_string());
                return Err(format!("{loc}: unknown rule or audit `{id}`{hint}"));
            }
        }
        Ok(())
    }
}

/// The nearest config walking up from `start` (a folder, or a file's folder) to `root`
/// inclusive, as ruff finds `pyproject.toml`; a start outside `root` looks only in its
/// own folder. Also returns a warning when a folder holds both candidate files.
pub fn nearest(start: &Path, root: &Path) -> (Option<PathBuf>, Option<String>) {
    let mut dir = if start.is_dir() {
        start
    } else {
        start.parent().unwrap_or(start)
    };
    loop {
        let found = discover(dir);
        if found.0.is_some() || dir == root || !dir.starts_with(root) {
            return found;
        }
        match dir.parent() {
            Some(p) => dir = p,
            None => return found,
        }
    }
}

/// The config every scanned path resolves to (see [`nearest`]); paths that resolve to
/// different files are a usage error, since one run applies one config.
fn discover_for(
    paths: &[PathBuf],
    roots: &Roots,
) -> Result<(Option<PathBuf>, Vec<String>), String> {
    let mut found: Option<Option<PathBuf>> = None;
    let mut warnings = Vec::new();
    let starts: Vec<PathBuf> = if paths.iter().all(|p| p.as_os_str() == "-") {
        vec![roots.cwd.clone()]
    } else {
        paths
            .iter()
            .filter(|p| p.as_os_str() != "-")
            .map(|p| crate::paths::absolute(&roots.cwd, p))
            .collect()
    };
    for start in &starts {
        let (cfg, warning) = nearest(start, &roots.root);
        warnings.extend(warning);
        match &found {
            None => found = Some(cfg),
            Some(prev) if *prev == cfg => {}
            Some(prev) => {
                let name = |c: &Option<PathBuf>| {
                    c.as_ref()
                        .map_or_else(|| "no config".to_string(), |p| p.display().to_string())
                };
                return Err(format!(
                    "the scanned paths use different config files ({} and {}); scan them in separate runs or pass --config FILE",
                    name(prev),
                    name(&cfg)
                ));
            }
        }
    }
    warnings.dedup();
    Ok((found.flatten(), warnings))
}

/// The folder a config's paths are relative to: its own, or the one above `.github/`.
pub fn config_base(config: &Path) -> PathBuf {
    let dir = config.parent().unwrap_or(Path::new(""));
    if dir.file_name().is_some_and(|n| n == ".github") {
        dir.parent().unwrap_or(dir).to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

/// Finds `tokenward.toml` at the scan root or in its `.github/`; also returns a
/// warning when both exist.
pub fn discover(root: &Path) -> (Option<PathBuf>, Option<String>) {
    let top = root.join(CONFIG_FILE_NAME);
    let gh = root.join(".github").join(CONFIG_FILE_NAME);
    match (top.is_file(), gh.is_file()) {
        (true, true) => (
            Some(top.clone()),
            Some(format!(
                "both {} and {} exist; using the first",
                top.display(),
                gh.display()
            )),
        ),
        (true, false) => (Some(top), None),
        (false, true) => (Some(gh), None),
        (false, false) => (None, None),
    }
}

/// Everything `scan` needs after merging the config file with the command line.
#[derive(Debug)]
pub struct Setup {
    /// The command line with config values filled in where no flag was given.
    pub args: ScanArgs,
    /// Built-in, custom and imported secret rules (before `--select`).
    pub rules: Vec<Rule>,
    /// Engine options: redaction, selection, exclusion, imported filters.
    pub engine: EngineOptions,
    /// Config `[[allow]]` entries.
    pub allows: Vec<Allow>,
    /// The baseline, with the name to show for it.
    pub baseline: Option<(String, Baseline)>,
    /// Severity overrides.
    pub severity: BTreeMap<String, Severity>,
    /// Config file path as findings show it (relative to the scan root when inside it).
    pub config_display: Option<String>,
    /// Lines for the report's notices (config applied, rules imported).
    pub notices: Vec<String>,
    /// Examples and negative examples of the config's custom rules.
    pub config_examples: Vec<String>,
    /// Warning lines to print on stderr (gitleaks mappings, config ambiguity).
    pub warnings: Vec<String>,
    /// Settings of a config found in the scanned tree that reduce coverage.
    pub reductions: Vec<crate::coverage::Pending>,
}

/// Loads the config (explicit `--config` wins over a discovered file; `--no-config`
/// skips discovery), the gitleaks import and (unless `making_baseline`, when it may
/// not exist yet) the baseline, validates them, and merges them with the flags.
pub fn setup(cli: &ScanArgs, making_baseline: bool, roots: &Roots) -> Result<Setup, String> {
    let mut warnings = Vec::new();
    let mut notices = Vec::new();
    let (config_path, explicit) = match (&cli.config, cli.no_config) {
        _ if cli.trusted_config.is_some() => (cli.trusted_config.clone(), true),
        (Some(p), _) => (Some(p.clone()), true),
        (None, true) => (None, false),
        (None, false) => {
            let (found, warning) = discover_for(&cli.paths, roots)?;
            warnings.extend(warning);
            (found, false)
        }
    };
    let config = config_path.as_deref().map(Config::load).transpose()?;
    let mut args = cli.clone();
    let mut config_display = None;
    if let Some(c) = &config {
        let shown = roots.rel(&c.path);
        notices.push(format!(
            "config {} applied ({}; {} allow entries, {} custom rules)",
            c.path.display(),
            if cli.trusted_config.is_some() {
                "given with --trusted-config"
            } else if explicit {
                "given with --config"
            } else {
                "found in the scanned tree"
            },
            c.allows.len(),
            c.rules.len()
        ));
        config_display = Some(shown);
        args.fail_on = args.fail_on.or(c.fail_on);
        args.max_file_size = args.max_file_size.or(c.max_file_size);
        args.no_ignore |= c.no_ignore.unwrap_or(false) || cli.trusted_config.is_some();
        if args.threads == 0 {
            args.threads = c.threads.unwrap_or(0);
        }
        args.include_suppressed |= c.include_suppressed.unwrap_or(false);
        if args.baseline.is_none() {
            args.baseline = c.baseline.clone();
        }
        if args.gitleaks_config.is_none() {
            args.gitleaks_config = c.gitleaks_config.clone();
        }
    }
    let mut rules = rules::builtin_rules()?;
    let mut custom_ids = HashSet::new();
    if let Some(c) = &config {
        let builtin: HashSet<String> = rules.iter().map(|r| r.id().to_string()).collect();
        for (spec, loc) in &c.rules {
            if builtin.contains(&spec.id) || !custom_ids.insert(spec.id.clone()) {
                return Err(format!(
                    "{loc}: rule id `{}` is already taken; choose another id (disable the built-in rule with `disable` if yours replaces it)",
                    spec.id
                ));
            }
            let rule = Rule::new(spec.clone()).map_err(|e| format!("{loc}: {e}"))?;
            rules.push(rule);
        }
        if !c.rules.is_empty() {
            check_custom_examples(c)?;
        }
    }
    let mut filters = gitleaks::RuleFilters::default();
    if let Some(g) = &args.gitleaks_config {
        let origin = g.display().to_string();
        let text = crate::bounded::read_text(g, crate::bounded::HELPER_FILE_CAP)
            .map_err(|e| format!("{origin}: {e}"))?;
        let taken: HashSet<String> = rules
            .iter()
            .map(|r| r.id().to_string())
            .chain(crate::audit::docs().iter().map(|d| d.id.to_string()))
            .collect();
        let imported = gitleaks::import(&origin, &text, &taken)?;
        notices.push(format!(
            "imported {} gitleaks rules from {origin} ({} warnings)",
            imported.rules.len(),
            imported.warnings.len()
        ));
        warnings.extend(imported.warnings);
        rules.extend(imported.rules);
        filters = imported.filters;
    }
    let audit_ids: Vec<String> = crate::audit::docs()
        .iter()
        .map(|d| d.id.to_string())
        .chain(suppress::docs().iter().map(|d| d.id.to_string()))
        .collect();
    let known: HashSet<String> = rules
        .iter()
        .map(|r| r.id().to_string())
        .chain(audit_ids.iter().cloned())
        .collect();
    if let Some(c) = &config {
        c.check_ids(&known)?;
    }
    let selected: Vec<String> = args.select.iter().map(|s| canon(s)).collect();
    check_selected(&selected, &known)?;
    let select: Option<HashSet<String>> = if !selected.is_empty() {
        Some(selected.iter().cloned().collect())
    } else if let Some(c) = config
        .as_ref()
        .filter(|c| !c.enable.is_empty() || !c.disable.is_empty())
    {
        let base: HashSet<String> = if c.enable.is_empty() {
            known.clone()
        } else {
            c.enable.iter().cloned().collect()
        };
        Some(
            base.into_iter()
                .filter(|id| !c.disable.contains(id))
                .collect(),
        )
    } else {
        None
    };
    let mut reductions = match (&config, &config_display) {
        (Some(c), Some(shown)) if !explicit => {
            tree_config_reductions(c, shown, cli, &known, select.as_ref())
        }
        _ => Vec::new(),
    };
    // An imported allowlist drops findings whoever chose the file (it often lives in
    // the scanned tree): the count is always stated.
    if let Some(g) = &args.gitleaks_config
        && !reductions.iter().any(|p| p.setting == "gitleaks-config")
    {
        reductions.push(crate::coverage::Pending {
            setting: "gitleaks-config".to_string(),
            source: if cli.gitleaks_config.is_some() {
                "the command line".to_string()
            } else {
                config_display.clone().unwrap_or_default()
            },
            effect: crate::coverage::Effect::ImportDrops(g.display().to_string()),
        });
    }
    let baseline = match args.baseline.as_ref().filter(|_| !making_baseline) {
        Some(p) => Some((p.display().to_string(), Baseline::load(p)?)),
        None => None,
    };
    let config_examples = config
        .iter()
        .flat_map(|c| &c.rules)
        .flat_map(|(s, _)| s.examples.iter().chain(&s.negative_examples))
        .map(|e| e.text().to_string())
        .collect();
    let exclude_base = config
        .as_ref()
        .map(|c| {
            let base = crate::paths::absolute(&roots.cwd, &config_base(&c.path));
            base.strip_prefix(&roots.root)
                .map(crate::paths::slash)
                .unwrap_or_default()
                .trim_start_matches('.')
                .to_string()
        })
        .unwrap_or_default();
    let mut engine = EngineOptions {
        no_redact: args.no_redact,
        select,
        exclude: config.as_ref().and_then(|c| c.exclude.clone()),
        exclude_base: exclude_base.clone(),
        forced: Vec::new(),
        named: HashSet::new(),
        imported: filters,
        audit: crate::audit::AuditSettings {
            all_workflows: args.all_workflows,
            pin_policy: config
                .as_ref()
                .map(|c| c.pin_policy.clone())
                .unwrap_or_default(),
        },
        ..EngineOptions::default()
    };
    // A path named on the command line is scanned even when `exclude` covers it (as
    // ruff and ripgrep treat explicit paths); say so, since the config meant to skip it.
    for p in &args.paths {
        let rel = if p.as_os_str() == "-" {
            match &args.stdin_filename {
                Some(n) => n.trim_start_matches("./").to_string(),
                None => continue,
            }
        } else {
            roots.rel(p)
        };
        if engine.is_excluded(&rel) {
            notices.push(format!(
                "{} is excluded by the config but named on the command line: scanned",
                crate::escape::for_display(&rel)
            ));
            engine.forced.push(rel);
        }
    }
    let mut allows = config
        .as_ref()
        .map(|c| c.allows.clone())
        .unwrap_or_default();
    for a in &mut allows {
        a.base = exclude_base.clone();
    }
    Ok(Setup {
        args,
        rules,
        engine,
        allows,
        baseline,
        severity: config.map(|c| c.severity).unwrap_or_default(),
        config_display,
        notices,
        warnings,
        config_examples,
        reductions,
    })
}

/// A rule id as the registry knows it: a renamed audit's old id becomes its new one.
fn canon(id: &str) -> String {
    crate::audit::canonical_id(id).to_string()
}

/// Fails on the first `--select` id that is not a rule or audit, suggesting the closest.
fn check_selected(select: &[String], known: &HashSet<String>) -> Result<(), String> {
    for id in select {
        if !known.contains(id) {
            let hint = closest(id, known.iter().map(String::as_str))
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_else(|| " (see `tokenward rules`)".to_string());
            return Err(format!("--select: unknown rule or audit `{id}`{hint}"));
        }
    }
    Ok(())
}

/// Runs the custom rules' examples through the full pipeline with every rule active
/// (the same check as `tokenward rules check`), failing at the first misbehaving one.
fn check_custom_examples(c: &Config) -> Result<(), String> {
    let mut all = rules::builtin_rules()?;
    let mut ids = HashSet::new();
    for (spec, loc) in &c.rules {
        all.push(Rule::new(spec.clone()).map_err(|e| format!("{loc}: {e}"))?);
        ids.insert(spec.id.clone());
    }
    let failures = crate::rules_cmd::check_examples_for(all, Some(&ids))?;
    let Some(first) = failures.first() else {
        return Ok(());
    };
    let loc = c
        .rules
        .iter()
        .find(|(s, _)| first.starts_with(&format!("{}:", s.id)))
        .map_or_else(|| c.path.display().to_string(), |(_, l)| l.clone());
    let more = if failures.len() > 1 {
        format!(" (and {} more)", failures.len() - 1)
    } else {
        String::new()
    };
    Err(format!("{loc}: custom rule check failed: {first}{more}"))
}

/// The reductions a config file found in the scanned tree makes, given the command
/// line it is merged with (a flag given on the command line wins and is not the
/// tree's doing). `known` is every rule and audit id, `active` those left on.
fn tree_config_reductions(
    c: &Config,
    source: &str,
    cli: &crate::cli::ScanArgs,
    known: &std::collections::HashSet<String>,
    active: Option<&std::collections::HashSet<String>>,
) -> Vec<crate::coverage::Pending> {
    let mut out = Vec::new();
    let mut add = |setting: &str, effect: crate::coverage::Effect| {
        out.push(crate::coverage::Pending {
            setting: setting.to_string(),
            source: source.to_string(),
            effect,
        })
    };
    if c.exclude.is_some() {
        add(
            "exclude",
            crate::coverage::Effect::Skipped("excluded", String::new()),
        );
    }
    if cli.select.is_empty()
        && (!c.enable.is_empty() || !c.disable.is_empty())
        && let Some(active) = active
    {
        let mut off: Vec<&str> = known
            .iter()
            .filter(|id| !active.contains(*id))
            .map(String::as_str)
            .collect();
        off.sort_unstable();
        if !off.is_empty() {
            // Name the shorter list: what is off, or what alone is still on.
            let mut on: Vec<&str> = active.iter().map(String::as_str).collect();
            on.sort_unstable();
            let (names, lead) = if on.len() < off.len() {
                (on, "only ")
            } else {
                (off.clone(), "")
            };
            let mut ids = names[..names.len().min(crate::coverage::MAX_IDS_SHOWN)].join(", ");
            if names.len() > crate::coverage::MAX_IDS_SHOWN {
                ids.push_str(&format!(
                    ", and {} more",
                    names.len() - crate::coverage::MAX_IDS_SHOWN
                ));
            }
            if !lead.is_empty() {
                ids = format!("{lead}{} on", if ids.is_empty() { "none" } else { &ids });
            }
            let key = if c.enable.is_empty() {
                "disable"
            } else {
                "enable"
            };
            add(
                key,
                crate::coverage::Effect::Text(format!(
                    "{} of {} rules and audits off ({ids})",
                    off.len(),
                    known.len()
                )),
            );
        }
    }
    if cli.fail_on.is_none()
        && let Some(f) = c.fail_on
    {
        use crate::cli::FailOn;
        let effect = match f {
            FailOn::Info | FailOn::Low => None,
            FailOn::Never => Some("no finding fails the run (exit 0 whatever is found)".into()),
            other => Some(format!(
                "findings below {} do not fail the run",
                format!("{other:?}").to_lowercase()
            )),
        };
        if let Some(e) = effect {
            add("fail-on", crate::coverage::Effect::Text(e));
        }
    }
    if cli.max_file_size.is_none()
        && let Some(m) = c
            .max_file_size
            .filter(|&m| m < crate::cli::DEFAULT_MAX_FILE_SIZE)
    {
        add(
            "max-file-size",
            crate::coverage::Effect::Skipped(
                "too-large",
                format!(" (limit {m} bytes, default 10 MiB)"),
            ),
        );
    }
    if cli.threads == 0
        && let Some(t) = c.threads
    {
        add(
            "threads",
            crate::coverage::Effect::Text(format!(
                "{t} walker threads requested (capped at the machine's cores)"
            )),
        );
    }
    for (id, sev) in &c.severity {
        if *sev <= crate::finding::Severity::Low {
            add(
                "severity",
                crate::coverage::Effect::Text(format!("`{id}` findings lowered to {sev}")),
            );
        }
    }
    if !c.allows.is_empty() {
        add("allow", crate::coverage::Effect::Suppressed("config"));
    }
    if cli.baseline.is_none() && c.baseline.is_some() {
        add("baseline", crate::coverage::Effect::Suppressed("baseline"));
    }
    if cli.gitleaks_config.is_none()
        && let Some(g) = &c.gitleaks_config
    {
        add(
            "gitleaks-config",
            crate::coverage::Effect::ImportDrops(g.display().to_string()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse("tokenward.toml", Path::new("tokenward.toml"), text)
    }

    #[test]
    fn unknown_key_suggests_closest() {
        let e = parse("exclude_path = [\"a\"]\n").expect_err("unknown key");
        assert!(
            e.starts_with(
                "tokenward.toml:1:1: unknown key `exclude_path`; did you mean `exclude`?"
            ),
            "{e}"
        );
        let e = parse("[[allow]]\nrule = \"x\"\nreson = \"r\"\n").expect_err("unknown key");
        assert!(
            e.contains("tokenward.toml:3:1:") && e.contains("`reason`"),
            "{e}"
        );
    }

    #[test]
    fn bad_date_and_glob_have_positions() {
        let e = parse("[[allow]]\npaths = [\"a\"]\nreason = \"r\"\nexpires = \"2027-02-30\"\n")
            .expect_err("bad date");
        assert!(e.starts_with("tokenward.toml:4:11:"), "{e}");
        let e = parse("exclude = [\"ok\", \"a[\"]\n").expect_err("bad glob");
        assert!(e.starts_with("tokenward.toml:1:18:"), "{e}");
    }

    #[test]
    fn toml_dates_and_globs() {
        let c = parse("[[allow]]\npaths = [\"fixtures\"]\nreason = \"r\"\nexpires = 2027-03-31\n")
            .expect("parses");
        let a = &c.allows[0];
        assert_eq!(
            a.expires.map(|d| d.to_string()).as_deref(),
            Some("2027-03-31")
        );
        let g = a.path_set.as_ref().expect("globs");
        assert!(g.is_match("fixtures/a/b.txt"));
        assert!(g.is_match("sub/fixtures/x"));
        assert!(!g.is_match("src/main.rs"));
    }

    #[test]
    fn closest_names() {
        assert_eq!(closest("fail_on", ["fail-on", "exclude"]), Some("fail-on"));
        assert_eq!(closest("zzz", ["fail-on", "exclude"]), None);
    }
}
