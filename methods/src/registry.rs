//! What nash knows of each method before running it, declared once in the method's own file
//! (kurobako's solver specs): its name in protocols, its paper and variant in one line, and
//! its capabilities. `nash list` prints the cards; protocol checks read the capabilities.

use std::fmt;

/// A method's card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Card {
    /// The method's name in protocols, e.g. `regularized_evolution`.
    pub name: &'static str,
    /// The paper and the variant nash implements, in one line.
    pub summary: &'static str,
    pub capabilities: Capabilities,
}

/// What a method needs and does beyond asking and scoring architectures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// The one search space the method applies to (weight-sharing methods train an NB201
    /// supernet),
    /// or None for every space.
    pub only_space: Option<&'static str>,
    /// Reads per-architecture properties of the table (params, FLOPs, latency).
    pub reads_properties: bool,
    /// Asks for architectures evaluated on several training seeds (its fidelity).
    pub seed_fidelity: bool,
    /// Reads the benchmark's other tasks (transfer).
    pub transfers: bool,
    /// Is fitted on labelled architectures (an estimator that learns, or a search method that
    /// refits a predictor on its observations; shards count such trials as costlier).
    pub learns: bool,
    /// Trains or runs burn networks, whose float results depend on the CPU.
    pub networks: bool,
    /// Runs a program over nash-external/1; its results are as reproducible as the program.
    pub external: bool,
    /// Trains a weight-sharing supernet on the protocol's images and derives one architecture
    /// from it; the evaluation's cost is the supernet's measured CPU time.
    pub weight_sharing: bool,
    /// How it may be asked when several simulated workers evaluate at once (`workers:`).
    pub parallelism: Parallelism,
}

/// When a method may be asked for an architecture while earlier ones are still being
/// evaluated (the harness' `workers.rs` drives it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parallelism {
    /// Whenever a worker is free: its `tell`s may come in any order, after other `ask`s.
    Asynchronous,
    /// Its `tell` must follow its `ask`: one worker at a time.
    Sequential,
}

impl Capabilities {
    /// A method that needs nothing beyond its space.
    pub const PLAIN: Capabilities = Capabilities {
        only_space: None,
        reads_properties: false,
        seed_fidelity: false,
        transfers: false,
        learns: false,
        networks: false,
        external: false,
        weight_sharing: false,
        parallelism: Parallelism::Sequential,
    };
}

impl fmt::Display for Capabilities {
    /// The capabilities that are set, comma-separated (empty for a plain method).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut said = Vec::new();
        if let Some(space) = self.only_space {
            said.push(format!("{space} only"));
        }
        for (set, what) in [
            (self.reads_properties, "reads tabulated properties"),
            (self.seed_fidelity, "several training seeds per evaluation"),
            (self.transfers, "reads the benchmark's other tasks"),
            (self.learns, "learns from labelled architectures"),
            (self.networks, "burn networks (results depend on the CPU)"),
            (
                self.external,
                "runs a program (results as reproducible as the program)",
            ),
            (
                self.weight_sharing,
                "trains a supernet on the protocol's images (cost: measured CPU time)",
            ),
        ] {
            if set {
                said.push(what.to_string());
            }
        }
        match self.parallelism {
            Parallelism::Asynchronous => {
                said.push("asked asynchronously by parallel workers".into())
            }
            Parallelism::Sequential => {}
        }
        f.write_str(&said.join(", "))
    }
}
