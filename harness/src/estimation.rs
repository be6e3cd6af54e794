//! Estimation runs: every trial `(task, estimator, training size, replicate)` fits an
//! estimator on labelled architectures (if it learns) and scores a held-out sample, which is
//! then compared with the table's truth.
//!
//! Splits: for each task and replicate, one seeded permutation of the space. Training sets
//! are its first n architectures (so smaller sets are nested in larger ones, as in White et
//! al. 2021), the evaluation set its last `evaluation` architectures (or every architecture
//! after the largest training set, for `evaluation: all`): the same for every estimator and
//! training size of the replicate, and disjoint from every training set. Training labels are
//! the train task's objective under the protocol's seed policy (one training seed drawn per
//! architecture for `sample`); the truth is the evaluated task's seed mean. Correlations are
//! computed in "higher is better" orientation (a minimized objective is negated).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use arrow_array::{Array, ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use datasets::images::{self, Images};
use datasets::{ArchId, Cache, LoadedTask, Oracle, rng};
use methods::proxy;
use methods::registry::Capabilities;
use methods::supernet::SupernetImages;
use methods::{EstimatorSpec, Fallbacks, MethodContext, TrialInfo};
use reports::rank::{Correlation, TopK, kendall_tau_b, pearson, spearman, top_k};
use reports::records::manifest::{EstimationInfo, EstimationTaskInfo, Run};

use crate::checkpoint::{Checkpoint, RunKey};
use crate::claim::claim;
use crate::protocol::{EstimationProtocol, Evaluation};
use crate::run_dir::RunDir;
use crate::runner::{self, Encoded, Ran, RunOptions, ShardRun, Stage, TrialEnv, TrialStatus};
use crate::seeding::{seed_of, trial_key, trial_rngs};
use crate::shard;
use reports::records::estimates::Identity;
use reports::records::{self, ParquetWriter};

/// One trial of the expanded protocol; `train_size` is 0 for estimators that do not learn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EstimationTrial {
    pub task: usize,
    pub estimator: usize,
    pub train_size: usize,
    pub replicate: u32,
}

/// One replicate's split of a task's space, with labels and truth.
pub(crate) struct Split {
    pub train: Vec<ArchId>,
    /// Labels of `train`, "higher is better".
    pub labels: Vec<f64>,
    pub eval: Vec<ArchId>,
    /// The evaluated task's seed-mean objective of `eval`, as in the table.
    pub truth: Vec<f64>,
}

