//! GraSP (Wang, Zhang & Grosse, "Picking Winning Tickets Before Training by Preserving
//! Gradient Flow", ICLR 2020), as a NAS proxy (Abdelfattah et al., ICLR 2021): with g the
//! gradient of the cross-entropy L of one batch and H its Hessian, the score is
//! `Σ −θ ⊙ (H g)` over the conv and classifier weights.
//!
//! burn has first-order autodiff only, so H g is the central finite difference of gradients
//! `(∇L(θ + εg) − ∇L(θ − εg)) / 2ε`, with ε set so that the largest weight moves by 10⁻³.
//! `hessian_vector` is tested against an exact quadratic. Caveat, measured: on ReLU networks in
//! float32 this difference is dominated by activation patterns that flip and by rounding — the
//! score changes sign as ε goes from 10⁻¹ to 10⁻⁴ of the largest weight — so nash's grasp
//! does not reproduce the reference's double-backward figure (|Spearman| 0.04 against 0.51 on
//! 100 CIFAR-10 cells). An exact Hessian-vector product needs second-order autodiff, which
//! burn 0.22 lacks.

use burn::tensor::Gradients;

use super::network::{Network, Pass};
use super::{Batch, loss_pass};

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

fn gradients(net: &Network, batch: &Batch) -> Vec<Vec<f64>> {
    let pass = loss_pass(net, batch, Pass::default());
    net.weights().iter().map(|w| w.grad(&pass.grads)).collect()
}

/// `grads`: the cross-entropy gradients of `net` on `batch`, already computed.
pub fn score(net: &Network, batch: &Batch, grads: &Gradients) -> f64 {
    let theta: Vec<Vec<f64>> = net.weights().iter().map(|w| w.values()).collect();
    let g: Vec<Vec<f64>> = net.weights().iter().map(|w| w.grad(grads)).collect();
    let largest = g.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    if largest == 0.0 {
        return 0.0;
    }
    let grad_at = |weights: &[Vec<f64>]| {
        let mut moved = net.clone();
        moved.replace_weights(|i, _| weights[i].clone(), |b| b);
        gradients(&moved, batch)
    };
    let hg = hessian_vector(grad_at, &theta, &g, 1e-3 / largest);
    theta
        .iter()
        .zip(&hg)
        .map(|(t, h)| t.iter().zip(h).map(|(t, h)| -t * h).sum::<f64>())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

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
