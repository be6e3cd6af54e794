//! DARTS (Liu, Simonyan & Yang, "DARTS: Differentiable Architecture Search", ICLR 2019) on
//! the NB201 supernet, as the NB201 paper runs it (Dong & Yang, ICLR 2020: DARTS-V1 first
//! order, DARTS-V2 second order).
//!
//! Variant: every edge's output is the softmax(α)-weighted sum of its five candidates, α
//! shared by all cells and initialised 10⁻³·N(0, 1). Each step first updates α by Adam on a
//! validation batch, then the weights by SGD on a training batch (the order of DARTS' code).
//! `order: 1` uses ∇α L_val(w, α); `order: 2` the unrolled gradient of DARTS' eq. 7–8,
//! ∇α L_val(w′, α) − ξ (∇α L_train(w⁺, α) − ∇α L_train(w⁻, α)) / 2ε, with w′ one SGD step
//! ahead (momentum and weight decay included, ξ the current learning rate),
//! w± = w ± ε ∇w′ L_val(w′, α) and ε = 0.01 / ‖∇w′ L_val(w′, α)‖: the Hessian-vector product
//! by central finite differences, as DARTS (and GraSP, for its own product) compute it. The
//! architecture derived is each edge's largest α, `none` included (NB201's `genotype()`).

use datasets::ArchId;
use datasets::rng::TrialRng;
use serde::{Deserialize, Serialize};

use super::{SearchMethod, Searcher};
use crate::MethodContext;
use crate::registry::Card;
use crate::snapshots::Snapshots;
use crate::supernet::{
    self, BiLevel, Mix, SearchData, SupernetMethod, SupernetSettings, WEIGHT_SHARING, Want,
    arch_gradient, argmax_architecture, softmax_mix, softmax_weights,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DartsParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// 1: first-order (DARTS-V1); 2: second-order, unrolled (DARTS-V2).
    #[serde(default = "first_order")]
    pub order: u8,
    #[serde(default)]
    pub supernet: SupernetSettings,
}

fn first_order() -> u8 {
    1
}

impl SearchMethod for DartsParams {
    const CARD: Card = Card {
        name: "darts",
        summary: "DARTS (Liu et al., ICLR 2019) on the NB201 supernet, first or second order",
        capabilities: WEIGHT_SHARING,
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        if !matches!(self.order, 1 | 2) {
            return Err(format!("order must be 1 or 2, not {}", self.order));
        }
        self.supernet.validate()
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        supernet::searcher(self, ctx)
    }
}

impl DartsParams {
    /// DARTS' bi-level training: the trained supernet and α.
    pub fn train(
        &self,
        data: &SearchData,
        snapshots: &mut Snapshots,
        rng: &mut TrialRng,
    ) -> BiLevel {
        let mut search = BiLevel::new(&self.supernet, data, rng);
        search.train((data, snapshots), rng, |b, step, _| {
            let grad = match self.order {
                1 => {
                    let net = &b.trainer.net;
                    let alphas = (b.alphas.as_slice(), softmax_mix);
                    let valid = (&data.valid, step.valid);
                    arch_gradient(net, &net.weights, alphas, valid, Want::Architecture).0
                }
                _ => self.unrolled_gradient(b, data, (step.train, step.valid)),
            };
            b.update_alphas(&grad);
            let mix = Mix::weighted(softmax_weights(&b.alphas, b.trainer.net.device()));
            b.trainer.step(&mix, &data.train, step.train);
        });
        search
    }

