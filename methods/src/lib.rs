//! nash's methods. Search methods follow an ask/tell protocol: the runner asks for the next
//! architecture, evaluates it on the benchmark and tells the method the result. Methods see
//! only what they are told; they never read a table.

pub mod estimate;
pub mod proxy;
pub mod search;

pub use estimate::{EstimationContext, Estimator, EstimatorSpec};
pub use search::{MethodSpec, Searcher};
