//! Small dense linear algebra for the proxies: correlation matrices, eigenvalues of symmetric
//! matrices (cyclic Jacobi rotations) and log-determinants (LU with partial pivoting).

/// The Pearson correlation matrix of `rows` (each row a variable, as numpy.corrcoef), n × n
/// row-major. A constant row correlates as NaN with everything, as in numpy.
pub fn correlation(rows: &[Vec<f64>]) -> Vec<f64> {
    let n = rows.len();
    let centred: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            let m = r.iter().sum::<f64>() / r.len() as f64;
            r.iter().map(|v| v - m).collect()
        })
        .collect();
    let norms: Vec<f64> = centred
        .iter()
        .map(|r| r.iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect();
    let mut c = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let dot: f64 = centred[i].iter().zip(&centred[j]).map(|(a, b)| a * b).sum();
            let v = (dot / (norms[i] * norms[j])).clamp(-1.0, 1.0);
            c[i * n + j] = v;
            c[j * n + i] = v;
        }
    }
    c
}

/// Eigenvalues of a symmetric n × n matrix (row-major), by cyclic Jacobi rotations.
pub fn symmetric_eigenvalues(matrix: &[f64], n: usize) -> Vec<f64> {
    let mut a = matrix.to_vec();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j].powi(2))
            .sum();
        // Stop when the off-diagonal mass is negligible (or NaN: a degenerate input).
        if off.is_nan() || off <= 1e-22 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
            }
        }
    }
    (0..n).map(|i| a[i * n + i]).collect()
}

/// log |det A| of an n × n matrix (row-major); −∞ when A is singular.
pub fn log_abs_det(matrix: &[f64], n: usize) -> f64 {
    let mut a = matrix.to_vec();
    let mut log_det = 0.0;
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))
            .expect("col < n");
        if a[pivot * n + col] == 0.0 {
            return f64::NEG_INFINITY;
        }
        if pivot != col {
            for k in 0..n {
                a.swap(pivot * n + k, col * n + k);
            }
        }
        let d = a[col * n + col];
        log_det += d.abs().ln();
        for row in col + 1..n {
            let f = a[row * n + col] / d;
            for k in col..n {
                a[row * n + k] -= f * a[col * n + k];
            }
        }
    }
    log_det
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigenvalues_of_a_known_matrix() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let mut ev = symmetric_eigenvalues(&[2.0, 1.0, 1.0, 2.0], 2);
        ev.sort_by(f64::total_cmp);
        assert!((ev[0] - 1.0).abs() < 1e-12 && (ev[1] - 3.0).abs() < 1e-12);
        // Their sum is the trace and their product the determinant, for a 4 × 4 case too.
        let m = [
            4.0, 1.0, 0.5, 0.0, 1.0, 3.0, 0.2, 0.1, 0.5, 0.2, 2.0, 0.3, 0.0, 0.1, 0.3, 1.0,
        ];
        let ev = symmetric_eigenvalues(&m, 4);
        assert!((ev.iter().sum::<f64>() - 10.0).abs() < 1e-10);
        assert!((ev.iter().map(|v| v.ln()).sum::<f64>() - log_abs_det(&m, 4)).abs() < 1e-10);
    }

    #[test]
    fn correlation_matches_numpy() {
        // numpy.corrcoef([[1, 2, 3, 4], [2, 4, 5, 9]])[0, 1] = 0.9647638212377321
        let c = correlation(&[vec![1.0, 2.0, 3.0, 4.0], vec![2.0, 4.0, 5.0, 9.0]]);
        assert!((c[1] - 0.964_763_821_237_732_1).abs() < 1e-12, "{}", c[1]);
        assert!((c[0] - 1.0).abs() < 1e-15);
    }
}
