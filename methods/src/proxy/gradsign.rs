//! GradSign (Zhang & Jia, "GradSign: Model Performance Inference with Theoretical Insights",
//! ICLR 2022): with `g_i` the gradient of the cross-entropy of sample i alone (a forward and
//! backward pass per sample, batch of one), the score is `Σ_k |Σ_i sign(g_{i,k})|` over every
//! conv and classifier weight k: how consistently the samples' gradients agree in sign.

use super::network::{Network, Pass};
use super::{Batch, cross_entropy};

pub fn score(net: &Network, batch: &Batch) -> f64 {
    let device = net.device().clone();
    let mut agreement: Vec<f64> = Vec::new();
    for i in 0..batch.len() {
        let out = net.forward(batch.sample(i, &device), Pass::default());
        let grads = cross_entropy(out.logits, &batch.labels[i..=i], &device).backward();
        let signs: Vec<f64> = net
            .weights()
            .iter()
            .flat_map(|w| w.grad(&grads))
            .map(f64::signum)
            .collect();
        if agreement.is_empty() {
            agreement = vec![0.0; signs.len()];
        }
        for (a, s) in agreement.iter_mut().zip(signs) {
            // sign(0) is 0, as torch.sign.
            *a += if s.abs() > 0.0 { s } else { 0.0 };
        }
    }
    agreement.iter().map(|a| a.abs()).sum()
}
