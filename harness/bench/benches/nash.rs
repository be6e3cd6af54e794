//! nash's speed targets: table queries, cached table load, each search method's ask+tell,
//! estimators' fits, proxy networks, and the whole default protocol (3 methods × 3 tasks ×
//! 500 runs × 150 queries).
//!
//! Needs the data cache (`nash data fetch`).

use std::hint::black_box;
use std::path::Path;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use datasets::cache::{Cache, default_dir};
use datasets::{Oracle, SeedPolicy, rng};
use methods::MethodSpec;
use nash::protocol::{Protocol, SearchProtocol};
use nash::runner::RunOptions;

fn cache() -> Cache {
    Cache::new(default_dir())
}

fn table_queries(c: &mut Criterion) {
    let task = cache()
        .load("nb201", "cifar10")
        .expect("run `nash data fetch` first");
    let oracle = Oracle {
        table: &task.table,
        objective: 0,
        test: None,
        cost: Some(1),
        cost_scale: 0.06,
        policy: SeedPolicy::Sample,
    };
    let mut noise = rng::from_seed([1; 32]);
    let archs: Vec<u32> = (0..1024).map(|i| (i * 7919) % 15_625).collect();
    c.bench_function("nb201 query x1024 (seed sampled)", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for &a in &archs {
                sum += oracle.query(a, &mut noise).value;
            }
            black_box(sum)
        })
    });
}

fn cached_load(c: &mut Criterion) {
    let cache = cache();
    c.bench_function(
        "load nb201/cifar10 from the cache (sha256 + Parquet)",
        |b| b.iter(|| black_box(cache.load("nb201", "cifar10").unwrap().table.n_archs())),
    );
}

/// Each method's cost: a whole 150-query run, and one ask+tell (averaged over a batch of 10,
/// so model-based methods pay one refit) after 150 and after 1,000 observations.
fn ask_tell(c: &mut Criterion) {
    let task = cache().load("nb201", "cifar10").unwrap();
    let means = task.table.means(0);
    let properties = task.properties();
    let ctx = methods::MethodContext {
        space: task.space.as_ref(),
        properties: properties.iter().map(|(n, v)| (*n, v.as_slice())).collect(),
        sources: Vec::new(),
        trial: None,
        images: None,
    };
    let mut group = c.benchmark_group("search methods on nb201/cifar10");
    group.sample_size(10);
    // Weight-sharing methods train a supernet on images instead of asking the table
    // (`supernet_step` times them).
    let built_in = methods::search::METHODS
        .iter()
        .filter(|c| !c.capabilities.external && !c.capabilities.weight_sharing);
    for name in built_in.map(|c| c.name) {
        let spec = default_spec(name);
        group.bench_function(format!("{name}: 150-query run"), |b| {
            b.iter(|| {
                let mut s = spec.build(&ctx);
                let mut r = rng::from_seed([2; 32]);
                for _ in 0..150 {
                    let a = s.ask(&mut r);
                    s.tell(a, means[a as usize]);
                }
            })
        });
        // Bayesian optimization also in its steady state: after one batch of its own asks
        // (where it chose its GP's hyperparameters) the next batch grows the GP's Cholesky
        // factor instead of choosing again (`bayesian_optimization.rs`).
        let steady = name == "bayesian_optimization";
        for (observed, warm) in [(150u32, false), (1000, false), (1000, true)] {
            if warm && !steady {
                continue;
            }
            let label = format!(
                "{name}: 10 x ask+tell after {observed} observations{}",
                if warm { " and one batch" } else { "" }
            );
            group.bench_function(label, |b| {
                b.iter_batched(
                    || {
                        let mut s = spec.build(&ctx);
                        for i in 0..observed {
                            let a = (i * 7919) % 15_625;
                            s.tell(a, means[a as usize]);
                        }
                        if warm {
                            ten_asks(s.as_mut(), &means, 4);
                        }
                        s
                    },
                    |mut s| {
                        ten_asks(s.as_mut(), &means, 3);
                        s
                    },
                    BatchSize::PerIteration,
                )
            });
        }
    }
    group.finish();
}

