//! The NAS-Bench-201 supernet that the weight-sharing search methods train: the NB201 macro
//! network (stem, three stages of N cells, the residual reduction blocks, BN + ReLU, global
//! pooling, linear classifier; see `proxy::network`) in which every cell edge holds all five
//! candidate operations with their own weights, as in NB201's own search code (Dong & Yang,
//! ICLR 2020, `lib/models/cell_searchs`). How an edge's candidates are combined is the
//! method's: a weighted sum (DARTS), one sampled path with a straight-through weight (GDAS),
//! one uniformly drawn path (RSPS); every cell of the network shares the same choice, as the
//! NB201 space's cells do.
//!
//! Variant: every BN normalises with the batch statistics and has no learned scale or shift
//! (DARTS' and NB201's search networks use `affine=False` in the candidate operations; nash
//! uses it everywhere, so a path's one-shot accuracy depends only on shared convolution
//! weights). Weights are initialised as PyTorch does (U(−1/√fan_in, 1/√fan_in)) from the
//! trial's generator and kept on the host between steps as flat `f32` vectors, so optimizers
//! are plain loops and every step's arithmetic is fixed; each pass builds leaf tensors from
//! them. Weights are trained by SGD with Nesterov momentum, weight decay, gradient-norm
//! clipping and a cosine learning rate (NB201's DARTS and GDAS configs: 0.025 → 0.001,
//! momentum 0.9, decay 5·10⁻⁴; clipping at 5 as DARTS' code); architecture parameters by Adam
//! (3·10⁻⁴, β = (0.5, 0.999), decay 10⁻³).

mod cells;
mod derivation;
mod ops;
mod searcher;
#[cfg(test)]
pub(crate) mod tests;
mod training;

pub use cells::{PassResult, Supernet, Want};
pub use derivation::{
    argmax, argmax_architecture, best_by_one_shot, drawn_architecture, one_hot, softmax_policy,
    uniform_architecture,
};
pub use ops::{
    Mix, arch_gradient, edge_leaf, edge_table, edge_weight, floats, gumbel_noise, softmax_mix,
    softmax_weights,
};
pub use searcher::{SupernetMethod, SupernetSearch, SupernetSearcher, WEIGHT_SHARING, searcher};
pub use training::{
    Adam, BiLevel, Step, WeightTrainer, batches_per_epoch, cosine_rate, default_candidates,
    epoch_batches,
};

use datasets::images::Images;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

use crate::limits;

/// The NB201 operations in the space's order: none, skip, conv 1×1, conv 3×3, avg pool.
pub const OPS: usize = 5;
/// Cell edges.
pub const EDGES: usize = 6;

/// A supernet search's settings, as a protocol gives them (`supernet: {...}` in a
/// weight-sharing method's parameters). The defaults fit a CPU: minutes per search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SupernetSettings {
    /// C: channels of the first stage (NB201: 16).
    pub channels: usize,
    /// N: cells per stage (NB201: 5).
    pub cells_per_stage: usize,
    /// Height and width of the images the supernet sees: 32, 16 or 8 (2×2 averages).
    pub input_size: usize,
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f64,
    pub min_learning_rate: f64,
    pub momentum: f64,
    /// Nesterov momentum, as NB201's DARTS and GDAS configs set it.
    pub nesterov: bool,
    pub weight_decay: f64,
    /// The gradient norm is clipped to this; 0 clips nothing (NB201's convention).
    pub grad_clip: f64,
    pub arch_learning_rate: f64,
    pub arch_weight_decay: f64,
}

impl Default for SupernetSettings {
    fn default() -> Self {
        SupernetSettings {
            channels: 8,
            cells_per_stage: 1,
            input_size: 16,
            epochs: 10,
            batch: 64,
            learning_rate: 0.025,
            min_learning_rate: 0.001,
            momentum: 0.9,
            nesterov: true,
            weight_decay: 5e-4,
            grad_clip: 5.0,
            arch_learning_rate: 3e-4,
            arch_weight_decay: 1e-3,
        }
    }
}

