//! Checkpoints: every finished chunk of trials is persisted at once, so a run killed at any
//! moment (`kill -9`, out of memory, pre-emption) continues where it stopped when the same
//! `nash run` command is given again, and its result files are byte-identical to an
//! uninterrupted run's.
//!
//! Layout, inside the run directory:
//!
//! ```text
//! .nash-checkpoint/key.json                  what the results depend on (see `RunKey`)
//! .nash-checkpoint/<stage>-<chunk>-<k>.arrow  output k of a chunk (Arrow IPC, LZ4, one batch)
//! .nash-checkpoint/<stage>-<chunk>.done       written last: the chunk is complete
//! .nash-checkpoint/snapshots/<trial key>.snap  a weight-sharing trial's snapshots
//! ```
//!
//! Each file is written under a temporary name and renamed, the chunk's marker last, so a
//! killed run leaves every chunk complete or absent. Parts are not synced one by one (that
//! cost 7% of nb201-search's time): after an operating-system crash a part the disk lost is
//! found unreadable, or with other row counts than its marker records, and its chunk runs
//! again, with a warning — as for any damaged part. The
//! runner writes the result files from the same batches whether they were computed now or
//! read back, which makes resumed and uninterrupted runs identical. A weight-sharing trial
//! (a whole supernet search) also saves its own state after every round of its training
//! loops (`methods::snapshots`), so a kill loses at most one round of it. The directory is
//! removed once the run is committed.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;

use anyhow::{Context, Result, bail};
use arrow_array::RecordBatch;
use arrow_ipc::CompressionType;
use arrow_ipc::reader::FileReader;
use arrow_ipc::writer::{FileWriter, IpcWriteOptions};
use serde::{Deserialize, Serialize};

/// The checkpoint directory inside a run directory.
pub const DIR: &str = ".nash-checkpoint";

pub(crate) const KEY: &str = "key.json";

/// The command line that wrote the checkpoint (see `Command`).
const COMMAND: &str = "command.json";

const SNAPSHOTS: &str = "snapshots";

/// Everything a run's results depend on, as named values: a checkpoint is resumed only by a
/// run whose key is the same, and a refusal names the values that differ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunKey {
    pub values: Vec<(String, String)>,
    /// Each stage's name and item count (trials; networks for the proxies), and the items per
    /// chunk (for `nash status`).
    pub stages: Vec<(String, u64)>,
    pub chunk: usize,
}

/// How a finished chunk went, kept in its `.done` marker (for `nash status`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChunkDone {
    pub trials: u64,
    pub failed: u64,
    pub seconds: f64,
    /// Rows of each output, checked when the chunk is read back.
    #[serde(default)]
    pub rows: Vec<usize>,
    /// External programs restarted while the chunk ran (they had exited between trials).
    #[serde(default)]
    pub restarts: u64,
}

/// A run directory's checkpoint, open for the run whose key it holds.
pub struct Checkpoint {
    dir: PathBuf,
    /// Chunks on their way to disk: a writer thread encodes, syncs and renames them while the
    /// next chunk runs, so the disk's latency is not the run's.
    saving: Option<Sender<Save>>,
    saver: Mutex<Option<JoinHandle<Result<()>>>>,
}

/// A chunk for the writer thread.
struct Save {
    stage: String,
    chunk: usize,
    batches: Vec<RecordBatch>,
    done: ChunkDone,
}

