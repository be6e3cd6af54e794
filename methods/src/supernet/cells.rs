//! The supernet itself: the NB201 macro network whose cell edges hold every candidate
//! operation, its weights and one pass (forward, and backward for what a step wants).

use burn::tensor::activation::relu;
use burn::tensor::module::{adaptive_avg_pool2d, avg_pool2d, conv2d, linear};
use burn::tensor::ops::{AvgPoolOptions, ConvOptions};
use burn::tensor::{Device, Gradients, Tensor, TensorData};
use datasets::images::Images;
use datasets::rng::{self, TrialRng};
use datasets::space::NB201_EDGES;

use crate::proxy::cross_entropy;
use crate::proxy::network::{avg_pool_3x3, leaf};

use super::ops::bn;
use super::{EDGES, Mix, SupernetSettings, floats};

/// A convolution: the index of its weight, its stride and padding.
#[derive(Debug, Clone, Copy)]
struct Conv {
    weight: usize,
    stride: usize,
    padding: usize,
}

/// An edge's two parametric candidates, each ReLU-conv-BN.
#[derive(Debug, Clone, Copy)]
struct Edge {
    conv1x1: Conv,
    conv3x3: Conv,
}

#[derive(Debug, Clone, Copy)]
struct Reduction {
    a: Conv,
    b: Conv,
    shortcut: Conv,
}

/// The supernet's structure and its weights on the host.
#[derive(Clone)]
pub struct Supernet {
    cells_per_stage: usize,
    stem: Conv,
    cells: Vec<[Edge; EDGES]>,
    reductions: Vec<Reduction>,
    fc_weight: usize,
    fc_bias: usize,
    shapes: Vec<Vec<usize>>,
    /// The weights, flat, in the order of `shapes`.
    pub weights: Vec<Vec<f32>>,
    device: Device,
}

/// The supernet's weights as they are drawn, in order, each initialised as PyTorch does.
struct Parameters<'a> {
    rng: &'a mut TrialRng,
    shapes: Vec<Vec<usize>>,
    weights: Vec<Vec<f32>>,
}

impl Parameters<'_> {
    /// A new weight of `shape`, U(−1/√fan_in, 1/√fan_in), and its index.
    fn parameter(&mut self, shape: Vec<usize>, fan_in: usize) -> usize {
        let bound = 1.0 / (fan_in as f64).sqrt();
        let n = shape.iter().product();
        let rng = &mut *self.rng;
        self.weights.push(
            (0..n)
                .map(|_| ((rng::unit(rng) * 2.0 - 1.0) * bound) as f32)
                .collect(),
        );
        self.shapes.push(shape);
        self.weights.len() - 1
    }

    fn conv(&mut self, cin: usize, cout: usize, k: usize, stride: usize) -> Conv {
        Conv {
            weight: self.parameter(vec![cout, cin, k, k], cin * k * k),
            stride,
            padding: k / 2,
        }
    }
}

/// What one pass through the supernet gave.
pub struct PassResult {
    pub loss: f64,
    /// Correctly classified images of the batch.
    pub correct: usize,
    /// The gradient of every weight, when asked for (zeros for weights the pass did not use).
    pub weight_grads: Option<Vec<Vec<f32>>>,
    /// The backward pass, when one ran, for architecture gradients.
    pub grads: Option<Gradients>,
}

