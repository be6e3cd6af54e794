//! GraSP (Wang, Zhang & Grosse, "Picking Winning Tickets Before Training by Preserving
//! Gradient Flow", ICLR 2020), as a NAS proxy (Abdelfattah et al., ICLR 2021): with g the
//! gradient of the cross-entropy L of one batch and H its Hessian, the score is
//! `Σ −θ ⊙ (H g)` over the conv and classifier weights.
//!
//! burn has first-order autodiff only, so H g is the central finite difference of gradients
//! `(∇L(θ + εg) − ∇L(θ − εg)) / 2ε`, computed with every ReLU frozen to its 0/1 pattern at θ.
//! That is what the reference's double backward differentiates (autograd takes ReLU's second
//! derivative as zero), and it makes L smooth in θ, so the difference converges as ε shrinks
//! instead of being dominated by activations that flip. ε moves the largest weight by 3·10⁻⁵,
//! on the plateau where the score no longer depends on ε (test); below it, float32 rounding of
//! θ ± εg takes over (components of g much smaller than the largest are already rounded there,
//! which the 10⁻³ agreement with PyTorch's exact double backward shows to be harmless). `hessian_vector` is also
//! tested against an exact quadratic.

use burn::tensor::{Gradients, Tensor};

use super::network::Network;
use super::{Images, cross_entropy, tensor};

/// Finite-difference Hessian-vector product: `grad_at(θ ± εv)` differenced.
pub fn hessian_vector(
    grad_at: impl Fn(&[Vec<f64>]) -> Vec<Vec<f64>>,
    theta: &[Vec<f64>],
    v: &[Vec<f64>],
    eps: f64,
) -> Vec<Vec<f64>> {
    let shifted = |sign: f64| -> Vec<Vec<f64>> {
        theta
            .iter()
            .zip(v)
            .map(|(t, d)| t.iter().zip(d).map(|(t, d)| t + sign * eps * d).collect())
            .collect()
    };
    let plus = grad_at(&shifted(1.0));
    let minus = grad_at(&shifted(-1.0));
    plus.iter()
        .zip(&minus)
        .map(|(p, m)| {
            p.iter()
                .zip(m)
                .map(|(p, m)| (p - m) / (2.0 * eps))
                .collect()
        })
        .collect()
}

/// The weights' cross-entropy gradients on `batch` with the ReLUs frozen to `masks`.
fn gradients(net: &Network, batch: &Images, masks: &[Tensor<4>]) -> Vec<Vec<f64>> {
    let device = net.device().clone();
    let out = net.forward_frozen_relus(tensor(batch, &device), masks);
    let grads = cross_entropy(out.logits, &batch.labels, &device).backward();
    net.weights().iter().map(|w| w.grad(&grads)).collect()
}

/// How far the largest weight moves in the finite difference: on the plateau where the
/// difference no longer depends on the step (measured on NB201 networks: the score agrees to
/// 0.1% from 10⁻⁴ to 10⁻⁵, while 10⁻² is off by up to 200%).
const STEP: f64 = 3e-5;

/// `grads`: the cross-entropy gradients of `net` on `batch`, already computed;
/// `relu_inputs`: the input of every ReLU in that pass, in forward order.
pub fn score(net: &Network, batch: &Images, grads: &Gradients, relu_inputs: &[Tensor<4>]) -> f64 {
    score_with_step(net, batch, grads, relu_inputs, STEP)
}

fn score_with_step(
    net: &Network,
    batch: &Images,
    grads: &Gradients,
    relu_inputs: &[Tensor<4>],
    step: f64,
) -> f64 {
    let theta: Vec<Vec<f64>> = net.weights().iter().map(|w| w.values()).collect();
    let g: Vec<Vec<f64>> = net.weights().iter().map(|w| w.grad(grads)).collect();
    let largest = g.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    if largest == 0.0 {
        return 0.0;
    }
    let masks: Vec<Tensor<4>> = relu_inputs
        .iter()
        .map(|x| x.clone().greater_elem(0.0).float())
        .collect();
    let grad_at = |weights: &[Vec<f64>]| {
        let mut moved = net.clone();
        moved.replace_weights(|i, _| weights[i].clone(), |b| b);
        gradients(&moved, batch, &masks)
    };
    let hg = hessian_vector(grad_at, &theta, &g, step / largest);
    theta
        .iter()
        .zip(&hg)
        .map(|(t, h)| t.iter().zip(h).map(|(t, h)| -t * h).sum::<f64>())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::network::{Init, Pass};
    use crate::proxy::{loss_pass, noise_batch};
    use datasets::space::Nb201Macro;

    /// With the ReLUs frozen the difference has converged: the score hardly moves when the
    /// step is three times larger or smaller (without freezing it moves by 30%).
    #[test]
    fn score_is_on_the_step_plateau() {
        let shape = Nb201Macro {
            channels: 8,
            cells_per_stage: 1,
            input_size: 16,
            classes: 10,
        };
        let batch = noise_batch(shape, 8, 3);
        let mut rng = datasets::rng::from_seed([4; 32]);
        let device = crate::estimate::neural::device();
        for arch in [1234, 4321, 9999, 15111] {
            let net = Network::new(arch, shape, Init::PyTorch, &mut rng, &device);
            let keep = Pass {
                keep_relu_inputs: true,
                ..Pass::default()
            };
            let pass = loss_pass(&net, &batch, keep);
            let at = |step| score_with_step(&net, &batch, &pass.grads, &pass.relu_inputs, step);
            let (score, larger, smaller) = (at(STEP), at(3.0 * STEP), at(STEP / 3.0));
            assert!(score != 0.0, "arch {arch}");
            for other in [larger, smaller] {
                assert!(
                    ((other - score) / score).abs() < 0.01,
                    "arch {arch}: {score} vs {other}"
                );
            }
        }
    }

    #[test]
    fn hessian_vector_of_an_exact_quadratic() {
        // L(θ) = ½ θᵀAθ + bᵀθ with A = [[3, 1], [1, 2]] (one layer) and [[5]] (another):
        // ∇L = Aθ + b, H v = A v.
        let grad = |t: &[Vec<f64>]| {
            vec![
                vec![3.0 * t[0][0] + t[0][1] + 1.0, t[0][0] + 2.0 * t[0][1] - 1.0],
                vec![5.0 * t[1][0]],
            ]
        };
        let theta = vec![vec![0.3, -0.7], vec![2.0]];
        let v = vec![vec![1.5, 0.25], vec![-1.0]];
        let hv = hessian_vector(grad, &theta, &v, 1e-3);
        let exact = [[3.0 * 1.5 + 0.25, 1.5 + 2.0 * 0.25], [-5.0, 0.0]];
        assert!((hv[0][0] - exact[0][0]).abs() < 1e-6 && (hv[0][1] - exact[0][1]).abs() < 1e-6);
        assert!((hv[1][0] - exact[1][0]).abs() < 1e-6);
    }
}
