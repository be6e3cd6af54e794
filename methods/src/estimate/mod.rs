//! Estimation methods: anything that ranks architectures without training them fully.
//! One file per estimator, each citing its paper and the variant implemented.
//!
//! An estimator may be fitted on labelled architectures (learned predictors) or not
//! (tabulated and zero-cost estimators), then scores architectures: higher means predicted
//! better. Labels are given "higher is better" (the runner negates minimized metrics).

mod bananas;
mod gaussian_process;
mod gbdt;
mod gcn;
mod knn;
mod linalg;
mod mlp;
pub(crate) mod neural;
mod random_forest;
mod regression_tree;
mod ridge;
mod tabulated;

pub use bananas::{Bananas, BananasParams};
pub use gaussian_process::{GaussianProcess, GaussianProcessParams, GpModel};
pub use gbdt::GbdtParams;
pub use gcn::GcnParams;
pub use knn::KnnParams;
pub use mlp::MlpParams;
pub use random_forest::RandomForestParams;
pub use ridge::RidgeParams;
pub use tabulated::TabulatedParams;

pub use crate::MethodContext;
use crate::proxy::Proxy;
use datasets::rng::TrialRng;
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

pub trait Estimator {
    /// Learns from labelled architectures (`labels[i]` belongs to `archs[i]`). Estimators
    /// that do not learn ignore them.
    fn fit(&mut self, archs: &[ArchId], labels: &[f64], rng: &mut TrialRng) -> Result<(), String>;

    /// Scores architectures; higher means predicted better.
    fn score(&mut self, archs: &[ArchId]) -> Result<Vec<f64>, String>;
}

/// An estimator and its parameters as a protocol names them, e.g. `ridge: { alpha: 1.0 }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum EstimatorSpec {
    Params(TabulatedParams),
    Latency(TabulatedParams),
    Flops(TabulatedParams),
    Synflow(TabulatedParams),
    Snip(TabulatedParams),
    GradNorm(TabulatedParams),
    Fisher(TabulatedParams),
    Grasp(TabulatedParams),
    JacobCov(TabulatedParams),
    Nwot(TabulatedParams),
    EpeNas(TabulatedParams),
    Zen(TabulatedParams),
    L2Norm(TabulatedParams),
    Plain(TabulatedParams),
    Gradsign(TabulatedParams),
    Ridge(RidgeParams),
    Knn(KnnParams),
    RandomForest(RandomForestParams),
    Gbdt(GbdtParams),
    GaussianProcess(GaussianProcessParams),
    Mlp(MlpParams),
    Gcn(GcnParams),
    Bananas(BananasParams),
}

/// Every estimator name a protocol may use.
pub const ESTIMATOR_NAMES: &[&str] = &[
    "params",
    "latency",
    "flops",
    "synflow",
    "snip",
    "grad_norm",
    "fisher",
    "grasp",
    "jacob_cov",
    "nwot",
    "epe_nas",
    "zen",
    "l2_norm",
    "plain",
    "gradsign",
    "ridge",
    "knn",
    "random_forest",
    "gbdt",
    "gaussian_process",
    "mlp",
    "gcn",
    "bananas",
];

/// The estimators that read a per-architecture property: the tabulated ones and the
/// zero-cost proxies (whose scores the runner computes beforehand).
macro_rules! tabulated {
    ($p:pat) => {
        EstimatorSpec::Params($p)
            | EstimatorSpec::Latency($p)
            | EstimatorSpec::Flops($p)
            | EstimatorSpec::Synflow($p)
            | EstimatorSpec::Snip($p)
            | EstimatorSpec::GradNorm($p)
            | EstimatorSpec::Fisher($p)
            | EstimatorSpec::Grasp($p)
            | EstimatorSpec::JacobCov($p)
            | EstimatorSpec::Nwot($p)
            | EstimatorSpec::EpeNas($p)
            | EstimatorSpec::Zen($p)
            | EstimatorSpec::L2Norm($p)
            | EstimatorSpec::Plain($p)
            | EstimatorSpec::Gradsign($p)
    };
}

