//! Search methods: one file per method, each citing its paper and the variant implemented,
//! its card (name, summary, capabilities) and its parameters; one line each in the registry
//! below.

mod categorical;
mod model_based;

pub use model_based::{LoopParams, Proposals};
pub use successive_halving::SeedFidelity;

use std::fmt;

use datasets::rng::TrialRng;
use datasets::{ArchId, SearchSpace};
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::registry::{Capabilities, Card};
use crate::{Fallbacks, MethodContext};

/// A search method, driven by the runner: `ask` for an architecture, evaluate it, `tell` the
/// result. `fitness` is "higher is better" (the runner negates minimized metrics).
pub trait Searcher {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId;
    fn tell(&mut self, arch: ArchId, fitness: f64);

    /// `tell` with the simulated training time the evaluation cost (None when the table has
    /// none), which the runner calls; only methods that are told costs (external ones) read it.
    fn tell_with_cost(&mut self, arch: ArchId, fitness: f64, _cost: Option<f64>) {
        self.tell(arch, fitness)
    }

    /// How many training seeds the architecture just asked for should be evaluated on (their
    /// mean is told, their summed training time charged); `None` follows the protocol's seed
    /// policy. Multi-fidelity methods use the seeds as their fidelity axis.
    fn seeds_wanted(&self) -> Option<usize> {
        None
    }

    /// CPU seconds the method itself spent producing the architecture it was just asked for,
    /// when that is the evaluation's real cost: a weight-sharing method trains a supernet to
    /// derive it. The runner records it as the evaluation's cost in place of the table's
    /// training time.
    fn measured_cost(&self) -> Option<f64> {
        None
    }

    /// The budget is spent and the trial over (not called when it failed). External methods
    /// end the trial with their program here.
    fn end(&mut self) {}

    /// The times this trial departed from the published method, and why (read once the
    /// trial ends, or fails).
    fn fallbacks(&self) -> Fallbacks {
        Fallbacks::default()
    }
}

/// A search method's parameters, as a protocol gives them, and what the method is.
pub trait SearchMethod {
    /// The method's name in protocols, its paper and variant, its capabilities.
    const CARD: Card;

    /// The `id` parameter: the name results are recorded under, when not the method's.
    fn id(&self) -> Option<&str>;

    /// Checks parameter values; the message names the offending parameter.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }

    /// The per-architecture properties the method reads, given its parameters.
    fn properties(&self) -> Vec<&str> {
        Vec::new()
    }

    /// The most training seeds it asks an architecture to be evaluated on, if several.
    fn most_seeds_wanted(&self) -> Option<usize> {
        None
    }

    /// Its capabilities with these parameters: the card's, unless a parameter changes one
    /// (an external program that declares it takes tells in any order).
    fn capabilities(&self) -> Capabilities {
        Self::CARD.capabilities
    }

    /// A fresh searcher; `ctx` holds the properties the protocol checked.
    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a>;
}

/// Declares the registry: for each line `module::Params => Variant`, the method's module,
/// a `MethodSpec` variant holding its parameters, and its card in `METHODS`. A protocol names
/// a method by its card's name: `- name: { parameters }`.
macro_rules! search_methods {
    ($($module:ident :: $params:ident => $variant:ident,)*) => {
        $(mod $module; pub use $module::$params;)*

        /// A method and its parameters as a protocol names them, e.g.
        /// `regularized_evolution: { population: 10, sample_size: 3 }`.
        #[derive(Debug, Clone, PartialEq)]
        pub enum MethodSpec {
            $($variant($params),)*
        }

        /// Every search method's card, in registry order.
        pub const METHODS: &[Card] = &[$(<$params as SearchMethod>::CARD,)*];

        impl MethodSpec {
            pub fn card(&self) -> &'static Card {
                match self {
                    $(MethodSpec::$variant(_) => &<$params as SearchMethod>::CARD,)*
                }
            }

            fn method(&self) -> &dyn MethodParams {
                match self {
                    $(MethodSpec::$variant(p) => p,)*
                }
            }

            /// Reads the parameters of the method named `name` from `map`'s next value.
            fn read<'de, A: MapAccess<'de>>(name: &str, map: &mut A) -> Result<Self, A::Error> {
                $(if name == <$params as SearchMethod>::CARD.name {
                    return Ok(MethodSpec::$variant(map.next_value()?));
                })*
                let names: Vec<&str> = METHODS.iter().map(|c| c.name).collect();
                Err(de::Error::custom(format!(
                    "unknown variant `{}`, expected one of {}",
                    datasets::error::shown(&name),
                    names.join(", ")
                )))
            }

            fn write<S: SerializeMap>(&self, map: &mut S) -> Result<(), S::Error> {
                match self {
                    $(MethodSpec::$variant(p) => map.serialize_entry(self.card().name, p),)*
                }
            }
        }
    };
}

