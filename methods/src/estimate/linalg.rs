//! The little dense linear algebra ridge regression and Gaussian processes need.

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
}
