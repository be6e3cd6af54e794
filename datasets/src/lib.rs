//! nash's data layer: search spaces, dense benchmark tables, the registry importers (a wheel
//! reader and a pickle reader that never runs code) and the Parquet data cache.

pub mod benchmark;
pub mod cache;
pub mod catalog;
pub mod error;
pub mod files;
pub mod images;
pub mod import;
pub mod nasbench101;
pub mod pickle;
pub mod published;
pub mod rng;
pub mod space;
pub mod suite_zero;
pub mod table;
pub mod tfrecord;
pub mod wheel;

pub use benchmark::{Budget, Observation, Oracle, SeedPolicy};
pub use cache::{Cache, LoadedTask};
pub use catalog::{BENCHMARKS, BenchmarkDef, Direction};
pub use error::DataError;
pub use space::{ArchId, SearchSpace};
pub use table::Table;
