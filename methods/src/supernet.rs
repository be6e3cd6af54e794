//! The NAS-Bench-201 supernet that the weight-sharing search methods train: the NB201 macro
//! network (stem, three stages of N cells, the residual reduction blocks, BN + ReLU, global
//! pooling, linear classifier; see `proxy::network`) in which every cell edge holds all five
//! candidate operations with their own weights, as in NB201's own search code (Dong & Yang,
//! ICLR 2020, `lib/models/cell_searchs`). How an edge's candidates are combined is the
//! method's: a weighted sum (DARTS), one sampled path with a straight-through weight (GDAS),
//! one uniformly drawn path (RSPS); every cell of the network shares the same choice, as the
//! NB201 space's cells do.
//!
//! Variant: every BN normalises with the batch statistics and has no learned scale or shift
//! (DARTS' and NB201's search networks use `affine=False` in the candidate operations; nash
//! uses it everywhere, so a path's one-shot accuracy depends only on shared convolution
//! weights). Weights are initialised as PyTorch does (U(−1/√fan_in, 1/√fan_in)) from the
//! trial's generator and kept on the host between steps as flat `f32` vectors, so optimizers
//! are plain loops and every step's arithmetic is fixed; each pass builds leaf tensors from
//! them. Weights are trained by SGD with Nesterov momentum, weight decay, gradient-norm
//! clipping and a cosine learning rate (NB201's DARTS and GDAS configs: 0.025 → 0.001,
//! momentum 0.9, decay 5·10⁻⁴; clipping at 5 as DARTS' code); architecture parameters by Adam
//! (3·10⁻⁴, β = (0.5, 0.999), decay 10⁻³).

use burn::tensor::activation::{relu, softmax};
use burn::tensor::module::{adaptive_avg_pool2d, avg_pool2d, batch_norm_train, conv2d, linear};
use burn::tensor::ops::{AvgPoolOptions, ConvOptions};
use burn::tensor::{Device, Gradients, Tensor, TensorData};
use datasets::ArchId;
use datasets::images::Images;
use datasets::rng::{self, TrialRng};
use datasets::space::{NB201_EDGES, Nb201Space};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

use crate::MethodContext;
use crate::limits;
use crate::proxy::cross_entropy;
use crate::proxy::network::{avg_pool_3x3, leaf};
use crate::registry::Capabilities;
use crate::search::Searcher;
use crate::snapshots::{Bytes, Reader, Snapshot, Snapshots, thread_cpu_seconds};

/// The NB201 operations in the space's order: none, skip, conv 1×1, conv 3×3, avg pool.
pub const OPS: usize = 5;
/// Cell edges.
pub const EDGES: usize = 6;

/// A supernet search's settings, as a protocol gives them (`supernet: {...}` in a
/// weight-sharing method's parameters). The defaults fit a CPU: minutes per search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SupernetSettings {
    /// C: channels of the first stage (NB201: 16).
    pub channels: usize,
    /// N: cells per stage (NB201: 5).
    pub cells_per_stage: usize,
    /// Height and width of the images the supernet sees: 32, 16 or 8 (2×2 averages).
    pub input_size: usize,
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f64,
    pub min_learning_rate: f64,
    pub momentum: f64,
    /// Nesterov momentum, as NB201's DARTS and GDAS configs set it.
    pub nesterov: bool,
    pub weight_decay: f64,
    /// The gradient norm is clipped to this; 0 clips nothing (NB201's convention).
    pub grad_clip: f64,
    pub arch_learning_rate: f64,
    pub arch_weight_decay: f64,
}

impl Default for SupernetSettings {
    fn default() -> Self {
        SupernetSettings {
            channels: 8,
            cells_per_stage: 1,
            input_size: 16,
            epochs: 10,
            batch: 64,
            learning_rate: 0.025,
            min_learning_rate: 0.001,
            momentum: 0.9,
            nesterov: true,
            weight_decay: 5e-4,
            grad_clip: 5.0,
            arch_learning_rate: 3e-4,
            arch_weight_decay: 1e-3,
        }
    }
}

