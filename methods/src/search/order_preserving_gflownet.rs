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

use super::categorical::{Adam, Layout};
use super::{LastDraw, SearchMethod, Searcher, sample_unseen};
use crate::Fallbacks;
use crate::MethodContext;
use crate::limits::{self, Interval};
use crate::registry::{Capabilities, Card, Parallelism};

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

impl SearchMethod for OpGflownetParams {
    const CARD: Card = Card {
        name: "op_gflownet",
        summary: "Order-Preserving GFlowNet (Chen & Mauch, ICLR 2024), per-decision policy and linear log-reward",
        capabilities: Capabilities {
            parallelism: Parallelism::Asynchronous,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        limits::count("init", self.init, 2, limits::MAX_ARCHS)?;
        limits::count("pairs", self.pairs, 1, limits::MAX_ARCHS)?;
        limits::real(
            "learning_rate",
            self.learning_rate,
            Interval::AboveUpTo(0.0, 10.0),
        )
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(self.build(ctx.space))
    }
}

impl OpGflownetParams {
    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> OpGflownet<'a> {
        let layout = Layout::new(&space.decisions());
        // Parameters: policy logits, reward weights, then log Z.
        let n = 2 * layout.width() + 1;
        OpGflownet {
            space,
            settings: self.clone(),
            layout,
            params: vec![0.0; n],
            adam: Adam::new(n),
            seen: vec![false; space.size()],
            buffer: Vec::new(),
            asked: LastDraw::default(),
            fallbacks: Fallbacks::default(),
        }
    }
}

pub struct OpGflownet<'a> {
    space: &'a dyn SearchSpace,
    settings: OpGflownetParams,
    layout: Layout,
    /// `[logits (width), reward weights (width), log Z]`.
    params: Vec<f64>,
    adam: Adam,
    seen: Vec<bool>,
    /// Every observation: its choices and fitness.
    buffer: Vec<(Vec<usize>, f64)>,
    asked: LastDraw,
    /// Of the random initial draws.
    fallbacks: Fallbacks,
}

impl OpGflownet<'_> {
    /// The forward policy's probabilities, one vector per decision.
    pub fn policy(&self) -> Vec<Vec<f64>> {
        self.layout.policy(&self.params[..self.layout.width()])
    }

    fn log_reward(&self, choices: &[usize]) -> f64 {
        let width = self.layout.width();
        choices
            .iter()
            .enumerate()
            .map(|(d, &c)| self.params[width + self.layout.index(d, c)])
            .sum()
    }

    /// One Adam step on the order-preserving and trajectory-balance losses of `pairs`.
    fn train(&mut self, pairs: &[(usize, usize)]) {
        let width = self.layout.width();
        let log_z = self.params.len() - 1;
        let mut grad = vec![0.0; self.params.len()];
        let policy = self.policy();
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
            let p_a = 1.0 / (1.0 + libm::exp(self.log_reward(xb) - self.log_reward(xa)));
            // d/d log R̂(a) = p_a − target_a, and the opposite for b.
            for (x, g) in [(xa, p_a - target_a), (xb, target_a - p_a)] {
                for (d, &c) in x.iter().enumerate() {
                    grad[width + self.layout.index(d, c)] += g / n;
                }
            }
            // Trajectory balance, log R̂ held fixed: residual δ = log Z + Σ log P_F − log R̂;
            // the loss δ² averaged over the 2n trajectories.
            for x in [xa, xb] {
                let log_pf: f64 = x
                    .iter()
                    .enumerate()
                    .map(|(d, &c)| libm::log(policy[d][c]))
                    .sum();
                let delta = self.params[log_z] + log_pf - self.log_reward(x);
                grad[log_z] += delta / n;
                self.layout
                    .add_log_prob_grad(&policy, x, delta / n, &mut grad[..width]);
            }
        }
        let lr = self.settings.learning_rate;
        self.adam.step(&mut self.params, &grad, lr);
    }
}

impl Searcher for OpGflownet<'_> {
    /// Random unseen architectures until `init` are told, then draws from the policy; each
    /// is marked seen when asked, so simulated workers never draw one another's pending ones
    /// in the random phase.
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        let arch = if self.buffer.len() < self.settings.init {
            sample_unseen(self.space, &self.seen, rng, &mut self.fallbacks)
        } else {
            let policy = self.policy();
            let mut asked = std::mem::take(&mut self.asked);
            let arch = asked.draw(self.space, rng, |rng| {
                policy.iter().map(|p| rng::weighted(rng, p)).collect()
            });
            self.asked = asked;
            arch
        };
        self.seen[arch as usize] = true;
        arch
    }

    fn fallbacks(&self) -> Fallbacks {
        let mut all = self.fallbacks.clone();
        all.merge(&self.asked.fallbacks);
        all
    }

    fn tell(&mut self, arch: ArchId, fitness: f64) {
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
    use crate::search::testing::{against_random_search, best_choices, run, separable, toy_space};

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
        assert_eq!(best_choices(&gfn.policy()), [3, 3, 3], "{:?}", gfn.policy());
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
