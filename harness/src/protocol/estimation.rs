//! Estimation protocols: estimators rank a seeded sample of architectures; learned predictors
//! are first fitted on training sets of several sizes, disjoint from that sample.

use datasets::images::ImageSource;
use methods::EstimatorSpec;
use methods::estimate::estimators;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{Common, ProtocolError, RawCommon, Source, check_task, yaml_error};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Estimation,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EstimationFile {
    name: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[allow(dead_code)] // the kind was dispatched on; it must still be spelled right
    kind: Kind,
    benchmark: Spanned<String>,
    tasks: Vec<Spanned<String>>,
    train_task: Option<Spanned<String>>,
    objective: Option<Spanned<String>>,
    seed_policy: Option<Spanned<String>>,
    evaluation: Spanned<String>,
    #[serde(default)]
    train_sizes: Vec<Spanned<i64>>,
    top_k: Option<Vec<Spanned<i64>>>,
    replicates: Spanned<i64>,
    #[serde(default)]
    base_seed: u64,
    /// Images the zero-cost proxies see: noise, mnist, fashion-mnist or cifar10:PATH.
    images: Option<Spanned<String>>,
    /// Images per proxy batch.
    proxy_batch: Option<Spanned<i64>>,
    supernet_images: Option<Spanned<i64>>,
    estimators: Spanned<Vec<Spanned<EstimatorSpec>>>,
}

/// How many architectures each trial ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evaluation {
    /// A seeded sample of this many architectures.
    Sample(usize),
    /// Every architecture not used for training.
    All,
}

/// A validated estimation protocol.
#[derive(Debug)]
pub struct EstimationProtocol {
    pub common: Common,
    /// Fit on this task's labels and rank every task of `common.tasks` (transfer); `None`:
    /// each task trains on its own labels.
    pub train_task: Option<String>,
    pub evaluation: Evaluation,
    /// Training-set sizes for learned estimators, ascending.
    pub train_sizes: Vec<usize>,
    /// The k of precision@k, best-rank@k and NDCG@k.
    pub top_k: Vec<usize>,
    pub estimators: Vec<EstimatorSpec>,
    /// The images of the data-dependent zero-cost proxies, and how many per batch.
    pub images: ImageSource,
    pub proxy_batch: usize,
    /// How many images the one-shot estimator's supernet trains on (split in halves).
    pub supernet_images: usize,
}

impl EstimationProtocol {
    pub fn parse(file: &str, text: &str) -> Result<EstimationProtocol, ProtocolError> {
        let raw: EstimationFile =
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
        let train_task = parse_train_task(&src, &common, &raw.train_task)?;
        let train_sizes = parse_train_sizes(&src, &raw.train_sizes)?;
        let estimators = parse_estimators(&src, &common, &raw.estimators, &train_sizes)?;
        let evaluation = parse_evaluation(&raw.evaluation, &src)?;
        let n_eval = evaluated(&src, &raw, &common, evaluation, &train_sizes)?;
        let proxy_batch = match &raw.proxy_batch {
            None => 64,
            Some(b) => src.count(b, "proxy_batch", 1_024)? as usize,
        };
        Ok(EstimationProtocol {
            train_task,
            evaluation,
            top_k: parse_top_k(&src, &raw, n_eval)?,
            train_sizes,
            estimators,
            images: super::images(&src, &raw.images)?,
            proxy_batch,
            supernet_images: super::supernet_images(&src, &raw.supernet_images)?,
            common,
        })
    }

    /// The zero-cost proxies the estimators read, in protocol order.
    pub fn proxies(&self) -> Vec<methods::proxy::Proxy> {
        self.estimators
            .iter()
            .filter_map(EstimatorSpec::proxy)
            .collect()
    }

    /// Whether an estimator trains a weight-sharing supernet (and so reads the images).
    pub fn weight_sharing(&self) -> bool {
        self.estimators
            .iter()
            .any(|e| e.capabilities().weight_sharing)
    }

    /// The most architectures one replicate's split of a task holds (training and evaluated).
    pub fn split_size(&self) -> usize {
        let largest = self.train_sizes.last().copied().unwrap_or(0);
        self.common
            .tasks
            .iter()
            .map(|t| largest + self.n_eval(self.common.benchmark.size(t)))
            .max()
            .unwrap_or(0)
    }

    /// Architectures ranked per trial on a space of `space_size`.
    pub fn n_eval(&self, space_size: usize) -> usize {
        match self.evaluation {
            Evaluation::Sample(n) => n,
            Evaluation::All => space_size - self.train_sizes.last().copied().unwrap_or(0),
        }
    }
}