impl SupernetSettings {
    /// Checks the settings; the message names the offending one.
    pub fn validate(&self) -> Result<(), String> {
        limits::count("supernet.channels", self.channels, 1, 64)?;
        limits::count("supernet.cells_per_stage", self.cells_per_stage, 1, 8)?;
        limits::count("supernet.epochs", self.epochs, 1, limits::MAX_EPOCHS)?;
        limits::count("supernet.batch", self.batch, 2, 1_024)?;
        if ![8, 16, 32].contains(&self.input_size) {
            return Err(format!(
                "supernet.input_size must be 32, 16 or 8, not {}",
                self.input_size
            ));
        }
        for (name, value) in [
            ("learning_rate", self.learning_rate),
            ("min_learning_rate", self.min_learning_rate),
            ("momentum", self.momentum),
            ("weight_decay", self.weight_decay),
            ("grad_clip", self.grad_clip),
            ("arch_learning_rate", self.arch_learning_rate),
            ("arch_weight_decay", self.arch_weight_decay),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!(
                    "supernet.{name} must be a finite number ≥ 0, not {value}"
                ));
            }
        }
        if self.momentum >= 1.0 {
            return Err(format!(
                "supernet.momentum must be below 1, not {}",
                self.momentum
            ));
        }
        if self.min_learning_rate > self.learning_rate {
            return Err(format!(
                "supernet.min_learning_rate {} is above supernet.learning_rate {}",
                self.min_learning_rate, self.learning_rate
            ));
        }
        Ok(())
    }
}

/// The images a weight-sharing search trains on, split in halves as DARTS and NB201 split
/// CIFAR-10's training set: the first half trains the weights, the second half the
/// architecture (bi-level methods) and scores paths (one-shot accuracy).
pub struct SearchData {
    pub train: Images,
    pub valid: Images,
    pub classes: usize,
}

impl SearchData {
    /// `images` at `size` × `size` (halved by 2×2 averages as often as needed), split in two.
    pub fn new(images: &Images, size: usize) -> Result<SearchData, String> {
        if images.len() < 4 {
            return Err(format!(
                "a supernet needs at least 4 images, the protocol gives {}",
                images.len()
            ));
        }
        // Halved copies only when the size asks for them; the split copies each half once.
        let mut halved: Option<Images> = None;
        while halved.as_ref().unwrap_or(images).size > size {
            halved = Some(datasets::images::halve(halved.as_ref().unwrap_or(images)));
        }
        let images = halved.as_ref().unwrap_or(images);
        if images.size != size {
            return Err(format!(
                "supernet.input_size {size} is not the images' {} halved",
                images.size
            ));
        }
        let half = images.len() / 2;
        let per = 3 * size * size;
        let part = |range: std::ops::Range<usize>| Images {
            pixels: images.pixels[range.start * per..range.end * per].to_vec(),
            labels: images.labels[range].to_vec(),
            size,
        };
        let classes = images.labels.iter().max().map_or(1, |&m| m + 1);
        Ok(SearchData {
            train: part(0..half),
            valid: part(half..images.len()),
            classes,
        })
    }
}

/// A run's supernet images and their split halves at each input size a method asks for,
/// prepared by the first trial that needs them and shared by the run's trials (a split of
/// 50,000 CIFAR-10 images is 0.6 GB: once per run, not once per trial).
pub struct SupernetImages {
    pub images: Images,
    prepared: Mutex<Vec<(usize, Arc<SearchData>)>>,
}

impl SupernetImages {
    pub fn new(images: Images) -> SupernetImages {
        SupernetImages {
            images,
            prepared: Mutex::new(Vec::new()),
        }
    }

    /// The images at `size` × `size`, split ([`SearchData::new`]).
    pub fn at_size(&self, size: usize) -> Result<Arc<SearchData>, String> {
        // A trial that panicked while holding the lock left nothing half-prepared in it.
        let mut prepared = self.prepared.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, data)) = prepared.iter().find(|(s, _)| *s == size) {
            return Ok(data.clone());
        }
        let data = Arc::new(SearchData::new(&self.images, size)?);
        prepared.push((size, data.clone()));
        Ok(data)
    }
}

/// How each cell edge combines its candidates in one pass: the operations it computes and
/// the weight (`[1, 1, 1, 1]`, possibly carrying an architecture gradient) each one's output
/// is multiplied by. `none` and absent operations contribute nothing.
pub struct Mix {
    pub edges: Vec<Vec<(usize, Tensor<4>)>>,
    /// Terms added to an edge's output as they are (GDAS adds the unselected entries of its
    /// straight-through one-hot vector, zero-valued, so their gradient reaches α).
    pub constants: Vec<Vec<Tensor<4>>>,
}

impl Mix {
    /// One operation per edge with weight 1: the single network of `arch`.
    pub fn path(arch: ArchId, device: &Device) -> Mix {
        let ops = Nb201Space::ops(arch);
        Mix {
            edges: ops
                .iter()
                .map(|&op| vec![(op as usize, Tensor::ones([1, 1, 1, 1], device))])
                .collect(),
            constants: vec![Vec::new(); EDGES],
        }
    }

