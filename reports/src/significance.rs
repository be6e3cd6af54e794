//! Significance tests for comparing methods: Wilcoxon signed-rank (paired), Mann-Whitney U
//! (unpaired), Holm's step-down correction, the Friedman test over several methods with the
//! Nemenyi critical difference (Demšar, JMLR 2006), and average ranks.
//!
//! Definitions follow scipy.stats (`wilcoxon`, `mannwhitneyu`, `friedmanchisquare`, all
//! two-sided); `reports/tests/scipy_reference.rs` checks them against scipy's numbers.

use statrs::distribution::{ChiSquared, Continuous, ContinuousCDF, Normal};

use crate::rank::average_ranks;

/// A test statistic and its two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Test {
    pub statistic: f64,
    pub p_value: f64,
}

/// Whether any two values are equal.
fn has_ties(values: &[f64]) -> bool {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.windows(2).any(|w| w[0] == w[1])
}

fn normal_two_sided(z: f64) -> f64 {
    2.0 * Normal::standard().sf(z.abs())
}

/// Wilcoxon signed-rank test of paired samples (scipy's defaults: zero differences dropped,
/// no continuity correction). The statistic is the smaller of the positive and negative rank
/// sums. The p-value is exact (by enumerating the null distribution) for up to 50 non-zero
/// differences without ties, and otherwise from the normal approximation with the tie
/// correction of the variance, as scipy's `method="auto"`.
pub fn wilcoxon(x: &[f64], y: &[f64]) -> Test {
    assert_eq!(x.len(), y.len(), "paired samples");
    let d: Vec<f64> = x
        .iter()
        .zip(y)
        .map(|(a, b)| a - b)
        .filter(|v| *v != 0.0)
        .collect();
    let n = d.len();
    if n == 0 {
        return Test {
            statistic: 0.0,
            p_value: 1.0,
        };
    }
    let ranks = average_ranks(&d.iter().map(|v| v.abs()).collect::<Vec<_>>());
    let r_plus: f64 = d
        .iter()
        .zip(&ranks)
        .filter(|(v, _)| **v > 0.0)
        .map(|(_, r)| r)
        .sum();
    let r_minus: f64 = d
        .iter()
        .zip(&ranks)
        .filter(|(v, _)| **v < 0.0)
        .map(|(_, r)| r)
        .sum();
    let statistic = r_plus.min(r_minus);
    let ties = has_ties(&d.iter().map(|v| v.abs()).collect::<Vec<_>>());
    if n <= 50 && !ties {
        // Exact: the number of subsets of {1..n} with each rank sum.
        let max = n * (n + 1) / 2;
        let mut counts = vec![0f64; max + 1];
        counts[0] = 1.0;
        for k in 1..=n {
            for s in (k..=max).rev() {
                counts[s] += counts[s - k];
            }
        }
        let total = 2f64.powi(n as i32);
        let below: f64 = counts[..=statistic as usize].iter().sum();
        return Test {
            statistic,
            p_value: (2.0 * below / total).min(1.0),
        };
    }
    let nf = n as f64;
    let mean = nf * (nf + 1.0) / 4.0;
    let mut var = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0;
    // Tie correction: Σ (t³ − t) / 48 over groups of equal |d|.
    let mut sorted: Vec<f64> = d.iter().map(|v| v.abs()).collect();
    sorted.sort_by(f64::total_cmp);
    for group in sorted.chunk_by(|a, b| a == b) {
        let t = group.len() as f64;
        var -= (t * t * t - t) / 48.0;
    }
    Test {
        statistic,
        p_value: normal_two_sided((statistic - mean) / var.sqrt()),
    }
}

