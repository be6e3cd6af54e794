//! Few-shot NAS split by gradient matching (Hu, Wang, Li, Chen, Wang & Liu, "Generalizing
//! Few-Shot NAS with Gradient Matching", ICLR 2022) on the NB201 supernet, with RSPS's
//! uniform path training and one-shot selection inside each sub-supernet.
//!
//! Variant: the supernet warms up for `warmup_epochs` (half the epochs, rounded down) by
//! uniform single-path training. Then, for every edge and operation, the gradient of the
//! training loss with respect to the shared weights (every weight but the edge's own
//! operations') is taken with that edge fixed to that operation and the other edges drawn
//! uniformly, summed over `probe_batches` (2) batches with the same draws for every
//! operation and edge. The five operations' pairwise cosine similarities weight a complete graph; its
//! minimum cut into two non-empty groups (all 15 tried) scores the edge, and the edge with the
//! lowest score is split (GM-NAS's gradient-matching partition, exhaustive here). Two
//! sub-supernets, copies of the warmed-up weights and optimizer state, each with that edge
//! restricted to one group, train for the remaining epochs. Each sub-supernet scores half of
//! `candidates` (100) architectures of its own part of the space by one-shot accuracy on one
//! validation batch each; the best over both is the architecture found. One split, into two
//! sub-supernets: GM-NAS's smallest setting.

use datasets::ArchId;
use datasets::rng::{self, TrialRng};
use datasets::space::Nb201Space;
use serde::{Deserialize, Serialize};

use super::{SearchMethod, Searcher};
use crate::MethodContext;
use crate::limits;
use crate::registry::Card;
use crate::snapshots::Snapshots;
use crate::supernet::{
    self, EDGES, Mix, OPS, SearchData, Supernet, SupernetMethod, SupernetSettings, WEIGHT_SHARING,
    Want, WeightTrainer, best_by_one_shot,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FewShotParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Epochs of the one-shot supernet before the split (default: half the epochs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup_epochs: Option<usize>,
    #[serde(default = "default_probe_batches")]
    pub probe_batches: usize,
    #[serde(default = "supernet::default_candidates")]
    pub candidates: usize,
    #[serde(default)]
    pub supernet: SupernetSettings,
}

fn default_probe_batches() -> usize {
    2
}

impl SearchMethod for FewShotParams {
    const CARD: Card = Card {
        name: "few_shot",
        summary: "few-shot NAS split by gradient matching (Hu et al., ICLR 2022), RSPS inside",
        capabilities: WEIGHT_SHARING,
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        self.supernet.validate()?;
        // The sub-supernets need at least one epoch after the split.
        limits::count("warmup_epochs", self.warmup(), 0, self.supernet.epochs - 1)?;
        limits::count("probe_batches", self.probe_batches, 1, 1_000)?;
        limits::count("candidates", self.candidates, 2, 15_625)
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        supernet::searcher(self, ctx)
    }
}

/// Which operations each edge may take: a sub-supernet's part of the space.
type Allowed = [Vec<usize>; EDGES];

fn every_operation() -> Allowed {
    std::array::from_fn(|_| (0..OPS).collect())
}

/// An architecture drawn uniformly from `allowed`.
fn draw(allowed: &Allowed, rng: &mut TrialRng) -> ArchId {
    Nb201Space::id(std::array::from_fn(|e| {
        allowed[e][rng::below(rng, allowed[e].len())] as u8
    }))
}

/// The two-group partition of the operations with the smallest summed similarity across
/// the groups, as (cut, operations of the group holding operation 0, of the other group).
pub fn min_cut(similarity: &[[f64; OPS]; OPS]) -> (f64, Vec<usize>, Vec<usize>) {
    // Masks with bit 0 set and not all set: each two-group partition once.
    (1..(1u32 << OPS) - 1)
        .filter(|mask| mask & 1 == 1)
        .map(|mask| {
            let (a, b): (Vec<usize>, Vec<usize>) = (0..OPS).partition(|&op| mask >> op & 1 == 1);
            let cut = a
                .iter()
                .flat_map(|&i| b.iter().map(move |&j| (i, j)))
                .map(|(i, j)| similarity[i][j])
                .sum::<f64>();
            (cut, a, b)
        })
        .fold(
            None,
            |best: Option<(f64, Vec<usize>, Vec<usize>)>, c| match best {
                Some(b) if b.0 <= c.0 => Some(b),
                _ => Some(c),
            },
        )
        .expect("15 partitions")
}

impl FewShotParams {
    fn warmup(&self) -> usize {
        self.warmup_epochs.unwrap_or(self.supernet.epochs / 2)
    }

    /// The probes every edge's gradients are taken on: `probe_batches` uniformly drawn paths,
    /// each with a batch of training images drawn with replacement.
    fn probes(&self, data: &SearchData, rng: &mut TrialRng) -> Vec<(ArchId, Vec<usize>)> {
        (0..self.probe_batches)
            .map(|_| {
                let batch = (0..self.supernet.batch.min(data.train.len()))
                    .map(|_| rng::below(rng, data.train.len()))
                    .collect();
                (draw(&every_operation(), rng), batch)
            })
            .collect()
    }

    /// The cosine similarities of edge `e`'s operations' gradients of the shared weights.
    fn similarities(
        &self,
        net: &Supernet,
        e: usize,
        probes: &[(ArchId, Vec<usize>)],
        data: &SearchData,
    ) -> [[f64; OPS]; OPS] {
        let own = net.edge_parameters(e);
        let gradients: Vec<Vec<f64>> = (0..OPS)
            .map(|op| {
                let mut sum: Vec<f64> = Vec::new();
                for (arch, batch) in probes {
                    let mut ops = Nb201Space::ops(*arch);
                    ops[e] = op as u8;
                    let mix = Mix::path(Nb201Space::id(ops), net.device());
                    let r = net.pass(&net.weights, &mix, &data.train, batch, Want::Weights);
                    let grads = r.weight_grads.expect("asked for");
                    let shared = grads
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| !own.contains(i))
                        .flat_map(|(_, g)| g.iter().map(|&x| f64::from(x)));
                    if sum.is_empty() {
                        sum = shared.collect();
                    } else {
                        sum.iter_mut().zip(shared).for_each(|(s, g)| *s += g);
                    }
                }
                sum
            })
            .collect();
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-30);
        std::array::from_fn(|i| {
            std::array::from_fn(|j| {
                let dot: f64 = gradients[i]
                    .iter()
                    .zip(&gradients[j])
                    .map(|(a, b)| a * b)
                    .sum();
                dot / (norm(&gradients[i]) * norm(&gradients[j]))
            })
        })
    }
}

