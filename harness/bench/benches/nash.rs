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
    let task = cache().load("nb201", "cifar10").expect("run `nash data fetch` first");
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
    c.bench_function("load nb201/cifar10 from the cache (sha256 + Parquet)", |b| {
        b.iter(|| black_box(cache.load("nb201", "cifar10").unwrap().table.n_archs()))
    });
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
    };
    let mut group = c.benchmark_group("search methods on nb201/cifar10");
    group.sample_size(10);
    for name in methods::search::METHODS.iter().map(|c| c.name) {
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
        for observed in [150u32, 1000] {
            group.bench_function(format!("{name}: 10 x ask+tell after {observed} observations"), |b| {
                b.iter_batched(
                    || {
                        let mut s = spec.build(&ctx);
                        for i in 0..observed {
                            let a = (i * 7919) % 15_625;
                            s.tell(a, means[a as usize]);
                        }
                        s
                    },
                    |mut s| {
                        let mut r = rng::from_seed([3; 32]);
                        for _ in 0..10 {
                            let a = s.ask(&mut r);
                            s.tell(a, means[a as usize]);
                        }
                        s
                    },
                    BatchSize::PerIteration,
                )
            });
        }
    }
    group.finish();
}

/// A method with its default parameters, as a protocol would give it.
fn default_spec(name: &str) -> MethodSpec {
    let protocol = format!(
        "name: b\nkind: search\nbenchmark: nb201\ntasks: [cifar10]\nbudget: {{queries: 1}}\nreplicates: 1\nmethods:\n  - {name}: {{}}\n"
    );
    SearchProtocol::parse("bench", &protocol).unwrap().methods.remove(0)
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
    };
    let cache = cache();
    let mut group = c.benchmark_group("nb201-search.yaml (675,000 evaluations)");
    group.sample_size(10);
    group.bench_function("run (trials.parquet, manifest and report)", |b| b.iter(|| nash::run(&protocol, &cache, &opts).unwrap()));
    group.bench_function("report", |b| b.iter(|| black_box(reports::report(&out).unwrap())));
    group.finish();
}

/// Kendall tau-b on every NB201 architecture: table mean vs parameter count (ties in both).
fn kendall(c: &mut Criterion) {
    let task = cache().load("nb201", "cifar10").unwrap();
    let truth = task.table.means(0).to_vec();
    let params = task.properties().into_iter().find(|(n, _)| *n == "params").unwrap().1;
    c.bench_function("kendall tau-b, n = 15,625 (with ties)", |b| {
        b.iter(|| black_box(reports::rank::kendall_tau_b(&params, &truth).value))
    });
}

/// Each estimator's fit on 1,000 labelled NB201 architectures plus scoring 1,000 others.
fn predictors(c: &mut Criterion) {
    let task = cache().load("nb201", "cifar10").unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let Protocol::Estimation(protocol) = Protocol::from_file(&root.join("protocols/nb201-predictors.yaml")).unwrap() else {
        panic!("an estimation protocol");
    };
    let properties = task.properties();
    let ctx = methods::MethodContext {
        space: task.space.as_ref(),
        properties: properties.iter().map(|(n, v)| (*n, v.as_slice())).collect(),
        sources: Vec::new(),
        trial: None,
    };
    let mut order: Vec<u32> = (0..15_625).collect();
    rng::shuffle(&mut rng::from_seed([5; 32]), &mut order);
    let (train, eval) = (&order[..1000], &order[1000..2000]);
    let labels: Vec<f64> = train.iter().map(|&a| task.table.mean(0, a as usize)).collect();
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
        let net = Network::new(Nb201Space::id(ops), shape, Init::PyTorch, &mut rng::from_seed([1; 32]), &device);
        let x = Tensor::<4>::from_data(TensorData::new(vec![0.5f32; 64 * 3 * 32 * 32], [64, 3, 32, 32]), &device);
        let labels = Tensor::<1, Int>::from_data(TensorData::new((0..64).map(|i| i % 10).collect::<Vec<i32>>(), [64]), &device);
        group.bench_function(format!("{ops:?}"), |b| {
            b.iter(|| {
                let logits = net.forward(x.clone(), Pass::default()).logits;
                let loss = log_softmax(logits, 1).gather(1, labels.clone().reshape([64, 1])).mean().neg();
                black_box(loss.backward())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, table_queries, cached_load, ask_tell, kendall, predictors, network, whole_protocol);
criterion_main!(benches);
