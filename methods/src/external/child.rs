//! A child process that speaks `nash-external/1`: started on first use by a worker thread,
//! leased to one trial at a time, put back when the trial ended in step with nash, killed
//! when anything went wrong (the next trial starts a fresh one).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, BufWriter, ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
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

/// A running child, after a successful handshake.
pub struct Child {
    process: std::process::Child,
    stdin: Option<BufWriter<ChildStdin>>,
    lines: Lines,
    /// The child's last stderr lines.
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// Disconnects when the stderr reader has read everything (the child's stderr closed).
    stderr_done: Receiver<()>,
    /// The architecture encodings the child asked for in its hello.
    pub encodings: Vec<Encoding>,
}

impl Child {
    /// Starts `command` and exchanges hellos.
    fn start(command: &[String], role: Role, timeout: Duration) -> Result<Child, String> {
        let mut process = Command::new(&command[0])
            .args(&command[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", command.join(" ")))?;
        let stdout = process.stdout.take().expect("piped");
        let stderr = process.stderr.take().expect("piped");
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
            stdin: Some(BufWriter::new(process.stdin.take().expect("piped"))),
            process,
            lines: Lines {
                stdout,
                buffer: Vec::new(),
                start: 0,
                chunk: vec![0; 1 << 16],
            },
            stderr: tail,
            stderr_done,
            encodings: Vec::new(),
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
        let stdin = self.stdin.as_mut().expect("open until dropped");
        serde_json::to_writer(&mut *stdin, message)
            .map_err(std::io::Error::from)
            .and_then(|()| stdin.write_all(b"\n"))
            .map_err(|e| format!("stopped reading its input ({e})"))
    }

    /// Sends what is queued, then reads one reply, waiting at most `timeout`. A reply of type
    /// `error` is an error.
    pub fn receive(&mut self, timeout: Duration) -> Result<Reply, String> {
        let stdin = self.stdin.as_mut().expect("open until dropped");
        stdin
            .flush()
            .map_err(|e| format!("stopped reading its input ({e})"))?;
        let line = self.lines.next(timeout)?;
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
    /// What one read fills (allocated once).
    chunk: Vec<u8>,
}

impl Lines {
    /// The next line, without its line end.
    fn next(&mut self, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let unread = &self.buffer[self.start..];
            if let Some(end) = unread.iter().position(|&b| b == b'\n') {
                let line = String::from_utf8_lossy(&unread[..end])
                    .trim_end()
                    .to_string();
                self.start += end + 1;
                return Ok(line);
            }
            if unread.len() >= MAX_LINE {
                return Err(format!("printed a line over {MAX_LINE} bytes"));
            }
            if !readable(&self.stdout, deadline)? {
                return Err(format!(
                    "sent no reply within timeout_s = {}",
                    timeout.as_secs_f64()
                ));
            }
            self.buffer.drain(..self.start);
            self.start = 0;
            match self.stdout.read(&mut self.chunk) {
                Ok(0) => return Err("exited early (end of its output)".into()),
                Ok(n) => self.buffer.extend_from_slice(&self.chunk[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("cannot be read: {e}")),
            }
        }
    }
}

/// Whether `stdout` has something to read (or has ended) before `deadline`.
fn readable(stdout: &ChildStdout, deadline: Instant) -> Result<bool, String> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = left.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
        let mut fd = libc::pollfd {
            fd: stdout.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, borrowed for the duration of the call.
        match unsafe { libc::poll(&mut fd, 1, ms) } {
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

/// A line cut to 200 characters for an error message.
fn snippet(line: &str) -> String {
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

type PoolKey = (Vec<String>, Role);

thread_local! {
    /// This worker thread's idle children, by command and role. They end with the thread:
    /// the run's worker pool is dropped when its trials are done.
    static IDLE: RefCell<Vec<(PoolKey, Child)>> = const { RefCell::new(Vec::new()) };
}

/// A child leased to one trial. It goes back to the thread's pool only if the trial ended
/// in step with nash ([`Lease::finished`]); otherwise it is stopped when the lease drops.
pub struct Lease {
    key: PoolKey,
    child: Option<Child>,
    finished: bool,
}

impl Lease {
    /// This thread's idle child for `command`, or a new one.
    pub fn take(command: &[String], role: Role, timeout: Duration) -> Result<Lease, String> {
        let key = (command.to_vec(), role);
        let idle = IDLE.with(|idle| {
            let mut idle = idle.borrow_mut();
            let at = idle.iter().position(|(k, _)| *k == key)?;
            Some(idle.swap_remove(at).1)
        });
        let child = match idle {
            Some(child) => child,
            None => Child::start(command, role, timeout)?,
        };
        Ok(Lease {
            key,
            child: Some(child),
            finished: false,
        })
    }

    pub fn child(&mut self) -> &mut Child {
        self.child.as_mut().expect("held until failed")
    }

    /// Marks the trial as ended in step: the child may serve the next trial.
    pub fn finished(&mut self) {
        self.finished = true;
    }

    /// Stops the child and says how: `error` with its exit status and last stderr lines.
    pub fn fail(&mut self, error: &str) -> String {
        match self.child.take() {
            Some(child) => child.failure(error),
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
