//! k-nearest-neighbours regression on an architecture encoding, one of the predictors
//! compared by White et al., "How Powerful are Performance Predictors in Neural Architecture
//! Search?" (NeurIPS 2021).
//!
//! Variant: smartcore's `KNNRegressor` (Euclidean distance, uniform weights, exact search),
//! predicting the mean label of the `k` nearest training architectures; k is capped at the
//! training-set size.

use datasets::rng::TrialRng;
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::metrics::distance::euclidian::Euclidian;
use smartcore::neighbors::knn_regressor::{KNNRegressor, KNNRegressorParameters};

use super::LearnedEstimator;
use super::{Estimator, MethodContext, check_fitted, default_encoding, features};
use crate::limits;
use crate::registry::{Capabilities, Card};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnnParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_encoding")]
    pub encoding: Encoding,
    #[serde(default = "default_k")]
    pub k: usize,
}

fn default_k() -> usize {
    10
}

impl LearnedEstimator for KnnParams {
    const CARD: Card = Card {
        name: "knn",
        summary: "k nearest neighbours (smartcore), mean of their labels",
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
        limits::count("k", self.k, 1, limits::MAX_ARCHS)
    }

    fn neighbours(&self) -> Option<usize> {
        Some(self.k)
    }

    fn estimator<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Estimator + 'a> {
        Box::new(self.build(ctx))
    }
}

impl KnnParams {
    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> Knn<'a> {
        Knn {
            space: ctx.space,
            encoding: self.encoding,
            k: self.k,
            model: None,
        }
    }
}

type Model = KNNRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>, Euclidian<f64>>;

pub struct Knn<'a> {
    space: &'a dyn SearchSpace,
    encoding: Encoding,
    k: usize,
    model: Option<Model>,
}

pub(super) fn matrix(rows: &[Vec<f64>]) -> Result<DenseMatrix<f64>, String> {
    DenseMatrix::from_2d_vec(&rows.to_vec()).map_err(|e| e.to_string())
}

impl Estimator for Knn<'_> {
    fn fit(&mut self, archs: &[ArchId], labels: &[f64], _rng: &mut TrialRng) -> Result<(), String> {
        let x = matrix(&features(self.space, archs, self.encoding))?;
        if self.k > archs.len() {
            return Err(format!(
                "k = {} neighbours, but only {} training architectures",
                self.k,
                archs.len()
            ));
        }
        let params = KNNRegressorParameters::default().with_k(self.k);
        self.model =
            Some(KNNRegressor::fit(&x, &labels.to_vec(), params).map_err(|e| e.to_string())?);
        Ok(())
    }

    fn score(&mut self, archs: &[ArchId]) -> Result<Vec<f64>, String> {
        let m = check_fitted(&self.model)?;
        m.predict(&matrix(&features(self.space, archs, self.encoding))?)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::EstimatorSpec;
    use crate::estimate::testing::rank_quality;

    #[test]
    fn learns_an_additive_objective() {
        let spec = EstimatorSpec::Knn(KnnParams {
            id: None,
            encoding: Encoding::Onehot,
            k: 5,
        });
        assert!(rank_quality(&spec, 1000) > 0.6);
    }

    #[test]
    fn more_neighbours_than_training_architectures_is_an_error() {
        let space = datasets::space::Nb201Space::new();
        let ctx = MethodContext::of_space(&space);
        let spec = EstimatorSpec::Knn(KnnParams {
            id: None,
            encoding: Encoding::Onehot,
            k: 5,
        });
        let mut knn = spec.build(&ctx);
        let mut rng = datasets::rng::from_seed([1; 32]);
        let e = knn.fit(&[1, 2, 3], &[0.0, 1.0, 2.0], &mut rng).unwrap_err();
        assert_eq!(e, "k = 5 neighbours, but only 3 training architectures");
    }
}
