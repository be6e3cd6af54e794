//! Search methods: one file per method, each citing its paper and the variant implemented.

mod autotransfer;
mod bananas_search;
mod bayesian_optimization;
mod categorical;
mod gbdt_nas;
mod hyperband;
mod local_search;
mod mcts;
mod model_based;
mod nsga2;
mod order_preserving_gflownet;
mod random_search;
mod regularized_evolution;
mod reinforce;
mod robot;
mod smbo;
mod successive_halving;
mod tpe;

pub use autotransfer::AutoTransferParams;
pub use bananas_search::BananasSearchParams;
pub use bayesian_optimization::BayesianOptimizationParams;
pub use gbdt_nas::GbdtNasParams;
pub use hyperband::HyperbandParams;
pub use local_search::LocalSearchParams;
pub use mcts::MctsParams;
pub use model_based::{LoopParams, Proposals};
pub use nsga2::Nsga2Params;
pub use order_preserving_gflownet::OpGflownetParams;
pub use random_search::RandomSearchParams;
pub use regularized_evolution::RegularizedEvolutionParams;
pub use reinforce::ReinforceParams;
pub use robot::RobotParams;
pub use smbo::SmboParams;
pub use successive_halving::{SeedFidelity, SuccessiveHalvingParams};
pub use tpe::TpeParams;

use datasets::rng::TrialRng;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use crate::{Fallbacks, MethodContext};

/// A search method, driven by the runner: `ask` for an architecture, evaluate it, `tell` the
/// result. `fitness` is "higher is better" (the runner negates minimized metrics).
pub trait Searcher {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId;
    fn tell(&mut self, arch: ArchId, fitness: f64);

    /// How many training seeds the architecture just asked for should be evaluated on (their
    /// mean is told, their summed training time charged); `None` follows the protocol's seed
    /// policy. Multi-fidelity methods use the seeds as their fidelity axis.
    fn seeds_wanted(&self) -> Option<usize> {
        None
    }

    /// The times this trial departed from the published method, and why (read once the
    /// trial ends, or fails).
    fn fallbacks(&self) -> Fallbacks {
        Fallbacks::default()
    }
}

/// A method and its parameters as a protocol names them, e.g.
/// `regularized_evolution: { population: 10, sample_size: 3 }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum MethodSpec {
    RandomSearch(RandomSearchParams),
    RegularizedEvolution(RegularizedEvolutionParams),
    LocalSearch(LocalSearchParams),
    Reinforce(ReinforceParams),
    Tpe(TpeParams),
    Mcts(MctsParams),
    BayesianOptimization(BayesianOptimizationParams),
    Bananas(BananasSearchParams),
    GbdtNas(GbdtNasParams),
    Robot(RobotParams),
    Nsga2(Nsga2Params),
    SuccessiveHalving(SuccessiveHalvingParams),
    Hyperband(HyperbandParams),
    AutoTransfer(AutoTransferParams),
    OpGflownet(OpGflownetParams),
    Smbo(SmboParams),
}

/// Every method name a protocol may use.
pub const METHOD_NAMES: &[&str] = &[
    "random_search",
    "regularized_evolution",
    "local_search",
    "reinforce",
    "tpe",
    "mcts",
    "bayesian_optimization",
    "bananas",
    "gbdt_nas",
    "robot",
    "nsga2",
    "successive_halving",
    "hyperband",
    "auto_transfer",
    "op_gflownet",
    "smbo",
];

