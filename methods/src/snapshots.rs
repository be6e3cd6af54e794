//! Snapshots inside one trial: a weight-sharing search (minutes on the CPU defaults, hours at
//! the paper's setting) saves its state after every round of its training loops, so a run
//! killed in the middle of it resumes that search where its last round ended, not from the
//! start. The run's checkpoint (the harness' `checkpoint.rs`) resumes whole chunks of trials;
//! this is the unit below it, as argmin keeps checkpointing apart from its solvers.
//!
//! A search is a sequence of loops (DARTS: one over epochs; few-shot NAS: a warm-up, then one
//! per sub-supernet; DARTS-PT: the DARTS epochs, then one round per decided edge), each run
//! through [`Snapshots::rounds`] with the state it changes. After each round the file holds,
//! per loop in the order the search ran them, the rounds done, the trial generator's position
//! after them and the state's bytes. A resumed search runs its code from the start: a loop
//! whose last round is saved restores its state and generator and skips the rounds done, so
//! only the work between the last save and the kill is repeated, and the architecture found
//! is bit-identical to an uninterrupted search's (tested per method). What happens between
//! loops (deriving, probing, one-shot selection) runs again; it is a few passes of the
//! network. When the search ends, the file keeps only the architecture it found. (The
//! one-shot estimator trains its supernet through the same loops; its file keeps the last
//! state until the run is committed, and its fit time is the harness' wall clock of the last
//! attempt.)
//!
//! File layout (little-endian): `nash-snapshot/1\n`, the trial generator's seed and stream,
//! the CPU seconds of earlier attempts up to their last save, the architecture found (flag,
//! id) and the generator's position after it, the loops (rounds, generator position, state
//! length, state), and a sha256 of everything before it. It is written under a temporary name
//! and renamed; an unreadable or foreign file is reported on stderr and the search starts
//! over.

use std::path::{Path, PathBuf};

use datasets::ArchId;
use datasets::files::write_atomic;
use datasets::rng::TrialRng;
use sha2::{Digest, Sha256};

const MAGIC: &[u8] = b"nash-snapshot/1\n";

/// State a search loop changes, written to and read back from bytes in one fixed order.
pub trait Snapshot {
    fn save(&self, out: &mut Bytes);
    /// Overwrites `self` with what `save` wrote; a length that differs is an error.
    fn restore(&mut self, input: &mut Reader<'_>) -> Result<(), String>;
}

/// The bytes a snapshot is being written to.
#[derive(Default)]
pub struct Bytes(Vec<u8>);

impl Bytes {
    pub fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    pub fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }

    /// A length, then the values.
    pub fn f32s(&mut self, values: &[f32]) {
        self.u64(values.len() as u64);
        for v in values {
            self.0.extend_from_slice(&v.to_bits().to_le_bytes());
        }
    }

    /// A length, then the values.
    pub fn f64s(&mut self, values: &[f64]) {
        self.u64(values.len() as u64);
        for &v in values {
            self.f64(v);
        }
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.u64(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
    }
}

/// Bytes a snapshot is read back from, in the order they were written.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.bytes.len() < n {
            return Err("ends early".to_string());
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }

    pub fn f64(&mut self) -> Result<f64, String> {
        self.u64().map(f64::from_bits)
    }

    fn length(&mut self, expected: usize) -> Result<(), String> {
        match self.u64()? {
            n if n == expected as u64 => Ok(()),
            n => Err(format!("holds {n} values where {expected} were expected")),
        }
    }

    /// Values written by [`Bytes::f32s`], into `values` (of the same length).
    pub fn f32s(&mut self, values: &mut [f32]) -> Result<(), String> {
        self.length(values.len())?;
        for v in values {
            *v = f32::from_bits(u32::from_le_bytes(
                self.take(4)?.try_into().expect("4 bytes"),
            ));
        }
        Ok(())
    }

    /// Values written by [`Bytes::f64s`], into `values` (of the same length).
    pub fn f64s(&mut self, values: &mut [f64]) -> Result<(), String> {
        self.length(values.len())?;
        for v in values {
            *v = self.f64()?;
        }
        Ok(())
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = usize::try_from(self.u64()?).map_err(|_| "too long".to_string())?;
        self.take(n)
    }
}

impl<A: Snapshot, B: Snapshot> Snapshot for (A, B) {
    fn save(&self, out: &mut Bytes) {
        self.0.save(out);
        self.1.save(out);
    }

    fn restore(&mut self, input: &mut Reader<'_>) -> Result<(), String> {
        self.0.restore(input)?;
        self.1.restore(input)
    }
}

