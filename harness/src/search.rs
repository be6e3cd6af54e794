//! Search runs: every trial `(task, method, replicate)` lets a method ask for architectures
//! and tells it the table's answer until the budget is spent.

use anyhow::Result;
use arrow_array::RecordBatch;
use datasets::benchmark::Observation;
use datasets::catalog::Direction;
use datasets::rng::TrialRng;
use datasets::{ArchId, Cache, LoadedTask, Oracle};
use methods::{MethodContext, MethodSpec, Searcher, SourceTask, TrialInfo};
use reports::pareto;
use reports::records::manifest::{
    EvaluatedTask, MethodInfo, ParetoInfo, RankValue, Run, SampledArch, SearchInfo, TaskInfo,
};

use methods::Fallbacks;
use methods::supernet::SupernetImages;
use reports::records::{self, ParquetWriter};

use crate::checkpoint::RunKey;
use crate::claim::claim;
use crate::faults::Faults;
use crate::protocol::{Budget, SearchProtocol};
use crate::run_dir::RunDir;
use crate::runner::{self, Encoded, Ran, RunOptions, ShardRun, Stage, TrialEnv, TrialStatus};
use crate::seeding::{seed_of, trial_key, trial_rngs};
use crate::workers::{self, Finished, Started, Transcript};

/// One trial of the expanded protocol.
#[derive(Debug, Clone, Copy)]
struct SearchTrial {
    task: usize,
    method: usize,
    /// Index into the protocol's `workers` values.
    workers: usize,
    replicate: u32,
}

/// One evaluation of a trial.
struct Evaluation {
    arch: ArchId,
    seed: Option<u8>,
    value: f64,
    test: Option<f64>,
    cost: Option<f64>,
    cumulative_cost: Option<f64>,
    incumbent_arch: ArchId,
    incumbent_value: f64,
    incumbent_test: Option<f64>,
    incumbent_mean: f64,
}

/// What a trial did: its evaluations in order, and how it ended.
struct SearchOutcome {
    evaluations: Vec<Evaluation>,
    status: TrialStatus,
    fallbacks: Fallbacks,
    /// What its simulated workers did (a trial that did not fail).
    transcript: Option<Transcript>,
}

impl SearchOutcome {
    /// The incumbent after the last evaluation of a trial that did not fail.
    fn final_incumbent(&self) -> Option<ArchId> {
        match self.status {
            TrialStatus::Ok => self.evaluations.last().map(|e| e.incumbent_arch),
            TrialStatus::Failed(_) => None,
        }
    }
}

/// What one task's trials share.
struct SearchTask {
    pub loaded: LoadedTask,
    test: Option<usize>,
    cost: Option<usize>,
    /// Per-architecture properties methods may read (params, FLOPs, latency).
    properties: Vec<(&'static str, Vec<f64>)>,
    /// The benchmark's other tasks as fitness by this task's architecture ids, when a
    /// transfer method needs them.
    sources: Vec<(String, Vec<f64>)>,
}

impl SearchTask {
    /// A property the protocol validated against the benchmark.
    fn property(&self, name: &str) -> &[f64] {
        self.properties
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_slice())
            .expect("protocol checked the benchmark's properties")
    }
}

/// What a search run reads before it touches its output directory: every input is checked
/// here, so a bad protocol or missing data never leaves a directory behind.
struct SearchInputs {
    tasks: Vec<SearchTask>,
    /// The tasks each final incumbent is looked up on (`evaluate_on`).
    evaluated: Vec<LoadedTask>,
    /// The benchmark's test metric column, if it has one.
    test: Option<usize>,
    images: Option<SupernetImages>,
    replicates: u32,
}

/// The expanded protocol: its trials in order, and the id and parameter hash each method is
/// recorded under (an id per worker count).
struct Expanded {
    trials: Vec<SearchTrial>,
    ids: Vec<Vec<String>>,
    hashes: Vec<String>,
}

/// Which outputs each chunk has: trials first, then `cross_task` (with `evaluate_on`), then
/// `workers` (with simulated workers).
#[derive(Debug, Clone, Copy)]
struct Outputs {
    cross: Option<usize>,
    workers: Option<usize>,
}

