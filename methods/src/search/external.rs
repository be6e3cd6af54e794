//! An external search method: a program that asks and is told over `nash-external/1`
//! (docs/external-protocol.md), e.g. `examples/external/regularized_evolution.py`.
//!
//! Per trial: `start_trial` answered by `started`, then `ask {n: batch}` answered by `archs`
//! whenever nash has no
//! proposal left, a `tell` (architecture, observed value, cost) after each evaluation, and
//! `end_trial` answered by `trial_ended` (with the method's own fallback count). Proposals
//! left when the budget runs out are dropped, as for the built-in batched methods.

use std::collections::VecDeque;

use datasets::ArchId;
use datasets::rng::TrialRng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{SearchMethod, Searcher};
use crate::external::{self, Message, Reply, Role, Session, abort_trial};
use crate::registry::{Capabilities, Card, Parallelism};
use crate::{Fallbacks, MethodContext, limits};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalSearchParams {
    /// The name results are recorded under (required: the program is not a name).
    pub id: String,
    /// The program and its arguments, e.g. `[python3, examples/external/random_search.py]`.
    pub command: Vec<String>,
    /// Handed to the program in `start_trial`, as given.
    #[serde(default = "external::no_params")]
    pub params: Value,
    /// The longest nash waits for any reply.
    #[serde(default = "external::default_timeout_s")]
    pub timeout_s: f64,
    /// How many architectures each `ask` requests.
    #[serde(default = "one")]
    pub batch: usize,
    /// The program takes `tell`s in any order after several `ask`s, matching each by the
    /// architecture it names, so simulated workers may ask it whenever one is free
    /// (`workers:`); otherwise it is told each result before it is asked again.
    #[serde(default)]
    pub asynchronous: bool,
}

fn one() -> usize {
    1
}

impl SearchMethod for ExternalSearchParams {
    const CARD: Card = Card {
        name: "external",
        summary: "a program speaking nash-external/1 (ask/tell JSON lines); see docs/external-protocol.md",
        capabilities: Capabilities {
            external: true,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        Some(&self.id)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            parallelism: if self.asynchronous {
                Parallelism::Asynchronous
            } else {
                Parallelism::Sequential
            },
            ..Self::CARD.capabilities
        }
    }

    fn validate(&self) -> Result<(), String> {
        limits::count("batch", self.batch, 1, limits::MAX_ARCHS)?;
        external::check(&self.command, &self.params, self.timeout_s)
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(ExternalSearcher {
            ctx,
            params: self.clone(),
            session: None,
            proposals: VecDeque::new(),
            fallbacks: Fallbacks::default(),
        })
    }
}

pub struct ExternalSearcher<'a> {
    ctx: &'a MethodContext<'a>,
    params: ExternalSearchParams,
    /// Started by the first `ask`.
    session: Option<Session<'a>>,
    /// Proposals not yet evaluated.
    proposals: VecDeque<ArchId>,
    /// As the program reported them at the end of the trial.
    fallbacks: Fallbacks,
}

impl<'a> ExternalSearcher<'a> {
    fn session(&mut self) -> &mut Session<'a> {
        if self.session.is_none() {
            let p = &self.params;
            let started =
                Session::start(self.ctx, Role::Search, &p.command, &p.params, p.timeout_s);
            match started {
                Ok(session) => self.session = Some(session),
                Err(e) => self.abort(e),
            }
        }
        self.session.as_mut().expect("started above")
    }

    /// Fails the trial with `error` (the child is already stopped).
    fn abort(&self, error: String) -> ! {
        abort_trial(format!("external method '{}': {error}", self.params.id))
    }

    fn ask_batch(&mut self) -> Result<(), String> {
        let n = self.params.batch;
        let session = self.session();
        session.send(&Message::Ask { n })?;
        let Reply::Archs { archs } = session.expect("archs")? else {
            unreachable!("expect checks the type")
        };
        if archs.len() != n {
            return Err(session.fail(&format!(
                "sent {} architectures for ask n = {n}",
                archs.len()
            )));
        }
        let resolved: Result<Vec<ArchId>, String> =
            archs.iter().map(|named| session.resolve(named)).collect();
        match resolved {
            Ok(batch) => {
                self.proposals.extend(batch);
                Ok(())
            }
            Err(e) => Err(session.fail(&e)),
        }
    }
}

impl Searcher for ExternalSearcher<'_> {
    fn ask(&mut self, _rng: &mut TrialRng) -> ArchId {
        if self.proposals.is_empty()
            && let Err(e) = self.ask_batch()
        {
            self.abort(e);
        }
        self.proposals
            .pop_front()
            .expect("a batch has n >= 1 architectures")
    }

    fn tell(&mut self, arch: ArchId, fitness: f64) {
        self.tell_with_cost(arch, fitness, None)
    }

    fn tell_with_cost(&mut self, arch: ArchId, fitness: f64, cost: Option<f64>) {
        let session = self.session();
        // Negation is its own inverse: the table's value back from the fitness.
        let value = session.direction().fitness(fitness);
        let message = Message::Tell {
            arch: session.arch(arch),
            value,
            cost,
        };
        if let Err(e) = session.send(&message) {
            self.abort(e);
        }
    }

    /// Ends the trial with the child (`end_trial`), which reports its own fallbacks.
    fn end(&mut self) {
        let ended = self.session().send(&Message::EndTrial);
        let reply = ended.and_then(|()| self.session().expect("trial_ended"));
        match reply {
            Ok(Reply::TrialEnded {
                fallbacks,
                fallback_reason,
            }) => {
                self.fallbacks = Fallbacks::counted(
                    fallbacks,
                    fallback_reason.unwrap_or_else(|| "reported by the program".into()),
                );
                if let Err(e) = self.session().finished() {
                    self.abort(e);
                }
            }
            Ok(_) => unreachable!("expect checks the type"),
            Err(e) => self.abort(e),
        }
    }

    fn fallbacks(&self) -> Fallbacks {
        self.fallbacks.clone()
    }
}
