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
use crate::estimate::neural;
use crate::limits;
use crate::registry::{Capabilities, Card};
use crate::supernet::{
    Mix, SearchData, Supernet, SupernetSearcher, SupernetSettings, Want, batches_per_epoch,
    cosine_rate, epoch_batches, uniform_architecture,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RspsParams {
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

impl SearchMethod for RspsParams {
    const CARD: Card = Card {
        name: "rsps",
        summary: "RSPS (Li & Talwalkar, UAI 2019): uniform single paths, best of 100 one-shot",
        capabilities: Capabilities {
            only_space: Some("nb201"),
            networks: true,
            weight_sharing: true,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        limits::count("candidates", self.candidates, 1, 15_625)?;
        self.supernet.validate()
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        let params = self.clone();
        Box::new(SupernetSearcher::new(
            ctx.images,
            &self.supernet,
            move |data, rng| params.search(data, rng),
        ))
    }
}

impl RspsParams {
    fn search(&self, data: &SearchData, rng: &mut TrialRng) -> ArchId {
        let s = &self.supernet;
        let device = neural::device();
        let mut net = Supernet::new(s, data.classes, rng, &device);
        let mut momentum = net.momentum_buffers();
        let total = s.epochs * batches_per_epoch(data.train.len(), s.batch);
        let mut step = 0;
        for _ in 0..s.epochs {
            for t in epoch_batches(rng, data.train.len(), s.batch) {
                let mix = Mix::path(uniform_architecture(rng), &device);
                let r = net.pass(&net.weights, &mix, &data.train, &t, Want::WEIGHTS);
                let lr = cosine_rate(s, step, total);
                net.sgd_step(&r.weight_grads.expect("asked for"), &mut momentum, s, lr);
                step += 1;
            }
        }
        let valid = epoch_batches(rng, data.valid.len(), s.batch);
        let mut best: Option<(ArchId, usize, usize)> = None;
        for batch in valid.iter().cycle().take(self.candidates) {
            let arch = uniform_architecture(rng);
            let r = net.pass(&net.weights, &Mix::path(arch, &device), &data.valid, batch, Want::NOTHING);
            // Accuracies compared as correct/len without division: a·len_b > b·len_a.
            let better = best.is_none_or(|(_, c, n)| r.correct * n > c * batch.len());
            if better {
                best = Some((arch, r.correct, batch.len()));
            }
        }
        best.expect("at least one candidate").0
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
        let params = RspsParams {
            id: None,
            candidates: 5,
            supernet: settings,
        };
        let run = || params.search(&data, &mut rng::from_seed([9; 32]));
        assert_eq!(run(), run());
    }
}