    /// Every operation of every edge, weighted by row `e` of `weights` (`[6, 5]`).
    pub fn weighted(weights: Tensor<2>) -> Mix {
        Mix {
            edges: (0..EDGES)
                .map(|e| {
                    (0..OPS)
                        .map(|op| (op, edge_weight(&weights, e, op)))
                        .collect()
                })
                .collect(),
            constants: vec![Vec::new(); EDGES],
        }
    }
}

/// A `[6 × 5]` table (row-major: architecture parameters, gates) as a leaf tensor, so a
/// pass's backward reaches it.
pub fn edge_leaf(alphas: &[f32], device: &Device) -> Tensor<2> {
    leaf(Tensor::from_data(
        TensorData::new(alphas.to_vec(), [EDGES, OPS]),
        device,
    ))
}

/// The softmax of `alphas` as a plain tensor (no gradient).
pub fn softmax_weights(alphas: &[f32], device: &Device) -> Tensor<2> {
    softmax(edge_table(alphas, device), 1)
}

/// The gradient of the loss on `images[batch]`, at weights `weights`, with respect to the
/// `[6 × 5]` table `table` (α, or ProxylessNAS' gates) that `mix_of` turns into the pass's
/// mix (DARTS: every candidate weighted by the softmax; GDAS: a Gumbel-drawn path), and the
/// weight gradients when `want` asks for them.
pub fn arch_gradient(
    net: &Supernet,
    weights: &[Vec<f32>],
    (table, mix_of): (&[f32], impl FnOnce(Tensor<2>) -> Mix),
    (images, batch): (&Images, &[usize]),
    want: Want,
) -> (Vec<f32>, Option<Vec<Vec<f32>>>) {
    let leaf = edge_leaf(table, net.device());
    let r = net.pass(weights, &mix_of(leaf.clone()), images, batch, want);
    let grads = r.grads.as_ref().expect("a backward pass");
    let grad = leaf.grad(grads).map(floats).expect("the table takes part");
    (grad, r.weight_grads)
}

/// DARTS' mix: every candidate weighted by the row-wise softmax of `alphas`.
pub fn softmax_mix(alphas: Tensor<2>) -> Mix {
    Mix::weighted(softmax(alphas, 1))
}

/// Entry `(e, op)` of `weights` as a `[1, 1, 1, 1]` tensor.
pub fn edge_weight(weights: &Tensor<2>, e: usize, op: usize) -> Tensor<4> {
    weights
        .clone()
        .narrow(0, e, 1)
        .narrow(1, op, 1)
        .reshape([1, 1, 1, 1])
}

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

/// BN with the batch statistics, no learned scale or shift.
fn bn(x: Tensor<4>, device: &Device) -> Tensor<4> {
    let c = x.dims()[1];
    let ones = Tensor::ones([c], device);
    let zeros = Tensor::zeros([c], device);
    batch_norm_train(x, ones, zeros, 1e-5).output
}

/// A float tensor's values.
pub fn floats<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .try_to_vec::<f32>()
        .expect("float tensors hold f32")
}

/// Adam on the host (Kingma & Ba 2015, with L2 weight decay added to the gradient as
/// PyTorch's `Adam(weight_decay=...)` does), for architecture parameters.
pub struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
    lr: f64,
    beta1: f64,
    beta2: f64,
    decay: f64,
}

impl Adam {
    /// NB201's and DARTS' architecture optimizer: β = (0.5, 0.999).
    pub fn for_architecture(n: usize, settings: &SupernetSettings) -> Adam {
        Adam {
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
            lr: settings.arch_learning_rate,
            beta1: 0.5,
            beta2: 0.999,
            decay: settings.arch_weight_decay,
        }
    }

    pub fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        self.t += 1;
        let (c1, c2) = (
            1.0 - libm::pow(self.beta1, f64::from(self.t)),
            1.0 - libm::pow(self.beta2, f64::from(self.t)),
        );
        for (i, (p, &g)) in params.iter_mut().zip(grads).enumerate() {
            let g = f64::from(g) + self.decay * f64::from(*p);
            self.m[i] = self.beta1 * self.m[i] + (1.0 - self.beta1) * g;
            self.v[i] = self.beta2 * self.v[i] + (1.0 - self.beta2) * g * g;
            let step = self.lr * (self.m[i] / c1) / (libm::sqrt(self.v[i] / c2) + 1e-8);
            *p = (f64::from(*p) - step) as f32;
        }
    }
}

impl Snapshot for Adam {
    fn save(&self, out: &mut Bytes) {
        out.f64s(&self.m);
        out.f64s(&self.v);
        out.u64(self.t as u64);
    }

