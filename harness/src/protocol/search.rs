//! Search protocols: methods run under a query or simulated-time budget.

use datasets::Budget;
use datasets::catalog::BenchmarkDef;
use datasets::images::ImageSource;
use methods::MethodSpec;
use methods::search::METHODS;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{Common, Place, ProtocolError, RawCommon, Source, yaml_error};

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
struct SearchFile {
    name: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[allow(dead_code)] // the kind was dispatched on; it must still be spelled right
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
    second_objective: Option<Spanned<String>>,
    #[serde(default)]
    evaluate_on: Vec<Spanned<String>>,
    methods: Spanned<Vec<Spanned<MethodSpec>>>,
    baseline: Option<Spanned<String>>,
    images: Option<Spanned<String>>,
    supernet_images: Option<Spanned<i64>>,
    workers: Option<Spanned<WorkersFile>>,
}

/// `workers: 4` or `workers: [1, 4, 16]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum WorkersFile {
    One(i64),
    Several(Vec<i64>),
}

/// The most simulated workers a protocol may ask for.
pub const MAX_WORKERS: i64 = 1024;

/// A validated search protocol.
#[derive(Debug)]
pub struct SearchProtocol {
    pub common: Common,
    pub budget: Budget,
    /// Where the budget is written, for checks that need the data.
    pub budget_at: Place,
    pub cost_scale: f64,
    /// k, the number of random architectures whose mean is the sampled RI baseline.
    pub random_baseline: u32,
    /// A tabulated property (params, latency, FLOPs) minimized beside the objective: the run
    /// records it per evaluation and the report scores each run's Pareto front.
    pub second_objective: Option<&'static str>,
    /// Tasks of the same benchmark on which each trial's final incumbent is looked up after
    /// the search (NB201's paper searches CIFAR-10 and reports the architecture found on all
    /// three datasets).
    pub evaluate_on: Vec<String>,
    pub methods: Vec<MethodSpec>,
    /// The method id the others are tested against (`baseline:`); when absent, the report
    /// takes the first random search.
    pub baseline: Option<String>,
    /// The images weight-sharing methods train their supernets on, and how many (split in
    /// halves: weights, then architecture and path scores).
    pub images: ImageSource,
    pub supernet_images: usize,
    /// The simulated workers each method runs with (`workers.rs`): `[1]` without the key.
    /// With several values every method runs once per value, its trials recorded under
    /// `<id>@<k>` and paired by seed across the values.
    pub workers: Vec<u32>,
    /// Whether the protocol has `workers:` (its runs record their event transcripts).
    pub simulates_workers: bool,
}

impl SearchProtocol {
    /// The id a method's trials with `workers` workers are recorded under.
    pub fn trial_method_id(&self, method: &MethodSpec, workers: u32) -> String {
        if self.workers.len() > 1 {
            format!("{}@{workers}", method.id())
        } else {
            method.id().to_string()
        }
    }
}

impl SearchProtocol {
    /// Whether a method trains a weight-sharing supernet (and so reads `images`).
    pub fn weight_sharing(&self) -> bool {
        self.methods.iter().any(|m| m.capabilities().weight_sharing)
    }
}