impl Supernet {
    pub fn new(
        settings: &SupernetSettings,
        classes: usize,
        rng: &mut TrialRng,
        device: &Device,
    ) -> Supernet {
        let mut b = Parameters {
            rng,
            shapes: Vec::new(),
            weights: Vec::new(),
        };
        let c = settings.channels;
        let stem = b.conv(3, c, 3, 1);
        let (mut cells, mut reductions) = (Vec::new(), Vec::new());
        for stage in 0..3 {
            let width = c << stage;
            if stage > 0 {
                reductions.push(Reduction {
                    a: b.conv(width / 2, width, 3, 2),
                    b: b.conv(width, width, 3, 1),
                    shortcut: b.conv(width / 2, width, 1, 1),
                });
            }
            for _ in 0..settings.cells_per_stage {
                cells.push(std::array::from_fn(|_| Edge {
                    conv1x1: b.conv(width, width, 1, 1),
                    conv3x3: b.conv(width, width, 3, 1),
                }));
            }
        }
        let last = 4 * c;
        let fc_weight = b.parameter(vec![last, classes], last);
        let fc_bias = b.parameter(vec![classes], last);
        Supernet {
            cells_per_stage: settings.cells_per_stage,
            stem,
            cells,
            reductions,
            fc_weight,
            fc_bias,
            shapes: b.shapes,
            weights: b.weights,
            device: device.clone(),
        }
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The loss and accuracy of the network `mix` selects on `images[batch]`, with the
    /// weights `weights` (the supernet's own, or perturbed ones), and the gradients `want`
    /// asks for (architecture gradients flow to whatever leaves `mix` holds).
    pub fn pass(
        &self,
        weights: &[Vec<f32>],
        mix: &Mix,
        images: &Images,
        batch: &[usize],
        want: Want,
    ) -> PassResult {
        let leaves = self.leaves(weights, want == Want::Weights);
        let (x, labels) = self.batch(images, batch);
        let logits = self.forward(&leaves, mix, x);
        let predicted = logits.clone().argmax(1).into_data();
        let predicted = predicted.iter::<i64>();
        let correct = predicted
            .zip(&labels)
            .filter(|(p, l)| *p == **l as i64)
            .count();
        let loss = cross_entropy(logits, &labels, &self.device);
        let loss_value = f64::from(loss.clone().into_scalar::<f32>());
        if want == Want::Nothing {
            return PassResult {
                loss: loss_value,
                correct,
                weight_grads: None,
                grads: None,
            };
        }
        let grads = loss.backward();
        let weight_grads = (want == Want::Weights).then(|| {
            leaves
                .iter()
                .zip(weights)
                .map(|(l, w)| {
                    l.grad(&grads)
                        .map(floats)
                        .unwrap_or_else(|| vec![0.0; w.len()])
                })
                .collect()
        });
        PassResult {
            loss: loss_value,
            correct,
            weight_grads,
            grads: Some(grads),
        }
    }

    /// Images `batch` of `images` as a tensor, and their labels.
    fn batch(&self, images: &Images, batch: &[usize]) -> (Tensor<4>, Vec<usize>) {
        let per = 3 * images.size * images.size;
        let mut pixels = Vec::with_capacity(batch.len() * per);
        for &i in batch {
            pixels.extend_from_slice(&images.pixels[i * per..(i + 1) * per]);
        }
        let shape = [batch.len(), 3, images.size, images.size];
        let x = Tensor::from_data(TensorData::new(pixels, shape), &self.device);
        (x, batch.iter().map(|&i| images.labels[i]).collect())
    }

    /// The weights as tensors, leaves with gradients when `grads`.
    fn leaves(&self, weights: &[Vec<f32>], grads: bool) -> Vec<Tensor<1>> {
        weights
            .iter()
            .map(|w| {
                let t = Tensor::from_data(TensorData::new(w.clone(), [w.len()]), &self.device);
                if grads { leaf(t) } else { t }
            })
            .collect()
    }

    fn conv(&self, w: &[Tensor<1>], c: Conv, x: Tensor<4>) -> Tensor<4> {
        let shape: [usize; 4] = self.shapes[c.weight].clone().try_into().expect("4-d");
        let options = ConvOptions::new([c.stride; 2], [c.padding; 2], [1, 1], 1);
        conv2d(x, w[c.weight].clone().reshape(shape), None, options)
    }

    fn relu_conv_bn(&self, w: &[Tensor<1>], c: Conv, x: Tensor<4>) -> Tensor<4> {
        bn(self.conv(w, c, relu(x)), &self.device)
    }

    /// One mixed edge: the sum of its listed candidates' outputs on `x`, each times its
    /// weight; None when it lists no operation but `none`.
    fn mixed_edge(
        &self,
        w: &[Tensor<1>],
        edge: &Edge,
        candidates: &[(usize, Tensor<4>)],
        constants: &[Tensor<4>],
        x: &Tensor<4>,
    ) -> Option<Tensor<4>> {
        let mut sum: Option<Tensor<4>> = None;
        for (op, weight) in candidates {
            let y = match op {
                0 => continue,
                1 => x.clone(),
                2 => self.relu_conv_bn(w, edge.conv1x1, x.clone()),
                3 => self.relu_conv_bn(w, edge.conv3x3, x.clone()),
                _ => avg_pool_3x3(x.clone(), &self.device),
            } * weight.clone();
            sum = Some(match sum {
                Some(s) => s + y,
                None => y,
            });
        }
        for c in constants {
            let base = sum.unwrap_or_else(|| Tensor::zeros(x.dims(), &self.device));
            sum = Some(base + c.clone());
        }
        sum
    }

    fn forward(&self, w: &[Tensor<1>], mix: &Mix, x: Tensor<4>) -> Tensor<2> {
        let mut h = bn(self.conv(w, self.stem, x), &self.device);
        for (i, cell) in self.cells.iter().enumerate() {
            if i > 0 && i % self.cells_per_stage == 0 {
                let r = self.reductions[i / self.cells_per_stage - 1];
                let a = self.relu_conv_bn(w, r.a, h.clone());
                let b = self.relu_conv_bn(w, r.b, a);
                let pooled = avg_pool2d(h, AvgPoolOptions::new([2, 2]).with_stride([2, 2]));
                h = b + self.conv(w, r.shortcut, pooled);
            }
            let mut nodes = vec![h];
            for node in 1..4 {
                let sum = NB201_EDGES
                    .iter()
                    .enumerate()
                    .filter(|(_, (to, _))| *to == node)
                    .filter_map(|(e, &(_, from))| {
                        self.mixed_edge(w, &cell[e], &mix.edges[e], &mix.constants[e], &nodes[from])
                    })
                    .reduce(|a, b| a + b);
                let zeros = || Tensor::zeros(nodes[0].dims(), &self.device);
                nodes.push(sum.unwrap_or_else(zeros));
            }
            h = nodes.pop().expect("4 nodes");
        }
        let features = relu(bn(h, &self.device));
        let [n, c, _, _] = features.dims();
        let pooled: Tensor<2> = adaptive_avg_pool2d(features, [1, 1]).reshape([n, c]);
        let classes = self.shapes[self.fc_weight][1];
        let fc = w[self.fc_weight].clone().reshape([c, classes]);
        linear(pooled, fc, Some(w[self.fc_bias].clone()))
    }

    /// One SGD step on `grads` (momentum, weight decay, the gradient's norm clipped to
    /// `settings.grad_clip`) at learning rate `lr`.
    pub fn sgd_step(
        &mut self,
        grads: &[Vec<f32>],
        momentum: &mut [Vec<f32>],
        settings: &SupernetSettings,
        lr: f64,
    ) {
        let norm = grads
            .iter()
            .flatten()
            .map(|&g| f64::from(g) * f64::from(g))
            .sum::<f64>()
            .sqrt();
        let clip = if settings.grad_clip > 0.0 && norm > settings.grad_clip {
            settings.grad_clip / (norm + 1e-6)
        } else {
            1.0
        };
        let mu = settings.momentum;
        for ((w, g), m) in self.weights.iter_mut().zip(grads).zip(momentum.iter_mut()) {
            for ((w, &g), m) in w.iter_mut().zip(g).zip(m.iter_mut()) {
                // PyTorch's SGD: d = g + λw, m = μm + d, step m (d + μm with Nesterov).
                let d = clip * f64::from(g) + settings.weight_decay * f64::from(*w);
                let velocity = mu * f64::from(*m) + d;
                *m = velocity as f32;
                let step = if settings.nesterov {
                    d + mu * velocity
                } else {
                    velocity
                };
                *w = (f64::from(*w) - lr * step) as f32;
            }
        }
    }

    /// Zero momentum buffers for `sgd_step`.
    pub fn momentum_buffers(&self) -> Vec<Vec<f32>> {
        self.weights.iter().map(|w| vec![0.0; w.len()]).collect()
    }

    /// The accuracy on all of `images` (batches of `batch`) of the network `mix` selects
    /// through the shared weights, BN on each batch's statistics: a path's one-shot accuracy.
    pub fn accuracy(&self, mix: &Mix, images: &Images, batch: usize) -> f64 {
        let all: Vec<usize> = (0..images.len()).collect();
        let mut batches: Vec<&[usize]> = all.chunks(batch).collect();
        // A last batch of one image cannot be normalised by its own statistics: it joins the
        // batch before it.
        if batches.len() > 1 && batches.last().is_some_and(|b| b.len() == 1) {
            batches.pop();
            let n = batches.len();
            batches[n - 1] = &all[(n - 1) * batch..];
        }
        let correct: usize = batches
            .iter()
            .map(|b| {
                self.pass(&self.weights, mix, images, b, Want::Nothing)
                    .correct
            })
            .sum();
        correct as f64 / images.len() as f64
    }

    /// The indices (into `weights`) of edge `e`'s own operation weights in every cell.
    pub fn edge_parameters(&self, e: usize) -> Vec<usize> {
        self.cells
            .iter()
            .flat_map(|cell| [cell[e].conv1x1.weight, cell[e].conv3x3.weight])
            .collect()
    }
}

/// Which gradients a pass computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// None: the loss and accuracy only.
    Nothing,
    /// A backward pass for the leaves the mix holds (architecture parameters, gates).
    Architecture,
    /// A backward pass and every weight's gradient.
    Weights,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::neural;
    use crate::supernet::OPS;
    use crate::supernet::tests::tiny;