impl Outputs {
    fn of(protocol: &SearchProtocol) -> Outputs {
        let cross = !protocol.evaluate_on.is_empty();
        Outputs {
            cross: cross.then_some(1),
            workers: protocol.simulates_workers.then_some(1 + usize::from(cross)),
        }
    }

    fn count(self) -> usize {
        1 + usize::from(self.cross.is_some()) + usize::from(self.workers.is_some())
    }
}

/// Runs a search protocol: reads and checks its inputs, claims the output directory, runs
/// the trials chunk by chunk through the checkpoint (or one shard's chunks), writes the
/// result files and the manifest.
pub fn run(protocol: &SearchProtocol, cache: &Cache, opts: &RunOptions) -> Result<Ran> {
    let clock = runner::Clock::start();
    let inputs = load_inputs(protocol, cache, opts)?;
    let dir = claim(&opts.out, opts.force, opts.shard)?;
    let expanded = expand(protocol, inputs.tasks.len(), inputs.replicates);
    let key = checkpoint_key(protocol, &inputs, &expanded.trials, opts);
    let checkpoint = runner::open_checkpoint(&dir, &key, opts)?;
    let snapshots = runner::snapshot_dir(&checkpoint, inputs.images.as_ref());
    let env = TrialEnv {
        faults: &opts.faults,
        images: inputs.images.as_ref(),
        snapshots: snapshots.as_deref(),
    };
    let trial = |t: &SearchTrial| {
        let method = &protocol.methods[t.method];
        let setting = (t.replicate, protocol.workers[t.workers]);
        run_trial(protocol, &inputs.tasks[t.task], method, setting, env)
    };
    let outputs = Outputs::of(protocol);
    let encoder = Encoder {
        protocol,
        inputs: &inputs,
        expanded: &expanded,
        outputs,
    };
    let encode = |chunk: &[SearchTrial], outcomes| encoder.encode(chunk, outcomes);
    if let Some(shard) = opts.shard {
        // A trial's cost is its method's: a network-training method far above a table walk.
        let cost =
            |t: &SearchTrial| runner::expected_cost(protocol.methods[t.method].capabilities());
        let run = ShardRun {
            shard,
            dir,
            checkpoint,
            key,
            images: inputs.images.is_some().then(|| protocol.images.spec()),
            protocol_text: &protocol.common.text,
        };
        let trials = &expanded.trials;
        return runner::run_trials_shard(trials, cost, outputs.count(), run, opts, trial, encode);
    }
    let stage = Stage {
        checkpoint: &checkpoint,
        name: "trials",
        outputs: outputs.count(),
        only: None,
    };
    let written = write_results(
        &dir,
        &expanded.trials,
        (outputs, stage),
        opts,
        trial,
        encode,
    )?;
    let results = runner::Results {
        files: written.files,
        replicates: inputs.replicates,
        rows: written.rows,
        trials: expanded.trials.len() as u64,
        failed_trials: written.failed,
        capabilities: protocol
            .methods
            .iter()
            .map(MethodSpec::capabilities)
            .collect(),
        progress: written.progress,
    };
    let search = search_info(protocol, &inputs, &expanded.ids);
    let run = Run::Search { search };
    let finished = runner::finish(dir, checkpoint, &protocol.common, clock, results, opts, run)?;
    Ok(Ran::Finished(Box::new(finished)))
}

/// What the run's results depend on (`runner::run_key`), and the supernet images' source
/// when it trains supernets.
fn checkpoint_key(
    protocol: &SearchProtocol,
    inputs: &SearchInputs,
    trials: &[SearchTrial],
    opts: &RunOptions,
) -> RunKey {
    let tables = inputs.tasks.iter().map(|t| &t.loaded);
    let mut key = runner::run_key(&protocol.common, inputs.replicates, trials, tables, opts);
    if inputs.images.is_some() {
        key.values
            .push(("images".to_string(), protocol.images.to_string()));
    }
    key
}