impl SearchProtocol {
    /// Parses and validates protocol text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<SearchProtocol, ProtocolError> {
        let raw: SearchFile =
            serde_saphyr::from_str(text).map_err(|e| yaml_error(file, text, &e))?;
        let src = Source { file };
        let common = RawCommon {
            name: &raw.name,
            description: &raw.description,
            benchmark: &raw.benchmark,
            tasks: &raw.tasks,
            objective: &raw.objective,
            seed_policy: &raw.seed_policy,
            replicates: &raw.replicates,
            base_seed: raw.base_seed,
        }
        .validate(&src, text)?;
        let benchmark = common.benchmark;
        if benchmark.sample_of().is_some() {
            return Err(src.fail(
                &raw.benchmark.referenced,
                format!(
                    "{} is a published sample for estimation; a search needs the whole space",
                    benchmark.name
                ),
            ));
        }
        // Queries beyond the smallest task's space would only repeat architectures.
        let smallest = common
            .tasks
            .iter()
            .map(|t| benchmark.size(t))
            .min()
            .unwrap_or(0);
        let (budget, cost_scale) = parse_budget(&raw.budget, benchmark, smallest, &src)?;
        let random_baseline = match &raw.random_baseline {
            None => 8,
            Some(k) => src.count(k, "random_baseline", 100_000)?,
        };
        let methods = parse_methods(&src, benchmark, &raw.methods)?;
        let weight_sharing = raw
            .methods
            .value
            .iter()
            .find(|m| m.value.capabilities().weight_sharing);
        check_weight_sharing(&src, &raw, benchmark, weight_sharing, budget)?;
        let workers = match &raw.workers {
            None => vec![1],
            Some(w) => parse_workers(&src, w, benchmark, weight_sharing)?,
        };
        Ok(SearchProtocol {
            simulates_workers: raw.workers.is_some(),
            workers,
            images: super::images(&src, &raw.images)?,
            supernet_images: super::supernet_images(&src, &raw.supernet_images)?,
            baseline: parse_baseline(&src, &methods, &raw.baseline)?,
            budget,
            budget_at: src.at(&raw.budget.referenced),
            cost_scale,
            random_baseline,
            second_objective: second_objective(&src, benchmark, &raw.second_objective)?,
            evaluate_on: evaluate_on(&src, benchmark, &raw.evaluate_on)?,
            methods,
            common,
        })
    }
}

/// `second_objective:`, one of the benchmark's tabulated properties.
fn second_objective(
    src: &Source,
    benchmark: &BenchmarkDef,
    raw: &Option<Spanned<String>>,
) -> Result<Option<&'static str>, ProtocolError> {
    let Some(name) = raw else { return Ok(None) };
    let properties = benchmark.property_names();
    match properties.iter().find(|p| **p == name.value) {
        Some(p) => Ok(Some(*p)),
        None => Err(src.fail(
            &name.referenced,
            format!(
                "second_objective `{}` is not a property of benchmark `{}` (it has: {})",
                name.value,
                benchmark.name,
                if properties.is_empty() {
                    "none".to_string()
                } else {
                    properties.join(", ")
                }
            ),
        )),
    }
}

/// `evaluate_on:`, tasks of the benchmark, each once.
fn evaluate_on(
    src: &Source,
    benchmark: &BenchmarkDef,
    raw: &[Spanned<String>],
) -> Result<Vec<String>, ProtocolError> {
    let twice = |task: &str| format!("evaluate_on lists task '{task}' twice");
    super::distinct_tasks(src, benchmark, raw, twice)
}

/// `methods:`, each valid on the benchmark, with distinct ids.
fn parse_methods(
    src: &Source,
    benchmark: &BenchmarkDef,
    raw: &Spanned<Vec<Spanned<MethodSpec>>>,
) -> Result<Vec<MethodSpec>, ProtocolError> {
    if raw.value.len() > super::MAX_METHODS {
        return Err(src.fail(
            &raw.referenced,
            format!(
                "methods lists {} methods, more than {}",
                raw.value.len(),
                super::MAX_METHODS
            ),
        ));
    }
    if raw.value.is_empty() {
        let valid = METHODS.iter().map(|c| c.name);
        return Err(super::empty_list(src, &raw.referenced, "method", valid));
    }
    let check = |m: &MethodSpec| check_method(m, benchmark);
    super::distinct_ids(src, &raw.value, "method", check, MethodSpec::id)
}

