//! Fisher (Theis et al. 2018; Turner et al., "BlockSwap", ICLR 2020), as Abdelfattah et al.
//! (ICLR 2021) sum it: for each layer output channel k,
//! `Δ_k = ½ · mean_n (Σ_{spatial} a_{nk} · ∂L/∂a_{nk})²` with `a` the layer's output and L the
//! cross-entropy of one batch; each channel's Δ_k counts once per weight of that channel (the
//! reference broadcasts it over the channel's weights before summing), so the score is
//! `Σ_layers Σ_k Δ_k · (weights per output channel)`.
//!
//! The gradient with respect to a layer's output is read from a zero "probe" added to it
//! (burn has no activation hooks).

use burn::tensor::Gradients;

use super::network::Network;
use crate::estimate::neural::values;

pub fn score(
    probed: &[(burn::tensor::Tensor<4>, burn::tensor::Tensor<4>)],
    net: &Network,
    grads: &Gradients,
) -> f64 {
    let weights = net.weights();
    probed
        .iter()
        .zip(&weights)
        .map(|((act, probe), weight)| {
            let [n, c, h, w] = act.dims();
            let a = values(act.clone());
            let g = probe
                .grad(grads)
                .map(values)
                .unwrap_or_else(|| vec![0.0; a.len()]);
            let per_channel = weight.len() / weight.outputs();
            let spatial = h * w;
            let delta: f64 = (0..c)
                .map(|k| {
                    let mean_sq = (0..n)
                        .map(|i| {
                            let start = (i * c + k) * spatial;
                            let s: f64 = (start..start + spatial).map(|j| a[j] * g[j]).sum();
                            s * s
                        })
                        .sum::<f64>()
                        / n as f64;
                    0.5 * mean_sq
                })
                .sum();
            delta * per_channel as f64
        })
        .sum()
}
