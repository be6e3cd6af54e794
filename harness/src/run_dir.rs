//! The run directory a run writes into: its lock, the rule that results are never replaced by
//! accident, and the commit that moves a finished run's files into place.
//!
//! - One writer at a time: `nash run` and `nash report` hold an exclusive `flock` on
//!   `.nash.lock` while they write; the kernel releases it when the process ends, however it
//!   ends. A second run into the same directory is refused at once.
//! - Result files are written as `<name>.partial` and moved into place only when the run has
//!   finished; `manifest.json`, written last, lists each result file with its sha256. A run
//!   interrupted while replacing another (`--force`) leaves files that do not match the
//!   manifest, which `nash report` and `nash compare` refuse, so two runs are never read as one.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use reports::records::manifest::{FileEntry, Manifest};
use reports::records::{self, PartialFile};

/// The lock file inside a run directory.
const LOCK: &str = ".nash.lock";

/// Files of a finished run that a new run would replace.
const RESULT_FILES: [&str; 7] = [
    records::trials::FILE,
    records::cross_task::FILE,
    records::estimates::FILE,
    records::summary::FILE,
    records::manifest::FILE,
    "protocol.yaml",
    "report.md",
];

/// A run directory, locked for writing as long as this value lives.
pub struct RunDir {
    path: PathBuf,
    /// Holds the `flock`; closing the file releases it.
    _lock: File,
}

impl RunDir {
    /// Creates `out` if needed and locks it (`claim.rs` decides whether a run may write
    /// into what it holds).
    pub fn create(out: &Path) -> Result<RunDir> {
        if out.exists() && !out.is_dir() {
            bail!("{}: --out is a file, not a directory", out.display());
        }
        std::fs::create_dir_all(out)
            .with_context(|| format!("{}: cannot create the output directory", out.display()))?;
        RunDir::lock(out)
    }

    /// Locks an existing run directory (to rewrite its report).
    pub fn open(dir: &Path) -> Result<RunDir> {
        if !dir.is_dir() {
            bail!("{}: not a run directory", dir.display());
        }
        RunDir::lock(dir)
    }

    fn lock(dir: &Path) -> Result<RunDir> {
        let path = dir.join(LOCK);
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("{}: cannot create the lock file", path.display()))?;
        // SAFETY: flock on a file descriptor this function owns.
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        if !locked {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            bail!(
                "{}: another nash process (pid {}) is writing into this directory; wait for it \
                 to finish or choose another --out",
                dir.display(),
                holder.trim()
            );
        }
        // The holder's pid, for the message above (informative only: the lock is the flock).
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| write!(file, "{}", std::process::id()));
        Ok(RunDir {
            path: dir.to_path_buf(),
            _lock: file,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves a finished run's files into place, removes the result files of an earlier run
    /// that this one did not write, then writes `protocol.yaml` and, last, the manifest with
    /// each file's size and sha256.
    pub fn commit(
        &self,
        files: Vec<PartialFile>,
        manifest: &mut Manifest,
        protocol_text: &str,
    ) -> Result<()> {
        manifest.files = files
            .iter()
            .map(|f| {
                FileEntry::of(f.name, &f.path)
                    .with_context(|| format!("{}: cannot read", f.path.display()))
            })
            .collect::<Result<_>>()?;
        for f in &files {
            let target = self.path.join(f.name);
            std::fs::rename(&f.path, &target)
                .with_context(|| format!("{}: cannot move into place", target.display()))?;
        }
        for stale in RESULT_FILES {
            let written = files.iter().any(|f| f.name == stale);
            let path = self.path.join(stale);
            if !written && stale.ends_with(".parquet") && path.exists() {
                std::fs::remove_file(&path)
                    .with_context(|| format!("{}: cannot remove", path.display()))?;
            }
        }
        write_file(&self.path.join("protocol.yaml"), protocol_text.as_bytes())?;
        let json = serde_json::to_string_pretty(manifest).expect("the manifest serializes");
        write_file(&self.path.join(records::manifest::FILE), json.as_bytes())
    }
}

/// The first result file of a run that `dir` holds, if any.
pub fn existing_result(dir: &Path) -> Option<&'static str> {
    RESULT_FILES.into_iter().find(|f| dir.join(f).exists())
}

/// The pid of the process writing into `dir`, if one holds its lock.
pub fn holder(dir: &Path) -> Option<String> {
    let mut file = File::open(dir.join(LOCK)).ok()?;
    // SAFETY: flock on a file descriptor this function owns; released when it closes.
    let free = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) } == 0;
    if free {
        return None;
    }
    let mut pid = String::new();
    let _ = file.read_to_string(&mut pid);
    Some(pid.trim().to_string())
}

/// Writes through a temporary file and a rename, so an interrupted run never leaves half a
/// file where a finished one stood.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    datasets::files::write_atomic(path, bytes)
        .with_context(|| format!("{}: cannot write", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("nash-rundir-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn one_writer_at_a_time() {
        let dir = scratch("lock");
        let first = RunDir::create(&dir).unwrap();
        let e = RunDir::create(&dir).err().unwrap().to_string();
        assert!(e.contains("another nash process"), "{e}");
        assert!(e.contains(&std::process::id().to_string()), "{e}");
        drop(first);
        RunDir::create(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn results_are_found_and_out_must_be_a_directory() {
        let dir = scratch("refuse");
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(existing_result(&dir), None);
        std::fs::write(dir.join("trials.parquet"), b"x").unwrap();
        assert_eq!(existing_result(&dir), Some("trials.parquet"));
        let file = dir.join("trials.parquet");
        let e = RunDir::create(&file).err().unwrap().to_string();
        assert!(e.contains("is a file, not a directory"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
