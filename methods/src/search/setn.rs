//! SETN (Dong & Yang, "One-Shot Neural Architecture Search via Self-Evaluated Template
//! Network", ICCV 2019) on the NB201 supernet, as the NB201 paper runs it.
//!
//! Variant: each step trains the shared weights along one uniformly drawn path on a training
//! batch (the template network's uniform sampling), then updates the evaluator's α by Adam on
//! a validation batch through the softmax(α)-weighted network (NB201's SETN `joint` mode: the
//! first-order DARTS step). After training, the `candidates` (100) architectures of highest
//! probability under softmax(α) (NB201's `return_topK`: every architecture's summed
//! log-probability, the first by id among ties) are scored by one-shot accuracy on one
//! validation batch each, and the best is the architecture found (SETN's template-evaluator
//! selection).

use datasets::rng::TrialRng;
use datasets::space::Nb201Space;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::{SearchMethod, Searcher};
use crate::MethodContext;
use crate::limits;
use crate::registry::Card;
use crate::snapshots::Snapshots;
use crate::supernet::{
    self, BiLevel, Mix, SearchData, SupernetMethod, SupernetSettings, WEIGHT_SHARING, Want,
    arch_gradient, best_by_one_shot, softmax_mix, softmax_policy, uniform_architecture,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetnParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "supernet::default_candidates")]
    pub candidates: usize,
    #[serde(default)]
    pub supernet: SupernetSettings,
}

impl SearchMethod for SetnParams {
    const CARD: Card = Card {
        name: "setn",
        summary: "SETN (Dong & Yang, ICCV 2019): uniform template training, α evaluator, best of 100",
        capabilities: WEIGHT_SHARING,
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        limits::count("candidates", self.candidates, 1, 15_625)?;
        self.supernet.validate()
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        supernet::searcher(self, ctx)
    }
}

impl SupernetMethod for SetnParams {
    fn settings(&self) -> &SupernetSettings {
        &self.supernet
    }

    fn search(&self, data: &SearchData, snapshots: &mut Snapshots, rng: &mut TrialRng) -> ArchId {
        let s = &self.supernet;
        let mut search = BiLevel::new(s, data, rng);
        search.train((data, snapshots), rng, |b, step, rng| {
            let mix = Mix::path(uniform_architecture(rng), b.trainer.net.device());
            b.trainer.step(&mix, &data.train, step.train);
            let net = &b.trainer.net;
            let alphas = (b.alphas.as_slice(), softmax_mix);
            let valid = (&data.valid, step.valid);
            let (grad, _) = arch_gradient(net, &net.weights, alphas, valid, Want::Architecture);
            b.update_alphas(&grad);
        });
        let mut top = most_probable(&search.alphas, self.candidates).into_iter();
        let next = |_: &mut TrialRng| top.next().expect("one per candidate");
        best_by_one_shot(
            &search.trainer.net,
            data,
            s.batch,
            self.candidates,
            next,
            rng,
        )
        .0
    }
}

/// The `k` architectures of highest probability under softmax(α), most probable first (the
/// lower id among ties).
pub fn most_probable(alphas: &[f32], k: usize) -> Vec<ArchId> {
    let log_policy: Vec<Vec<f64>> = softmax_policy(alphas)
        .into_iter()
        .map(|row| row.into_iter().map(libm::log).collect())
        .collect();
    let mut scored: Vec<(f64, ArchId)> = (0..Nb201Space::new().size() as ArchId)
        .map(|a| {
            let ops = Nb201Space::ops(a);
            let log_p = ops
                .iter()
                .enumerate()
                .map(|(e, &op)| log_policy[e][op as usize]);
            (log_p.sum(), a)
        })
        .collect();
    scored.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    scored.into_iter().take(k).map(|(_, a)| a).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supernet::tests::{assert_reproducible_and_resumable, tiny};
    use crate::supernet::{EDGES, OPS};

    #[test]
    fn the_most_probable_architectures_come_first() {
        // Edge e prefers operation e % 5 strongly: that cell is the most probable.
        let mut alphas = vec![0.0f32; EDGES * OPS];
        for e in 0..EDGES {
            alphas[e * OPS + e % OPS] = 3.0;
        }
        let top = most_probable(&alphas, 7);
        assert_eq!(top.len(), 7);
        assert_eq!(Nb201Space::ops(top[0]), [0, 1, 2, 3, 4, 0]);
        // The next six differ from it on exactly one edge.
        for &a in &top[1..] {
            let differ = Nb201Space::ops(a)
                .iter()
                .enumerate()
                .filter(|(e, op)| **op as usize != e % OPS)
                .count();
            assert_eq!(differ, 1);
        }
    }

    #[test]
    fn a_search_is_reproducible_and_resumes_after_a_kill() {
        let (mut settings, _) = tiny();
        settings.epochs = 2;
        let params = SetnParams {
            id: None,
            candidates: 4,
            supernet: settings,
        };
        assert_reproducible_and_resumable(&params, 11);
    }
}
