//! nash's methods. Search methods follow an ask/tell protocol: the runner asks for the next
//! architecture, evaluates it on the benchmark and tells the method the result. Methods see
//! only what they are told; they never read a table.

pub mod estimate;
mod limits;
pub mod linalg;
pub mod proxy;
pub mod registry;
pub mod search;

pub use estimate::{Estimator, EstimatorSpec};
pub use search::{MethodSpec, Searcher};

use datasets::SearchSpace;

/// What methods may read besides what they are told: the search space (encodings, graphs)
/// and per-architecture properties that are known without training ("params", "latency",
/// "flops"). Never the objective.
pub struct MethodContext<'a> {
    pub space: &'a dyn SearchSpace,
    pub properties: Vec<(&'static str, &'a [f64])>,
    /// The benchmark's other tasks, for transfer methods (empty unless a method asks).
    pub sources: Vec<SourceTask<'a>>,
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
