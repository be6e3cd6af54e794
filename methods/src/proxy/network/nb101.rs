//! The NAS-Bench-101 network of one cell (Ying et al., ICML 2019; nasbench
//! `lib/model_builder.py`, `datasets::space::Nb101Macro`): after the stem, stacks of modules
//! with a 2×2/2 max-pool before every stack but the first. In a module, vertex `t` sums the
//! outputs of its interior predecessors, cut to its channels (`vertex_channels`), and a 1×1
//! conv-BN-ReLU projection of the module input if the input feeds it, then applies its op
//! (conv3×3- or conv1×1-BN-ReLU, or 3×3 max-pool, stride 1); the output concatenates the
//! vertices that feed it and adds a projection of the input if the input feeds it too (or is
//! that projection alone). The stem is conv3×3-BN-ReLU; no BN follows the last module.

use burn::tensor::Tensor;
use burn::tensor::module::max_pool2d;
use burn::tensor::ops::MaxPoolOptions;
use datasets::rng::TrialRng;
use datasets::space::{Nb101Cell, Nb101Macro, vertex_channels};

use super::{Builder, ConvBn, Init, Network, Relu, Run};

/// One module: per vertex, its input projection and its op's layer (`None` for max-pool,
/// or where the vertex has none).
#[derive(Clone)]
struct Module {
    channels: Vec<usize>,
    projections: Vec<Option<ConvBn>>,
    ops: Vec<Option<ConvBn>>,
    output_projection: Option<ConvBn>,
}

#[derive(Clone)]
pub(super) struct Body {
    cell: Nb101Cell,
    modules_per_stack: usize,
    modules: Vec<Module>,
}

impl Body {
    /// The conv-BN layers in forward order.
    pub(super) fn layers(&self) -> Vec<&ConvBn> {
        let mut out = Vec::new();
        for m in &self.modules {
            for t in 1..self.cell.n - 1 {
                out.extend(m.projections[t].as_ref());
                out.extend(m.ops[t].as_ref());
            }
            out.extend(m.output_projection.as_ref());
        }
        out
    }

    /// The same layers, mutably.
    pub(super) fn layers_mut(&mut self) -> Vec<&mut ConvBn> {
        let n = self.cell.n;
        let mut out = Vec::new();
        for m in &mut self.modules {
            let pairs = m.projections.iter_mut().zip(m.ops.iter_mut());
            for (projection, op) in pairs.take(n - 1).skip(1) {
                out.extend(projection.as_mut());
                out.extend(op.as_mut());
            }
            out.extend(m.output_projection.as_mut());
        }
        out
    }
}

fn module(b: &mut Builder<'_>, cell: &Nb101Cell, cin: usize, cout: usize) -> Module {
    let channels = vertex_channels(cell, cin, cout);
    let n = cell.n;
    let mut projections = vec![None; n];
    let mut ops = vec![None; n];
    for t in 1..n - 1 {
        if cell.edge(0, t) {
            projections[t] = Some(b.conv_bn(cin, channels[t], 1, 1, Relu::After));
        }
        ops[t] = match cell.ops[t] {
            0 => Some(b.conv_bn(channels[t], channels[t], 3, 1, Relu::After)),
            1 => Some(b.conv_bn(channels[t], channels[t], 1, 1, Relu::After)),
            _ => None,
        };
    }
    let output_projection = cell
        .edge(0, n - 1)
        .then(|| b.conv_bn(cin, cout, 1, 1, Relu::After));
    Module {
        channels,
        projections,
        ops,
        output_projection,
    }
}

