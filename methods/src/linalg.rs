//! The small dense linear algebra nash needs, row-major throughout: Cholesky factors, dot
//! products and Gram matrices for ridge regression and Gaussian processes; correlation
//! matrices, eigenvalues of symmetric matrices (cyclic Jacobi rotations) and log-determinants
//! (LU with partial pivoting) for the proxies.

/// A symmetric positive-definite matrix, row-major, factorised as L·Lᵀ (Cholesky).
pub struct Cholesky {
    n: usize,
    l: Vec<f64>,
}

impl Cholesky {
    /// Factorises `a` (n × n, row-major). Fails if `a` is not positive definite.
    pub fn new(a: &[f64], n: usize) -> Result<Cholesky, String> {
        let mut l = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let dot: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
                let v = a[i * n + j] - dot;
                if i == j {
                    if v <= 0.0 || !v.is_finite() {
                        return Err(format!("matrix is not positive definite (pivot {i}: {v})"));
                    }
                    l[i * n + i] = v.sqrt();
                } else {
                    l[i * n + j] = v / l[j * n + j];
                }
            }
        }
        Ok(Cholesky { n, l })
    }

    /// Solves A·x = b.
    pub fn solve(&self, b: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut y = b.to_vec();
        for i in 0..n {
            let dot: f64 = (0..i).map(|k| self.l[i * n + k] * y[k]).sum();
            y[i] = (y[i] - dot) / self.l[i * n + i];
        }
        for i in (0..n).rev() {
            let dot: f64 = (i + 1..n).map(|k| self.l[k * n + i] * y[k]).sum();
            y[i] = (y[i] - dot) / self.l[i * n + i];
        }
        y
    }

    /// log det A = 2 Σ log L_ii.
    pub fn log_det(&self) -> f64 {
        (0..self.n)
            .map(|i| libm::log(self.l[i * self.n + i]))
            .sum::<f64>()
            * 2.0
    }
}

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The Gram matrix K[i][j] = k(rows[i], rows[j]), row-major.
pub fn gram(rows: &[Vec<f64>], k: impl Fn(&[f64], &[f64]) -> f64) -> Vec<f64> {
    let n = rows.len();
    let mut g = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let v = k(&rows[i], &rows[j]);
            g[i * n + j] = v;
            g[j * n + i] = v;
        }
    }
    g
}

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
            let v = (dot(&centred[i], &centred[j]) / (norms[i] * norms[j])).clamp(-1.0, 1.0);
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
    fn solves_a_known_system() {
        // [[4, 2], [2, 3]] x = [2, 1]  =>  x = [0.5, 0]
        let c = Cholesky::new(&[4.0, 2.0, 2.0, 3.0], 2).unwrap();
        let x = c.solve(&[2.0, 1.0]);
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12);
        assert!((c.log_det() - 8f64.ln()).abs() < 1e-12);
        assert!(Cholesky::new(&[1.0, 2.0, 2.0, 1.0], 2).is_err());
    }

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