search_methods! {
    random_search::RandomSearchParams => RandomSearch,
    prior_order::PriorOrderParams => PriorOrder,
    regularized_evolution::RegularizedEvolutionParams => RegularizedEvolution,
    local_search::LocalSearchParams => LocalSearch,
    reinforce::ReinforceParams => Reinforce,
    tpe::TpeParams => Tpe,
    mcts::MctsParams => Mcts,
    bayesian_optimization::BayesianOptimizationParams => BayesianOptimization,
    bananas_search::BananasSearchParams => Bananas,
    npenas::NpenasParams => Npenas,
    gbdt_nas::GbdtNasParams => GbdtNas,
    robot::RobotParams => Robot,
    nsga2::Nsga2Params => Nsga2,
    successive_halving::SuccessiveHalvingParams => SuccessiveHalving,
    hyperband::HyperbandParams => Hyperband,
    autotransfer::AutoTransferParams => AutoTransfer,
    order_preserving_gflownet::OpGflownetParams => OpGflownet,
    smbo::SmboParams => Smbo,
    darts::DartsParams => Darts,
    gdas::GdasParams => Gdas,
    rsps::RspsParams => Rsps,
    setn::SetnParams => Setn,
    enas::EnasParams => Enas,
    darts_pt::DartsPtParams => DartsPt,
    few_shot::FewShotParams => FewShot,
    fbnet::FbnetParams => Fbnet,
    proxylessnas::ProxylessNasParams => ProxylessNas,
    external::ExternalSearchParams => External,
}

/// [`SearchMethod`] without its card, so that `MethodSpec` can hand any method's parameters
/// out as one type.
trait MethodParams {
    fn id(&self) -> Option<&str>;
    fn validate(&self) -> Result<(), String>;
    fn properties(&self) -> Vec<&str>;
    fn most_seeds_wanted(&self) -> Option<usize>;
    fn capabilities(&self) -> Capabilities;
    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a>;
}

impl<T: SearchMethod> MethodParams for T {
    fn id(&self) -> Option<&str> {
        SearchMethod::id(self)
    }

    fn validate(&self) -> Result<(), String> {
        SearchMethod::validate(self)
    }

    fn properties(&self) -> Vec<&str> {
        SearchMethod::properties(self)
    }

    fn most_seeds_wanted(&self) -> Option<usize> {
        SearchMethod::most_seeds_wanted(self)
    }

    fn capabilities(&self) -> Capabilities {
        SearchMethod::capabilities(self)
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        SearchMethod::searcher(self, ctx)
    }
}

