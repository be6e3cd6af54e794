//! NSGA-II (Deb, Pratap, Agarwal & Meyarivan, "A Fast and Elitist Multiobjective Genetic
//! Algorithm: NSGA-II", IEEE TEVC 2002) for accuracy against a cost the benchmark tabulates
//! (`second`: params, latency or FLOPs, minimized), as hardware-aware NAS poses it (FBNet,
//! ProxylessNAS report accuracy–latency fronts).
//!
//! Variant: a population of `population` (20) architectures, the first generation uniformly
//! random. Each generation makes `population` children: two parents by binary tournament
//! (lower non-domination rank, then larger crowding distance), uniform crossover of their
//! decisions with probability `crossover` (0.9), then each decision redrawn uniformly with
//! probability 1/D (D decisions), pymoo's defaults for discrete variables; children already
//! evaluated are redrawn (up to 100 times), as pymoo eliminates duplicates. Once all children
//! are told, parents and children are merged and the next population is filled front by front
//! (fast non-dominated sort), the last front by crowding distance. The told fitness is the
//! first objective (maximized); the second is read from the benchmark's property table.

use datasets::rng::{self, TrialRng};
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::{SearchMethod, Searcher, draw_choices};
use crate::limits::{self, Interval};
use crate::registry::{Capabilities, Card, Parallelism};
use crate::{Fallbacks, MethodContext};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nsga2Params {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_second")]
    pub second: String,
    #[serde(default = "default_population")]
    pub population: usize,
    #[serde(default = "default_crossover")]
    pub crossover: f64,
}

fn default_second() -> String {
    "params".into()
}

fn default_population() -> usize {
    20
}

fn default_crossover() -> f64 {
    0.9
}

impl SearchMethod for Nsga2Params {
    const CARD: Card = Card {
        name: "nsga2",
        summary: "NSGA-II (Deb et al. 2002): accuracy against a tabulated cost",
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
        limits::count("population", self.population, 2, limits::MAX_ARCHS)?;
        limits::real("crossover", self.crossover, Interval::Closed(0.0, 1.0))
    }

    fn properties(&self) -> Vec<&str> {
        vec![self.second.as_str()]
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(self.build(ctx))
    }
}

impl Nsga2Params {
    /// `ctx` must hold the `second` property (the protocol loader checks it).
    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> Nsga2<'a> {
        Nsga2 {
            space: ctx.space,
            second: ctx
                .property(&self.second)
                .expect("protocol checked the benchmark's properties"),
            params: self.clone(),
            decisions: ctx.space.decisions(),
            seen: vec![false; ctx.space.size()],
            population: Vec::new(),
            children: Vec::new(),
            queue: Vec::new(),
            fallbacks: Fallbacks::default(),
        }
    }
}

/// An evaluated architecture: objectives to minimise, `(−fitness, second)`.
#[derive(Clone, Copy, Debug)]
struct Member {
    arch: ArchId,
    objectives: [f64; 2],
}

pub struct Nsga2<'a> {
    space: &'a dyn SearchSpace,
    second: &'a [f64],
    params: Nsga2Params,
    decisions: Vec<usize>,
    seen: Vec<bool>,
    population: Vec<Member>,
    children: Vec<Member>,
    /// Children still to be asked (next last).
    queue: Vec<ArchId>,
    fallbacks: Fallbacks,
}

fn dominates(a: &[f64; 2], b: &[f64; 2]) -> bool {
    a[0] <= b[0] && a[1] <= b[1] && (a[0] < b[0] || a[1] < b[1])
}

/// Fast non-dominated sort: the fronts, as indices into `members`, best first.
fn fronts(members: &[Member]) -> Vec<Vec<usize>> {
    let n = members.len();
    let mut dominated_by = vec![0usize; n];
    let mut dominating: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        for j in 0..n {
            if dominates(&members[i].objectives, &members[j].objectives) {
                dominating[i].push(j);
            } else if dominates(&members[j].objectives, &members[i].objectives) {
                dominated_by[i] += 1;
            }
        }
    }
    let mut out = Vec::new();
    let mut current: Vec<usize> = (0..n).filter(|&i| dominated_by[i] == 0).collect();
    while !current.is_empty() {
        let mut next = Vec::new();
        for &i in &current {
            for &j in &dominating[i] {
                dominated_by[j] -= 1;
                if dominated_by[j] == 0 {
                    next.push(j);
                }
            }
        }
        next.sort_unstable();
        out.push(current);
        current = next;
    }
    out
}

