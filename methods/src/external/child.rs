//! A child process that speaks `nash-external/1`: started on first use by a worker thread,
//! leased to one trial at a time, put back when the trial ended in step with nash, killed
//! when anything went wrong (the next trial starts a fresh one).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use datasets::space::Encoding;
use serde::Serialize;

use super::{PROTOCOL, Reply, Role};

/// How many of the child's last stderr lines a failure quotes.
const STDERR_LINES: usize = 3;

/// The longest line nash reads from a child (a bound on memory, far above any real reply).
const MAX_LINE: usize = 256 << 20;

/// How long a child that was told to stop (its stdin closed) may take before it is killed.
const GRACE: Duration = Duration::from_secs(2);

/// How many programs that had exited between trials were started anew, in this process.
static RESTARTS: AtomicU64 = AtomicU64::new(0);

/// How many external programs this process has restarted because they had exited between
/// two trials (the one case in which a program is replaced without a failed trial).
pub fn restarts() -> u64 {
    RESTARTS.load(Ordering::Relaxed)
}

/// A running child, after a successful handshake.
pub struct Child {
    process: std::process::Child,
    /// Non-blocking, so that a program that stops reading cannot hold nash past `timeout_s`.
    stdin: Option<ChildStdin>,
    /// Messages not yet written.
    pending: Vec<u8>,
    lines: Lines,
    /// The child's last stderr lines.
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// Disconnects when the stderr reader has read everything (the child's stderr closed).
    stderr_done: Receiver<()>,
    /// The architecture encodings the child asked for in its hello.
    pub encodings: Vec<Encoding>,
    /// Whether its output ended or its input closed: the child has exited, or is exiting.
    gone: bool,
}

/// What an idle child did since its last trial ended.
enum Idle {
    Quiet,
    /// Its output ended: it exited between trials.
    Gone,
    /// It printed this, out of turn.
    Printed(String),
}

