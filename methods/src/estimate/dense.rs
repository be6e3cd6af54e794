//! The fully connected ReLU network of the MLP and BANANAS predictors, written out: forward,
//! backward and Adam over plain `f32` rows, one sample after another in a fixed order.
//!
//! These networks are tiny (BANANAS: ten layers of 20 units on an 84-long path encoding, 5,501
//! weights) and trained on batches of 32, where a tensor library's per-operation cost (graph
//! building, allocation, dispatch) outweighs the arithmetic; written out, a BANANAS fit is
//! several times faster. Nothing here depends on the CPU (no run-time kernel choice, no fused
//! multiply-add, sums in a fixed order), so the predictors give the same bits on any machine.
//!
//! The settings follow PyTorch and burn's defaults, as the burn version before did: weights and
//! biases drawn from U(−1/√d_in, 1/√d_in) (PyTorch's `nn.Linear`), Adam with β = (0.9, 0.999)
//! and ε = 10⁻⁵ (burn's default; PyTorch's is 10⁻⁸), mini-batches in a seeded order each epoch,
//! the mean absolute (BANANAS) or squared (MLP) error on standardized labels.

use datasets::rng::{self, TrialRng};

use super::neural::Training;
use crate::linalg::lanes_dot;

const BETA_1: f32 = 0.9;
const BETA_2: f32 = 0.999;
const EPSILON: f32 = 1e-5;

/// A dense layer `d_in → d_out`: `z = a·W + b`, W stored `[d_in][d_out]`, with its Adam
/// moments and gradient buffers.
struct Layer {
    d_in: usize,
    d_out: usize,
    weight: Vec<f32>,
    bias: Vec<f32>,
    grad_weight: Vec<f32>,
    grad_bias: Vec<f32>,
    moments: [Vec<f32>; 4],
}

impl Layer {
    /// PyTorch's initialisation, weights (row-major `[d_in][d_out]`) then biases, from `rng`.
    fn new(d_in: usize, d_out: usize, rng: &mut TrialRng) -> Layer {
        let bound = 1.0 / (d_in as f64).sqrt();
        let mut uniform = |n: usize| -> Vec<f32> {
            (0..n)
                .map(|_| ((rng::unit(rng) * 2.0 - 1.0) * bound) as f32)
                .collect()
        };
        let weight = uniform(d_in * d_out);
        let bias = uniform(d_out);
        Layer {
            d_in,
            d_out,
            grad_weight: vec![0.0; weight.len()],
            grad_bias: vec![0.0; d_out],
            moments: [
                vec![0.0; weight.len()],
                vec![0.0; weight.len()],
                vec![0.0; d_out],
                vec![0.0; d_out],
            ],
            weight,
            bias,
        }
    }

    /// `z = a·W + b` for each of the batch's rows (`a`: rows of `d_in`, `z`: rows of `d_out`).
    fn forward(&self, a: &[f32], z: &mut Vec<f32>) {
        let rows = a.len() / self.d_in;
        z.clear();
        for r in 0..rows {
            let start = z.len();
            z.extend_from_slice(&self.bias);
            let out = &mut z[start..];
            for (i, &ai) in a[r * self.d_in..(r + 1) * self.d_in].iter().enumerate() {
                // Zero inputs (most of a path encoding, the ReLU's cut half) add nothing.
                if ai == 0.0 {
                    continue;
                }
                let w = &self.weight[i * self.d_out..(i + 1) * self.d_out];
                for (o, &wio) in out.iter_mut().zip(w) {
                    *o += ai * wio;
                }
            }
        }
    }

