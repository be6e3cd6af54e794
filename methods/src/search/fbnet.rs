//! FBNet's Gumbel-softmax search (Wu, Dai, Zhang, Wang, Sun, Wu, Tian, Vajda, Jia & Keutzer,
//! "FBNet: Hardware-Aware Efficient ConvNet Design via Differentiable Neural Architecture
//! Search", CVPR 2019) on the NB201 supernet.
//!
//! Variant: every candidate's output is weighted by softmax((α + g) / τ) with fresh Gumbel
//! noise g at every pass (FBNet's eq. 5); τ = `tau` (5) · `tau_decay` (0.956)^epoch, FBNet's
//! schedule. The first `warmup_epochs` (1; FBNet: 10 of 90) train the weights alone; after
//! them, each step trains the weights by SGD on a training batch and α by Adam on a
//! validation batch (FBNet alternates per epoch). The loss is the cross-entropy alone:
//! FBNet's latency factor needs a per-operation latency table of the target device, and
//! NB201's tables hold whole-network latency. The architecture found is each edge's largest
//! α, `none` included.

use burn::tensor::Tensor;
use burn::tensor::activation::softmax;
use datasets::ArchId;
use datasets::rng::TrialRng;
use serde::{Deserialize, Serialize};

use super::{SearchMethod, Searcher};
use crate::MethodContext;
use crate::limits::{self, Interval};
use crate::registry::Card;
use crate::snapshots::Snapshots;
use crate::supernet::{
    self, BiLevel, Mix, SearchData, SupernetMethod, SupernetSettings, WEIGHT_SHARING, Want,
    arch_gradient, argmax_architecture, edge_table, gumbel_noise,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FbnetParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_tau")]
    pub tau: f64,
    #[serde(default = "default_tau_decay")]
    pub tau_decay: f64,
    #[serde(default = "default_warmup_epochs")]
    pub warmup_epochs: usize,
    #[serde(default)]
    pub supernet: SupernetSettings,
}

fn default_tau() -> f64 {
    5.0
}

fn default_tau_decay() -> f64 {
    0.956
}

fn default_warmup_epochs() -> usize {
    1
}

impl SearchMethod for FbnetParams {
    const CARD: Card = Card {
        name: "fbnet",
        summary: "FBNet (Wu et al., CVPR 2019): Gumbel-softmax weights, annealed τ, no latency term",
        capabilities: WEIGHT_SHARING,
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        self.supernet.validate()?;
        limits::real("tau", self.tau, Interval::AboveUpTo(0.0, 1e3))?;
        limits::real("tau_decay", self.tau_decay, Interval::AboveUpTo(0.0, 1.0))?;
        // At least one epoch must train α, or the result is the argmax of its initial noise.
        limits::count(
            "warmup_epochs",
            self.warmup_epochs,
            0,
            self.supernet.epochs - 1,
        )
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        supernet::searcher(self, ctx)
    }
}

impl SupernetMethod for FbnetParams {
    fn settings(&self) -> &SupernetSettings {
        &self.supernet
    }

    fn search(&self, data: &SearchData, snapshots: &mut Snapshots, rng: &mut TrialRng) -> ArchId {
        let mut search = BiLevel::new(&self.supernet, data, rng);
        let device = search.trainer.net.device().clone();
        search.train((data, snapshots), rng, |b, step, rng| {
            let tau = self.tau * libm::pow(self.tau_decay, step.epoch as f64);
            let gumbel_softmax = |a: Tensor<2>, rng: &mut TrialRng| {
                Mix::weighted(softmax((a + gumbel_noise(rng, &device)) / tau, 1))
            };
            let mix = gumbel_softmax(edge_table(&b.alphas, &device), rng);
            b.trainer.step(&mix, &data.train, step.train);
            if step.epoch < self.warmup_epochs {
                return;
            }
            let noise = gumbel_noise(rng, &device);
            let relax = |a: Tensor<2>| Mix::weighted(softmax((a + noise) / tau, 1));
            let net = &b.trainer.net;
            let valid = (&data.valid, step.valid);
            let alphas = (b.alphas.as_slice(), relax);
            let (grad, _) = arch_gradient(net, &net.weights, alphas, valid, Want::Architecture);
            b.update_alphas(&grad);
        });
        argmax_architecture(&search.alphas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supernet::tests::{assert_reproducible_and_resumable, tiny};

    #[test]
    fn a_search_is_reproducible_and_resumes_after_a_kill() {
        let (mut settings, _) = tiny();
        settings.epochs = 2;
        let params = FbnetParams {
            id: None,
            tau: 5.0,
            tau_decay: 0.956,
            warmup_epochs: 1,
            supernet: settings,
        };
        assert_reproducible_and_resumable(&params, 12);
    }
}
