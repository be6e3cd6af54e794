//! plain (Mozer & Smolensky 1989 via Abdelfattah et al., ICLR 2021): the signed first-order
//! saliency `Σ θ ⊙ ∂L/∂θ` for the cross-entropy of one batch.

use burn::tensor::Gradients;

use super::layer_sum;
use super::network::Network;

pub fn score(net: &Network, grads: &Gradients) -> f64 {
    layer_sum(net, grads, |w, g| w.iter().zip(g).map(|(w, g)| w * g).sum())
}