impl Network {
    /// The NB101 network of `cell` (pruned first) for `shape`, weights drawn from `rng`.
    pub fn nb101(
        cell: &Nb101Cell,
        shape: Nb101Macro,
        init: Init,
        rng: &mut TrialRng,
        device: &burn::tensor::Device,
    ) -> Network {
        let cell = cell.pruned().unwrap_or(*cell);
        let mut b = Builder {
            rng,
            init,
            device: device.clone(),
        };
        let stem = b.conv_bn(3, shape.stem_channels, 3, 1, Relu::After);
        let modules: Vec<Module> = shape
            .module_channels()
            .into_iter()
            .map(|(cin, cout)| module(&mut b, &cell, cin, cout))
            .collect();
        let last = shape
            .module_channels()
            .last()
            .map_or(shape.stem_channels, |m| m.1);
        let fc_weight = b.weights([last, shape.classes], last);
        let fc_bias = b.weights([shape.classes], last);
        Network {
            input_size: shape.input_size,
            stem,
            body: super::Body::Nb101(Body {
                cell,
                modules_per_stack: shape.modules_per_stack,
                modules,
            }),
            fc_weight,
            fc_bias,
            device: device.clone(),
        }
    }
}

impl Run<'_> {
    /// The stacks of modules after the stem.
    pub(super) fn nb101(&mut self, body: &Body, x: Tensor<4>) -> Tensor<4> {
        let mut h = x;
        for (i, m) in body.modules.iter().enumerate() {
            if i > 0 && i % body.modules_per_stack == 0 {
                h = max_pool2d(h, MaxPoolOptions::new([2, 2]).with_stride([2, 2]));
            }
            h = self.module(m, &body.cell, h);
        }
        h
    }

    fn module(&mut self, m: &Module, cell: &Nb101Cell, x: Tensor<4>) -> Tensor<4> {
        let n = cell.n;
        let mut vertices: Vec<Tensor<4>> = vec![x.clone()];
        let mut concat = Vec::new();
        for t in 1..n - 1 {
            let cut = |v: &Tensor<4>| v.clone().narrow(1, 0, m.channels[t]);
            let mut inputs: Vec<Tensor<4>> = (1..t)
                .filter(|&s| cell.edge(s, t))
                .map(|s| cut(&vertices[s]))
                .collect();
            if let Some(p) = &m.projections[t] {
                inputs.push(self.conv_bn(p, x.clone()));
            }
            let input = inputs
                .into_iter()
                .reduce(|a, b| a + b)
                .expect("a pruned cell's vertices have inputs");
            let value = match &m.ops[t] {
                Some(layer) => self.conv_bn(layer, input),
                None => max_pool2d(
                    input,
                    MaxPoolOptions::new([3, 3])
                        .with_stride([1, 1])
                        .with_padding([1, 1]),
                ),
            };
            if cell.edge(t, n - 1) {
                concat.push(value.clone());
            }
            vertices.push(value);
        }
        let projected = m.output_projection.as_ref().map(|p| self.conv_bn(p, x));
        match (concat.is_empty(), projected) {
            (true, Some(p)) => p,
            (false, None) => Tensor::cat(concat, 1),
            (false, Some(p)) => Tensor::cat(concat, 1) + p,
            (true, None) => unreachable!("a pruned cell's output has an input"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::network::Pass;
    use datasets::rng;
    use datasets::space::{Nb101Space, SearchSpace};

    /// The parameter count of the built network is nasbench's (`Nb101Macro::params`), and a
    /// forward pass has the paper's shapes, on small copies of the network.
    #[test]
    fn the_network_has_the_analytic_parameter_count_and_shapes() {
        let device = crate::estimate::neural::device();
        let space = Nb101Space::shared();
        let shape = Nb101Macro {
            stem_channels: 8,
            stacks: 3,
            modules_per_stack: 1,
            input_size: 8,
            classes: 10,
        };
        for arch in [0, 1, 500, 77_777, space.size() as u32 - 1] {
            let cell = space.cell(arch);
            let mut r = rng::from_seed([4; 32]);
            let net = Network::nb101(cell, shape, Init::PyTorch, &mut r, &device);
            assert_eq!(net.parameter_count() as u64, shape.params(cell), "{arch}");
            let out = net.forward(Tensor::ones([2, 3, 8, 8], &device), Pass::default());
            assert_eq!(out.logits.dims(), [2, 10]);
            assert_eq!(out.features.dims(), [2, 32, 2, 2]);
        }
    }
}