/// Mann-Whitney U test of independent samples. The statistic is U of `x`. Exact p-value for
/// samples of at most 8 without ties, else the normal approximation with tie correction and
/// continuity correction, as scipy's `method="auto"`.
pub fn mann_whitney(x: &[f64], y: &[f64]) -> Test {
    let (n1, n2) = (x.len(), y.len());
    let all: Vec<f64> = x.iter().chain(y).copied().collect();
    let ranks = average_ranks(&all);
    let r1: f64 = ranks[..n1].iter().sum();
    let u1 = r1 - (n1 * (n1 + 1)) as f64 / 2.0;
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let u2 = n1f * n2f - u1;
    if n1 <= 8 && n2 <= 8 && !has_ties(&all) {
        // Exact: counts of U over all splits, by the recurrence f(u; m, n).
        let max = n1 * n2;
        let mut table = vec![vec![vec![0f64; max + 1]; n2 + 1]; n1 + 1];
        for (i, row) in table.iter_mut().enumerate() {
            for (j, cell) in row.iter_mut().enumerate() {
                if i == 0 || j == 0 {
                    cell[0] = 1.0;
                }
            }
        }
        for i in 1..=n1 {
            for j in 1..=n2 {
                for u in 0..=i * j {
                    let with_i = if u >= j { table[i - 1][j][u - j] } else { 0.0 };
                    table[i][j][u] = with_i + table[i][j - 1][u];
                }
            }
        }
        let total: f64 = table[n1][n2].iter().sum();
        let k = u1.max(u2) as usize;
        let upper: f64 = table[n1][n2][k..].iter().sum();
        return Test {
            statistic: u1,
            p_value: (2.0 * upper / total).min(1.0),
        };
    }
    let n = n1f + n2f;
    let mut sorted = all.clone();
    sorted.sort_by(f64::total_cmp);
    let tie_term: f64 = sorted
        .chunk_by(|a, b| a == b)
        .map(|g| {
            let t = g.len() as f64;
            t * t * t - t
        })
        .sum();
    let var = n1f * n2f / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    let mean = n1f * n2f / 2.0;
    let u = u1.max(u2);
    let z = (u - mean - 0.5) / var.sqrt();
    Test {
        statistic: u1,
        p_value: normal_two_sided(z).min(1.0),
    }
}

/// Holm's step-down adjustment of p-values (Holm 1979), in the input order.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p_values[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// Average rank of each method (column) over blocks (rows), rank 1 the best: higher values
/// are better when `maximize`.
pub fn average_ranks_over(blocks: &[Vec<f64>], maximize: bool) -> Vec<f64> {
    let k = blocks.first().map_or(0, Vec::len);
    let mut sums = vec![0.0; k];
    for block in blocks {
        let oriented: Vec<f64> = block
            .iter()
            .map(|v| if maximize { -v } else { *v })
            .collect();
        for (s, r) in sums.iter_mut().zip(average_ranks(&oriented)) {
            *s += r;
        }
    }
    sums.iter().map(|s| s / blocks.len() as f64).collect()
}

/// Friedman's test that k methods (columns) rank alike over n blocks (rows), with the tie
/// correction, as scipy's `friedmanchisquare`.
pub fn friedman(blocks: &[Vec<f64>]) -> Test {
    let n = blocks.len() as f64;
    let k = blocks.first().map_or(0, Vec::len) as f64;
    let mut rank_sums = vec![0.0; k as usize];
    let mut ties = 0.0;
    for block in blocks {
        let ranks = average_ranks(block);
        for (s, r) in rank_sums.iter_mut().zip(&ranks) {
            *s += r;
        }
        let mut sorted = block.clone();
        sorted.sort_by(f64::total_cmp);
        ties += sorted
            .chunk_by(|a, b| a == b)
            .map(|g| {
                let t = g.len() as f64;
                t * t * t - t
            })
            .sum::<f64>();
    }
    let ssbn: f64 = rank_sums.iter().map(|r| r * r).sum();
    let c = 1.0 - ties / (k * (k * k - 1.0) * n);
    let chi2 = (12.0 / (n * k * (k + 1.0)) * ssbn - 3.0 * n * (k + 1.0)) / c;
    let p = match ChiSquared::new(k - 1.0) {
        Ok(d) if chi2.is_finite() => d.sf(chi2.max(0.0)),
        _ => f64::NAN,
    };
    Test {
        statistic: chi2,
        p_value: p,
    }
}