impl SupernetSettings {
    /// Checks the settings; the message names the offending one.
    pub fn validate(&self) -> Result<(), String> {
        limits::count("supernet.channels", self.channels, 1, 64)?;
        limits::count("supernet.cells_per_stage", self.cells_per_stage, 1, 8)?;
        limits::count("supernet.epochs", self.epochs, 1, limits::MAX_EPOCHS)?;
        limits::count("supernet.batch", self.batch, 2, 1_024)?;
        if ![8, 16, 32].contains(&self.input_size) {
            return Err(format!(
                "supernet.input_size must be 32, 16 or 8, not {}",
                self.input_size
            ));
        }
        for (name, value) in [
            ("learning_rate", self.learning_rate),
            ("min_learning_rate", self.min_learning_rate),
            ("momentum", self.momentum),
            ("weight_decay", self.weight_decay),
            ("grad_clip", self.grad_clip),
            ("arch_learning_rate", self.arch_learning_rate),
            ("arch_weight_decay", self.arch_weight_decay),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!(
                    "supernet.{name} must be a finite number ≥ 0, not {value}"
                ));
            }
        }
        if self.momentum >= 1.0 {
            return Err(format!(
                "supernet.momentum must be below 1, not {}",
                self.momentum
            ));
        }
        if self.min_learning_rate > self.learning_rate {
            return Err(format!(
                "supernet.min_learning_rate {} is above supernet.learning_rate {}",
                self.min_learning_rate, self.learning_rate
            ));
        }
        Ok(())
    }
}

/// The images a weight-sharing search trains on, split in halves as DARTS and NB201 split
/// CIFAR-10's training set: the first half trains the weights, the second half the
/// architecture (bi-level methods) and scores paths (one-shot accuracy).
pub struct SearchData {
    pub train: Images,
    pub valid: Images,
    pub classes: usize,
}

impl SearchData {
    /// `images` at `size` × `size` (halved by 2×2 averages as often as needed), split in two.
    pub fn new(images: &Images, size: usize) -> Result<SearchData, String> {
        if images.len() < 4 {
            return Err(format!(
                "a supernet needs at least 4 images, the protocol gives {}",
                images.len()
            ));
        }
        // Halved copies only when the size asks for them; the split copies each half once.
        let mut halved: Option<Images> = None;
        while halved.as_ref().unwrap_or(images).size > size {
            halved = Some(datasets::images::halve(halved.as_ref().unwrap_or(images)));
        }
        let images = halved.as_ref().unwrap_or(images);
        if images.size != size {
            return Err(format!(
                "supernet.input_size {size} is not the images' {} halved",
                images.size
            ));
        }
        let half = images.len() / 2;
        let per = 3 * size * size;
        let part = |range: std::ops::Range<usize>| Images {
            pixels: images.pixels[range.start * per..range.end * per].to_vec(),
            labels: images.labels[range].to_vec(),
            size,
        };
        let classes = images.labels.iter().max().map_or(1, |&m| m + 1);
        Ok(SearchData {
            train: part(0..half),
            valid: part(half..images.len()),
            classes,
        })
    }
}

/// A run's supernet images and their split halves at each input size a method asks for,
/// prepared by the first trial that needs them and shared by the run's trials (a split of
/// 50,000 CIFAR-10 images is 0.6 GB: once per run, not once per trial).
pub struct SupernetImages {
    pub images: Images,
    prepared: Mutex<Vec<(usize, Arc<SearchData>)>>,
}

impl SupernetImages {
    pub fn new(images: Images) -> SupernetImages {
        SupernetImages {
            images,
            prepared: Mutex::new(Vec::new()),
        }
    }

    /// The images at `size` × `size`, split ([`SearchData::new`]).
    pub fn at_size(&self, size: usize) -> Result<Arc<SearchData>, String> {
        // A trial that panicked while holding the lock left nothing half-prepared in it.
        let mut prepared = self.prepared.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, data)) = prepared.iter().find(|(s, _)| *s == size) {
            return Ok(data.clone());
        }
        let data = Arc::new(SearchData::new(&self.images, size)?);
        prepared.push((size, data.clone()));
        Ok(data)
    }
}
