//! The NAS-Bench-201 network of one architecture, built in burn on the `flex` CPU backend.
//!
//! Exactly the NB201 paper's network (Dong & Yang, ICLR 2020; see
//! `datasets::space::Nb201Macro`): 3×3 conv stem + BN; three stages of N cells at C, 2C and 4C
//! channels with the residual reduction block between stages (ReLU-conv3×3/2-BN,
//! ReLU-conv3×3-BN, shortcut avg-pool 2×2/2 + conv1×1); BN + ReLU, global average pooling and a
//! linear classifier. Cell edges: `none` → zeros, `skip_connect` → identity, `nor_conv_k×k` →
//! ReLU-conv-BN, `avg_pool_3x3` → 3×3 average pooling (stride 1, padding 1, padding not
//! counted); a node sums its incoming edges.
//!
//! Every weight is a leaf tensor initialised as PyTorch does by default (convolutions and the
//! classifier U(−1/√fan_in, 1/√fan_in), BN scale 1 and shift 0), drawn from the caller's
//! generator. BN always normalises with the batch statistics, as a freshly built PyTorch model
//! in training mode does — the setting the zero-cost proxies are defined in.

mod nb101;

use burn::tensor::activation::relu;
use burn::tensor::module::{adaptive_avg_pool2d, avg_pool2d, batch_norm_train, conv2d, linear};
use burn::tensor::ops::{AvgPoolOptions, ConvOptions, PadMode};
use burn::tensor::{Device, Tensor, TensorData};
use datasets::ArchId;
use datasets::rng::{self, TrialRng};
use datasets::space::{NB201_EDGES, Nb201Macro, Nb201Space};

/// How weights are initialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    /// PyTorch's defaults (the zero-cost proxies' setting).
    PyTorch,
    /// Every weight N(0, 1), BN scale 1 and shift 0 (Zen-NAS's setting).
    Gaussian,
}

#[derive(Clone)]
struct Conv {
    weight: Tensor<4>,
    stride: usize,
    padding: usize,
}

#[derive(Clone)]
struct Bn {
    gamma: Tensor<1>,
    beta: Tensor<1>,
}

/// Where a conv-BN layer has its ReLU: NB201's ReLU-conv-BN, NB101's conv-BN-ReLU, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relu {
    Before,
    After,
    Never,
}

/// Conv followed by BN, with its ReLU where `relu` says.
#[derive(Clone)]
struct ConvBn {
    relu: Relu,
    conv: Conv,
    bn: Bn,
}

#[derive(Clone)]
struct Cell {
    /// One entry per edge in arch-string order; `Some` for the convolution edges.
    convs: Vec<Option<ConvBn>>,
}

#[derive(Clone)]
struct Reduction {
    a: ConvBn,
    b: ConvBn,
    shortcut: Conv,
}

/// What a forward pass should do besides computing the logits.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pass {
    /// Skip every BN (synflow's "no BN" network).
    pub no_bn: bool,
    /// Keep the input of every ReLU (NASWOT's activation codes).
    pub keep_relu_inputs: bool,
    /// Add a zero leaf after every conv and the classifier, so the gradient of the loss with
    /// respect to each layer's output can be read (Fisher information).
    pub probes: bool,
}

/// The results of a forward pass.
pub struct Forward {
    pub logits: Tensor<2>,
    /// Features after the last BN + ReLU, before global average pooling.
    pub features: Tensor<4>,
    pub relu_inputs: Vec<Tensor<4>>,
    /// Per layer (convs, then the classifier): the layer's output and its zero probe.
    pub probed: Vec<(Tensor<4>, Tensor<4>)>,
    /// The biased batch variance of every BN, in order, with the number of values per
    /// channel it was computed over.
    pub bn_variances: Vec<(Tensor<1>, usize)>,
}

/// The layers between the stem and the classifier.
#[derive(Clone)]
enum Body {
    /// NB201's stages of cells with residual reductions between them, then BN and ReLU.
    Nb201 {
        ops: [u8; 6],
        cells_per_stage: usize,
        cells: Vec<Cell>,
        reductions: Vec<Reduction>,
        last_bn: Box<Bn>,
    },
    /// NB101's stacks of modules with max-pooling between them (`nb101.rs`).
    Nb101(nb101::Body),
}

