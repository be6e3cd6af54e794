//! RoBoT (He, Dai, Lau & Low, "Robustifying and Boosting Training-Free Neural Architecture
//! Search", ICLR 2024, Algorithm 1): Bayesian optimization over the weights of a linear
//! combination of training-free metrics, then greedy exploitation of the best combination.
//!
//! Variant: the metrics are per-architecture properties the benchmark tabulates (`metrics`,
//! default params and latency; nash's zero-cost proxies cost ~20 s per NB201 network, too
//! much to score a whole space per search, so tabulated ones stand in), each standardized to
//! mean 0 and standard deviation 1 over the space. A weight vector `w ∈ [−1, 1]^M` selects
//! `argmax_A Σᵢ wᵢ·Mᵢ(A)`, and the fitness of that architecture is `w`'s observation. The first
//! `init` (5) vectors are uniformly random; later ones maximise expected improvement under a
//! GP on `w` (the estimation module's GP on raw vectors) among `candidates` (1,000) random
//! vectors. When the chosen vector's architecture was already evaluated, that observation is
//! added at no cost (as in the paper) and the next candidate by expected improvement whose
//! architecture is new is evaluated, so each step fits the GP once. After `bo_steps` (20)
//! evaluations, every further step evaluates
//! the next unseen architecture in the order of the best vector's combined metric (the
//! paper's exploitation phase, "precision @ T").

use datasets::rng::{self, TrialRng};
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::bayesian_optimization::expected_improvement;
use super::{SearchMethod, Searcher, rank_undefined_last, repeat_any, sample_unseen};
use crate::estimate::{GpModel, standardize};
use crate::limits;
use crate::registry::{Capabilities, Card, Parallelism};
use crate::{Fallbacks, MethodContext};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobotParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_metrics")]
    pub metrics: Vec<String>,
    #[serde(default = "default_init")]
    pub init: usize,
    #[serde(default = "default_bo_steps")]
    pub bo_steps: usize,
    #[serde(default = "default_candidates")]
    pub candidates: usize,
}

fn default_metrics() -> Vec<String> {
    vec!["params".into(), "latency".into()]
}

fn default_init() -> usize {
    5
}

fn default_bo_steps() -> usize {
    20
}

fn default_candidates() -> usize {
    1_000
}

impl SearchMethod for RobotParams {
    const CARD: Card = Card {
        name: "robot",
        summary: "RoBoT (He et al., ICLR 2024): BO over weights of tabulated metrics, then greedy",
        capabilities: Capabilities {
            reads_properties: true,
            parallelism: Parallelism::Asynchronous,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        limits::count("metrics", self.metrics.len(), 1, 16)?;
        limits::count("init", self.init, 2, 10_000)?;
        limits::count("bo_steps", self.bo_steps, self.init, 10_000)?;
        limits::count("candidates", self.candidates, 1, limits::MAX_ARCHS)
    }

    fn properties(&self) -> Vec<&str> {
        self.metrics.iter().map(String::as_str).collect()
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(self.build(ctx))
    }
}

impl RobotParams {
    /// `ctx` must hold every metric (the protocol loader checks it).
    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> Robot<'a> {
        let metrics: Vec<Vec<f64>> = self
            .metrics
            .iter()
            .map(|m| {
                standardize(
                    ctx.property(m)
                        .expect("protocol checked the benchmark's properties"),
                )
            })
            .collect();
        let selectable = selectable(&metrics);
        Robot {
            space: ctx.space,
            params: self.clone(),
            selectable,
            metrics,
            seen: vec![None; ctx.space.size()],
            evaluated: 0,
            observations: Vec::new(),
            pending: Vec::new(),
            exploit: Vec::new(),
            fallbacks: Fallbacks::default(),
        }
    }
}

