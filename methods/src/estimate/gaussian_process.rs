//! Gaussian-process regression (Rasmussen & Williams, "Gaussian Processes for Machine
//! Learning", 2006, Algorithm 2.1), as the GP predictor of White et al. (NeurIPS 2021).
//!
//! Variant: squared-exponential kernel `exp(−‖x − x'‖² / 2ℓ²)` on the encoding, unit signal
//! variance on standardized labels, Gaussian noise σ². ℓ is chosen among {½, 1, 2} × the
//! median pairwise distance of the training set and σ² among {10⁻³, 10⁻², 10⁻¹} by the log
//! marginal likelihood; the score is the posterior mean. Written here because the Rust GP
//! crates (friedrich) bring nalgebra for a 60-line Cholesky solve.

use datasets::rng::TrialRng;
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::LearnedEstimator;
use super::{Estimator, MethodContext, check_fitted, default_encoding, features, standardize};
use crate::linalg::{Cholesky, dot, gram};
use crate::registry::{Capabilities, Card};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GaussianProcessParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_encoding")]
    pub encoding: Encoding,
}

impl LearnedEstimator for GaussianProcessParams {
    const CARD: Card = Card {
        name: "gaussian_process",
        summary: "Gaussian process with an SE kernel, hyperparameters by marginal likelihood (written here)",
        capabilities: Capabilities {
            learns: true,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn encoding(&self) -> Option<Encoding> {
        Some(self.encoding)
    }

    fn validate(&self, _space: &dyn SearchSpace) -> Result<(), String> {
        Ok(())
    }

    fn estimator<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Estimator + 'a> {
        Box::new(self.build(ctx))
    }
}

impl GaussianProcessParams {
    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> GaussianProcess<'a> {
        GaussianProcess {
            space: ctx.space,
            encoding: self.encoding,
            model: None,
        }
    }
}

/// A fitted GP on feature rows: the estimator's model, and the surrogate of searches that
/// optimise over continuous vectors (RoBoT's proxy weights).
pub struct GpModel {
    train: Vec<Vec<f64>>,
    alpha: Vec<f64>,
    length: f64,
    noise: f64,
    chol: Cholesky,
}

pub struct GaussianProcess<'a> {
    space: &'a dyn SearchSpace,
    encoding: Encoding,
    model: Option<GpModel>,
}

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn median_distance(rows: &[Vec<f64>]) -> f64 {
    let mut d: Vec<f64> = (0..rows.len())
        .flat_map(|i| (0..i).map(move |j| (i, j)))
        .map(|(i, j)| sq_dist(&rows[i], &rows[j]).sqrt())
        .filter(|v| *v > 0.0)
        .collect();
    if d.is_empty() {
        return 1.0;
    }
    let mid = d.len() / 2;
    *d.select_nth_unstable_by(mid, f64::total_cmp).1
}

impl GpModel {
    /// Fits rows `x` to labels (standardized here), choosing the length scale and noise by
    /// the log marginal likelihood.
    pub fn fit(x: Vec<Vec<f64>>, labels: &[f64]) -> Result<GpModel, String> {
        let y = standardize(labels);
        let n = x.len();
        let median = median_distance(&x);
        let d2 = gram(&x, sq_dist);
        let mut best: Option<(f64, f64, f64, Vec<f64>, Cholesky)> = None;
        for scale in [0.5, 1.0, 2.0] {
            let length = scale * median;
            let kernel: Vec<f64> = d2
                .iter()
                .map(|v| libm::exp(-v / (2.0 * length * length)))
                .collect();
            for noise in [1e-3, 1e-2, 1e-1] {
                let mut k = kernel.clone();
                for i in 0..n {
                    k[i * n + i] += noise;
                }
                let Ok(chol) = Cholesky::new(&k, n) else {
                    continue;
                };
                let alpha = chol.solve(&y);
                // log p(y | X) = −½ yᵀα − ½ log|K| − n/2 log 2π
                let evidence = -0.5 * dot(&y, &alpha) - 0.5 * chol.log_det();
                if best.as_ref().is_none_or(|(e, ..)| evidence > *e) {
                    best = Some((evidence, length, noise, alpha, chol));
                }
            }
        }
        let (_, length, noise, alpha, chol) =
            best.ok_or("no kernel setting gave a positive-definite covariance")?;
        Ok(GpModel {
            train: x,
            alpha,
            length,
            noise,
            chol,
        })
    }