/// `train_task:`, a task whose space is every task's.
fn parse_train_task(
    src: &Source,
    common: &Common,
    raw: &Option<Spanned<String>>,
) -> Result<Option<String>, ProtocolError> {
    let Some(t) = raw else { return Ok(None) };
    let benchmark = common.benchmark;
    check_task(src, benchmark, t)?;
    for task in &common.tasks {
        if benchmark.size(task) != benchmark.size(&t.value) {
            return Err(src.fail(
                &t.referenced,
                format!(
                    "train_task {} and task {task} have different search spaces",
                    t.value
                ),
            ));
        }
    }
    Ok(Some(t.value.clone()))
}

/// `train_sizes:`, distinct, ascending.
fn parse_train_sizes(src: &Source, raw: &[Spanned<i64>]) -> Result<Vec<usize>, ProtocolError> {
    let mut train_sizes = Vec::new();
    for s in raw {
        let n = src.count(s, "train_sizes", u32::MAX)? as usize;
        if train_sizes.contains(&n) {
            return Err(src.fail(&s.referenced, format!("train size {n} is listed twice")));
        }
        train_sizes.push(n);
    }
    train_sizes.sort_unstable();
    Ok(train_sizes)
}

/// `estimators:`, each valid on the space, with distinct ids.
fn parse_estimators(
    src: &Source,
    common: &Common,
    raw: &Spanned<Vec<Spanned<EstimatorSpec>>>,
    train_sizes: &[usize],
) -> Result<Vec<EstimatorSpec>, ProtocolError> {
    if raw.value.len() > super::MAX_METHODS || train_sizes.len() > 100 {
        return Err(src.fail(
            &raw.referenced,
            format!(
                "at most {} estimators and 100 train_sizes, got {} and {}",
                super::MAX_METHODS,
                raw.value.len(),
                train_sizes.len()
            ),
        ));
    }
    if raw.value.is_empty() {
        let cards = estimators();
        let valid = cards.iter().map(|c| c.name);
        return Err(super::empty_list(src, &raw.referenced, "estimator", valid));
    }
    let check = |e: &EstimatorSpec| check_estimator(e, common, train_sizes);
    super::distinct_ids(src, &raw.value, "estimator", check, EstimatorSpec::id)
}

/// Whether an estimator's parameters are valid on the space and its training sets.
fn check_estimator(
    estimator: &EstimatorSpec,
    common: &Common,
    train_sizes: &[usize],
) -> Result<(), String> {
    let benchmark = common.benchmark;
    let space = benchmark.space_for_checks(&common.tasks[0]);
    if benchmark.sample_of().is_some() && estimator.capabilities().weight_sharing {
        return Err(format!(
            "{}: {} is a published sample; a supernet needs the whole space",
            estimator.name(),
            benchmark.name
        ));
    }
    estimator
        .validate(space.as_ref(), &benchmark.property_names())
        .map_err(|message| format!("{}: {message}", estimator.name()))?;
    if let Some(k) = estimator.neighbours()
        && let Some(&smallest) = train_sizes.first()
        && k > smallest
    {
        return Err(format!(
            "{}: k = {k} neighbours, but the smallest training set has {smallest} architectures",
            estimator.id()
        ));
    }
    if estimator.learns() && train_sizes.is_empty() {
        return Err(format!(
            "{} learns from labelled architectures: list train_sizes",
            estimator.id()
        ));
    }
    Ok(())
}

/// `evaluation:`, `all` or a number of architectures.
fn parse_evaluation(raw: &Spanned<String>, src: &Source) -> Result<Evaluation, ProtocolError> {
    match raw.value.trim() {
        "all" => Ok(Evaluation::All),
        n => match n.parse::<usize>() {
            Ok(n) if n >= 2 => Ok(Evaluation::Sample(n)),
            _ => Err(src.fail(
                &raw.referenced,
                format!("evaluation must be `all` or a number of architectures ≥ 2, got '{n}'"),
            )),
        },
    }
}

/// How many architectures each trial evaluates: they and the largest training set must fit
/// disjointly in the smallest task's space.
fn evaluated(
    src: &Source,
    raw: &EstimationFile,
    common: &Common,
    evaluation: Evaluation,
    train_sizes: &[usize],
) -> Result<usize, ProtocolError> {
    let smallest = common
        .tasks
        .iter()
        .map(|t| common.benchmark.size(t))
        .min()
        .unwrap_or(0);
    let largest_train = train_sizes.last().copied().unwrap_or(0);
    let n_eval = match evaluation {
        Evaluation::All => smallest.saturating_sub(largest_train),
        Evaluation::Sample(n) => n,
    };
    if largest_train.saturating_add(n_eval) > smallest {
        let at = raw
            .train_sizes
            .last()
            .map_or(&raw.evaluation.referenced, |s| &s.referenced);
        return Err(src.fail(
            at,
            format!(
                "training size {largest_train} plus {n_eval} evaluated architectures exceed the \
                 space ({smallest} architectures); training and evaluation sets are disjoint"
            ),
        ));
    }
    if n_eval < 2 {
        return Err(src.fail(
            &raw.evaluation.referenced,
            "fewer than 2 architectures left to evaluate",
        ));
    }
    Ok(n_eval)
}