#[derive(Clone)]
pub struct Network {
    input_size: usize,
    stem: ConvBn,
    body: Body,
    fc_weight: Tensor<2>,
    fc_bias: Tensor<1>,
    device: Device,
}

/// A weight of a conv or linear layer, with its shape, for per-layer metrics.
pub enum Weight<'a> {
    Conv(&'a Tensor<4>),
    Linear(&'a Tensor<2>),
}

impl Weight<'_> {
    pub fn values(&self) -> Vec<f64> {
        match self {
            Weight::Conv(t) => crate::estimate::neural::values((*t).clone()),
            Weight::Linear(t) => crate::estimate::neural::values((*t).clone()),
        }
    }

    /// The gradient in `grads`, zeros if the weight did not take part.
    pub fn grad(&self, grads: &burn::tensor::Gradients) -> Vec<f64> {
        let g = match self {
            Weight::Conv(t) => t.grad(grads).map(crate::estimate::neural::values),
            Weight::Linear(t) => t.grad(grads).map(crate::estimate::neural::values),
        };
        g.unwrap_or_else(|| vec![0.0; self.len()])
    }

    pub fn len(&self) -> usize {
        match self {
            Weight::Conv(t) => t.dims().iter().product(),
            Weight::Linear(t) => t.dims().iter().product(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Output channels (conv) or output features (linear).
    pub fn outputs(&self) -> usize {
        match self {
            Weight::Conv(t) => t.dims()[0],
            Weight::Linear(t) => t.dims()[1],
        }
    }
}

struct Builder<'a> {
    rng: &'a mut TrialRng,
    init: Init,
    device: Device,
}

impl Builder<'_> {
    /// A leaf tensor of `shape` drawn by `init` for a layer of fan-in `fan_in`.
    fn weights<const D: usize>(&mut self, shape: [usize; D], fan_in: usize) -> Tensor<D> {
        let n: usize = shape.iter().product();
        let values: Vec<f32> = match self.init {
            Init::PyTorch => {
                let bound = 1.0 / (fan_in as f64).sqrt();
                (0..n)
                    .map(|_| ((rng::unit(self.rng) * 2.0 - 1.0) * bound) as f32)
                    .collect()
            }
            Init::Gaussian => (0..n).map(|_| rng::gaussian(self.rng) as f32).collect(),
        };
        leaf(Tensor::from_data(
            TensorData::new(values, shape),
            &self.device,
        ))
    }

    fn constant(&self, n: usize, value: f32) -> Tensor<1> {
        leaf(Tensor::from_data(
            TensorData::new(vec![value; n], [n]),
            &self.device,
        ))
    }

    fn conv(&mut self, cin: usize, cout: usize, k: usize, stride: usize) -> Conv {
        Conv {
            weight: self.weights([cout, cin, k, k], cin * k * k),
            stride,
            padding: k / 2,
        }
    }

    fn bn(&self, c: usize) -> Bn {
        Bn {
            gamma: self.constant(c, 1.0),
            beta: self.constant(c, 0.0),
        }
    }

    fn conv_bn(&mut self, cin: usize, cout: usize, k: usize, stride: usize, relu: Relu) -> ConvBn {
        ConvBn {
            relu,
            conv: self.conv(cin, cout, k, stride),
            bn: self.bn(cout),
        }
    }
}

/// A tensor whose gradient backward passes keep, on an autodiff device.
pub fn leaf<const D: usize>(t: Tensor<D>) -> Tensor<D> {
    if t.device().is_autodiff() {
        t.require_grad()
    } else {
        t
    }
}

/// A pass through the layers, collecting what `Pass` asks for.
struct Run<'a> {
    pass: Pass,
    device: &'a Device,
    out: Forward,
    /// 0/1 masks that replace every ReLU's own, in forward order (`forward_frozen_relus`).
    frozen: Option<std::slice::Iter<'a, Tensor<4>>>,
}

