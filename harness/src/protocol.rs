//! Protocols: YAML files parsed into typed structs (unknown keys rejected), validated against
//! the catalog, each error pointing at the file, line and column it is about.

use std::fmt;
use std::path::Path;

use datasets::SeedPolicy;
use datasets::catalog::{self, BenchmarkDef, MetricDef};
use methods::MethodSpec;
use methods::search::METHOD_NAMES;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::seeding::sha256_hex;

/// A protocol error: where in which file, and what.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolError {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for ProtocolError {}

/// A place in the protocol file, kept for checks that can only run once data is loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub file: String,
    pub line: u64,
    pub column: u64,
}

impl Place {
    pub fn error(&self, message: impl Into<String>) -> ProtocolError {
        ProtocolError {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            message: message.into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Search,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetFile {
    queries: Option<Spanned<i64>>,
    simulated_seconds: Option<Spanned<f64>>,
    cost_scale: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProtocolFile {
    name: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[allow(dead_code)] // only `search` exists so far; the key is required to be explicit.
    kind: Kind,
    benchmark: Spanned<String>,
    tasks: Vec<Spanned<String>>,
    objective: Option<Spanned<String>>,
    seed_policy: Option<Spanned<String>>,
    budget: Spanned<BudgetFile>,
    replicates: Spanned<i64>,
    #[serde(default)]
    base_seed: u64,
    random_baseline: Option<Spanned<i64>>,
    methods: Vec<Spanned<MethodSpec>>,
}

/// How long a trial runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Budget {
    /// A number of evaluations.
    Queries(u64),
    /// Simulated training seconds: the sum of the table's training time times the cost scale.
    /// Evaluations continue while the total is below the budget; the one that crosses it
    /// counts, as in the NB201 paper's search scripts.
    SimulatedSeconds(f64),
}

/// A validated protocol.
#[derive(Debug)]
pub struct Protocol {
    pub name: String,
    pub description: Option<String>,
    /// The file's text, exactly as read; its sha256 names the run.
    pub text: String,
    pub sha256: String,
    pub benchmark: &'static BenchmarkDef,
    pub tasks: Vec<String>,
    pub objective: (usize, &'static MetricDef),
    pub seed_policy: SeedPolicy,
    pub seed_policy_at: Place,
    pub budget: Budget,
    pub cost_scale: f64,
    pub replicates: u32,
    pub base_seed: u64,
    /// k, the number of random architectures whose mean is the sampled RI baseline.
    pub random_baseline: u32,
    pub methods: Vec<MethodSpec>,
}

impl Protocol {
    pub fn from_file(path: &Path) -> Result<Protocol, ProtocolError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ProtocolError {
            file: file.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read: {e}"),
        })?;
        Protocol::parse(&file, &text)
    }

    /// Parses and validates protocol text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Protocol, ProtocolError> {
        let raw: ProtocolFile =
            serde_saphyr::from_str(text).map_err(|e| yaml_error(file, text, &e))?;
        let at = |loc: &serde_saphyr::Location| Place {
            file: file.to_string(),
            line: loc.line(),
            column: loc.column(),
        };
        let fail = |loc: &serde_saphyr::Location, message: String| at(loc).error(message);

        if raw.name.value.trim().is_empty() {
            return Err(fail(&raw.name.referenced, "name must not be empty".into()));
        }
        let benchmark = catalog::benchmark(&raw.benchmark.value)
            .map_err(|e| fail(&raw.benchmark.referenced, e.to_string()))?;

        if raw.tasks.is_empty() {
            return Err(fail(
                &raw.benchmark.referenced,
                "tasks must list at least one task".into(),
            ));
        }
        let mut tasks: Vec<String> = Vec::new();
        for task in &raw.tasks {
            if let Err(e) = benchmark.task(&task.value) {
                return Err(fail(
                    &task.referenced,
                    format!("{e} (benchmark {})", benchmark.name),
                ));
            }
            if tasks.contains(&task.value) {
                return Err(fail(
                    &task.referenced,
                    format!("task '{}' is listed twice", task.value),
                ));
            }
            tasks.push(task.value.clone());
        }

        let objective = match &raw.objective {
            None => benchmark
                .metric(benchmark.objective)
                .expect("catalog objective exists"),
            Some(o) => benchmark
                .metric(&o.value)
                .map_err(|e| fail(&o.referenced, format!("objective: {e}")))?,
        };

        let (seed_policy, seed_policy_at) = match &raw.seed_policy {
            None => (SeedPolicy::Sample, at(&raw.name.referenced)),
            Some(s) => (
                parse_seed_policy(&s.value, benchmark).map_err(|m| fail(&s.referenced, m))?,
                at(&s.referenced),
            ),
        };

        let (budget, cost_scale) = parse_budget(&raw.budget, benchmark, &at)?;

        let replicates = match u32::try_from(raw.replicates.value) {
            Ok(r) if r > 0 => r,
            _ => {
                return Err(fail(
                    &raw.replicates.referenced,
                    format!(
                        "replicates must be a positive integer, got {}",
                        raw.replicates.value
                    ),
                ));
            }
        };
        let random_baseline = match &raw.random_baseline {
            None => 8,
            Some(k) => match u32::try_from(k.value) {
                Ok(k) if k > 0 => k,
                _ => {
                    return Err(fail(
                        &k.referenced,
                        format!(
                            "random_baseline must be a positive integer, got {}",
                            k.value
                        ),
                    ));
                }
            },
        };

        if raw.methods.is_empty() {
            return Err(fail(
                &raw.name.referenced,
                format!(
                    "methods must list at least one method; valid: {}",
                    METHOD_NAMES.join(", ")
                ),
            ));
        }
        let mut methods: Vec<MethodSpec> = Vec::new();
        for m in &raw.methods {
            if let Err(message) = m.value.validate() {
                return Err(fail(
                    &m.referenced,
                    format!("{}: {message}", m.value.name()),
                ));
            }
            if methods.iter().any(|x| x.id() == m.value.id()) {
                return Err(fail(
                    &m.referenced,
                    format!(
                        "method id '{}' is used twice; give one of them an `id:`",
                        m.value.id()
                    ),
                ));
            }
            methods.push(m.value.clone());
        }

        Ok(Protocol {
            name: raw.name.value,
            description: raw.description,
            text: text.to_string(),
            sha256: sha256_hex(text.as_bytes()),
            benchmark,
            tasks,
            objective,
            seed_policy,
            seed_policy_at,
            budget,
            cost_scale,
            replicates,
            base_seed: raw.base_seed,
            random_baseline,
            methods,
        })
    }
}

fn parse_seed_policy(text: &str, benchmark: &BenchmarkDef) -> Result<SeedPolicy, String> {
    match text {
        "mean" => Ok(SeedPolicy::Mean),
        "sample" => Ok(SeedPolicy::Sample),
        other => {
            let k = other
                .strip_prefix("fixed:")
                .and_then(|k| k.trim().parse::<u8>().ok())
                .ok_or_else(|| {
                    format!("seed_policy must be mean, sample or fixed:K, got '{other}'")
                })?;
            if k as usize >= benchmark.max_seeds {
                return Err(format!(
                    "seed_policy fixed:{k}: {} has at most {} training seeds (0 to {})",
                    benchmark.name,
                    benchmark.max_seeds,
                    benchmark.max_seeds - 1
                ));
            }
            Ok(SeedPolicy::Fixed(k))
        }
    }
}

fn parse_budget(
    raw: &Spanned<BudgetFile>,
    benchmark: &BenchmarkDef,
    at: &dyn Fn(&serde_saphyr::Location) -> Place,
) -> Result<(Budget, f64), ProtocolError> {
    let b = &raw.value;
    let cost_scale = match &b.cost_scale {
        None => 1.0,
        Some(s) if s.value.is_finite() && s.value > 0.0 => s.value,
        Some(s) => {
            return Err(at(&s.referenced).error(format!(
                "budget.cost_scale must be a positive number, got {}",
                s.value
            )));
        }
    };
    match (&b.queries, &b.simulated_seconds) {
        (Some(q), None) => {
            if q.value <= 0 {
                return Err(at(&q.referenced).error(format!(
                    "budget.queries must be a positive integer, got {}",
                    q.value
                )));
            }
            Ok((Budget::Queries(q.value as u64), cost_scale))
        }
        (None, Some(s)) => {
            if !(s.value.is_finite() && s.value > 0.0) {
                return Err(at(&s.referenced).error(format!(
                    "budget.simulated_seconds must be a positive number, got {}",
                    s.value
                )));
            }
            let Some(cost_metric) = benchmark.cost_metric else {
                return Err(at(&s.referenced).error(format!(
                    "benchmark {} has no training-time column, so it cannot charge simulated \
                     seconds; use budget.queries",
                    benchmark.name
                )));
            };
            if b.cost_scale.is_none() {
                let epochs = benchmark
                    .cost_epochs
                    .map(|e| format!(" ({cost_metric} covers {e} epochs; NB201's protocol charges 12, cost_scale: 0.06)"))
                    .unwrap_or_default();
                return Err(at(&s.referenced).error(format!(
                    "budget.simulated_seconds needs an explicit budget.cost_scale{epochs}"
                )));
            }
            Ok((Budget::SimulatedSeconds(s.value), cost_scale))
        }
        (Some(_), Some(s)) => {
            Err(at(&s.referenced)
                .error("budget: give either queries or simulated_seconds, not both"))
        }
        (None, None) => Err(at(&raw.referenced).error("budget: give queries or simulated_seconds")),
    }
}

/// One line: `file:line:column: message (at `source text`)`, without serde-saphyr's source
/// snippet or its repeated position.
fn yaml_error(file: &str, text: &str, e: &serde_saphyr::Error) -> ProtocolError {
    let bare = e.without_snippet();
    let (line, column) = bare
        .location()
        .or_else(|| e.location())
        .map_or((0, 0), |l| (l.line(), l.column()));
    let rendered = bare.to_string();
    let mut message = rendered
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(at) = message.rfind(" at line ") {
        message.truncate(at);
    }
    // Name the key (or list item) the error is on, from the source line itself (or the last
    // non-empty line before it, for errors reported at the end of a block).
    let lines: Vec<&str> = text.lines().collect();
    let source = lines[..(line as usize).min(lines.len())]
        .iter()
        .rev()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .find(|l| !l.is_empty());
    if let Some(source) = source {
        message.push_str(&format!(" (at `{source}`)"));
        if message.starts_with("expected mapping") && !source.contains(':') {
            message.push_str(&format!("; write `{source}: {{}}`"));
        }
    }
    ProtocolError {
        file: file.to_string(),
        line,
        column,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
name: t
kind: search
benchmark: nb201
tasks: [cifar10]
budget: { queries: 20 }
replicates: 2
methods:
  - random_search: {}
  - regularized_evolution: { population: 5, sample_size: 2 }
";

    fn error(text: &str) -> String {
        Protocol::parse("p.yaml", text).unwrap_err().to_string()
    }

    #[test]
    fn parses_a_good_protocol() {
        let p = Protocol::parse("p.yaml", GOOD).unwrap();
        assert_eq!(p.tasks, vec!["cifar10"]);
        assert_eq!(p.budget, Budget::Queries(20));
        assert_eq!(p.seed_policy, SeedPolicy::Sample);
        assert_eq!(p.methods.len(), 2);
        assert_eq!(p.methods[1].id(), "regularized_evolution");
        assert_eq!(p.objective.1.name, "val_acc");
        assert_eq!(p.random_baseline, 8);
    }

    #[test]
    fn unknown_key_names_line_and_column() {
        let e = error(&GOOD.replace("replicates: 2", "replicates: 2\nrepliactes: 3"));
        assert!(e.starts_with("p.yaml:7:1: "), "{e}");
        assert!(e.contains("repliactes"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn unknown_method_lists_valid_names() {
        let e = error(&GOOD.replace("random_search: {}", "random_serch: {}"));
        assert!(e.starts_with("p.yaml:8:"), "{e}");
        assert!(
            e.contains("random_serch") && e.contains("regularized_evolution"),
            "{e}"
        );
    }

    #[test]
    fn unknown_method_parameter() {
        let e = error(&GOOD.replace("population: 5", "populaton: 5"));
        assert!(e.starts_with("p.yaml:9:"), "{e}");
        assert!(e.contains("populaton"), "{e}");
    }

    #[test]
    fn unknown_task_and_benchmark() {
        let e = error(&GOOD.replace("[cifar10]", "[cifar10, cifar1000]"));
        assert!(e.starts_with("p.yaml:4:"), "{e}");
        assert!(
            e.contains("cifar1000") && e.contains("imagenet16-120"),
            "{e}"
        );
        let e = error(&GOOD.replace("nb201", "nb202"));
        assert!(e.starts_with("p.yaml:3:12: "), "{e}");
        assert!(e.contains("nbgraph"), "{e}");
    }

    #[test]
    fn budget_must_be_positive() {
        let e = error(&GOOD.replace("queries: 20", "queries: 0"));
        assert!(e.starts_with("p.yaml:5:") && e.contains("positive"), "{e}");
        let e = error(&GOOD.replace("queries: 20", "simulated_seconds: -3, cost_scale: 0.06"));
        assert!(e.contains("simulated_seconds must be a positive"), "{e}");
        let e = error(&GOOD.replace("queries: 20", "simulated_seconds: 12000"));
        assert!(e.contains("cost_scale"), "{e}");
        let e = error(&GOOD.replace("replicates: 2", "replicates: -1"));
        assert!(
            e.starts_with("p.yaml:6:") && e.contains("replicates"),
            "{e}"
        );
    }

    #[test]
    fn malformed_yaml() {
        let e = error("name: [unclosed\n");
        assert!(e.starts_with("p.yaml:"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn seed_policies() {
        let p = Protocol::parse("p.yaml", &format!("{GOOD}seed_policy: fixed:1\n")).unwrap();
        assert_eq!(p.seed_policy, SeedPolicy::Fixed(1));
        let e = error(&format!("{GOOD}seed_policy: fixed:3\n"));
        assert!(e.contains("at most 3"), "{e}");
        let e = error(&format!("{GOOD}seed_policy: median\n"));
        assert!(e.contains("mean, sample or fixed:K"), "{e}");
    }

    #[test]
    fn duplicate_method_ids() {
        let e = error(&format!(
            "{GOOD}  - random_search: {{ replacement: true }}\n"
        ));
        assert!(
            e.starts_with("p.yaml:10:") && e.contains("used twice"),
            "{e}"
        );
        Protocol::parse(
            "p.yaml",
            &format!("{GOOD}  - random_search: {{ id: rs2, replacement: true }}\n"),
        )
        .unwrap();
    }
}
