//! SynFlow (Tanaka, Kunin, Yamins & Ganguli, "Pruning neural networks without any data by
//! iteratively conserving synaptic flow", NeurIPS 2020), as a NAS proxy (Abdelfattah et al.,
//! ICLR 2021): take the network without BN, replace every parameter by its absolute value,
//! feed a single all-ones image and compute `R = Σ logits`; the score is `Σ |θ ⊙ ∂R/∂θ|`
//! over the conv and classifier weights.
//!
//! The reference runs in float64 because these products overflow float32 (scores reach 10³⁶
//! and more on NB201); burn's flex backend computes in float32, so when the unscaled score
//! overflows, the input and R are both scaled by 2⁻⁶⁴ (then 2⁻¹²⁶) and the score divided back
//! in float64. That is exact: without BN every layer is positively homogeneous, so ∂R/∂θ scales
//! linearly with the input and with the factor on R (the classifier bias only shifts R).

use burn::tensor::Tensor;

use super::layer_sum;
use super::network::{Network, Pass};

pub fn score(net: &Network) -> f64 {
    let mut abs = net.clone();
    abs.replace_weights(
        |_, w| w.into_iter().map(f64::abs).collect(),
        |b| b.into_iter().map(f64::abs).collect(),
    );
    [1.0, 2f64.powi(-64), 2f64.powi(-126)]
        .into_iter()
        .map(|scale| at_scale(&abs, scale))
        .find(|s| s.is_finite())
        .unwrap_or(f64::NAN)
}

/// The score of the absolute-valued network `abs` computed with an input of `scale` and R
/// multiplied by `scale`.
fn at_scale(abs: &Network, scale: f64) -> f64 {
    let size = abs.input_size();
    let ones = Tensor::<4>::full([1, 3, size, size], scale as f32, abs.device());
    let out = abs.forward(
        ones,
        Pass {
            no_bn: true,
            ..Pass::default()
        },
    );
    let grads = (out.logits.sum() * scale).backward();
    layer_sum(abs, &grads, |w, g| {
        w.iter().zip(g).map(|(w, g)| (w * g).abs()).sum()
    }) / (scale * scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::network::Init;
    use datasets::space::{Nb201Macro, Nb201Space};

    #[test]
    fn the_input_scale_does_not_change_the_score() {
        let shape = Nb201Macro {
            channels: 4,
            cells_per_stage: 1,
            input_size: 8,
            classes: 5,
        };
        let device = crate::estimate::neural::device();
        let mut rng = datasets::rng::from_seed([3; 32]);
        let mut abs = Network::new(
            Nb201Space::id([3, 2, 1, 3, 4, 3]),
            shape,
            Init::PyTorch,
            &mut rng,
            &device,
        );
        abs.replace_weights(
            |_, w| w.into_iter().map(f64::abs).collect(),
            |b| b.into_iter().map(f64::abs).collect(),
        );
        let (a, b) = (at_scale(&abs, 1.0), at_scale(&abs, 2f64.powi(-64)));
        assert!(a > 0.0 && ((a - b) / a).abs() < 1e-4, "{a} vs {b}");
    }
}
