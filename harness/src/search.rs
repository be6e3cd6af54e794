//! Search runs: every trial `(task, method, replicate)` lets a method ask for architectures
//! and tells it the table's answer until the budget is spent.

use anyhow::Result;
use arrow_array::RecordBatch;
use datasets::catalog::Direction;
use datasets::{ArchId, Cache, LoadedTask, Oracle};
use methods::{MethodContext, MethodSpec, Searcher, SourceTask, TrialInfo};
use reports::pareto;
use reports::records::manifest::{
    EvaluatedTask, ParetoInfo, RankValue, Run, SampledArch, SearchInfo, TaskInfo,
};

use methods::Fallbacks;
use reports::records::{self, ParquetWriter};

use crate::checkpoint::Checkpoint;
use crate::faults::Faults;
use crate::protocol::{Budget, SearchProtocol};
use crate::run_dir::RunDir;
use crate::runner::{self, Encoded, Ran, RunOptions, ShardRun, Stage, TrialEnv, TrialStatus};
use crate::seeding::{seed_of, trial_key, trial_rngs};

/// One trial of the expanded protocol.
#[derive(Debug, Clone, Copy)]
struct SearchTrial {
    task: usize,
    method: usize,
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

pub fn run(protocol: &SearchProtocol, cache: &Cache, opts: &RunOptions) -> Result<Ran> {
    let clock = runner::Clock::start();
    let common = &protocol.common;
    let replicates = runner::replicates(common, opts)?;
    // Everything that can fail on input is checked before the output directory is touched.
    let def = common.benchmark;
    let test = def
        .test_metric
        .map(|m| def.metric(m).expect("catalog metric").0);
    let cost = def
        .cost_metric
        .map(|m| def.metric(m).expect("catalog metric").0);
    // Every task of the benchmark, loaded once, when a transfer method reads the others.
    let bank: Vec<LoadedTask> = if protocol.methods.iter().any(MethodSpec::needs_sources) {
        def.task_names()
            .into_iter()
            .map(|name| cache.load(def.name, name))
            .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    let tasks = common
        .tasks
        .iter()
        .map(|t| {
            let loaded = runner::load_task(common, cache, t)?;
            let reads_properties = protocol.second_objective.is_some()
                || protocol
                    .methods
                    .iter()
                    .any(|m| !m.required_properties().is_empty());
            Ok(SearchTask {
                properties: if reads_properties {
                    loaded.properties()
                } else {
                    Vec::new()
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
    runner::check_trial_count(
        common,
        opts,
        (tasks.len() * protocol.methods.len()) as u64 * u64::from(replicates),
    )?;
    let dir = RunDir::create(&opts.out, opts.force)?;

    let trials: Vec<SearchTrial> = (0..tasks.len())
        .flat_map(|task| {
            (0..protocol.methods.len()).flat_map(move |method| {
                (0..replicates).map(move |replicate| SearchTrial {
                    task,
                    method,
                    replicate,
                })
            })
        })
        .collect();
    let hashes: Vec<String> = protocol.methods.iter().map(runner::params_hash).collect();
    let mut key = runner::run_key(
        common,
        replicates,
        &trials,
        tasks.iter().map(|t| &t.loaded),
        opts,
    );
    if images.is_some() {
        key.values
            .push(("images".to_string(), protocol.images.to_string()));
    }
    let checkpoint = Checkpoint::open(dir.path(), &key, opts.force)?;
    let snapshots = runner::snapshot_dir(&checkpoint, images.as_ref())?;
    let env = TrialEnv {
        faults: &opts.faults,
        images: images.as_ref(),
        snapshots: snapshots.as_deref(),
    };
    let cross = !evaluated.is_empty();
    let outputs = if cross { 2 } else { 1 };
    let trial = |t: &SearchTrial| {
        run_trial(
            protocol,
            &tasks[t.task],
            &protocol.methods[t.method],
            t.replicate,
            env,
        )
    };
    let encode = |chunk: &[SearchTrial], outcomes: Vec<SearchOutcome>| {
        let rows: Vec<records::trials::Row> = chunk
            .iter()
            .zip(&outcomes)
            .flat_map(|(trial, outcome)| {
                trial_rows(protocol, &tasks[trial.task], &hashes, trial, outcome)
            })
            .collect();
        let mut batches = vec![records::trials::batch(&rows)];
        if cross {
            let finals: Vec<Option<ArchId>> = outcomes
                .iter()
                .map(SearchOutcome::final_incumbent)
                .collect();
            let found = CrossTask {
                protocol,
                test,
                tasks: &tasks,
                evaluated: &evaluated,
            };
            batches.push(found.batch(chunk, &finals));
        }
        Encoded {
            batches,
            failed: outcomes
                .iter()
                .filter(|o| o.status != TrialStatus::Ok)
                .count() as u64,
        }
    };
    if let Some(shard) = opts.shard {
        // A trial's cost is its method's: a network-training method far above a table walk.
        let cost =
            |t: &SearchTrial| runner::expected_cost(protocol.methods[t.method].capabilities());
        let run = ShardRun {
            shard,
            dir,
            checkpoint,
            key,
            images: images.is_some().then(|| protocol.images.spec()),
            protocol_text: &common.text,
        };
        return runner::run_trials_shard(&trials, cost, outputs, run, opts, trial, encode);
    }
    let mut writer =
        ParquetWriter::create(dir.path(), records::trials::FILE, records::trials::schema())?
            .in_background()?;
    let mut cross_batches: Vec<RecordBatch> = Vec::new();
    let mut failed = 0;
    let stage = Stage {
        checkpoint: &checkpoint,
        name: "trials",
        outputs,
        only: None,
    };
    let resumed = runner::drive(&trials, opts, stage, trial, encode, |_, batches, done| {
        failed += done.failed;
        writer.write(&batches[0])?;
        if cross {
            cross_batches.push(batches[1].clone());
        }
        Ok(())
    })?;
    let (rows, trials_file) = writer.finish()?;
    let mut files = vec![trials_file];
    if cross {
        // One batch, as the file was written before runs were chunked and resumable.
        let schema = records::cross_task::schema();
        let all = arrow_select::concat::concat_batches(&schema, &cross_batches)?;
        let mut writer = ParquetWriter::create(dir.path(), records::cross_task::FILE, schema)?;
        writer.write(&all)?;
        files.push(writer.finish()?.1);
    }
    let results = runner::Results {
        files,
        replicates,
        rows,
        trials: trials.len() as u64,
        failed_trials: failed,
        capabilities: protocol
            .methods
            .iter()
            .map(MethodSpec::capabilities)
            .collect(),
        resumed,
    };
    let finished = runner::finish(
        dir,
        checkpoint,
        common,
        clock,
        results,
        opts,
        Run::Search {
            search: SearchInfo {
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
                supernet_images: images
                    .as_ref()
                    .map(|i| format!("{}, {} images", protocol.images, i.images.len())),
                random_baseline: protocol.random_baseline,
                baseline: protocol.baseline.clone(),
                methods: protocol
                    .methods
                    .iter()
                    .map(|s| runner::method_info(s.id(), s.name(), s))
                    .collect(),
                tasks: tasks.iter().map(|t| task_info(protocol, t)).collect(),
                evaluated_on: evaluated
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
            },
        },
    )?;
    Ok(Ran::Finished(Box::new(finished)))
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
    replicate: u32,
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
    let ctx = MethodContext {
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
            seed: seed_of(&key),
            objective: common.objective.metric.name,
            direction: common.objective.metric.direction,
            budget: Some(protocol.budget),
            train_size: None,
            snapshot: snapshot.as_deref(),
        }),
        images: env.images,
    };
    let mut outcome = SearchOutcome {
        evaluations: Vec::with_capacity(match protocol.budget {
            Budget::Queries(n) => n as usize,
            Budget::SimulatedSeconds(_) => 256,
        }),
        status: TrialStatus::Ok,
        fallbacks: Fallbacks::default(),
    };
    let mut searcher: Option<Box<dyn Searcher>> = None;
    let searched = runner::catch_panic(|| {
        let searcher = searcher.insert(method.build(&ctx));
        search(
            protocol,
            task,
            (method.id(), replicate, key),
            env.faults,
            searcher.as_mut(),
            &mut outcome.evaluations,
        );
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

/// The ask/evaluate/tell loop of one trial, appending each evaluation to `rows`.
fn search(
    protocol: &SearchProtocol,
    task: &SearchTask,
    (method_id, replicate, key): (&str, u32, [u8; 32]),
    faults: &Faults,
    searcher: &mut dyn Searcher,
    rows: &mut Vec<Evaluation>,
) {
    let common = &protocol.common;
    let (mut rng, mut noise) = trial_rngs(key);
    let oracle = Oracle {
        table: &task.loaded.table,
        objective: common.objective.column,
        test: task.test,
        cost: task.cost,
        cost_scale: protocol.cost_scale,
        policy: common.seed_policy,
    };
    let direction = common.objective.metric.direction;
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
        if rows.len() == 1 {
            faults.check_trial(method_id, replicate);
        }
        let arch = searcher.ask(&mut rng);
        let obs = match searcher.seeds_wanted() {
            None => oracle.query(arch, &mut noise),
            Some(k) => oracle.query_seeds(arch, k, &mut noise),
        };
        // A weight-sharing method's evaluation costs what its supernet search did.
        let cost_seconds = searcher.measured_cost().or(obs.cost);
        let cost = cost_seconds.unwrap_or(0.0);
        // NB201's search scripts discard the evaluation that would exceed the time budget and
        // stop; the first evaluation always counts, so every trial has a result.
        if let Budget::SimulatedSeconds(t) = protocol.budget
            && !rows.is_empty()
            && spent + cost > t
        {
            break;
        }
        let fitness = direction.fitness(obs.value);
        searcher.tell_with_cost(arch, fitness, obs.cost);
        spent += cost;
        if incumbent.is_none_or(|(_, f, _)| fitness > f) {
            incumbent = Some((arch, fitness, obs.test));
        }
        let (inc_arch, inc_fitness, inc_test) = incumbent.expect("set above");
        rows.push(Evaluation {
            arch,
            seed: obs.seed,
            value: obs.value,
            test: obs.test,
            cost: cost_seconds,
            cumulative_cost: cost_seconds.map(|_| spent),
            incumbent_arch: inc_arch,
            incumbent_value: direction.fitness(inc_fitness),
            incumbent_test: inc_test,
            incumbent_mean: task
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
    hashes: &'a [String],
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
        method: protocol.methods[trial.method].id(),
        method_params_hash: &hashes[trial.method],
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

/// Looks each trial's final incumbent up on every `evaluate_on` task and writes
/// `cross_task.parquet`.
/// What the cross-task lookups of a search read: each trial's final incumbent looked up, by
/// package key, on the protocol's `evaluate_on` tasks.
struct CrossTask<'a> {
    protocol: &'a SearchProtocol,
    test: Option<usize>,
    tasks: &'a [SearchTask],
    evaluated: &'a [LoadedTask],
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
                    method: self.protocol.methods[trial.method].id(),
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