    fn restore(&mut self, input: &mut Reader<'_>) -> Result<(), String> {
        input.f64s(&mut self.m)?;
        input.f64s(&mut self.v)?;
        self.t = i32::try_from(input.u64()?).map_err(|_| "bad Adam step count")?;
        Ok(())
    }
}

/// A supernet and the state of its weights' training: momentum buffers and the step count
/// that sets the cosine learning rate over `settings.epochs` epochs of the training half.
#[derive(Clone)]
pub struct WeightTrainer {
    pub net: Supernet,
    momentum: Vec<Vec<f32>>,
    settings: SupernetSettings,
    step: usize,
    total: usize,
}

impl WeightTrainer {
    /// A fresh supernet (weights drawn from `rng`) for `data`.
    pub fn new(settings: &SupernetSettings, data: &SearchData, rng: &mut TrialRng) -> Self {
        let net = Supernet::new(
            settings,
            data.classes,
            rng,
            &crate::estimate::neural::device(),
        );
        WeightTrainer {
            momentum: net.momentum_buffers(),
            net,
            settings: settings.clone(),
            step: 0,
            total: settings.epochs * batches_per_epoch(data.train.len(), settings.batch),
        }
    }

    /// The learning rate of the next step.
    pub fn learning_rate(&self) -> f64 {
        cosine_rate(&self.settings, self.step, self.total)
    }

    /// One SGD step of the weights on `images[batch]` through the network `mix` selects.
    pub fn step(&mut self, mix: &Mix, images: &Images, batch: &[usize]) {
        let lr = self.learning_rate();
        let r = self
            .net
            .pass(&self.net.weights, mix, images, batch, Want::Weights);
        let grads = r.weight_grads.expect("asked for");
        self.net
            .sgd_step(&grads, &mut self.momentum, &self.settings, lr);
        self.step += 1;
    }

    /// `epochs` epochs of weight training along paths drawn by `draw`, one per training
    /// batch (RSPS's and SETN's uniform sampling, ENAS's controller, a few-shot
    /// sub-supernet's part of the space).
    pub fn train_paths(
        &mut self,
        epochs: usize,
        (data, snapshots): (&SearchData, &mut Snapshots),
        rng: &mut TrialRng,
        mut draw: impl FnMut(&mut TrialRng) -> ArchId,
    ) {
        snapshots.rounds(epochs, self, rng, |trainer, _, rng| {
            let (train, _) = trainer.epoch(data, rng);
            for t in &train {
                let mix = Mix::path(draw(rng), trainer.net.device());
                trainer.step(&mix, &data.train, t);
            }
        });
    }

    /// The momentum buffers (DARTS' unrolled step reads them).
    pub fn momentum(&self) -> &[Vec<f32>] {
        &self.momentum
    }

    /// The batches of the next epoch of the training half, and of the validation half.
    pub fn epoch(
        &self,
        data: &SearchData,
        rng: &mut TrialRng,
    ) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
        let train = epoch_batches(rng, data.train.len(), self.settings.batch);
        let valid = epoch_batches(rng, data.valid.len(), self.settings.batch);
        (train, valid)
    }
}

impl Snapshot for WeightTrainer {
    fn save(&self, out: &mut Bytes) {
        for w in self.net.weights.iter().chain(&self.momentum) {
            out.f32s(w);
        }
        out.u64(self.step as u64);
    }

    fn restore(&mut self, input: &mut Reader<'_>) -> Result<(), String> {
        for w in self.net.weights.iter_mut().chain(&mut self.momentum) {
            input.f32s(w)?;
        }
        self.step = usize::try_from(input.u64()?).map_err(|_| "bad step count")?;
        Ok(())
    }
}

/// The cosine learning rate at `step` of `steps`, from `settings.learning_rate` down to
/// `settings.min_learning_rate` (SGDR without restarts, as DARTS and NB201 schedule it per
/// epoch; nash per step), and the minimum after the last step.
pub fn cosine_rate(settings: &SupernetSettings, step: usize, steps: usize) -> f64 {
    let progress = (step as f64 / steps.max(1) as f64).min(1.0);
    settings.min_learning_rate
        + 0.5
            * (settings.learning_rate - settings.min_learning_rate)
            * (1.0 + libm::cos(std::f64::consts::PI * progress))
}

/// The architecture of NB201 whose edge `e` holds the operation with the largest entry of
/// row `e` of `alphas` (`[6 × 5]`, row-major; ties to the lower operation), as NB201's
/// `genotype()` derives it (`none` included).
pub fn argmax_architecture(alphas: &[f32]) -> ArchId {
    let ops: [u8; EDGES] = std::array::from_fn(|e| argmax(&alphas[e * OPS..(e + 1) * OPS]) as u8);
    Nb201Space::id(ops)
}

