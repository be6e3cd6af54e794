//! ProxylessNAS' binary gates (Cai, Zhu & Han, "ProxylessNAS: Direct Neural Architecture
//! Search on Target Task and Hardware", ICLR 2019) on the NB201 supernet, the gradient-based
//! variant.
//!
//! Variant: at every pass each edge's binary gate g = one_hot(k), k ~ softmax(α), selects one
//! path. The weights train along it by SGD on a training batch. For α, on a validation batch,
//! the gates are leaves multiplying every candidate's output, so ∂L/∂g_j = ⟨∂L/∂out, o_j⟩ is
//! exact for all five candidates, and α's gradient is the paper's eq. 4,
//! ∂L/∂α_i = Σ_j ∂L/∂g_j · p_j (δ_ij − p_i), taken by Adam. The paper computes only two
//! sampled paths in that step to save GPU memory; on a CPU memory is not the limit, so nash
//! computes all five. No latency loss (NB201 tabulates whole-network latency, not the
//! per-operation table the paper's loss needs). The architecture found is each edge's largest
//! α, `none` included.

use datasets::ArchId;
use datasets::rng::TrialRng;
use serde::{Deserialize, Serialize};

use super::{SearchMethod, Searcher};
use crate::MethodContext;
use crate::registry::Card;
use crate::snapshots::Snapshots;
use crate::supernet::{
    self, BiLevel, EDGES, Mix, OPS, SearchData, SupernetMethod, SupernetSettings, WEIGHT_SHARING,
    Want, arch_gradient, argmax_architecture, drawn_architecture, one_hot, softmax_policy,
};
use datasets::space::Nb201Space;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxylessNasParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default)]
    pub supernet: SupernetSettings,
}

impl SearchMethod for ProxylessNasParams {
    const CARD: Card = Card {
        name: "proxylessnas",
        summary: "ProxylessNAS (Cai et al., ICLR 2019): binary gates, gradient of eq. 4, no latency term",
        capabilities: WEIGHT_SHARING,
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        self.supernet.validate()
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        supernet::searcher(self, ctx)
    }
}

/// α's gradient from the gates' (eq. 4): ∂L/∂α_i = Σ_j ∂L/∂g_j · p_j (δ_ij − p_i), per edge.
pub fn alpha_gradient(gate_grads: &[f32], policy: &[Vec<f64>]) -> Vec<f32> {
    let mut grad = vec![0.0f32; EDGES * OPS];
    for (e, p) in policy.iter().enumerate() {
        for i in 0..OPS {
            let sum: f64 = (0..OPS)
                .map(|j| {
                    let delta = if i == j { 1.0 } else { 0.0 };
                    f64::from(gate_grads[e * OPS + j]) * p[j] * (delta - p[i])
                })
                .sum();
            grad[e * OPS + i] = sum as f32;
        }
    }
    grad
}

impl SupernetMethod for ProxylessNasParams {
    fn settings(&self) -> &SupernetSettings {
        &self.supernet
    }

    fn search(&self, data: &SearchData, snapshots: &mut Snapshots, rng: &mut TrialRng) -> ArchId {
        let mut search = BiLevel::new(&self.supernet, data, rng);
        let device = search.trainer.net.device().clone();
        search.train((data, snapshots), rng, |b, step, rng| {
            let policy = softmax_policy(&b.alphas);
            let path = drawn_architecture(&policy, rng);
            b.trainer
                .step(&Mix::path(path, &device), &data.train, step.train);
            let gates = one_hot(&Nb201Space::ops(drawn_architecture(&policy, rng)));
            let net = &b.trainer.net;
            let valid = (&data.valid, step.valid);
            let gates = (gates.as_slice(), Mix::weighted);
            let (gate_grads, _) =
                arch_gradient(net, &net.weights, gates, valid, Want::Architecture);
            b.update_alphas(&alpha_gradient(&gate_grads, &policy));
        });
        argmax_architecture(&search.alphas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supernet::tests::{assert_reproducible_and_resumable, tiny};

    #[test]
    fn eq_4_is_the_softmax_jacobian_applied_to_the_gate_gradients() {
        // With gate gradients c, eq. 4 is J(p)ᵀ c for the softmax Jacobian J = diag(p) − ppᵀ:
        // it sums to zero over each edge and, for c = e_k, gives p_k (δ_ik − p_i).
        let policy = softmax_policy(&[0.3, -0.2, 0.5, 0.0, 1.0].repeat(EDGES));
        let mut c = vec![0.0f32; EDGES * OPS];
        c[2] = 1.0;
        let g = alpha_gradient(&c, &policy);
        let p = &policy[0];
        for i in 0..OPS {
            let expected = p[2] * (if i == 2 { 1.0 } else { 0.0 } - p[i]);
            assert!((f64::from(g[i]) - expected).abs() < 1e-6, "{i}");
        }
        assert!(g[..OPS].iter().sum::<f32>().abs() < 1e-6);
        assert!(g[OPS..].iter().all(|&x| x == 0.0));
    }

    #[test]
    fn a_search_is_reproducible_and_resumes_after_a_kill() {
        let (mut settings, _) = tiny();
        settings.epochs = 2;
        let params = ProxylessNasParams {
            id: None,
            supernet: settings,
        };
        assert_reproducible_and_resumable(&params, 13);
    }
}
