//! What every run shares: options, trial status and panics, data loading, the parallel trial
//! driver, and the manifest. The kinds live in `search` and `estimation`; `crate::run`
//! dispatches to them.
//!
//! Trials run in parallel in fixed-size batches and are written in trial order, so the
//! results do not depend on the thread count.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use arrow_array::RecordBatch;
use datasets::{Cache, LoadedTask, SeedPolicy};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use methods::external::TrialAbort;
use methods::registry::Capabilities;
use methods::supernet::SupernetImages;
use rayon::prelude::*;
use reports::records::manifest::{
    DataSource, HostInfo, Manifest, MethodInfo, ProtocolInfo, Reproducibility, Resumed, Run,
};
use serde::Serialize;

use crate::checkpoint::{Checkpoint, ChunkDone, RunKey};
use crate::faults::Faults;
use crate::protocol::{Common, MAX_REPLICATES, MAX_TRIALS};
use crate::run_dir::RunDir;
use crate::seeding::{trial_key, trial_rngs};
use crate::shard::{Shard, ShardDone, ShardRecord};
use datasets::files::sha256_hex;
use reports::records::PartialFile;

/// Trials per batch: each batch runs in parallel, then is appended to the Parquet files.
pub(crate) const CHUNK: usize = 256;

pub struct RunOptions {
    pub out: PathBuf,
    pub threads: usize,
    pub replicates: Option<u32>,
    pub force: bool,
    pub progress: bool,
    /// Panics to inject, for tests (`NASH_FAULTS`).
    pub faults: Faults,
    /// Run only this shard's chunks, into a shard directory for `nash merge`.
    pub shard: Option<Shard>,
    /// The run finishes a merge of this many shards (its checkpoint joins theirs).
    pub merging: Option<usize>,
}

/// Opens the run's checkpoint (`Checkpoint::open`) and says what it holds already: the
/// chunks of an interrupted attempt, or of the shards being merged.
pub(crate) fn open_checkpoint(dir: &RunDir, key: &RunKey, opts: &RunOptions) -> Result<Checkpoint> {
    let checkpoint = Checkpoint::open(dir.path(), key, opts.force)?;
    let done = crate::checkpoint::chunks_done(dir.path());
    match opts.merging {
        Some(shards) => {
            eprintln!("merging {shards} shards: {done} chunks joined from their checkpoints")
        }
        None if done > 0 => {
            eprintln!("resuming an interrupted run: {done} chunks were done by an earlier attempt")
        }
        None => {}
    }
    Ok(checkpoint)
}

/// How a trial ended: every trial has a status in the result files, and a failed one the
/// first line of its error. A failed trial never stops the others.
#[derive(Debug, Clone, PartialEq)]
pub enum TrialStatus {
    Ok,
    Failed(String),
}

impl TrialStatus {
    /// The status the result files record.
    pub fn record(&self) -> reports::records::Status {
        match self {
            TrialStatus::Ok => reports::records::Status::Ok,
            TrialStatus::Failed(_) => reports::records::Status::Failed,
        }
    }

    pub fn error(&self) -> Option<&str> {
        match self {
            TrialStatus::Ok => None,
            TrialStatus::Failed(e) => Some(e),
        }
    }

    pub fn failed(message: &str) -> TrialStatus {
        TrialStatus::Failed(first_line(message))
    }
}

/// The first line of an error message, at most 500 characters, for a result file's cell.
pub fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or("").trim();
    match line.char_indices().nth(500) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

