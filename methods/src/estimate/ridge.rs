//! Ridge regression on an architecture encoding (Hoerl & Kennard 1970), the linear baseline
//! of White et al., "How Powerful are Performance Predictors in Neural Architecture Search?"
//! (NeurIPS 2021).
//!
//! Variant: features centred on the training mean, labels standardized, an intercept left
//! unpenalised; weights from the primal normal equations `w = (XᵀX + α I)⁻¹ Xᵀy` when there
//! are at least as many samples as features, else from the equivalent dual form
//! `w = Xᵀ (X Xᵀ + α I)⁻¹ y`. (smartcore's ridge refuses fewer samples than features, which
//! NAS training sets of 10–20 architectures always have, hence this implementation.)

use datasets::rng::TrialRng;
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::LearnedEstimator;
use super::{Estimator, MethodContext, check_fitted, default_encoding, features, standardize};
use crate::limits::{self, Interval};
use crate::linalg::{Cholesky, dot, gram};
use crate::registry::{Capabilities, Card};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RidgeParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_encoding")]
    pub encoding: Encoding,
    #[serde(default = "default_alpha")]
    pub alpha: f64,
}

fn default_alpha() -> f64 {
    1.0
}

impl LearnedEstimator for RidgeParams {
    const CARD: Card = Card {
        name: "ridge",
        summary: "ridge regression in its dual form (written here)",
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
        limits::real("alpha", self.alpha, Interval::AboveUpTo(0.0, 1e12))
    }

    fn estimator<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Estimator + 'a> {
        Box::new(self.build(ctx))
    }
}

impl RidgeParams {
    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> Ridge<'a> {
        Ridge {
            space: ctx.space,
            encoding: self.encoding,
            alpha: self.alpha,
            model: None,
        }
    }
}

struct Model {
    mean: Vec<f64>,
    weights: Vec<f64>,
}

pub struct Ridge<'a> {
    space: &'a dyn SearchSpace,
    encoding: Encoding,
    alpha: f64,
    model: Option<Model>,
}

/// Ridge weights of centred features `x` and labels `y`, by the dual (n × n) or the primal
/// (d × d) normal equations; both give the same weights.
fn solve(x: &[Vec<f64>], y: &[f64], alpha: f64, dual: bool) -> Result<Vec<f64>, String> {
    let d = x[0].len();
    if dual {
        // w = Xᵀ (XXᵀ + αI)⁻¹ y
        let n = x.len();
        let mut k = gram(x, dot);
        for i in 0..n {
            k[i * n + i] += alpha;
        }
        let a = Cholesky::new(&k, n)?.solve(y);
        Ok((0..d)
            .map(|j| x.iter().zip(&a).map(|(r, a)| r[j] * a).sum())
            .collect())
    } else {
        // (XᵀX + αI) w = Xᵀy
        let columns: Vec<Vec<f64>> = (0..d).map(|j| x.iter().map(|r| r[j]).collect()).collect();
        let mut a = gram(&columns, dot);
        for j in 0..d {
            a[j * d + j] += alpha;
        }
        let xty: Vec<f64> = columns.iter().map(|c| dot(c, y)).collect();
        Ok(Cholesky::new(&a, d)?.solve(&xty))
    }
}

impl Estimator for Ridge<'_> {
    fn fit(&mut self, archs: &[ArchId], labels: &[f64], _rng: &mut TrialRng) -> Result<(), String> {
        let mut x = features(self.space, archs, self.encoding);
        let d = x[0].len();
        let n = x.len() as f64;
        let mean: Vec<f64> = (0..d)
            .map(|j| x.iter().map(|r| r[j]).sum::<f64>() / n)
            .collect();
        for row in &mut x {
            for (v, m) in row.iter_mut().zip(&mean) {
                *v -= m;
            }
        }
        let weights = solve(&x, &standardize(labels), self.alpha, x.len() < d)?;
        self.model = Some(Model { mean, weights });
        Ok(())
    }

    fn score(&mut self, archs: &[ArchId]) -> Result<Vec<f64>, String> {
        let m = check_fitted(&self.model)?;
        Ok(features(self.space, archs, self.encoding)
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&m.mean)
                    .zip(&m.weights)
                    .map(|((v, mu), w)| (v - mu) * w)
                    .sum()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::EstimatorSpec;
    use crate::estimate::testing::rank_quality;

    #[test]
    fn recovers_an_additive_objective() {
        let spec = EstimatorSpec::Ridge(RidgeParams {
            id: None,
            encoding: Encoding::Onehot,
            alpha: 0.1,
        });
        // 10 samples for 30 features (dual form), 200 samples (primal form).
        assert!(rank_quality(&spec, 10) > 0.3);
        assert!(rank_quality(&spec, 200) > 0.99);
    }

    #[test]
    fn primal_and_dual_forms_agree() {
        let x: Vec<Vec<f64>> = (0..12)
            .map(|i| (0..5).map(|j| ((i * 7 + j * 3) % 5) as f64 - 2.0).collect())
            .collect();
        let y: Vec<f64> = (0..12).map(|i| (i as f64).sin()).collect();
        let primal = solve(&x, &y, 0.7, false).unwrap();
        let dual = solve(&x, &y, 0.7, true).unwrap();
        for (p, d) in primal.iter().zip(&dual) {
            assert!((p - d).abs() < 1e-9, "{primal:?} vs {dual:?}");
        }
    }
}
