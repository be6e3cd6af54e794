//! The runner: expands a protocol into trials `(task, method, replicate)`, runs them in
//! parallel, and writes their rows in trial order so the output does not depend on the
//! thread count.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use datasets::{ArchId, Cache, LoadedTask, Oracle, SeedPolicy};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use methods::MethodSpec;
use rayon::prelude::*;
use reports::manifest::{
    DataSource, HostInfo, Manifest, MethodInfo, ProtocolInfo, SampledArch, TaskInfo,
};

use crate::protocol::{Budget, Protocol};
use crate::seeding::{self, sha256_hex, trial_key, trial_rngs};
use crate::sink::{TrialRows, TrialSink};

/// Trials per batch: each batch runs in parallel, then is appended to the Parquet file.
const CHUNK: usize = 256;

pub struct RunOptions {
    pub out: PathBuf,
    pub threads: usize,
    pub replicates: Option<u32>,
    pub force: bool,
    pub progress: bool,
}

/// One trial of the expanded protocol.
#[derive(Debug, Clone, Copy)]
struct Trial {
    task: usize,
    method: usize,
    replicate: u32,
}

/// What one task's trials share.
pub(crate) struct TaskContext {
    pub(crate) loaded: LoadedTask,
    test: Option<usize>,
    cost: Option<usize>,
}

/// Files of a finished run that a new run would replace.
const RESULT_FILES: [&str; 4] = [
    "trials.parquet",
    "manifest.json",
    "protocol.yaml",
    "report.md",
];

/// Runs a protocol to completion and returns its manifest.
pub fn run(protocol: &Protocol, cache: &Cache, opts: &RunOptions) -> Result<Manifest> {
    let started = Instant::now();
    let started_at = crate::timestamp::now_utc();
    let replicates = opts.replicates.unwrap_or(protocol.replicates);
    if replicates == 0 {
        bail!("--replicates must be at least 1");
    }
    // Everything that can fail on input is checked before the output directory is touched.
    let tasks = load_tasks(protocol, cache)?;
    check_output_dir(&opts.out, opts.force)?;
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("{}: cannot create the output directory", opts.out.display()))?;

    let trials: Vec<Trial> = (0..tasks.len())
        .flat_map(|task| {
            (0..protocol.methods.len()).flat_map(move |method| {
                (0..replicates).map(move |replicate| Trial {
                    task,
                    method,
                    replicate,
                })
            })
        })
        .collect();
    let params_hashes: Vec<String> = protocol.methods.iter().map(params_hash).collect();

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .context("cannot start the worker threads")?;
    let bar = progress_bar(trials.len() as u64, opts.progress);
    let mut sink = TrialSink::create(&opts.out.join("trials.parquet"))?;
    for chunk in trials.chunks(CHUNK) {
        let rows: Vec<TrialRows> = pool.install(|| {
            chunk
                .par_iter()
                .map(|t| {
                    let rows = run_trial(
                        protocol,
                        &tasks[t.task],
                        &protocol.methods[t.method],
                        t.replicate,
                    );
                    bar.inc(1);
                    rows
                })
                .collect()
        });
        sink.write(protocol, &tasks, &params_hashes, chunk_ids(chunk), &rows)?;
    }
    let rows = sink.finish()?;
    bar.finish_and_clear();

    let manifest = Manifest {
        nash_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: option_env!("NASH_GIT_COMMIT").map(str::to_string),
        protocol: protocol_info(protocol, replicates, &params_hashes),
        tasks: tasks.iter().map(|t| task_info(protocol, t)).collect(),
        host: host_info(),
        threads: opts.threads,
        started: started_at,
        finished: crate::timestamp::now_utc(),
        wall_seconds: started.elapsed().as_secs_f64(),
        rows,
    };
    write_file(&opts.out.join("protocol.yaml"), protocol.text.as_bytes())?;
    let json = serde_json::to_string_pretty(&manifest).expect("the manifest serializes");
    write_file(&opts.out.join("manifest.json"), json.as_bytes())?;
    Ok(manifest)
}

