//! The loop that model-based searches share (BANANAS, Algorithm 1 of White, Neiswanger &
//! Savani, AAAI 2021; NASLib's `Bananas` and `BayesianOptimization` optimizers run the same
//! one): `init` random architectures, then repeatedly fit the model on everything observed,
//! generate candidates by mutating the best architectures, and evaluate the `batch` candidates
//! the acquisition function ranks highest before fitting again.
//!
//! Candidates follow NASLib's `acq_fn_optimization: mutation` by default (`proposals:
//! mutation`): `candidates` architectures, split evenly over the `mutate_top` best observed
//! ones, each one random neighbour of its parent (`max_mutations: 1`); architectures already
//! evaluated or duplicated are dropped, and uniformly random unseen ones fill the set back up
//! to `batch` when mutation runs dry. `proposals: random` draws `candidates` uniformly random
//! unseen architectures instead (GBDT-NAS' sampling, NASLib's `random_sampling`).

use std::collections::VecDeque;

use datasets::rng::TrialRng;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::{Searcher, rank_undefined_last, sample_unseen};
use crate::limits;
use crate::{Fallbacks, MethodContext};

/// The loop's parameters, shared by every model-based method's protocol entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoopParams {
    #[serde(default = "default_init")]
    pub init: usize,
    #[serde(default = "default_batch")]
    pub batch: usize,
    #[serde(default = "default_candidates")]
    pub candidates: usize,
    #[serde(default = "default_mutate_top")]
    pub mutate_top: usize,
    #[serde(default)]
    pub proposals: Proposals,
}

/// Where candidates come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Proposals {
    /// Random neighbours of the best observed architectures.
    #[default]
    Mutation,
    /// Uniformly random unseen architectures.
    Random,
}

fn default_init() -> usize {
    10
}

fn default_batch() -> usize {
    10
}

fn default_candidates() -> usize {
    100
}

fn default_mutate_top() -> usize {
    2
}

impl Default for LoopParams {
    fn default() -> Self {
        LoopParams {
            init: default_init(),
            batch: default_batch(),
            candidates: default_candidates(),
            mutate_top: default_mutate_top(),
            proposals: Proposals::Mutation,
        }
    }
}

impl LoopParams {
    pub fn validate(&self) -> Result<(), String> {
        limits::count("init", self.init, 2, limits::MAX_ARCHS)?;
        limits::count("batch", self.batch, 1, limits::MAX_ARCHS)?;
        limits::count("mutate_top", self.mutate_top, 1, limits::MAX_ARCHS)?;
        limits::count("candidates", self.candidates, self.batch, limits::MAX_ARCHS)
    }
}

/// What a model-based method provides: scores for candidates after fitting its model on the
/// observations (`labels[i]` is the fitness of `archs[i]`); higher is proposed first. A model
/// that cannot be fitted returns its error; the loop then keeps the candidates in the order
/// they were proposed (mutation order) and counts a fallback with that error.
pub trait Acquisition {
    fn scores(
        &mut self,
        ctx: &MethodContext,
        observed: (&[ArchId], &[f64]),
        candidates: &[ArchId],
        rng: &mut TrialRng,
    ) -> Result<Vec<f64>, String>;
}

/// A model-based search: the loop above driven by one acquisition.
pub struct ModelBasedLoop<'a, A> {
    space: &'a dyn SearchSpace,
    params: LoopParams,
    acquisition: A,
    archs: Vec<ArchId>,
    labels: Vec<f64>,
    seen: Vec<bool>,
    queue: VecDeque<ArchId>,
    fallbacks: Fallbacks,
}

impl<'a, A: Acquisition> ModelBasedLoop<'a, A> {
    pub fn new(space: &'a dyn SearchSpace, params: LoopParams, acquisition: A) -> Self {
        ModelBasedLoop {
            space,
            params,
            acquisition,
            archs: Vec::new(),
            labels: Vec::new(),
            seen: vec![false; space.size()],
            queue: VecDeque::new(),
            fallbacks: Fallbacks::default(),
        }
    }
}

impl<A: Acquisition> ModelBasedLoop<'_, A> {
    /// The next architecture: random while fewer than `init` are told, then the queue of the
    /// best candidates by the acquisition.
    fn propose(&mut self, rng: &mut TrialRng) -> ArchId {
        if self.archs.len() < self.params.init {
            return sample_unseen(self.space, &self.seen, rng, &mut self.fallbacks);
        }
        if self.queue.is_empty() {
            let candidates = self.candidates(rng);
            let ctx = MethodContext::of_space(self.space);
            let observed = (self.archs.as_slice(), self.labels.as_slice());
            let scores = match self.acquisition.scores(&ctx, observed, &candidates, rng) {
                Ok(scores) => rank_undefined_last(scores, &mut self.fallbacks),
                Err(error) => {
                    self.fallbacks.record(|| {
                        format!("model fit failed ({error}): took candidates in mutation order")
                    });
                    vec![0.0; candidates.len()]
                }
            };
            let mut order: Vec<usize> = (0..candidates.len()).collect();
            order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
            self.queue
                .extend(order.iter().take(self.params.batch).map(|&i| candidates[i]));
        }
        // An exhausted space leaves no candidates: `sample_unseen` repeats an architecture
        // and counts the fallback.
        match self.queue.pop_front() {
            Some(arch) => arch,
            None => sample_unseen(self.space, &self.seen, rng, &mut self.fallbacks),
        }
    }
}