impl Snapshot for Vec<f32> {
    fn save(&self, out: &mut Bytes) {
        out.f32s(self);
    }

    fn restore(&mut self, input: &mut Reader<'_>) -> Result<(), String> {
        input.f32s(self)
    }
}

/// One loop's last saved round.
struct Saved {
    rounds: u64,
    position: u128,
    state: Vec<u8>,
}

/// A search's snapshots, kept in one file per trial (or nowhere: unit tests, benchmarks,
/// runs without a checkpoint), and the CPU time the search has used in all its attempts.
pub struct Snapshots {
    file: Option<PathBuf>,
    seed: ([u8; 32], u64),
    loops: Vec<Saved>,
    /// The loop the search runs next.
    next: usize,
    found: Option<(ArchId, u128)>,
    earlier_seconds: f64,
    started: f64,
    /// Tests stop the search after this many saves, as a kill would.
    #[cfg(test)]
    pub(crate) stop_after: Option<usize>,
    /// Saves made by this attempt (tests count the rounds a resumed search ran).
    #[cfg(test)]
    pub(crate) saves: usize,
    /// Every loop's last saved state when the search ended (tests compare them).
    #[cfg(test)]
    pub(crate) last_states: Vec<Vec<u8>>,
}

impl Snapshots {
    /// Snapshots kept nowhere.
    pub fn none(rng: &TrialRng) -> Snapshots {
        Snapshots {
            file: None,
            seed: (rng.get_seed(), rng.get_stream()),
            loops: Vec::new(),
            next: 0,
            found: None,
            earlier_seconds: 0.0,
            started: thread_cpu_seconds(),
            #[cfg(test)]
            stop_after: None,
            #[cfg(test)]
            saves: 0,
            #[cfg(test)]
            last_states: Vec::new(),
        }
    }

