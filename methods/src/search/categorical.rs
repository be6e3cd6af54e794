//! Factorised categorical policies over a space's decisions — one block of logits per
//! decision, stored flat — and the Adam optimiser that trains them (REINFORCE, the
//! Order-Preserving GFlowNet).

use crate::snapshots::{Bytes, Reader, Snapshot};

/// Where each decision's block of logits lies in a flat parameter vector.
pub(super) struct Layout {
    offsets: Vec<usize>,
    sizes: Vec<usize>,
}

impl Layout {
    pub(super) fn new(decisions: &[usize]) -> Layout {
        let offsets = decisions
            .iter()
            .scan(0, |at, &n| {
                let start = *at;
                *at += n;
                Some(start)
            })
            .collect();
        Layout {
            offsets,
            sizes: decisions.to_vec(),
        }
    }

    /// Total number of choices.
    pub(super) fn width(&self) -> usize {
        self.sizes.iter().sum()
    }

    /// Index of choice `c` of decision `d`.
    pub(super) fn index(&self, d: usize, c: usize) -> usize {
        self.offsets[d] + c
    }

    /// Softmax of each decision's logits in `logits`.
    pub(super) fn policy(&self, logits: &[f64]) -> Vec<Vec<f64>> {
        self.offsets
            .iter()
            .zip(&self.sizes)
            .map(|(&at, &n)| softmax(&logits[at..at + n]))
            .collect()
    }

    /// Adds `scale · ∂ log π(choices) / ∂ logits` to `grad` (`1[j = c] − p_j` per decision).
    pub(super) fn add_log_prob_grad(
        &self,
        policy: &[Vec<f64>],
        choices: &[usize],
        scale: f64,
        grad: &mut [f64],
    ) {
        for (d, &chosen) in choices.iter().enumerate() {
            for (j, p) in policy[d].iter().enumerate() {
                let indicator = if j == chosen { 1.0 } else { 0.0 };
                grad[self.index(d, j)] += scale * (indicator - p);
            }
        }
    }
}

fn softmax(logits: &[f64]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = logits.iter().map(|l| libm::exp(l - max)).collect();
    let total: f64 = exp.iter().sum();
    exp.iter().map(|e| e / total).collect()
}

impl Snapshot for Adam {
    fn save(&self, out: &mut Bytes) {
        out.f64s(&self.m);
        out.f64s(&self.v);
        out.u64(self.steps as u64);
    }

    fn restore(&mut self, input: &mut Reader<'_>) -> Result<(), String> {
        input.f64s(&mut self.m)?;
        input.f64s(&mut self.v)?;
        self.steps = i32::try_from(input.u64()?).map_err(|_| "bad Adam step count")?;
        Ok(())
    }
}

/// Adam (Kingma & Ba, ICLR 2015) with β = 0.9, 0.999 and ε = 10⁻⁸.
pub(super) struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
    steps: i32,
}

impl Adam {
    pub(super) fn new(n: usize) -> Adam {
        Adam {
            m: vec![0.0; n],
            v: vec![0.0; n],
            steps: 0,
        }
    }

    /// One step down `grad`.
    pub(super) fn step(&mut self, params: &mut [f64], grad: &[f64], learning_rate: f64) {
        self.steps += 1;
        let (c1, c2) = (
            1.0 - libm::pow(0.9, f64::from(self.steps)),
            1.0 - libm::pow(0.999, f64::from(self.steps)),
        );
        for i in 0..params.len() {
            self.m[i] = 0.9 * self.m[i] + 0.1 * grad[i];
            self.v[i] = 0.999 * self.v[i] + 0.001 * grad[i] * grad[i];
            params[i] -= learning_rate * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + 1e-8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_prob_gradient_matches_finite_differences() {
        let layout = Layout::new(&[3, 2]);
        let logits = [0.3, -0.2, 0.5, 1.0, -1.0];
        let choices = [2, 1];
        let log_prob = |l: &[f64]| -> f64 {
            let p = layout.policy(l);
            choices
                .iter()
                .enumerate()
                .map(|(d, &c)| libm::log(p[d][c]))
                .sum()
        };
        let mut grad = vec![0.0; layout.width()];
        layout.add_log_prob_grad(&layout.policy(&logits), &choices, 1.0, &mut grad);
        for i in 0..logits.len() {
            let (mut up, mut down) = (logits, logits);
            up[i] += 1e-6;
            down[i] -= 1e-6;
            let numeric = (log_prob(&up) - log_prob(&down)) / 2e-6;
            assert!(
                (numeric - grad[i]).abs() < 1e-6,
                "{i}: {numeric} vs {}",
                grad[i]
            );
        }
    }

    #[test]
    fn adam_minimises_a_quadratic() {
        let mut x = [3.0, -2.0];
        let mut adam = Adam::new(2);
        for _ in 0..2000 {
            let grad = [2.0 * x[0], 2.0 * x[1]];
            adam.step(&mut x, &grad, 0.01);
        }
        assert!(x[0].abs() < 1e-2 && x[1].abs() < 1e-2, "{x:?}");
    }
}
