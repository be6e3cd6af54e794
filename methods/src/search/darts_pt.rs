//! DARTS-PT (Wang, Cheng, Chen, Tang & Hsieh, "Rethinking Architecture Selection in
//! Differentiable NAS", ICLR 2021) on the NB201 supernet: DARTS' supernet, architecture
//! selection by perturbation.
//!
//! Variant: a first-order DARTS supernet is trained as `darts` trains it. Then the edges are
//! decided one at a time in a seeded random order: for each operation of the edge, the
//! supernet's accuracy on the whole validation half is measured with that operation removed
//! (its weight set to 0, every other undecided weight its softmax(α) value, decided edges
//! their one operation), and the operation whose removal lowers the accuracy most is kept
//! (among ties the larger α; `none`, whose removal changes nothing, is kept only when no
//! removal lowers the accuracy). After each decision but the last the weights are
//! fine-tuned for `tune_epochs` (1) epochs with the
//! decided edges fixed, at the schedule's final learning rate and with α frozen (the paper
//! tunes the supernet between decisions). NB201's cells hold every
//! edge, so only the operation selection applies (no topology selection).

use datasets::ArchId;
use datasets::rng::{self, TrialRng};
use serde::{Deserialize, Serialize};

use super::darts::DartsParams;
use super::{SearchMethod, Searcher};
use crate::MethodContext;
use crate::limits;
use crate::registry::Card;
use crate::snapshots::Snapshots;
use crate::supernet::{
    self, BiLevel, EDGES, Mix, OPS, SearchData, SupernetMethod, SupernetSettings, WEIGHT_SHARING,
    argmax_architecture, edge_table, softmax_policy,
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

    fn search(&self, data: &SearchData, snapshots: &mut Snapshots, rng: &mut TrialRng) -> ArchId {
        let darts = DartsParams {
            id: None,
            order: 1,
            supernet: self.supernet.clone(),
        };
        let BiLevel {
            trainer, alphas, ..
        } = darts.train(data, snapshots, rng);
        let device = trainer.net.device().clone();
        let weights: Vec<f32> = softmax_policy(&alphas)
            .into_iter()
            .flatten()
            .map(|p| p as f32)
            .collect();
        let mut order: Vec<usize> = (0..EDGES).collect();
        rng::shuffle(rng, &mut order);
        // One round per edge decided; a decided edge's row of `weights` is one-hot.
        let mut state = (trainer, weights);
        snapshots.rounds(
            EDGES,
            &mut state,
            rng,
            |(trainer, weights), decided, rng| {
                let e = order[decided];
                let accuracy_without = |op: usize| {
                    let mut perturbed = weights.clone();
                    perturbed[e * OPS + op] = 0.0;
                    let mix = Mix::weighted(edge_table(&perturbed, &device));
                    trainer.net.accuracy(&mix, &data.valid, self.supernet.batch)
                };
                // Removing `none` changes nothing, so it is kept only if it has the largest α and
                // no other removal lowers the accuracy below the supernet's own.
                let intact = accuracy_without(0);
                let mut drops: Vec<(f64, f32, usize)> = vec![(intact, alphas[e * OPS], 0)];
                drops.extend((1..OPS).map(|op| (accuracy_without(op), alphas[e * OPS + op], op)));
                // The lowest accuracy without it; among ties, the largest α.
                let kept = drops
                    .iter()
                    .min_by(|x, y| x.0.total_cmp(&y.0).then(y.1.total_cmp(&x.1)))
                    .expect("five operations")
                    .2;
                for op in 0..OPS {
                    weights[e * OPS + op] = if op == kept { 1.0 } else { 0.0 };
                }
                if decided + 1 == EDGES {
                    return;
                }
                for _ in 0..self.tune_epochs {
                    let (train, _) = trainer.epoch(data, rng);
                    for t in &train {
                        let mix = Mix::weighted(edge_table(weights, &device));
                        trainer.step(&mix, &data.train, t);
                    }
                }
            },
        );
        argmax_architecture(&state.1)
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
        let params = DartsPtParams {
            id: None,
            tune_epochs: 1,
            supernet: settings,
        };
        assert_reproducible_and_resumable(&params, 14);
    }
}
