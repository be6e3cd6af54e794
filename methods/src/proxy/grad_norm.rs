//! grad_norm (Abdelfattah et al., ICLR 2021): the Euclidean norm of each layer's gradient of
//! the cross-entropy of one batch, summed over layers, `Σ_l ‖∂L/∂θ_l‖₂`.

use burn::tensor::Gradients;

use super::layer_sum;
use super::network::Network;

pub fn score(net: &Network, grads: &Gradients) -> f64 {
    layer_sum(net, grads, |_, g| {
        g.iter().map(|g| g * g).sum::<f64>().sqrt()
    })
}
