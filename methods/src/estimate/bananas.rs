//! The neural predictor of BANANAS (White, Neiswanger & Savani, "BANANAS: Bayesian
//! Optimization with Neural Architectures for Neural Architecture Search", AAAI 2021).
//!
//! Variant: an ensemble of `ensemble` (5) feedforward networks, each `layers` (10) ReLU
//! layers of `width` (20) units, trained independently from different initialisations and
//! batch orders with Adam (learning rate 0.01, batches of 32) on the mean absolute error for
//! `epochs` (200) epochs, on the path encoding by default — the paper's settings. The score is
//! the ensemble mean; the search-method issue uses its spread for independent Thompson
//! sampling. The networks are written out (`dense.rs`).

use datasets::rng::TrialRng;
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::LearnedEstimator;
use super::dense::DenseNet;
use super::neural::Training;
use super::{Estimator, MethodContext, features, standardize};
use crate::limits;
use crate::registry::{Capabilities, Card};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BananasParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "path_encoding")]
    pub encoding: Encoding,
    #[serde(default = "default_ensemble")]
    pub ensemble: usize,
    #[serde(default = "default_layers")]
    pub layers: usize,
    #[serde(default = "default_width")]
    pub width: usize,
    #[serde(default = "default_epochs")]
    pub epochs: usize,
}

fn path_encoding() -> Encoding {
    Encoding::Path
}

fn default_ensemble() -> usize {
    5
}

fn default_layers() -> usize {
    10
}

fn default_width() -> usize {
    20
}

fn default_epochs() -> usize {
    200
}

impl LearnedEstimator for BananasParams {
    const CARD: Card = Card {
        name: "bananas",
        summary: "BANANAS's predictor (White et al. 2021): an ensemble of MLPs on the path encoding",
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
        limits::count("ensemble", self.ensemble, 1, limits::MAX_ENSEMBLE)?;
        limits::count("layers", self.layers, 1, limits::MAX_LAYERS)?;
        limits::count("width", self.width, 1, limits::MAX_WIDTH)?;
        limits::count("epochs", self.epochs, 1, limits::MAX_EPOCHS)
    }

    fn estimator<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Estimator + 'a> {
        Box::new(self.build(ctx))
    }
}

impl BananasParams {
    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> Bananas<'a> {
        Bananas {
            space: ctx.space,
            params: self.clone(),
            nets: Vec::new(),
        }
    }
}

pub struct Bananas<'a> {
    space: &'a dyn SearchSpace,
    params: BananasParams,
    nets: Vec<DenseNet>,
}

impl Bananas<'_> {
    /// Each member's predictions, `[member][arch]`.
    pub fn predictions(&self, archs: &[ArchId]) -> Result<Vec<Vec<f64>>, String> {
        if self.nets.is_empty() {
            return Err("score called before fit".into());
        }
        let x = features(self.space, archs, self.params.encoding);
        Ok(self.nets.iter().map(|net| net.predict(&x)).collect())
    }
}

impl Estimator for Bananas<'_> {
    fn fit(&mut self, archs: &[ArchId], labels: &[f64], rng: &mut TrialRng) -> Result<(), String> {
        let x = features(self.space, archs, self.params.encoding);
        let y = standardize(labels);
        let training = Training {
            epochs: self.params.epochs,
            batch_size: 32,
            learning_rate: 0.01,
            l1: true,
        };
        let p = &self.params;
        self.nets = (0..p.ensemble)
            .map(|_| {
                let mut net = DenseNet::new(x[0].len(), p.layers, p.width, rng);
                net.train(&x, &y, training, rng);
                net
            })
            .collect();
        Ok(())
    }

    fn score(&mut self, archs: &[ArchId]) -> Result<Vec<f64>, String> {
        let members = self.predictions(archs)?;
        let n = members.len() as f64;
        Ok((0..archs.len())
            .map(|i| members.iter().map(|m| m[i]).sum::<f64>() / n)
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
        let spec = EstimatorSpec::Bananas(BananasParams {
            id: None,
            encoding: Encoding::Onehot,
            ensemble: 3,
            layers: 4,
            width: 20,
            epochs: 60,
        });
        assert!(rank_quality(&spec, 200) > 0.85);
    }
}