pub(crate) struct EstimationTask {
    pub loaded: LoadedTask,
    pub properties: Vec<(&'static str, Vec<f64>)>,
    pub splits: Vec<Split>,
    /// Per replicate, each zero-cost proxy's score of every architecture (NaN where the
    /// replicate does not evaluate it, or where the proxy is undefined).
    pub proxy_scores: Vec<Vec<(&'static str, Vec<f64>)>>,
    /// Per replicate, the architectures whose proxy network failed, and why.
    pub network_failures: Vec<HashMap<ArchId, String>>,
}

/// What a trial produced.
pub(crate) struct Outcome {
    pub scores: Vec<f64>,
    pub kendall: Correlation,
    pub spearman: Correlation,
    pub pearson: Correlation,
    pub top_k: Vec<TopK>,
    pub fit_seconds: f64,
    pub score_seconds: f64,
    /// Why a correlation is undefined (constant scores, say), for a trial that did not fail.
    pub warning: Option<String>,
    pub status: TrialStatus,
    pub fallbacks: Fallbacks,
}

/// The most architectures all splits of a run may hold (400 MB of ids).
const MAX_SPLIT_ENTRIES: u64 = 100_000_000;

/// What an estimation run reads before it touches its output directory.
struct EstimationInputs {
    tasks: Vec<EstimationTask>,
    /// The task whose labels the estimators fit on (`train_task`), if not each task's own.
    train_loaded: Option<LoadedTask>,
    /// The zero-cost proxies' image batch of each (task, replicate).
    batches: Vec<Vec<Images>>,
    images: Option<SupernetImages>,
    replicates: u32,
}

impl EstimationInputs {
    /// How many proxy networks the run scores: one per evaluated architecture and replicate.
    fn networks(&self) -> u64 {
        let task = |t: &EstimationTask| t.splits.iter().map(|s| s.eval.len() as u64).sum::<u64>();
        self.tasks.iter().map(task).sum()
    }
}

/// Runs an estimation protocol: reads and checks its inputs, claims the output directory,
/// scores the proxy networks (the first stage, when there are proxies), runs the trials
/// chunk by chunk through the checkpoint (or one shard's part of the first stage), writes
/// the result files and the manifest.
pub fn run(protocol: &EstimationProtocol, cache: &Cache, opts: &RunOptions) -> Result<Ran> {
    let clock = runner::Clock::start();
    let mut inputs = load_inputs(protocol, cache, opts)?;
    let trials = expand(protocol, inputs.tasks.len(), inputs.replicates);
    let dir = claim(&opts.out, opts.force, opts.shard)?;
    let key = checkpoint_key(protocol, &inputs, &trials, opts);
    let checkpoint = runner::open_checkpoint(&dir, &key, opts)?;
    let snapshots = runner::snapshot_dir(&checkpoint, inputs.images.as_ref());
    // A shard runs its part of the first stage: the proxy networks when there are any, else
    // the trials.
    if let Some(shard) = opts.shard
        && !protocol.proxies().is_empty()
    {
        return score_proxies_shard(protocol, &mut inputs, shard, (dir, checkpoint, key), opts);
    }
    let (tasks, batches) = (&mut inputs.tasks, &inputs.batches);
    let networks = score_proxies(protocol, tasks, batches, opts, &checkpoint, None)?;
    let env = TrialEnv {
        faults: &opts.faults,
        images: inputs.images.as_ref(),
        snapshots: snapshots.as_deref(),
    };
    let trial = |t: &EstimationTrial| run_trial(protocol, &inputs.tasks[t.task], t, env);
    let encoder = Encoder {
        protocol,
        tasks: &inputs.tasks,
        hashes: protocol
            .estimators
            .iter()
            .map(runner::params_hash)
            .collect(),
    };
    let encode = |chunk: &[EstimationTrial], outcomes| encoder.encode(chunk, outcomes);
    if let Some(shard) = opts.shard {
        let cost = |t: &EstimationTrial| {
            runner::expected_cost(protocol.estimators[t.estimator].capabilities())
        };
        let run = ShardRun {
            shard,
            dir,
            checkpoint,
            key,
            images: Some(protocol.images.spec()),
            protocol_text: &protocol.common.text,
        };
        return runner::run_trials_shard(&trials, cost, 2, run, opts, trial, encode);
    }
    let stage = Stage {
        checkpoint: &checkpoint,
        name: "trials",
        outputs: 2,
        only: None,
    };
    let written = write_results(protocol, &dir, &trials, (opts, stage), trial, encode)?;
    let results = runner::Results {
        files: written.files,
        replicates: inputs.replicates,
        rows: written.rows,
        trials: trials.len() as u64,
        failed_trials: written.failed,
        capabilities: recorded_capabilities(protocol),
        progress: networks.and(written.progress),
    };
    let estimation = estimation_info(protocol, &inputs);
    let run = Run::Estimation { estimation };
    let finished = runner::finish(dir, checkpoint, &protocol.common, clock, results, opts, run)?;
    Ok(Ran::Finished(Box::new(finished)))
}

/// A shard of a run with proxies scores its part of the proxy networks (nearly all of such
/// a run's time); `nash merge` then runs the trials.
fn score_proxies_shard(
    protocol: &EstimationProtocol,
    inputs: &mut EstimationInputs,
    shard: crate::shard::Shard,
    (dir, checkpoint, key): (RunDir, Checkpoint, RunKey),
    opts: &RunOptions,
) -> Result<Ran> {
    let chunks = (inputs.networks() as usize).div_ceil(runner::CHUNK);
    let only = shard.chunks(&vec![1.0; chunks]);
    let images = Some(protocol.images.spec());
    let mut record = runner::shard_record(shard, "proxies", &only, key, opts, images);
    shard::begin(&dir, &record, &protocol.common.text)?;
    let (tasks, batches) = (&mut inputs.tasks, &inputs.batches);
    score_proxies(protocol, tasks, batches, opts, &checkpoint, Some(&only))?;
    Ok(Ran::Shard(shard::finish(dir, checkpoint, &mut record)?))
}

/// The capabilities the manifest records: an estimator's result is its scores, never a
/// cost, so a supernet's scores are as reproducible as any burn network's.
fn recorded_capabilities(protocol: &EstimationProtocol) -> Vec<Capabilities> {
    let recorded = |e: &EstimatorSpec| Capabilities {
        weight_sharing: false,
        ..e.capabilities()
    };
    protocol.estimators.iter().map(recorded).collect()
}

/// Checks the run's size, loads every table it reads, draws each replicate's split and
/// loads the images its proxies and supernets see.
fn load_inputs(
    protocol: &EstimationProtocol,
    cache: &Cache,
    opts: &RunOptions,
) -> Result<EstimationInputs> {
    let common = &protocol.common;
    let replicates = runner::replicates(common, opts)?;
    check_size(protocol, opts, replicates)?;
    let train_loaded = match &protocol.train_task {
        Some(t) => Some(runner::load_task(common, cache, t)?),
        None => None,
    };
    let tasks = common
        .tasks
        .iter()
        .map(|t| {
            let loaded = runner::load_task(common, cache, t)?;
            let labels_from = train_loaded.as_ref().unwrap_or(&loaded);
            let splits = (0..replicates)
                .map(|r| split(protocol, &loaded, labels_from, r))
                .collect();
            Ok(EstimationTask {
                properties: loaded.properties(),
                loaded,
                splits,
                proxy_scores: Vec::new(),
                network_failures: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let batches = proxy_batches(protocol, cache, &tasks, replicates)?;
    let images = runner::supernet_images(
        common,
        protocol.weight_sharing(),
        (&protocol.images, protocol.supernet_images),
        cache,
    )?;
    Ok(EstimationInputs {
        tasks,
        train_loaded,
        batches,
        images,
        replicates,
    })
}

/// Refuses a run whose trials, or whose splits held in memory, exceed their bounds.
fn check_size(protocol: &EstimationProtocol, opts: &RunOptions, replicates: u32) -> Result<()> {
    let common = &protocol.common;
    let sizes = |e: &EstimatorSpec| match e.learns() {
        true => protocol.train_sizes.len() as u64,
        false => 1,
    };
    let sizes_per_task: u64 = protocol.estimators.iter().map(sizes).sum();
    let trials = common.tasks.len() as u64 * sizes_per_task * u64::from(replicates);
    runner::check_trial_count(common, opts, trials)?;
    // Every replicate's split stays in memory for the whole run.
    let held = common.tasks.len() as u64 * u64::from(replicates) * protocol.split_size() as u64;
    if held > MAX_SPLIT_ENTRIES {
        return Err(runner::replicates_error(
            common,
            opts,
            format!(
                "the splits of {replicates} replicates hold {held} architectures, more than \
                 {MAX_SPLIT_ENTRIES}; lower the replicates or the evaluated architectures"
            ),
        ));
    }
    Ok(())
}

/// Every trial in order: task, estimator, training size (one for those that learn
/// nothing), replicate.
fn expand(protocol: &EstimationProtocol, tasks: usize, replicates: u32) -> Vec<EstimationTrial> {
    let mut trials = Vec::new();
    for task in 0..tasks {
        for (estimator, spec) in protocol.estimators.iter().enumerate() {
            let sizes: &[usize] = match spec.learns() {
                true => &protocol.train_sizes,
                false => &[0],
            };
            for &train_size in sizes {
                trials.extend((0..replicates).map(|replicate| EstimationTrial {
                    task,
                    estimator,
                    train_size,
                    replicate,
                }));
            }
        }
    }
    trials
}

/// What the run's results depend on (`runner::run_key`, with the train task's table), the
/// image source, and the proxy networks as a first stage when there are proxies.
fn checkpoint_key(
    protocol: &EstimationProtocol,
    inputs: &EstimationInputs,
    trials: &[EstimationTrial],
    opts: &RunOptions,
) -> RunKey {
    let tables = inputs
        .tasks
        .iter()
        .map(|t| &t.loaded)
        .chain(&inputs.train_loaded);
    let mut key = runner::run_key(&protocol.common, inputs.replicates, trials, tables, opts);
    key.values
        .push(("images".to_string(), protocol.images.to_string()));
    if !protocol.proxies().is_empty() {
        key.stages
            .insert(0, ("proxies".to_string(), inputs.networks()));
    }
    key
}

/// Encodes a chunk's outcomes as its two outputs: estimates, then summaries.
struct Encoder<'a> {
    protocol: &'a EstimationProtocol,
    tasks: &'a [EstimationTask],
    /// Each estimator's parameter hash.
    hashes: Vec<String>,
}

impl Encoder<'_> {
    fn encode(&self, chunk: &[EstimationTrial], outcomes: Vec<Outcome>) -> Encoded {
        let mut scored = Vec::new();
        let mut summaries = Vec::with_capacity(chunk.len());
        for (trial, outcome) in chunk.iter().zip(&outcomes) {
            let task = &self.tasks[trial.task];
            let identity = identity(self.protocol, task, &self.hashes, trial);
            let split = &task.splits[trial.replicate as usize];
            scored.extend(
                split
                    .eval
                    .iter()
                    .zip(&outcome.scores)
                    .zip(&split.truth)
                    .map(|((&arch, &score), &truth)| records::estimates::Row {
                        identity,
                        arch_id: arch,
                        arch: task.loaded.space.describe(arch).into(),
                        score,
                        truth,
                    }),
            );
            summaries.push(summary_row(identity, split.eval.len(), outcome));
        }
        let failed = outcomes.iter().filter(|o| o.status != TrialStatus::Ok);
        Encoded {
            batches: vec![
                records::estimates::batch(&scored),
                records::summary::batch(&self.protocol.top_k, &summaries),
            ],
            failed: failed.count() as u64,
        }
    }
}

/// Runs the trials through `runner::drive`, writing estimates.parquet and
/// estimates_summary.parquet as the chunks come.
fn write_results(
    protocol: &EstimationProtocol,
    dir: &RunDir,
    trials: &[EstimationTrial],
    (opts, stage): (&RunOptions, Stage),
    trial: impl Fn(&EstimationTrial) -> Outcome + Sync,
    encode: impl Fn(&[EstimationTrial], Vec<Outcome>) -> Encoded + Sync,
) -> Result<runner::Written> {
    let (estimates, summary) = (records::estimates::FILE, records::summary::FILE);
    let mut estimates_writer =
        ParquetWriter::create(dir.path(), estimates, records::estimates::schema())?;
    let summary_schema = records::summary::schema(&protocol.top_k);
    let mut summary_writer = ParquetWriter::create(dir.path(), summary, summary_schema)?;
    let mut failed = 0;
    let progress = runner::drive(trials, opts, stage, trial, encode, |_, batches, done| {
        failed += done.failed;
        estimates_writer.write(&batches[0])?;
        Ok(summary_writer.write(&batches[1])?)
    })?;
    let (rows, estimates_file) = estimates_writer.finish()?;
    let (_, summary_file) = summary_writer.finish()?;
    Ok(runner::Written {
        files: vec![estimates_file, summary_file],
        rows,
        failed,
        progress,
    })
}

/// What the manifest says of an estimation run: its evaluation, estimators, tasks and the
/// inputs of its proxies and supernets.
fn estimation_info(protocol: &EstimationProtocol, inputs: &EstimationInputs) -> EstimationInfo {
    let has_proxies = !protocol.proxies().is_empty();
    EstimationInfo {
        train_task: protocol.train_task.clone(),
        evaluation: match protocol.evaluation {
            Evaluation::All => "all".into(),
            Evaluation::Sample(n) => n.to_string(),
        },
        train_sizes: protocol.train_sizes.clone(),
        top_k: protocol.top_k.clone(),
        estimators: protocol
            .estimators
            .iter()
            .map(|s| runner::method_info(s.id(), s.name(), s))
            .collect(),
        tasks: inputs
            .tasks
            .iter()
            .map(|t| EstimationTaskInfo {
                task: t.loaded.task.clone(),
                space_size: t.loaded.space.size() as u64,
                n_eval: t.splits[0].eval.len() as u64,
                data: runner::data_source(&t.loaded),
            })
            .collect(),
        proxy_images: has_proxies.then(|| protocol.images.to_string()),
        supernet_images: inputs
            .images
            .as_ref()
            .map(|i| format!("{}, {} images", protocol.images, i.images.len())),
        proxy_batch: has_proxies.then_some(protocol.proxy_batch),
        proxy_inputs: protocol
            .estimators
            .iter()
            .filter_map(|e| {
                let input = match e.proxy()?.input() {
                    "the protocol's images" => {
                        format!("{} (batch {})", protocol.images, protocol.proxy_batch)
                    }
                    other => other.to_string(),
                };
                Some((e.id().to_string(), input))
            })
            .collect(),
        agreement: agreement_pairs(&protocol.estimators),
    }
}

/// Each proxy beside an estimator that reads the file's score of the same proxy.
fn agreement_pairs(estimators: &[EstimatorSpec]) -> Vec<(String, String)> {
    let proxies = estimators
        .iter()
        .filter_map(|e| Some((e, e.proxy()?.naslib_name()?)));
    proxies
        .flat_map(|(p, name)| {
            estimators
                .iter()
                .filter(move |r| r.recorded() == Some(name))
                .map(move |r| (p.id().to_string(), r.id().to_string()))
        })
        .collect()
}

/// The image batch of each (task, replicate) for the zero-cost proxies, if any are asked for.
fn proxy_batches(
    protocol: &EstimationProtocol,
    cache: &Cache,
    tasks: &[EstimationTask],
    replicates: u32,
) -> Result<Vec<Vec<Images>>> {
    if protocol.proxies().is_empty() {
        return Ok(Vec::new());
    }
    let common = &protocol.common;
    tasks
        .iter()
        .map(|t| {
            let shape = t.loaded.nb201_network();
            (0..replicates)
                .map(|r| {
                    let key = trial_key(
                        common.base_seed,
                        &common.name,
                        &t.loaded.task,
                        "images",
                        r as u64,
                    );
                    let mut rng = trial_rngs(key).0;
                    let mut images = images::load(
                        &protocol.images,
                        cache.dir(),
                        protocol.proxy_batch,
                        &mut rng,
                    )?;
                    if shape.input_size == 16 {
                        images = images::halve(&images);
                    }
                    Ok(images)
                })
                .collect::<Result<Vec<_>>>()
        })
        .collect()
}

/// Scores every evaluated architecture of every task and replicate with the protocol's
/// zero-cost proxies, in parallel over architectures, before the trials read them.
fn score_proxies(
    protocol: &EstimationProtocol,
    tasks: &mut [EstimationTask],
    batches: &[Vec<Images>],
    opts: &RunOptions,
    checkpoint: &Checkpoint,
    only: Option<&[bool]>,
) -> Result<runner::Progress> {
    let proxies = protocol.proxies();
    if proxies.is_empty() {
        return Ok(runner::Progress::default());
    }
    let jobs = proxy_networks(tasks);
    let mut scores: Vec<Result<Vec<f64>, String>> = Vec::with_capacity(jobs.len());
    let shared: &[EstimationTask] = tasks;
    let stage = Stage {
        checkpoint,
        name: "proxies",
        outputs: 1,
        only,
    };
    let progress = runner::drive(
        &jobs,
        opts,
        stage,
        |&(t, r, arch)| {
            let images = &batches[t][r];
            score_network(protocol, &shared[t], (r, arch), &proxies, images, opts)
        },
        |_, results| {
            let failed = results.iter().filter(|r| r.is_err()).count() as u64;
            Encoded {
                batches: vec![ProxyScores::batch(&proxies, &results)],
                failed,
            }
        },
        |_, batches, _| {
            scores.extend(ProxyScores::read(&proxies, &batches[0])?);
            Ok(())
        },
    )?;
    for (t, task) in tasks.iter_mut().enumerate() {
        let scored = jobs.iter().zip(&scores).filter(|((jt, _, _), _)| *jt == t);
        keep_scores(
            task,
            &proxies,
            scored.map(|(&(_, r, arch), s)| ((r, arch), s)),
        );
    }
    Ok(progress)
}

/// Every (task, replicate, architecture) whose proxy network is scored, in order.
fn proxy_networks(tasks: &[EstimationTask]) -> Vec<(usize, usize, ArchId)> {
    tasks
        .iter()
        .enumerate()
        .flat_map(|(t, task)| {
            task.splits
                .iter()
                .enumerate()
                .flat_map(move |(r, split)| split.eval.iter().map(move |&a| (t, r, a)))
        })
        .collect()
}

/// Scores one architecture's network of replicate `r` with every proxy, seeded by the
/// network; a failure inside it is its error, not a lost run.
fn score_network(
    protocol: &EstimationProtocol,
    task: &EstimationTask,
    (r, arch): (usize, ArchId),
    proxies: &[proxy::Proxy],
    images: &Images,
    opts: &RunOptions,
) -> Result<Vec<f64>, String> {
    let common = &protocol.common;
    let label = format!("proxy-network/{arch}");
    let key = trial_key(
        common.base_seed,
        &common.name,
        &task.loaded.task,
        &label,
        r as u64,
    );
    // A failure inside one network must not lose the others' scores: its architecture's
    // scores stay undefined and each trial counts the fallback.
    runner::catch_panic(|| {
        opts.faults.check_network(arch);
        let network = task
            .loaded
            .space
            .network(arch)
            .expect("validated with the protocol");
        proxy::score(
            proxy::Arch::of(network, task.loaded.nb201_network()),
            proxies,
            images,
            &mut trial_rngs(key).0,
        )
    })
}

/// Keeps a task's proxy scores per replicate as property columns (undefined where not
/// scored) and each failed network's error.
fn keep_scores<'a>(
    task: &mut EstimationTask,
    proxies: &[proxy::Proxy],
    scored: impl Iterator<Item = ((usize, ArchId), &'a Result<Vec<f64>, String>)>,
) {
    let n = task.loaded.space.size();
    let replicates = task.splits.len();
    let columns = || {
        proxies
            .iter()
            .map(|p| (p.name(), vec![f64::NAN; n]))
            .collect()
    };
    task.proxy_scores = (0..replicates).map(|_| columns()).collect();
    task.network_failures = vec![HashMap::new(); replicates];
    for ((r, arch), values) in scored {
        match values {
            Ok(values) => {
                for ((_, column), v) in task.proxy_scores[r].iter_mut().zip(values) {
                    column[arch as usize] = *v;
                }
            }
            Err(error) => {
                task.network_failures[r].insert(arch, runner::first_line(error));
            }
        }
    }
}

/// The proxy scores of a chunk of networks as a checkpoint keeps them: one column per proxy
/// and the network's error, if it failed.
struct ProxyScores;

impl ProxyScores {
    fn schema(proxies: &[proxy::Proxy]) -> SchemaRef {
        let mut fields: Vec<Field> = proxies
            .iter()
            .map(|p| Field::new(p.name(), DataType::Float64, false))
            .collect();
        fields.push(Field::new("error", DataType::Utf8, true));
        Arc::new(Schema::new(fields))
    }

    fn batch(proxies: &[proxy::Proxy], results: &[Result<Vec<f64>, String>]) -> RecordBatch {
        let mut columns: Vec<ArrayRef> = (0..proxies.len())
            .map(|i| -> ArrayRef {
                Arc::new(Float64Array::from_iter_values(results.iter().map(
                    |r| match r {
                        Ok(values) => values[i],
                        Err(_) => f64::NAN,
                    },
                )))
            })
            .collect();
        columns.push(Arc::new(StringArray::from_iter(
            results.iter().map(|r| r.as_ref().err()),
        )));
        RecordBatch::try_new(ProxyScores::schema(proxies), columns).expect("columns match")
    }

    fn read(
        proxies: &[proxy::Proxy],
        batch: &RecordBatch,
    ) -> Result<Vec<Result<Vec<f64>, String>>> {
        let wrong = || anyhow::anyhow!("a checkpointed proxy chunk has other columns");
        if batch.schema() != ProxyScores::schema(proxies) {
            return Err(wrong());
        }
        let column = |i: usize| batch.column(i).as_any().downcast_ref::<Float64Array>();
        let values: Vec<&Float64Array> = (0..proxies.len())
            .map(column)
            .collect::<Option<_>>()
            .ok_or_else(wrong)?;
        let errors = batch
            .column(proxies.len())
            .as_any()
            .downcast_ref::<StringArray>();
        let errors = errors.ok_or_else(wrong)?;
        Ok((0..batch.num_rows())
            .map(|row| match errors.is_valid(row) {
                true => Err(errors.value(row).to_string()),
                false => Ok(values.iter().map(|c| c.value(row)).collect()),
            })
            .collect())
    }
}

/// A proxy can be undefined for an architecture (jacob_cov of a network whose output ignores
/// its input is NaN in the reference implementation too), or its network can fail, and a
/// recorded score can be missing (NAS-Bench-Suite-Zero's). Such architectures are ranked last, each counted as a fallback with its reason: their score
/// becomes the float just below the lowest defined score.
fn rank_undefined_last(
    scores: &mut [f64],
    archs: &[ArchId],
    estimator: &str,
    network_failures: &HashMap<ArchId, String>,
    fallbacks: &mut Fallbacks,
) {
    let lowest = scores
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    // Just below the lowest defined score: strictly last, whatever the scores' magnitude.
    let floor = if lowest.is_finite() {
        lowest.next_down()
    } else {
        0.0
    };
    for (score, arch) in scores.iter_mut().zip(archs) {
        if !score.is_finite() {
            fallbacks.record(|| {
                let why = network_failures.get(arch).map_or_else(
                    || format!("{estimator} is {score}"),
                    |e| format!("network {e}"),
                );
                format!("architecture {arch}: {why}; ranked last")
            });
            *score = floor;
        }
    }
}

/// The split of replicate `r` of `task`, with labels read from `labels_from`.
fn split(
    protocol: &EstimationProtocol,
    task: &LoadedTask,
    labels_from: &LoadedTask,
    r: u32,
) -> Split {
    let common = &protocol.common;
    let n = task.space.size();
    let key = trial_key(
        common.base_seed,
        &common.name,
        &task.task,
        "split",
        r as u64,
    );
    let (mut perm_rng, mut noise) = trial_rngs(key);
    let mut order: Vec<ArchId> = (0..n as ArchId).collect();
    rng::shuffle(&mut perm_rng, &mut order);
    let largest = protocol.train_sizes.last().copied().unwrap_or(0);
    let n_eval = match protocol.evaluation {
        Evaluation::Sample(m) => m,
        Evaluation::All => n - largest,
    };
    let train = order[..largest].to_vec();
    let eval = order[n - n_eval..].to_vec();
    let (metric, def) = (common.objective.column, common.objective.metric);
    let oracle = Oracle {
        table: &labels_from.table,
        objective: metric,
        test: None,
        cost: None,
        cost_scale: 1.0,
        policy: common.seed_policy,
    };
    let labels = train
        .iter()
        .map(|&a| def.direction.fitness(oracle.query(a, &mut noise).value))
        .collect();
    let truth = eval
        .iter()
        .map(|&a| task.table.mean(metric, a as usize))
        .collect();
    Split {
        train,
        labels,
        eval,
        truth,
    }
}

/// Runs one trial; an estimator that panics fails its trial (NaN scores, the panic's
/// message as the error) rather than ending the run.
fn run_trial(
    protocol: &EstimationProtocol,
    task: &EstimationTask,
    trial: &EstimationTrial,
    env: TrialEnv,
) -> Outcome {
    runner::catch_panic(|| trial_outcome(protocol, task, trial, env)).unwrap_or_else(|error| {
        let n = task.splits[trial.replicate as usize].eval.len();
        failed_outcome(n, TrialStatus::failed(&error))
    })
}

/// The outcome of a trial that failed: undefined scores and figures.
fn failed_outcome(n: usize, status: TrialStatus) -> Outcome {
    let undefined = Correlation {
        value: f64::NAN,
        p_value: f64::NAN,
        warning: None,
    };
    Outcome {
        scores: vec![f64::NAN; n],
        kendall: undefined.clone(),
        spearman: undefined.clone(),
        pearson: undefined,
        top_k: Vec::new(),
        fit_seconds: f64::NAN,
        score_seconds: f64::NAN,
        warning: None,
        status,
        fallbacks: Fallbacks::default(),
    }
}

fn trial_outcome(
    protocol: &EstimationProtocol,
    task: &EstimationTask,
    trial: &EstimationTrial,
    env: TrialEnv,
) -> Outcome {
    let common = &protocol.common;
    let spec: &EstimatorSpec = &protocol.estimators[trial.estimator];
    let split = &task.splits[trial.replicate as usize];
    let label = format!("{}/{}", spec.id(), trial.train_size);
    let key = trial_key(
        common.base_seed,
        &common.name,
        &task.loaded.task,
        &label,
        trial.replicate as u64,
    );
    let (mut rng, _) = trial_rngs(key);
    let snapshot = env.snapshot_file(&key);
    let ctx = trial_context(protocol, task, trial, env, (&key, snapshot.as_deref()));
    let mut estimator = spec.build(&ctx);
    let n = trial.train_size;
    let fit_start = Instant::now();
    env.faults.check_trial(spec.id(), trial.replicate);
    let fitted = estimator.fit(&split.train[..n], &split.labels[..n], &mut rng);
    let fit_seconds = fit_start.elapsed().as_secs_f64();
    let score_start = Instant::now();
    let scored = fitted.and_then(|()| estimator.score(&split.eval));
    let score_seconds = score_start.elapsed().as_secs_f64();
    let mut scores = match scored {
        Ok(scores) => scores,
        Err(e) => return failed_outcome(split.eval.len(), TrialStatus::failed(&e)),
    };
    let mut fallbacks = Fallbacks::default();
    if !spec.learns() {
        let no_networks = HashMap::new();
        let failures = task
            .network_failures
            .get(trial.replicate as usize)
            .unwrap_or(&no_networks);
        rank_undefined_last(
            &mut scores,
            &split.eval,
            spec.id(),
            failures,
            &mut fallbacks,
        );
    }
    let undefined = scores.iter().filter(|s| !s.is_finite()).count();
    if undefined > 0 {
        return failed_outcome(
            split.eval.len(),
            TrialStatus::Failed(format!(
                "{undefined} of {} scores are not finite",
                scores.len()
            )),
        );
    }
    let direction = common.objective.metric.direction;
    let truth: Vec<f64> = split.truth.iter().map(|&v| direction.fitness(v)).collect();
    Outcome {
        fit_seconds,
        score_seconds,
        fallbacks,
        ..agreement(scores, &truth, &protocol.top_k)
    }
}

/// What an estimator's trial knows: the space, the tabulated properties and this
/// replicate's proxy scores, the trial's description (`key` seeds it, `snapshot` is where
/// it saves its state) and the images.
fn trial_context<'a>(
    protocol: &'a EstimationProtocol,
    task: &'a EstimationTask,
    trial: &EstimationTrial,
    env: TrialEnv<'a>,
    (key, snapshot): (&[u8; 32], Option<&'a std::path::Path>),
) -> MethodContext<'a> {
    let common = &protocol.common;
    let proxy_scores = task.proxy_scores.get(trial.replicate as usize);
    let properties = task
        .properties
        .iter()
        .chain(proxy_scores.into_iter().flatten())
        .map(|(name, values)| (*name, values.as_slice()))
        .collect();
    MethodContext {
        space: task.loaded.space.as_ref(),
        properties,
        sources: Vec::new(),
        trial: Some(TrialInfo {
            task: &task.loaded.task,
            replicate: trial.replicate,
            seed: seed_of(key),
            objective: common.objective.metric.name,
            direction: common.objective.metric.direction,
            budget: None,
            train_size: Some(trial.train_size),
            snapshot,
        }),
        images: env.images,
    }
}

/// How well `scores` rank the architectures by `truth` (higher is better): Kendall tau-b,
/// Spearman, Pearson and, where tau is defined, top-k agreement.
fn agreement(scores: Vec<f64>, truth: &[f64], k: &[usize]) -> Outcome {
    let kendall = kendall_tau_b(&scores, truth);
    let warning = kendall.warning.clone();
    let top = if warning.is_none() {
        top_k(&scores, truth, k)
    } else {
        Vec::new()
    };
    Outcome {
        spearman: spearman(&scores, truth),
        pearson: pearson(&scores, truth),
        kendall,
        top_k: top,
        scores,
        fit_seconds: f64::NAN,
        score_seconds: f64::NAN,
        warning,
        status: TrialStatus::Ok,
        fallbacks: Fallbacks::default(),
    }
}

/// Which trial a record belongs to.
fn identity<'a>(
    protocol: &'a EstimationProtocol,
    task: &'a EstimationTask,
    hashes: &'a [String],
    trial: &EstimationTrial,
) -> Identity<'a> {
    let name = task.loaded.task.as_str();
    Identity {
        protocol: &protocol.common.name,
        task: name,
        train_task: protocol.train_task.as_deref().unwrap_or(name),
        estimator: protocol.estimators[trial.estimator].id(),
        estimator_params_hash: &hashes[trial.estimator],
        train_size: trial.train_size as u32,
        replicate: trial.replicate,
    }
}

/// The summary record of a trial that ranked `n_eval` architectures.
fn summary_row<'a>(
    identity: Identity<'a>,
    n_eval: usize,
    outcome: &'a Outcome,
) -> records::summary::Row<'a> {
    records::summary::Row {
        identity,
        n_train: identity.train_size,
        n_eval: n_eval as u32,
        kendall_tau: outcome.kendall.value,
        kendall_p: outcome.kendall.p_value,
        spearman_rho: outcome.spearman.value,
        spearman_p: outcome.spearman.p_value,
        pearson_r: outcome.pearson.value,
        pearson_p: outcome.pearson.p_value,
        top_k: outcome
            .top_k
            .iter()
            .map(|t| records::summary::TopK {
                k: t.k,
                precision: t.precision,
                best_rank: Some(t.best_rank as u32),
                ndcg: t.ndcg,
            })
            .collect(),
        fit_seconds: outcome.fit_seconds,
        score_seconds: outcome.score_seconds,
        warning: outcome.warning.as_deref(),
        end: records::TrialEnd {
            status: outcome.status.record(),
            error: outcome.status.error(),
            fallbacks: outcome.fallbacks.count(),
            fallback_reason: outcome.fallbacks.first_reason(),
        },
    }
}