thread_local! {
    /// Whether this thread is running a trial, whose panic fails only that trial.
    static IN_TRIAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the current thread is inside [`catch_panic`] (for the panic hook's wording).
pub fn in_trial() -> bool {
    IN_TRIAL.with(std::cell::Cell::get)
}

/// The message a panic carried.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message")
}

/// Runs `f`, turning a panic into an error holding the panic's message (an external method's
/// [`TrialAbort`] into its error as it is). Trials only read
/// shared state, so nothing is left half-updated by a panic.
pub(crate) fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let outer = IN_TRIAL.with(|t| t.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_TRIAL.with(|t| t.set(outer));
    result.map_err(|payload| match payload.downcast::<TrialAbort>() {
        Ok(abort) => abort.0,
        Err(payload) => format!("panicked: {}", panic_message(payload.as_ref())),
    })
}

/// The replicate count after `--replicates`.
pub(crate) fn replicates(common: &Common, opts: &RunOptions) -> Result<u32> {
    match opts.replicates.unwrap_or(common.replicates) {
        r if (1..=MAX_REPLICATES).contains(&r) => Ok(r),
        r => bail!("--replicates must be between 1 and {MAX_REPLICATES}, got {r}"),
    }
}

/// An error about the replicate count: at the protocol's `replicates`, or at `--replicates`
/// when that overrides it.
pub(crate) fn replicates_error(
    common: &Common,
    opts: &RunOptions,
    message: String,
) -> anyhow::Error {
    match opts.replicates {
        Some(r) => anyhow::anyhow!("--replicates {r}: {message}"),
        None => common.replicates_at.error(message).into(),
    }
}

/// Refuses a protocol that expands to more trials than nash runs in one go.
pub(crate) fn check_trial_count(common: &Common, opts: &RunOptions, count: u64) -> Result<()> {
    if count > MAX_TRIALS {
        return Err(replicates_error(
            common,
            opts,
            format!(
                "{count} trials (tasks × methods × sizes × replicates), more than {MAX_TRIALS}; \
                 lower the replicates or split the protocol"
            ),
        ));
    }
    Ok(())
}

/// The most worker threads `--threads` may ask for on this machine.
pub fn max_threads() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    (4 * cpus).max(16)
}

/// Loads one task's table, checking what needs the data (fixed seeds every architecture has).
pub(crate) fn load_task(common: &Common, cache: &Cache, task: &str) -> Result<LoadedTask> {
    let def = common.benchmark;
    let loaded = cache.load(def.name, task)?;
    if let SeedPolicy::Fixed(k) = common.seed_policy {
        let min = loaded.table.min_seeds();
        if k as usize >= min {
            let short = (0..loaded.table.n_archs())
                .filter(|&a| loaded.table.seeds(a) <= k as usize)
                .count();
            return Err(common
                .seed_policy_at
                .error(format!(
                    "seed_policy fixed:{k}: {short} architectures of {}/{task} have only {min} \
                     training seeds; use a seed below {min}, mean or sample",
                    def.name
                ))
                .into());
        }
    }
    Ok(loaded)
}

/// A chunk's results as the result files take them: one batch per output, and how many of
/// its trials failed.
pub(crate) struct Encoded {
    pub batches: Vec<RecordBatch>,
    pub failed: u64,
}

/// Where `drive` persists each finished chunk: a checkpoint, under a stage name, with a
/// fixed number of outputs per chunk; and, for a shard, which chunks it runs.
pub(crate) struct Stage<'a> {
    pub checkpoint: &'a Checkpoint,
    pub name: &'static str,
    pub outputs: usize,
    /// The chunks this shard runs (None: all of them).
    pub only: Option<&'a [bool]>,
}

