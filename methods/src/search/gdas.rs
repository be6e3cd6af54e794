//! GDAS (Dong & Yang, "Searching for A Robust Neural Architecture in Four GPU Hours", CVPR
//! 2019) on the NB201 supernet, as the NB201 paper runs it.
//!
//! Variant: at every forward pass each edge draws one operation by the Gumbel-max trick on
//! log softmax(α) at temperature τ, and only that operation runs; its output is multiplied by
//! the straight-through weight h = one_hot − sg(p) + p (value 1, gradient of p =
//! softmax((log softmax(α) + g) / τ)), and the other entries of h (value 0) are added to the
//! edge's output so that their gradient reaches α too, as NB201's `forward_gdas` does. τ falls
//! linearly from `tau_max` (10) to `tau_min` (0.1) over the epochs. Each step updates the
//! weights by SGD on a training batch, then α by Adam on a validation batch, each pass
//! drawing its own paths (NB201's order). The architecture derived is each edge's largest α,
//! `none` included.

use burn::tensor::Tensor;
use burn::tensor::activation::{log_softmax, softmax};
use datasets::ArchId;
use datasets::rng::TrialRng;
use serde::{Deserialize, Serialize};

use super::{SearchMethod, Searcher};
use crate::MethodContext;
use crate::registry::Card;
use crate::snapshots::Snapshots;
use crate::supernet::{
    self, BiLevel, EDGES, Mix, OPS, SearchData, SupernetMethod, SupernetSettings, WEIGHT_SHARING,
    Want, arch_gradient, argmax, argmax_architecture, edge_table, edge_weight, floats,
    gumbel_noise, one_hot,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GdasParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "tau_max")]
    pub tau_max: f64,
    #[serde(default = "tau_min")]
    pub tau_min: f64,
    #[serde(default)]
    pub supernet: SupernetSettings,
}

fn tau_max() -> f64 {
    10.0
}

fn tau_min() -> f64 {
    0.1
}

impl SearchMethod for GdasParams {
    const CARD: Card = Card {
        name: "gdas",
        summary: "GDAS (Dong & Yang, CVPR 2019): one Gumbel-sampled path per edge and pass",
        capabilities: WEIGHT_SHARING,
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        if !(self.tau_min > 0.0 && self.tau_min <= self.tau_max && self.tau_max.is_finite()) {
            return Err(format!(
                "tau_min and tau_max must satisfy 0 < tau_min ≤ tau_max, not {} and {}",
                self.tau_min, self.tau_max
            ));
        }
        self.supernet.validate()
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        supernet::searcher(self, ctx)
    }
}

/// One Gumbel draw of a path from `alphas` (a tensor, possibly a leaf) at temperature `tau`:
/// the mix that runs each edge's drawn operation with its straight-through weight, and the
/// operations drawn.
pub fn gumbel_mix(alphas: Tensor<2>, tau: f64, rng: &mut TrialRng) -> (Mix, [usize; EDGES]) {
    let device = alphas.device();
    let noise = gumbel_noise(rng, &device);
    let probs = softmax((log_softmax(alphas, 1) + noise) / tau, 1);
    let values = floats(probs.clone());
    let drawn: [usize; EDGES] = std::array::from_fn(|e| argmax(&values[e * OPS..(e + 1) * OPS]));
    let ops = drawn.map(|op| op as u8);
    let hard = probs.clone() - probs.detach() + edge_table(&one_hot(&ops), &device);
    let mix = Mix {
        edges: (0..EDGES)
            .map(|e| vec![(drawn[e], edge_weight(&hard, e, drawn[e]))])
            .collect(),
        constants: (0..EDGES)
            .map(|e| {
                (0..OPS)
                    .filter(|&op| op != drawn[e])
                    .map(|op| edge_weight(&hard, e, op))
                    .collect()
            })
            .collect(),
    };
    (mix, drawn)
}

impl SupernetMethod for GdasParams {
    fn settings(&self) -> &SupernetSettings {
        &self.supernet
    }

    fn search(&self, data: &SearchData, snapshots: &mut Snapshots, rng: &mut TrialRng) -> ArchId {
        let s = &self.supernet;
        let mut search = BiLevel::new(s, data, rng);
        let device = search.trainer.net.device().clone();
        search.train((data, snapshots), rng, |b, step, rng| {
            let progress = step.epoch as f64 / (s.epochs.max(2) - 1) as f64;
            let tau = self.tau_max - (self.tau_max - self.tau_min) * progress;
            let (mix, _) = gumbel_mix(edge_table(&b.alphas, &device), tau, rng);
            b.trainer.step(&mix, &data.train, step.train);
            let net = &b.trainer.net;
            let alphas = (b.alphas.as_slice(), |a| gumbel_mix(a, tau, rng).0);
            let valid = (&data.valid, step.valid);
            let (grad, _) = arch_gradient(net, &net.weights, alphas, valid, Want::Architecture);
            b.update_alphas(&grad);
        });
        argmax_architecture(&search.alphas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::neural;
    use crate::supernet::tests::{assert_reproducible_and_resumable, tiny};
    use crate::supernet::{Supernet, edge_leaf};
    use datasets::rng;

    #[test]
    fn each_pass_runs_one_path_and_draws_follow_alpha() {
        let device = neural::device();
        let mut rng = rng::from_seed([6; 32]);
        // Edge e strongly prefers operation e % 5.
        let mut alphas = vec![0.0f32; EDGES * OPS];
        for e in 0..EDGES {
            alphas[e * OPS + e % OPS] = 4.0;
        }
        let mut agree = 0;
        for _ in 0..200 {
            let a = edge_leaf(&alphas, &device);
            let (mix, drawn) = gumbel_mix(a, 1.0, &mut rng);
            for (e, &op) in drawn.iter().enumerate() {
                assert_eq!(mix.edges[e].len(), 1, "one operation runs per edge");
                assert_eq!(mix.edges[e][0].0, op);
                let weight = floats(mix.edges[e][0].1.clone());
                assert!((weight[0] - 1.0).abs() < 1e-6, "straight-through value 1");
                assert_eq!(mix.constants[e].len(), OPS - 1);
                agree += usize::from(op == e % OPS);
            }
        }
        // softmax([4, 0, 0, 0, 0]) puts 0.93 on the preferred operation.
        let share = agree as f64 / (200 * EDGES) as f64;
        assert!((share - 0.932).abs() < 0.03, "share {share}");
    }

    #[test]
    fn the_straight_through_gradient_reaches_every_alpha() {
        let device = neural::device();
        let (settings, data) = tiny();
        let mut rng = rng::from_seed([7; 32]);
        let net = Supernet::new(&settings, data.classes, &mut rng, &device);
        let a = edge_leaf(&[0.1; EDGES * OPS], &device);
        let (mix, _) = gumbel_mix(a.clone(), 1.0, &mut rng);
        let batch: Vec<usize> = (0..4).collect();
        let r = net.pass(&net.weights, &mix, &data.valid, &batch, Want::Architecture);
        let grad = a.grad(r.grads.as_ref().unwrap()).map(floats).unwrap();
        assert_eq!(grad.len(), EDGES * OPS);
        assert!(grad.iter().filter(|g| g.abs() > 0.0).count() >= EDGES * (OPS - 1));
    }

    #[test]
    fn a_search_is_reproducible_and_resumes_after_a_kill() {
        let (mut settings, _) = tiny();
        settings.epochs = 2;
        let params = GdasParams {
            id: None,
            tau_max: 10.0,
            tau_min: 0.1,
            supernet: settings,
        };
        assert_reproducible_and_resumable(&params, 8);
    }
}