/// Loads every table the run reads (and the supernet images, if any) and checks what can be
/// checked only against them: the time budget and the trial count.
fn load_inputs(
    protocol: &SearchProtocol,
    cache: &Cache,
    opts: &RunOptions,
) -> Result<SearchInputs> {
    let common = &protocol.common;
    let replicates = runner::replicates(common, opts)?;
    let def = common.benchmark;
    let column = |metric: Option<&str>| metric.map(|m| def.metric(m).expect("catalog metric").0);
    let (test, cost) = (column(def.test_metric), column(def.cost_metric));
    // Every task of the benchmark, loaded once, when a transfer method reads the others.
    let bank: Vec<LoadedTask> = if protocol.methods.iter().any(MethodSpec::needs_sources) {
        def.task_names()
            .into_iter()
            .map(|name| cache.load(def.name, name))
            .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    let reads_properties = protocol.second_objective.is_some()
        || protocol
            .methods
            .iter()
            .any(|m| !m.required_properties().is_empty());
    let tasks = common
        .tasks
        .iter()
        .map(|t| {
            let loaded = runner::load_task(common, cache, t)?;
            Ok(SearchTask {
                properties: match reads_properties {
                    true => loaded.properties(),
                    false => Vec::new(),
                },
                sources: sources(common, &bank, &loaded),
                loaded,
                test,
                cost,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let evaluated: Vec<LoadedTask> = protocol
        .evaluate_on
        .iter()
        .map(|name| cache.load(def.name, name))
        .collect::<Result<_, _>>()?;
    check_time_budget(protocol, &tasks)?;
    let images = runner::supernet_images(
        common,
        protocol.weight_sharing(),
        (&protocol.images, protocol.supernet_images),
        cache,
    )?;
    let trials = (tasks.len() * protocol.methods.len()) as u64 * u64::from(replicates);
    runner::check_trial_count(common, opts, trials)?;
    Ok(SearchInputs {
        tasks,
        evaluated,
        test,
        images,
        replicates,
    })
}

/// Every trial in order — task, method, worker count, replicate — and the ids and parameter
/// hashes they are recorded under.
fn expand(protocol: &SearchProtocol, tasks: usize, replicates: u32) -> Expanded {
    let (methods, worker_counts) = (protocol.methods.len(), protocol.workers.len());
    let trials = (0..tasks)
        .flat_map(|task| {
            (0..methods).flat_map(move |method| {
                (0..worker_counts).flat_map(move |workers| {
                    (0..replicates).map(move |replicate| SearchTrial {
                        task,
                        method,
                        workers,
                        replicate,
                    })
                })
            })
        })
        .collect();
    let ids = protocol
        .methods
        .iter()
        .map(|m| {
            let id = |&k: &u32| protocol.trial_method_id(m, k);
            protocol.workers.iter().map(id).collect()
        })
        .collect();
    let hashes = protocol.methods.iter().map(runner::params_hash).collect();
    Expanded {
        trials,
        ids,
        hashes,
    }
}

/// Encodes a chunk's outcomes as its outputs' record batches.
struct Encoder<'a> {
    protocol: &'a SearchProtocol,
    inputs: &'a SearchInputs,
    expanded: &'a Expanded,
    outputs: Outputs,
}

impl Encoder<'_> {
    fn encode(&self, chunk: &[SearchTrial], outcomes: Vec<SearchOutcome>) -> Encoded {
        let (protocol, tasks, expanded) = (self.protocol, &self.inputs.tasks, self.expanded);
        let rows: Vec<records::trials::Row> = chunk
            .iter()
            .zip(&outcomes)
            .flat_map(|(trial, outcome)| {
                let id = &expanded.ids[trial.method][trial.workers];
                let (hash, task) = (&expanded.hashes[trial.method], &tasks[trial.task]);
                trial_rows(protocol, task, (id, hash), trial, outcome)
            })
            .collect();
        let mut batches = vec![records::trials::batch(&rows)];
        if self.outputs.cross.is_some() {
            let finals: Vec<Option<ArchId>> = outcomes
                .iter()
                .map(SearchOutcome::final_incumbent)
                .collect();
            let found = CrossTask {
                protocol,
                test: self.inputs.test,
                tasks,
                evaluated: &self.inputs.evaluated,
                ids: &expanded.ids,
            };
            batches.push(found.batch(chunk, &finals));
        }
        if self.outputs.workers.is_some() {
            batches.push(workers_batch(
                protocol,
                tasks,
                &expanded.ids,
                chunk,
                &outcomes,
            ));
        }
        let failed = outcomes.iter().filter(|o| o.status != TrialStatus::Ok);
        Encoded {
            batches,
            failed: failed.count() as u64,
        }
    }
}

/// Runs the trials through `runner::drive` and writes trials.parquet as the chunks come,
/// then cross_task.parquet and workers.parquet when the protocol has them.
fn write_results(
    dir: &RunDir,
    trials: &[SearchTrial],
    (outputs, stage): (Outputs, Stage),
    opts: &RunOptions,
    trial: impl Fn(&SearchTrial) -> SearchOutcome + Sync,
    encode: impl Fn(&[SearchTrial], Vec<SearchOutcome>) -> Encoded + Sync,
) -> Result<runner::Written> {
    let schema = records::trials::schema();
    let mut writer =
        ParquetWriter::create(dir.path(), records::trials::FILE, schema)?.in_background()?;
    let mut cross_batches: Vec<RecordBatch> = Vec::new();
    let mut workers_batches: Vec<RecordBatch> = Vec::new();
    let mut failed = 0;
    let progress = runner::drive(trials, opts, stage, trial, encode, |_, batches, done| {
        failed += done.failed;
        writer.write(&batches[0])?;
        if let Some(i) = outputs.cross {
            cross_batches.push(batches[i].clone());
        }
        if let Some(i) = outputs.workers {
            workers_batches.push(batches[i].clone());
        }
        Ok(())
    })?;
    let (rows, trials_file) = writer.finish()?;
    let mut files = vec![trials_file];
    if outputs.cross.is_some() {
        // One batch, as the file was written before runs were chunked and resumable.
        let schema = records::cross_task::schema();
        let all = arrow_select::concat::concat_batches(&schema, &cross_batches)?;
        let mut writer = ParquetWriter::create(dir.path(), records::cross_task::FILE, schema)?;
        writer.write(&all)?;
        files.push(writer.finish()?.1);
    }
    if outputs.workers.is_some() {
        let schema = records::workers::schema();
        let mut writer = ParquetWriter::create(dir.path(), records::workers::FILE, schema)?;
        for batch in &workers_batches {
            writer.write(batch)?;
        }
        files.push(writer.finish()?.1);
    }
    Ok(runner::Written {
        files,
        rows,
        failed,
        progress,
    })
}

/// What the manifest says of a search run: its budget, methods, tasks and the tasks its
/// incumbents were looked up on.
fn search_info(
    protocol: &SearchProtocol,
    inputs: &SearchInputs,
    ids: &[Vec<String>],
) -> SearchInfo {
    let common = &protocol.common;
    let def = common.benchmark;
    SearchInfo {
        test_metric: def.test_metric.map(str::to_string),
        budget_kind: match protocol.budget {
            Budget::Queries(_) => "queries",
            Budget::SimulatedSeconds(_) => "simulated_seconds",
        }
        .to_string(),
        budget: match protocol.budget {
            Budget::Queries(n) => n as f64,
            Budget::SimulatedSeconds(t) => t,
        },
        cost_scale: protocol.cost_scale,
        supernet_images: inputs
            .images
            .as_ref()
            .map(|i| format!("{}, {} images", protocol.images, i.images.len())),
        random_baseline: protocol.random_baseline,
        // With several worker counts, the baseline's first one (the report pairs each
        // method's trials with the baseline's of the same count).
        baseline: protocol.baseline.as_ref().map(|b| {
            let at = protocol.methods.iter().position(|m| m.id() == b);
            ids[at.expect("checked")][0].clone()
        }),
        methods: protocol
            .methods
            .iter()
            .zip(ids)
            .flat_map(|(s, ids)| {
                ids.iter()
                    .zip(&protocol.workers)
                    .map(|(id, &k)| MethodInfo {
                        workers: protocol.simulates_workers.then_some(k),
                        ..runner::method_info(id, s.name(), s)
                    })
            })
            .collect(),
        tasks: inputs
            .tasks
            .iter()
            .map(|t| task_info(protocol, t))
            .collect(),
        evaluated_on: inputs
            .evaluated
            .iter()
            .map(|loaded| {
                let (space_mean, best) = reference(common, loaded);
                EvaluatedTask {
                    task: loaded.task.clone(),
                    space_best: loaded.table.mean(common.objective.column, best),
                    space_best_arch: loaded.space.describe(best as ArchId),
                    space_mean,
                    data: runner::data_source(loaded),
                }
            })
            .collect(),
    }
}

/// A simulated-seconds budget may not allow more than ten evaluations per architecture of the
/// space, even of the cheapest one: beyond that a trial only repeats itself, for ever.
fn check_time_budget(protocol: &SearchProtocol, tasks: &[SearchTask]) -> Result<()> {
    let Budget::SimulatedSeconds(budget) = protocol.budget else {
        return Ok(());
    };
    for task in tasks {
        let (table, space) = (&task.loaded.table, task.loaded.space.as_ref());
        let cost = task
            .cost
            .expect("the protocol checked the benchmark's training time");
        let cheapest = (0..table.n_archs())
            .flat_map(|a| (0..table.seeds(a)).map(move |s| table.value(cost, a, s)))
            .fold(f64::INFINITY, f64::min)
            * protocol.cost_scale;
        let most = 10.0 * space.size() as f64;
        if !(cheapest > 0.0 && budget / cheapest <= most) {
            return Err(protocol
                .budget_at
                .error(format!(
                    "budget.simulated_seconds {budget} allows {:.3e} evaluations of {}'s cheapest \
                     architecture ({cheapest:.3e} s at cost scale {}), more than ten per \
                     architecture of its space ({}); lower the budget",
                    budget / cheapest,
                    task.loaded.task,
                    protocol.cost_scale,
                    space.size()
                ))
                .into());
        }
    }
    Ok(())
}

/// Runs one trial: the method asks, the table answers, until the budget is spent. A panic
/// inside the method fails the trial, keeping the evaluations it completed.
fn run_trial(
    protocol: &SearchProtocol,
    task: &SearchTask,
    method: &MethodSpec,
    (replicate, workers): (u32, u32),
    env: TrialEnv,
) -> SearchOutcome {
    let common = &protocol.common;
    let key = trial_key(
        common.base_seed,
        &common.name,
        &task.loaded.task,
        method.id(),
        replicate as u64,
    );
    let snapshot = env.snapshot_file(&key);
    let ctx = method_context(protocol, task, (replicate, &key), snapshot.as_deref(), env);
    let mut outcome = SearchOutcome {
        evaluations: Vec::with_capacity(match protocol.budget {
            Budget::Queries(n) => n as usize,
            Budget::SimulatedSeconds(_) => 256,
        }),
        status: TrialStatus::Ok,
        fallbacks: Fallbacks::default(),
        transcript: None,
    };
    let mut searcher: Option<Box<dyn Searcher>> = None;
    let searched = runner::catch_panic(|| {
        let searcher = searcher.insert(method.build(&ctx));
        let (rng, noise) = trial_rngs(key);
        let mut trial = Searching {
            protocol,
            task,
            method_id: method.id(),
            replicate,
            faults: env.faults,
            searcher: searcher.as_mut(),
            rngs: (rng, noise),
            asked: 0,
            incumbent: None,
            rows: &mut outcome.evaluations,
        };
        let mode = method.capabilities().parallelism;
        let transcribe = protocol.simulates_workers;
        let transcript = workers::simulate(workers as usize, mode, &mut trial, transcribe);
        outcome.transcript = transcribe.then_some(transcript);
        searcher.end();
    });
    if let Err(error) = searched {
        outcome.status = TrialStatus::failed(&error);
    }
    if let Some(searcher) = &searcher {
        match runner::catch_panic(|| searcher.fallbacks()) {
            Ok(fallbacks) => outcome.fallbacks = fallbacks,
            Err(error) => outcome.status = TrialStatus::failed(&error),
        }
    }
    outcome
}

/// What a trial's method is told: the space, the task's properties and other tasks, the
/// trial (its seed from `key`), and the supernet images.
fn method_context<'a>(
    protocol: &'a SearchProtocol,
    task: &'a SearchTask,
    (replicate, key): (u32, &[u8; 32]),
    snapshot: Option<&'a std::path::Path>,
    env: TrialEnv<'a>,
) -> MethodContext<'a> {
    let common = &protocol.common;
    MethodContext {
        space: task.loaded.space.as_ref(),
        properties: task
            .properties
            .iter()
            .map(|(n, v)| (*n, v.as_slice()))
            .collect(),
        sources: task
            .sources
            .iter()
            .map(|(name, fitness)| SourceTask {
                task: name,
                fitness,
            })
            .collect(),
        trial: Some(TrialInfo {
            task: &task.loaded.task,
            replicate,
            seed: seed_of(key),
            objective: common.objective.metric.name,
            direction: common.objective.metric.direction,
            budget: Some(protocol.budget),
            train_size: None,
            snapshot,
        }),
        images: env.images,
    }
}

/// One trial on its simulated workers (`workers.rs`): a free worker asks the method and the
/// table answers; when the evaluation finishes on the simulated clock the method is told and
/// the evaluation recorded. With one worker this is the ask/evaluate/tell loop.
struct Searching<'a> {
    protocol: &'a SearchProtocol,
    task: &'a SearchTask,
    method_id: &'a str,
    replicate: u32,
    faults: &'a Faults,
    searcher: &'a mut dyn Searcher,
    /// The method's generator and the evaluations' noise.
    rngs: (TrialRng, TrialRng),
    asked: u64,
    incumbent: Option<(ArchId, f64, Option<f64>)>,
    rows: &'a mut Vec<Evaluation>,
}

