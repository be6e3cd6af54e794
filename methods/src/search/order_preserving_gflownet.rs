//! Order-Preserving GFlowNet (Chen & Mauch, "Order-Preserving GFlowNets", ICLR 2024): a
//! GFlowNet sampler trained on a reward it learns from the order of the observed objective
//! values only, so no reward scale or temperature has to be chosen.
//!
//! Variant: architectures are built decision by decision (NB201: edge by edge), a tree-shaped
//! state space where the backward policy is 1 and trajectory balance (Malkin et al. 2022) reads
//! `log Z + Σ_d log P_F(c_d) = log R̂(x)`. The forward policy is one categorical per decision
//! (logits, independent of earlier choices) and the learned log-reward is linear in the
//! one-hot choices, `log R̂(x) = Σ_d w_d[c_d]`; with these two forms trajectory balance has an
//! exact solution (`P_F` = softmax of `w_d`), which is why the simplification is consistent.
//! The paper uses neural networks for both. After each observation, `pairs` (16) pairs are
//! drawn from the replay buffer of all observations; the order-preserving loss is the
//! cross-entropy between the pair's order (1 for the better, ½ each on ties) and the softmax of
//! their `log R̂`, which trains `w`; the squared trajectory-balance residual of the pairs'
//! members, with `log R̂` held fixed, trains the logits and `log Z`. One Adam step (learning
//! rate `learning_rate`, 0.01) on each per observation; the first `init` (10) architectures
//! are uniformly random.

use datasets::rng::{self, TrialRng};
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::{LastDraw, Searcher, sample_unseen};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpGflownetParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_init")]
    pub init: usize,
    #[serde(default = "default_pairs")]
    pub pairs: usize,
    #[serde(default = "default_learning_rate")]
    pub learning_rate: f64,
}

fn default_init() -> usize {
    10
}

fn default_pairs() -> usize {
    16
}

fn default_learning_rate() -> f64 {
    0.01
}

impl OpGflownetParams {
    pub fn validate(&self) -> Result<(), String> {
        if self.init < 2 || self.pairs == 0 {
            return Err(format!(
                "need init >= 2 and pairs >= 1, got {} and {}",
                self.init, self.pairs
            ));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(format!(
                "learning_rate must be positive, got {}",
                self.learning_rate
            ));
        }
        Ok(())
    }

    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> OpGflownet<'a> {
        let zeros: Vec<Vec<f64>> = space.decisions().iter().map(|&n| vec![0.0; n]).collect();
        // Parameters: policy logits, reward weights, then log Z.
        let mut params = Vec::new();
        for block in [&zeros, &zeros] {
            params.extend(block.iter().flatten().copied());
        }
        params.push(0.0);
        OpGflownet {
            space,
            settings: self.clone(),
            offsets: zeros
                .iter()
                .scan(0, |at, d| {
                    let start = *at;
                    *at += d.len();
                    Some(start)
                })
                .collect(),
            width: zeros.iter().map(Vec::len).sum(),
            adam: Adam::new(params.len()),
            params,
            seen: vec![false; space.size()],
            buffer: Vec::new(),
            asked: LastDraw::default(),
        }
    }
}

/// Adam (Kingma & Ba 2015) with β = 0.9, 0.999 and ε = 10⁻⁸.
struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
    steps: i32,
}

impl Adam {
    fn new(n: usize) -> Adam {
        Adam {
            m: vec![0.0; n],
            v: vec![0.0; n],
            steps: 0,
        }
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64], learning_rate: f64) {
        self.steps += 1;
        let (c1, c2) = (
            1.0 - 0.9f64.powi(self.steps),
            1.0 - 0.999f64.powi(self.steps),
        );
        for i in 0..params.len() {
            self.m[i] = 0.9 * self.m[i] + 0.1 * grad[i];
            self.v[i] = 0.999 * self.v[i] + 0.001 * grad[i] * grad[i];
            params[i] -= learning_rate * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + 1e-8);
        }
    }
}

pub struct OpGflownet<'a> {
    space: &'a dyn SearchSpace,
    settings: OpGflownetParams,
    /// Where each decision's block starts within the logits (and within the weights).
    offsets: Vec<usize>,
    /// Total number of choices over all decisions.
    width: usize,
    /// `[logits (width), reward weights (width), log Z]`.
    params: Vec<f64>,
    adam: Adam,
    seen: Vec<bool>,
    /// Every observation: its choices and fitness.
    buffer: Vec<(Vec<usize>, f64)>,
    asked: LastDraw,
}

fn softmax(logits: &[f64]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = exp.iter().sum();
    exp.iter().map(|e| e / total).collect()
}