fn chunk_ids(chunk: &[Trial]) -> Vec<(usize, usize, u32)> {
    chunk
        .iter()
        .map(|t| (t.task, t.method, t.replicate))
        .collect()
}

fn progress_bar(len: u64, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} trials ({eta} left)",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}

/// Loads every task's table and checks what needs the data: fixed seeds and cost columns.
fn load_tasks(protocol: &Protocol, cache: &Cache) -> Result<Vec<TaskContext>> {
    let def = protocol.benchmark;
    let test = def
        .test_metric
        .map(|m| def.metric(m).expect("catalog metric").0);
    let cost = def
        .cost_metric
        .map(|m| def.metric(m).expect("catalog metric").0);
    protocol
        .tasks
        .iter()
        .map(|task| {
            let loaded = cache.load(def.name, task)?;
            if let SeedPolicy::Fixed(k) = protocol.seed_policy {
                let min = loaded.table.min_seeds();
                if k as usize >= min {
                    let short = (0..loaded.table.n_archs())
                        .filter(|&a| loaded.table.seeds(a) <= k as usize)
                        .count();
                    return Err(protocol
                        .seed_policy_at
                        .error(format!(
                            "seed_policy fixed:{k}: {short} architectures of {}/{task} have only \
                             {min} training seeds; use a seed below {min}, mean or sample",
                            def.name
                        ))
                        .into());
                }
            }
            Ok(TaskContext { loaded, test, cost })
        })
        .collect()
}

fn check_output_dir(out: &Path, force: bool) -> Result<()> {
    if force {
        return Ok(());
    }
    if let Some(existing) = RESULT_FILES.iter().find(|f| out.join(f).exists()) {
        bail!(
            "{}: already holds results ({existing}); choose another --out, or pass --force to \
             replace them once the new run has finished",
            out.display()
        );
    }
    Ok(())
}

/// Runs one trial: the method asks, the table answers, until the budget is spent.
fn run_trial(
    protocol: &Protocol,
    task: &TaskContext,
    method: &MethodSpec,
    replicate: u32,
) -> TrialRows {
    let key = trial_key(
        protocol.base_seed,
        &protocol.name,
        &task.loaded.task,
        method.id(),
        replicate as u64,
    );
    let (mut rng, mut noise) = trial_rngs(key);
    let oracle = oracle(protocol, task);
    let space = task.loaded.space.as_ref();
    let direction = protocol.objective.1.direction;
    let mut searcher = method.build(space);
    let mut rows = TrialRows::with_capacity(match protocol.budget {
        Budget::Queries(n) => n as usize,
        Budget::SimulatedSeconds(_) => 256,
    });
    let mut spent = 0.0;
    let mut incumbent: Option<(ArchId, f64, Option<f64>)> = None;
    loop {
        let done = match protocol.budget {
            Budget::Queries(n) => rows.len() as u64 >= n,
            Budget::SimulatedSeconds(t) => spent >= t,
        };
        if done {
            break;
        }
        let arch = searcher.ask(&mut rng);
        let obs = oracle.query(arch, &mut noise);
        let fitness = direction.fitness(obs.value);
        searcher.tell(arch, fitness);
        spent += obs.cost.unwrap_or(0.0);
        if incumbent.is_none_or(|(_, f, _)| fitness > f) {
            incumbent = Some((arch, fitness, obs.test));
        }
        let (inc_arch, inc_fitness, inc_test) = incumbent.expect("set above");
        rows.push(crate::sink::Row {
            arch,
            seed: obs.seed,
            value: obs.value,
            test: obs.test,
            cost: obs.cost,
            cumulative_cost: obs.cost.map(|_| spent),
            incumbent_arch: inc_arch,
            incumbent_value: direction.fitness(inc_fitness),
            incumbent_test: inc_test,
            incumbent_mean: task
                .loaded
                .table
                .mean(protocol.objective.0, inc_arch as usize),
        });
    }
    rows
}