impl Child {
    /// Starts `command` and exchanges hellos.
    fn start(command: &[String], role: Role, timeout: Duration) -> Result<Child, String> {
        if role == Role::Search {
            share_a_cpu();
        }
        let mut process = Command::new(&command[0])
            .args(&command[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", command.join(" ")))?;
        let stdout = process.stdout.take().expect("piped");
        let stderr = process.stderr.take().expect("piped");
        let stdin = match non_blocking(process.stdin.take().expect("piped")) {
            Ok(stdin) => stdin,
            Err(e) => {
                let _ = process.kill();
                let _ = process.wait();
                return Err(e);
            }
        };
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let kept = Arc::clone(&tail);
        let (reading, stderr_done) = channel::<()>();
        thread::spawn(move || {
            let _reading = reading;
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
                if kept.len() == STDERR_LINES {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
        });
        let mut child = Child {
            stdin: Some(stdin),
            pending: Vec::new(),
            process,
            lines: Lines {
                stdout,
                buffer: Vec::new(),
                start: 0,
                scanned: 0,
                chunk: vec![0; 1 << 16],
                ended: false,
            },
            stderr: tail,
            stderr_done,
            encodings: Vec::new(),
            gone: false,
        };
        let hello = child
            .send(&serde_json::json!({
                "type": "hello",
                "protocol": PROTOCOL,
                "role": role.name(),
                "nash": env!("CARGO_PKG_VERSION"),
            }))
            .and_then(|()| child.receive(timeout));
        let error = match hello {
            Ok(Reply::Hello {
                protocol,
                encodings,
            }) if protocol == PROTOCOL => {
                child.encodings = encodings;
                return Ok(child);
            }
            Ok(Reply::Hello { protocol, .. }) => {
                format!("speaks protocol '{protocol}', nash speaks '{PROTOCOL}'")
            }
            Ok(other) => format!("answered hello with '{}'", other.kind()),
            Err(e) => e,
        };
        Err(child.failure(&error))
    }

    /// Queues one message line; messages go out together when nash waits for a reply (a
    /// `tell` and the next `ask` cost one write).
    pub fn send(&mut self, message: &impl Serialize) -> Result<(), String> {
        serde_json::to_writer(&mut self.pending, message)
            .map_err(|e| format!("cannot be sent a message ({e})"))?;
        self.pending.push(b'\n');
        Ok(())
    }

    /// Writes what is queued, then reads one reply, both within `timeout`. A reply of type
    /// `error` is an error.
    pub fn receive(&mut self, timeout: Duration) -> Result<Reply, String> {
        let deadline = Instant::now() + timeout;
        let seconds = timeout.as_secs_f64();
        if !self.write_pending(deadline)? {
            return Err(format!(
                "stopped reading its input for timeout_s = {seconds}"
            ));
        }
        let line = self
            .lines
            .next(deadline)
            .inspect_err(|_| self.gone = self.lines.ended)?;
        let line = line.ok_or_else(|| self.lines.no_reply(seconds))?;
        match serde_json::from_str::<Reply>(&line) {
            Ok(Reply::Error { message }) => Err(format!("reported an error: {message}")),
            Ok(reply) => Ok(reply),
            Err(e) if ["NaN", "Infinity"].iter().any(|t| line.contains(t)) => Err(format!(
                "sent NaN or Infinity, which JSON cannot carry ({e}): {}",
                snippet(&line)
            )),
            Err(e) => Err(format!(
                "printed a line that is not a nash-external/1 message ({e}): {}",
                snippet(&line)
            )),
        }
    }

    /// Writes the queued messages; false if the program took them too slowly.
    fn write_pending(&mut self, deadline: Instant) -> Result<bool, String> {
        let stdin = self.stdin.as_mut().expect("open until dropped");
        let mut written = 0;
        while written < self.pending.len() {
            match stdin.write(&self.pending[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if !ready(stdin.as_raw_fd(), libc::POLLOUT, deadline)? {
                        return Ok(false);
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    self.gone = e.kind() == ErrorKind::BrokenPipe;
                    return Err(format!("stopped reading its input ({e})"));
                }
            }
        }
        self.pending.clear();
        Ok(true)
    }

    /// What the child printed since nash last read from it (zero wait).
    fn idle(&mut self) -> Result<Idle, String> {
        let lines = &mut self.lines;
        if lines.start == lines.buffer.len() {
            if !ready(lines.stdout.as_raw_fd(), libc::POLLIN, Instant::now())? {
                return Ok(Idle::Quiet);
            }
            match lines.stdout.read(&mut lines.chunk) {
                Ok(0) | Err(_) => return Ok(Idle::Gone),
                Ok(n) => lines.buffer.extend_from_slice(&lines.chunk[..n]),
            }
        }
        let unread = &lines.buffer[lines.start..];
        let line = unread.split(|&b| b == b'\n').next().unwrap_or_default();
        Ok(Idle::Printed(snippet(
            String::from_utf8_lossy(line).trim_end(),
        )))
    }

    /// `error`, with how the child ended (it is killed first) and its last stderr lines.
    fn failure(mut self, error: &str) -> String {
        // A child that is exiting gets a moment to be reaped, so its exit status is reported.
        let deadline = Instant::now() + Duration::from_millis(200);
        let exited = loop {
            match self.process.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(2)),
                _ => break None,
            }
        };
        let status = match exited {
            Some(status) => format!("; {status}"),
            None => {
                let _ = self.process.kill();
                let _ = self.process.wait();
                "; nash stopped it".to_string()
            }
        };
        // Its last words: stderr closes when it ends (unless a grandchild holds it open).
        let _ = self.stderr_done.recv_timeout(Duration::from_millis(200));
        let tail = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        let stderr = if tail.is_empty() {
            String::new()
        } else {
            let lines: Vec<&str> = tail.iter().map(|l| l.trim()).collect();
            format!("; stderr: {}", snippet(&lines.join(" ⏎ ")))
        };
        format!("{error}{status}{stderr}")
    }
}

impl Drop for Child {
    /// Closes the child's input (a client ends its loop there), then kills it if it lingers.
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + GRACE;
        while Instant::now() < deadline {
            match self.process.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => thread::sleep(Duration::from_millis(5)),
            }
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The child's stdout, read line by line in the trial's own thread, each read bounded by a
/// deadline (poll(2)): no reader thread, so a reply costs no hand-over between threads.
struct Lines {
    stdout: ChildStdout,
    buffer: Vec<u8>,
    /// Where the unread part of `buffer` starts.
    start: usize,
    /// How much of the unread part holds no line end (already searched).
    scanned: usize,
    /// What one read fills (allocated once).
    chunk: Vec<u8>,
    /// Whether the output has ended.
    ended: bool,
}

impl Lines {
    /// The next line, without its line end; None if none came before `deadline`.
    fn next(&mut self, deadline: Instant) -> Result<Option<String>, String> {
        loop {
            let unread = &self.buffer[self.start..];
            if let Some(at) = unread[self.scanned..].iter().position(|&b| b == b'\n') {
                let end = self.scanned + at;
                let line = String::from_utf8_lossy(&unread[..end])
                    .trim_end()
                    .to_string();
                self.start += end + 1;
                self.scanned = 0;
                return Ok(Some(line));
            }
            self.scanned = unread.len();
            if unread.len() >= MAX_LINE {
                return Err(format!("printed a line over {MAX_LINE} bytes"));
            }
            if !ready(self.stdout.as_raw_fd(), libc::POLLIN, deadline)? {
                return Ok(None);
            }
            self.buffer.drain(..self.start);
            self.start = 0;
            match self.stdout.read(&mut self.chunk) {
                Ok(0) => {
                    self.ended = true;
                    return Err("exited early (end of its output)".into());
                }
                Ok(n) => self.buffer.extend_from_slice(&self.chunk[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("cannot be read: {e}")),
            }
        }
    }
}

impl Lines {
    /// Why no reply came within `seconds`: half a line without its end, or nothing at all,
    /// which is most often output that a program buffers and never flushes.
    fn no_reply(&self, seconds: f64) -> String {
        let unread = &self.buffer[self.start..];
        if unread.is_empty() {
            return format!(
                "sent no reply within timeout_s = {seconds}: it printed nothing at all since its \
                 last message (a program that does not flush its output after every line, e.g. \
                 Python's print without flush=True on a pipe, looks like this)"
            );
        }
        format!(
            "sent no complete reply within timeout_s = {seconds}: it printed '{}' without a \
             line end",
            snippet(&String::from_utf8_lossy(unread))
        )
    }
}

/// Whether `fd` is ready for `events` (POLLIN: something to read, or its end; POLLOUT: room
/// to write, or the reader gone) before `deadline`.
fn ready(fd: RawFd, events: libc::c_short, deadline: Instant) -> Result<bool, String> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = left.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
        let mut poll = libc::pollfd {
            fd,
            events,
            revents: 0,
        };
        // SAFETY: one valid pollfd, borrowed for the duration of the call.
        match unsafe { libc::poll(&mut poll, 1, ms) } {
            0 => return Ok(false),
            n if n > 0 => return Ok(true),
            _ => {
                let e = std::io::Error::last_os_error();
                if e.kind() != ErrorKind::Interrupted {
                    return Err(format!("cannot be waited for: {e}"));
                }
            }
        }
    }
}

/// `stdin` with O_NONBLOCK set.
fn non_blocking(stdin: ChildStdin) -> Result<ChildStdin, String> {
    let fd = stdin.as_raw_fd();
    // SAFETY: fcntl on a descriptor `stdin` owns, reading then setting its status flags.
    let set = unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        flags >= 0 && libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) == 0
    };
    match set {
        true => Ok(stdin),
        false => Err(format!(
            "cannot make its input non-blocking: {}",
            std::io::Error::last_os_error()
        )),
    }
}