impl Checkpoint {
    /// Opens the checkpoint of `run_dir` for a run with `key`: an existing checkpoint with
    /// the same key is resumed; one with another key is refused, naming what differs, unless
    /// `force` (it is then discarded).
    pub fn open(run_dir: &Path, key: &RunKey, force: bool) -> Result<Checkpoint> {
        let dir = run_dir.join(DIR);
        let key_path = dir.join(KEY);
        if key_path.exists() {
            let text = std::fs::read_to_string(&key_path)
                .with_context(|| format!("{}: cannot read", key_path.display()))?;
            let found: Option<RunKey> = serde_json::from_str(&text).ok();
            match found {
                Some(found) if found == *key => {
                    record_command(&dir)?;
                    return Ok(Checkpoint::writing_to(dir));
                }
                Some(found) if !force => bail!(
                    "{}: holds an interrupted run that differs from this one ({}); run the \
                     same protocol and options to resume it, or pass --force to discard it",
                    run_dir.display(),
                    differences(&found, key, ("then", "now"))
                ),
                None if !force => bail!(
                    "{}: unreadable checkpoint key; pass --force to discard the checkpoint",
                    key_path.display()
                ),
                _ => {}
            }
        }
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("{}: cannot remove", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
        let json = serde_json::to_string_pretty(key).expect("the key serializes");
        write_whole(&key_path, json.as_bytes(), true)?;
        record_command(&dir)?;
        Ok(Checkpoint::writing_to(dir))
    }

    /// A checkpoint in `dir`, with its writer thread started.
    fn writing_to(dir: PathBuf) -> Checkpoint {
        let (saving, jobs) = channel::<Save>();
        let target = dir.clone();
        let saver = std::thread::spawn(move || -> Result<()> {
            let options = IpcWriteOptions::default()
                .try_with_compression(Some(CompressionType::LZ4_FRAME))?;
            for job in jobs {
                let paths = Paths { dir: &target };
                for (k, batch) in job.batches.iter().enumerate() {
                    let mut bytes = Vec::new();
                    let mut writer = FileWriter::try_new_with_options(
                        &mut bytes,
                        &batch.schema(),
                        options.clone(),
                    )?;
                    writer.write(batch)?;
                    writer.finish()?;
                    drop(writer);
                    write_whole(&paths.part(&job.stage, job.chunk, k), &bytes, false)?;
                }
                // The marker last: a chunk whose marker exists has all its parts written.
                let marker = serde_json::to_vec(&job.done).expect("the marker serializes");
                write_whole(&paths.done(&job.stage, job.chunk), &marker, false)?;
            }
            Ok(())
        });
        Checkpoint {
            dir,
            saving: Some(saving),
            saver: Mutex::new(Some(saver)),
        }
    }

    /// The batches of chunk `chunk` of `stage` and how it went, if it finished in an earlier
    /// attempt; a chunk that cannot be read is removed (and run again), with a warning.
    pub fn load(
        &self,
        stage: &str,
        chunk: usize,
        outputs: usize,
    ) -> Option<(Vec<RecordBatch>, ChunkDone)> {
        let marker = self.done_path(stage, chunk);
        if !marker.exists() {
            return None;
        }
        let read = || -> Result<(Vec<RecordBatch>, ChunkDone)> {
            let text = std::fs::read(&marker)
                .with_context(|| format!("{}: cannot read", marker.display()))?;
            let done: ChunkDone = serde_json::from_slice(&text)
                .with_context(|| format!("{}: damaged", marker.display()))?;
            let batches: Vec<RecordBatch> = (0..outputs)
                .map(|k| read_batch(&self.part_path(stage, chunk, k)))
                .collect::<Result<_>>()?;
            let rows: Vec<usize> = batches.iter().map(RecordBatch::num_rows).collect();
            if rows != done.rows {
                bail!(
                    "{}: parts of {rows:?} rows, the marker says {:?}",
                    marker.display(),
                    done.rows
                );
            }
            Ok((batches, done))
        };
        match read() {
            Ok(found) => Some(found),
            Err(e) => {
                eprintln!("warning: {e:#}; running chunk {chunk} of {stage} again");
                let _ = std::fs::remove_file(&marker);
                None
            }
        }
    }

    /// The directory in which weight-sharing trials keep their snapshots
    /// (`methods::snapshots`: one file per trial, resumed by the trial's next attempt; the
    /// first snapshot written creates it).
    pub fn snapshot_dir(&self) -> PathBuf {
        self.dir.join(SNAPSHOTS)
    }

    /// Persists chunk `chunk` of `stage` (its output batches, then its marker) on the writer
    /// thread; an error of an earlier write surfaces here.
    pub fn save(
        &self,
        stage: &str,
        chunk: usize,
        batches: &[RecordBatch],
        done: &ChunkDone,
    ) -> Result<()> {
        let job = Save {
            stage: stage.to_string(),
            chunk,
            batches: batches.to_vec(),
            done: done.clone(),
        };
        let sent = self.saving.as_ref().map(|s| s.send(job));
        match sent {
            Some(Ok(())) => Ok(()),
            // The writer stopped: its error says why.
            _ => self.join_saver(),
        }
    }

    /// Waits for the writer thread to finish what it was given.
    fn join_saver(&self) -> Result<()> {
        let saver = self.saver.lock().unwrap_or_else(|e| e.into_inner()).take();
        match saver.map(JoinHandle::join) {
            Some(Ok(result)) => result.context("cannot write the checkpoint"),
            Some(Err(_)) => bail!("the checkpoint writer panicked"),
            None => bail!("the checkpoint writer has stopped"),
        }
    }

    /// Waits for the writer and keeps the checkpoint (a shard's, for `nash merge`).
    pub fn close(mut self) -> Result<()> {
        drop(self.saving.take());
        self.join_saver()
    }

    /// Removes the checkpoint (the run is committed), once its writer has finished.
    pub fn remove(mut self) -> Result<()> {
        drop(self.saving.take());
        self.join_saver()?;
        std::fs::remove_dir_all(&self.dir)
            .with_context(|| format!("{}: cannot remove", self.dir.display()))
    }

    fn part_path(&self, stage: &str, chunk: usize, k: usize) -> PathBuf {
        Paths { dir: &self.dir }.part(stage, chunk, k)
    }

    fn done_path(&self, stage: &str, chunk: usize) -> PathBuf {
        Paths { dir: &self.dir }.done(stage, chunk)
    }
}

impl Drop for Checkpoint {
    /// Lets the writer finish what it was given (a run that failed keeps its progress).
    fn drop(&mut self) {
        drop(self.saving.take());
        let _ = self.join_saver();
    }
}

/// The file names inside a checkpoint directory.
pub(crate) struct Paths<'a> {
    pub(crate) dir: &'a Path,
}