/// An evaluation on its way: the architecture, what the table answered, and the cost it
/// charges.
struct Pending {
    arch: ArchId,
    observation: Observation,
    cost: Option<f64>,
}

/// The table of `task` as `protocol` queries it.
fn oracle<'a>(protocol: &'a SearchProtocol, task: &'a SearchTask) -> Oracle<'a> {
    let common = &protocol.common;
    Oracle {
        table: &task.loaded.table,
        objective: common.objective.column,
        test: task.test,
        cost: task.cost,
        cost_scale: protocol.cost_scale,
        policy: common.seed_policy,
    }
}

impl workers::Trial for Searching<'_> {
    type Item = Pending;

    fn start(&mut self, now: f64, evaluated: bool) -> Option<Started<Pending>> {
        let spent = match self.protocol.budget {
            Budget::Queries(n) => self.asked >= n,
            Budget::SimulatedSeconds(t) => now >= t,
        };
        if spent {
            return None;
        }
        if self.asked == 1 {
            self.faults.check_trial(self.method_id, self.replicate);
        }
        let arch = self.searcher.ask(&mut self.rngs.0);
        let oracle = oracle(self.protocol, self.task);
        let observation = match self.searcher.seeds_wanted() {
            None => oracle.query(arch, &mut self.rngs.1),
            Some(k) => oracle.query_seeds(arch, k, &mut self.rngs.1),
        };
        // A weight-sharing method's evaluation costs what its supernet search did.
        let cost = self.searcher.measured_cost().or(observation.cost);
        let seconds = cost.unwrap_or(0.0);
        // NB201's search scripts discard the evaluation that would exceed the time budget and
        // stop; the first evaluation always counts, so every trial has a result.
        if let Budget::SimulatedSeconds(t) = self.protocol.budget
            && evaluated
            && now + seconds > t
        {
            return None;
        }
        self.asked += 1;
        Some(Started {
            arch,
            cost: seconds,
            item: Pending {
                arch,
                observation,
                cost,
            },
        })
    }

    fn finish(&mut self, done: Finished<Pending>) {
        let common = &self.protocol.common;
        let direction = common.objective.metric.direction;
        let Pending {
            arch,
            observation: obs,
            cost,
        } = done.item;
        let fitness = direction.fitness(obs.value);
        self.searcher.tell_with_cost(arch, fitness, obs.cost);
        if self.incumbent.is_none_or(|(_, f, _)| fitness > f) {
            self.incumbent = Some((arch, fitness, obs.test));
        }
        let (inc_arch, inc_fitness, inc_test) = self.incumbent.expect("set above");
        self.rows.push(Evaluation {
            arch,
            seed: obs.seed,
            value: obs.value,
            test: obs.test,
            cost,
            // The simulated clock when it finished: with one worker, the costs so far summed.
            cumulative_cost: cost.map(|_| done.end),
            incumbent_arch: inc_arch,
            incumbent_value: direction.fitness(inc_fitness),
            incumbent_test: inc_test,
            incumbent_mean: self
                .task
                .loaded
                .table
                .mean(common.objective.column, inc_arch as usize),
        });
    }
}

