//! Two-objective Pareto fronts and their hypervolume, for runs that minimize a tabulated cost
//! (params, latency, FLOPs) beside the objective.
//!
//! A point is `[value, cost]`: `value` is the protocol's objective (maximized or minimized as
//! the metric says), `cost` is always minimized. The hypervolume is the area dominated by the
//! front and bounded by a reference point (Zitzler & Thiele, PPSN 1998); nash takes the worst
//! value and the largest cost in the whole table, so every architecture of the space lies
//! inside it and the exact front's hypervolume is the most any run can reach.

/// `[value, cost]` turned into two objectives to minimise (the map is its own inverse).
fn minimised(p: [f64; 2], maximize: bool) -> [f64; 2] {
    if maximize { [-p[0], p[1]] } else { p }
}

/// A front kept up to date as points arrive: O(front size) per insertion.
pub struct Front {
    maximize: bool,
    /// Minimised points by increasing cost, hence strictly decreasing value.
    points: Vec<[f64; 2]>,
}

impl Front {
    pub fn new(maximize: bool) -> Front {
        Front {
            maximize,
            points: Vec::new(),
        }
    }

    /// Adds `p` unless a point of the front dominates or equals it; returns whether it was
    /// added (when not, the front is as it was).
    pub fn insert(&mut self, p: [f64; 2]) -> bool {
        let q = minimised(p, self.maximize);
        // The first point with cost ≥ q's; a point of no greater cost and no greater value
        // dominates q (or equals it).
        let at = self.points.partition_point(|r| r[1] < q[1]);
        if at > 0 && self.points[at - 1][0] <= q[0] {
            return false;
        }
        if self
            .points
            .get(at)
            .is_some_and(|r| r[1] == q[1] && r[0] <= q[0])
        {
            return false;
        }
        // Points from `at` on with value ≥ q's are dominated by q.
        let end = at + self.points[at..].partition_point(|r| r[0] >= q[0]);
        self.points.splice(at..end, [q]);
        true
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The front's `[value, cost]` points by increasing cost.
    pub fn points(&self) -> Vec<[f64; 2]> {
        self.points
            .iter()
            .map(|&p| minimised(p, self.maximize))
            .collect()
    }

    /// Area dominated by the front inside the box it shares with `reference` (`[worst value,
    /// largest cost]`); points outside the box add nothing.
    pub fn hypervolume(&self, reference: [f64; 2]) -> f64 {
        let r = minimised(reference, self.maximize);
        let inside: Vec<&[f64; 2]> = self
            .points
            .iter()
            .filter(|p| p[0] < r[0] && p[1] < r[1])
            .collect();
        // Each point owns the strip up to the next point's cost.
        inside
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let next_cost = inside.get(i + 1).map_or(r[1], |q| q[1]);
                (next_cost - p[1]) * (r[0] - p[0])
            })
            .sum()
    }
}

fn front_of(points: &[[f64; 2]], maximize: bool) -> Front {
    let mut f = Front::new(maximize);
    for &p in points {
        f.insert(p);
    }
    f
}

/// The non-dominated points of `points`, by increasing cost; duplicates kept once.
pub fn front(points: &[[f64; 2]], maximize: bool) -> Vec<[f64; 2]> {
    front_of(points, maximize).points()
}

/// The hypervolume of `points`' front (see [`Front::hypervolume`]).
pub fn hypervolume(points: &[[f64; 2]], reference: [f64; 2], maximize: bool) -> f64 {
    front_of(points, maximize).hypervolume(reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_keeps_the_non_dominated_points() {
        let points = [
            [90.0, 3.0],
            [80.0, 1.0],
            [85.0, 2.0],
            [84.0, 2.5],
            [90.0, 3.5],
        ];
        assert_eq!(
            front(&points, true),
            vec![[80.0, 1.0], [85.0, 2.0], [90.0, 3.0]]
        );
        // Minimizing the value (an error rate): lower is better.
        assert_eq!(front(&points, false), vec![[80.0, 1.0]]);
    }

    #[test]
    fn hypervolume_of_a_staircase() {
        // Reference: value 70 (worst), cost 4 (largest).
        let points = [[80.0, 1.0], [85.0, 2.0], [90.0, 3.0]];
        // Strips: cost 1–2 × (80 − 70), 2–3 × 15, 3–4 × 20.
        assert_eq!(hypervolume(&points, [70.0, 4.0], true), 10.0 + 15.0 + 20.0);
        assert_eq!(hypervolume(&[[60.0, 1.0]], [70.0, 4.0], true), 0.0);
        assert_eq!(hypervolume(&[], [70.0, 4.0], true), 0.0);
        // A dominated point adds nothing.
        let more = [[80.0, 1.0], [85.0, 2.0], [90.0, 3.0], [82.0, 2.5]];
        assert_eq!(hypervolume(&more, [70.0, 4.0], true), 45.0);
    }

    #[test]
    fn incremental_front_matches_the_brute_force_one() {
        let mut rng = 12345u64;
        let mut next = || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((rng >> 33) % 50) as f64
        };
        let points: Vec<[f64; 2]> = (0..300).map(|_| [next(), next()]).collect();
        for maximize in [true, false] {
            let brute: Vec<[f64; 2]> = {
                let better = |a: f64, b: f64| if maximize { a > b } else { a < b };
                let mut f: Vec<[f64; 2]> = points
                    .iter()
                    .filter(|p| {
                        !points.iter().any(|q| {
                            (better(q[0], p[0]) && q[1] <= p[1]) || (q[0] == p[0] && q[1] < p[1])
                        })
                    })
                    .copied()
                    .collect();
                f.sort_by(|a, b| a[1].total_cmp(&b[1]));
                f.dedup();
                f
            };
            assert_eq!(front(&points, maximize), brute, "maximize {maximize}");
        }
    }
}
