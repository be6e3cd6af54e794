//! A multilayer perceptron predictor on an architecture encoding, the "MLP" of White et al.,
//! "How Powerful are Performance Predictors in Neural Architecture Search?" (NeurIPS 2021).
//!
//! Variant: `layers` hidden ReLU layers of `width` units and a linear output, trained on
//! standardized labels by Adam (learning rate `learning_rate`, batches of 32) to minimise the
//! mean squared error for `epochs` epochs. Built on burn's `flex` CPU backend, initialised from
//! the trial's generator.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use datasets::rng::TrialRng;
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::neural::{self, Training};
use super::{Estimator, MethodContext, default_encoding, features, standardize};
use crate::limits::{self, Interval};
use super::LearnedEstimator;
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
        summary: "a multilayer perceptron on an architecture encoding (burn)",
        capabilities: Capabilities {
            learns: true,
            networks: true,
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
            device: neural::device(),
            net: None,
        }
    }
}

/// ReLU layers then a linear output.
#[derive(Module, Debug)]
pub struct Net {
    hidden: Vec<Linear>,
    output: Linear,
}

impl Net {
    pub fn new(
        d_in: usize,
        layers: usize,
        width: usize,
        rng: &mut TrialRng,
        device: &Device,
    ) -> Net {
        let hidden = (0..layers)
            .map(|i| neural::linear(if i == 0 { d_in } else { width }, width, rng, device))
            .collect();
        Net {
            hidden,
            output: neural::linear(width, 1, rng, device),
        }
    }

    /// `[batch, d_in]` → `[batch]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<1> {
        let h = self
            .hidden
            .iter()
            .fold(x, |h, layer| relu(layer.forward(h)));
        self.output.forward(h).flatten(0, 1)
    }
}

/// Fits a fresh network to `x` (rows) and standardized `y`.
pub fn fit_net(
    x: &[Vec<f64>],
    y: &[f64],
    layers: usize,
    width: usize,
    training: Training,
    rng: &mut TrialRng,
    device: &Device,
) -> Net {
    let net = Net::new(x[0].len(), layers, width, rng, device);
    let all = neural::matrix(x, device);
    neural::train(net, y, training, rng, device, |net, batch| {
        let idx: Vec<i32> = batch.iter().map(|&i| i as i32).collect();
        let idx = Tensor::<1, burn::tensor::Int>::from_data(
            burn::tensor::TensorData::new(idx, [batch.len()]),
            device,
        );
        net.forward(all.clone().select(0, idx))
    })
}

pub struct Mlp<'a> {
    space: &'a dyn SearchSpace,
    params: MlpParams,
    device: Device,
    net: Option<Net>,
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
        let p = &self.params;
        self.net = Some(fit_net(
            &x,
            &standardize(labels),
            p.layers,
            p.width,
            training,
            rng,
            &self.device,
        ));
        Ok(())
    }

    fn score(&mut self, archs: &[ArchId]) -> Result<Vec<f64>, String> {
        let net = self.net.as_ref().ok_or("score called before fit")?;
        let x = neural::matrix(
            &features(self.space, archs, self.params.encoding),
            &self.device,
        );
        Ok(neural::values(net.forward(x)))
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