/// Every other task in `bank`, its seed-mean objective as fitness and indexed by `target`'s
/// architecture ids through the package keys (NaN where it lacks one).
fn sources(
    common: &crate::protocol::Common,
    bank: &[LoadedTask],
    target: &LoadedTask,
) -> Vec<(String, Vec<f64>)> {
    let (metric, metric_def) = (common.objective.column, common.objective.metric);
    let space = target.space.as_ref();
    bank.iter()
        .filter(|other| other.task != target.task)
        .map(|other| {
            let fitness = (0..space.size() as ArchId)
                .map(|a| {
                    other.space.id_of_key(&space.key(a)).map_or(f64::NAN, |o| {
                        metric_def
                            .direction
                            .fitness(other.table.mean(metric, o as usize))
                    })
                })
                .collect();
            (other.task.clone(), fitness)
        })
        .collect()
}

/// The mean over `loaded`'s table of each architecture's seed-mean objective, and the index
/// of the best architecture (the smallest index among ties).
fn reference(common: &crate::protocol::Common, loaded: &LoadedTask) -> (f64, usize) {
    let (metric, def) = (common.objective.column, common.objective.metric);
    let means = loaded.table.means(metric);
    let best = (0..means.len())
        .max_by(|&a, &b| {
            def.direction
                .fitness(means[a])
                .total_cmp(&def.direction.fitness(means[b]))
                .then(b.cmp(&a))
        })
        .expect("tables are not empty");
    (means.iter().sum::<f64>() / means.len() as f64, best)
}

