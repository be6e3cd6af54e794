//! SETN (Dong & Yang, "One-Shot Neural Architecture Search via Self-Evaluated Template
//! Network", ICCV 2019) on the NB201 supernet, as the NB201 paper runs it.
//!
//! Variant: each step trains the shared weights along one uniformly drawn path on a training
//! batch (the template network's uniform sampling), then updates the evaluator's α by Adam on
//! a validation batch through the softmax(α)-weighted network (NB201's SETN `joint` mode: the
//! first-order DARTS step). After training, `candidates` (100) architectures drawn from
//! softmax(α) are scored by one-shot accuracy on one validation batch each, and the best is
//! the architecture found (SETN's template-evaluator selection).

use datasets::ArchId;
use datasets::rng::TrialRng;
use serde::{Deserialize, Serialize};

use super::{SearchMethod, Searcher};
use crate::MethodContext;
use crate::limits;
use crate::registry::Card;
use crate::supernet::{self, SupernetMethod, WEIGHT_SHARING, bilevel_start, Mix, SearchData, SupernetSettings, Want, arch_gradient, best_by_one_shot, drawn_architecture, softmax_policy, softmax_rows, uniform_architecture};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetnParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_candidates")]
    pub candidates: usize,
    #[serde(default)]
    pub supernet: SupernetSettings,
}

fn default_candidates() -> usize {
    100
}

impl SearchMethod for SetnParams {
    const CARD: Card = Card {
        name: "setn",
        summary: "SETN (Dong & Yang, ICCV 2019): uniform template training, α evaluator, best of 100",
        capabilities: WEIGHT_SHARING,
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        limits::count("candidates", self.candidates, 1, 15_625)?;
        self.supernet.validate()
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        supernet::searcher(self, ctx)
    }
}

impl SupernetMethod for SetnParams {
    fn settings(&self) -> &SupernetSettings {
        &self.supernet
    }

    fn search(&self, data: &SearchData, rng: &mut TrialRng) -> ArchId {
        let s = &self.supernet;
        let (mut trainer, mut alphas, mut adam) = bilevel_start(s, data, rng);
        for _ in 0..s.epochs {
            let (train, valid) = trainer.epoch(data, rng);
            for (t, v) in train.iter().zip(valid.iter().cycle()) {
                let mix = Mix::path(uniform_architecture(rng), trainer.net.device());
                trainer.step(&mix, &data.train, t);
                let relax = (alphas.as_slice(), &softmax_rows as &dyn Fn(_) -> _);
                let net = &trainer.net;
                let valid = (&data.valid, v.as_slice());
                let (grad, _) = arch_gradient(net, &net.weights, relax, valid, Want::ARCHITECTURE);
                adam.step(&mut alphas, &grad);
            }
        }
        let policy = softmax_policy(&alphas);
        let draw = |rng: &mut TrialRng| drawn_architecture(&policy, rng);
        best_by_one_shot(&trainer.net, data, s.batch, self.candidates, draw, rng).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supernet::tests::tiny;
    use datasets::rng;

    #[test]
    fn a_search_is_reproducible() {
        let (settings, data) = tiny();
        let params = SetnParams {
            id: None,
            candidates: 4,
            supernet: settings,
        };
        let run = || params.search(&data, &mut rng::from_seed([11; 32]));
        assert_eq!(run(), run());
    }
}