impl OpGflownet<'_> {
    fn logits(&self, d: usize) -> &[f64] {
        let start = self.offsets[d];
        &self.params[start..start + self.space.decisions()[d]]
    }

    /// The forward policy's probabilities, one vector per decision.
    pub fn policy(&self) -> Vec<Vec<f64>> {
        (0..self.offsets.len())
            .map(|d| softmax(self.logits(d)))
            .collect()
    }

    fn log_reward(&self, choices: &[usize]) -> f64 {
        choices
            .iter()
            .zip(&self.offsets)
            .map(|(&c, &at)| self.params[self.width + at + c])
            .sum()
    }

    /// One Adam step on the order-preserving and trajectory-balance losses of `pairs`.
    fn train(&mut self, pairs: &[(usize, usize)]) {
        let mut grad = vec![0.0; self.params.len()];
        let policy = self.policy();
        let log_z = self.params.len() - 1;
        let n = pairs.len() as f64;
        for &(a, b) in pairs {
            let (xa, fa) = &self.buffer[a];
            let (xb, fb) = &self.buffer[b];
            // Order-preserving loss: cross-entropy of softmax(log R̂(a), log R̂(b)).
            let target_a = match fa.total_cmp(fb) {
                std::cmp::Ordering::Greater => 1.0,
                std::cmp::Ordering::Less => 0.0,
                std::cmp::Ordering::Equal => 0.5,
            };
            let p_a = 1.0 / (1.0 + (self.log_reward(xb) - self.log_reward(xa)).exp());
            // d/d log R̂(a) = p_a − target_a, and the opposite for b.
            for (x, g) in [(xa, p_a - target_a), (xb, target_a - p_a)] {
                for (&c, &at) in x.iter().zip(&self.offsets) {
                    grad[self.width + at + c] += g / n;
                }
            }
            // Trajectory balance, log R̂ held fixed: residual δ = log Z + Σ log P_F − log R̂.
            for x in [xa, xb] {
                let delta = self.params[log_z]
                    + x.iter()
                        .enumerate()
                        .map(|(d, &c)| policy[d][c].ln())
                        .sum::<f64>()
                    - self.log_reward(x);
                grad[log_z] += 2.0 * delta / (2.0 * n);
                for (d, &c) in x.iter().enumerate() {
                    for (k, p) in policy[d].iter().enumerate() {
                        let indicator = if k == c { 1.0 } else { 0.0 };
                        grad[self.offsets[d] + k] += 2.0 * delta * (indicator - p) / (2.0 * n);
                    }
                }
            }
        }
        let lr = self.settings.learning_rate;
        self.adam.step(&mut self.params, &grad, lr);
    }
}

impl Searcher for OpGflownet<'_> {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        if self.buffer.len() < self.settings.init {
            return sample_unseen(self.space, &self.seen, rng);
        }
        let policy = self.policy();
        let mut asked = std::mem::take(&mut self.asked);
        let arch = asked.draw(self.space, rng, |rng| {
            policy.iter().map(|p| rng::weighted(rng, p)).collect()
        });
        self.asked = asked;
        arch
    }

    fn tell(&mut self, arch: ArchId, fitness: f64) {
        self.seen[arch as usize] = true;
        let choices = self.asked.take(self.space, arch);
        self.buffer.push((choices, fitness));
        if self.buffer.len() < 2 {
            return;
        }
        // Pairs drawn from the buffer with a generator seeded by its size (`tell` has no trial
        // generator): the searcher's state stays a function of what it was told.
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&(self.buffer.len() as u64).to_le_bytes());
        let mut pair_rng = rng::from_seed(seed);
        let newest = self.buffer.len() - 1;
        let pairs: Vec<(usize, usize)> = (0..self.settings.pairs)
            .map(|i| {
                let a = if i == 0 {
                    newest
                } else {
                    rng::below(&mut pair_rng, self.buffer.len())
                };
                let mut b = rng::below(&mut pair_rng, self.buffer.len() - 1);
                if b >= a {
                    b += 1;
                }
                (a, b)
            })
            .collect();
        self.train(&pairs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{against_random_search, run, toy_space};

    /// Separable: each parameter's best choice is 3.
    fn separable(arch: ArchId) -> f64 {
        [arch / 100, (arch / 10) % 10, arch % 10]
            .iter()
            .map(|&d| if d == 3 { 1.0 } else { 0.0 })
            .sum()
    }

    #[test]
    fn the_sampler_concentrates_on_the_best_choices() {
        let space = toy_space();
        let params = OpGflownetParams {
            id: None,
            init: 10,
            pairs: 16,
            learning_rate: 0.05,
        };
        let mut gfn = params.build(&space);
        run(&mut gfn, separable, 400, 2);
        for p in gfn.policy() {
            let best = (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
            assert_eq!(best, 3, "{p:?}");
        }
    }

    #[test]
    fn beats_random_search_on_a_unimodal_table() {
        let space = toy_space();
        let gfn = OpGflownetParams {
            id: None,
            init: 10,
            pairs: 16,
            learning_rate: 0.05,
        };
        let (method, random) = against_random_search(|| Box::new(gfn.build(&space)), 150, 10);
        assert!(method > random, "OP-GFN {method}, RS {random}");
    }
}
