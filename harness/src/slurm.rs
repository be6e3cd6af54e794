//! `nash slurm`: a run as a Slurm array job — one task per shard — and a merge job held until
//! every shard has succeeded (`--dependency=afterok`), the way NAS labs run on clusters.
//!
//! It writes `OUT/slurm/shards.sbatch` and `OUT/slurm/merge.sbatch` (absolute paths to this
//! nash binary, the protocol and the data cache, so the run directory and the cache must be
//! on a filesystem every node shares) and submits both with `sbatch`. Shard I writes into
//! `OUT/shards/I` (logs in `OUT/slurm/`); the merge writes the run's result files and report
//! into `OUT`. A shard that fails can be resubmitted: it resumes from its checkpoint.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The directory of a Slurm run directory that holds its shards, `SHARDS/I`.
pub const SHARDS: &str = "shards";

/// What the sbatch scripts ask of Slurm.
pub struct SlurmOptions {
    pub shards: usize,
    pub partition: Option<String>,
    pub time: Option<String>,
    pub mem: Option<String>,
    pub cpus_per_task: usize,
    /// Submit the scripts (else only write them).
    pub submit: bool,
    /// Replace results already in the output directory.
    pub force: bool,
}

/// The written scripts, and the job ids when they were submitted.
pub struct Submitted {
    pub scripts: [PathBuf; 2],
    pub jobs: Option<(String, String)>,
}

/// Writes the two scripts for running `protocol` into `out` and, unless told not to, submits
/// them.
pub fn submit(
    protocol: &Path,
    out: &Path,
    data_dir: &Path,
    replicates: Option<u32>,
    options: &SlurmOptions,
) -> Result<Submitted> {
    check_options(options)?;
    std::fs::create_dir_all(out.join("slurm"))
        .with_context(|| format!("{}: cannot create", out.join("slurm").display()))?;
    let absolute = |p: &Path| {
        std::fs::canonicalize(p).with_context(|| format!("{}: cannot resolve", p.display()))
    };
    let paths = Paths {
        out: absolute(out)?,
        protocol: absolute(protocol)?,
        data_dir: absolute(data_dir)?,
        nash: std::env::current_exe().context("cannot find the nash binary")?,
    };
    let (shards_script, merge_script) = scripts(&paths, replicates, options);
    let slurm = paths.out.join("slurm");
    let scripts = [slurm.join("shards.sbatch"), slurm.join("merge.sbatch")];
    for (path, text) in scripts.iter().zip([&shards_script, &merge_script]) {
        crate::run_dir::write_file(path, text.as_bytes())?;
    }
    if !options.submit {
        return Ok(Submitted {
            scripts,
            jobs: None,
        });
    }
    let array = sbatch(&[], &scripts[0])?;
    let merge = sbatch(&merge_after(&array), &scripts[1])?;
    Ok(Submitted {
        scripts,
        jobs: Some((array, merge)),
    })
}

/// Refuses shard and CPU counts out of range and sbatch values a script could not quote.
fn check_options(options: &SlurmOptions) -> Result<()> {
    let most = crate::shard::MAX_SHARDS;
    if !(1..=most).contains(&options.shards) {
        bail!(
            "--shards must be between 1 and {most}, got {}",
            options.shards
        );
    }
    if !(1..=1024).contains(&options.cpus_per_task) {
        bail!(
            "--cpus-per-task must be between 1 and 1024, got {}",
            options.cpus_per_task
        );
    }
    let plain = |v: &str| {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "_-:.,+".contains(c);
        !v.is_empty() && v.chars().all(allowed)
    };
    for (flag, value) in sbatch_values(options) {
        if let Some(v) = value
            && !plain(v)
        {
            bail!("--{flag} '{v}': letters, digits and _-:.,+ only");
        }
    }
    Ok(())
}