/// Runs `trial` over `trials` on `threads` threads in chunks. Each chunk's results are
/// encoded as batches and persisted in the checkpoint before `absorb` takes them, in trial
/// order; a chunk finished by an earlier, interrupted attempt is read back instead of run,
/// so `absorb` sees the same batches either way.
pub(crate) fn drive<T: Sync, R: Send>(
    trials: &[T],
    opts: &RunOptions,
    stage: Stage,
    trial: impl Fn(&T) -> R + Sync,
    encode: impl Fn(&[T], Vec<R>) -> Encoded + Sync,
    mut absorb: impl FnMut(&[T], &[RecordBatch], &ChunkDone) -> Result<()>,
) -> Result<Progress> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .context("cannot start the worker threads")?;
    let bar = progress_bar(trials.len() as u64, opts.progress);
    let mut progress = Progress {
        chunks: trials.len().div_ceil(CHUNK) as u64,
        ..Progress::default()
    };
    for (index, chunk) in trials.chunks(CHUNK).enumerate() {
        if stage.only.is_some_and(|only| !only[index]) {
            bar.inc(chunk.len() as u64);
            continue;
        }
        if let Some((batches, done)) = stage.checkpoint.load(stage.name, index, stage.outputs) {
            progress.chunks_reused += 1;
            progress.restarts += done.restarts;
            bar.inc(chunk.len() as u64);
            absorb(chunk, &batches, &done)?;
            continue;
        }
        let started = Instant::now();
        let restarts = methods::external::restarts();
        let results: Vec<R> = pool.install(|| {
            chunk
                .par_iter()
                .map(|t| {
                    let r = trial(t);
                    bar.inc(1);
                    r
                })
                .collect()
        });
        // On the run's pool: encoding builds columns in parallel.
        let encoded = pool.install(|| encode(chunk, results));
        let done = ChunkDone {
            trials: chunk.len() as u64,
            failed: encoded.failed,
            seconds: started.elapsed().as_secs_f64(),
            rows: encoded.batches.iter().map(RecordBatch::num_rows).collect(),
            restarts: methods::external::restarts() - restarts,
        };
        progress.restarts += done.restarts;
        stage
            .checkpoint
            .save(stage.name, index, &encoded.batches, &done)?;
        absorb(chunk, &encoded.batches, &done)?;
    }
    // External programs end with the run, not whenever the pool's threads exit.
    pool.broadcast(|_| methods::external::stop_idle());
    bar.finish_and_clear();
    Ok(progress)
}

/// How a run's chunks went over all its attempts.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Progress {
    pub chunks: u64,
    /// Chunks read back from a checkpoint.
    pub chunks_reused: u64,
    /// External programs restarted because they had exited between trials.
    pub restarts: u64,
}

impl Progress {
    /// Both stages' progress.
    pub fn and(self, other: Progress) -> Progress {
        Progress {
            chunks: self.chunks + other.chunks,
            chunks_reused: self.chunks_reused + other.chunks_reused,
            restarts: self.restarts + other.restarts,
        }
    }

    /// What the manifest says of a resumed run.
    fn resumed(self) -> Option<Resumed> {
        (self.chunks_reused > 0).then_some(Resumed {
            chunks_reused: self.chunks_reused,
            chunks: self.chunks,
        })
    }
}

/// A trial's expected cost, for balancing shards: training burn networks or running an
/// external program dwarfs a table walk, and learning a model sits between.
pub(crate) fn expected_cost(capabilities: Capabilities) -> f64 {
    if capabilities.networks {
        1000.0
    } else if capabilities.external {
        100.0
    } else if capabilities.learns {
        10.0
    } else {
        1.0
    }
}

/// The images weight-sharing methods and estimators train their supernets on, when the
/// protocol has any (`wanted`): `count` of `source`, one seeded draw for the whole run, so
/// every method, task and replicate sees the same images.
pub(crate) fn supernet_images(
    common: &Common,
    wanted: bool,
    (source, count): (&datasets::images::ImageSource, usize),
    cache: &Cache,
) -> Result<Option<SupernetImages>> {
    if !wanted {
        return Ok(None);
    }
    let key = trial_key(common.base_seed, &common.name, "supernet", "images", 0);
    let mut rng = trial_rngs(key).0;
    let images = datasets::images::load(source, cache.dir(), count, &mut rng)?;
    Ok(Some(SupernetImages::new(images)))
}

/// What every trial of a run is given besides its own description: the fault injection,
/// the supernet images (weight-sharing runs) and the directory in which weight-sharing
/// trials keep their snapshots.
#[derive(Clone, Copy)]
pub(crate) struct TrialEnv<'a> {
    pub faults: &'a Faults,
    pub images: Option<&'a SupernetImages>,
    pub snapshots: Option<&'a Path>,
}

impl TrialEnv<'_> {
    /// The snapshot file of the trial with `key` (its hex, in the snapshot directory).
    pub fn snapshot_file(&self, key: &[u8; 32]) -> Option<PathBuf> {
        self.snapshots
            .map(|dir| dir.join(format!("{}.snap", datasets::files::hex(key))))
    }
}