pub struct Robot<'a> {
    space: &'a dyn SearchSpace,
    params: RobotParams,
    /// Standardized metrics, `[metric][arch]`.
    metrics: Vec<Vec<f64>>,
    /// The architectures that can be `argmax_A Σ wᵢ Mᵢ(A)` for some `w`, in id order.
    selectable: Vec<usize>,
    /// Fitness of every evaluated architecture.
    seen: Vec<Option<f64>>,
    /// Distinct architectures evaluated.
    evaluated: usize,
    /// Weight vectors and the fitness of the architecture each selected.
    observations: Vec<(Vec<f64>, f64)>,
    /// The weight vectors behind the architectures asked for and not yet told (several when
    /// simulated workers evaluate at once).
    pending: Vec<(ArchId, Vec<f64>)>,
    /// Exploitation order (reversed, next last), built once BO ends.
    exploit: Vec<ArchId>,
    fallbacks: Fallbacks,
}

impl Robot<'_> {
    fn combined(&self, w: &[f64], arch: usize) -> f64 {
        w.iter().zip(&self.metrics).map(|(w, m)| w * m[arch]).sum()
    }

    /// `argmax_A Σ wᵢ Mᵢ(A)`, the smallest id on ties.
    fn select(&self, w: &[f64]) -> ArchId {
        // With w = 0 every score is a zero whose sign (which `total_cmp` orders) depends on
        // the metrics: no geometry applies, so every architecture is scanned.
        let all: Vec<usize>;
        let candidates = if w.iter().all(|&v| v == 0.0) {
            all = (0..self.space.size()).collect();
            &all
        } else {
            &self.selectable
        };
        let mut best = (f64::NEG_INFINITY, None);
        for &a in candidates {
            let value = self.combined(w, a);
            if best.1.is_none() || value.total_cmp(&best.0).is_gt() {
                best = (value, Some(a));
            }
        }
        best.1.expect("spaces are not empty") as ArchId
    }

    fn random_weights(&self, rng: &mut TrialRng) -> Vec<f64> {
        (0..self.metrics.len())
            .map(|_| 2.0 * rng::unit(rng) - 1.0)
            .collect()
    }

    /// Candidate weight vectors, best first: random ones during the first `init` steps,
    /// afterwards `candidates` random ones by decreasing expected improvement under the GP.
    fn proposals(&mut self, rng: &mut TrialRng) -> Vec<Vec<f64>> {
        let candidates: Vec<Vec<f64>> = (0..self.params.candidates)
            .map(|_| self.random_weights(rng))
            .collect();
        if self.observations.len() < self.params.init {
            return candidates;
        }
        let x: Vec<Vec<f64>> = self.observations.iter().map(|o| o.0.clone()).collect();
        let y: Vec<f64> = self.observations.iter().map(|o| o.1).collect();
        let best = standardize(&y)
            .into_iter()
            .fold(f64::NEG_INFINITY, f64::max);
        let gp = match GpModel::fit(x, &y) {
            Ok(gp) => gp,
            Err(error) => {
                self.fallbacks
                    .record(|| format!("GP fit failed ({error}): took random weight vectors"));
                return candidates;
            }
        };
        let ei: Vec<f64> = rank_undefined_last(
            gp.posterior(&candidates)
                .iter()
                .map(|&(mean, var)| expected_improvement(mean, var, best))
                .collect(),
            &mut self.fallbacks,
        );
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by(|&a, &b| ei[b].total_cmp(&ei[a]).then(a.cmp(&b)));
        order.into_iter().map(|i| candidates[i].clone()).collect()
    }
}