/// The Nemenyi critical difference of average ranks at α = 0.05 for k ≥ 2 methods over n
/// blocks, `q_α √(k(k+1)/6n)` (Demšar, JMLR 2006), where `q_α` is the studentized range
/// statistic's upper α quantile for k means and infinite degrees of freedom, divided by √2.
/// It is computed, not tabulated, so any number of methods gets a diagram.
pub fn nemenyi_cd(k: usize, n: usize) -> Option<f64> {
    if k < 2 || n == 0 {
        return None;
    }
    let q = studentized_range_quantile(0.95, k) / std::f64::consts::SQRT_2;
    Some(q * ((k * (k + 1)) as f64 / (6.0 * n as f64)).sqrt())
}

/// P(R ≤ q) for the range R of k independent standard normals:
/// `k ∫ φ(z) (Φ(z) − Φ(z − q))^(k−1) dz`, by Simpson's rule on [−9, 9].
fn studentized_range_cdf(q: f64, k: usize) -> f64 {
    let normal = Normal::standard();
    let (lo, hi, steps) = (-9.0, 9.0, 3_000);
    let h = (hi - lo) / steps as f64;
    let f = |z: f64| {
        let inner = normal.cdf(z) - normal.cdf(z - q);
        normal.pdf(z) * inner.powi(k as i32 - 1)
    };
    let mut sum = f(lo) + f(hi);
    for i in 1..steps {
        sum += f(lo + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    k as f64 * sum * h / 3.0
}

/// The q with `studentized_range_cdf(q, k) = p`, by bisection.
fn studentized_range_quantile(p: f64, k: usize) -> f64 {
    let (mut lo, mut hi) = (0.0, 20.0);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if studentized_range_cdf(mid, k) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holm_adjusts_in_step_down_order() {
        // p = [0.01, 0.04, 0.03] → sorted 0.01·3, 0.03·2, 0.04·1 = 0.03, 0.06, 0.06 (monotone)
        let adj = holm(&[0.01, 0.04, 0.03]);
        assert!(
            (adj[0] - 0.03).abs() < 1e-15
                && (adj[1] - 0.06).abs() < 1e-15
                && (adj[2] - 0.06).abs() < 1e-15
        );
    }

    #[test]
    fn ranks_and_critical_difference() {
        let blocks = vec![vec![0.9, 0.8, 0.7], vec![0.95, 0.7, 0.8]];
        assert_eq!(average_ranks_over(&blocks, true), vec![1.0, 2.5, 2.5]);
        // Demšar's example: k = 4, N = 14 → CD = 2.569 √(20/84) = 1.2536
        assert!((nemenyi_cd(4, 14).unwrap() - 1.2536).abs() < 1e-3);
        assert_eq!(nemenyi_cd(1, 5), None);
    }

    #[test]
    fn nemenyi_q_matches_demsars_table_and_extends_past_it() {
        // Demšar (2006), Table 5a: q_0.05 for k = 2…10 (three decimals, some truncated).
        let table = [
            1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164,
        ];
        for (i, &q) in table.iter().enumerate() {
            let k = i + 2;
            let computed = studentized_range_quantile(0.95, k) / std::f64::consts::SQRT_2;
            assert!((computed - q).abs() < 1e-3, "k = {k}: {computed} vs {q}");
        }
        // Tukey's q_0.05(20, ∞) = 5.01 (Harter 1960), so 3.54 after the √2.
        let q20 = studentized_range_quantile(0.95, 20) / std::f64::consts::SQRT_2;
        assert!(
            (q20 - 5.01 / std::f64::consts::SQRT_2).abs() < 5e-3,
            "{q20}"
        );
        assert!(nemenyi_cd(16, 50).is_some());
    }
}
