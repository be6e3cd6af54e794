//! AutoTransfer-style design priors (Cao, You, Leskovec et al., "AutoTransfer: AutoML with
//! Knowledge Transfer — An Application to Graph Neural Networks", ICLR 2023): the best
//! designs of the most similar other tasks seed the search on a new task.
//!
//! Variant, on the benchmark's other tasks (NAS-Bench-Graph's other datasets): AutoTransfer
//! embeds tasks with Fisher information of anchor models, which tabulated results do not
//! allow; nash measures similarity on the target directly instead. The first `anchors` (10)
//! queries evaluate random architectures every source task has; each source's similarity is
//! Kendall's tau-a between the anchors' told fitness and that source's table values on them.
//! The `top_k` (5) best architectures of each of the `similar` (2) most similar sources form
//! the prior, evaluated next (best first, skipping repeats); then regularized evolution
//! (population 10, sample 3) continues from everything told, so its first population is the
//! prior. Without any source (a space of its own) it is plain RE after the anchors.

use datasets::rng::TrialRng;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::regularized_evolution::{RegularizedEvolution, RegularizedEvolutionParams};
use super::{SearchMethod, Searcher, sample_unseen};
use crate::limits;
use crate::registry::{Capabilities, Card, Parallelism};
use crate::{Fallbacks, MethodContext, SourceTask};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoTransferParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_anchors")]
    pub anchors: usize,
    #[serde(default = "default_top_k")]
    pub top_k: usize,
    #[serde(default = "default_similar")]
    pub similar: usize,
}

fn default_anchors() -> usize {
    10
}

fn default_top_k() -> usize {
    5
}

fn default_similar() -> usize {
    2
}

impl SearchMethod for AutoTransferParams {
    const CARD: Card = Card {
        name: "auto_transfer",
        summary: "AutoTransfer-style priors (Cao et al., ICLR 2023): the best designs of the most similar other tasks, then RE",
        capabilities: Capabilities {
            transfers: true,
            parallelism: Parallelism::Asynchronous,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        limits::count("anchors", self.anchors, 3, limits::MAX_ARCHS)?;
        limits::count("top_k", self.top_k, 1, limits::MAX_ARCHS)?;
        limits::count("similar", self.similar, 1, 1_000)
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(self.build(ctx))
    }
}

impl AutoTransferParams {
    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> AutoTransfer<'a> {
        AutoTransfer {
            space: ctx.space,
            sources: &ctx.sources,
            params: self.clone(),
            evolution: RegularizedEvolutionParams {
                id: None,
                population: 10,
                sample_size: 3,
                mutate: true,
                early_exit_params: None,
            }
            .build(ctx),
            seen: vec![false; ctx.space.size()],
            anchors: Vec::new(),
            prior: None,
            fallbacks: Fallbacks::default(),
        }
    }
}

pub struct AutoTransfer<'a> {
    space: &'a dyn SearchSpace,
    sources: &'a [SourceTask<'a>],
    params: AutoTransferParams,
    evolution: RegularizedEvolution<'a>,
    seen: Vec<bool>,
    /// Anchor architectures and their told fitness.
    anchors: Vec<(ArchId, f64)>,
    /// Prior designs still to evaluate (next last), once the anchors are in.
    prior: Option<Vec<ArchId>>,
    /// Of the anchors' draws (the evolution counts its own).
    fallbacks: Fallbacks,
}

/// Kendall's tau-a by pair counting (a handful of anchors).
fn tau_a(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    let mut score = 0.0;
    for i in 0..n {
        for j in i + 1..n {
            // A tie is neither concordant nor discordant (`f64::signum(0.0)` would be 1).
            let product = (x[i] - x[j]) * (y[i] - y[j]);
            score += if product > 0.0 {
                1.0
            } else if product < 0.0 {
                -1.0
            } else {
                0.0
            };
        }
    }
    score / (n * (n - 1) / 2) as f64
}