impl MethodSpec {
    /// The method's name in protocols.
    pub fn name(&self) -> &'static str {
        match self {
            MethodSpec::RandomSearch(_) => "random_search",
            MethodSpec::RegularizedEvolution(_) => "regularized_evolution",
            MethodSpec::LocalSearch(_) => "local_search",
            MethodSpec::Reinforce(_) => "reinforce",
            MethodSpec::Tpe(_) => "tpe",
            MethodSpec::Mcts(_) => "mcts",
            MethodSpec::BayesianOptimization(_) => "bayesian_optimization",
            MethodSpec::Bananas(_) => "bananas",
            MethodSpec::GbdtNas(_) => "gbdt_nas",
            MethodSpec::Robot(_) => "robot",
            MethodSpec::Nsga2(_) => "nsga2",
            MethodSpec::SuccessiveHalving(_) => "successive_halving",
            MethodSpec::Hyperband(_) => "hyperband",
            MethodSpec::AutoTransfer(_) => "auto_transfer",
            MethodSpec::OpGflownet(_) => "op_gflownet",
            MethodSpec::Smbo(_) => "smbo",
        }
    }

    /// The id results are recorded under: the `id` parameter, else the method's name.
    pub fn id(&self) -> &str {
        let id = match self {
            MethodSpec::RandomSearch(p) => &p.id,
            MethodSpec::RegularizedEvolution(p) => &p.id,
            MethodSpec::LocalSearch(p) => &p.id,
            MethodSpec::Reinforce(p) => &p.id,
            MethodSpec::Tpe(p) => &p.id,
            MethodSpec::Mcts(p) => &p.id,
            MethodSpec::BayesianOptimization(p) => &p.id,
            MethodSpec::Bananas(p) => &p.id,
            MethodSpec::GbdtNas(p) => &p.id,
            MethodSpec::Robot(p) => &p.id,
            MethodSpec::Nsga2(p) => &p.id,
            MethodSpec::SuccessiveHalving(p) => &p.id,
            MethodSpec::Hyperband(p) => &p.id,
            MethodSpec::AutoTransfer(p) => &p.id,
            MethodSpec::OpGflownet(p) => &p.id,
            MethodSpec::Smbo(p) => &p.id,
        };
        id.as_deref().unwrap_or(self.name())
    }

    /// Checks parameter values; the message names the offending parameter.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            MethodSpec::RandomSearch(_) => Ok(()),
            MethodSpec::RegularizedEvolution(p) => p.validate(),
            MethodSpec::LocalSearch(p) => p.validate(),
            MethodSpec::Reinforce(p) => p.validate(),
            MethodSpec::Tpe(p) => p.validate(),
            MethodSpec::Mcts(p) => p.validate(),
            MethodSpec::BayesianOptimization(p) => p.validate(),
            MethodSpec::Bananas(p) => p.validate(),
            MethodSpec::GbdtNas(p) => p.validate(),
            MethodSpec::Robot(p) => p.validate(),
            MethodSpec::Nsga2(p) => p.validate(),
            MethodSpec::SuccessiveHalving(p) => p.validate(),
            MethodSpec::Hyperband(p) => p.validate(),
            MethodSpec::AutoTransfer(p) => p.validate(),
            MethodSpec::OpGflownet(p) => p.validate(),
            MethodSpec::Smbo(p) => p.validate(),
        }
    }

    /// The per-architecture properties the method reads from its context.
    pub fn required_properties(&self) -> Vec<&str> {
        match self {
            MethodSpec::RegularizedEvolution(p) => {
                p.early_exit_params.map(|_| "params").into_iter().collect()
            }
            MethodSpec::Robot(p) => p.metrics.iter().map(String::as_str).collect(),
            MethodSpec::Nsga2(p) => vec![p.second.as_str()],
            _ => Vec::new(),
        }
    }

    /// The most training seeds the method asks an architecture to be evaluated on, if it asks
    /// for several (its fidelity).
    pub fn most_seeds_wanted(&self) -> Option<usize> {
        match self {
            MethodSpec::SuccessiveHalving(p) => Some(p.fidelity.max_seeds),
            MethodSpec::Hyperband(p) => Some(p.fidelity.max_seeds),
            _ => None,
        }
    }

    /// Whether the method trains burn networks (whose float results depend on the CPU).
    pub fn builds_networks(&self) -> bool {
        matches!(self, MethodSpec::Bananas(_))
    }

    /// Whether the method reads the benchmark's other tasks (`MethodContext::sources`).
    pub fn needs_sources(&self) -> bool {
        matches!(self, MethodSpec::AutoTransfer(_))
    }

    /// A fresh searcher over `ctx.space`; `ctx` holds [`MethodSpec::required_properties`].
    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        let space = ctx.space;
        match self {
            MethodSpec::RandomSearch(p) => Box::new(p.build(space)),
            MethodSpec::RegularizedEvolution(p) => Box::new(p.build(ctx)),
            MethodSpec::LocalSearch(p) => Box::new(p.build(space)),
            MethodSpec::Reinforce(p) => Box::new(p.build(space)),
            MethodSpec::Tpe(p) => Box::new(p.build(space)),
            MethodSpec::Mcts(p) => Box::new(p.build(space)),
            MethodSpec::BayesianOptimization(p) => Box::new(p.build(space)),
            MethodSpec::Bananas(p) => Box::new(p.build(space)),
            MethodSpec::GbdtNas(p) => Box::new(p.build(space)),
            MethodSpec::Robot(p) => Box::new(p.build(ctx)),
            MethodSpec::Nsga2(p) => Box::new(p.build(ctx)),
            MethodSpec::SuccessiveHalving(p) => Box::new(p.build(space)),
            MethodSpec::Hyperband(p) => Box::new(p.build(space)),
            MethodSpec::AutoTransfer(p) => Box::new(p.build(ctx)),
            MethodSpec::OpGflownet(p) => Box::new(p.build(space)),
            MethodSpec::Smbo(p) => Box::new(p.build(space)),
        }
    }
}

