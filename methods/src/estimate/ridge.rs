//! Ridge regression on an architecture encoding (Hoerl & Kennard 1970), the linear baseline
//! of White et al., "How Powerful are Performance Predictors in Neural Architecture Search?"
//! (NeurIPS 2021).
//!
//! Variant: features centred on the training mean, labels standardized, an intercept left
//! unpenalised, weights from the dual form `w = Xᵀ (X Xᵀ + α I)⁻¹ y`, which is exact for
//! any number of samples (smartcore's ridge refuses fewer samples than features, which
//! NAS training sets of 10–20 architectures always have, hence this implementation).

use datasets::rng::TrialRng;
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::linalg::{Cholesky, dot, gram};
use super::{EstimationContext, Estimator, check_fitted, default_encoding, features, standardize};

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

impl RidgeParams {
    pub fn validate(&self) -> Result<(), String> {
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(format!("alpha must be positive, got {}", self.alpha));
        }
        Ok(())
    }

    pub fn build<'a>(&self, ctx: &'a EstimationContext<'a>) -> Ridge<'a> {
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
        let y = standardize(labels);
        let mut k = gram(&x, dot);
        for i in 0..x.len() {
            k[i * x.len() + i] += self.alpha;
        }
        let dual = Cholesky::new(&k, x.len())?.solve(&y);
        let weights = (0..d)
            .map(|j| x.iter().zip(&dual).map(|(r, a)| r[j] * a).sum())
            .collect();
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
        // 10 samples for 30 features: the dual form still fits.
        assert!(rank_quality(&spec, 10) > 0.3);
        assert!(rank_quality(&spec, 200) > 0.99);
    }
}