fn oracle<'a>(protocol: &Protocol, task: &'a TaskContext) -> Oracle<'a> {
    Oracle {
        table: &task.loaded.table,
        objective: protocol.objective.0,
        test: task.test,
        cost: task.cost,
        cost_scale: protocol.cost_scale,
        policy: protocol.seed_policy,
    }
}

/// sha256 of the method's parameters as canonical JSON.
fn params_hash(method: &MethodSpec) -> String {
    let json = serde_json::to_string(method).expect("method params serialize");
    sha256_hex(json.as_bytes())
}

fn protocol_info(protocol: &Protocol, replicates: u32, hashes: &[String]) -> ProtocolInfo {
    let (budget_kind, budget) = match protocol.budget {
        Budget::Queries(n) => ("queries", n as f64),
        Budget::SimulatedSeconds(t) => ("simulated_seconds", t),
    };
    let def = protocol.benchmark;
    ProtocolInfo {
        name: protocol.name.clone(),
        sha256: protocol.sha256.clone(),
        text: protocol.text.clone(),
        benchmark: def.name.to_string(),
        objective: protocol.objective.1.name.to_string(),
        direction: serde_json::to_value(protocol.objective.1.direction)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        test_metric: def.test_metric.map(str::to_string),
        seed_policy: protocol.seed_policy.to_string(),
        budget_kind: budget_kind.to_string(),
        budget,
        cost_scale: protocol.cost_scale,
        replicates,
        base_seed: protocol.base_seed,
        random_baseline: protocol.random_baseline,
        methods: protocol
            .methods
            .iter()
            .zip(hashes)
            .map(|(m, h)| MethodInfo {
                id: m.id().to_string(),
                method: m.name().to_string(),
                params_hash: h.clone(),
                params: serde_json::to_value(m).expect("method params serialize"),
            })
            .collect(),
    }
}

/// The task's reference figures: the exact space mean, the best architecture, and the
/// seeded random sample of `random_baseline` architectures.
fn task_info(protocol: &Protocol, task: &TaskContext) -> TaskInfo {
    let loaded = &task.loaded;
    let space = loaded.space.as_ref();
    let (metric, def) = protocol.objective;
    let means = loaded.table.means(metric);
    let space_mean = means.iter().sum::<f64>() / means.len() as f64;
    let best = (0..means.len())
        .max_by(|&a, &b| {
            def.direction
                .fitness(means[a])
                .total_cmp(&def.direction.fitness(means[b]))
                .then(b.cmp(&a))
        })
        .expect("tables are not empty");
    let key = trial_key(
        protocol.base_seed,
        &protocol.name,
        &loaded.task,
        "random-baseline",
        0,
    );
    let (mut rng, _) = seeding::trial_rngs(key);
    let random_sample = (0..protocol.random_baseline)
        .map(|_| {
            let arch = space.sample(&mut rng);
            SampledArch {
                arch_id: arch,
                arch: space.describe(arch),
                value: means[arch as usize],
            }
        })
        .collect();
    let unique = (0..space.size() as ArchId)
        .filter(|&a| space.canonical(a) == a)
        .count() as u64;
    TaskInfo {
        task: loaded.task.clone(),
        space_size: space.size() as u64,
        unique_cells: (unique != space.size() as u64).then_some(unique),
        space_mean,
        space_best: means[best],
        space_best_arch: space.describe(best as ArchId),
        random_sample,
        data: DataSource {
            package: loaded.source.package.clone(),
            version: loaded.source.version.clone(),
            wheel_sha256: loaded.source.wheel_sha256.clone(),
            member: loaded.source.member.clone(),
            member_sha256: loaded.source.member_sha256.clone(),
            table_sha256: loaded.source.sha256.clone(),
        },
    }
}

fn host_info() -> HostInfo {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    HostInfo {
        hostname,
        os: std::env::consts::OS.to_string(),
        arch: std::env::consts::ARCH.to_string(),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
}

/// Writes through a temporary file and a rename, so an interrupted run never leaves half a
/// file where a finished one stood.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    datasets::cache::write_atomic(path, bytes).map_err(Into::into)
}