    /// The snapshots of the trial whose generator is `rng`, kept in `file`: what an earlier
    /// attempt saved there is resumed (and said on stderr).
    pub fn open(file: &Path, rng: &TrialRng) -> Snapshots {
        let mut snapshots = Snapshots {
            file: Some(file.to_path_buf()),
            ..Snapshots::none(rng)
        };
        match std::fs::read(file) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => eprintln!(
                "{}: cannot read ({e}); the search starts over",
                file.display()
            ),
            Ok(bytes) => match snapshots.read(&bytes) {
                Ok(()) => eprintln!(
                    "{}: resuming a supernet search ({})",
                    file.display(),
                    snapshots.progress()
                ),
                Err(e) => {
                    eprintln!("{}: {e}; the search starts over", file.display());
                    snapshots.loops.clear();
                    snapshots.found = None;
                    snapshots.earlier_seconds = 0.0;
                }
            },
        }
        snapshots
    }

    fn progress(&self) -> String {
        match self.found {
            Some(_) => "it had ended: its architecture is kept".to_string(),
            None => {
                let rounds: Vec<String> = self.loops.iter().map(|l| l.rounds.to_string()).collect();
                format!("rounds done per loop: {}", rounds.join(", "))
            }
        }
    }

    fn read(&mut self, bytes: &[u8]) -> Result<(), String> {
        let Some((body, digest)) = bytes.split_last_chunk::<32>() else {
            return Err("too short for a snapshot".to_string());
        };
        if Sha256::digest(body).as_slice() != digest {
            return Err("damaged (its sha256 does not match)".to_string());
        }
        let body = body
            .strip_prefix(MAGIC)
            .ok_or("not a nash snapshot (version 1)")?;
        let mut input = Reader { bytes: body };
        let seed = input.take(32)?;
        let stream = input.u64()?;
        if seed != self.seed.0 || stream != self.seed.1 {
            return Err("written by another trial".to_string());
        }
        self.earlier_seconds = input.f64()?;
        let found = input.u64()?;
        let (arch, position) = (input.u64()?, read_position(&mut input)?);
        if found == 1 {
            let arch = ArchId::try_from(arch).map_err(|_| "bad architecture id")?;
            self.found = Some((arch, position));
        }
        for _ in 0..input.u64()? {
            let rounds = input.u64()?;
            let position = read_position(&mut input)?;
            let state = input.bytes()?.to_vec();
            self.loops.push(Saved {
                rounds,
                position,
                state,
            });
        }
        match input.bytes.is_empty() {
            true => Ok(()),
            false => Err("has bytes after its last loop".to_string()),
        }
    }

    fn write(&self) {
        let Some(file) = &self.file else { return };
        let mut out = Bytes(MAGIC.to_vec());
        out.0.extend_from_slice(&self.seed.0);
        out.u64(self.seed.1);
        out.f64(self.seconds());
        let (arch, position) = self.found.unwrap_or((0, 0));
        out.u64(u64::from(self.found.is_some()));
        out.u64(u64::from(arch));
        write_position(&mut out, position);
        out.u64(self.loops.len() as u64);
        for saved in &self.loops {
            out.u64(saved.rounds);
            write_position(&mut out, saved.position);
            out.bytes(&saved.state);
        }
        let digest = Sha256::digest(&out.0);
        out.0.extend_from_slice(&digest);
        // A snapshot that cannot be written costs only the resumability it would have given.
        if let Err(e) = write_atomic(file, &out.0) {
            eprintln!("{}: cannot write a snapshot: {e}", file.display());
        }
    }

    /// `count` rounds of `round` (given the round's index) over `state`, saving `state` and
    /// the generator after each; rounds an earlier attempt saved are restored, not run.
    pub fn rounds<S: Snapshot>(
        &mut self,
        count: usize,
        state: &mut S,
        rng: &mut TrialRng,
        mut round: impl FnMut(&mut S, usize, &mut TrialRng),
    ) {
        // A loop without rounds saves nothing, so it takes no place among the saved loops.
        if count == 0 {
            return;
        }
        let ordinal = self.next;
        self.next += 1;
        let mut start = 0;
        if let Some(saved) = self.loops.get(ordinal) {
            // The file's digest pins its bytes and the run's key the protocol; a state whose
            // layout differs (another build of nash) is found by its length before anything
            // is overwritten, said, and its loop starts over from the restored ones before it.
            let mut layout = Bytes::default();
            state.save(&mut layout);
            let mut input = Reader {
                bytes: &saved.state,
            };
            let restored = if layout.0.len() == saved.state.len() {
                state.restore(&mut input)
            } else {
                Err("its state has another layout than this build's".to_string())
            };
            match restored {
                Ok(()) => {
                    rng.set_word_pos(saved.position);
                    start = saved.rounds as usize;
                }
                Err(e) => {
                    eprintln!(
                        "{}: loop {ordinal}: {e}; the loop starts over",
                        self.describe()
                    );
                    self.loops.truncate(ordinal);
                }
            }
        }
        for r in start..count {
            round(state, r, rng);
            if self.file.is_none() {
                continue;
            }
            let mut bytes = Bytes::default();
            state.save(&mut bytes);
            self.loops.truncate(ordinal);
            self.loops.push(Saved {
                rounds: r as u64 + 1,
                position: rng.get_word_pos(),
                state: bytes.0,
            });
            self.write();
            #[cfg(test)]
            self.stop_if_asked();
        }
    }

    #[cfg(test)]
    fn stop_if_asked(&mut self) {
        self.saves += 1;
        if let Some(n) = self.stop_after.as_mut() {
            *n -= 1;
            if *n == 0 {
                panic!("stopped as a kill would");
            }
        }
    }

    fn describe(&self) -> String {
        self.file
            .as_ref()
            .map_or("snapshot".to_string(), |f| f.display().to_string())
    }

    /// The architecture an earlier attempt of this search found, with the generator moved to
    /// where that search left it.
    pub fn found(&self, rng: &mut TrialRng) -> Option<ArchId> {
        let (arch, position) = self.found?;
        rng.set_word_pos(position);
        Some(arch)
    }

    /// Records the architecture the search found; the loops' states are dropped.
    pub fn finish(&mut self, arch: ArchId, rng: &TrialRng) {
        self.found = Some((arch, rng.get_word_pos()));
        #[cfg(test)]
        {
            self.last_states = self.loops.iter().map(|l| l.state.clone()).collect();
        }
        self.loops.clear();
        self.write();
    }

    /// CPU seconds the search has used: this attempt's, and earlier attempts' up to their
    /// last save (work repeated after a kill is counted once per attempt that did it), less
    /// what was set aside with [`Snapshots::set_aside`].
    pub fn seconds(&self) -> f64 {
        self.earlier_seconds + thread_cpu_seconds() - self.started
    }

    /// Leaves `seconds` of this thread's CPU time out of the search's (work the trial did for
    /// the whole run, such as preparing the shared images).
    pub fn set_aside(&mut self, seconds: f64) {
        self.started += seconds;
    }
}

fn write_position(out: &mut Bytes, position: u128) {
    out.u64(position as u64);
    out.u64((position >> 64) as u64);
}

fn read_position(input: &mut Reader<'_>) -> Result<u128, String> {
    let low = input.u64()?;
    let high = input.u64()?;
    Ok(u128::from(low) | (u128::from(high) << 64))
}

/// CPU seconds the calling thread has used (the cost a supernet search records).
pub fn thread_cpu_seconds() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}