impl Run<'_> {
    fn relu(&mut self, x: Tensor<4>) -> Tensor<4> {
        if self.pass.keep_relu_inputs {
            self.out.relu_inputs.push(x.clone());
        }
        match self.frozen.as_mut() {
            Some(masks) => x * masks.next().expect("one mask per ReLU").clone(),
            None => relu(x),
        }
    }

    fn probe(&mut self, x: Tensor<4>) -> Tensor<4> {
        if !self.pass.probes {
            return x;
        }
        let zero = Tensor::zeros(x.dims(), self.device).require_grad();
        let y = x + zero.clone();
        self.out.probed.push((y.clone(), zero));
        y
    }

    fn conv(&mut self, c: &Conv, x: Tensor<4>) -> Tensor<4> {
        let options = ConvOptions::new([c.stride; 2], [c.padding; 2], [1, 1], 1);
        let y = conv2d(x, c.weight.clone(), None, options);
        self.probe(y)
    }

    fn bn(&mut self, bn: &Bn, x: Tensor<4>) -> Tensor<4> {
        if self.pass.no_bn {
            return x;
        }
        let [n, _, h, w] = x.dims();
        let r = batch_norm_train(x, bn.gamma.clone(), bn.beta.clone(), 1e-5);
        self.out.bn_variances.push((r.variance, n * h * w));
        r.output
    }

    fn conv_bn(&mut self, l: &ConvBn, x: Tensor<4>) -> Tensor<4> {
        let x = if l.relu == Relu::Before {
            self.relu(x)
        } else {
            x
        };
        let y = self.conv(&l.conv, x);
        let y = self.bn(&l.bn, y);
        if l.relu == Relu::After {
            self.relu(y)
        } else {
            y
        }
    }

    fn cell(&mut self, cell: &Cell, ops: &[u8; 6], x: Tensor<4>) -> Tensor<4> {
        let mut nodes: Vec<Tensor<4>> = vec![x];
        for node in 1..4 {
            let mut sum: Option<Tensor<4>> = None;
            for (e, &(to, from)) in NB201_EDGES.iter().enumerate() {
                if to != node || ops[e] == 0 {
                    continue;
                }
                let input = nodes[from].clone();
                let y = match ops[e] {
                    1 => input,
                    2 | 3 => {
                        let layer = cell.convs[e].as_ref().expect("conv edges have a conv");
                        self.conv_bn(layer, input)
                    }
                    _ => avg_pool_3x3(input, self.device),
                };
                sum = Some(match sum {
                    Some(s) => s + y,
                    None => y,
                });
            }
            // A node without live inputs outputs zeros.
            let zeros = || Tensor::zeros(nodes[0].dims(), self.device);
            nodes.push(sum.unwrap_or_else(zeros));
        }
        nodes.pop().expect("4 nodes")
    }

    fn reduction(&mut self, r: &Reduction, x: Tensor<4>) -> Tensor<4> {
        let a = self.conv_bn(&r.a, x.clone());
        let b = self.conv_bn(&r.b, a);
        let pooled = avg_pool2d(x, AvgPoolOptions::new([2, 2]).with_stride([2, 2]));
        b + self.conv(&r.shortcut, pooled)
    }
}

/// NB201's `avg_pool_3x3` (3×3, stride 1, padding 1, padding not counted) as the sum of
/// the zero-padded input's nine shifted windows, summed by rows then columns, times each
/// position's reciprocal count. Same values as burn's `avg_pool2d` to rounding (tested),
/// whose backward in the flex backend is a scalar loop that took 12% of the proxies' time.
pub(crate) fn avg_pool_3x3(x: Tensor<4>, device: &Device) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    let padded = x.pad((1, 1, 1, 1), PadMode::Constant(0.0));
    let rows =
        padded.clone().narrow(2, 0, h) + padded.clone().narrow(2, 1, h) + padded.narrow(2, 2, h);
    let sums = rows.clone().narrow(3, 0, w) + rows.clone().narrow(3, 1, w) + rows.narrow(3, 2, w);
    let inside = |i: usize, n: usize| 3 - usize::from(i == 0) - usize::from(i + 1 == n);
    let reciprocals: Vec<f32> = (0..h)
        .flat_map(|i| (0..w).map(move |j| 1.0 / (inside(i, h) * inside(j, w)) as f32))
        .collect();
    let reciprocals = TensorData::new(reciprocals, [1, 1, h, w]);
    sums * Tensor::from_data(reciprocals, device)
}

