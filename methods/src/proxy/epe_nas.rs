//! EPE-NAS (Lopes, Alirezazadeh & Alexandre, "EPE-NAS: Efficient Performance Estimation
//! Without Training for Neural Architecture Search", ICANN 2021), as NASLib implements it:
//! the input Jacobian rows (see jacob_cov) are grouped by class label; for each class c,
//! `s_c = Σ ln(|corr| + 10⁻⁵)` over the entries of the rows' correlation matrix (divided by
//! its size when the task has more than 100 classes). The score is `Σ_c |s_c|`, or for more
//! than 100 classes `Σ_c Σ_c' |s_c − s_c'| / #classes`. A class with one image contributes
//! ln(1 + 10⁻⁵) (the correlation of a row with itself).

use crate::linalg::correlation;

pub fn score(jacobian: &[Vec<f64>], labels: &[usize], classes: usize) -> f64 {
    let k = 1e-5;
    let mut seen: Vec<usize> = labels.to_vec();
    seen.sort_unstable();
    seen.dedup();
    let per_class: Vec<f64> = seen
        .iter()
        .map(|&c| {
            let rows: Vec<Vec<f64>> = jacobian
                .iter()
                .zip(labels)
                .filter(|(_, l)| **l == c)
                .map(|(r, _)| r.clone())
                .collect();
            let corr = correlation(&rows);
            let s: f64 = corr.iter().map(|v| (v.abs() + k).ln()).sum();
            if classes > 100 {
                s / rows.len() as f64
            } else {
                s
            }
        })
        .collect();
    if classes <= 100 {
        per_class.iter().map(|s| s.abs()).sum()
    } else {
        let total: f64 = per_class
            .iter()
            .flat_map(|a| per_class.iter().map(move |b| (a - b).abs()))
            .sum();
        total / per_class.len() as f64
    }
}