/// The index of the largest value (the lowest index among ties).
pub fn argmax(values: &[f32]) -> usize {
    (0..values.len()).fold(0, |best, i| if values[i] > values[best] { i } else { best })
}

/// The `[6 × 5]` one-hot table of an architecture's operations.
pub fn one_hot(ops: &[u8; EDGES]) -> Vec<f32> {
    let mut table = vec![0.0f32; EDGES * OPS];
    for (e, &op) in ops.iter().enumerate() {
        table[e * OPS + op as usize] = 1.0;
    }
    table
}

/// The batches of one epoch over `n` images: a seeded shuffle, cut into `batch`-sized runs
/// (the last one dropped when shorter than 2, which BN cannot normalise).
pub fn epoch_batches(rng: &mut TrialRng, n: usize, batch: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    rng::shuffle(rng, &mut order);
    order
        .chunks(batch)
        .filter(|b| b.len() >= 2)
        .map(<[usize]>::to_vec)
        .collect()
}

/// How many architectures the methods that select by one-shot accuracy score (NB201's
/// `select_num`).
pub fn default_candidates() -> usize {
    100
}

/// How many batches `epoch_batches` cuts `n` images into.
pub fn batches_per_epoch(n: usize, batch: usize) -> usize {
    n / batch + usize::from(n % batch >= 2)
}

/// The state of a bi-level search (DARTS' alternation of weight and architecture steps):
/// the supernet and its training state, α and α's Adam.
pub struct BiLevel {
    pub trainer: WeightTrainer,
    pub alphas: Vec<f32>,
    adam: Adam,
}

/// One step of a bi-level search: its epoch, its training batch and the validation batch
/// paired with it.
pub struct Step<'a> {
    pub epoch: usize,
    pub train: &'a [usize],
    pub valid: &'a [usize],
}

impl BiLevel {
    /// A fresh supernet, α as DARTS initialises it and α's Adam.
    pub fn new(settings: &SupernetSettings, data: &SearchData, rng: &mut TrialRng) -> BiLevel {
        let trainer = WeightTrainer::new(settings, data, rng);
        let alphas = initial_alphas(rng);
        let adam = Adam::for_architecture(alphas.len(), settings);
        BiLevel {
            trainer,
            alphas,
            adam,
        }
    }

    /// The settings' epochs, each a seeded shuffle of both halves; every training batch, with
    /// the validation batch paired with it, is one call of `step`.
    pub fn train(
        &mut self,
        (data, snapshots): (&SearchData, &mut Snapshots),
        rng: &mut TrialRng,
        mut step: impl FnMut(&mut BiLevel, Step<'_>, &mut TrialRng),
    ) {
        let epochs = self.trainer.settings.epochs;
        snapshots.rounds(epochs, self, rng, |search, epoch, rng| {
            let (train, valid) = search.trainer.epoch(data, rng);
            for (t, v) in train.iter().zip(valid.iter().cycle()) {
                let batches = Step {
                    epoch,
                    train: t,
                    valid: v,
                };
                step(search, batches, rng);
            }
        });
    }

    /// One Adam step of α along `grad`.
    pub fn update_alphas(&mut self, grad: &[f32]) {
        self.adam.step(&mut self.alphas, grad);
    }
}

impl Snapshot for BiLevel {
    fn save(&self, out: &mut Bytes) {
        self.trainer.save(out);
        out.f32s(&self.alphas);
        self.adam.save(out);
    }