impl MethodSpec {
    /// The method's name in protocols.
    pub fn name(&self) -> &'static str {
        self.card().name
    }

    /// The id results are recorded under: the `id` parameter, else the method's name.
    pub fn id(&self) -> &str {
        self.method().id().unwrap_or(self.name())
    }

    /// Checks parameter values; the message names the offending parameter.
    pub fn validate(&self) -> Result<(), String> {
        self.method().validate()
    }

    /// The per-architecture properties the method reads from its context.
    pub fn required_properties(&self) -> Vec<&str> {
        self.method().properties()
    }

    /// The most training seeds the method asks an architecture to be evaluated on, if it asks
    /// for several (its fidelity).
    pub fn most_seeds_wanted(&self) -> Option<usize> {
        self.method().most_seeds_wanted()
    }

    pub fn capabilities(&self) -> Capabilities {
        self.method().capabilities()
    }

    /// Whether the method reads the benchmark's other tasks (`MethodContext::sources`).
    pub fn needs_sources(&self) -> bool {
        self.card().capabilities.transfers
    }

    /// A fresh searcher over `ctx.space`; `ctx` holds [`MethodSpec::required_properties`].
    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        self.method().searcher(ctx)
    }
}

impl Serialize for MethodSpec {
    /// As `{name: parameters}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        self.write(&mut map)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for MethodSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<MethodSpec, D::Error> {
        struct Entry;
        impl<'de> Visitor<'de> for Entry {
            type Value = MethodSpec;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a method as `name: { parameters }`")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MethodSpec, A::Error> {
                let Some(name) = map.next_key::<String>()? else {
                    return Err(de::Error::custom("a method needs a name"));
                };
                let spec = MethodSpec::read(&name, &mut map)?;
                if let Some(other) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!(
                        "one method per list item: `{name}` and `{other}` are in one"
                    )));
                }
                Ok(spec)
            }
        }
        d.deserialize_map(Entry)
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

