//! A multilayer perceptron predictor on an architecture encoding, the "MLP" of White et al.,
//! "How Powerful are Performance Predictors in Neural Architecture Search?" (NeurIPS 2021).
//!
//! Variant: `layers` hidden ReLU layers of `width` units and a linear output, trained on
//! standardized labels by Adam (learning rate `learning_rate`, batches of 32) to minimise the
//! mean squared error for `epochs` epochs. The network is written out (`dense.rs`), initialised
//! from the trial's generator.

use datasets::rng::TrialRng;
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::LearnedEstimator;
use super::dense::DenseNet;
use super::neural::Training;
use super::{Estimator, MethodContext, default_encoding, features, standardize};
use crate::limits::{self, Interval};
use crate::registry::{Capabilities, Card};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_encoding")]
    pub encoding: Encoding,
    #[serde(default = "default_layers")]
    pub layers: usize,
    #[serde(default = "default_width")]
    pub width: usize,
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    #[serde(default = "default_learning_rate")]
    pub learning_rate: f64,
}

fn default_layers() -> usize {
    3
}

fn default_width() -> usize {
    64
}

fn default_epochs() -> usize {
    200
}

fn default_learning_rate() -> f64 {
    1e-3
}

impl LearnedEstimator for MlpParams {
    const CARD: Card = Card {
        name: "mlp",
        summary: "a multilayer perceptron on an architecture encoding",
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
        limits::count("layers", self.layers, 1, limits::MAX_LAYERS)?;
        limits::count("width", self.width, 1, limits::MAX_WIDTH)?;
        limits::count("epochs", self.epochs, 1, limits::MAX_EPOCHS)?;
        limits::real(
            "learning_rate",
            self.learning_rate,
            Interval::AboveUpTo(0.0, 10.0),
        )
    }

    fn estimator<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Estimator + 'a> {
        Box::new(self.build(ctx))
    }
}

impl MlpParams {
    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> Mlp<'a> {
        Mlp {
            space: ctx.space,
            params: self.clone(),
            net: None,
        }
    }
}

pub struct Mlp<'a> {
    space: &'a dyn SearchSpace,
    params: MlpParams,
    net: Option<DenseNet>,
}

impl Estimator for Mlp<'_> {
    fn fit(&mut self, archs: &[ArchId], labels: &[f64], rng: &mut TrialRng) -> Result<(), String> {
        let x = features(self.space, archs, self.params.encoding);
        let training = Training {
            epochs: self.params.epochs,
            batch_size: 32,
            learning_rate: self.params.learning_rate,
            l1: false,
        };
        let mut net = DenseNet::new(x[0].len(), self.params.layers, self.params.width, rng);
        net.train(&x, &standardize(labels), training, rng);
        self.net = Some(net);
        Ok(())
    }

    fn score(&mut self, archs: &[ArchId]) -> Result<Vec<f64>, String> {
        let net = self.net.as_ref().ok_or("score called before fit")?;
        Ok(net.predict(&features(self.space, archs, self.params.encoding)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::EstimatorSpec;
    use crate::estimate::testing::rank_quality;

    #[test]
    fn learns_an_additive_objective() {
        let spec = EstimatorSpec::Mlp(MlpParams {
            id: None,
            encoding: Encoding::Onehot,
            layers: 2,
            width: 32,
            epochs: 100,
            learning_rate: 1e-2,
        });
        assert!(rank_quality(&spec, 200) > 0.9);
    }
}
