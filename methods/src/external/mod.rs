//! External methods: any program that speaks `nash-external/1` (docs/external-protocol.md)
//! on its stdin and stdout, one JSON object per line, as kurobako runs external solvers. nash
//! keeps the seeds, the budget, the oracle and the records; the program only asks and is told
//! (a search method) or fits and scores (an estimator). It sees what a built-in method sees:
//! the space, the trial's seed, task, objective and budget, and observed values and costs,
//! never seed means or test values.
//!
//! Each worker thread starts one child per command on first use and reuses it across trials
//! (`start_trial` resets it); a child that fails a trial is stopped, and the next trial starts
//! a fresh one. Any failure — a crash, an early exit, a line that is not a message, an
//! architecture outside the space, NaN, another protocol version, no reply within
//! `timeout_s` — fails that trial alone, with the child's last stderr lines in its error.

mod child;

pub use child::{restarts, stop_idle};

use std::path::Path;
use std::time::Duration;

use datasets::space::Encoding;
use datasets::{ArchId, Budget, Direction};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::MethodContext;
use child::Lease;

/// The protocol's name and version, exchanged in the hellos.
pub const PROTOCOL: &str = "nash-external/1";

/// The longest `timeout_s` a protocol may set (a day).
const MAX_TIMEOUT_S: f64 = 86_400.0;

/// What the child is to nash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Search,
    Estimator,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Search => "search",
            Role::Estimator => "estimator",
        }
    }
}

/// A message nash sends during a trial (`hello` and `start_trial` are written out where they
/// are sent).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message<'a> {
    Ask {
        n: usize,
    },
    Tell {
        arch: ArchObject,
        value: f64,
        cost: Option<f64>,
    },
    EndTrial,
    Fit {
        archs: Vec<ArchObject>,
        values: &'a [f64],
    },
    Score {
        archs: Vec<ArchObject>,
    },
}

/// An architecture as nash sends it: its id, arch string and decisions, and the encodings
/// the program asked for in its hello.
#[derive(Debug, Serialize)]
pub struct ArchObject {
    id: ArchId,
    arch: String,
    decisions: Vec<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    onehot: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<Vec<f64>>,
}

/// A message from the child.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    Hello {
        protocol: String,
        /// Encodings to add to every architecture nash sends (`onehot`, `path`).
        #[serde(default)]
        encodings: Vec<Encoding>,
    },
    Archs {
        archs: Vec<ArchRef>,
    },
    Started,
    TrialEnded {
        #[serde(default)]
        fallbacks: u32,
        #[serde(default)]
        fallback_reason: Option<String>,
    },
    Fitted,
    Scores {
        scores: Vec<Option<f64>>,
    },
    /// The child's own report of a failure; it fails the trial.
    Error {
        message: String,
    },
}

impl Reply {
    /// The message's `type`.
    fn kind(&self) -> &'static str {
        match self {
            Reply::Hello { .. } => "hello",
            Reply::Archs { .. } => "archs",
            Reply::Started => "started",
            Reply::TrialEnded { .. } => "trial_ended",
            Reply::Fitted => "fitted",
            Reply::Scores { .. } => "scores",
            Reply::Error { .. } => "error",
        }
    }
}

/// An architecture as the child names it: by `id`, else by `decisions` (one choice index per
/// decision). Other fields are ignored, so a child may send back an object nash sent it.
#[derive(Debug, Deserialize)]
pub struct ArchRef {
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    decisions: Option<Vec<usize>>,
}

/// The payload of an unwind that fails the trial it happens in, with `.0` as the trial's
/// error. Search methods cannot return errors from `ask` and `tell`; an external one unwinds
/// with this, which the runner records like any failed trial.
pub struct TrialAbort(pub String);

/// Fails the current trial with `message` (see [`TrialAbort`]).
pub fn abort_trial(message: String) -> ! {
    std::panic::resume_unwind(Box::new(TrialAbort(message)))
}

/// An external method's `params` when a protocol gives none.
pub fn no_params() -> Value {
    json!({})
}

/// How long nash waits for a reply when a protocol does not say.
pub fn default_timeout_s() -> f64 {
    60.0
}

/// Checks the parameters every external method has; a missing program is an error here,
/// before the run starts.
pub fn check(command: &[String], params: &Value, timeout_s: f64) -> Result<(), String> {
    let Some(program) = command.first() else {
        return Err("command must name a program, e.g. [python3, my_method.py]".into());
    };
    find_program(program)?;
    if !params.is_object() {
        return Err("params must be a mapping".into());
    }
    if !(timeout_s > 0.0 && timeout_s <= MAX_TIMEOUT_S) {
        return Err(format!(
            "timeout_s must be above 0 and at most {MAX_TIMEOUT_S}, got {timeout_s}"
        ));
    }
    Ok(())
}

