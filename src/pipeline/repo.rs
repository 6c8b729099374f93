//! The repository pass: links the pipelines of one repository, so facts that span files
//! can be read (a reusable workflow runs with its callers' triggers, permissions and
//! secrets).

use super::{Grant, Pipeline, Scopes};
use std::collections::{BTreeSet, HashMap};

/// How deep caller chains are followed (GitHub allows four levels of nesting).
const MAX_CALL_DEPTH: usize = 4;

/// One way a workflow's jobs get run: by its own triggers, or by a caller job.
#[derive(Debug, Clone)]
pub struct RunContext {
    /// `(pipeline index, job index)` of the calling job.
    pub caller: Option<(usize, usize)>,
    /// The events that start it.
    pub triggers: Vec<String>,
}

/// Every pipeline of a repository, with local reusable-workflow calls linked.
#[derive(Debug, Default)]
pub struct Repo {
    /// The pipelines, sorted by path.
    pub pipelines: Vec<Pipeline>,
    /// For each pipeline, the local jobs that call it.
    pub callers: Vec<Vec<(usize, usize)>>,
}

/// The repository-relative path of a local reusable workflow call (`./.github/...`).
pub fn local_callee(uses: &str) -> Option<&str> {
    let p = uses.trim().strip_prefix("./")?;
    Some(p.split('@').next().unwrap_or(p))
}

impl Repo {
    /// Links `pipelines` (in any order).
    pub fn new(mut pipelines: Vec<Pipeline>) -> Repo {
        pipelines.sort_by(|a, b| a.path.cmp(&b.path));
        let index: HashMap<&str, usize> = pipelines
            .iter()
            .enumerate()
            .map(|(i, p)| (p.path.as_str(), i))
            .collect();
        let mut callers = vec![Vec::new(); pipelines.len()];
        for (wi, p) in pipelines.iter().enumerate() {
            for (ji, job) in p.jobs.iter().enumerate() {
                if let Some(callee) = job
                    .calls
                    .as_deref()
                    .and_then(local_callee)
                    .and_then(|c| index.get(c))
                {
                    callers[*callee].push((wi, ji));
                }
            }
        }
        Repo { pipelines, callers }
    }

    /// Whether `uses` names a workflow of this repository.
    pub fn has_local(&self, uses: &str) -> bool {
        local_callee(uses).is_some_and(|c| self.pipelines.iter().any(|p| p.path == c))
    }

    fn own_triggers(&self, wi: usize) -> impl Iterator<Item = &String> {
        self.pipelines[wi]
            .triggers
            .iter()
            .map(|(t, _)| t)
            .filter(|t| *t != "workflow_call")
    }

    /// The events that can run pipeline `wi`, through its callers too.
    pub fn triggers(&self, wi: usize, depth: usize) -> BTreeSet<String> {
        let mut t: BTreeSet<String> = self.own_triggers(wi).cloned().collect();
        if depth < MAX_CALL_DEPTH {
            for (cw, _) in &self.callers[wi] {
                t.extend(self.triggers(*cw, depth + 1));
            }
        }
        t
    }

    /// The ways pipeline `wi` is run: by its own triggers and by each caller.
    pub fn contexts(&self, wi: usize) -> Vec<RunContext> {
        let own: Vec<String> = self.own_triggers(wi).cloned().collect();
        let mut out = Vec::new();
        if !own.is_empty() || self.callers[wi].is_empty() {
            out.push(RunContext {
                caller: None,
                triggers: own,
            });
        }
        for &(cw, cj) in &self.callers[wi] {
            out.push(RunContext {
                caller: Some((cw, cj)),
                triggers: self.triggers(cw, 1).into_iter().collect(),
            });
        }
        out
    }

    /// The grant job `ji` of pipeline `wi` runs with when started through `caller`:
    /// its own, else the caller's (`source` becomes `caller`), else the default.
    pub fn grant(&self, wi: usize, ji: usize, caller: Option<(usize, usize)>) -> Grant {
        self.grant_at(wi, ji, caller, 0)
    }

    fn grant_at(
        &self,
        wi: usize,
        ji: usize,
        caller: Option<(usize, usize)>,
        depth: usize,
    ) -> Grant {
        let own = &self.pipelines[wi].jobs[ji].grant;
        if own.source != "default" {
            return own.clone();
        }
        if let Some((cw, cj)) = caller
            && depth < MAX_CALL_DEPTH
        {
            let first = self.callers[cw].first().copied().filter(|c| c.0 != cw);
            let g = self.grant_at(cw, cj, first, depth + 1);
            if g.source != "default" {
                return Grant {
                    source: "caller",
                    scopes: g.scopes,
                };
            }
        }
        Grant {
            source: "default",
            scopes: Scopes::new(),
        }
    }

    /// The grant of job `ji` of pipeline `wi` in its first run context.
    pub fn own_grant(&self, wi: usize, ji: usize) -> Grant {
        let caller = self.contexts(wi).first().and_then(|c| c.caller);
        self.grant(wi, ji, caller)
    }

    /// The caller's secret names that a callee's `name` stands for in `ctx`: the same
    /// name under `secrets: inherit`, the mapped names otherwise.
    pub fn caller_names(&self, ctx: &RunContext, name: &str) -> Vec<String> {
        let Some((cw, cj)) = ctx.caller else {
            return vec![name.to_string()];
        };
        let job = &self.pipelines[cw].jobs[cj];
        if job.inherits_secrets {
            return vec![name.to_string()];
        }
        job.call_secrets
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.iter().cloned())
            .collect()
    }
}
