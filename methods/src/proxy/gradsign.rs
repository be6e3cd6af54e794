//! GradSign (Zhang & Jia, "GradSign: Model Performance Inference with Theoretical Insights",
//! ICLR 2022): with `g_i` the gradient of the cross-entropy of sample i alone (a forward and
//! backward pass per sample, batch of one), the score is `Σ_k |Σ_i sign(g_{i,k})|` over every
//! conv and classifier weight k: how consistently the samples' gradients agree in sign.

use super::network::{Network, Pass};
use super::{Images, cross_entropy, sample};

pub fn score(net: &Network, batch: &Images) -> f64 {
    let device = net.device().clone();
    let mut agreement: Vec<f64> = Vec::new();
    for i in 0..batch.len() {
        let out = net.forward(sample(batch, i, &device), Pass::default());
        let grads = cross_entropy(out.logits, &batch.labels[i..=i], &device).backward();
        let signs: Vec<f64> = net
            .weights()
            .iter()
            .flat_map(|w| w.grad(&grads))
            .map(sign)
            .collect();
        if agreement.is_empty() {
            agreement = vec![0.0; signs.len()];
        }
        for (a, s) in agreement.iter_mut().zip(signs) {
            *a += s;
        }
    }
    agreement.iter().map(|a| a.abs()).sum()
}

/// −1, 0 or 1, as `torch.sign`: a weight that takes no part (zero gradient) agrees with
/// nothing. (`f64::signum` gives 1 for +0.)
fn sign(g: f64) -> f64 {
    if g > 0.0 {
        1.0
    } else if g < 0.0 {
        -1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn zero_gradients_have_no_sign() {
        assert_eq!(
            [2.5, -1e-30, 0.0, -0.0].map(super::sign),
            [1.0, -1.0, 0.0, 0.0]
        );
    }
}
