//! SNIP (Lee, Ajanthan & Torr, "SNIP: Single-shot Network Pruning based on Connection
//! Sensitivity", ICLR 2019), summed as a NAS proxy by Abdelfattah et al. (ICLR 2021):
//! `Σ |∂L/∂c ⊙ c|` at c = 1 for a multiplicative mask c on every weight, which equals
//! `Σ |θ ⊙ ∂L/∂θ|` with L the cross-entropy of one batch.

use burn::tensor::Gradients;

use super::layer_sum;
use super::network::Network;

pub fn score(net: &Network, grads: &Gradients) -> f64 {
    layer_sum(net, grads, |w, g| {
        w.iter().zip(g).map(|(w, g)| (w * g).abs()).sum()
    })
}
