//! nash's methods. Search methods follow an ask/tell protocol: the runner asks for the next
//! architecture, evaluates it on the benchmark and tells the method the result. Methods see
//! only what they are told; they never read a table.

pub mod estimate;
pub mod proxy;
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
