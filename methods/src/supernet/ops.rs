//! How a cell edge combines its candidate operations in one pass (the weighted sum, a
//! sampled path with its straight-through weight, one drawn path), and the tensor helpers
//! the methods share.

use burn::tensor::activation::softmax;
use burn::tensor::module::batch_norm_train;
use burn::tensor::{Device, Tensor, TensorData};
use datasets::ArchId;
use datasets::images::Images;
use datasets::rng::{self, TrialRng};
use datasets::space::Nb201Space;

use crate::proxy::network::leaf;

use super::{EDGES, OPS, Supernet, Want};

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

/// BN with the batch statistics, no learned scale or shift.
pub(super) fn bn(x: Tensor<4>, device: &Device) -> Tensor<4> {
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