/// Draws an architecture uniformly among those not in `seen`: by rejection, and after `size`
/// failed draws (a nearly exhausted space) by drawing an index among the unseen ones, which
/// is the same distribution. When every architecture was seen, repeats a uniform one and
/// counts a fallback.
fn sample_unseen(
    space: &dyn SearchSpace,
    seen: &[bool],
    rng: &mut TrialRng,
    fallbacks: &mut Fallbacks,
) -> ArchId {
    for _ in 0..space.size() {
        let arch = space.sample(rng);
        if !seen[arch as usize] {
            return arch;
        }
    }
    let unseen = seen.iter().filter(|s| !**s).count();
    if unseen == 0 {
        return repeat_any(space, rng, fallbacks);
    }
    let k = datasets::rng::below(rng, unseen);
    seen.iter()
        .enumerate()
        .filter(|(_, s)| !**s)
        .nth(k)
        .map(|(i, _)| i as ArchId)
        .expect("k is below the number of unseen architectures")
}

/// A uniformly drawn architecture once every one was evaluated, counted as a fallback.
fn repeat_any(space: &dyn SearchSpace, rng: &mut TrialRng, fallbacks: &mut Fallbacks) -> ArchId {
    fallbacks.record(|| {
        format!(
            "all {} architectures were evaluated: repeated a uniformly drawn one",
            space.size()
        )
    });
    space.sample(rng)
}

/// Scores a model gave, with NaN ones (a diverged network, a singular kernel) set to −∞ so
/// that their candidates come last, each counted as a fallback.
fn rank_undefined_last(mut scores: Vec<f64>, fallbacks: &mut Fallbacks) -> Vec<f64> {
    let undefined = scores.iter().filter(|s| s.is_nan()).count();
    if undefined > 0 {
        let n = scores.len();
        fallbacks.record(|| {
            format!("the model scored {undefined} of {n} candidates NaN: proposed them last")
        });
        for s in scores.iter_mut().filter(|s| s.is_nan()) {
            *s = f64::NEG_INFINITY;
        }
    }
    scores
}

/// Draws choice sequences with `draw` until the space holds the architecture they make; after
/// 100 failed tries, counts a fallback and takes a uniform sample. Returns the architecture
/// and its choices.
fn draw_choices(
    space: &dyn SearchSpace,
    rng: &mut TrialRng,
    fallbacks: &mut Fallbacks,
    mut draw: impl FnMut(&mut TrialRng) -> Vec<usize>,
) -> (ArchId, Vec<usize>) {
    for _ in 0..100 {
        let choices = draw(rng);
        if let Some(arch) = space.arch_of_choices(&choices) {
            return (arch, choices);
        }
    }
    fallbacks.record(|| {
        "100 drawn choice sequences made no architecture of the space: drew a uniform one".into()
    });
    let arch = space.sample(rng);
    (arch, space.choices(arch))
}

/// The choices behind the last architecture asked for, so that `tell` credits the decisions
/// actually drawn (a space may map several choice sequences to one architecture), and the
/// fallbacks of every draw.
#[derive(Default)]
struct LastDraw {
    last: Option<(ArchId, Vec<usize>)>,
    fallbacks: Fallbacks,
}

impl LastDraw {
    /// [`draw_choices`], remembering the choices.
    fn draw(
        &mut self,
        space: &dyn SearchSpace,
        rng: &mut TrialRng,
        draw: impl FnMut(&mut TrialRng) -> Vec<usize>,
    ) -> ArchId {
        let (arch, choices) = draw_choices(space, rng, &mut self.fallbacks, draw);
        self.last = Some((arch, choices));
        arch
    }

