//! DARTS-PT (Wang, Cheng, Chen, Tang & Hsieh, "Rethinking Architecture Selection in
//! Differentiable NAS", ICLR 2021) on the NB201 supernet: DARTS' supernet, architecture
//! selection by perturbation.
//!
//! Variant: a first-order DARTS supernet is trained as `darts` trains it. Then the edges are
//! decided one at a time in a seeded random order: for each operation of the edge, the
//! supernet's accuracy on the whole validation half is measured with that operation removed
//! (its weight set to 0, every other undecided weight its softmax(α) value, decided edges
//! their one operation), and the operation whose removal lowers the accuracy most is kept.
//! After each decision the weights are fine-tuned for `tune_epochs` (1) epochs with the
//! decided edges fixed, at the schedule's final learning rate and with α frozen (the paper
//! tunes the supernet between decisions). NB201's cells hold every
//! edge, so only the operation selection applies (no topology selection).

use datasets::ArchId;
use datasets::rng::{self, TrialRng};
use datasets::space::Nb201Space;
use serde::{Deserialize, Serialize};

use super::darts::DartsParams;
use super::{SearchMethod, Searcher};
use crate::MethodContext;
use crate::limits;
use crate::registry::Card;
use crate::supernet::{
    self, SupernetMethod, WEIGHT_SHARING,
    EDGES, Mix, OPS, SearchData, SupernetSettings, edge_table, softmax_policy,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DartsPtParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_tune_epochs")]
    pub tune_epochs: usize,
    #[serde(default)]
    pub supernet: SupernetSettings,
}

fn default_tune_epochs() -> usize {
    1
}

impl SearchMethod for DartsPtParams {
    const CARD: Card = Card {
        name: "darts_pt",
        summary: "DARTS-PT (Wang et al., ICLR 2021): DARTS' supernet, selection by perturbation",
        capabilities: WEIGHT_SHARING,
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        limits::count("tune_epochs", self.tune_epochs, 0, limits::MAX_EPOCHS)?;
        self.supernet.validate()
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        supernet::searcher(self, ctx)
    }
}

impl SupernetMethod for DartsPtParams {
    fn settings(&self) -> &SupernetSettings {
        &self.supernet
    }

    fn search(&self, data: &SearchData, rng: &mut TrialRng) -> ArchId {
        let darts = DartsParams {
            id: None,
            order: 1,
            supernet: self.supernet.clone(),
        };
        let (mut trainer, alphas) = darts.train(data, rng);
        let device = trainer.net.device().clone();
        let mut weights: Vec<f32> = softmax_policy(&alphas)
            .into_iter()
            .flatten()
            .map(|p| p as f32)
            .collect();
        let mut order: Vec<usize> = (0..EDGES).collect();
        rng::shuffle(rng, &mut order);
        let mut ops = [0u8; EDGES];
        for e in order {
            let accuracy_without = |op: usize| {
                let mut perturbed = weights.clone();
                perturbed[e * OPS + op] = 0.0;
                let mix = Mix::weighted(edge_table(&perturbed, &device));
                trainer.net.accuracy(&mix, &data.valid, self.supernet.batch)
            };
            let drops: Vec<f64> = (0..OPS).map(accuracy_without).collect();
            let kept = (0..OPS).fold(0, |best, op| if drops[op] < drops[best] { op } else { best });
            ops[e] = kept as u8;
            for op in 0..OPS {
                weights[e * OPS + op] = if op == kept { 1.0 } else { 0.0 };
            }
            for _ in 0..self.tune_epochs {
                let (train, _) = trainer.epoch(data, rng);
                for t in &train {
                    let mix = Mix::weighted(edge_table(&weights, &device));
                    trainer.step(&mix, &data.train, t);
                }
            }
        }
        Nb201Space::id(ops)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supernet::tests::tiny;

    #[test]
    fn a_search_is_reproducible() {
        let (settings, data) = tiny();
        let params = DartsPtParams {
            id: None,
            tune_epochs: 1,
            supernet: settings,
        };
        let run = || params.search(&data, &mut rng::from_seed([14; 32]));
        assert_eq!(run(), run());
    }
}