/// The architectures that can maximise `Σ wᵢ Mᵢ(A)` for some `w`, in id order: with two
/// metrics, those on or within a hair of the boundary of the points' convex hull (a linear
/// function's maximum over a point set lies at a vertex of its hull); all of them otherwise.
///
/// The hair keeps `select` exact in floating point: a point inside the hull by more than
/// `TOLERANCE` (relative to the largest coordinate) scores below the best vertex for every `w`
/// by far more than the rounding of a two-term dot product, so it can neither win nor tie.
/// Points on hull edges and repeated points stay, so ties still go to the smallest id.
fn selectable(metrics: &[Vec<f64>]) -> Vec<usize> {
    const TOLERANCE: f64 = 1e-9;
    let n = metrics.first().map_or(0, Vec::len);
    let all = || (0..n).collect();
    let [x, y] = metrics else {
        return all();
    };
    if x.iter().chain(y).any(|v| !v.is_finite()) {
        return all();
    }
    let hull = convex_hull(x, y);
    if hull.len() < 3 {
        return all();
    }
    let scale = x
        .iter()
        .chain(y)
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(1.0);
    // Each hull edge (counter-clockwise): its start, its direction, and how far on the
    // inner side of it a point may lie and still be kept (the last term covers the rounding
    // of the cross product itself).
    let edges: Vec<Edge> = (0..hull.len())
        .map(|k| {
            let (a, b) = (hull[k], hull[(k + 1) % hull.len()]);
            let direction = (b.0 - a.0, b.1 - a.1);
            let length = direction.0.hypot(direction.1);
            Edge {
                start: a,
                direction,
                slack: TOLERANCE * scale * length + 1e-12 * scale * scale,
            }
        })
        .collect();
    // A point's distance inside the hull is the smallest over the edges: kept when some
    // edge is within its slack.
    (0..n)
        .filter(|&i| {
            edges.iter().any(|e| {
                let cross = e.direction.0 * (y[i] - e.start.1) - e.direction.1 * (x[i] - e.start.0);
                cross <= e.slack
            })
        })
        .collect()
}

struct Edge {
    start: (f64, f64),
    direction: (f64, f64),
    slack: f64,
}

/// The convex hull's vertices, counter-clockwise (Andrew's monotone chain), without
/// collinear points.
fn convex_hull(x: &[f64], y: &[f64]) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = x.iter().copied().zip(y.iter().copied()).collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    points.dedup();
    if points.len() < 3 {
        return points;
    }
    let turn = |o: (f64, f64), a: (f64, f64), b: (f64, f64)| {
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    let half = |points: &mut dyn Iterator<Item = (f64, f64)>| {
        let mut chain: Vec<(f64, f64)> = Vec::new();
        for p in points {
            while chain.len() >= 2 && turn(chain[chain.len() - 2], chain[chain.len() - 1], p) <= 0.0
            {
                chain.pop();
            }
            chain.push(p);
        }
        // Its last point starts the other half.
        chain.pop();
        chain
    };
    let mut hull = half(&mut points.iter().copied());
    hull.extend(half(&mut points.iter().rev().copied()));
    hull
}

