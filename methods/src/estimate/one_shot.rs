//! The supernet as an estimator: one-shot accuracy with inherited weights, the ranking whose
//! correlation with stand-alone training "Evaluating the Search Phase of Neural Architecture
//! Search" (Yu, Sciuto, Jaggi, Musat & Salzmann, ICLR 2020) and NAS-Bench-201's own analysis
//! (Dong & Yang 2020, §6) measure.
//!
//! Variant: one NB201 supernet per trial (`supernet.rs`, the protocol's images split in
//! halves) trained by uniform single-path sampling (RSPS's training, Li & Talwalkar 2019);
//! each architecture is scored by its one-shot accuracy on the whole validation half, its
//! path through the shared weights with BN on each batch's statistics. It learns no labels:
//! one trial per replicate, whose fit time is the supernet's training.

use datasets::rng::TrialRng;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::{Estimator, LearnedEstimator, MethodContext};
use crate::registry::Card;
use crate::snapshots::Snapshots;
use crate::supernet::{
    Mix, SearchData, SupernetImages, SupernetSettings, WEIGHT_SHARING, WeightTrainer,
    uniform_architecture,
};
use datasets::space::Encoding;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneShotParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default)]
    pub supernet: SupernetSettings,
}

impl LearnedEstimator for OneShotParams {
    const CARD: Card = Card {
        name: "one_shot",
        summary: "one-shot accuracy on a uniformly trained NB201 supernet (weight-sharing ranking)",
        capabilities: WEIGHT_SHARING,
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn encoding(&self) -> Option<Encoding> {
        None
    }

    fn validate(&self, _space: &dyn SearchSpace) -> Result<(), String> {
        self.supernet.validate()
    }

    fn estimator<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Estimator + 'a> {
        Box::new(OneShot {
            images: ctx.images,
            snapshot: ctx.trial.and_then(|t| t.snapshot),
            settings: self.supernet.clone(),
            trained: None,
        })
    }
}

pub struct OneShot<'a> {
    images: Option<&'a SupernetImages>,
    /// Where the trial keeps its snapshots (None: nowhere).
    snapshot: Option<&'a std::path::Path>,
    settings: SupernetSettings,
    trained: Option<(WeightTrainer, Arc<SearchData>)>,
}

impl Estimator for OneShot<'_> {
    fn fit(
        &mut self,
        _archs: &[ArchId],
        _labels: &[f64],
        rng: &mut TrialRng,
    ) -> Result<(), String> {
        let images = self
            .images
            .ok_or("the one-shot estimator needs the protocol's images")?;
        let data = images.at_size(self.settings.input_size)?;
        let mut snapshots = match self.snapshot {
            Some(file) => Snapshots::open(file, rng),
            None => Snapshots::none(rng),
        };
        let mut trainer = WeightTrainer::new(&self.settings, &data, rng);
        let epochs = self.settings.epochs;
        trainer.train_paths(epochs, (&data, &mut snapshots), rng, uniform_architecture);
        self.trained = Some((trainer, data));
        Ok(())
    }

    fn score(&mut self, archs: &[ArchId]) -> Result<Vec<f64>, String> {
        let (trainer, data) = self.trained.as_ref().ok_or("scored before it was fitted")?;
        let net = &trainer.net;
        Ok(archs
            .iter()
            .map(|&a| {
                net.accuracy(
                    &Mix::path(a, net.device()),
                    &data.valid,
                    self.settings.batch,
                )
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supernet::tests::{rejoined, tiny};
    use datasets::rng;
    use datasets::space::Nb201Space;

    #[test]
    fn scores_are_one_shot_accuracies_and_reproducible() {
        let (settings, data) = tiny();
        let images = rejoined(&data);
        let params = OneShotParams {
            id: None,
            supernet: settings,
        };
        let archs: Vec<ArchId> = [[3u8, 3, 3, 3, 3, 3], [1, 0, 0, 1, 0, 0], [2, 4, 1, 3, 0, 2]]
            .map(Nb201Space::id)
            .to_vec();
        let space = Nb201Space::new();
        let scores = || {
            let ctx = MethodContext {
                images: Some(&images),
                ..MethodContext::of_space(&space)
            };
            let mut e = params.estimator(&ctx);
            e.fit(&[], &[], &mut rng::from_seed([16; 32])).unwrap();
            e.score(&archs).unwrap()
        };
        let first = scores();
        assert_eq!(first, scores());
        // Accuracies of 8 validation images: multiples of 1/8 in [0, 1].
        assert!(
            first
                .iter()
                .all(|s| (0.0..=1.0).contains(s) && (s * 8.0).fract() == 0.0)
        );
    }
}
