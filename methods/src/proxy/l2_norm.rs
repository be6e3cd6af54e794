//! l2_norm (NAS-Bench-Suite-Zero; zero-cost-nas `l2_norm`): `Σ_l ‖θ_l‖₂`, the Euclidean norm
//! of each layer's weights at initialisation, summed over layers. Needs no input.

use super::network::Network;

pub fn score(net: &Network) -> f64 {
    net.weights()
        .iter()
        .map(|w| w.values().iter().map(|v| v * v).sum::<f64>().sqrt())
        .sum()
}