/// Whether a method's parameters are valid and the benchmark has what it needs.
fn check_method(method: &MethodSpec, benchmark: &BenchmarkDef) -> Result<(), String> {
    let name = method.name();
    method
        .validate()
        .map_err(|message| format!("{name}: {message}"))?;
    let properties = benchmark.property_names();
    let has = |needed: &&str| properties.contains(needed);
    if let Some(needed) = method.required_properties().into_iter().find(|n| !has(n)) {
        return Err(format!(
            "{name} needs the `{needed}` property, which benchmark `{}` does not have (it has: {})",
            benchmark.name,
            properties.join(", ")
        ));
    }
    if let Some(seeds) = method.most_seeds_wanted()
        && seeds > benchmark.max_seeds
    {
        return Err(format!(
            "{name}: max_seeds {seeds} exceeds the {} training seeds of {}'s tables",
            benchmark.max_seeds, benchmark.name
        ));
    }
    if method.needs_sources() && benchmark.task_names().len() < 2 {
        return Err(format!(
            "{name} transfers from the benchmark's other tasks, and {} has only one",
            benchmark.name
        ));
    }
    Ok(())
}

/// `baseline:`, a method id of the protocol.
fn parse_baseline(
    src: &Source,
    methods: &[MethodSpec],
    raw: &Option<Spanned<String>>,
) -> Result<Option<String>, ProtocolError> {
    let Some(b) = raw else { return Ok(None) };
    if methods.iter().any(|m| m.id() == b.value) {
        return Ok(Some(b.value.clone()));
    }
    let ids: Vec<&str> = methods.iter().map(MethodSpec::id).collect();
    Err(src.fail(
        &b.referenced,
        format!(
            "baseline '{}' is not a method id of this protocol (it has: {})",
            datasets::error::shown(&b.value),
            ids.join(", ")
        ),
    ))
}

/// A weight-sharing method needs NB201 and a budget of one query; the image keys need one.
fn check_weight_sharing(
    src: &Source,
    raw: &SearchFile,
    benchmark: &BenchmarkDef,
    weight_sharing: Option<&Spanned<MethodSpec>>,
    budget: Budget,
) -> Result<(), ProtocolError> {
    let Some(m) = weight_sharing else {
        let image_key = raw.images.as_ref().map(|i| &i.referenced);
        return match image_key.or(raw.supernet_images.as_ref().map(|i| &i.referenced)) {
            None => Ok(()),
            Some(key) => Err(src.fail(
                key,
                "images and supernet_images are read only by weight-sharing methods (`nash \
                 list` marks them), and this protocol has none",
            )),
        };
    };
    if benchmark.name != "nb201" {
        return Err(src.fail(
            &m.referenced,
            format!(
                "{} trains an NB201 supernet; benchmark `{}` is not NB201",
                m.value.name(),
                benchmark.name
            ),
        ));
    }
    if budget != Budget::Queries(1) {
        return Err(src.fail(
            &raw.budget.referenced,
            format!(
                "{} derives one architecture from its supernet; a protocol with \
                 weight-sharing methods needs `budget: {{queries: 1}}`",
                m.value.name()
            ),
        ));
    }
    Ok(())
}

/// `workers:`, distinct counts of simulated workers; above 1 they need simulated costs.
fn parse_workers(
    src: &Source,
    raw: &Spanned<WorkersFile>,
    benchmark: &BenchmarkDef,
    weight_sharing: Option<&Spanned<MethodSpec>>,
) -> Result<Vec<u32>, ProtocolError> {
    let values = match &raw.value {
        WorkersFile::One(k) => vec![*k],
        WorkersFile::Several(ks) => ks.clone(),
    };
    let bad = |message: String| src.fail(&raw.referenced, message);
    if values.is_empty() {
        return Err(bad("workers lists no value".into()));
    }
    if let Some(k) = values.iter().find(|k| !(1..=MAX_WORKERS).contains(*k)) {
        return Err(bad(format!(
            "workers must be whole numbers from 1 to {MAX_WORKERS}, got {k}"
        )));
    }
    if (1..values.len()).any(|i| values[..i].contains(&values[i])) {
        return Err(bad("workers lists a value twice".into()));
    }
    if values.iter().any(|&k| k > 1) {
        if benchmark.cost_metric.is_none() {
            return Err(bad(format!(
                "workers above 1 need the evaluations' simulated costs, and benchmark {} has no \
                 training-time column",
                benchmark.name
            )));
        }
        if let Some(m) = weight_sharing {
            return Err(bad(format!(
                "{} derives one architecture from one supernet search; it has no parallel \
                 evaluations to simulate",
                m.value.name()
            )));
        }
    }
    Ok(values.into_iter().map(|k| k as u32).collect())
}