    /// Accumulates the gradients of W and b from the layer's input rows `a` and the loss's
    /// gradient `dz` with respect to its output, and writes into `da` the gradient with respect
    /// to the input of the ReLU that made `a` (when asked: the first layer's input is the data).
    fn backward(&mut self, a: &[f32], dz: &[f32], da: Option<&mut Vec<f32>>) {
        let rows = dz.len() / self.d_out;
        self.grad_weight.iter_mut().for_each(|g| *g = 0.0);
        self.grad_bias.iter_mut().for_each(|g| *g = 0.0);
        for r in 0..rows {
            let dz_r = &dz[r * self.d_out..(r + 1) * self.d_out];
            for (g, &d) in self.grad_bias.iter_mut().zip(dz_r) {
                *g += d;
            }
            for (i, &ai) in a[r * self.d_in..(r + 1) * self.d_in].iter().enumerate() {
                if ai == 0.0 {
                    continue;
                }
                let g = &mut self.grad_weight[i * self.d_out..(i + 1) * self.d_out];
                for (gio, &d) in g.iter_mut().zip(dz_r) {
                    *gio += ai * d;
                }
            }
        }
        if let Some(da) = da {
            da.clear();
            for r in 0..rows {
                let dz_r = &dz[r * self.d_out..(r + 1) * self.d_out];
                for (i, &ai) in a[r * self.d_in..(r + 1) * self.d_in].iter().enumerate() {
                    // Through the ReLU that made the input: no gradient where it gave 0.
                    if ai <= 0.0 {
                        da.push(0.0);
                        continue;
                    }
                    let w = &self.weight[i * self.d_out..(i + 1) * self.d_out];
                    da.push(lanes_dot(w, dz_r));
                }
            }
        }
    }

    /// One Adam step on W and b; `corrections` are 1 − β₁ᵗ and 1 − β₂ᵗ.
    fn step(&mut self, learning_rate: f32, corrections: (f32, f32)) {
        let [mw, vw, mb, vb] = &mut self.moments;
        adam(
            &mut self.weight,
            &self.grad_weight,
            mw,
            vw,
            learning_rate,
            corrections,
        );
        adam(
            &mut self.bias,
            &self.grad_bias,
            mb,
            vb,
            learning_rate,
            corrections,
        );
    }
}

/// Adam (Kingma & Ba, ICLR 2015, Algorithm 1) on one parameter tensor.
fn adam(
    params: &mut [f32],
    grads: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    learning_rate: f32,
    (c1, c2): (f32, f32),
) {
    for (((p, &g), m), v) in params.iter_mut().zip(grads).zip(m).zip(v) {
        *m = BETA_1 * *m + (1.0 - BETA_1) * g;
        *v = BETA_2 * *v + (1.0 - BETA_2) * g * g;
        *p -= learning_rate * (*m / c1) / ((*v / c2).sqrt() + EPSILON);
    }
}

/// `layers` ReLU layers of `width` units, then a linear output unit.
pub struct DenseNet {
    layers: Vec<Layer>,
}

impl DenseNet {
    pub fn new(d_in: usize, layers: usize, width: usize, rng: &mut TrialRng) -> DenseNet {
        let mut all: Vec<Layer> = (0..layers)
            .map(|i| Layer::new(if i == 0 { d_in } else { width }, width, rng))
            .collect();
        all.push(Layer::new(width, 1, rng));
        DenseNet { layers: all }
    }