impl Searcher for Robot<'_> {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        if self.evaluated < self.params.bo_steps {
            for (rank, w) in self.proposals(rng).into_iter().enumerate() {
                let arch = self.select(&w);
                if self.pending.iter().any(|(a, _)| *a == arch) {
                    // Being evaluated by another worker: neither new nor known yet.
                    continue;
                }
                match self.seen[arch as usize] {
                    // The proposal's architecture is known: observed again at no cost.
                    Some(fitness) if rank == 0 => self.observations.push((w, fitness)),
                    Some(_) => {}
                    None => {
                        self.pending.push((arch, w));
                        return arch;
                    }
                }
            }
            // (With the space exhausted, `sample_unseen` counts that instead.)
            if self.evaluated < self.space.size() {
                self.fallbacks.record(|| {
                    "every proposed weight vector selected an evaluated architecture: drew a \
                     random unseen one"
                        .into()
                });
            }
            let mut seen: Vec<bool> = self.seen.iter().map(Option::is_some).collect();
            for (a, _) in &self.pending {
                seen[*a as usize] = true;
            }
            return sample_unseen(self.space, &seen, rng, &mut self.fallbacks);
        }
        if self.exploit.is_empty() {
            let best = self
                .observations
                .iter()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|o| o.0.clone())
                .unwrap_or_else(|| vec![1.0; self.metrics.len()]);
            let combined: Vec<f64> = (0..self.space.size())
                .map(|a| self.combined(&best, a))
                .collect();
            let mut order: Vec<usize> = (0..self.space.size()).collect();
            order.sort_by(|&a, &b| combined[a].total_cmp(&combined[b]).then(b.cmp(&a)));
            self.exploit = order.into_iter().map(|a| a as ArchId).collect();
        }
        // The exploitation order is popped once, so no architecture is proposed twice.
        while let Some(arch) = self.exploit.pop() {
            if self.seen[arch as usize].is_none() {
                return arch;
            }
        }
        repeat_any(self.space, rng, &mut self.fallbacks)
    }

    fn tell(&mut self, arch: ArchId, fitness: f64) {
        if let Some(i) = self.pending.iter().position(|(asked, _)| *asked == arch) {
            let (_, w) = self.pending.remove(i);
            self.observations.push((w, fitness));
        }
        if self.seen[arch as usize].replace(fitness).is_none() {
            self.evaluated += 1;
        }
    }

    fn fallbacks(&self) -> Fallbacks {
        self.fallbacks.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{run, toy_space, unimodal};

    #[test]
    fn finds_the_optimum_when_a_metric_predicts_the_objective() {
        let space = toy_space();
        // Metric 0 is the objective itself, metric 1 is anti-correlated noise.
        let good: Vec<f64> = (0..1000).map(unimodal).collect();
        let bad: Vec<f64> = (0..1000).map(|a| ((a * 7919) % 1000) as f64).collect();
        let ctx = MethodContext {
            space: &space,
            properties: vec![("good", &good), ("bad", &bad)],
            sources: Vec::new(),
            trial: None,
            images: None,
        };
        let params = RobotParams {
            id: None,
            metrics: vec!["bad".into(), "good".into()],
            init: 5,
            bo_steps: 15,
            candidates: 200,
        };
        for seed in 0..5 {
            let (best, _) = run(&mut params.build(&ctx), unimodal, 30, seed);
            assert_eq!(best, 0.0, "seed {seed}");
        }
    }

    #[test]
    fn selects_what_scanning_every_architecture_selects() {
        let mut rng = rng::from_seed([5; 32]);
        let n = 1_000;
        // Correlated metrics with repeated points and points on a line (a hull edge).
        let x: Vec<f64> = (0..n).map(|i| ((i % 400) as f64 / 40.0).round()).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| match i % 3 {
                0 => x[i] * 2.0,
                _ => x[i] + rng::gaussian(&mut rng),
            })
            .collect();
        let metrics = vec![standardize(&x), standardize(&y)];
        let selectable = selectable(&metrics);
        assert!(selectable.len() < n / 4, "{} of {n}", selectable.len());
        assert_eq!(toy_space().size(), n);
        let space = toy_space();
        let robot = Robot {
            space: &space,
            params: RobotParams {
                id: None,
                metrics: Vec::new(),
                init: 5,
                bo_steps: 20,
                candidates: 1,
            },
            selectable,
            metrics,
            seen: Vec::new(),
            evaluated: 0,
            observations: Vec::new(),
            pending: Vec::new(),
            exploit: Vec::new(),
            fallbacks: Fallbacks::default(),
        };
        let axes = [
            [1.0, 0.0],
            [0.0, -1.0],
            [2.0, -1.0],
            [-2.0, 1.0],
            [0.0, 0.0],
        ];
        let mut weights: Vec<Vec<f64>> = axes.iter().map(|w| w.to_vec()).collect();
        weights.extend((0..2_000).map(|_| robot.random_weights(&mut rng)));
        for w in &weights {
            // The scan `select` was before it skipped anything.
            let scan = (0..n)
                .max_by(|&a, &b| {
                    let (va, vb) = (robot.combined(w, a), robot.combined(w, b));
                    va.total_cmp(&vb).then(b.cmp(&a))
                })
                .unwrap() as ArchId;
            assert_eq!(robot.select(w), scan, "{w:?}");
        }
    }

    #[test]
    fn never_asks_twice_for_the_same_architecture() {
        let space = toy_space();
        let m: Vec<f64> = (0..1000).map(|a| (a % 17) as f64).collect();
        let ctx = MethodContext {
            space: &space,
            properties: vec![("m", &m)],
            sources: Vec::new(),
            trial: None,
            images: None,
        };
        let params = RobotParams {
            id: None,
            metrics: vec!["m".into()],
            init: 2,
            bo_steps: 5,
            candidates: 50,
        };
        let (_, asked) = run(&mut params.build(&ctx), unimodal, 100, 1);
        let mut unique = asked.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), asked.len());
    }
}