/// Ten asks of `searcher`, each told its table value, from a generator seeded with `seed`.
fn ten_asks(searcher: &mut dyn methods::search::Searcher, means: &[f64], seed: u8) {
    let mut r = rng::from_seed([seed; 32]);
    for _ in 0..10 {
        let a = searcher.ask(&mut r);
        searcher.tell(a, means[a as usize]);
    }
}

/// A method with its default parameters, as a protocol would give it.
fn default_spec(name: &str) -> MethodSpec {
    spec_of(&format!("{name}: {{}}"))
}

/// The method of one protocol list item, e.g. `random_search: {}`.
fn spec_of(method: &str) -> MethodSpec {
    let protocol = format!(
        "name: b\nkind: search\nbenchmark: nb201\ntasks: [cifar10]\nbudget: {{queries: 1}}\nreplicates: 1\nmethods:\n  - {method}\n"
    );
    SearchProtocol::parse("bench", &protocol)
        .unwrap()
        .methods
        .remove(0)
}

/// One 150-query trial through an external program over nash-external/1, from `start_trial`
/// to `trial_ended`: with the smallest Rust program (nash's side of the protocol and the pipe
/// round trips) and with the Python client's random search. Before criterion, the CPU time of
/// nash's own thread per query with the Rust program (the program's time excluded).
fn external_round_trip(c: &mut Criterion) {
    let task = cache().load("nb201", "cifar10").unwrap();
    let means = task.table.means(0);
    let ctx = methods::MethodContext {
        space: task.space.as_ref(),
        properties: Vec::new(),
        sources: Vec::new(),
        trial: Some(methods::TrialInfo {
            snapshot: None,
            task: "cifar10",
            replicate: 0,
            seed: 42,
            objective: "val_acc",
            direction: datasets::Direction::Maximize,
            budget: Some(datasets::Budget::Queries(150)),
            train_size: None,
        }),
        images: None,
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join("examples/external/random_search.py");
    let programs = [
        (
            "Rust program",
            format!("[{}]", env!("CARGO_BIN_EXE_echo_child")),
        ),
        (
            "Python client (random search)",
            format!("[python3, {}]", python.display()),
        ),
    ];
    let trial = |spec: &MethodSpec| {
        let mut s = spec.build(&ctx);
        let mut r = rng::from_seed([2; 32]);
        for _ in 0..150 {
            let a = s.ask(&mut r);
            s.tell_with_cost(a, means[a as usize], Some(1.0));
        }
        s.end();
    };
    let rust = spec_of(&format!(
        "external: {{ id: echo, command: {} }}",
        programs[0].1
    ));
    trial(&rust);
    let trials = 200;
    let before = thread_cpu();
    for _ in 0..trials {
        trial(&rust);
    }
    let after = thread_cpu();
    let per_query = |a: f64, b: f64| (b - a) / (trials * 150) as f64 * 1e6;
    println!(
        "external, Rust program: nash's CPU per query {:.2} µs ({:.2} µs user, {:.2} µs system), all in the trial's thread",
        per_query(before.0 + before.1, after.0 + after.1),
        per_query(before.0, after.0),
        per_query(before.1, after.1)
    );
    let mut group = c.benchmark_group("external method, 150-query trial on nb201/cifar10");
    group.sample_size(20);
    for (name, command) in &programs {
        let spec = spec_of(&format!("external: {{ id: x, command: {command} }}"));
        group.bench_function(*name, |b| b.iter(|| trial(&spec)));
    }
    group.finish();
}

/// User and system CPU seconds the calling thread has used.
fn thread_cpu() -> (f64, f64) {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_THREAD, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    (seconds(usage.ru_utime), seconds(usage.ru_stime))
}

fn whole_protocol(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let protocol = Protocol::from_file(&root.join("protocols/nb201-search.yaml")).unwrap();
    let out = std::env::temp_dir().join("nash-bench-nb201-search");
    let opts = RunOptions {
        out: out.clone(),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        replicates: None,
        force: true,
        progress: false,
        faults: Default::default(),
        shard: None,
    };
    let cache = cache();
    let mut group = c.benchmark_group("nb201-search.yaml (675,000 evaluations)");
    group.sample_size(10);
    group.bench_function("run (trials.parquet, manifest and report)", |b| {
        b.iter(|| nash::run(&protocol, &cache, &opts).unwrap())
    });
    group.bench_function("report", |b| {
        b.iter(|| black_box(reports::report(&out).unwrap()))
    });
    group.finish();
}

/// Kendall tau-b on every NB201 architecture: table mean vs parameter count (ties in both).
fn kendall(c: &mut Criterion) {
    let task = cache().load("nb201", "cifar10").unwrap();
    let truth = task.table.means(0).to_vec();
    let params = task
        .properties()
        .into_iter()
        .find(|(n, _)| *n == "params")
        .unwrap()
        .1;
    c.bench_function("kendall tau-b, n = 15,625 (with ties)", |b| {
        b.iter(|| black_box(reports::rank::kendall_tau_b(&params, &truth).value))
    });
}

/// Each estimator's fit on 1,000 labelled NB201 architectures plus scoring 1,000 others.
fn predictors(c: &mut Criterion) {
    let task = cache().load("nb201", "cifar10").unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let Protocol::Estimation(protocol) =
        Protocol::from_file(&root.join("protocols/nb201-predictors.yaml")).unwrap()
    else {
        panic!("an estimation protocol");
    };
    let properties = task.properties();
    let ctx = methods::MethodContext {
        space: task.space.as_ref(),
        properties: properties.iter().map(|(n, v)| (*n, v.as_slice())).collect(),
        sources: Vec::new(),
        trial: None,
        images: None,
    };
    let mut order: Vec<u32> = (0..15_625).collect();
    rng::shuffle(&mut rng::from_seed([5; 32]), &mut order);
    let (train, eval) = (&order[..1000], &order[1000..2000]);
    let labels: Vec<f64> = train
        .iter()
        .map(|&a| task.table.mean(0, a as usize))
        .collect();
    let mut group = c.benchmark_group("fit on 1,000 + score 1,000 (nb201/cifar10)");
    group.sample_size(10);
    for spec in &protocol.estimators {
        group.bench_function(spec.id(), |b| {
            b.iter(|| {
                let mut e = spec.build(&ctx);
                e.fit(train, &labels, &mut rng::from_seed([6; 32])).unwrap();
                black_box(e.score(eval).unwrap())
            })
        });
    }
    group.finish();
}

/// Forward+backward of a full NB201 network (CIFAR-10, batch 64, 3×32×32, cross-entropy) on
/// burn's flex backend, single-threaded as nash runs it (parallelism is across networks).
/// `pytorch_nb201.py` times the same networks in PyTorch.
fn network(c: &mut Criterion) {
    use burn::tensor::activation::log_softmax;
    use burn::tensor::{Int, Tensor, TensorData};
    use datasets::space::{Nb201Macro, Nb201Space};
    use methods::proxy::network::{Init, Network, Pass};
    let device = burn::tensor::Device::flex().autodiff();
    let shape = Nb201Macro::for_task("cifar10").unwrap();
    let mut group = c.benchmark_group("nb201 forward+backward, batch 64 (burn flex, 1 thread)");
    group.sample_size(10);
    for ops in [[3u8, 3, 3, 3, 3, 3], [1, 2, 3, 4, 2, 3]] {
        let net = Network::new(
            Nb201Space::id(ops),
            shape,
            Init::PyTorch,
            &mut rng::from_seed([1; 32]),
            &device,
        );
        let x = Tensor::<4>::from_data(
            TensorData::new(vec![0.5f32; 64 * 3 * 32 * 32], [64, 3, 32, 32]),
            &device,
        );
        let labels = Tensor::<1, Int>::from_data(
            TensorData::new((0..64).map(|i| i % 10).collect::<Vec<i32>>(), [64]),
            &device,
        );
        group.bench_function(format!("{ops:?}"), |b| {
            b.iter(|| {
                let logits = net.forward(x.clone(), Pass::default()).logits;
                let loss = log_softmax(logits, 1)
                    .gather(1, labels.clone().reshape([64, 1]))
                    .mean()
                    .neg();
                black_box(loss.backward())
            })
        });
    }
    group.finish();
}

/// One training step of the NB201 supernet at the CPU defaults (C = 8, N = 1, 16×16, batch
/// 64): forward, backward and the SGD update of the weights, with every candidate of every
/// edge weighted (DARTS' weight step) and along one path (RSPS's, GDAS's).
fn supernet_step(c: &mut Criterion) {
    use datasets::space::Nb201Space;
    use methods::supernet::{Mix, SearchData, Supernet, SupernetSettings, Want};
    let device = burn::tensor::Device::flex().autodiff();
    let settings = SupernetSettings::default();
    let mut r = rng::from_seed([3; 32]);
    let images = datasets::images::Images {
        pixels: (0..128 * 3 * 16 * 16)
            .map(|_| rng::gaussian(&mut r) as f32)
            .collect(),
        labels: (0..128).map(|i| i % 10).collect(),
        size: 16,
    };
    let data = SearchData::new(&images, 16).unwrap();
    let batch: Vec<usize> = (0..64).collect();
    let mut group =
        c.benchmark_group("nb201 supernet training step, defaults (burn flex, 1 thread)");
    group.sample_size(10);
    let weighted = || {
        let w = burn::tensor::Tensor::<2>::full([6, 5], 0.2, &device);
        Mix::weighted(w)
    };
    let path = || Mix::path(Nb201Space::id([3, 2, 4, 1, 3, 2]), &device);
    for (name, mix) in [
        ("all candidates weighted (DARTS)", weighted()),
        ("one path (RSPS, GDAS)", path()),
    ] {
        let mut net = Supernet::new(
            &settings,
            data.classes,
            &mut rng::from_seed([4; 32]),
            &device,
        );
        let mut momentum = net.momentum_buffers();
        group.bench_function(name, |b| {
            b.iter(|| {
                let out = net.pass(&net.weights, &mix, &data.train, &batch, Want::Weights);
                let grads = out.weight_grads.unwrap();
                net.sgd_step(&grads, &mut momentum, &settings, 0.025);
            })
        });
    }
    group.finish();
    // A whole first-order DARTS search at the defaults (2,000 noise images, 10 epochs), as a
    // protocol's trial runs it: the first ask trains the supernet and derives the cell.
    let images = methods::supernet::SupernetImages::new(
        datasets::images::load(
            &datasets::images::ImageSource::Noise,
            Path::new("."),
            2_000,
            &mut rng::from_seed([5; 32]),
        )
        .unwrap(),
    );
    let space = datasets::space::Nb201Space::new();
    let ctx = methods::MethodContext {
        images: Some(&images),
        ..methods::MethodContext::of_space(&space)
    };
    let darts = default_spec("darts");
    let mut group = c.benchmark_group("nb201 supernet search, defaults (burn flex, 1 thread)");
    group.sample_size(10);
    group.bench_function("darts, first order", |b| {
        b.iter(|| darts.build(&ctx).ask(&mut rng::from_seed([6; 32])))
    });
    group.finish();
}

criterion_group!(
    benches,
    table_queries,
    cached_load,
    ask_tell,
    external_round_trip,
    kendall,
    predictors,
    network,
    supernet_step,
    whole_protocol
);
criterion_main!(benches);
