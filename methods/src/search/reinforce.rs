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

use super::categorical::{Adam, Layout};
use super::{LastDraw, SearchMethod, Searcher};
use crate::Fallbacks;
use crate::MethodContext;
use crate::limits::{self, Interval};
use crate::registry::{Capabilities, Card, Parallelism};
use crate::snapshots::{Bytes, Reader, Snapshot};

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

impl SearchMethod for ReinforceParams {
    const CARD: Card = Card {
        name: "reinforce",
        summary: "REINFORCE as the NB201 paper runs it: a categorical policy per decision, Adam, EMA baseline",
        capabilities: Capabilities {
            parallelism: Parallelism::Asynchronous,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        limits::real(
            "learning_rate",
            self.learning_rate,
            Interval::AboveUpTo(0.0, 10.0),
        )?;
        limits::real(
            "ema_momentum",
            self.ema_momentum,
            Interval::FromBelow(0.0, 1.0),
        )
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(self.build(ctx.space))
    }
}

impl ReinforceParams {
    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> Reinforce<'a> {
        let layout = Layout::new(&space.decisions());
        Reinforce {
            space,
            params: self.clone(),
            logits: vec![0.0; layout.width()],
            adam: Adam::new(layout.width()),
            layout,
            ema: (0.0, 0.0),
            asked: LastDraw::default(),
        }
    }
}

pub struct Reinforce<'a> {
    space: &'a dyn SearchSpace,
    params: ReinforceParams,
    layout: Layout,
    logits: Vec<f64>,
    adam: Adam,
    /// Numerator and denominator of the bias-corrected moving average.
    ema: (f64, f64),
    asked: LastDraw,
}

impl Reinforce<'_> {
    /// The policy's probabilities for each decision.
    pub fn policy(&self) -> Vec<Vec<f64>> {
        self.layout.policy(&self.logits)
    }
}

/// The policy's training state (the last draw is told before a snapshot is taken).
impl Snapshot for Reinforce<'_> {
    fn save(&self, out: &mut Bytes) {
        out.f64s(&self.logits);
        self.adam.save(out);
        out.f64(self.ema.0);
        out.f64(self.ema.1);
    }

    fn restore(&mut self, input: &mut Reader<'_>) -> Result<(), String> {
        input.f64s(&mut self.logits)?;
        self.adam.restore(input)?;
        self.ema = (input.f64()?, input.f64()?);
        Ok(())
    }
}

impl Searcher for Reinforce<'_> {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        let policy = self.policy();
        self.asked.draw(self.space, rng, |rng| {
            policy.iter().map(|p| rng::weighted(rng, p)).collect()
        })
    }

    fn fallbacks(&self) -> Fallbacks {
        self.asked.fallbacks.clone()
    }

    fn tell(&mut self, arch: ArchId, reward: f64) {
        let choices = self.asked.take(self.space, arch);
        let m = self.params.ema_momentum;
        self.ema = (
            m * self.ema.0 + (1.0 - m) * reward,
            m * self.ema.1 + (1.0 - m),
        );
        let advantage = reward - self.ema.0 / self.ema.1;
        // The loss −A · log π(choices).
        let mut grad = vec![0.0; self.logits.len()];
        let policy = self.policy();
        self.layout
            .add_log_prob_grad(&policy, &choices, -advantage, &mut grad);
        self.adam
            .step(&mut self.logits, &grad, self.params.learning_rate);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{best_choices, run, separable, toy_space};

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
        let policy = reinforce.policy();
        assert_eq!(best_choices(&policy), [3, 3, 3], "{policy:?}");
        assert!(policy.iter().all(|p| p[3] > 0.5), "{policy:?}");
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
