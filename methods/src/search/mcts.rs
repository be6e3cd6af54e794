//! Monte-Carlo tree search with UCT over the decision tree of the space, as DeepArchitect's
//! `MCTSSearcher` (Negrinho & Gordon, "DeepArchitect: Automatically Designing and Training
//! Deep Architectures", 2017, section 5.2) runs it.
//!
//! Variant: the tree's levels are the space's decisions in order (NB201: edge by edge), a
//! node's children its choices. Each `ask` walks from the root: a node with unvisited
//! children picks one of them uniformly (expansion), after which the rest of the path is
//! uniformly random (rollout); a fully expanded node picks the child maximising UCT,
//! `mean + c·√(2 ln N_parent / N_child)` with `exploration` c (1.0, DeepArchitect's
//! `exploration_bonus`). `tell` adds the reward to every node on the path. Rewards are
//! min–max scaled to [0, 1] by the range seen so far before they enter a mean (DeepArchitect
//! feeds validation accuracy in [0, 1]; the runner's fitness may be a percentage or a negated
//! error). Paths that make no architecture of the space are redrawn.

use std::collections::HashMap;

use datasets::rng::{self, TrialRng};
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::{LastDraw, SearchMethod, Searcher};
use crate::Fallbacks;
use crate::MethodContext;
use crate::limits::{self, Interval};
use crate::registry::{Capabilities, Card, Parallelism};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MctsParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_exploration")]
    pub exploration: f64,
}

fn default_exploration() -> f64 {
    1.0
}

impl SearchMethod for MctsParams {
    const CARD: Card = Card {
        name: "mcts",
        summary: "DeepArchitect's Monte Carlo tree search with UCT (Negrinho & Gordon 2017)",
        capabilities: Capabilities {
            parallelism: Parallelism::Asynchronous,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        limits::real("exploration", self.exploration, Interval::Closed(0.0, 1e6))
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(self.build(ctx.space))
    }
}

impl MctsParams {
    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> Mcts<'a> {
        Mcts {
            space,
            exploration: self.exploration,
            decisions: space.decisions(),
            stats: HashMap::new(),
            rewards: Vec::new(),
            asked: LastDraw::default(),
        }
    }
}

/// Visits and raw reward sum of a tree node (a prefix of choices).
#[derive(Default, Clone, Copy)]
struct NodeStats {
    visits: u32,
    rewards: f64,
}

pub struct Mcts<'a> {
    space: &'a dyn SearchSpace,
    exploration: f64,
    decisions: Vec<usize>,
    /// Statistics per visited prefix (the root is the empty prefix).
    stats: HashMap<Vec<usize>, NodeStats>,
    /// Every reward told, for the min–max scaling.
    rewards: Vec<f64>,
    asked: LastDraw,
}

impl Mcts<'_> {
    fn scaled_mean(&self, s: NodeStats, lo: f64, hi: f64) -> f64 {
        let mean = s.rewards / s.visits as f64;
        if hi > lo {
            (mean - lo) / (hi - lo)
        } else {
            0.5
        }
    }

    /// One root-to-leaf walk: UCT while every child has been visited, random afterwards.
    fn walk(&self, rng: &mut TrialRng) -> Vec<usize> {
        let lo = self.rewards.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = self
            .rewards
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let mut path = Vec::with_capacity(self.decisions.len());
        let mut in_tree = true;
        for &n in &self.decisions {
            if !in_tree {
                path.push(rng::below(rng, n));
                continue;
            }
            let parent = self.stats.get(&path).map_or(0, |s| s.visits);
            let mut child = path.clone();
            let children: Vec<Option<NodeStats>> = (0..n)
                .map(|c| {
                    child.push(c);
                    let s = self.stats.get(&child).copied();
                    child.pop();
                    s
                })
                .collect();
            let unvisited: Vec<usize> = (0..n).filter(|&c| children[c].is_none()).collect();
            let choice = if unvisited.is_empty() {
                let uct = |c: usize| {
                    let s = children[c].expect("all children visited");
                    self.scaled_mean(s, lo, hi)
                        + self.exploration
                            * (2.0 * libm::log(parent as f64) / s.visits as f64).sqrt()
                };
                (0..n)
                    .max_by(|&a, &b| uct(a).total_cmp(&uct(b)))
                    .expect("a decision has choices")
            } else {
                in_tree = false;
                unvisited[rng::below(rng, unvisited.len())]
            };
            path.push(choice);
        }
        path
    }
}

impl Searcher for Mcts<'_> {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        let mut asked = std::mem::take(&mut self.asked);
        let arch = asked.draw(self.space, rng, |rng| self.walk(rng));
        self.asked = asked;
        arch
    }

    fn fallbacks(&self) -> Fallbacks {
        self.asked.fallbacks.clone()
    }

    /// Updates the statistics of the asked path, or of `arch`'s own choices.
    fn tell(&mut self, arch: ArchId, reward: f64) {
        let choices = self.asked.take(self.space, arch);
        self.rewards.push(reward);
        for depth in 0..=choices.len() {
            let s = self.stats.entry(choices[..depth].to_vec()).or_default();
            s.visits += 1;
            s.rewards += reward;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{against_random_search, toy_space};

    #[test]
    fn beats_random_search_on_a_unimodal_table() {
        let space = toy_space();
        let mcts = MctsParams {
            id: None,
            exploration: 1.0,
        };
        let (method, random) = against_random_search(|| Box::new(mcts.build(&space)), 200, 20);
        assert!(method > random, "MCTS {method}, RS {random}");
    }

    #[test]
    fn statistics_cover_the_whole_path() {
        let space = toy_space();
        let mut mcts = MctsParams {
            id: None,
            exploration: 1.0,
        }
        .build(&space);
        mcts.tell(725, 1.0);
        mcts.tell(729, 3.0);
        assert_eq!(mcts.stats[&vec![]].visits, 2);
        assert_eq!(mcts.stats[&vec![7, 2]].rewards, 4.0);
        assert_eq!(mcts.stats[&vec![7, 2, 9]].visits, 1);
    }
}
