//! Random forest regression (Breiman, Machine Learning 2001) on an architecture encoding, one
//! of the strongest tree-based predictors in White et al. (NeurIPS 2021).
//!
//! Variant: smartcore's `RandomForestRegressor`: `trees` CART regression trees, each on a
//! bootstrap sample, choosing each split among `max_features` random features (default: a
//! third of them, the regression default of Breiman's reference implementation); the seed
//! comes from the trial's generator.

use datasets::rng::TrialRng;
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use rand_core::Rng;
use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;

use super::knn::matrix;
use super::{Estimator, MethodContext, check_fitted, default_encoding, features};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomForestParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_encoding")]
    pub encoding: Encoding,
    #[serde(default = "default_trees")]
    pub trees: usize,
    /// Features considered per split (default: a third of the encoding's length).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_features: Option<usize>,
    #[serde(default = "default_min_samples_leaf")]
    pub min_samples_leaf: usize,
}

fn default_trees() -> usize {
    100
}

fn default_min_samples_leaf() -> usize {
    1
}

impl RandomForestParams {
    pub fn validate(&self) -> Result<(), String> {
        if self.trees == 0 || self.min_samples_leaf == 0 || self.max_features == Some(0) {
            return Err("trees, max_features and min_samples_leaf must be at least 1".into());
        }
        Ok(())
    }

    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> RandomForest<'a> {
        RandomForest {
            space: ctx.space,
            params: self.clone(),
            model: None,
        }
    }
}

type Model = RandomForestRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;

pub struct RandomForest<'a> {
    space: &'a dyn SearchSpace,
    params: RandomForestParams,
    model: Option<Model>,
}

impl Estimator for RandomForest<'_> {
    fn fit(&mut self, archs: &[ArchId], labels: &[f64], rng: &mut TrialRng) -> Result<(), String> {
        let rows = features(self.space, archs, self.params.encoding);
        let d = rows[0].len();
        let m = self.params.max_features.unwrap_or((d / 3).max(1)).min(d);
        let params = RandomForestRegressorParameters::default()
            .with_n_trees(self.params.trees)
            .with_m(m)
            .with_min_samples_leaf(self.params.min_samples_leaf)
            .with_seed(rng.next_u64());
        let fitted = RandomForestRegressor::fit(&matrix(&rows)?, &labels.to_vec(), params);
        self.model = Some(fitted.map_err(|e| e.to_string())?);
        Ok(())
    }

    fn score(&mut self, archs: &[ArchId]) -> Result<Vec<f64>, String> {
        let m = check_fitted(&self.model)?;
        m.predict(&matrix(&features(self.space, archs, self.params.encoding))?)
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
        let spec = EstimatorSpec::RandomForest(RandomForestParams {
            id: None,
            encoding: Encoding::Onehot,
            trees: 50,
            max_features: None,
            min_samples_leaf: 1,
        });
        assert!(rank_quality(&spec, 500) > 0.8);
    }
}