    /// Adds rows to the training set under the same length scale and noise (the kernel
    /// matrix is bordered, and its factor grows by the new rows: O(n²) each), and refits the
    /// weights to `labels`, the labels of all rows (standardized here).
    pub fn extend(&mut self, rows: Vec<Vec<f64>>, labels: &[f64]) -> Result<(), String> {
        let n = self.train.len();
        self.train.extend(rows);
        let two_l2 = 2.0 * self.length * self.length;
        let (train, noise) = (&self.train, self.noise);
        let grown = self.chol.extend(self.train.len() - n, |i, j| {
            let k = libm::exp(-sq_dist(&train[i], &train[j]) / two_l2);
            if i == j { k + noise } else { k }
        });
        if let Err(e) = grown {
            // Back to the rows the factor holds.
            self.train.truncate(self.chol.len());
            return Err(e);
        }
        self.alpha = self.chol.solve(&standardize(labels));
        Ok(())
    }

    /// Rows in the training set.
    pub fn len(&self) -> usize {
        self.train.len()
    }

    pub fn is_empty(&self) -> bool {
        self.train.is_empty()
    }

    /// The posterior mean and variance of the latent function at each row, in the units of
    /// the standardized labels (Rasmussen & Williams, eq. 2.25–2.26): `μ = k*ᵀα`,
    /// `σ² = 1 − k*ᵀ K⁻¹ k*`.
    pub fn posterior(&self, rows: &[Vec<f64>]) -> Vec<(f64, f64)> {
        let two_l2 = 2.0 * self.length * self.length;
        rows.iter()
            .map(|r| {
                let k: Vec<f64> = self
                    .train
                    .iter()
                    .map(|t| libm::exp(-sq_dist(r, t) / two_l2))
                    .collect();
                let mean = dot(&k, &self.alpha);
                // kᵀK⁻¹k = ‖L⁻¹k‖²: one triangular solve.
                let v = self.chol.forward(&k);
                let var = (1.0 - dot(&v, &v)).max(0.0);
                (mean, var)
            })
            .collect()
    }
}

impl GaussianProcess<'_> {
    /// [`GpModel::posterior`] at each architecture's encoding.
    pub fn posterior(&self, archs: &[ArchId]) -> Result<Vec<(f64, f64)>, String> {
        let m = check_fitted(&self.model)?;
        Ok(m.posterior(&features(self.space, archs, self.encoding)))
    }
}

impl Estimator for GaussianProcess<'_> {
    fn fit(&mut self, archs: &[ArchId], labels: &[f64], _rng: &mut TrialRng) -> Result<(), String> {
        let x = features(self.space, archs, self.encoding);
        self.model = Some(GpModel::fit(x, labels)?);
        Ok(())
    }

    fn score(&mut self, archs: &[ArchId]) -> Result<Vec<f64>, String> {
        Ok(self
            .posterior(archs)?
            .into_iter()
            .map(|(mean, _)| mean)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::EstimatorSpec;
    use crate::estimate::testing::rank_quality;

    #[test]
    fn learns_an_additive_objective() {
        let spec = EstimatorSpec::GaussianProcess(GaussianProcessParams {
            id: None,
            encoding: Encoding::Onehot,
        });
        assert!(rank_quality(&spec, 200) > 0.9);
    }

    #[test]
    fn the_posterior_is_certain_at_training_points_only() {
        let space = datasets::space::Nb201Space::new();
        let ctx = MethodContext::of_space(&space);
        let mut gp = GaussianProcessParams {
            id: None,
            encoding: Encoding::Onehot,
        }
        .build(&ctx);
        let archs: Vec<ArchId> = (0..40).map(|i| i * 389).collect();
        let labels: Vec<f64> = archs.iter().map(|&a| (a % 7) as f64).collect();
        gp.fit(&archs, &labels, &mut datasets::rng::from_seed([0; 32]))
            .unwrap();
        let at_train = gp.posterior(&archs[..5]).unwrap();
        let far = gp.posterior(&[15_624]).unwrap();
        assert!(at_train.iter().all(|(_, v)| *v < 0.2), "{at_train:?}");
        assert!(far[0].1 > at_train[0].1, "{far:?} vs {at_train:?}");
    }
}