    fn restore(&mut self, input: &mut Reader<'_>) -> Result<(), String> {
        self.trainer.restore(input)?;
        input.f32s(&mut self.alphas)?;
        self.adam.restore(input)
    }
}

/// Architecture parameters as DARTS initialises them: 10⁻³·N(0, 1) each.
fn initial_alphas(rng: &mut TrialRng) -> Vec<f32> {
    (0..EDGES * OPS)
        .map(|_| (1e-3 * rng::gaussian(rng)) as f32)
        .collect()
}

/// An NB201 architecture with every edge's operation drawn uniformly.
pub fn uniform_architecture(rng: &mut TrialRng) -> ArchId {
    Nb201Space::id(std::array::from_fn(|_| rng::below(rng, OPS) as u8))
}

/// An NB201 architecture with edge `e`'s operation drawn from `policy[e]`.
pub fn drawn_architecture(policy: &[Vec<f64>], rng: &mut TrialRng) -> ArchId {
    Nb201Space::id(std::array::from_fn(|e| {
        rng::weighted(rng, &policy[e]) as u8
    }))
}

/// Row-wise softmax of `alphas` (`[6 × 5]`, row-major) on the host.
pub fn softmax_policy(alphas: &[f32]) -> Vec<Vec<f64>> {
    alphas
        .chunks(OPS)
        .map(|row| {
            let top = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            let exps: Vec<f64> = row.iter().map(|&v| libm::exp(f64::from(v - top))).collect();
            let sum: f64 = exps.iter().sum();
            exps.into_iter().map(|e| e / sum).collect()
        })
        .collect()
}

/// The best of `count` architectures drawn by `draw`, by one-shot accuracy, each on the next
/// batch of a seeded shuffle of the validation half (NB201's `search_find_best`: one batch
/// per candidate), with that accuracy; the first among ties.
pub fn best_by_one_shot(
    net: &Supernet,
    data: &SearchData,
    batch: usize,
    count: usize,
    mut draw: impl FnMut(&mut TrialRng) -> ArchId,
    rng: &mut TrialRng,
) -> (ArchId, f64) {
    let valid = epoch_batches(rng, data.valid.len(), batch);
    let mut best: Option<(ArchId, usize, usize)> = None;
    for b in valid.iter().cycle().take(count) {
        let arch = draw(rng);
        let mix = Mix::path(arch, net.device());
        let r = net.pass(&net.weights, &mix, &data.valid, b, Want::Nothing);
        // Accuracies compared as fractions without division: c/n > c'/n' ⇔ c·n' > c'·n.
        if best.is_none_or(|(_, c, n)| r.correct * n > c * b.len()) {
            best = Some((arch, r.correct, b.len()));
        }
    }
    let (arch, correct, n) = best.expect("at least one candidate and one validation batch");
    (arch, correct as f64 / n as f64)
}

/// Gumbel(0, 1) noise for every `[6 × 5]` architecture parameter: −ln(−ln u).
pub fn gumbel_noise(rng: &mut TrialRng, device: &Device) -> Tensor<2> {
    let noise: Vec<f32> = (0..EDGES * OPS)
        .map(|_| {
            let u = rng::unit(rng).max(f64::MIN_POSITIVE);
            -libm::log(-libm::log(u)) as f32
        })
        .collect();
    Tensor::from_data(TensorData::new(noise, [EDGES, OPS]), device)
}

/// `values` (`[6 × 5]`, row-major) as a plain tensor.
pub fn edge_table(values: &[f32], device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values.to_vec(), [EDGES, OPS]), device)
}

/// What every weight-sharing method's card declares.
pub const WEIGHT_SHARING: Capabilities = Capabilities {
    only_space: Some("nb201"),
    networks: true,
    weight_sharing: true,
    ..Capabilities::PLAIN
};

/// A weight-sharing search method: its supernet settings and its whole search, from the split
/// images, the trial's snapshots (every training loop runs through them) and the trial's
/// generator to the one architecture it derives.
pub trait SupernetMethod: Clone {
    fn settings(&self) -> &SupernetSettings;
    fn search(&self, data: &SearchData, snapshots: &mut Snapshots, rng: &mut TrialRng) -> ArchId;
}

/// The searcher of `method` for the trial `ctx` describes.
pub fn searcher<'a, M: SupernetMethod + 'a>(
    method: &M,
    ctx: &'a MethodContext<'a>,
) -> Box<dyn Searcher + 'a> {
    let input_size = method.settings().input_size;
    let method = method.clone();
    Box::new(SupernetSearcher {
        images: ctx.images,
        snapshot: ctx.trial.and_then(|t| t.snapshot),
        input_size,
        search: Box::new(move |data, snapshots, rng| method.search(data, snapshots, rng)),
        derived: None,
    })
}

/// A weight-sharing method's whole search: the split images, the trial's snapshots and its
/// generator in, the architecture it derives out.
pub type SupernetSearch<'a> =
    Box<dyn Fn(&SearchData, &mut Snapshots, &mut TrialRng) -> ArchId + 'a>;

/// The searcher of a weight-sharing method. Its first ask runs the whole supernet search
/// (`search`, given the split images, the trial's snapshots and its generator) and returns
/// the architecture it derives, whose measured CPU time, over every attempt of the search,
/// is the evaluation's cost; a protocol with such methods has a budget of one query (checked
/// with the protocol), so there is no second ask.
pub struct SupernetSearcher<'a> {
    images: Option<&'a SupernetImages>,
    /// Where the trial keeps its snapshots (None: nowhere).
    snapshot: Option<&'a std::path::Path>,
    input_size: usize,
    search: SupernetSearch<'a>,
    derived: Option<(ArchId, f64)>,
}