/// The records of one finished trial: a row per evaluation, and for a failed trial one more
/// row without an evaluation (the incumbent so far, if any).
fn trial_rows<'a>(
    protocol: &'a SearchProtocol,
    task: &'a SearchTask,
    (id, params_hash): (&'a str, &'a str),
    trial: &SearchTrial,
    outcome: &'a SearchOutcome,
) -> Vec<records::trials::Row<'a>> {
    use records::trials::{Evaluation as Observed, Incumbent, Row};
    let space = task.loaded.space.as_ref();
    let second = protocol.second_objective.map(|name| task.property(name));
    let incumbent = |e: &Evaluation| Incumbent {
        arch_id: e.incumbent_arch,
        value: e.incumbent_value,
        test_value: e.incumbent_test,
        mean_value: e.incumbent_mean,
    };
    let row = |step: usize, evaluation: Option<Observed<'a>>, incumbent: Option<Incumbent>| Row {
        protocol: &protocol.common.name,
        task: &task.loaded.task,
        method: id,
        method_params_hash: params_hash,
        replicate: trial.replicate,
        step: step as u32 + 1,
        evaluation,
        incumbent,
        end: records::TrialEnd {
            status: outcome.status.record(),
            error: outcome.status.error(),
            fallbacks: outcome.fallbacks.count(),
            fallback_reason: outcome.fallbacks.first_reason(),
        },
    };
    let mut rows: Vec<Row> = outcome
        .evaluations
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let observed = Observed {
                arch_id: e.arch,
                canonical_arch_id: space.canonical(e.arch),
                arch: space.describe(e.arch).into(),
                benchmark_seed: e.seed,
                value: e.value,
                test_value: e.test,
                cost: e.cost,
                cumulative_cost: e.cumulative_cost,
                second_value: second.map(|t| t[e.arch as usize]),
            };
            row(i, Some(observed), Some(incumbent(e)))
        })
        .collect();
    if outcome.status != TrialStatus::Ok {
        let last = outcome.evaluations.last().map(incumbent);
        rows.push(row(outcome.evaluations.len(), None, last));
    }
    rows
}

