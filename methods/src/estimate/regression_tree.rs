//! CART regression trees (Breiman, Friedman, Olshen & Stone, "Classification and Regression
//! Trees", 1984), the base learner of the random forest and of gradient boosting.
//!
//! Variant: binary splits `x[f] ≤ t` with `t` halfway between two adjacent distinct values,
//! chosen to minimise the summed squared error of the two children; grown depth-first until
//! `max_depth`, fewer than `2 · min_samples_leaf` samples, or no split that lowers the error.
//! Among equally good splits the lowest feature index, then the lowest threshold, wins, so a
//! tree is a function of its data (and, for a forest, of the trial's generator) alone: written
//! here because smartcore's trees shuffle features with their own `SmallRng`, which nash's
//! seeding rule forbids.

use datasets::rng::{self, TrialRng};

/// How a tree grows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreeParams {
    pub max_depth: usize,
    pub min_samples_leaf: usize,
    /// Features drawn (without replacement, from the generator) as split candidates at each
    /// node; `None` considers every feature.
    pub features_per_split: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Leaf(f64),
    Split {
        feature: usize,
        threshold: f64,
        left: usize,
        right: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RegressionTree {
    /// The root is node 0.
    nodes: Vec<Node>,
}

/// Training rows sorted once by each feature (ties by row), shared by every tree grown on
/// them: a node's rows stay sorted as they are partitioned, so no node sorts.
pub struct SortedRows<'a> {
    x: &'a [Vec<f64>],
    /// `order[f]`: the rows by increasing `x[row][f]`.
    order: Vec<Vec<usize>>,
}

impl<'a> SortedRows<'a> {
    /// `x` must not be empty, and its rows all of one length.
    pub fn new(x: &'a [Vec<f64>]) -> SortedRows<'a> {
        let order = (0..x[0].len())
            .map(|f| {
                let mut rows: Vec<usize> = (0..x.len()).collect();
                rows.sort_by(|&a, &b| x[a][f].total_cmp(&x[b][f]).then(a.cmp(&b)));
                rows
            })
            .collect();
        SortedRows { x, order }
    }
}

/// What one tree's growth reads.
struct Grower<'a> {
    x: &'a [Vec<f64>],
    y: &'a [f64],
    /// How many times each row is in the tree's sample.
    counts: &'a [u32],
    params: TreeParams,
}

/// The best split of a node: (gain, feature, threshold).
type Split = (f64, usize, f64);

impl RegressionTree {
    /// Fits `rows` to `y` on a sample holding row `r` `counts[r]` times (1 for every row, or
    /// a bootstrap draw's multiplicities). `rng` is read only to draw split features.
    pub fn fit(
        rows: &SortedRows,
        y: &[f64],
        counts: &[u32],
        params: TreeParams,
        rng: &mut TrialRng,
    ) -> RegressionTree {
        let grower = Grower {
            x: rows.x,
            y,
            counts,
            params,
        };
        // Each feature's sorted rows; a node is the same range of every list.
        let mut lists: Vec<Vec<usize>> = rows
            .order
            .iter()
            .map(|o| o.iter().copied().filter(|&r| counts[r] > 0).collect())
            .collect();
        let len = lists[0].len();
        let mut tree = RegressionTree { nodes: Vec::new() };
        let mut scratch = Vec::with_capacity(len);
        tree.grow(&grower, &mut lists, 0..len, &mut scratch, 0, rng);
        tree
    }

    /// Adds the node of the rows in `range` of `lists` and its subtree; returns its index.
    fn grow(
        &mut self,
        g: &Grower,
        lists: &mut [Vec<usize>],
        range: std::ops::Range<usize>,
        scratch: &mut Vec<usize>,
        depth: usize,
        rng: &mut TrialRng,
    ) -> usize {
        let index = self.nodes.len();
        let (n, total) = lists[0][range.clone()]
            .iter()
            .fold((0u64, 0.0), |(n, s), &r| {
                let c = g.counts[r];
                (n + u64::from(c), s + f64::from(c) * g.y[r])
            });
        self.nodes.push(Node::Leaf(total / n as f64));
        let leaf = g.params.min_samples_leaf as u64;
        if depth >= g.params.max_depth || n < 2 * leaf {
            return index;
        }
        let Some((_, feature, threshold)) = g.best_split(lists, range.clone(), n, total, rng)
        else {
            return index;
        };
        // A stable partition of every list's range: rows going left first, both in order.
        let mut middle = range.start;
        for list in lists.iter_mut() {
            scratch.clear();
            let mut write = range.start;
            for k in range.clone() {
                let r = list[k];
                if g.x[r][feature] <= threshold {
                    list[write] = r;
                    write += 1;
                } else {
                    scratch.push(r);
                }
            }
            list[write..range.end].copy_from_slice(scratch);
            middle = write;
        }
        let left = self.grow(g, lists, range.start..middle, scratch, depth + 1, rng);
        let right = self.grow(g, lists, middle..range.end, scratch, depth + 1, rng);
        self.nodes[index] = Node::Split {
            feature,
            threshold,
            left,
            right,
        };
        index
    }