impl AutoTransfer<'_> {
    fn in_every_source(&self, arch: ArchId) -> bool {
        self.sources
            .iter()
            .all(|s| s.fitness[arch as usize].is_finite())
    }

    /// The prior: top designs of the most similar sources, best first.
    fn prior(&self) -> Vec<ArchId> {
        let told: Vec<f64> = self.anchors.iter().map(|a| a.1).collect();
        let mut by_similarity: Vec<(f64, &SourceTask)> = self
            .sources
            .iter()
            .map(|s| {
                let theirs: Vec<f64> = self
                    .anchors
                    .iter()
                    .map(|a| s.fitness[a.0 as usize])
                    .collect();
                (tau_a(&told, &theirs), s)
            })
            .collect();
        by_similarity.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut designs: Vec<ArchId> = Vec::new();
        for (_, source) in by_similarity.iter().take(self.params.similar) {
            let mut ranked: Vec<ArchId> = (0..self.space.size() as ArchId)
                .filter(|&a| source.fitness[a as usize].is_finite())
                .collect();
            ranked.sort_by(|&a, &b| {
                source.fitness[b as usize]
                    .total_cmp(&source.fitness[a as usize])
                    .then(a.cmp(&b))
            });
            for a in ranked.into_iter().take(self.params.top_k) {
                if !designs.contains(&a) {
                    designs.push(a);
                }
            }
        }
        designs.reverse();
        designs
    }
}

impl AutoTransfer<'_> {
    /// Random anchors until enough are told, then the prior's designs, then evolution.
    fn propose(&mut self, rng: &mut TrialRng) -> ArchId {
        if self.anchors.len() < self.params.anchors {
            for _ in 0..100 {
                let arch = sample_unseen(self.space, &self.seen, rng, &mut self.fallbacks);
                if self.in_every_source(arch) {
                    return arch;
                }
            }
            self.fallbacks.record(|| {
                "100 random anchors were all missing from some source task: took one anyway".into()
            });
            return sample_unseen(self.space, &self.seen, rng, &mut self.fallbacks);
        }
        if self.prior.is_none() {
            self.prior = Some(self.prior());
        }
        let prior = self.prior.as_mut().expect("set above");
        while let Some(arch) = prior.pop() {
            if !self.seen[arch as usize] {
                return arch;
            }
        }
        self.evolution.ask(rng)
    }
}

impl Searcher for AutoTransfer<'_> {
    /// Marks the architecture seen when it is asked for, so that simulated workers never
    /// evaluate one another's pending architectures again.
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        let arch = self.propose(rng);
        self.seen[arch as usize] = true;
        arch
    }

    fn tell(&mut self, arch: ArchId, fitness: f64) {
        if self.anchors.len() < self.params.anchors {
            self.anchors.push((arch, fitness));
        }
        self.evolution.tell(arch, fitness);
    }

    fn fallbacks(&self) -> Fallbacks {
        let mut all = self.fallbacks.clone();
        all.merge(&self.evolution.fallbacks());
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{run, toy_space, unimodal};

    #[test]
    fn the_most_similar_source_supplies_the_first_designs() {
        let space = toy_space();
        // A source ranked like the target, whose best designs are the target's, and an
        // anti-correlated one.
        let similar: Vec<f64> = (0..1000).map(unimodal).collect();
        let opposite: Vec<f64> = (0..1000).map(|a| -unimodal(a)).collect();
        let ctx = MethodContext {
            space: &space,
            properties: Vec::new(),
            sources: vec![
                SourceTask {
                    task: "opposite",
                    fitness: &opposite,
                },
                SourceTask {
                    task: "similar",
                    fitness: &similar,
                },
            ],
            trial: None,
            images: None,
        };
        let params = AutoTransferParams {
            id: None,
            anchors: 10,
            top_k: 3,
            similar: 1,
        };
        let (best, asked) = run(&mut params.build(&ctx), unimodal, 11, 0);
        // The 11th query is the similar source's best design: the target's optimum.
        assert_eq!(asked[10], 725);
        assert_eq!(best, 0.0);
    }

    #[test]
    fn tau_a_counts_concordant_pairs() {
        assert_eq!(tau_a(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]), 1.0);
        assert_eq!(tau_a(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), -1.0);
        assert!((tau_a(&[1.0, 2.0, 3.0], &[1.0, 3.0, 2.0]) - 1.0 / 3.0).abs() < 1e-12);
    }
}