impl EstimatorSpec {
    pub fn name(&self) -> &'static str {
        match self {
            EstimatorSpec::Params(_) => "params",
            EstimatorSpec::Latency(_) => "latency",
            EstimatorSpec::Flops(_) => "flops",
            EstimatorSpec::Synflow(_) => "synflow",
            EstimatorSpec::Snip(_) => "snip",
            EstimatorSpec::GradNorm(_) => "grad_norm",
            EstimatorSpec::Fisher(_) => "fisher",
            EstimatorSpec::Grasp(_) => "grasp",
            EstimatorSpec::JacobCov(_) => "jacob_cov",
            EstimatorSpec::Nwot(_) => "nwot",
            EstimatorSpec::EpeNas(_) => "epe_nas",
            EstimatorSpec::Zen(_) => "zen",
            EstimatorSpec::L2Norm(_) => "l2_norm",
            EstimatorSpec::Plain(_) => "plain",
            EstimatorSpec::Gradsign(_) => "gradsign",
            EstimatorSpec::Ridge(_) => "ridge",
            EstimatorSpec::Knn(_) => "knn",
            EstimatorSpec::RandomForest(_) => "random_forest",
            EstimatorSpec::Gbdt(_) => "gbdt",
            EstimatorSpec::GaussianProcess(_) => "gaussian_process",
            EstimatorSpec::Mlp(_) => "mlp",
            EstimatorSpec::Gcn(_) => "gcn",
            EstimatorSpec::Bananas(_) => "bananas",
        }
    }

    /// The id results are recorded under: the `id` parameter, else the estimator's name.
    pub fn id(&self) -> &str {
        let id = match self {
            tabulated!(p) => &p.id,
            EstimatorSpec::Ridge(p) => &p.id,
            EstimatorSpec::Knn(p) => &p.id,
            EstimatorSpec::RandomForest(p) => &p.id,
            EstimatorSpec::Gbdt(p) => &p.id,
            EstimatorSpec::GaussianProcess(p) => &p.id,
            EstimatorSpec::Mlp(p) => &p.id,
            EstimatorSpec::Gcn(p) => &p.id,
            EstimatorSpec::Bananas(p) => &p.id,
        };
        id.as_deref().unwrap_or(self.name())
    }

    /// The zero-cost proxy this estimator reads, if it is one.
    pub fn proxy(&self) -> Option<Proxy> {
        Proxy::ALL.into_iter().find(|p| p.name() == self.name())
    }

    /// Whether the estimator builds burn networks (neural predictors, zero-cost proxies),
    /// whose float results depend on the CPU.
    pub fn builds_networks(&self) -> bool {
        self.proxy().is_some()
            || matches!(
                self,
                EstimatorSpec::Mlp(_) | EstimatorSpec::Gcn(_) | EstimatorSpec::Bananas(_)
            )
    }

    /// The k of a nearest-neighbour estimator, which no training set may be smaller than.
    pub fn neighbours(&self) -> Option<usize> {
        match self {
            EstimatorSpec::Knn(p) => Some(p.k),
            _ => None,
        }
    }

    /// Whether the estimator is fitted on labelled architectures (and so runs once per
    /// training-set size).
    pub fn learns(&self) -> bool {
        !matches!(self, tabulated!(_))
    }

    fn encoding(&self) -> Option<Encoding> {
        match self {
            tabulated!(_) => None,
            EstimatorSpec::Ridge(p) => Some(p.encoding),
            EstimatorSpec::Knn(p) => Some(p.encoding),
            EstimatorSpec::RandomForest(p) => Some(p.encoding),
            EstimatorSpec::Gbdt(p) => Some(p.encoding),
            EstimatorSpec::GaussianProcess(p) => Some(p.encoding),
            EstimatorSpec::Mlp(p) => Some(p.encoding),
            EstimatorSpec::Gcn(_) => None,
            EstimatorSpec::Bananas(p) => Some(p.encoding),
        }
    }

    /// Checks parameter values and that the space and benchmark provide what the estimator
    /// reads (`properties`: the property names available).
    pub fn validate(&self, space: &dyn SearchSpace, properties: &[&str]) -> Result<(), String> {
        if let Some(encoding) = self.encoding()
            && space.encode(0, encoding).is_none()
        {
            return Err(format!(
                "encoding '{}' is not defined for the {} space; use onehot",
                encoding.name(),
                space.name()
            ));
        }
        match self {
            tabulated!(_) if self.proxy().is_some() => {
                if space.name() != "nb201" {
                    return Err(format!(
                        "zero-cost proxies build NB201 networks; the {} space has none",
                        space.name()
                    ));
                }
                Ok(())
            }
            tabulated!(_) => {
                if !properties.contains(&self.name()) {
                    return Err(format!(
                        "this benchmark has no '{}' for its architectures; available: {}",
                        self.name(),
                        properties.join(", ")
                    ));
                }
                Ok(())
            }
            EstimatorSpec::Ridge(p) => p.validate(),
            EstimatorSpec::Knn(p) => p.validate(),
            EstimatorSpec::RandomForest(p) => p.validate(),
            EstimatorSpec::Gbdt(p) => p.validate(),
            EstimatorSpec::GaussianProcess(p) => p.validate(),
            EstimatorSpec::Mlp(p) => p.validate(),
            EstimatorSpec::Gcn(p) => p.validate(space),
            EstimatorSpec::Bananas(p) => p.validate(),
        }
    }

    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Estimator + 'a> {
        match self {
            tabulated!(_) => Box::new(tabulated::Tabulated::new(ctx, self.name())),
            EstimatorSpec::Ridge(p) => Box::new(p.build(ctx)),
            EstimatorSpec::Knn(p) => Box::new(p.build(ctx)),
            EstimatorSpec::RandomForest(p) => Box::new(p.build(ctx)),
            EstimatorSpec::Gbdt(p) => Box::new(p.build(ctx)),
            EstimatorSpec::GaussianProcess(p) => Box::new(p.build(ctx)),
            EstimatorSpec::Mlp(p) => Box::new(p.build(ctx)),
            EstimatorSpec::Gcn(p) => Box::new(p.build(ctx)),
            EstimatorSpec::Bananas(p) => Box::new(p.build(ctx)),
        }
    }
}

