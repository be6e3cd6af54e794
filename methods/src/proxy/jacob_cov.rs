//! jacob_cov (Mellor et al., "Neural Architecture Search without Training", first version,
//! 2020; as implemented by Abdelfattah et al., ICLR 2021): J holds, per image, the gradient of
//! the summed logits with respect to the image; with `Σ_J` the correlation matrix of J's rows
//! and λ its eigenvalues, the score is `−Σ (ln(λ + 10⁻⁵) + 1/(λ + 10⁻⁵))`.

use crate::linalg::{correlation, symmetric_eigenvalues};

pub fn score(jacobian: &[Vec<f64>]) -> f64 {
    let k = 1e-5;
    let eigenvalues = symmetric_eigenvalues(&correlation(jacobian), jacobian.len());
    -eigenvalues
        .iter()
        .map(|&v| (v + k).ln() + 1.0 / (v + k))
        .sum::<f64>()
}