/// The `workers.parquet` rows of `trials`: what each trial that did not fail had its
/// simulated workers do.
fn workers_batch(
    protocol: &SearchProtocol,
    tasks: &[SearchTask],
    ids: &[Vec<String>],
    trials: &[SearchTrial],
    outcomes: &[SearchOutcome],
) -> RecordBatch {
    let rows: Vec<records::workers::Row> = trials
        .iter()
        .zip(outcomes)
        .filter_map(|(trial, outcome)| {
            let t = outcome
                .transcript
                .as_ref()
                .filter(|_| outcome.status == TrialStatus::Ok)?;
            let k = protocol.workers[trial.workers];
            Some(records::workers::Row {
                protocol: &protocol.common.name,
                task: &tasks[trial.task].loaded.task,
                method: &ids[trial.method][trial.workers],
                replicate: trial.replicate,
                workers: k,
                evaluations: t.evaluations,
                makespan: t.makespan,
                busy: t.busy,
                idle: t.idle(k as usize),
                transcript_sha256: t.sha256.as_deref()?,
            })
        })
        .collect();
    records::workers::batch(&rows)
}

/// Looks each trial's final incumbent up on every `evaluate_on` task and writes
/// `cross_task.parquet`.
/// What the cross-task lookups of a search read: each trial's final incumbent looked up, by
/// package key, on the protocol's `evaluate_on` tasks.
struct CrossTask<'a> {
    protocol: &'a SearchProtocol,
    test: Option<usize>,
    tasks: &'a [SearchTask],
    evaluated: &'a [LoadedTask],
    /// The id of each (method, worker count).
    ids: &'a [Vec<String>],
}