/// The sbatch options given on the command line, by name.
fn sbatch_values(options: &SlurmOptions) -> [(&'static str, &Option<String>); 3] {
    [
        ("partition", &options.partition),
        ("time", &options.time),
        ("mem", &options.mem),
    ]
}

/// The absolute paths the scripts name.
struct Paths {
    out: PathBuf,
    protocol: PathBuf,
    data_dir: PathBuf,
    nash: PathBuf,
}

/// The text of the array job's script and of the merge job's.
fn scripts(paths: &Paths, replicates: Option<u32>, options: &SlurmOptions) -> (String, String) {
    let n = options.shards;
    let name = paths
        .protocol
        .file_stem()
        .map_or("run".into(), |s| s.to_string_lossy().into_owned());
    let mut head = vec![format!("#SBATCH --cpus-per-task={}", options.cpus_per_task)];
    for (flag, value) in sbatch_values(options) {
        if let Some(v) = value {
            head.push(format!("#SBATCH --{flag}={v}"));
        }
    }
    let replicates = replicates.map_or(String::new(), |r| format!(" --replicates {r}"));
    let common = format!(
        "--threads \"${{SLURM_CPUS_PER_TASK:-1}}\" --data-dir {}",
        quote(&paths.data_dir)
    );
    let out = &paths.out;
    let shards_script = format!(
        "#!/bin/bash\n#SBATCH --job-name=nash-{name}\n#SBATCH --array=0-{last}\n\
         #SBATCH --output={logs}/shard-%a.log\n{head}\nset -euo pipefail\n\
         exec {nash} run {protocol} --shard \"$SLURM_ARRAY_TASK_ID/{n}\" \
         --out {shards}/\"$SLURM_ARRAY_TASK_ID\" {common}{replicates}\n",
        last = n - 1,
        logs = quote(&out.join("slurm")),
        head = head.join("\n"),
        nash = quote(&paths.nash),
        protocol = quote(&paths.protocol),
        shards = quote(&out.join(SHARDS)),
    );
    let shard_dirs: Vec<String> = (0..n)
        .map(|i| quote(&out.join(SHARDS).join(i.to_string())))
        .collect();
    let merge_script = format!(
        "#!/bin/bash\n#SBATCH --job-name=nash-{name}-merge\n\
         #SBATCH --output={log}\n{head}\nset -euo pipefail\n\
         exec {nash} merge {dirs} --out {out} {common}{force}\n",
        log = quote(&out.join("slurm").join("merge.log")),
        head = head.join("\n"),
        nash = quote(&paths.nash),
        dirs = shard_dirs.join(" "),
        out = quote(out),
        force = if options.force { " --force" } else { "" },
    );
    (shards_script, merge_script)
}

/// sbatch's options that hold the merge until the shards of array job `array` have
/// succeeded, and have Slurm cancel it once one has failed (its dependency can no longer be
/// met), rather than leave it pending for ever.
pub fn merge_after(array: &str) -> [String; 2] {
    [
        format!("--dependency=afterok:{array}"),
        "--kill-on-invalid-dep=yes".to_string(),
    ]
}

/// How many array tasks — shards — the shards script `script` submits.
pub fn array_size(script: &Path) -> Result<usize> {
    let text = std::fs::read_to_string(script)
        .with_context(|| format!("{}: cannot read", script.display()))?;
    text.lines()
        .find_map(|line| line.strip_prefix("#SBATCH --array=0-")?.trim().parse().ok())
        .map(|last: usize| last + 1)
        .with_context(|| format!("{}: no '#SBATCH --array=0-N' line", script.display()))
}

/// Submits `script` and returns its job id.
fn sbatch(args: &[String], script: &Path) -> Result<String> {
    let output = Command::new("sbatch")
        .arg("--parsable")
        .args(args)
        .arg(script)
        .output()
        .map_err(|e| {
            anyhow::anyhow!("cannot run sbatch ({e}); pass --no-submit to only write the scripts")
        })?;
    if !output.status.success() {
        bail!(
            "sbatch {}: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let id = text.trim().split(';').next().unwrap_or("").to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        bail!(
            "sbatch {}: unexpected reply '{}'",
            script.display(),
            text.trim()
        );
    }
    Ok(id)
}

/// `path` as one word for bash.
fn quote(path: &Path) -> String {
    crate::checkpoint::shell_quote(&path.display().to_string())
}
