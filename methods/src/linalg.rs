//! The small dense linear algebra nash needs, row-major throughout: Cholesky factors, dot
//! products and Gram matrices for ridge regression and Gaussian processes; correlation
//! matrices, eigenvalues of symmetric matrices (cyclic Jacobi rotations) and log-determinants
//! (LU with partial pivoting) for the proxies.

/// A symmetric positive-definite matrix factorised as L·Lᵀ (Cholesky). L is kept as packed
/// rows (row i holds L[i][0..=i]), so a factor can grow: [`Cholesky::extend`] appends the rows
/// of a bordered matrix at O(n²) each and gives exactly the factor a fresh factorisation of the
/// whole matrix gives (the same operations in the same order).
pub struct Cholesky {
    n: usize,
    l: Vec<f64>,
}

impl Cholesky {
    /// Factorises `a` (n × n, row-major). Fails if `a` is not positive definite.
    pub fn new(a: &[f64], n: usize) -> Result<Cholesky, String> {
        let mut c = Cholesky {
            n: 0,
            l: Vec::with_capacity(n * (n + 1) / 2),
        };
        c.extend(n, |i, j| a[i * n + j])?;
        Ok(c)
    }

    /// The order of the factorised matrix.
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    fn row(&self, i: usize) -> &[f64] {
        let start = i * (i + 1) / 2;
        &self.l[start..start + i + 1]
    }

    /// Grows the factor by `m` rows: `a(i, j)`, j ≤ i, gives the entries of the grown matrix's
    /// rows i = n..n+m. Fails, keeping the rows done, if the grown matrix is not positive
    /// definite.
    pub fn extend(&mut self, m: usize, a: impl Fn(usize, usize) -> f64) -> Result<(), String> {
        for i in self.n..self.n + m {
            let start = self.l.len();
            for j in 0..=i {
                let diagonal_j = j * (j + 1) / 2 + j;
                let dot = if j < i {
                    lanes_dot(&self.l[start..start + j], &self.row(j)[..j])
                } else {
                    lanes_dot(&self.l[start..start + i], &self.l[start..start + i])
                };
                let v = a(i, j) - dot;
                if i == j {
                    if v <= 0.0 || !v.is_finite() {
                        self.l.truncate(start);
                        return Err(format!("matrix is not positive definite (pivot {i}: {v})"));
                    }
                    self.l.push(v.sqrt());
                } else {
                    let pivot = self.l[diagonal_j];
                    self.l.push(v / pivot);
                }
            }
            self.n = i + 1;
        }
        Ok(())
    }

    /// Solves L·y = b (forward substitution): for a kernel vector k, ‖y‖² = kᵀA⁻¹k.
    pub fn forward(&self, b: &[f64]) -> Vec<f64> {
        let mut y = Vec::with_capacity(self.n);
        for i in 0..self.n {
            let row = self.row(i);
            let v = (b[i] - lanes_dot(&row[..i], &y)) / row[i];
            y.push(v);
        }
        y
    }

    /// Solves A·x = b.
    pub fn solve(&self, b: &[f64]) -> Vec<f64> {
        let mut x = self.forward(b);
        // Lᵀ·x = y, a row of L (a column of Lᵀ) at a time.
        for i in (0..self.n).rev() {
            let row = self.row(i);
            x[i] /= row[i];
            let xi = x[i];
            for (xk, lik) in x[..i].iter_mut().zip(&row[..i]) {
                *xk -= lik * xi;
            }
        }
        x
    }

    /// log det A = 2 Σ log L_ii.
    pub fn log_det(&self) -> f64 {
        (0..self.n).map(|i| libm::log(self.row(i)[i])).sum::<f64>() * 2.0
    }
}

/// Σ aᵢbᵢ in eight interleaved partial sums (sum k takes the i ≡ k mod 8), added pairwise,
/// then the tail in order: a fixed order, so the same bits on every machine, and one that keeps
/// the adder busy (and that the compiler vectorises) where a single running sum waits on each
/// addition. The inner products of the O(n³) Cholesky and of the dense networks' backward pass.
pub(crate) fn lanes_dot<T>(a: &[T], b: &[T]) -> T
where
    T: Copy + Default + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
{
    let mut sums = [T::default(); 8];
    let (chunks_a, chunks_b) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .fold(T::default(), |t, (&x, &y)| t + x * y);
    for (x, y) in chunks_a.zip(chunks_b) {
        for k in 0..8 {
            sums[k] = sums[k] + x[k] * y[k];
        }
    }
    let [s0, s1, s2, s3, s4, s5, s6, s7] = sums;
    (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))) + tail
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

    /// A factor grown row block by row block is the fresh factor of the whole matrix, bit for
    /// bit; ‖L⁻¹b‖² is bᵀA⁻¹b.
    #[test]
    fn a_grown_factor_is_the_factor_of_the_grown_matrix() {
        let n = 37;
        let points: Vec<Vec<f64>> = (0..n)
            .map(|i| vec![(i as f64 * 0.37).sin(), (i as f64 * 0.11).cos()])
            .collect();
        let mut a = gram(&points, |x, y| {
            (-(x[0] - y[0]).powi(2) - (x[1] - y[1]).powi(2)).exp()
        });
        for i in 0..n {
            a[i * n + i] += 0.01;
        }
        let whole = Cholesky::new(&a, n).unwrap();
        let mut grown = Cholesky::new(&a[..0], 0).unwrap();
        for m in [1, 9, 20, 7] {
            grown.extend(m, |i, j| a[i * n + j]).unwrap();
        }
        assert_eq!(grown.len(), n);
        assert_eq!(
            whole.l.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            grown.l.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        let b: Vec<f64> = (0..n).map(|i| (i % 5) as f64 - 2.0).collect();
        let y = whole.forward(&b);
        assert!((dot(&y, &y) - dot(&b, &whole.solve(&b))).abs() < 1e-9);
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
