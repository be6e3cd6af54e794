//! nash's methods. Search methods follow an ask/tell protocol: the runner asks for the next
//! architecture, evaluates it on the benchmark and tells the method the result. Methods see
//! only what they are told; they never read a table.

pub mod estimate;
pub mod external;
mod limits;
pub mod linalg;
pub mod proxy;
pub mod registry;
pub mod search;
pub mod snapshots;
pub mod supernet;

pub use estimate::{Estimator, EstimatorSpec};
pub use search::{MethodSpec, Searcher};

use datasets::{Budget, Direction, SearchSpace};

/// What methods may read besides what they are told: the search space (encodings, graphs)
/// and per-architecture properties that are known without training ("params", "latency",
/// "flops"). Never the objective.
pub struct MethodContext<'a> {
    pub space: &'a dyn SearchSpace,
    pub properties: Vec<(&'static str, &'a [f64])>,
    /// The benchmark's other tasks, for transfer methods (empty unless a method asks).
    pub sources: Vec<SourceTask<'a>>,
    /// The trial the method is built for, which external methods are told at its start
    /// (None in unit tests of built-in methods, which do not read it).
    pub trial: Option<TrialInfo<'a>>,
    /// The protocol's images, for methods that train a weight-sharing supernet (None when
    /// no method of the protocol does).
    pub images: Option<&'a supernet::SupernetImages>,
}

/// What a trial is, as an external method is told it: never an objective value.
#[derive(Debug, Clone, Copy)]
pub struct TrialInfo<'a> {
    pub task: &'a str,
    pub replicate: u32,
    /// The trial's 64-bit seed: the first eight bytes (little-endian) of its key under nash's
    /// seeding rule.
    pub seed: u64,
    pub objective: &'a str,
    pub direction: Direction,
    /// A search trial's budget; None for estimation.
    pub budget: Option<Budget>,
    /// An estimation trial's training-set size; None for search.
    pub train_size: Option<usize>,
    /// The file in which a weight-sharing method keeps the trial's snapshots, to resume its
    /// supernet search after a kill (`snapshots.rs`); None in runs without supernet images
    /// (and in unit tests).
    pub snapshot: Option<&'a std::path::Path>,
}

/// Another task of the same benchmark: its seed-mean objective as fitness (higher is better),
/// indexed by this space's architecture ids (NaN where that task's table lacks one).
pub struct SourceTask<'a> {
    pub task: &'a str,
    pub fitness: &'a [f64],
}

impl<'a> MethodContext<'a> {
    /// The space alone: no properties, no other tasks.
    pub fn of_space(space: &'a dyn SearchSpace) -> MethodContext<'a> {
        MethodContext {
            space,
            properties: Vec::new(),
            sources: Vec::new(),
            trial: None,
            images: None,
        }
    }

    pub fn property(&self, name: &str) -> Option<&'a [f64]> {
        self.properties
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }
}

/// How often a method departed from its published algorithm during one trial (a model that
/// could not be fitted, a space left without unseen architectures), and the first reason.
/// The runner writes both into the result files and the report counts them: a fallback is
/// never silent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fallbacks {
    count: u32,
    first_reason: Option<String>,
}

impl Fallbacks {
    /// Counts one fallback; `reason` is called only for the first.
    pub fn record(&mut self, reason: impl FnOnce() -> String) {
        if self.first_reason.is_none() {
            self.first_reason = Some(reason());
        }
        self.count = self.count.saturating_add(1);
    }

    /// `count` fallbacks, the first for `reason` (none if `count` is 0), as an external
    /// method reports them.
    pub fn counted(count: u32, reason: String) -> Fallbacks {
        Fallbacks {
            count,
            first_reason: (count > 0).then_some(reason),
        }
    }

    /// Adds the fallbacks of a part (e.g. the evolution a transfer method hands over to).
    pub fn merge(&mut self, other: &Fallbacks) {
        if self.first_reason.is_none() {
            self.first_reason.clone_from(&other.first_reason);
        }
        self.count = self.count.saturating_add(other.count);
    }

    pub fn count(&self) -> u32 {
        self.count
    }

    pub fn first_reason(&self) -> Option<&str> {
        self.first_reason.as_deref()
    }
}