    /// DARTS' second-order architecture gradient (eq. 7–8) at the current weights, ξ the
    /// current learning rate.
    fn unrolled_gradient(
        &self,
        search: &BiLevel,
        data: &SearchData,
        (train, valid): (&[usize], &[usize]),
    ) -> Vec<f32> {
        let (s, trainer, alphas) = (&self.supernet, &search.trainer, search.alphas.as_slice());
        let (net, xi) = (&trainer.net, trainer.learning_rate());
        let mix = Mix::weighted(softmax_weights(alphas, net.device()));
        let r = net.pass(&net.weights, &mix, &data.train, train, Want::Weights);
        let g = r.weight_grads.expect("asked for");
        let unrolled: Vec<Vec<f32>> = net
            .weights
            .iter()
            .zip(&g)
            .zip(trainer.momentum())
            .map(|((w, g), m)| {
                w.iter()
                    .zip(g)
                    .zip(m)
                    .map(|((&w, &g), &m)| {
                        let d = s.momentum * f64::from(m)
                            + f64::from(g)
                            + s.weight_decay * f64::from(w);
                        (f64::from(w) - xi * d) as f32
                    })
                    .collect()
            })
            .collect();
        let valid = (&data.valid, valid);
        let (d_alpha, d_w) =
            arch_gradient(net, &unrolled, (alphas, softmax_mix), valid, Want::Weights);
        let d_w = d_w.expect("asked for");
        let norm = d_w
            .iter()
            .flatten()
            .map(|&x| f64::from(x) * f64::from(x))
            .sum::<f64>()
            .sqrt();
        let eps = 0.01 / norm.max(1e-12);
        let shifted = |sign: f64| -> Vec<Vec<f32>> {
            net.weights
                .iter()
                .zip(&d_w)
                .map(|(w, d)| {
                    w.iter()
                        .zip(d)
                        .map(|(&w, &d)| (f64::from(w) + sign * eps * f64::from(d)) as f32)
                        .collect()
                })
                .collect()
        };
        let train = (&data.train, train);
        let at = |weights: &[Vec<f32>]| {
            arch_gradient(
                net,
                weights,
                (alphas, softmax_mix),
                train,
                Want::Architecture,
            )
            .0
        };
        let (plus, minus) = (at(&shifted(1.0)), at(&shifted(-1.0)));
        d_alpha
            .iter()
            .zip(plus.iter().zip(&minus))
            .map(|(&d, (&p, &m))| {
                (f64::from(d) - xi * (f64::from(p) - f64::from(m)) / (2.0 * eps)) as f32
            })
            .collect()
    }
}

impl SupernetMethod for DartsParams {
    fn settings(&self) -> &SupernetSettings {
        &self.supernet
    }

    fn search(&self, data: &SearchData, snapshots: &mut Snapshots, rng: &mut TrialRng) -> ArchId {
        argmax_architecture(&self.train(data, snapshots, rng).alphas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supernet::tests::{assert_reproducible_and_resumable, tiny};
    use datasets::rng;

    #[test]
    fn darts_drifts_toward_parameter_free_operations() {
        // NB201 (§5) reports DARTS' supernet converging on parameter-free operations. On the
        // CIFAR-10 fixture (64 images), two cells per stage and 240 steps with a tenfold
        // architecture rate (3·10⁻³, so a short run moves α as far as a long one), the
        // softmax weight on `none`, `skip_connect` and `avg_pool_3x3`, averaged over the
        // edges, grows from its uniform 3/5: for seeds 4-7 to 0.606-0.646 (mean 0.618); over
        // seeds 4-11, 7 of 8 runs end above 3/5 (the eighth at 0.573). With one cell per
        // stage, or half the steps, it does not reliably (docs/weight-sharing.md).
        use crate::supernet::{SearchData, softmax_policy};
        use datasets::images::{ImageSource, load};
        let fixture = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../datasets/tests/fixtures/cifar10_fixture.bin"
        );
        let source = ImageSource::Cifar10(fixture.into());
        let images = load(
            &source,
            std::path::Path::new("."),
            64,
            &mut rng::from_seed([1; 32]),
        )
        .expect("the fixture reads");
        let data = SearchData::new(&images, 16).unwrap();
        let params = DartsParams {
            id: None,
            order: 1,
            supernet: SupernetSettings {
                channels: 4,
                cells_per_stage: 2,
                input_size: 16,
                epochs: 80,
                batch: 16,
                arch_learning_rate: 3e-3,
                ..SupernetSettings::default()
            },
        };
        let shares: Vec<f64> = (4..8u8)
            .map(|seed| {
                let alphas = {
                    let mut rng = rng::from_seed([seed; 32]);
                    params
                        .train(&data, &mut Snapshots::none(&rng), &mut rng)
                        .alphas
                };
                softmax_policy(&alphas)
                    .iter()
                    .map(|p| p[0] + p[1] + p[4])
                    .sum::<f64>()
                    / 6.0
            })
            .collect();
        let mean = shares.iter().sum::<f64>() / shares.len() as f64;
        assert!(mean > 0.605, "parameter-free shares {shares:?}");
    }

    #[test]
    fn both_orders_are_reproducible_and_resume_after_a_kill() {
        let (mut settings, _) = tiny();
        settings.epochs = 2;
        for order in [1, 2] {
            let params = DartsParams {
                id: None,
                order,
                supernet: settings.clone(),
            };
            assert_reproducible_and_resumable(&params, 5);
        }
    }
}