impl Paths<'_> {
    fn part(&self, stage: &str, chunk: usize, k: usize) -> PathBuf {
        self.dir.join(format!("{stage}-{chunk:06}-{k}.arrow"))
    }

    pub(crate) fn done(&self, stage: &str, chunk: usize) -> PathBuf {
        self.dir.join(format!("{stage}-{chunk:06}.done"))
    }
}

/// How many chunks of the run in `run_dir` are finished, over all stages.
pub fn chunks_done(run_dir: &Path) -> usize {
    std::fs::read_dir(run_dir.join(DIR)).map_or(0, |entries| {
        entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".done"))
            .count()
    })
}

/// The command line that wrote a checkpoint (`nash run …`, `nash merge …`), kept for
/// `nash status`'s advice: the same command resumes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Command {
    pub cwd: PathBuf,
    pub argv: Vec<String>,
}

impl Command {
    /// The command as a line for a POSIX shell, run from `cwd` when that is not `here`.
    pub fn shell_line(&self, here: &Path) -> String {
        let argv: Vec<String> = self.argv.iter().map(|a| shell_quote(a)).collect();
        match self.cwd == here {
            true => argv.join(" "),
            false => format!(
                "cd {} && {}",
                shell_quote(&self.cwd.display().to_string()),
                argv.join(" ")
            ),
        }
    }
}

/// `text` as one word of a POSIX shell: as it is when it is plain, else single-quoted.
pub fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c));
    match plain {
        true => text.to_string(),
        false => format!("'{}'", text.replace('\'', r"'\''")),
    }
}

/// Records this process's command line in the checkpoint directory `dir`.
fn record_command(dir: &Path) -> Result<()> {
    let command = Command {
        cwd: std::env::current_dir().unwrap_or_default(),
        argv: std::env::args().collect(),
    };
    let json = serde_json::to_string_pretty(&command).expect("the command serializes");
    write_whole(&dir.join(COMMAND), json.as_bytes(), false)
}