    /// The prediction for each row of `x`.
    pub fn predict(&self, x: &[Vec<f64>]) -> Vec<f64> {
        let mut a: Vec<f32> = x.iter().flatten().map(|&v| v as f32).collect();
        let mut z = Vec::new();
        for (l, layer) in self.layers.iter().enumerate() {
            layer.forward(&a, &mut z);
            if l + 1 < self.layers.len() {
                z.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            std::mem::swap(&mut a, &mut z);
        }
        a.into_iter().map(f64::from).collect()
    }

    /// Trains on the rows `x` and standardized labels `y` by Adam on mini-batches drawn in a
    /// seeded order each epoch.
    pub fn train(&mut self, x: &[Vec<f64>], y: &[f64], settings: Training, rng: &mut TrialRng) {
        let d_in = self.layers[0].d_in;
        let x: Vec<f32> = x.iter().flatten().map(|&v| v as f32).collect();
        let learning_rate = settings.learning_rate as f32;
        let depth = self.layers.len();
        // Each layer's input rows for the batch (`inputs[0]` the data), the output, and the
        // gradient with respect to the current layer's output and input.
        let mut inputs: Vec<Vec<f32>> = vec![Vec::new(); depth];
        let (mut output, mut grad_out, mut grad_in) = (Vec::new(), Vec::new(), Vec::new());
        let (mut power_1, mut power_2) = (1.0f32, 1.0f32);
        let mut order: Vec<usize> = (0..y.len()).collect();
        for _ in 0..settings.epochs {
            rng::shuffle(rng, &mut order);
            for batch in order.chunks(settings.batch_size) {
                inputs[0].clear();
                for &i in batch {
                    inputs[0].extend_from_slice(&x[i * d_in..(i + 1) * d_in]);
                }
                for l in 0..depth {
                    self.layers[l].forward(&inputs[l], &mut output);
                    if l + 1 < depth {
                        let next = &mut inputs[l + 1];
                        next.clear();
                        next.extend(output.iter().map(|v| v.max(0.0)));
                    }
                }
                // The loss's gradient with respect to the predictions: sign(error) / n for the
                // mean absolute error (0 where the error is 0), 2·error / n for the squared.
                let n = batch.len() as f32;
                grad_out.clear();
                grad_out.extend(output.iter().zip(batch).map(|(&p, &i)| {
                    let error = p - y[i] as f32;
                    if settings.l1 {
                        if error > 0.0 {
                            1.0 / n
                        } else if error < 0.0 {
                            -1.0 / n
                        } else {
                            0.0
                        }
                    } else {
                        2.0 * error / n
                    }
                }));
                for l in (0..depth).rev() {
                    let wanted = (l > 0).then_some(&mut grad_in);
                    self.layers[l].backward(&inputs[l], &grad_out, wanted);
                    if l > 0 {
                        std::mem::swap(&mut grad_out, &mut grad_in);
                    }
                }
                power_1 *= BETA_1;
                power_2 *= BETA_2;
                for layer in &mut self.layers {
                    layer.step(learning_rate, (1.0 - power_1, 1.0 - power_2));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mean squared error of `net` on one batch.
    fn loss(net: &DenseNet, x: &[Vec<f64>], y: &[f64]) -> f64 {
        let p = net.predict(x);
        p.iter().zip(y).map(|(p, y)| (p - y).powi(2)).sum::<f64>() / y.len() as f64
    }

    /// The written-out backward pass gives the gradient finite differences give.
    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = rng::from_seed([5; 32]);
        let mut net = DenseNet::new(3, 2, 4, &mut rng);
        let x: Vec<Vec<f64>> = (0..5)
            .map(|i| vec![i as f64 * 0.3 - 0.6, (i % 2) as f64, 0.2 * i as f64])
            .collect();
        let y: Vec<f64> = (0..5).map(|i| (i as f64 * 0.7).sin()).collect();
        // One pass with a learning rate of 0 leaves the weights and computes the gradients.
        let settings = Training {
            epochs: 1,
            batch_size: 5,
            learning_rate: 0.0,
            l1: false,
        };
        net.train(&x, &y, settings, &mut rng::from_seed([6; 32]));
        let h = 1e-2f32;
        for (l, i) in [(0, 0), (0, 5), (1, 3), (2, 2)] {
            let analytic = net.layers[l].grad_weight[i] as f64;
            net.layers[l].weight[i] += h;
            let up = loss(&net, &x, &y);
            net.layers[l].weight[i] -= 2.0 * h;
            let down = loss(&net, &x, &y);
            net.layers[l].weight[i] += h;
            let numeric = (up - down) / (2.0 * h as f64);
            assert!(
                (analytic - numeric).abs() < 1e-3 * (1.0 + numeric.abs()),
                "layer {l} weight {i}: {analytic} vs {numeric}"
            );
        }
    }

    /// Trained on y = 2x₀ − x₁, the network fits it.
    #[test]
    fn learns_a_linear_function() {
        let mut rng = rng::from_seed([7; 32]);
        let x: Vec<Vec<f64>> = (0..64)
            .map(|i| vec![(i % 8) as f64 / 8.0, (i / 8) as f64 / 8.0])
            .collect();
        let y: Vec<f64> = x.iter().map(|r| 2.0 * r[0] - r[1]).collect();
        let mut net = DenseNet::new(2, 2, 16, &mut rng);
        let before = loss(&net, &x, &y);
        let settings = Training {
            epochs: 300,
            batch_size: 16,
            learning_rate: 0.01,
            l1: false,
        };
        net.train(&x, &y, settings, &mut rng);
        let after = loss(&net, &x, &y);
        assert!(after < 0.01 && after < before / 10.0, "{before} -> {after}");
    }
}
