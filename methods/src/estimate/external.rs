//! An external estimator: a program that fits and scores over `nash-external/1`
//! (docs/external-protocol.md), e.g. `examples/external/knn_estimator.py`.
//!
//! Per trial: `start_trial` (answered by `started`), `fit` (the training architectures and their observed values)
//! answered by `fitted`, then `score` (the architectures to rank) answered by `scores`, higher
//! meaning predicted better; the scores end the trial.

use datasets::rng::TrialRng;
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Estimator, LearnedEstimator};
use crate::MethodContext;
use crate::external::{self, Message, Reply, Role, Session};
use crate::registry::{Capabilities, Card};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalEstimatorParams {
    /// The name results are recorded under (required: the program is not a name).
    pub id: String,
    /// The program and its arguments.
    pub command: Vec<String>,
    /// Handed to the program in `start_trial`, as given.
    #[serde(default = "external::no_params")]
    pub params: Value,
    /// The longest nash waits for any reply.
    #[serde(default = "external::default_timeout_s")]
    pub timeout_s: f64,
}

impl LearnedEstimator for ExternalEstimatorParams {
    const CARD: Card = Card {
        name: "external",
        summary: "a program speaking nash-external/1 (fit/score JSON lines); see docs/external-protocol.md",
        capabilities: Capabilities {
            learns: true,
            external: true,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        Some(&self.id)
    }

    fn encoding(&self) -> Option<Encoding> {
        None
    }

    fn validate(&self, _space: &dyn SearchSpace) -> Result<(), String> {
        external::check(&self.command, &self.params, self.timeout_s)
    }

    fn estimator<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Estimator + 'a> {
        Box::new(ExternalEstimator {
            ctx,
            params: self.clone(),
            session: None,
        })
    }
}

pub struct ExternalEstimator<'a> {
    ctx: &'a MethodContext<'a>,
    params: ExternalEstimatorParams,
    /// Started by `fit`.
    session: Option<Session<'a>>,
}

impl ExternalEstimator<'_> {
    fn error(&self, error: String) -> String {
        format!("external estimator '{}': {error}", self.params.id)
    }
}

impl Estimator for ExternalEstimator<'_> {
    fn fit(&mut self, archs: &[ArchId], labels: &[f64], _rng: &mut TrialRng) -> Result<(), String> {
        let p = &self.params;
        let started = Session::start(
            self.ctx,
            Role::Estimator,
            &p.command,
            &p.params,
            p.timeout_s,
        );
        let session = self.session.insert(started.map_err(|e| self.error(e))?);
        // Labels are "higher is better"; negation is its own inverse.
        let direction = session.direction();
        let values: Vec<f64> = labels.iter().map(|&l| direction.fitness(l)).collect();
        let archs = archs.iter().map(|&a| session.arch(a)).collect();
        let fitted = session
            .send(&Message::Fit {
                archs,
                values: &values,
            })
            .and_then(|()| session.expect("fitted"));
        fitted.map(|_| ()).map_err(|e| self.error(e))
    }

    fn score(&mut self, archs: &[ArchId]) -> Result<Vec<f64>, String> {
        let session = self.session.as_mut().expect("fit starts the session");
        let objects = archs.iter().map(|&a| session.arch(a)).collect();
        let scored = session
            .send(&Message::Score { archs: objects })
            .and_then(|()| session.expect("scores"))
            .and_then(|reply| {
                let Reply::Scores { scores } = reply else {
                    unreachable!("expect checks the type")
                };
                checked_scores(scores, archs.len()).map_err(|e| session.fail(&e))
            });
        let ended = scored.and_then(|scores| session.finished().map(|()| scores));
        ended.map_err(|e| self.error(e))
    }
}

/// One finite score per architecture, or what is wrong.
fn checked_scores(scores: Vec<Option<f64>>, n: usize) -> Result<Vec<f64>, String> {
    if scores.len() != n {
        return Err(format!(
            "sent {} scores for {n} architectures",
            scores.len()
        ));
    }
    scores
        .into_iter()
        .enumerate()
        .map(|(i, s)| match s {
            Some(v) if v.is_finite() => Ok(v),
            _ => Err(format!("score {i} is null, NaN or infinite")),
        })
        .collect()
}