/// A line cut to 200 characters for an error message.
fn snippet(line: &str) -> String {
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

/// Pins this worker thread, once, to one of the CPUs it may use (dealt round-robin among the
/// threads that ask), so that the search programs it starts, which inherit its CPU, share
/// it. A search thread and its program take turns — each waits while the other works — so
/// sharing costs no parallelism, and every reply is handed over on one CPU instead of waking
/// an idle one: on the 2-vCPU VM nash is measured on, that made a one-thread run of
/// external-python.yaml 3.2× faster (docs/performance.md). Estimators, which exchange a few
/// messages and may compute for long on many cores, are left where the system puts them.
fn share_a_cpu() {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        static PINNED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if PINNED.with(|p| p.replace(true)) {
        return;
    }
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: cpu_set_t is plain data, zeroed then filled by the kernel or the CPU_* macros;
    // the calls read or set the affinity of the calling thread only.
    unsafe {
        let mut allowed = std::mem::zeroed::<libc::cpu_set_t>();
        if libc::sched_getaffinity(0, size, &mut allowed) != 0 {
            return;
        }
        let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &allowed))
            .collect();
        if cpus.len() < 2 {
            return;
        }
        let cpu = cpus[NEXT.fetch_add(1, Ordering::Relaxed) as usize % cpus.len()];
        let mut one = std::mem::zeroed::<libc::cpu_set_t>();
        libc::CPU_SET(cpu, &mut one);
        libc::sched_setaffinity(0, size, &one);
    }
}

