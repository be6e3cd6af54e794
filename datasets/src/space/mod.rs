//! Search spaces: the architectures a benchmark covers, with the operations every method
//! shares (sampling, neighbourhoods, mutation, canonical forms).
//!
//! Architectures are dense ids `0..size()`, so a benchmark table is a plain array indexed by
//! id. Each space knows the key its registry package uses for an architecture, and a
//! human-readable description (the NB201 arch string, for instance).

mod darts;
mod grid;
mod nb101;
mod nb201;
mod nbgraph;
mod sample;

pub use darts::{DARTS_OPS, DartsSample, Genotype};
pub use grid::{GridParam, GridSpace};
pub use nb101::{NB101_CELLS, NB101_OPS, Nb101Cell, Nb101Macro, Nb101Space, vertex_channels};
pub use nb201::{NB201_EDGES, NB201_OPS, Nb201Macro, Nb201Space};
pub use nbgraph::{NBGRAPH_LINKS, NBGRAPH_OPS, NbGraphSpace};
pub use sample::SampleSpace;

use crate::rng::{self, TrialRng};
use serde::{Deserialize, Serialize};

/// Dense architecture id, an index into a benchmark table.
pub type ArchId = u32;

/// Fixed-length feature vectors for learned predictors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// One-hot of every decision: NB201's 6 edges × 5 ops (30), NAS-Bench-Graph's link pattern
    /// and 4 × 9 ops (45), one block per grid parameter.
    Onehot,
    /// BANANAS' path encoding (White, Neiswanger & Savani, AAAI 2021): one indicator per
    /// possible sequence of operations along an input-to-output path (NB201: 4 + 16 + 64 = 84
    /// over the 4 non-zero ops). Defined for NB201 only.
    Path,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Onehot => "onehot",
            Encoding::Path => "path",
        }
    }
}

/// An architecture as a DAG with one operation per node (input and output included), the form
/// graph neural predictors read.
#[derive(Debug, Clone, PartialEq)]
pub struct OpGraph {
    /// Each node's operation type, below `op_types`.
    pub ops: Vec<usize>,
    /// Directed edges `(from, to)` between node indices.
    pub edges: Vec<(usize, usize)>,
    pub op_types: usize,
}

/// The network an architecture stands for, where its space defines one (the zero-cost proxies
/// build it): an NB201 cell (its network's shape is the task's), or an NB101 cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NetworkOf {
    Nb201(ArchId),
    Nb101(Nb101Cell),
}

/// A categorical decision's name and the names of its choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionLabel {
    pub name: String,
    pub choices: Vec<String>,
}

pub trait SearchSpace: Send + Sync {
    /// Short name, e.g. `nb201`.
    fn name(&self) -> &str;

    /// Number of architectures.
    fn size(&self) -> usize;

    /// The key the registry package uses for `arch`.
    fn key(&self, arch: ArchId) -> String;

    /// The architecture with the package key `key`, if the space has it.
    fn id_of_key(&self, key: &str) -> Option<ArchId>;

    /// A readable, canonical description (the NB201 arch string, a GNN's links and ops, ...).
    fn describe(&self, arch: ArchId) -> String;

    /// Every architecture one elementary change away from `arch`, in a fixed order.
    fn neighbours(&self, arch: ArchId, out: &mut Vec<ArchId>);

    /// The representative of `arch`'s isomorphism class: the smallest id that computes the
    /// same function. Spaces without isomorphisms return `arch`.
    fn canonical(&self, arch: ArchId) -> ArchId {
        arch
    }

    /// The network `arch` stands for, where the space defines one.
    fn network(&self, _arch: ArchId) -> Option<NetworkOf> {
        None
    }

    /// Features of `arch` in `encoding`, or `None` where the space does not define it.
    fn encode(&self, _arch: ArchId, _encoding: Encoding) -> Option<Vec<f64>> {
        None
    }

    /// `arch` as an operation-on-node DAG, where the space defines one.
    fn op_graph(&self, _arch: ArchId) -> Option<OpGraph> {
        None
    }

    /// The space as a sequence of categorical decisions, the number of choices of each: NB201's
    /// 6 edges × 5 ops, NAS-Bench-Graph's link pattern then its 4 node ops, one decision per
    /// grid parameter. Policy and tree-search methods (REINFORCE, TPE, MCTS) build
    /// architectures decision by decision.
    fn decisions(&self) -> Vec<usize>;

    /// Each decision's name and its choices' names, as external methods see them (by default
    /// `d0`, `d1`, … with choices `0`, `1`, …).
    fn decision_labels(&self) -> Vec<DecisionLabel> {
        self.decisions()
            .iter()
            .enumerate()
            .map(|(i, &n)| DecisionLabel {
                name: format!("d{i}"),
                choices: (0..n).map(|c| c.to_string()).collect(),
            })
            .collect()
    }

    /// `arch`'s choice for each decision.
    fn choices(&self, arch: ArchId) -> Vec<usize>;

    /// The architecture these choices make (its isomorphism class' member where the space
    /// keeps one per class), or `None` when the space has none.
    fn arch_of_choices(&self, choices: &[usize]) -> Option<ArchId>;

    /// A uniformly random architecture.
    fn sample(&self, rng: &mut TrialRng) -> ArchId {
        rng::below(rng, self.size()) as ArchId
    }

    /// A uniformly random neighbour of `arch` (mutation as regularized evolution uses it).
    fn mutate(&self, arch: ArchId, rng: &mut TrialRng) -> ArchId {
        let mut out = Vec::new();
        self.neighbours(arch, &mut out);
        if out.is_empty() {
            return arch;
        }
        out[rng::below(rng, out.len())]
    }
}