/// Reads the budget; `space` is the number of architectures of the smallest task.
fn parse_budget(
    raw: &Spanned<BudgetFile>,
    benchmark: &BenchmarkDef,
    space: usize,
    src: &Source,
) -> Result<(Budget, f64), ProtocolError> {
    let b = &raw.value;
    let cost_scale = match &b.cost_scale {
        None => 1.0,
        Some(s) if s.value > 0.0 && s.value <= 1e6 => s.value,
        Some(s) => {
            return Err(src.fail(
                &s.referenced,
                format!(
                    "budget.cost_scale must be a number in (0, 1000000], got {}",
                    s.value
                ),
            ));
        }
    };
    match (&b.queries, &b.simulated_seconds) {
        (Some(q), None) => {
            if q.value <= 0 || q.value as u64 > space as u64 {
                return Err(src.fail(
                    &q.referenced,
                    format!(
                        "budget.queries must be a whole number between 1 and the space's {space} \
                         architectures (more would only repeat them), got {}",
                        q.value
                    ),
                ));
            }
            Ok((Budget::Queries(q.value as u64), cost_scale))
        }
        (None, Some(s)) => {
            if !(s.value.is_finite() && s.value > 0.0) {
                return Err(src.fail(
                    &s.referenced,
                    format!(
                        "budget.simulated_seconds must be a positive number, got {}",
                        s.value
                    ),
                ));
            }
            let Some(cost_metric) = benchmark.cost_metric else {
                return Err(src.fail(
                    &s.referenced,
                    format!(
                        "benchmark {} has no training-time column, so it cannot charge simulated \
                         seconds; use budget.queries",
                        benchmark.name
                    ),
                ));
            };
            if b.cost_scale.is_none() {
                let epochs = benchmark
                    .cost_epochs
                    .map(|e| {
                        format!(" ({cost_metric} covers {e} epochs; NB201's protocol charges 12, cost_scale: 0.06)")
                    })
                    .unwrap_or_default();
                return Err(src.fail(
                    &s.referenced,
                    format!("budget.simulated_seconds needs an explicit budget.cost_scale{epochs}"),
                ));
            }
            Ok((Budget::SimulatedSeconds(s.value), cost_scale))
        }
        (Some(_), Some(s)) => Err(src.fail(
            &s.referenced,
            "budget: give either queries or simulated_seconds, not both",
        )),
        (None, None) => Err(src.fail(&raw.referenced, "budget: give queries or simulated_seconds")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datasets::SeedPolicy;

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
        SearchProtocol::parse("p.yaml", text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn workers_are_one_value_or_a_list_and_need_costs() {
        let p = SearchProtocol::parse("p.yaml", GOOD).unwrap();
        assert_eq!((p.workers, p.simulates_workers), (vec![1], false));
        let p = SearchProtocol::parse("p.yaml", &format!("{GOOD}workers: 4\n")).unwrap();
        assert_eq!(p.workers, vec![4]);
        assert_eq!(p.trial_method_id(&p.methods[0], 4), "random_search");
        let p = SearchProtocol::parse("p.yaml", &format!("{GOOD}workers: [1, 16]\n")).unwrap();
        assert_eq!(
            (p.workers.clone(), p.simulates_workers),
            (vec![1, 16], true)
        );
        assert_eq!(
            p.trial_method_id(&p.methods[1], 16),
            "regularized_evolution@16"
        );
        for (value, expected) in [
            ("[]", "workers lists no value"),
            (
                "2000",
                "workers must be whole numbers from 1 to 1024, got 2000",
            ),
            ("[4, 4]", "workers lists a value twice"),
        ] {
            let e = error(&format!("{GOOD}workers: {value}\n"));
            assert!(e.contains(expected) && e.starts_with("p.yaml:10:"), "{e}");
        }
        let graph = GOOD
            .replace("benchmark: nb201", "benchmark: nbgraph")
            .replace("[cifar10]", "[cora]");
        let e = error(&format!("{graph}workers: 4\n"));
        assert!(
            e.contains("benchmark nbgraph has no training-time column"),
            "{e}"
        );
        let supernet = GOOD.replace("queries: 20", "queries: 1").replace(
            "  - regularized_evolution: { population: 5, sample_size: 2 }\n",
            "  - darts: {}\n",
        );
        let e = error(&format!("{supernet}workers: [1, 2]\n"));
        assert!(e.contains("darts derives one architecture"), "{e}");
    }

    #[test]
    fn parses_a_good_protocol() {
        let p = SearchProtocol::parse("p.yaml", GOOD).unwrap();
        assert_eq!(p.common.tasks, vec!["cifar10"]);
        assert_eq!(p.budget, Budget::Queries(20));
        assert_eq!(p.common.seed_policy, SeedPolicy::Sample);
        assert_eq!(p.methods.len(), 2);
        assert_eq!(p.methods[1].id(), "regularized_evolution");
        assert_eq!(p.common.objective.metric.name, "val_acc");
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
    fn budgets_and_counts_are_bounded() {
        for q in ["0", "15626", "1000000000000"] {
            let e = error(&GOOD.replace("queries: 20", &format!("queries: {q}")));
            assert!(
                e.starts_with("p.yaml:5:20: ") && e.contains("between 1 and the space's 15625"),
                "{e}"
            );
        }
        let e = error(&GOOD.replace("replicates: 2", "replicates: 4000000000"));
        assert!(e.contains("between 1 and 100000"), "{e}");
        let e = error(&GOOD.replace("queries: 20", "queries: 20, cost_scale: .nan"));
        assert!(
            e.contains("cost_scale must be a number in (0, 1000000]"),
            "{e}"
        );
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
    fn methods_fit_the_benchmark() {
        let e = error(&format!(
            "{GOOD}  - successive_halving: {{ fidelity: {{ max_seeds: 10 }} }}\n"
        ));
        assert!(
            e.starts_with("p.yaml:10:5: ") && e.contains("3 training seeds"),
            "{e}"
        );
        let one_task = GOOD
            .replace("nb201", "analog")
            .replace("random_search: {}", "auto_transfer: {}");
        let e = error(&one_task);
        assert!(e.contains("analog has only one"), "{e}");
        let e = error(&GOOD.replace("random_search: {}", "tpe: { candidates: 1000000000000 }"));
        assert!(
            e.contains("tpe: candidates must be between 1 and 100000"),
            "{e}"
        );
    }

    #[test]
    fn yaml_errors_speak_to_users() {
        let e = error(&format!("{GOOD}replicates: 3\n"));
        assert!(e.contains("key `replicates` is given twice"), "{e}");
        assert!(!e.contains("DuplicateKeyPolicy"), "{e}");
        let e = error(&format!("{GOOD}---\nname: x\n"));
        assert!(
            e.contains("a protocol is one document") && !e.contains("from_str"),
            "{e}"
        );
        // An unclosed bracket is blamed where it opens, not on the next line.
        let e = error(&GOOD.replace("tasks: [cifar10]", "tasks: [cifar10"));
        assert!(e.starts_with("p.yaml:4:8: `[` is never closed"), "{e}");
        // A huge line is not echoed whole.
        let e = error(&format!("name: {}\n", "a".repeat(100_000)));
        assert!(e.len() < 300, "{} characters", e.len());
    }

    #[test]
    fn names_cannot_leave_the_runs_directory() {
        for bad in ["../x", "a/b", ".hidden", "", "a b", "..", "ünï"] {
            let e = error(&GOOD.replace("name: t", &format!("name: '{bad}'")));
            assert!(e.starts_with("p.yaml:1:7: name must be"), "{bad}: {e}");
        }
        SearchProtocol::parse("p.yaml", &GOOD.replace("name: t", "name: nb201-v1.2_x")).unwrap();
    }

    #[test]
    fn malformed_yaml() {
        let e = error("name: [unclosed\n");
        assert!(e.starts_with("p.yaml:"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn seed_policies() {
        let p = SearchProtocol::parse("p.yaml", &format!("{GOOD}seed_policy: fixed:1\n")).unwrap();
        assert_eq!(p.common.seed_policy, SeedPolicy::Fixed(1));
        let e = error(&format!("{GOOD}seed_policy: fixed:3\n"));
        assert!(e.contains("at most 3"), "{e}");
        let e = error(&format!("{GOOD}seed_policy: median\n"));
        assert!(e.contains("mean, sample or fixed:K"), "{e}");
    }

    #[test]
    fn early_exit_needs_a_parameter_count() {
        let eeea =
            "regularized_evolution: { population: 5, sample_size: 2, early_exit_params: 0.5 }";
        let text = GOOD.replace(
            "regularized_evolution: { population: 5, sample_size: 2 }",
            eeea,
        );
        SearchProtocol::parse("p.yaml", &text).unwrap();
        let e = error(
            &text
                .replace("nb201", "hpobench-mlp")
                .replace("[cifar10]", "[car]"),
        );
        assert!(
            e.starts_with("p.yaml:9:") && e.contains("`params` property"),
            "{e}"
        );
        let e = error(&GOOD.replace("random_search: {}", "robot: { metrics: [params, zen] }"));
        assert!(
            e.starts_with("p.yaml:8:") && e.contains("`zen` property") && e.contains("latency"),
            "{e}"
        );
    }

    #[test]
    fn second_objective_is_a_property() {
        let p =
            SearchProtocol::parse("p.yaml", &format!("{GOOD}second_objective: latency\n")).unwrap();
        assert_eq!(p.second_objective, Some("latency"));
        let e = error(&format!("{GOOD}second_objective: energy\n"));
        assert!(
            e.starts_with("p.yaml:10:19: ") && e.contains("params, latency, flops"),
            "{e}"
        );
    }

    #[test]
    fn evaluate_on_names_tasks_of_the_benchmark() {
        let p = SearchProtocol::parse(
            "p.yaml",
            &format!("{GOOD}evaluate_on: [cifar10, cifar100]\n"),
        )
        .unwrap();
        assert_eq!(p.evaluate_on, vec!["cifar10", "cifar100"]);
        let e = error(&format!("{GOOD}evaluate_on: [cifar100, imagenet]\n"));
        assert!(
            e.starts_with("p.yaml:10:25: ") && e.contains("imagenet16-120"),
            "{e}"
        );
        let e = error(&format!("{GOOD}evaluate_on: [cifar100, cifar100]\n"));
        assert!(
            e.starts_with("p.yaml:10:25: ") && e.contains("twice"),
            "{e}"
        );
    }

    #[test]
    fn the_baseline_is_a_method_id() {
        let p = SearchProtocol::parse(
            "p.yaml",
            &format!("{GOOD}baseline: regularized_evolution\n"),
        )
        .unwrap();
        assert_eq!(p.baseline.as_deref(), Some("regularized_evolution"));
        let e = error(&format!("{GOOD}baseline: rs\n"));
        assert!(
            e.starts_with("p.yaml:10:11: ") && e.contains("random_search, regularized_evolution"),
            "{e}"
        );
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
        SearchProtocol::parse(
            "p.yaml",
            &format!("{GOOD}  - random_search: {{ id: rs2, replacement: true }}\n"),
        )
        .unwrap();
    }
}