fn default_encoding() -> Encoding {
    Encoding::Onehot
}

/// The feature rows of `archs` (validated encodings never fail).
fn features(space: &dyn SearchSpace, archs: &[ArchId], encoding: Encoding) -> Vec<Vec<f64>> {
    archs
        .iter()
        .map(|&a| {
            space
                .encode(a, encoding)
                .expect("encoding validated with the protocol")
        })
        .collect()
}

/// Labels shifted and scaled to mean 0 and standard deviation 1 (unchanged scale when they
/// are constant); rank-based scores do not depend on it, learners' defaults do.
pub(crate) fn standardize(labels: &[f64]) -> Vec<f64> {
    let n = labels.len() as f64;
    let mean = labels.iter().sum::<f64>() / n;
    let sd = (labels.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let sd = if sd > 0.0 { sd } else { 1.0 };
    labels.iter().map(|v| (v - mean) / sd).collect()
}

fn check_fitted<T>(model: &Option<T>) -> Result<&T, String> {
    model
        .as_ref()
        .ok_or_else(|| "score called before fit".to_string())
}

#[cfg(test)]
pub(crate) mod testing {
    //! A synthetic learning problem on the NB201 space with a known ranking.
    use super::*;
    use datasets::space::Nb201Space;

    /// An additive objective over the one-hot encoding: each edge's op contributes a fixed
    /// amount, so a good learner recovers the ranking almost exactly.
    pub fn additive(arch: ArchId) -> f64 {
        let weights = [0.0, 1.0, 2.0, 3.0, 0.5];
        Nb201Space::ops(arch)
            .iter()
            .enumerate()
            .map(|(e, &op)| weights[op as usize] * (1.0 + e as f64 / 10.0))
            .sum()
    }

    /// Fits on `n_train` random archs and returns Spearman's rho on 500 others.
    pub fn rank_quality(spec: &EstimatorSpec, n_train: usize) -> f64 {
        let space = Nb201Space::new();
        let ctx = MethodContext::of_space(&space);
        let mut rng = datasets::rng::from_seed([4; 32]);
        let mut archs: Vec<ArchId> = (0..15_625).collect();
        datasets::rng::shuffle(&mut rng, &mut archs);
        let (train, test) = (&archs[..n_train], &archs[n_train..n_train + 500]);
        let labels: Vec<f64> = train.iter().map(|&a| additive(a)).collect();
        let mut est = spec.build(&ctx);
        est.fit(train, &labels, &mut rng).unwrap();
        let scores = est.score(test).unwrap();
        let truth: Vec<f64> = test.iter().map(|&a| additive(a)).collect();
        reports::rank::spearman(&scores, &truth).value
    }
}