    pub fn predict(&self, row: &[f64]) -> f64 {
        let mut node = 0;
        loop {
            match self.nodes[node] {
                Node::Leaf(value) => return value,
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    node = if row[feature] <= threshold {
                        left
                    } else {
                        right
                    }
                }
            }
        }
    }
}

impl Grower<'_> {
    /// The split of a node (`n` samples summing to `total`) that lowers the squared error
    /// most, if any does. The gain of a split is `S_L²/n_L + S_R²/n_R − S²/n` (S: the sum of
    /// the labels), the drop in summed squared error.
    fn best_split(
        &self,
        lists: &[Vec<usize>],
        range: std::ops::Range<usize>,
        n: u64,
        total: f64,
        rng: &mut TrialRng,
    ) -> Option<Split> {
        let d = lists.len();
        let mut features: Vec<usize> = (0..d).collect();
        if let Some(m) = self.params.features_per_split.filter(|&m| m < d) {
            // A partial Fisher–Yates shuffle: the first m are a uniform draw without
            // replacement.
            for k in 0..m {
                features.swap(k, k + rng::below(rng, d - k));
            }
            features.truncate(m);
            features.sort_unstable();
        }
        let parent = total * total / n as f64;
        let leaf = self.params.min_samples_leaf as u64;
        let mut best: Option<Split> = None;
        for f in features {
            let list = &lists[f][range.clone()];
            let (mut left_n, mut left_sum) = (0u64, 0.0);
            for k in 1..list.len() {
                let row = list[k - 1];
                left_n += u64::from(self.counts[row]);
                left_sum += f64::from(self.counts[row]) * self.y[row];
                let (lo, hi) = (self.x[row][f], self.x[list[k]][f]);
                if left_n < leaf || n - left_n < leaf || lo == hi {
                    continue;
                }
                let right_sum = total - left_sum;
                let gain = left_sum * left_sum / left_n as f64
                    + right_sum * right_sum / (n - left_n) as f64
                    - parent;
                // Strictly better only: ties keep the earlier (lower) feature and threshold.
                if gain > 1e-12 * parent.abs().max(1.0) && best.is_none_or(|(g, ..)| gain > g) {
                    best = Some((gain, f, lo + (hi - lo) / 2.0));
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> (Vec<Vec<f64>>, Vec<f64>) {
        // y = 10·[a > 1] + [b > 0], a in 0..4, b in 0..2.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for a in 0..4 {
            for b in 0..2 {
                x.push(vec![a as f64, b as f64]);
                y.push(10.0 * f64::from(a > 1) + f64::from(b > 0));
            }
        }
        (x, y)
    }

    fn params(max_depth: usize) -> TreeParams {
        TreeParams {
            max_depth,
            min_samples_leaf: 1,
            features_per_split: None,
        }
    }

    #[test]
    fn finds_the_splits_that_explain_the_labels() {
        let (x, y) = grid();
        let rows = SortedRows::new(&x);
        let all = vec![1; x.len()];
        let mut rng = rng::from_seed([1; 32]);
        let stump = RegressionTree::fit(&rows, &y, &all, params(1), &mut rng);
        assert_eq!(
            stump.nodes[0],
            Node::Split {
                feature: 0,
                threshold: 1.5,
                left: 1,
                right: 2
            }
        );
        let tree = RegressionTree::fit(&rows, &y, &all, params(5), &mut rng);
        for (row, label) in x.iter().zip(&y) {
            assert_eq!(tree.predict(row), *label);
        }
        // Once the error is zero nothing is split further: 2 + 4 leaves' worth of nodes.
        assert_eq!(tree.nodes.len(), 7);
    }

    #[test]
    fn leaves_respect_the_minimum_size_and_bootstrap_repeats_count() {
        let (x, y) = grid();
        let mut rng = rng::from_seed([1; 32]);
        let p = TreeParams {
            min_samples_leaf: 4,
            ..params(5)
        };
        let rows = SortedRows::new(&x);
        let tree = RegressionTree::fit(&rows, &y, &[1; 8], p, &mut rng);
        assert_eq!(tree.nodes.len(), 3, "only the 4/4 split is allowed");
        // A sample drawn twice weighs twice in its leaf's mean.
        let tree = RegressionTree::fit(&rows, &y, &[1, 2, 0, 0, 0, 0, 0, 0], params(0), &mut rng);
        assert_eq!(tree.predict(&x[0]), 2.0 / 3.0);
    }

    #[test]
    fn feature_draws_come_from_the_generator() {
        let (x, y) = grid();
        let rows = SortedRows::new(&x);
        let p = TreeParams {
            features_per_split: Some(1),
            ..params(1)
        };
        let fit = |seed| {
            let mut rng = rng::from_seed([seed; 32]);
            RegressionTree::fit(&rows, &y, &[1; 8], p, &mut rng)
        };
        assert_eq!(fit(3), fit(3));
        let features: Vec<usize> = (0..20)
            .map(|s| match fit(s).nodes[0] {
                Node::Split { feature, .. } => feature,
                Node::Leaf(_) => panic!("no split"),
            })
            .collect();
        assert!(
            features.contains(&0) && features.contains(&1),
            "{features:?}"
        );
    }
}