/// Crowding distance of each member of one front (same order as `front`).
fn crowding(members: &[Member], front: &[usize]) -> Vec<f64> {
    let mut distance = vec![0.0; front.len()];
    for m in 0..2 {
        let mut order: Vec<usize> = (0..front.len()).collect();
        order.sort_by(|&a, &b| {
            members[front[a]].objectives[m].total_cmp(&members[front[b]].objectives[m])
        });
        let (lo, hi) = (
            members[front[order[0]]].objectives[m],
            members[front[order[order.len() - 1]]].objectives[m],
        );
        distance[order[0]] = f64::INFINITY;
        distance[order[order.len() - 1]] = f64::INFINITY;
        if hi > lo {
            for k in 1..order.len().saturating_sub(1) {
                let gap = members[front[order[k + 1]]].objectives[m]
                    - members[front[order[k - 1]]].objectives[m];
                distance[order[k]] += gap / (hi - lo);
            }
        }
    }
    distance
}

/// Rank and crowding distance of every member.
fn rank_and_crowding(members: &[Member]) -> Vec<(usize, f64)> {
    let mut out = vec![(0, 0.0); members.len()];
    for (rank, front) in fronts(members).iter().enumerate() {
        for (&i, d) in front.iter().zip(crowding(members, front)) {
            out[i] = (rank, d);
        }
    }
    out
}

impl Nsga2<'_> {
    fn member(&self, arch: ArchId, fitness: f64) -> Member {
        Member {
            arch,
            objectives: [-fitness, self.second[arch as usize]],
        }
    }

    /// Binary tournament: lower rank wins, then larger crowding distance.
    fn tournament(&self, scores: &[(usize, f64)], rng: &mut TrialRng) -> usize {
        let a = rng::below(rng, self.population.len());
        let b = rng::below(rng, self.population.len());
        let better =
            scores[a].0 < scores[b].0 || (scores[a].0 == scores[b].0 && scores[a].1 > scores[b].1);
        if better { a } else { b }
    }

    fn breed(&mut self, rng: &mut TrialRng) {
        let scores = rank_and_crowding(&self.population);
        let d = self.decisions.len();
        let mut planned = self.seen.clone();
        let mut children = Vec::with_capacity(self.params.population);
        for _ in 0..self.params.population {
            let mut child = None;
            for _ in 0..100 {
                let p1 = self
                    .space
                    .choices(self.population[self.tournament(&scores, rng)].arch);
                let p2 = self
                    .space
                    .choices(self.population[self.tournament(&scores, rng)].arch);
                let cross = rng::unit(rng) < self.params.crossover;
                let (arch, _) = draw_choices(self.space, rng, &mut self.fallbacks, |rng| {
                    (0..d)
                        .map(|k| {
                            let inherited = if cross && rng::unit(rng) < 0.5 {
                                p2[k]
                            } else {
                                p1[k]
                            };
                            if rng::unit(rng) < 1.0 / d as f64 {
                                rng::below(rng, self.decisions[k])
                            } else {
                                inherited
                            }
                        })
                        .collect()
                });
                if !planned[arch as usize] {
                    child = Some(arch);
                    break;
                }
            }
            let arch = child.unwrap_or_else(|| {
                self.fallbacks.record(|| {
                    "100 offspring in a row were already evaluated or planned: drew a random \
                     unseen architecture instead"
                        .into()
                });
                super::sample_unseen(self.space, &planned, rng, &mut self.fallbacks)
            });
            planned[arch as usize] = true;
            children.push(arch);
        }
        children.reverse();
        self.queue = children;
    }

    /// Parents and children merged; the best `population` survive.
    fn select(&mut self) {
        let mut merged = std::mem::take(&mut self.population);
        merged.append(&mut self.children);
        let size = self.params.population;
        let mut next = Vec::with_capacity(size);
        for front in fronts(&merged) {
            if next.len() + front.len() <= size {
                next.extend(front.iter().map(|&i| merged[i]));
            } else {
                let distance = crowding(&merged, &front);
                let mut order: Vec<usize> = (0..front.len()).collect();
                order.sort_by(|&a, &b| distance[b].total_cmp(&distance[a]).then(a.cmp(&b)));
                next.extend(
                    order
                        .iter()
                        .take(size - next.len())
                        .map(|&k| merged[front[k]]),
                );
            }
            if next.len() == size {
                break;
            }
        }
        self.population = next;
    }
}