type PoolKey = (Vec<String>, Role);

thread_local! {
    /// This worker thread's idle children, by command and role. They end with the thread:
    /// the run's worker pool is dropped when its trials are done.
    static IDLE: RefCell<Vec<(PoolKey, Child)>> = const { RefCell::new(Vec::new()) };
}

/// Stops this thread's idle children: their input is closed, and each has 2 s to exit
/// before it is killed. The runner calls it on every worker thread when a run's trials are
/// done.
pub fn stop_idle() {
    let idle = IDLE.with(|idle| std::mem::take(&mut *idle.borrow_mut()));
    drop(idle);
}

/// Makes a write to a program that closed its input fail with EPIPE in this thread, rather
/// than kill nash with SIGPIPE (which nash's main restores for its own output).
fn block_sigpipe() {
    thread_local! {
        static BLOCKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if BLOCKED.with(|b| b.replace(true)) {
        return;
    }
    // SAFETY: a signal set on the stack, initialised by sigemptyset before use, and a mask
    // change for the calling thread only.
    unsafe {
        let mut set = std::mem::zeroed::<libc::sigset_t>();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// A child leased to one trial. It goes back to the thread's pool only if the trial ended
/// in step with nash ([`Lease::finished`]); otherwise it is stopped when the lease drops.
pub struct Lease {
    key: PoolKey,
    child: Option<Child>,
    reused: bool,
    finished: bool,
    /// Whether the child, when it failed, had exited.
    gone: bool,
}

impl Lease {
    /// This thread's idle child for `command`, or a new one.
    pub fn take(command: &[String], role: Role, timeout: Duration) -> Result<Lease, String> {
        block_sigpipe();
        let key = (command.to_vec(), role);
        let idle = IDLE.with(|idle| {
            let mut idle = idle.borrow_mut();
            let at = idle.iter().position(|(k, _)| *k == key)?;
            Some(idle.swap_remove(at).1)
        });
        let mut lease = Lease {
            key,
            child: None,
            reused: false,
            finished: false,
            gone: false,
        };
        let Some(mut child) = idle else {
            lease.child = Some(Child::start(command, role, timeout)?);
            return Ok(lease);
        };
        match child.idle()? {
            Idle::Quiet => {
                child
                    .stderr
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clear();
                lease.child = Some(child);
                lease.reused = true;
            }
            // It exited between trials (no trial was running): a new one takes its place.
            Idle::Gone => {
                drop(child);
                lease.restart(command, role, timeout)?;
            }
            Idle::Printed(line) => {
                return Err(child.failure(&format!(
                    "printed a line out of turn after its previous trial had ended, where nash \
                     expected nothing before this trial's start_trial: {line}"
                )));
            }
        }
        Ok(lease)
    }

    /// Replaces a reused child that has exited (between trials) by a new one, and counts it.
    pub fn restart(
        &mut self,
        command: &[String],
        role: Role,
        timeout: Duration,
    ) -> Result<(), String> {
        RESTARTS.fetch_add(1, Ordering::Relaxed);
        self.child = Some(Child::start(command, role, timeout)?);
        self.reused = false;
        self.gone = false;
        Ok(())
    }

    /// Whether the child served an earlier trial.
    pub fn reused(&self) -> bool {
        self.reused
    }

    /// Whether the child failed because it had exited (its output ended, or its input
    /// closed), rather than by what it said.
    pub fn gone(&self) -> bool {
        self.gone
    }

    pub fn child(&mut self) -> &mut Child {
        self.child.as_mut().expect("held until failed")
    }

    /// Marks the trial as ended: the child may serve the next trial if it is in step, having
    /// printed nothing beyond the replies nash read; otherwise the error says so.
    pub fn finished(&mut self) -> Result<(), String> {
        let lines = &mut self.child().lines;
        let mut unread = lines.start < lines.buffer.len();
        if !unread && ready(lines.stdout.as_raw_fd(), libc::POLLIN, Instant::now())? {
            // More output, or its end: a program may exit once it has replied.
            match lines.stdout.read(&mut lines.chunk) {
                Ok(0) => {
                    // Gone, or going: not kept; the next trial starts a new one, counted as
                    // the restart of a program that exited between trials.
                    RESTARTS.fetch_add(1, Ordering::Relaxed);
                    self.child = None;
                    return Ok(());
                }
                Ok(_) => unread = true,
                Err(e) => return Err(self.fail(&format!("cannot be read: {e}"))),
            }
        }
        if unread {
            return Err(self.fail("printed a line nash did not ask for"));
        }
        self.finished = true;
        Ok(())
    }

    /// Stops the child and says how: `error` with its exit status and last stderr lines.
    pub fn fail(&mut self, error: &str) -> String {
        match self.child.take() {
            Some(child) => {
                self.gone = child.gone;
                child.failure(error)
            }
            None => error.to_string(),
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(child) = self.child.take()
            && self.finished
        {
            IDLE.with(|idle| idle.borrow_mut().push((self.key.clone(), child)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A program in sh: its hello, then `script` (one line read per `read l`).
    fn program(script: &str) -> Vec<String> {
        let hello = r#"read l; echo '{"type":"hello","protocol":"nash-external/1"}'; "#;
        vec!["sh".into(), "-c".into(), format!("{hello}{script}")]
    }

    const SECOND: Duration = Duration::from_secs(1);

    /// One exchange of a trial that ends in step: `ping` answered by `started`.
    fn serve_one_trial(command: &[String]) {
        let mut lease = Lease::take(command, Role::Search, SECOND).unwrap();
        lease
            .child()
            .send(&serde_json::json!({"type": "ping"}))
            .unwrap();
        let reply = lease.child().receive(SECOND).unwrap();
        assert_eq!(reply.kind(), "started");
        lease.finished().unwrap();
    }

    #[test]
    fn a_line_printed_between_trials_fails_the_next_one() {
        let command = program(
            r#"read l; echo '{"type":"started"}'; sleep 0.2; echo '{"type":"archs","archs":[]}'; sleep 5"#,
        );
        serve_one_trial(&command);
        std::thread::sleep(Duration::from_millis(600));
        let e = Lease::take(&command, Role::Search, SECOND).err().unwrap();
        assert!(
            e.starts_with(
                "printed a line out of turn after its previous trial had ended, where nash \
                 expected nothing before this trial's start_trial: {\"type\":\"archs\""
            ),
            "{e}"
        );
        stop_idle();
    }

    #[test]
    fn a_program_that_exits_between_trials_is_restarted_and_counted() {
        let command = program(r#"read l; echo '{"type":"started"}'; exit 0"#);
        // The exit is counted once: when the trial ends, if its end of output has come by
        // then, else when the next trial finds it gone.
        let before = restarts();
        serve_one_trial(&command);
        std::thread::sleep(Duration::from_millis(300));
        let lease = Lease::take(&command, Role::Search, SECOND).unwrap();
        assert!(!lease.reused());
        // Other tests of this process may restart programs too.
        assert!(restarts() > before);
        drop(lease);
        stop_idle();
    }

    #[test]
    fn a_silent_program_is_told_to_flush_and_half_a_line_is_named() {
        let silent = program("sleep 5");
        let mut lease = Lease::take(&silent, Role::Search, SECOND).unwrap();
        let timeout = Duration::from_millis(100);
        let e = lease.child().receive(timeout).err().unwrap();
        assert!(
            e.contains("it printed nothing at all since its last message"),
            "{e}"
        );
        assert!(e.contains("print without flush=True"), "{e}");
        let half = program(r#"printf '{"type":"sta'; sleep 5"#);
        let mut lease = Lease::take(&half, Role::Search, SECOND).unwrap();
        let e = lease.child().receive(timeout).err().unwrap();
        assert!(
            e.contains(r#"it printed '{"type":"sta' without a line end"#),
            "{e}"
        );
    }
}
