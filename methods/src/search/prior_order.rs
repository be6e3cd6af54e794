//! The free prior: architectures evaluated in order of a tabulated property known without
//! training, largest first. It is the baseline a method that reads such properties must beat
//! (RoBoT, He et al., ICLR 2024, combines params, FLOPs and zero-cost proxies): on NB201
//! CIFAR-10 the largest cells are already among the best, so beating random search says
//! little about such a method. Not a published search method; nash's baseline, as "sort by
//! #params" is the trivial zero-cost predictor in Abdelfattah et al., "Zero-Cost Proxies for
//! Lightweight NAS", ICLR 2021.
//!
//! Variant: the order is fixed per trial by a seeded shuffle of the space followed by a stable
//! sort on the property, so architectures with equal values come in the trial's random order
//! (seeded tie-breaks). Architectures without a value (NaN) come last. `largest_first: false`
//! evaluates smallest first. Once every architecture was evaluated, a uniform draw is repeated
//! and counted as a fallback.

use datasets::rng::{self, TrialRng};
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::{SearchMethod, Searcher, repeat_any};
use crate::registry::{Capabilities, Card, Parallelism};
use crate::{Fallbacks, MethodContext};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorOrderParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The tabulated property to order by ("params", "flops", "latency", ...).
    #[serde(default = "default_property")]
    pub property: String,
    #[serde(default = "default_largest_first")]
    pub largest_first: bool,
}

fn default_property() -> String {
    "params".to_string()
}

fn default_largest_first() -> bool {
    true
}

impl SearchMethod for PriorOrderParams {
    const CARD: Card = Card {
        name: "prior_order",
        summary: "the free prior: architectures by decreasing tabulated property (params, FLOPs), seeded ties",
        capabilities: Capabilities {
            reads_properties: true,
            parallelism: Parallelism::Asynchronous,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn properties(&self) -> Vec<&str> {
        vec![self.property.as_str()]
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        let values = ctx
            .property(&self.property)
            .expect("the protocol checked the method's properties");
        Box::new(PriorOrder {
            space: ctx.space,
            values,
            largest_first: self.largest_first,
            order: Vec::new(),
            next: 0,
            fallbacks: Fallbacks::default(),
        })
    }
}

pub struct PriorOrder<'a> {
    space: &'a dyn SearchSpace,
    values: &'a [f64],
    largest_first: bool,
    /// The trial's order, drawn at its first ask.
    order: Vec<ArchId>,
    next: usize,
    fallbacks: Fallbacks,
}

impl PriorOrder<'_> {
    fn draw_order(&mut self, rng: &mut TrialRng) {
        let mut order: Vec<ArchId> = (0..self.space.size() as ArchId).collect();
        rng::shuffle(rng, &mut order);
        let sign = if self.largest_first { -1.0 } else { 1.0 };
        // NaN last whatever the direction; `sort_by` is stable, so ties keep the shuffle's order.
        let key = |a: &ArchId| {
            let v = self.values[*a as usize];
            (v.is_nan(), if v.is_nan() { 0.0 } else { sign * v })
        };
        order.sort_by(|a, b| {
            let (ka, kb) = (key(a), key(b));
            ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
        });
        self.order = order;
    }
}

impl Searcher for PriorOrder<'_> {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        if self.order.is_empty() {
            self.draw_order(rng);
        }
        match self.order.get(self.next) {
            Some(&arch) => {
                self.next += 1;
                arch
            }
            None => repeat_any(self.space, rng, &mut self.fallbacks),
        }
    }

    fn tell(&mut self, _arch: ArchId, _fitness: f64) {}

    fn fallbacks(&self) -> Fallbacks {
        self.fallbacks.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::toy_space;

    fn searcher<'a>(
        space: &'a dyn SearchSpace,
        values: &'a [f64],
        largest_first: bool,
    ) -> PriorOrder<'a> {
        PriorOrder {
            space,
            values,
            largest_first,
            order: Vec::new(),
            next: 0,
            fallbacks: Fallbacks::default(),
        }
    }

    #[test]
    fn evaluates_by_decreasing_property_with_seeded_ties_and_nan_last() {
        let space = toy_space();
        let n = space.size();
        // Values with many ties (a tenth of the space each) and one NaN.
        let mut values: Vec<f64> = (0..n).map(|a| (a % 10) as f64).collect();
        values[3] = f64::NAN;
        let run = |seed: u8, largest_first: bool| {
            let mut s = searcher(&space, &values, largest_first);
            let mut r = rng::from_seed([seed; 32]);
            (0..n).map(|_| s.ask(&mut r)).collect::<Vec<ArchId>>()
        };
        let order = run(1, true);
        let seen: Vec<f64> = order.iter().map(|&a| values[a as usize]).collect();
        assert!(seen[..n - 1].windows(2).all(|w| w[0] >= w[1]), "{seen:?}");
        assert!(seen[n - 1].is_nan());
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..n as ArchId).collect::<Vec<_>>(), "each once");
        assert_eq!(run(1, true), order, "reproducible");
        assert_ne!(run(2, true), order, "ties broken by the seed");
        let ascending = run(1, false);
        let seen: Vec<f64> = ascending.iter().map(|&a| values[a as usize]).collect();
        assert!(seen[..n - 1].windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
        assert!(seen[n - 1].is_nan());
        // Past the space, a repeat counted as a fallback.
        let mut s = searcher(&space, &values, true);
        let mut r = rng::from_seed([1; 32]);
        for _ in 0..=n {
            s.ask(&mut r);
        }
        assert_eq!(s.fallbacks().count(), 1);
    }
}