/// The snapshot directory of a run with supernet `images` (None without them).
pub(crate) fn snapshot_dir(
    checkpoint: &Checkpoint,
    images: Option<&SupernetImages>,
) -> Option<PathBuf> {
    images.map(|_| checkpoint.snapshot_dir())
}

/// The record of a shard that ran the chunks `only` of `stage`.
pub(crate) fn shard_record(
    shard: Shard,
    stage: &str,
    only: &[bool],
    key: RunKey,
    opts: &RunOptions,
    images: Option<String>,
) -> ShardRecord {
    ShardRecord {
        shard,
        stage: stage.to_string(),
        chunks: (0..only.len()).filter(|&c| only[c]).collect(),
        key,
        replicates: opts.replicates,
        images,
        finished: false,
    }
}

/// What a shard of a run records itself with.
pub(crate) struct ShardRun<'a> {
    pub shard: Shard,
    pub dir: RunDir,
    pub checkpoint: Checkpoint,
    pub key: RunKey,
    /// An estimation protocol's image source, as `--images` reads it.
    pub images: Option<String>,
    pub protocol_text: &'a str,
}

/// `nash run --shard`: runs this shard's chunks of the trials (chunks dealt by the trials'
/// expected `cost`) into the checkpoint, and records the shard for `nash merge`.
pub(crate) fn run_trials_shard<T: Sync, R: Send>(
    trials: &[T],
    cost: impl Fn(&T) -> f64,
    outputs: usize,
    run: ShardRun,
    opts: &RunOptions,
    trial: impl Fn(&T) -> R + Sync,
    encode: impl Fn(&[T], Vec<R>) -> Encoded + Sync,
) -> Result<Ran> {
    let only = run.shard.chunks(&chunk_costs(trials, cost));
    let stage = Stage {
        checkpoint: &run.checkpoint,
        name: "trials",
        outputs,
        only: Some(&only),
    };
    let mut record = shard_record(run.shard, "trials", &only, run.key, opts, run.images);
    crate::shard::begin(&run.dir, &record, run.protocol_text)?;
    drive(trials, opts, stage, trial, encode, |_, _, _| Ok(()))?;
    Ok(Ran::Shard(crate::shard::finish(
        run.dir,
        run.checkpoint,
        &mut record,
    )?))
}