    #[test]
    fn a_mixed_edge_is_the_weighted_sum_of_its_candidates() {
        let device = neural::device();
        let (settings, data) = tiny();
        let mut rng = rng::from_seed([1; 32]);
        let net = Supernet::new(&settings, data.classes, &mut rng, &device);
        let w = net.leaves(&net.weights, false);
        let x: Vec<f32> = (0..2 * 2 * 8 * 8)
            .map(|_| rng::gaussian(&mut rng) as f32)
            .collect();
        let x = Tensor::<4>::from_data(TensorData::new(x, [2, 2, 8, 8]), &device);
        let weights = [0.1f32, 0.3, -0.7, 1.1, 0.4];
        let scalar =
            |v: f32| Tensor::<4>::from_data(TensorData::new(vec![v], [1, 1, 1, 1]), &device);
        let edge = &net.cells[0][2];
        let all: Vec<(usize, Tensor<4>)> = (0..OPS).map(|op| (op, scalar(weights[op]))).collect();
        let mixed = floats(
            net.mixed_edge(&w, edge, &all, &[], &x)
                .expect("live candidates"),
        );
        let mut summed = vec![0.0f32; mixed.len()];
        for (op, &weight) in weights.iter().enumerate().skip(1) {
            let single = net
                .mixed_edge(&w, edge, &[(op, scalar(1.0))], &[], &x)
                .expect("live");
            for (s, y) in summed.iter_mut().zip(floats(single)) {
                *s += weight * y;
            }
        }
        for (a, b) in mixed.iter().zip(&summed) {
            assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
        }
        assert!(
            net.mixed_edge(&w, edge, &[(0, scalar(1.0))], &[], &x)
                .is_none()
        );
    }
}