impl Network {
    /// The network of `arch` for `shape`, weights drawn from `rng`.
    pub fn new(
        arch: ArchId,
        shape: Nb201Macro,
        init: Init,
        rng: &mut TrialRng,
        device: &Device,
    ) -> Network {
        let ops = Nb201Space::ops(arch);
        let mut b = Builder {
            rng,
            init,
            device: device.clone(),
        };
        let c = shape.channels;
        let stem = b.conv_bn(3, c, 3, 1, Relu::Never);
        let mut cells = Vec::new();
        let mut reductions = Vec::new();
        for stage in 0..3 {
            let width = c << stage;
            if stage > 0 {
                reductions.push(Reduction {
                    a: b.conv_bn(width / 2, width, 3, 2, Relu::Before),
                    b: b.conv_bn(width, width, 3, 1, Relu::Before),
                    shortcut: b.conv(width / 2, width, 1, 1),
                });
            }
            for _ in 0..shape.cells_per_stage {
                let convs = ops
                    .iter()
                    .map(|&op| match op {
                        2 => Some(b.conv_bn(width, width, 1, 1, Relu::Before)),
                        3 => Some(b.conv_bn(width, width, 3, 1, Relu::Before)),
                        _ => None,
                    })
                    .collect();
                cells.push(Cell { convs });
            }
        }
        let last = 4 * c;
        let last_bn = b.bn(last);
        let fc_weight = b.weights([last, shape.classes], last);
        let fc_bias = b.weights([shape.classes], last);
        Network {
            input_size: shape.input_size,
            stem,
            body: Body::Nb201 {
                ops,
                cells_per_stage: shape.cells_per_stage,
                cells,
                reductions,
                last_bn: Box::new(last_bn),
            },
            fc_weight,
            fc_bias,
            device: device.clone(),
        }
    }

    /// Logits `[batch, classes]` of images `[batch, 3, H, W]`, and what `pass` asks for.
    pub fn forward(&self, x: Tensor<4>, pass: Pass) -> Forward {
        self.run(x, pass, None)
    }

    /// The forward pass with every ReLU replaced by multiplication with the 0/1 mask at the
    /// same position in `masks` (in forward order, as `Pass::keep_relu_inputs` lists the
    /// inputs): the network's function on the linear piece those masks select, smooth in the
    /// weights.
    pub fn forward_frozen_relus(&self, x: Tensor<4>, masks: &[Tensor<4>]) -> Forward {
        self.run(x, Pass::default(), Some(masks.iter()))
    }

    fn run(
        &self,
        x: Tensor<4>,
        pass: Pass,
        frozen: Option<std::slice::Iter<'_, Tensor<4>>>,
    ) -> Forward {
        let mut run = Run {
            pass,
            device: &self.device,
            frozen,
            out: Forward {
                logits: Tensor::zeros([1, 1], &self.device),
                features: Tensor::zeros([1, 1, 1, 1], &self.device),
                relu_inputs: Vec::new(),
                probed: Vec::new(),
                bn_variances: Vec::new(),
            },
        };
        let h = run.conv_bn(&self.stem, x);
        let features = match &self.body {
            Body::Nb201 {
                ops,
                cells_per_stage,
                cells,
                reductions,
                last_bn,
            } => {
                let mut h = h;
                for (i, cell) in cells.iter().enumerate() {
                    if i > 0 && i % cells_per_stage == 0 {
                        h = run.reduction(&reductions[i / cells_per_stage - 1], h);
                    }
                    h = run.cell(cell, ops, h);
                }
                let h = run.bn(last_bn, h);
                run.relu(h)
            }
            Body::Nb101(body) => run.nb101(body, h),
        };
        let [batch, channels, _, _] = features.dims();
        let pooled: Tensor<2> =
            adaptive_avg_pool2d(features.clone(), [1, 1]).reshape([batch, channels]);
        let logits = linear(pooled, self.fc_weight.clone(), Some(self.fc_bias.clone()));
        let logits = if pass.probes {
            let probe4 = run.probe(
                logits
                    .clone()
                    .reshape([batch, self.fc_weight.dims()[1], 1, 1]),
            );
            probe4.reshape([batch, self.fc_weight.dims()[1]])
        } else {
            logits
        };
        assert!(
            run.frozen.is_none_or(|mut masks| masks.next().is_none()),
            "one mask per ReLU, no more"
        );
        run.out.logits = logits;
        run.out.features = features;
        run.out
    }