impl Searcher for SupernetSearcher<'_> {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        if let Some((arch, _)) = self.derived {
            return arch;
        }
        let mut snapshots = match self.snapshot {
            Some(file) => Snapshots::open(file, rng),
            None => Snapshots::none(rng),
        };
        let arch = match snapshots.found(rng) {
            Some(arch) => arch,
            None => {
                let images = self
                    .images
                    .expect("the runner gives weight-sharing methods the protocol's images");
                // The first trial to need a size prepares it for the whole run; its cost is
                // not this search's.
                let before = thread_cpu_seconds();
                let data = images
                    .at_size(self.input_size)
                    .unwrap_or_else(|e| panic!("{e}"));
                snapshots.set_aside(thread_cpu_seconds() - before);
                let arch = (self.search)(&data, &mut snapshots, rng);
                snapshots.finish(arch, rng);
                arch
            }
        };
        self.derived = Some((arch, snapshots.seconds()));
        arch
    }

    fn tell(&mut self, _arch: ArchId, _fitness: f64) {}

    fn measured_cost(&self) -> Option<f64> {
        self.derived.map(|(_, seconds)| seconds)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::estimate::neural;

    /// Checks that `method`'s search on `data` is reproducible and resumable: run whole, it
    /// finds the same architecture twice; stopped after each of its snapshots (as a kill
    /// would stop it) and run again on the same file, it runs only the rounds not saved and
    /// ends with the same architecture, the same final state of every loop (weights, momentum,
    /// α, optimizers, controller) and the generator at the same position; a search that had
    /// ended is not run again.
    pub(crate) fn assert_reproducible_and_resumable(method: &impl SupernetMethod, seed: u8) {
        let (_, data) = tiny();
        let search = |snapshots: &mut Snapshots| {
            let mut rng = rng::from_seed([seed; 32]);
            if let Some(arch) = snapshots.found(&mut rng) {
                return (arch, rng.get_word_pos());
            }
            let arch = method.search(&data, snapshots, &mut rng);
            snapshots.finish(arch, &rng);
            (arch, rng.get_word_pos())
        };
        let fresh = || Snapshots::none(&rng::from_seed([seed; 32]));
        let whole = search(&mut fresh());
        assert_eq!(search(&mut fresh()), whole, "not reproducible");
        let dir = std::env::temp_dir().join(format!(
            "nash-snapshots-{}-{seed}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("trial.snap");
        let open = || Snapshots::open(&file, &rng::from_seed([seed; 32]));
        let _ = std::fs::remove_file(&file);
        let mut saved = open();
        assert_eq!(search(&mut saved), whole, "saving changed the search");
        let (rounds, states) = (saved.saves, saved.last_states.clone());
        assert!(rounds >= 2, "only {rounds} snapshots");
        for stop in 1..rounds {
            std::fs::remove_file(&file).unwrap();
            let mut killed = open();
            killed.stop_after = Some(stop);
            let stopped =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| search(&mut killed)));
            assert!(stopped.is_err(), "not stopped after save {stop}");
            let mut resumed = open();
            assert_eq!(search(&mut resumed), whole, "resumed after save {stop}");
            assert_eq!(
                resumed.saves,
                rounds - stop,
                "rounds run again after save {stop}"
            );
            assert!(
                resumed.last_states == states,
                "other states after save {stop}"
            );
        }
        let mut ended = open();
        assert_eq!(search(&mut ended), whole);
        assert_eq!(ended.saves, 0, "an ended search ran again");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A tiny setting and noise images with labels cycling through 3 classes.
    pub(crate) fn tiny() -> (SupernetSettings, SearchData) {
        let settings = SupernetSettings {
            channels: 2,
            input_size: 8,
            epochs: 1,
            batch: 4,
            ..SupernetSettings::default()
        };
        let mut r = rng::from_seed([9; 32]);
        let n = 16;
        let images = Images {
            pixels: (0..n * 3 * 8 * 8)
                .map(|_| rng::gaussian(&mut r) as f32)
                .collect(),
            labels: (0..n).map(|i| i % 3).collect(),
            size: 8,
        };
        (settings, SearchData::new(&images, 8).unwrap())
    }

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

    #[test]
    fn a_one_hot_weighting_is_the_single_path() {
        let device = neural::device();
        let (settings, data) = tiny();
        let mut rng = rng::from_seed([2; 32]);
        let net = Supernet::new(&settings, data.classes, &mut rng, &device);
        let batch: Vec<usize> = (0..4).collect();
        let arch = Nb201Space::id([3, 2, 4, 1, 3, 2]);
        let path = net.pass(
            &net.weights,
            &Mix::path(arch, &device),
            &data.train,
            &batch,
            Want::Nothing,
        );
        let mut one_hot = vec![0.0f32; EDGES * OPS];
        for (e, &op) in Nb201Space::ops(arch).iter().enumerate() {
            one_hot[e * OPS + op as usize] = 1.0;
        }
        let mix = Mix::weighted(edge_leaf(&one_hot, &device));
        let mixed = net.pass(&net.weights, &mix, &data.train, &batch, Want::Nothing);
        assert!(
            (path.loss - mixed.loss).abs() < 1e-6,
            "{} vs {}",
            path.loss,
            mixed.loss
        );
    }

    #[test]
    fn the_architecture_gradient_matches_finite_differences() {
        let device = neural::device();
        let (settings, data) = tiny();
        let mut rng = rng::from_seed([3; 32]);
        let net = Supernet::new(&settings, data.classes, &mut rng, &device);
        let batch: Vec<usize> = (0..8).collect();
        let alphas: Vec<f32> = (0..EDGES * OPS)
            .map(|_| (rng::gaussian(&mut rng) * 0.5) as f32)
            .collect();
        let loss_at = |alphas: &[f32], want: Want| {
            let a = edge_leaf(alphas, &device);
            let soft = burn::tensor::activation::softmax(a.clone(), 1);
            let r = net.pass(
                &net.weights,
                &Mix::weighted(soft),
                &data.train,
                &batch,
                want,
            );
            let grad = r.grads.as_ref().and_then(|g| a.grad(g)).map(floats);
            (r.loss, grad)
        };
        let (_, grad) = loss_at(&alphas, Want::Architecture);
        let grad = grad.expect("alphas take part");
        let h = 1e-3f32;
        for i in [0, 7, 13, 19, 29] {
            let (mut up, mut down) = (alphas.clone(), alphas.clone());
            up[i] += h;
            down[i] -= h;
            let numeric = (loss_at(&up, Want::Nothing).0 - loss_at(&down, Want::Nothing).0)
                / (2.0 * f64::from(h));
            let analytic = f64::from(grad[i]);
            assert!(
                (numeric - analytic).abs() <= 2e-3 + 0.05 * analytic.abs(),
                "alpha {i}: finite difference {numeric}, gradient {analytic}"
            );
        }
    }

    /// Both halves of `data` as one set of images again.
    pub(crate) fn rejoined(data: &SearchData) -> SupernetImages {
        SupernetImages::new(Images {
            pixels: [data.train.pixels.clone(), data.valid.pixels.clone()].concat(),
            labels: [data.train.labels.clone(), data.valid.labels.clone()].concat(),
            size: data.train.size,
        })
    }

    #[test]
    fn a_runs_images_are_split_once_per_input_size() {
        let (_, data) = tiny();
        let images = rejoined(&data);
        let full = images.at_size(8).unwrap();
        assert!(Arc::ptr_eq(&full, &images.at_size(8).unwrap()));
        assert_eq!(full.train.pixels, data.train.pixels);
        let small = images.at_size(4).unwrap();
        assert_eq!((small.train.size, small.valid.len()), (4, 8));
        assert!(Arc::ptr_eq(&small, &images.at_size(4).unwrap()));
        let Err(e) = images.at_size(6) else {
            panic!("size 6 accepted")
        };
        assert!(e.contains("input_size 6"), "{e}");
    }

    #[test]
    fn argmax_architecture_reads_each_edge_row() {
        let mut alphas = vec![0.0f32; EDGES * OPS];
        let ops = [3u8, 0, 2, 4, 1, 3];
        for (e, &op) in ops.iter().enumerate() {
            alphas[e * OPS + op as usize] = 1.0;
        }
        assert_eq!(Nb201Space::ops(argmax_architecture(&alphas)), ops);
    }

    #[test]
    fn sgd_lowers_the_training_loss() {
        let device = neural::device();
        let (settings, data) = tiny();
        let mut rng = rng::from_seed([4; 32]);
        let mut net = Supernet::new(&settings, data.classes, &mut rng, &device);
        let mut momentum = net.momentum_buffers();
        let batch: Vec<usize> = (0..8).collect();
        let mix = Mix::path(Nb201Space::id([3, 3, 3, 3, 3, 3]), &device);
        let first = net
            .pass(&net.weights, &mix, &data.train, &batch, Want::Nothing)
            .loss;
        for _ in 0..30 {
            let r = net.pass(&net.weights, &mix, &data.train, &batch, Want::Weights);
            let grads = r.weight_grads.expect("asked for");
            net.sgd_step(&grads, &mut momentum, &settings, 0.05);
        }
        let last = net
            .pass(&net.weights, &mix, &data.train, &batch, Want::Nothing)
            .loss;
        assert!(last < 0.5 * first, "loss {first} -> {last}");
    }
}