/// The choices behind the architectures asked for and not yet told, so that `tell` credits
/// the decisions actually drawn (a space may map several choice sequences to one
/// architecture) whatever order simulated workers tell them in, and the fallbacks of every
/// draw.
#[derive(Default)]
struct LastDraw {
    pending: Vec<(ArchId, Vec<usize>)>,
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
        self.pending.push((arch, choices));
        arch
    }

    /// The choices drawn for `arch` (the earliest pending draw of it), or its own if it was
    /// not asked for.
    fn take(&mut self, space: &dyn SearchSpace, arch: ArchId) -> Vec<usize> {
        match self.pending.iter().position(|(asked, _)| *asked == arch) {
            Some(i) => self.pending.remove(i).1,
            None => space.choices(arch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::toy_space;

    #[test]
    fn every_registered_method_is_named_by_its_card() {
        let mut names: Vec<&str> = METHODS.iter().map(|c| c.name).collect();
        for name in &names {
            // Every method's parameters have defaults but NSGA-II's second objective and an
            // external method's id and command.
            let params = match *name {
                "nsga2" => r#"{"second": "params"}"#,
                "external" => r#"{"id": "mine", "command": ["python3", "mine.py"]}"#,
                _ => "{}",
            };
            let spec: MethodSpec =
                serde_json::from_str(&format!("{{\"{name}\": {params}}}")).unwrap();
            assert_eq!(spec.name(), *name);
            let json = serde_json::to_string(&spec).unwrap();
            assert!(json.starts_with(&format!("{{\"{name}\":")), "{json}");
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), METHODS.len(), "names are unique");
        let e = serde_json::from_str::<MethodSpec>(r#"{"random_serch": {}}"#).unwrap_err();
        assert!(
            e.to_string()
                .contains("unknown variant `random_serch`, expected one of random_search")
        );
    }

    /// What simulated workers do to an asynchronous method: eight asks before any tell, told
    /// in reverse order, twelve times over. None panics, and those that never repeat an
    /// architecture in a sequential run repeat none here, pending or told.
    #[test]
    fn asynchronous_methods_take_tells_in_any_order() {
        use crate::registry::Parallelism;
        use crate::search::testing::unimodal;
        use crate::{MethodContext, SourceTask};
        let space = toy_space();
        let values: Vec<f64> = (0..space.size() as ArchId).map(unimodal).collect();
        let no_repeats = [
            "random_search",
            "prior_order",
            "bayesian_optimization",
            "bananas",
            "npenas",
            "gbdt_nas",
            "smbo",
            "nsga2",
            "robot",
        ];
        let asynchronous: Vec<&Card> = METHODS
            .iter()
            .filter(|c| c.capabilities.parallelism == Parallelism::Asynchronous)
            .collect();
        assert_eq!(asynchronous.len(), 15);
        for card in asynchronous {
            let params = if card.name == "nsga2" {
                r#"{"second": "params"}"#
            } else {
                "{}"
            };
            let spec: MethodSpec =
                serde_json::from_str(&format!("{{\"{}\": {params}}}", card.name)).unwrap();
            let ctx = MethodContext {
                properties: vec![
                    ("params", &values),
                    ("latency", &values),
                    ("flops", &values),
                ],
                sources: vec![SourceTask {
                    task: "other",
                    fitness: &values,
                }],
                ..MethodContext::of_space(&space)
            };
            let mut searcher = spec.build(&ctx);
            let mut rng = datasets::rng::from_seed([3; 32]);
            let mut evaluated: Vec<ArchId> = Vec::new();
            for _ in 0..12 {
                let asked: Vec<ArchId> = (0..8).map(|_| searcher.ask(&mut rng)).collect();
                if no_repeats.contains(&card.name) {
                    for (i, a) in asked.iter().enumerate() {
                        let again = asked[..i].contains(a) || evaluated.contains(a);
                        assert!(!again, "{}: {a} proposed again", card.name);
                    }
                }
                for &a in asked.iter().rev() {
                    searcher.tell(a, unimodal(a));
                }
                evaluated.extend(asked);
            }
        }
    }

    /// Every method that is not NB201-only (weight sharing) or external runs on the NB101
    /// space: 60 evaluations of an objective of the cell (its conv3×3 vertices and edges),
    /// every architecture asked inside the space, the best found at least the best of the
    /// first 10.
    #[test]
    fn every_search_method_runs_on_the_nb101_space() {
        use crate::{MethodContext, SourceTask};
        use datasets::space::Nb101Space;
        let space = Nb101Space::shared();
        let objective = |a: ArchId| {
            let cell = space.cell(a);
            let convs = (1..cell.n - 1).filter(|&v| cell.ops[v] == 0).count();
            convs as f64 + cell.edges() as f64 * 0.1
        };
        let values: Vec<f64> = (0..space.size() as ArchId).map(objective).collect();
        let mut ran = 0;
        for card in METHODS {
            let c = card.capabilities;
            if c.weight_sharing || c.external || c.only_space.is_some() {
                continue;
            }
            let params = match card.name {
                "nsga2" => r#"{"second": "params"}"#,
                "robot" => r#"{"metrics": ["params"]}"#,
                _ => "{}",
            };
            let spec: MethodSpec =
                serde_json::from_str(&format!("{{\"{}\": {params}}}", card.name)).unwrap();
            let ctx = MethodContext {
                properties: vec![("params", &values)],
                sources: vec![SourceTask {
                    task: "other",
                    fitness: &values,
                }],
                ..MethodContext::of_space(space)
            };
            let mut searcher = spec.build(&ctx);
            let mut rng = datasets::rng::from_seed([5; 32]);
            let mut found = Vec::new();
            for _ in 0..60 {
                let arch = searcher.ask(&mut rng);
                assert!((arch as usize) < space.size(), "{}: {arch}", card.name);
                searcher.tell(arch, objective(arch));
                found.push(objective(arch));
            }
            let best = found.iter().copied().fold(f64::MIN, f64::max);
            let early = found[..10].iter().copied().fold(f64::MIN, f64::max);
            assert!(best >= early, "{}", card.name);
            ran += 1;
        }
        assert_eq!(ran, 18, "the methods neither NB201-only nor external");
    }

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