impl Nsga2<'_> {
    /// Random members until the first population is told, then the bred children.
    fn propose(&mut self, rng: &mut TrialRng) -> ArchId {
        if self.population.len() < self.params.population && self.children.is_empty() {
            return super::sample_unseen(self.space, &self.seen, rng, &mut self.fallbacks);
        }
        if self.queue.is_empty() {
            self.breed(rng);
        }
        self.queue.pop().expect("breed fills the queue")
    }
}

impl Searcher for Nsga2<'_> {
    /// Marks the architecture seen when it is asked for, so that simulated workers never
    /// evaluate one another's pending architectures again.
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        let arch = self.propose(rng);
        self.seen[arch as usize] = true;
        arch
    }

    fn tell(&mut self, arch: ArchId, fitness: f64) {
        let member = self.member(arch, fitness);
        if self.population.len() < self.params.population && self.children.is_empty() {
            self.population.push(member);
            return;
        }
        self.children.push(member);
        if self.children.len() >= self.params.population {
            self.select();
        }
    }

    fn fallbacks(&self) -> Fallbacks {
        self.fallbacks.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{TOY_PARAMS, run};
    use datasets::space::GridSpace;

    /// Accuracy peaks at (7, 2, 5); cost grows with every digit.
    fn accuracy(arch: ArchId) -> f64 {
        let (a, b, c) = (
            (arch / 100) as f64,
            ((arch / 10) % 10) as f64,
            (arch % 10) as f64,
        );
        -((a - 7.0).powi(2) + (b - 2.0).powi(2) + (c - 5.0).powi(2))
    }

    fn cost(arch: ArchId) -> f64 {
        ((arch / 100) + (arch / 10) % 10 + arch % 10) as f64
    }

    fn front_of(archs: &[ArchId]) -> Vec<[f64; 2]> {
        let members: Vec<Member> = archs
            .iter()
            .map(|&a| Member {
                arch: a,
                objectives: [-accuracy(a), cost(a)],
            })
            .collect();
        let mut front: Vec<[f64; 2]> = fronts(&members)[0]
            .iter()
            .map(|&i| members[i].objectives)
            .collect();
        front.sort_by(|a, b| a[1].total_cmp(&b[1]).then(a[0].total_cmp(&b[0])));
        front.dedup();
        front
    }

    #[test]
    fn finds_the_exact_front_of_a_small_table() {
        let space = GridSpace::new("toy", TOY_PARAMS);
        let costs: Vec<f64> = (0..1000).map(cost).collect();
        let ctx = MethodContext {
            space: &space,
            properties: vec![("cost", &costs)],
            sources: Vec::new(),
            trial: None,
            images: None,
        };
        let exact = front_of(&(0..1000).collect::<Vec<_>>());
        let params = Nsga2Params {
            id: None,
            second: "cost".into(),
            population: 20,
            crossover: 0.9,
        };
        let mut found_share = 0.0;
        for seed in 0..5 {
            let (_, asked) = run(&mut params.build(&ctx), accuracy, 400, seed);
            let found = front_of(&asked);
            found_share +=
                found.iter().filter(|p| exact.contains(p)).count() as f64 / exact.len() as f64;
        }
        // 15 points (cost 0..14, one accuracy each); 400 of 1,000 evaluations.
        assert_eq!(exact.len(), 15);
        assert!(found_share / 5.0 > 0.9, "{}", found_share / 5.0);
    }

    #[test]
    fn crowding_distance_is_deb_et_al_s() {
        let members: Vec<Member> = [[0.0, 3.0], [1.0, 2.0], [1.5, 1.5], [3.0, 0.0]]
            .iter()
            .enumerate()
            .map(|(i, &o)| Member {
                arch: i as ArchId,
                objectives: o,
            })
            .collect();
        let d = crowding(&members, &[0, 1, 2, 3]);
        assert!(d[0].is_infinite() && d[3].is_infinite());
        // Normalised gaps between each point's neighbours, summed over both objectives.
        assert!((d[1] - (1.5 / 3.0 + 1.5 / 3.0)).abs() < 1e-12, "{d:?}");
        assert!((d[2] - (2.0 / 3.0 + 2.0 / 3.0)).abs() < 1e-12, "{d:?}");
        assert_eq!(fronts(&members), vec![vec![0, 1, 2, 3]]);
    }
}
