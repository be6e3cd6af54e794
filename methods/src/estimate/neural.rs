//! What the burn-based predictors (the GCN) and the proxies' networks use: burn's `flex` CPU
//! device, layers initialised from the trial's ChaCha20 generator (never from a global RNG, so
//! results do not depend on thread scheduling), and a mini-batch Adam training loop on
//! standardized labels. The MLP and BANANAS predictors' networks are written out (`dense.rs`)
//! with the same `Training` settings.

use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use datasets::rng::{self, TrialRng};

/// burn's pure-Rust CPU device, with autodiff.
pub fn device() -> Device {
    Device::flex().autodiff()
}

/// A dense layer `d_in → d_out` with PyTorch's default initialisation,
/// U(−1/√d_in, 1/√d_in) for weights and bias, drawn from `rng`.
pub fn linear(d_in: usize, d_out: usize, rng: &mut TrialRng, device: &Device) -> Linear {
    let bound = 1.0 / (d_in as f64).sqrt();
    let mut uniform = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|_| ((rng::unit(rng) * 2.0 - 1.0) * bound) as f32)
            .collect()
    };
    let mut layer = LinearConfig::new(d_in, d_out).init(device);
    layer.weight = Param::from_data(
        TensorData::new(uniform(d_in * d_out), [d_in, d_out]),
        device,
    );
    layer.bias = Some(Param::from_data(
        TensorData::new(uniform(d_out), [d_out]),
        device,
    ));
    layer
}

/// The values of a tensor as f64, in row-major order.
pub fn values<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data()
        .try_to_vec::<f32>()
        .expect("float tensors hold f32")
        .into_iter()
        .map(f64::from)
        .collect()
}

/// Training settings shared by the neural predictors.
#[derive(Debug, Clone, Copy)]
pub struct Training {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// Mean absolute error (BANANAS) instead of mean squared error.
    pub l1: bool,
}

/// Trains `model` by Adam on mini-batches drawn in a seeded order each epoch. `forward`
/// predicts a `[batch]` tensor for the samples with the given indices; `targets` are the
/// standardized labels.
pub fn train<M: Module>(
    mut model: M,
    targets: &[f64],
    settings: Training,
    rng: &mut TrialRng,
    device: &Device,
    forward: impl Fn(&M, &[usize]) -> Tensor<1>,
) -> M {
    let mut optimizer = AdamConfig::new().init();
    let mut order: Vec<usize> = (0..targets.len()).collect();
    for _ in 0..settings.epochs {
        rng::shuffle(rng, &mut order);
        for batch in order.chunks(settings.batch_size) {
            let y: Vec<f32> = batch.iter().map(|&i| targets[i] as f32).collect();
            let y = Tensor::<1>::from_data(TensorData::new(y, [batch.len()]), device);
            let error = forward(&model, batch) - y;
            let loss = if settings.l1 {
                error.abs().mean()
            } else {
                error.powi_scalar(2).mean()
            };
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(settings.learning_rate, model, grads);
        }
    }
    model
}