impl CrossTask<'_> {
    /// The `cross_task.parquet` rows of `trials`, whose final incumbents are `finals`.
    fn batch(&self, trials: &[SearchTrial], finals: &[Option<ArchId>]) -> RecordBatch {
        let common = &self.protocol.common;
        let mut rows = Vec::with_capacity(trials.len() * self.evaluated.len());
        // A failed trial has no final incumbent; its failure is in trials.parquet.
        for (trial, arch) in trials.iter().zip(finals) {
            let Some(arch) = *arch else { continue };
            let searched = &self.tasks[trial.task].loaded;
            let key = searched.space.key(arch);
            for other in self.evaluated {
                let id = other.space.id_of_key(&key).map(|id| id as usize);
                rows.push(records::cross_task::Row {
                    protocol: &common.name,
                    task: &searched.task,
                    method: &self.ids[trial.method][trial.workers],
                    replicate: trial.replicate,
                    arch_id: arch,
                    arch: searched.space.describe(arch).into(),
                    eval_task: &other.task,
                    value: id.map(|id| other.table.mean(common.objective.column, id)),
                    test_value: id.and_then(|id| self.test.map(|m| other.table.mean(m, id))),
                });
            }
        }
        records::cross_task::batch(&rows)
    }
}

/// The task's reference figures: the exact space mean, the best architecture, and the
/// seeded random sample of `random_baseline` architectures.
fn task_info(protocol: &SearchProtocol, task: &SearchTask) -> TaskInfo {
    let common = &protocol.common;
    let loaded = &task.loaded;
    let space = loaded.space.as_ref();
    let (metric, def) = (common.objective.column, common.objective.metric);
    let means = loaded.table.means(metric);
    let (space_mean, best) = reference(common, loaded);
    let key = trial_key(
        common.base_seed,
        &common.name,
        &loaded.task,
        "random-baseline",
        0,
    );
    let (mut rng, _) = trial_rngs(key);
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
    let pareto = protocol.second_objective.map(|name| {
        let second = task.property(name);
        let maximize = def.direction == Direction::Maximize;
        let points: Vec<[f64; 2]> = means.iter().zip(second).map(|(&v, &c)| [v, c]).collect();
        let worst = means
            .iter()
            .copied()
            .min_by(|a, b| {
                def.direction
                    .fitness(*a)
                    .total_cmp(&def.direction.fitness(*b))
            })
            .expect("tables are not empty");
        let reference = [
            worst,
            second.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        ];
        ParetoInfo {
            second_objective: name.to_string(),
            reference,
            front: pareto::front(&points, maximize),
            hypervolume: pareto::hypervolume(&points, reference, maximize),
        }
    });
    // The runtime targets' ranks: the k-th best seed mean (architectures the table lacks,
    // NaN, left out).
    let mut ordered: Vec<f64> = means.iter().copied().filter(|v| !v.is_nan()).collect();
    ordered.sort_unstable_by(|a, b| {
        def.direction
            .fitness(*b)
            .total_cmp(&def.direction.fitness(*a))
    });
    let rank_values = reports::runtime::RANK_TARGETS
        .iter()
        .filter_map(|&rank| {
            let value = *ordered.get(rank as usize - 1)?;
            Some(RankValue { rank, value })
        })
        .collect();
    TaskInfo {
        task: loaded.task.clone(),
        pareto,
        rank_values,
        space_size: space.size() as u64,
        unique_cells: (unique != space.size() as u64).then_some(unique),
        space_mean,
        space_best: means[best],
        space_best_arch: space.describe(best as ArchId),
        random_sample,
        data: runner::data_source(loaded),
    }
}