/// Whether `program` can be started: a path to an executable file, or the name of one on
/// PATH.
fn find_program(program: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |path: &Path| {
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        return match (Path::new(program).is_file(), executable(Path::new(program))) {
            (true, true) => Ok(()),
            (true, false) => Err(format!("command `{program}` is not executable")),
            (false, _) => Err(format!("command `{program}` is not a file")),
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    match std::env::split_paths(&path).any(|dir| executable(&dir.join(program))) {
        true => Ok(()),
        false => Err(format!("command `{program}` is not on PATH")),
    }
}

/// One trial's conversation with a leased child: the handshake's encodings, the messages
/// both roles share, and the architectures in both directions.
pub struct Session<'a> {
    ctx: &'a MethodContext<'a>,
    lease: Lease,
    timeout: Duration,
}

impl<'a> Session<'a> {
    /// Leases a child and tells it the trial. A reused child that has exited between trials
    /// is replaced once by a new one (and counted, for the report); one that answers out of
    /// turn fails the trial.
    pub fn start(
        ctx: &'a MethodContext<'a>,
        role: Role,
        command: &[String],
        params: &Value,
        timeout_s: f64,
    ) -> Result<Session<'a>, String> {
        let timeout = Duration::from_secs_f64(timeout_s);
        let mut session = Session {
            ctx,
            lease: Lease::take(command, role, timeout)?,
            timeout,
        };
        match session.start_trial(role, params) {
            Ok(()) => Ok(session),
            Err(_) if session.lease.reused() && session.lease.gone() => {
                session.lease.restart(command, role, timeout)?;
                session.start_trial(role, params).map(|()| session)
            }
            Err(e) => Err(e),
        }
    }

    fn start_trial(&mut self, role: Role, params: &Value) -> Result<(), String> {
        let space = self.ctx.space;
        for &encoding in &self.lease.child().encodings {
            if space.encode(0, encoding).is_none() {
                return Err(self.fail(&format!(
                    "asked for the {} encoding, which the {} space does not define",
                    encoding.name(),
                    space.name()
                )));
            }
        }
        let trial = self
            .ctx
            .trial
            .as_ref()
            .expect("the runner tells every trial");
        let decisions: Vec<Value> = space
            .decision_labels()
            .into_iter()
            .map(|d| json!({"name": d.name, "choices": d.choices}))
            .collect();
        let message = json!({
            "type": "start_trial",
            "role": role.name(),
            "task": trial.task,
            "replicate": trial.replicate,
            "seed": trial.seed,
            "objective": trial.objective,
            "direction": match trial.direction {
                Direction::Maximize => "maximize",
                Direction::Minimize => "minimize",
            },
            "budget": trial.budget.map(|b| match b {
                Budget::Queries(n) => json!({"queries": n}),
                Budget::SimulatedSeconds(t) => json!({"simulated_seconds": t}),
            }),
            "train_size": trial.train_size,
            "space": {"name": space.name(), "size": space.size(), "decisions": decisions},
            "params": params,
        });
        self.send(&message)?;
        self.expect("started").map(|_| ())
    }

    /// The trial's direction: values are told as the table has them.
    pub fn direction(&self) -> Direction {
        self.ctx.trial.as_ref().expect("started").direction
    }

    /// `arch` as nash sends it.
    pub fn arch(&mut self, arch: ArchId) -> ArchObject {
        let space = self.ctx.space;
        let asked = &self.lease.child().encodings;
        let encoded = |encoding: Encoding| {
            asked
                .contains(&encoding)
                .then(|| space.encode(arch, encoding))
                .flatten()
        };
        ArchObject {
            id: arch,
            arch: space.describe(arch),
            decisions: space.choices(arch),
            onehot: encoded(Encoding::Onehot),
            path: encoded(Encoding::Path),
        }
    }

    /// The architecture the child named; an error if the space has none such.
    pub fn resolve(&self, named: &ArchRef) -> Result<ArchId, String> {
        let space = self.ctx.space;
        match named {
            ArchRef { id: Some(id), .. } => match ArchId::try_from(*id) {
                Ok(a) if (a as usize) < space.size() => Ok(a),
                _ => Err(format!(
                    "proposed architecture id {id}, outside the {} space's 0..{}",
                    space.name(),
                    space.size()
                )),
            },
            ArchRef {
                decisions: Some(d), ..
            } => space.arch_of_choices(d).ok_or_else(|| {
                format!(
                    "proposed decisions {d:?}, which name no architecture of the {} space \
                     (choices per decision: {:?})",
                    space.name(),
                    space.decisions()
                )
            }),
            _ => Err("proposed an architecture with neither `id` nor `decisions`".into()),
        }
    }

    /// Sends a message; an error stops the child and says how it ended.
    pub fn send(&mut self, message: &impl Serialize) -> Result<(), String> {
        let sent = self.lease.child().send(message);
        sent.map_err(|e| self.fail(&e))
    }

    /// Waits for a reply; an error stops the child and says how it ended.
    pub fn receive(&mut self) -> Result<Reply, String> {
        let timeout = self.timeout;
        let received = self.lease.child().receive(timeout);
        received.map_err(|e| self.fail(&e))
    }

    /// A reply of type `expected`, or an error naming what came instead.
    pub fn expect(&mut self, expected: &str) -> Result<Reply, String> {
        match self.receive()? {
            reply if reply.kind() == expected => Ok(reply),
            other => {
                // A reused program's first reply may be a line its previous trial left.
                let hint = match expected == "started" && self.lease.reused() {
                    true => {
                        " (it had served an earlier trial: a line printed after that trial \
                             ended is read as this trial's reply)"
                    }
                    false => "",
                };
                Err(self.fail(&format!(
                    "sent '{}' where nash expected '{expected}'{hint}",
                    other.kind()
                )))
            }
        }
    }

    /// Stops the child; `error` with its exit status and last stderr lines.
    pub fn fail(&mut self, error: &str) -> String {
        self.lease.fail(error)
    }

    /// The trial ended: the child may serve the next one if it printed nothing more.
    pub fn finished(&mut self) -> Result<(), String> {
        self.lease.finished()
    }
}