impl SupernetMethod for FewShotParams {
    fn settings(&self) -> &SupernetSettings {
        &self.supernet
    }

    fn search(&self, data: &SearchData, snapshots: &mut Snapshots, rng: &mut TrialRng) -> ArchId {
        let s = &self.supernet;
        let mut trainer = WeightTrainer::new(s, data, rng);
        let everything = every_operation();
        trainer.train_paths(self.warmup(), (data, &mut *snapshots), rng, |rng| {
            draw(&everything, rng)
        });
        let probes = self.probes(data, rng);
        // The edge with the lowest cut, the first among ties (NaN, from diverged weights,
        // sorts last).
        let (split, (_, a, b)) = (0..EDGES)
            .map(|e| {
                (
                    e,
                    min_cut(&self.similarities(&trainer.net, e, &probes, data)),
                )
            })
            .min_by(|x, y| x.1.0.total_cmp(&y.1.0))
            .expect("six edges");
        let mut best: Option<(ArchId, f64)> = None;
        for (i, group) in [a, b].into_iter().enumerate() {
            let mut allowed = every_operation();
            allowed[split] = group;
            let mut sub = trainer.clone();
            sub.train_paths(
                s.epochs - self.warmup(),
                (data, &mut *snapshots),
                rng,
                |rng| draw(&allowed, rng),
            );
            let count = self.candidates / 2 + usize::from(i == 0) * (self.candidates % 2);
            let pick = |rng: &mut TrialRng| draw(&allowed, rng);
            let found = best_by_one_shot(&sub.net, data, s.batch, count, pick, rng);
            if best.is_none_or(|(_, accuracy)| found.1 > accuracy) {
                best = Some(found);
            }
        }
        best.expect("two sub-supernets").0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supernet::tests::{assert_reproducible_and_resumable, tiny};

    #[test]
    fn the_min_cut_separates_the_disagreeing_operations() {
        // Operations {0, 1, 2} agree with each other, {3, 4} with each other, and the two
        // groups disagree: the cheapest cut is between the groups.
        let s: [[f64; OPS]; OPS] = std::array::from_fn(|i| {
            std::array::from_fn(|j| if (i < 3) == (j < 3) { 0.9 } else { -0.5 })
        });
        let (cut, a, b) = min_cut(&s);
        assert_eq!((a, b), (vec![0, 1, 2], vec![3, 4]));
        assert!((cut - 6.0 * -0.5).abs() < 1e-12);
    }

    #[test]
    fn a_search_is_reproducible_and_resumes_after_a_kill() {
        let (mut settings, _) = tiny();
        settings.epochs = 2;
        let params = FewShotParams {
            id: None,
            warmup_epochs: None,
            probe_batches: 1,
            candidates: 4,
            supernet: settings,
        };
        assert_reproducible_and_resumable(&params, 15);
        // Without a warm-up its loop has no rounds, which must not shift the others' saves.
        let params = FewShotParams {
            warmup_epochs: Some(0),
            ..params
        };
        assert_reproducible_and_resumable(&params, 16);
    }
}