/// Each chunk's expected cost: the sum of its trials' `cost`.
pub(crate) fn chunk_costs<T>(trials: &[T], cost: impl Fn(&T) -> f64) -> Vec<f64> {
    trials
        .chunks(CHUNK)
        .map(|chunk| chunk.iter().map(&cost).sum())
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

/// sha256 of a method's or estimator's parameters as canonical JSON.
pub(crate) fn params_hash(spec: &impl Serialize) -> String {
    let json = serde_json::to_string(spec).expect("parameters serialize");
    sha256_hex(json.as_bytes())
}

/// The manifest entry of a method or estimator.
pub(crate) fn method_info(id: &str, name: &str, spec: &impl Serialize) -> MethodInfo {
    MethodInfo {
        id: id.to_string(),
        method: name.to_string(),
        params_hash: params_hash(spec),
        params: serde_json::to_value(spec).expect("parameters serialize"),
        workers: None,
    }
}

pub(crate) fn protocol_info(common: &Common, replicates: u32) -> ProtocolInfo {
    ProtocolInfo {
        name: common.name.clone(),
        sha256: common.sha256.clone(),
        text: common.text.clone(),
        benchmark: common.benchmark.name.to_string(),
        objective: common.objective.metric.name.to_string(),
        direction: match common.objective.metric.direction {
            datasets::Direction::Maximize => "maximize",
            datasets::Direction::Minimize => "minimize",
        }
        .to_string(),
        seed_policy: common.seed_policy.to_string(),
        replicates,
        base_seed: common.base_seed,
    }
}

pub(crate) fn data_source(loaded: &LoadedTask) -> DataSource {
    let s = &loaded.source;
    DataSource {
        package: s.package.clone(),
        version: s.version.clone(),
        wheel_sha256: s.wheel_sha256.clone(),
        member: s.member.clone(),
        member_sha256: s.member_sha256.clone(),
        table_sha256: s.sha256.clone(),
    }
}

/// When a run started, for the manifest.
pub(crate) struct Clock {
    started: Instant,
    started_at: String,
}

impl Clock {
    pub(crate) fn start() -> Clock {
        Clock {
            started: Instant::now(),
            started_at: crate::timestamp::now_utc(),
        }
    }
}

/// The result files a kind's unsharded run wrote, and how its chunks went.
pub(crate) struct Written {
    pub files: Vec<PartialFile>,
    pub rows: u64,
    pub failed: u64,
    pub progress: Progress,
}

/// What a finished run wrote, for its manifest.
pub(crate) struct Results {
    /// The result files, still under their temporary names.
    pub files: Vec<PartialFile>,
    pub replicates: u32,
    pub rows: u64,
    pub trials: u64,
    pub failed_trials: u64,
    /// The run's methods' or estimators' capabilities (for its reproducibility).
    pub capabilities: Vec<Capabilities>,
    /// Chunks read back from a checkpoint and programs restarted, over all stages.
    pub progress: Progress,
}

/// What a kind's run ended with: the whole run, or one shard of it.
pub enum Ran {
    Finished(Box<Finished>),
    Shard(ShardDone),
}

/// A run whose files are in place, its directory still locked. Its checkpoint stays until
/// the report is written, so that a run killed before then is resumed, not refused.
pub struct Finished {
    pub manifest: Manifest,
    pub dir: RunDir,
    pub checkpoint: Checkpoint,
}

/// The manifest of a finished run of kind `run`; commits the run's files into `dir`, the
/// manifest last.
pub(crate) fn finish(
    dir: RunDir,
    checkpoint: Checkpoint,
    common: &Common,
    clock: Clock,
    results: Results,
    opts: &RunOptions,
    run: Run,
) -> Result<Finished> {
    let mut manifest = Manifest {
        nash_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: option_env!("NASH_GIT_COMMIT").map(str::to_string),
        protocol: protocol_info(common, results.replicates),
        run,
        host: host_info(),
        threads: opts.threads,
        started: clock.started_at,
        finished: crate::timestamp::now_utc(),
        wall_seconds: clock.started.elapsed().as_secs_f64(),
        rows: results.rows,
        trials: results.trials,
        failed_trials: results.failed_trials,
        reproducibility: reproducibility(&results.capabilities),
        resumed: results.progress.resumed(),
        external_restarts: results.progress.restarts,
        files: Vec::new(),
    };
    dir.commit(results.files, &mut manifest, &common.text)?;
    Ok(Finished {
        manifest,
        dir,
        checkpoint,
    })
}

/// What a run's results depend on, for its checkpoint: nash's version, the protocol text,
/// the replicate count, every table read, the trial count, `extra` (a kind's own inputs) and
/// injected faults.
pub(crate) fn run_key<'a, T>(
    common: &Common,
    replicates: u32,
    trials: &[T],
    tables: impl Iterator<Item = &'a LoadedTask>,
    opts: &RunOptions,
) -> RunKey {
    let mut values = vec![
        (
            "nash version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
        ("protocol sha256".to_string(), common.sha256.clone()),
        ("replicates".to_string(), replicates.to_string()),
    ];
    for t in tables {
        let name = format!("table {}/{} sha256", t.benchmark.name, t.task);
        values.push((name, t.source.sha256.clone()));
    }
    if opts.faults != Faults::default() {
        values.push(("NASH_FAULTS".to_string(), format!("{:?}", opts.faults)));
    }
    RunKey {
        values,
        stages: vec![("trials".to_string(), trials.len() as u64)],
        chunk: CHUNK,
    }
}

/// Which machines give the same result files: external programs decide for themselves, burn
/// networks depend on the CPU, everything else is the same everywhere.
fn reproducibility(capabilities: &[Capabilities]) -> Reproducibility {
    if capabilities.iter().any(|c| c.external) {
        Reproducibility::ExternalPrograms
    } else if capabilities.iter().any(|c| c.weight_sharing) {
        Reproducibility::MeasuredCosts
    } else if capabilities.iter().any(|c| c.networks) {
        Reproducibility::SameCpu
    } else {
        Reproducibility::AnyMachine
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
