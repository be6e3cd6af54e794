//! Sequential model-based optimization as DeepArchitect runs it (Negrinho & Gordon,
//! "DeepArchitect: Automatically Designing and Training Deep Architectures", 2017, section 5.3,
//! `SMBOSearcher`): a cheap surrogate picks the next architecture among random samples.
//!
//! Variant: the surrogate is the estimation module's ridge regression on the one-hot encoding
//! (DeepArchitect's default is a linear model on hashed features of the architecture), refitted
//! on every observation. Each step draws `candidates` (512) uniformly random unseen
//! architectures and evaluates the one the surrogate ranks first, or, with probability `eps`
//! (0.1), a random one of them; the first `init` (10) architectures are random (nash's choices
//! where DeepArchitect leaves them to the user).

use datasets::rng::{self, TrialRng};
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::SearchMethod;
use super::Searcher;
use super::model_based::{Acquisition, LoopParams, ModelBasedLoop, Proposals};
use crate::MethodContext;
use crate::estimate::{Estimator, RidgeParams};
use crate::limits::{self, Interval};
use crate::registry::{Capabilities, Card, Parallelism};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmboParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "one_at_a_time", rename = "loop")]
    pub loop_params: LoopParams,
    #[serde(default = "default_eps")]
    pub eps: f64,
}

fn one_at_a_time() -> LoopParams {
    LoopParams {
        batch: 1,
        candidates: 512,
        proposals: Proposals::Random,
        ..LoopParams::default()
    }
}

fn default_eps() -> f64 {
    0.1
}

impl SearchMethod for SmboParams {
    const CARD: Card = Card {
        name: "smbo",
        summary: "DeepArchitect's SMBO (Negrinho & Gordon 2017): a ridge surrogate over random candidates, epsilon exploration",
        capabilities: Capabilities {
            learns: true,
            parallelism: Parallelism::Asynchronous,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        limits::real("eps", self.eps, Interval::Closed(0.0, 1.0))?;
        self.loop_params.validate()
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(self.build(ctx.space))
    }
}

impl SmboParams {
    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> Smbo<'a> {
        let acquisition = SurrogateOrRandom { eps: self.eps };
        ModelBasedLoop::new(space, self.loop_params.clone(), acquisition)
    }
}

pub type Smbo<'a> = ModelBasedLoop<'a, SurrogateOrRandom>;

/// The ridge surrogate's prediction, or with probability `eps` random scores.
pub struct SurrogateOrRandom {
    eps: f64,
}

impl Acquisition for SurrogateOrRandom {
    fn scores(
        &mut self,
        ctx: &MethodContext,
        (archs, labels): (&[ArchId], &[f64]),
        candidates: &[ArchId],
        rng: &mut TrialRng,
    ) -> Result<Vec<f64>, String> {
        if rng::unit(rng) < self.eps {
            return Ok(candidates.iter().map(|_| rng::unit(rng)).collect());
        }
        let mut ridge = RidgeParams {
            id: None,
            encoding: Encoding::Onehot,
            alpha: 1.0,
        }
        .build(ctx);
        ridge.fit(archs, labels, rng)?;
        ridge.score(candidates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{against_random_search, toy_space};

    #[test]
    fn beats_random_search_on_a_unimodal_table() {
        let space = toy_space();
        let smbo = SmboParams {
            id: None,
            loop_params: one_at_a_time(),
            eps: 0.1,
        };
        let (method, random) = against_random_search(|| Box::new(smbo.build(&space)), 60, 10);
        assert!(method > random, "SMBO {method}, RS {random}");
    }
}
