//! REINFORCE (Williams, Machine Learning 1992) as the NAS-Bench-201 paper runs it (Dong &
//! Yang, ICLR 2020, section 5; NATS-Bench's `reinforce.py`).
//!
//! Variant: one categorical policy per decision of the space (NB201: one per edge over the 5
//! ops), parametrised by logits. Each step samples an architecture from the policy; its
//! reward is the fitness the runner returns (validation accuracy in percent). The baseline is
//! an exponential moving average of the rewards with momentum `ema_momentum` (0.9), bias
//! corrected as NATS-Bench's `ExponentialMovingAverage` is; the loss
//! `−(r − b) · Σ_d log π_d(a_d)` takes one Adam step (β = 0.9, 0.999, ε = 10⁻⁸) per
//! evaluation with `learning_rate` (0.01, NATS-Bench's setting). Logits start at zero (a
//! uniform policy); NATS-Bench draws them from N(0, 10⁻⁶), a difference smaller than one Adam
//! step. Choice sequences the space does not hold (NAS-Bench-Graph's all-skip network) are
//! redrawn.

use datasets::rng::{self, TrialRng};
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::{LastDraw, Searcher};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReinforceParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_learning_rate")]
    pub learning_rate: f64,
    #[serde(default = "default_ema_momentum")]
    pub ema_momentum: f64,
}

fn default_learning_rate() -> f64 {
    0.01
}

fn default_ema_momentum() -> f64 {
    0.9
}

impl ReinforceParams {
    pub fn validate(&self) -> Result<(), String> {
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(format!(
                "learning_rate must be positive, got {}",
                self.learning_rate
            ));
        }
        if !(0.0..1.0).contains(&self.ema_momentum) {
            return Err(format!(
                "ema_momentum must be in [0, 1), got {}",
                self.ema_momentum
            ));
        }
        Ok(())
    }

    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> Reinforce<'a> {
        let decisions = space.decisions();
        let logits: Vec<Vec<f64>> = decisions.iter().map(|&n| vec![0.0; n]).collect();
        Reinforce {
            space,
            params: self.clone(),
            adam_m: logits.clone(),
            adam_v: logits.clone(),
            logits,
            steps: 0,
            ema: (0.0, 0.0),
            asked: LastDraw::default(),
        }
    }
}

pub struct Reinforce<'a> {
    space: &'a dyn SearchSpace,
    params: ReinforceParams,
    logits: Vec<Vec<f64>>,
    adam_m: Vec<Vec<f64>>,
    adam_v: Vec<Vec<f64>>,
    steps: i32,
    /// Numerator and denominator of the bias-corrected moving average.
    ema: (f64, f64),
    asked: LastDraw,
}

fn softmax(logits: &[f64]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = exp.iter().sum();
    exp.iter().map(|e| e / total).collect()
}

impl Reinforce<'_> {
    /// The policy's probabilities for each decision.
    pub fn policy(&self) -> Vec<Vec<f64>> {
        self.logits.iter().map(|l| softmax(l)).collect()
    }
}

impl Searcher for Reinforce<'_> {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        let policy = self.policy();
        self.asked.draw(self.space, rng, |rng| {
            policy.iter().map(|p| rng::weighted(rng, p)).collect()
        })
    }

    fn tell(&mut self, arch: ArchId, reward: f64) {
        let choices = self.asked.take(self.space, arch);
        let m = self.params.ema_momentum;
        self.ema = (
            m * self.ema.0 + (1.0 - m) * reward,
            m * self.ema.1 + (1.0 - m),
        );
        let advantage = reward - self.ema.0 / self.ema.1;
        self.steps += 1;
        let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
        let (c1, c2) = (1.0 - b1.powi(self.steps), 1.0 - b2.powi(self.steps));
        let policy = self.policy();
        for (d, &chosen) in choices.iter().enumerate() {
            for (j, p) in policy[d].iter().enumerate() {
                // d(−A log π(a)) / d logit_j = −A (1[j = a] − p_j)
                let indicator = if j == chosen { 1.0 } else { 0.0 };
                let g = -advantage * (indicator - p);
                let (mj, vj) = (&mut self.adam_m[d][j], &mut self.adam_v[d][j]);
                *mj = b1 * *mj + (1.0 - b1) * g;
                *vj = b2 * *vj + (1.0 - b2) * g * g;
                self.logits[d][j] -=
                    self.params.learning_rate * (*mj / c1) / ((*vj / c2).sqrt() + eps);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{run, toy_space};

    /// Separable: each parameter's best choice is 3, whatever the others are.
    fn separable(arch: ArchId) -> f64 {
        let digits = [arch / 100, (arch / 10) % 10, arch % 10];
        digits.iter().map(|&d| if d == 3 { 1.0 } else { 0.0 }).sum()
    }

    #[test]
    fn the_policy_concentrates_on_the_best_choice_of_a_separable_table() {
        let space = toy_space();
        let params = ReinforceParams {
            id: None,
            learning_rate: 0.05,
            ema_momentum: 0.9,
        };
        let mut reinforce = params.build(&space);
        run(&mut reinforce, separable, 600, 4);
        for p in reinforce.policy() {
            let best = (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
            assert_eq!(best, 3, "{p:?}");
            assert!(p[3] > 0.5, "{p:?}");
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        let p = ReinforceParams {
            id: None,
            learning_rate: 0.01,
            ema_momentum: 1.0,
        };
        assert!(p.validate().unwrap_err().contains("ema_momentum"));
    }
}
