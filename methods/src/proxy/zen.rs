//! Zen-Score (Lin, Wang, Sun, Chen, Sun, Qian, Li & Jin, "Zen-NAS: A Zero-Shot NAS for
//! High-Performance Image Recognition", ICCV 2021), as NASLib computes it: every conv and
//! linear weight redrawn from N(0, 1), BN scale 1 and shift 0; two Gaussian batches x and
//! x + 0.01·ε; with f the features before global average pooling,
//! `Δ = mean_n Σ |f(x) − f(x + 0.01ε)|`, and the score is
//! `ln Δ + Σ_BN ln √(mean_c running_var_c)`, where each BN's running variance starts at 1 and
//! is updated with momentum 0.1 by both forward passes (unbiased batch variances), as PyTorch
//! does in training mode.

use burn::tensor::{Device, Tensor, TensorData};
use datasets::rng::{TrialRng, gaussian};

use super::Arch;
use super::network::{Init, Pass};
use crate::estimate::neural::values;

pub fn score(arch: Arch, batch: usize, rng: &mut TrialRng) -> f64 {
    // No gradients are needed: a plain (non-autodiff) device.
    let device = Device::flex();
    let net = arch.network(Init::Gaussian, rng, &device);
    let size = arch.input_size();
    let n = batch * 3 * size * size;
    let mut draw = || -> Vec<f32> { (0..n).map(|_| gaussian(rng) as f32).collect() };
    let x = draw();
    let noise = draw();
    let mixed: Vec<f32> = x.iter().zip(&noise).map(|(a, b)| a + 0.01 * b).collect();
    let tensor =
        |v: Vec<f32>| Tensor::<4>::from_data(TensorData::new(v, [batch, 3, size, size]), &device);
    let clean = net.forward(tensor(x), Pass::default());
    let mixup = net.forward(tensor(mixed), Pass::default());
    let diff = values((clean.features - mixup.features).abs().sum());
    let delta = diff[0] / batch as f64;
    let log_bn: f64 = clean
        .bn_variances
        .iter()
        .zip(&mixup.bn_variances)
        .map(|((v1, m), (v2, _))| {
            let unbias = *m as f64 / (*m as f64 - 1.0);
            let (v1, v2) = (values(v1.clone()), values(v2.clone()));
            let running: Vec<f64> = v1
                .iter()
                .zip(&v2)
                .map(|(a, b)| 0.9 * (0.9 + 0.1 * a * unbias) + 0.1 * b * unbias)
                .collect();
            let mean = running.iter().sum::<f64>() / running.len() as f64;
            mean.sqrt().ln()
        })
        .sum();
    delta.ln() + log_bn
}