/// `top_k:` (default 10, 50, 100, those above `n_eval` dropped), distinct.
fn parse_top_k(
    src: &Source,
    raw: &EstimationFile,
    n_eval: usize,
) -> Result<Vec<usize>, ProtocolError> {
    let mut top_k = Vec::new();
    let defaults = [10, 50, 100].map(|k| (k, None));
    let given: Vec<(i64, Option<&Spanned<i64>>)> = match &raw.top_k {
        Some(list) => list.iter().map(|k| (k.value, Some(k))).collect(),
        None => defaults.to_vec(),
    };
    for (k, spanned) in given {
        let at = spanned.map_or(&raw.evaluation.referenced, |s| &s.referenced);
        let k = usize::try_from(k).ok().filter(|&k| k > 0).ok_or_else(|| {
            src.fail(
                at,
                format!("top_k values must be positive integers, got {k}"),
            )
        })?;
        if k > n_eval {
            if spanned.is_none() {
                continue; // defaults larger than the evaluation set are dropped
            }
            return Err(src.fail(
                at,
                format!("k = {k} is larger than the {n_eval} evaluated architectures"),
            ));
        }
        if !top_k.contains(&k) {
            top_k.push(k);
        }
    }
    Ok(top_k)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
name: e
kind: estimation
benchmark: nb201
tasks: [cifar10, cifar100]
evaluation: 500
train_sizes: [20, 10, 100]
replicates: 2
estimators:
  - params: {}
  - ridge: { alpha: 0.5 }
";

    fn error(text: &str) -> String {
        EstimationProtocol::parse("e.yaml", text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn parses_a_good_protocol() {
        let p = EstimationProtocol::parse("e.yaml", GOOD).unwrap();
        assert_eq!(p.train_sizes, vec![10, 20, 100]);
        assert_eq!(p.evaluation, Evaluation::Sample(500));
        assert_eq!(p.top_k, vec![10, 50, 100]);
        assert!(!p.estimators[0].learns() && p.estimators[1].learns());
        let all = EstimationProtocol::parse(
            "e.yaml",
            &GOOD.replace("evaluation: 500", "evaluation: all"),
        )
        .unwrap();
        assert_eq!(all.n_eval(15_625), 15_525);
    }

    #[test]
    fn training_larger_than_the_space() {
        let e = error(&GOOD.replace("[20, 10, 100]", "[20, 10, 15200]"));
        assert!(
            e.starts_with("e.yaml:6:") && e.contains("exceed the space"),
            "{e}"
        );
    }

    #[test]
    fn n_eval_too_small_for_k() {
        let e = error(&format!("{GOOD}top_k: [5, 1000]\n"));
        assert!(
            e.starts_with("e.yaml:11:") && e.contains("larger than the 500"),
            "{e}"
        );
        // Default ks that do not fit are dropped silently.
        let p =
            EstimationProtocol::parse("e.yaml", &GOOD.replace("evaluation: 500", "evaluation: 60"))
                .unwrap();
        assert_eq!(p.top_k, vec![10, 50]);
    }

    #[test]
    fn unknown_estimator_and_encoding() {
        let e = error(&GOOD.replace("ridge:", "ridje:"));
        assert!(
            e.starts_with("e.yaml:10:") && e.contains("gaussian_process"),
            "{e}"
        );
        let e = error(&GOOD.replace("alpha: 0.5", "encoding: paths"));
        assert!(e.starts_with("e.yaml:10:") && e.contains("paths"), "{e}");
        let graph = GOOD
            .replace("nb201", "nbgraph")
            .replace("cifar10, cifar100", "cora")
            .replace("alpha: 0.5", "encoding: path");
        let e = error(&graph);
        assert!(
            e.contains("'path' is not defined for the nbgraph space"),
            "{e}"
        );
        let e = error(
            &GOOD
                .replace("params", "flops")
                .replace("nb201", "nbgraph")
                .replace("cifar10, cifar100", "cora"),
        );
        assert!(e.contains("no 'flops'"), "{e}");
    }

    #[test]
    fn learners_need_train_sizes() {
        let e = error(&GOOD.replace("train_sizes: [20, 10, 100]\n", ""));
        assert!(e.contains("list train_sizes"), "{e}");
    }

    #[test]
    fn transfer_needs_the_same_space() {
        let p =
            EstimationProtocol::parse("e.yaml", &format!("{GOOD}train_task: cifar10\n")).unwrap();
        assert_eq!(p.train_task.as_deref(), Some("cifar10"));
        let graph = GOOD
            .replace("nb201", "nbgraph")
            .replace("cifar10, cifar100", "cora, proteins")
            .replace("500", "100")
            .replace("params", "latency");
        let e = error(&format!("{graph}train_task: arxiv\n"));
        assert!(e.contains("different search spaces"), "{e}");
    }
}