    /// The choices drawn for `arch`, or its own if it was not the last one asked for.
    fn take(&mut self, space: &dyn SearchSpace, arch: ArchId) -> Vec<usize> {
        match self.last.take() {
            Some((asked, choices)) if asked == arch => choices,
            _ => space.choices(arch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::toy_space;

    #[test]
    fn sample_unseen_is_uniform_over_the_unseen_and_counts_a_full_space() {
        let space = toy_space();
        let mut rng = datasets::rng::from_seed([9; 32]);
        let mut fallbacks = Fallbacks::default();
        // Two unseen architectures left: rejection rarely finds them in 1,000 draws, and the
        // fallback draw is uniform between them.
        let mut seen = vec![true; 1000];
        seen[17] = false;
        seen[901] = false;
        let mut counts = [0; 2];
        for _ in 0..400 {
            match sample_unseen(&space, &seen, &mut rng, &mut fallbacks) {
                17 => counts[0] += 1,
                901 => counts[1] += 1,
                other => panic!("{other} was seen"),
            }
        }
        assert!(
            counts.iter().all(|&c| (150..250).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(fallbacks.count(), 0);
        let all = vec![true; 1000];
        sample_unseen(&space, &all, &mut rng, &mut fallbacks);
        assert_eq!(fallbacks.count(), 1);
        assert!(
            fallbacks
                .first_reason()
                .unwrap()
                .contains("all 1000 architectures")
        );
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A small synthetic space and tables with known optima, for method tests.
    use super::*;
    use datasets::space::GridParam;
    use datasets::space::GridSpace;

    pub const TOY_PARAMS: &[GridParam] = &[
        GridParam {
            name: "a",
            choices: &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        },
        GridParam {
            name: "b",
            choices: &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        },
        GridParam {
            name: "c",
            choices: &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        },
    ];

    /// A 1,000-configuration grid.
    pub fn toy_space() -> GridSpace {
        GridSpace::new("toy", TOY_PARAMS)
    }

    /// A unimodal objective on the toy grid: its maximum 0 is at (7, 2, 5).
    pub fn unimodal(arch: ArchId) -> f64 {
        let (a, b, c) = (
            (arch / 100) as f64,
            ((arch / 10) % 10) as f64,
            (arch % 10) as f64,
        );
        -((a - 7.0).powi(2) + (b - 2.0).powi(2) + (c - 5.0).powi(2))
    }

    /// Separable: each parameter's best choice is 3, whatever the others are.
    pub fn separable(arch: ArchId) -> f64 {
        let digits = [arch / 100, (arch / 10) % 10, arch % 10];
        digits.iter().map(|&d| if d == 3 { 1.0 } else { 0.0 }).sum()
    }

    /// The most probable choice of each decision of a policy.
    pub fn best_choices(policy: &[Vec<f64>]) -> Vec<usize> {
        policy
            .iter()
            .map(|p| (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap())
            .collect()
    }

    /// Total best value of `runs` seeded runs of fresh searchers from `build` on `unimodal`,
    /// and of random search (without replacement) on the same seeds.
    pub fn against_random_search<'a>(
        build: impl Fn() -> Box<dyn Searcher + 'a>,
        budget: usize,
        runs: u8,
    ) -> (f64, f64) {
        let space = toy_space();
        let rs = super::RandomSearchParams {
            id: None,
            replacement: false,
        };
        let (mut method, mut random) = (0.0, 0.0);
        for seed in 0..runs {
            method += run(build().as_mut(), unimodal, budget, seed).0;
            random += run(&mut rs.build(&space), unimodal, budget, seed).0;
        }
        (method, random)
    }

    /// Runs a searcher for `budget` evaluations of `f`; returns the best value found.
    pub fn run(
        searcher: &mut dyn Searcher,
        f: fn(ArchId) -> f64,
        budget: usize,
        seed: u8,
    ) -> (f64, Vec<ArchId>) {
        let mut rng = datasets::rng::from_seed([seed; 32]);
        let mut best = f64::NEG_INFINITY;
        let mut asked = Vec::new();
        for _ in 0..budget {
            let arch = searcher.ask(&mut rng);
            let v = f(arch);
            best = best.max(v);
            asked.push(arch);
            searcher.tell(arch, v);
        }
        (best, asked)
    }
}
