//! Tabulated estimators: rank architectures by a property known without training — parameter
//! count, inference latency, or FLOPs. NAS-Bench-Suite-Zero (Krishnakumar, White et al.,
//! NeurIPS 2022 Datasets and Benchmarks) shows these are strong baselines that every
//! zero-cost proxy should be compared with.
//!
//! `params` and `latency` read the benchmark table's own columns (NB201: `model_size`,
//! `latency`; NAS-Bench-Graph: `params`, `latency`). `flops` is computed analytically from the
//! NB201 network (`datasets::space::Nb201Macro::flops`). Larger is scored higher, as in the
//! zero-cost literature (bigger networks tend to be more accurate).
//!
//! `naslib: { score: snip }` reads a score a published file recorded for each architecture:
//! NAS-Bench-Suite-Zero's samples hold NASLib's own proxy scores (`snip`, `synflow`, `jacov`,
//! …), so a protocol can put NASLib's figures beside nash's proxies on the same cells.

use datasets::ArchId;
use datasets::rng::TrialRng;
use serde::{Deserialize, Serialize};

use super::{Estimator, MethodContext};
use crate::registry::{Capabilities, Card};

const TABULATED_CAPABILITIES: Capabilities = Capabilities {
    reads_properties: true,
    ..Capabilities::PLAIN
};

/// The tabulated estimators, one per property: their names are the properties'.
pub static TABULATED: [Card; 3] = [
    Card {
        name: "params",
        summary: "the parameter count (NB201: computed from the cell, equal to the table's model_size)",
        capabilities: TABULATED_CAPABILITIES,
    },
    Card {
        name: "latency",
        summary: "the table's inference latency",
        capabilities: TABULATED_CAPABILITIES,
    },
    Card {
        name: "flops",
        summary: "FLOPs computed from the NB201 network",
        capabilities: TABULATED_CAPABILITIES,
    },
];

/// The estimator that reads a recorded score.
pub static RECORDED: Card = Card {
    name: "naslib",
    summary: "a score NAS-Bench-Suite-Zero's file records for each architecture (NASLib's proxies): `score: snip`",
    capabilities: TABULATED_CAPABILITIES,
};

/// `naslib: { score, id }`; the id defaults to `naslib_<score>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, from = "RecordedFields")]
pub struct RecordedParams {
    pub id: String,
    pub score: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordedFields {
    #[serde(default)]
    id: Option<String>,
    score: String,
}

impl RecordedParams {
    /// The property it reads: `naslib_<score>`.
    pub fn property(&self) -> String {
        format!("naslib_{}", self.score)
    }
}

impl From<RecordedFields> for RecordedParams {
    fn from(f: RecordedFields) -> RecordedParams {
        RecordedParams {
            id: f.id.unwrap_or_else(|| format!("naslib_{}", f.score)),
            score: f.score,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TabulatedParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

pub struct Tabulated<'a> {
    values: &'a [f64],
}

impl<'a> Tabulated<'a> {
    /// Reads property `name`; the protocol checked that the context has it.
    pub fn new(ctx: &'a MethodContext<'a>, name: &str) -> Tabulated<'a> {
        Tabulated {
            values: ctx
                .property(name)
                .expect("property validated with the protocol"),
        }
    }
}

impl Estimator for Tabulated<'_> {
    fn fit(
        &mut self,
        _archs: &[ArchId],
        _labels: &[f64],
        _rng: &mut TrialRng,
    ) -> Result<(), String> {
        Ok(())
    }

    fn score(&mut self, archs: &[ArchId]) -> Result<Vec<f64>, String> {
        Ok(archs.iter().map(|&a| self.values[a as usize]).collect())
    }
}