    /// The conv-BN layers in forward order.
    fn layers(&self) -> Vec<&ConvBn> {
        let mut out = vec![&self.stem];
        match &self.body {
            Body::Nb201 {
                cells_per_stage,
                cells,
                reductions,
                ..
            } => {
                let mut reductions = reductions.iter();
                for (i, cell) in cells.iter().enumerate() {
                    if i > 0 && i % cells_per_stage == 0 {
                        let r = reductions.next().expect("a reduction between stages");
                        out.extend([&r.a, &r.b]);
                    }
                    out.extend(cell.convs.iter().flatten());
                }
            }
            Body::Nb101(body) => out.extend(body.layers()),
        }
        out
    }

    /// The convolutions in forward order (NB201's reduction shortcuts, which have no BN,
    /// after their reduction's two layers).
    fn convs(&self) -> Vec<&Conv> {
        let mut out = vec![&self.stem.conv];
        match &self.body {
            Body::Nb201 {
                cells_per_stage,
                cells,
                reductions,
                ..
            } => {
                let mut reductions = reductions.iter();
                for (i, cell) in cells.iter().enumerate() {
                    if i > 0 && i % cells_per_stage == 0 {
                        let r = reductions.next().expect("a reduction between stages");
                        out.extend([&r.a.conv, &r.b.conv, &r.shortcut]);
                    }
                    out.extend(cell.convs.iter().flatten().map(|l| &l.conv));
                }
            }
            Body::Nb101(body) => out.extend(body.layers().into_iter().map(|l| &l.conv)),
        }
        out
    }

    /// The convolutions in the same order as `convs`, mutably.
    fn convs_mut(&mut self) -> Vec<&mut Conv> {
        let mut out = vec![&mut self.stem.conv];
        match &mut self.body {
            Body::Nb201 {
                cells_per_stage,
                cells,
                reductions,
                ..
            } => {
                let mut reductions = reductions.iter_mut();
                for (i, cell) in cells.iter_mut().enumerate() {
                    if i > 0 && i % *cells_per_stage == 0 {
                        let r = reductions.next().expect("a reduction between stages");
                        out.extend([&mut r.a.conv, &mut r.b.conv, &mut r.shortcut]);
                    }
                    out.extend(cell.convs.iter_mut().flatten().map(|l| &mut l.conv));
                }
            }
            Body::Nb101(body) => out.extend(body.layers_mut().into_iter().map(|l| &mut l.conv)),
        }
        out
    }

