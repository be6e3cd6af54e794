//! ENAS (Pham, Guan, Zoph, Le & Dean, "Efficient Neural Architecture Search via Parameter
//! Sharing", ICML 2018) on the NB201 supernet, as the NB201 paper runs it.
//!
//! Variant: each epoch first trains the shared weights along paths drawn from the controller
//! (one per training batch, SGD), then trains the controller for `controller_steps` (50) steps
//! of REINFORCE: each draws an architecture whose reward is its one-shot accuracy (percent) on
//! the next validation batch. The controller is nash's REINFORCE policy (`reinforce.rs`: one
//! categorical per edge, Adam at `controller_learning_rate`, an EMA baseline with momentum
//! `baseline_momentum`) in place of ENAS's LSTM; NB201's ENAS uses the LSTM with Adam at 10⁻³,
//! a baseline decay of 0.99, an entropy bonus of 10⁻⁴ (which nash leaves out) and averages 20
//! draws per controller step (`controller_num_aggregate`), where nash steps on each. The
//! architecture found is the best of `candidates` (100) controller draws by one-shot accuracy
//! on one validation batch each (NB201's selection).

use datasets::ArchId;
use datasets::rng::TrialRng;
use datasets::space::Nb201Space;
use serde::{Deserialize, Serialize};

use super::reinforce::ReinforceParams;
use super::{SearchMethod, Searcher};
use crate::MethodContext;
use crate::limits::{self, Interval};
use crate::registry::Card;
use crate::snapshots::Snapshots;
use crate::supernet::{
    self, Mix, SearchData, SupernetMethod, SupernetSettings, WEIGHT_SHARING, Want, WeightTrainer,
    best_by_one_shot, drawn_architecture,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnasParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_controller_steps")]
    pub controller_steps: usize,
    #[serde(default = "default_controller_learning_rate")]
    pub controller_learning_rate: f64,
    #[serde(default = "default_baseline_momentum")]
    pub baseline_momentum: f64,
    #[serde(default = "supernet::default_candidates")]
    pub candidates: usize,
    #[serde(default)]
    pub supernet: SupernetSettings,
}

fn default_controller_steps() -> usize {
    50
}

fn default_controller_learning_rate() -> f64 {
    0.01
}

fn default_baseline_momentum() -> f64 {
    0.9
}

impl SearchMethod for EnasParams {
    const CARD: Card = Card {
        name: "enas",
        summary: "ENAS (Pham et al., ICML 2018): a REINFORCE controller over shared weights",
        capabilities: WEIGHT_SHARING,
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        limits::count("controller_steps", self.controller_steps, 1, 100_000)?;
        limits::count("candidates", self.candidates, 1, 15_625)?;
        limits::real(
            "controller_learning_rate",
            self.controller_learning_rate,
            Interval::AboveUpTo(0.0, 10.0),
        )?;
        limits::real(
            "baseline_momentum",
            self.baseline_momentum,
            Interval::FromBelow(0.0, 1.0),
        )?;
        self.supernet.validate()
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        supernet::searcher(self, ctx)
    }
}

impl EnasParams {
    fn controller(&self) -> ReinforceParams {
        ReinforceParams {
            id: None,
            learning_rate: self.controller_learning_rate,
            ema_momentum: self.baseline_momentum,
        }
    }
}

impl SupernetMethod for EnasParams {
    fn settings(&self) -> &SupernetSettings {
        &self.supernet
    }

    fn search(&self, data: &SearchData, snapshots: &mut Snapshots, rng: &mut TrialRng) -> ArchId {
        let s = &self.supernet;
        let space = Nb201Space::new();
        let controller = self.controller().build(&space);
        let mut state = (WeightTrainer::new(s, data, rng), controller);
        snapshots.rounds(
            s.epochs,
            &mut state,
            rng,
            |(trainer, controller), _, rng| {
                let (train, valid) = trainer.epoch(data, rng);
                for t in &train {
                    let arch = drawn_architecture(&controller.policy(), rng);
                    trainer.step(&Mix::path(arch, trainer.net.device()), &data.train, t);
                }
                for v in valid.iter().cycle().take(self.controller_steps) {
                    let arch = controller.ask(rng);
                    let net = &trainer.net;
                    let mix = Mix::path(arch, net.device());
                    let r = net.pass(&net.weights, &mix, &data.valid, v, Want::Nothing);
                    controller.tell(arch, 100.0 * r.correct as f64 / v.len() as f64);
                }
            },
        );
        let (trainer, controller) = state;
        let policy = controller.policy();
        let draw = |rng: &mut TrialRng| drawn_architecture(&policy, rng);
        best_by_one_shot(&trainer.net, data, s.batch, self.candidates, draw, rng).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supernet::tests::{assert_reproducible_and_resumable, tiny};

    #[test]
    fn a_search_is_reproducible_and_resumes_after_a_kill() {
        let (mut settings, _) = tiny();
        settings.epochs = 2;
        let params = EnasParams {
            id: None,
            controller_steps: 3,
            controller_learning_rate: 0.01,
            baseline_momentum: 0.9,
            candidates: 4,
            supernet: settings,
        };
        assert_reproducible_and_resumable(&params, 10);
    }
}
