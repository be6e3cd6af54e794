//! RSPS: random search with parameter sharing (Li & Talwalkar, "Random Search and
//! Reproducibility for Neural Architecture Search", UAI 2019) on the NB201 supernet, as the
//! NB201 paper runs it ("RSPS").
//!
//! Variant: every training step draws an architecture uniformly (each edge's operation
//! uniform over the five) and trains the shared weights along that path by SGD on a training
//! batch; after training, `candidates` (100) uniformly drawn architectures are each scored by
//! one-shot accuracy on one validation batch (the next of a seeded shuffle), and the best
//! (the first among ties) is the architecture found, as NB201's `search_find_best`.

use datasets::ArchId;
use datasets::rng::TrialRng;
use serde::{Deserialize, Serialize};

use super::{SearchMethod, Searcher};
use crate::MethodContext;
use crate::limits;
use crate::registry::Card;
use crate::snapshots::Snapshots;
use crate::supernet::{
    self, SearchData, SupernetMethod, SupernetSettings, WEIGHT_SHARING, WeightTrainer,
    best_by_one_shot, uniform_architecture,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RspsParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "supernet::default_candidates")]
    pub candidates: usize,
    #[serde(default)]
    pub supernet: SupernetSettings,
}

impl SearchMethod for RspsParams {
    const CARD: Card = Card {
        name: "rsps",
        summary: "RSPS (Li & Talwalkar, UAI 2019): uniform single paths, best of 100 one-shot",
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

impl SupernetMethod for RspsParams {
    fn settings(&self) -> &SupernetSettings {
        &self.supernet
    }

    fn search(&self, data: &SearchData, snapshots: &mut Snapshots, rng: &mut TrialRng) -> ArchId {
        let s = &self.supernet;
        let mut trainer = WeightTrainer::new(s, data, rng);
        trainer.train_paths(s.epochs, (data, snapshots), rng, uniform_architecture);
        let net = &trainer.net;
        best_by_one_shot(
            net,
            data,
            s.batch,
            self.candidates,
            uniform_architecture,
            rng,
        )
        .0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supernet::tests::{assert_reproducible_and_resumable, tiny};

    #[test]
    fn a_search_is_reproducible_and_resumes_after_a_kill() {
        let (mut settings, _) = tiny();
        settings.epochs = 2;
        let params = RspsParams {
            id: None,
            candidates: 5,
            supernet: settings,
        };
        assert_reproducible_and_resumable(&params, 9);
    }
}