impl<A: Acquisition> Searcher for ModelBasedLoop<'_, A> {
    /// Marks the architecture seen when it is asked for, so that simulated workers never
    /// evaluate one another's pending architectures again.
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        let arch = self.propose(rng);
        self.seen[arch as usize] = true;
        arch
    }

    fn tell(&mut self, arch: ArchId, fitness: f64) {
        self.archs.push(arch);
        self.labels.push(fitness);
    }

    fn fallbacks(&self) -> Fallbacks {
        self.fallbacks.clone()
    }
}

impl<A> ModelBasedLoop<'_, A> {
    fn candidates(&mut self, rng: &mut TrialRng) -> Vec<ArchId> {
        let mut taken = self.seen.clone();
        let mut out = Vec::with_capacity(self.params.candidates);
        let unseen = self.seen.iter().filter(|s| !**s).count();
        let wanted = match self.params.proposals {
            Proposals::Mutation => {
                let mut best: Vec<usize> = (0..self.archs.len()).collect();
                best.sort_by(|&a, &b| self.labels[b].total_cmp(&self.labels[a]));
                best.truncate(self.params.mutate_top);
                let per_parent = self.params.candidates.div_ceil(best.len());
                for parent in best.iter().map(|&i| self.archs[i]) {
                    for _ in 0..per_parent {
                        let child = self.space.mutate(parent, rng);
                        if !taken[child as usize] && out.len() < self.params.candidates {
                            taken[child as usize] = true;
                            out.push(child);
                        }
                    }
                }
                self.params.batch
            }
            Proposals::Random => self.params.candidates,
        };
        while out.len() < wanted.min(unseen) {
            let arch = sample_unseen(self.space, &taken, rng, &mut self.fallbacks);
            taken[arch as usize] = true;
            out.push(arch);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::toy_space;
    use datasets::space::GridSpace;

    /// Prefers the candidate with the largest id.
    struct LargestId;

    impl Acquisition for LargestId {
        fn scores(
            &mut self,
            _: &MethodContext,
            _: (&[ArchId], &[f64]),
            candidates: &[ArchId],
            _: &mut TrialRng,
        ) -> Result<Vec<f64>, String> {
            Ok(candidates.iter().map(|&a| a as f64).collect())
        }
    }

    /// A model that cannot be fitted.
    struct Unfittable;

    impl Acquisition for Unfittable {
        fn scores(
            &mut self,
            _: &MethodContext,
            _: (&[ArchId], &[f64]),
            _: &[ArchId],
            _: &mut TrialRng,
        ) -> Result<Vec<f64>, String> {
            Err("singular matrix".into())
        }
    }

    #[test]
    fn a_model_that_cannot_be_fitted_is_a_counted_fallback() {
        let space = toy_space();
        let mut search = ModelBasedLoop::new(&space, LoopParams::default(), Unfittable);
        let (_, asked) = crate::search::testing::run(&mut search, |a| a as f64, 30, 1);
        assert_eq!(asked.len(), 30);
        let fallbacks = search.fallbacks();
        // One failed fit per batch of 10 after the 10 random starts.
        assert_eq!(fallbacks.count(), 2);
        assert_eq!(
            fallbacks.first_reason(),
            Some("model fit failed (singular matrix): took candidates in mutation order")
        );
    }

    /// A diverged model: NaN for odd ids.
    struct HalfNan;

    impl Acquisition for HalfNan {
        fn scores(
            &mut self,
            _: &MethodContext,
            _: (&[ArchId], &[f64]),
            candidates: &[ArchId],
            _: &mut TrialRng,
        ) -> Result<Vec<f64>, String> {
            Ok(candidates
                .iter()
                .map(|&a| if a % 2 == 1 { f64::NAN } else { a as f64 })
                .collect())
        }
    }

    /// The loop after three starts (555 the best), and the first model-proposed batch of 4
    /// out of 20 candidates.
    fn first_batch<A: Acquisition>(
        space: &GridSpace,
        proposals: Proposals,
        model: A,
    ) -> (ModelBasedLoop<'_, A>, Vec<ArchId>) {
        let mut rng = datasets::rng::from_seed([2; 32]);
        let params = LoopParams {
            init: 3,
            batch: 4,
            candidates: 20,
            mutate_top: 1,
            proposals,
        };
        let mut search = ModelBasedLoop::new(space, params, model);
        for (arch, fitness) in [(555, 9.0), (100, 1.0), (200, 2.0)] {
            search.tell(arch, fitness);
        }
        let batch = (0..4).map(|_| search.ask(&mut rng)).collect();
        (search, batch)
    }

    #[test]
    fn nan_scores_come_last_and_are_counted() {
        let space = toy_space();
        let (search, batch) = first_batch(&space, Proposals::Random, HalfNan);
        assert!(batch.iter().all(|a| a % 2 == 0), "{batch:?}");
        let fallbacks = search.fallbacks();
        assert_eq!(fallbacks.count(), 1);
        assert!(fallbacks.first_reason().unwrap().contains("candidates NaN"));
    }

    #[test]
    fn proposes_unseen_neighbours_of_the_best_in_acquisition_order() {
        let space = toy_space();
        let (_, batch) = first_batch(&space, Proposals::Mutation, LargestId);
        let mut neighbours = Vec::new();
        space.neighbours(555, &mut neighbours);
        assert!(batch.iter().all(|a| neighbours.contains(a)), "{batch:?}");
        assert!(batch.windows(2).all(|w| w[0] > w[1]), "{batch:?}");
    }
}