    /// The conv weights in forward order, then the classifier's.
    pub fn weights(&self) -> Vec<Weight<'_>> {
        let mut out: Vec<Weight<'_>> = self
            .convs()
            .into_iter()
            .map(|c| Weight::Conv(&c.weight))
            .collect();
        out.push(Weight::Linear(&self.fc_weight));
        out
    }

    /// Replaces every weight of `weights()` (same order) by `f(index, values)` as new leaves,
    /// and the classifier bias by `bias(values)`.
    pub fn replace_weights(
        &mut self,
        f: impl Fn(usize, Vec<f64>) -> Vec<f64>,
        bias: impl Fn(Vec<f64>) -> Vec<f64>,
    ) {
        let device = self.device.clone();
        let make = |values: Vec<f64>, dims: &[usize]| -> TensorData {
            TensorData::new(
                values.into_iter().map(|v| v as f32).collect::<Vec<f32>>(),
                dims.to_vec(),
            )
        };
        let n_convs = self.convs().len();
        for (i, conv) in self.convs_mut().into_iter().enumerate() {
            let dims = conv.weight.dims();
            let values = f(i, crate::estimate::neural::values(conv.weight.clone()));
            conv.weight = leaf(Tensor::from_data(make(values, &dims), &device));
        }
        let dims = self.fc_weight.dims();
        let values = f(
            n_convs,
            crate::estimate::neural::values(self.fc_weight.clone()),
        );
        self.fc_weight = leaf(Tensor::from_data(make(values, &dims), &device));
        let dims = self.fc_bias.dims();
        let values = bias(crate::estimate::neural::values(self.fc_bias.clone()));
        self.fc_bias = leaf(Tensor::from_data(make(values, &dims), &device));
    }

    /// Trainable parameters: conv and classifier weights, classifier bias, BN scales and shifts.
    pub fn parameter_count(&self) -> usize {
        let weights: usize = self.weights().iter().map(Weight::len).sum();
        let last_bn = match &self.body {
            Body::Nb201 { last_bn, .. } => Some(&**last_bn),
            Body::Nb101(_) => None,
        };
        let bns = self.layers().into_iter().map(|l| &l.bn).chain(last_bn);
        let bn: usize = bns.map(|b| 2 * b.gamma.dims()[0]).sum();
        weights + bn + self.fc_bias.dims()[0]
    }

    /// Height and width of the images the network takes.
    pub fn input_size(&self) -> usize {
        self.input_size
    }

    pub fn device(&self) -> &Device {
        &self.device
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_counts_equal_the_analytic_count() {
        let space = Nb201Space::new();
        let device = crate::estimate::neural::device();
        for (task, key) in [
            ("cifar10", "333333"),
            ("cifar100", "000000"),
            ("imagenet16-120", "421211"),
        ] {
            let shape = Nb201Macro::for_task(task).unwrap();
            let arch = datasets::SearchSpace::id_of_key(&space, key).unwrap();
            let mut rng = rng::from_seed([1; 32]);
            let net = Network::new(arch, shape, Init::PyTorch, &mut rng, &device);
            assert_eq!(
                net.parameter_count() as u64,
                shape.params(arch),
                "{task} {key}"
            );
        }
    }

    #[test]
    fn the_written_out_3x3_average_pool_equals_burns() {
        let device = crate::estimate::neural::device();
        let mut rng = rng::from_seed([3; 32]);
        let random = |rng: &mut TrialRng, n: usize| -> Vec<f32> {
            (0..n).map(|_| rng::gaussian(rng) as f32).collect()
        };
        let shape = [2, 3, 5, 6];
        let x = TensorData::new(random(&mut rng, 180), shape);
        let weights = TensorData::new(random(&mut rng, 180), shape);
        let pooled = |written_out: bool| {
            let x = leaf(Tensor::<4>::from_data(x.clone(), &device));
            let y = if written_out {
                avg_pool_3x3(x.clone(), &device)
            } else {
                let options = AvgPoolOptions::new([3, 3])
                    .with_stride([1, 1])
                    .with_padding([1, 1])
                    .with_count_include_pad(false);
                avg_pool2d(x.clone(), options)
            };
            let loss = (y.clone() * Tensor::from_data(weights.clone(), &device)).sum();
            let grads = loss.backward();
            let grad = x.grad(&grads).expect("x takes part");
            (
                crate::estimate::neural::values(y),
                crate::estimate::neural::values(grad),
            )
        };
        let (ours, burns) = (pooled(true), pooled(false));
        for (a, b) in ours
            .0
            .iter()
            .zip(&burns.0)
            .chain(ours.1.iter().zip(&burns.1))
        {
            assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }

    #[test]
    fn forward_shapes() {
        let device = crate::estimate::neural::device();
        let shape = Nb201Macro {
            channels: 4,
            cells_per_stage: 1,
            input_size: 8,
            classes: 3,
        };
        let mut rng = rng::from_seed([2; 32]);
        let net = Network::new(
            Nb201Space::id([3, 4, 1, 2, 0, 3]),
            shape,
            Init::PyTorch,
            &mut rng,
            &device,
        );
        let x = Tensor::<4>::ones([2, 3, 8, 8], &device);
        let out = net.forward(
            x,
            Pass {
                keep_relu_inputs: true,
                probes: true,
                ..Pass::default()
            },
        );
        assert_eq!(out.logits.dims(), [2, 3]);
        assert_eq!(out.features.dims(), [2, 16, 2, 2]);
        // ReLUs: 3 conv edges per cell × 3 cells, 2 per reduction × 2, and the last one.
        assert_eq!(out.relu_inputs.len(), 3 * 3 + 2 * 2 + 1);
        // Convs: stem, 9 in cells, 3 per reduction; and the classifier.
        assert_eq!(out.probed.len(), 1 + 9 + 6 + 1);
        assert_eq!(net.weights().len(), 1 + 9 + 6 + 1);
    }
}