/// The command line that last wrote the checkpoint of `run_dir`, if it recorded one.
pub fn recorded_command(run_dir: &Path) -> Option<Command> {
    let text = std::fs::read(run_dir.join(DIR).join(COMMAND)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// How many of `chunks` of `stage` have no marker in the run directory `run_dir`.
pub(crate) fn missing(run_dir: &Path, stage: &str, chunks: &[usize]) -> usize {
    let dir = run_dir.join(DIR);
    let paths = Paths { dir: &dir };
    chunks
        .iter()
        .filter(|&&c| !paths.done(stage, c).exists())
        .count()
}

/// Makes `out`'s checkpoint the union of `shards`' (each shard's files linked, or copied
/// where links cannot be made), under `key`. A checkpoint of the same run already there (a
/// merge interrupted) is completed; one of another run is refused unless `force`.
pub(crate) fn join(shards: &[PathBuf], out: &Path, key: &RunKey, force: bool) -> Result<()> {
    let target = out.join(DIR);
    let found = std::fs::read(target.join(KEY))
        .ok()
        .and_then(|text| serde_json::from_slice::<RunKey>(&text).ok());
    match found {
        Some(found) if found == *key => {}
        Some(found) if !force => bail!(
            "{}: holds the checkpoint of another run ({}); choose another --out, or pass \
             --force to replace it",
            out.display(),
            differences(&found, key, ("there", "in the shards"))
        ),
        _ => {
            if target.exists() {
                std::fs::remove_dir_all(&target)
                    .with_context(|| format!("{}: cannot remove", target.display()))?;
            }
            std::fs::create_dir_all(&target)
                .with_context(|| format!("{}: cannot create", target.display()))?;
            let json = serde_json::to_string_pretty(key).expect("the key serializes");
            write_whole(&target.join(KEY), json.as_bytes(), true)?;
        }
    }
    for shard in shards {
        let source = shard.join(DIR);
        let entries = std::fs::read_dir(&source)
            .with_context(|| format!("{}: cannot read", source.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("{}: cannot read", source.display()))?;
            let name = entry.file_name();
            let text = name.to_string_lossy();
            // A finished shard's snapshots are not needed: its chunks are complete. Files an
            // interrupted merge has joined already stay.
            let to = target.join(&name);
            let skip = [KEY, COMMAND, SNAPSHOTS].contains(&text.as_ref());
            if skip || text.ends_with(".partial") || to.exists() {
                continue;
            }
            link_or_copy(&entry.path(), &to)?;
        }
    }
    Ok(())
}

/// Links `from` at `to`, or copies it where a link cannot be made (through a temporary file,
/// so that a killed merge leaves it whole or absent).
fn link_or_copy(from: &Path, to: &Path) -> Result<()> {
    if std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    let tmp = to.with_extension("partial");
    std::fs::copy(from, &tmp).with_context(|| format!("{}: cannot copy", from.display()))?;
    std::fs::rename(&tmp, to).with_context(|| format!("{}: cannot write", to.display()))
}

/// The values that differ between a checkpoint's key and this run's.
pub(crate) fn differences(found: &RunKey, now: &RunKey, (was, is): (&str, &str)) -> String {
    let mut said: Vec<String> = Vec::new();
    for (name, value) in &now.values {
        match found.values.iter().find(|(n, _)| n == name) {
            Some((_, old)) if old == value => {}
            Some((_, old)) => said.push(format!("{name}: {old} {was}, {value} {is}")),
            None => said.push(format!("{name}: absent {was}, {value} {is}")),
        }
    }
    for (name, old) in &found.values {
        if !now.values.iter().any(|(n, _)| n == name) {
            said.push(format!("{name}: {old} {was}, absent {is}"));
        }
    }
    if said.is_empty() {
        said.push(format!(
            "stages {:?} in chunks of {} {was}, {:?} in chunks of {} {is}",
            found.stages, found.chunk, now.stages, now.chunk
        ));
    }
    said.join("; ")
}

fn read_batch(path: &Path) -> Result<RecordBatch> {
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut reader =
        FileReader::try_new(file, None).with_context(|| format!("{}: damaged", path.display()))?;
    match reader.next() {
        Some(batch) => batch.with_context(|| format!("{}: damaged", path.display())),
        None => bail!("{}: holds no batch", path.display()),
    }
}

/// Writes `path` through a temporary sibling and a rename, so that a killed process leaves
/// it whole or absent; `sync` also makes it survive an operating-system crash.
fn write_whole(path: &Path, bytes: &[u8], sync: bool) -> Result<()> {
    let tmp = path.with_extension("partial");
    let mut file =
        File::create(&tmp).with_context(|| format!("{}: cannot write", tmp.display()))?;
    file.write_all(bytes)
        .and_then(|()| if sync { file.sync_data() } else { Ok(()) })
        .with_context(|| format!("{}: cannot write", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))
}
