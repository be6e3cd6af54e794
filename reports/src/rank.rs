//! Rank correlation between two paired samples: Kendall's tau-b, Spearman's rho and Pearson's
//! r, with ties handled and p-values; and the top-k agreement measures predictor papers use.
//!
//! Definitions follow scipy.stats (`kendalltau` with `method="asymptotic"`, `spearmanr`,
//! `pearsonr`); `reports/tests/scipy_reference.rs` compares every figure with scipy's to 1e-12.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// A correlation coefficient and its two-sided p-value. Both are NaN when the coefficient is
/// undefined (fewer than 2 pairs, or a constant input); `warning` then says why.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    pub value: f64,
    pub p_value: f64,
    pub warning: Option<String>,
}

impl Correlation {
    fn undefined(warning: String) -> Correlation {
        Correlation {
            value: f64::NAN,
            p_value: f64::NAN,
            warning: Some(warning),
        }
    }
}

/// Why a correlation of `x` and `y` is undefined, if it is.
fn degenerate(x: &[f64], y: &[f64]) -> Option<String> {
    assert_eq!(x.len(), y.len(), "paired samples");
    if x.len() < 2 {
        return Some(format!("{} pairs: a correlation needs at least 2", x.len()));
    }
    if let Some(i) = x.iter().chain(y).position(|v| v.is_nan()) {
        return Some(format!("NaN at position {}", i % x.len()));
    }
    let constant = |v: &[f64]| v.iter().all(|a| *a == v[0]);
    if constant(x) {
        return Some("the scores are constant".into());
    }
    if constant(y) {
        return Some("the true values are constant".into());
    }
    None
}

/// Average ranks (1-based): tied values share the mean of the ranks they span.
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    ranks
}

fn pearson_value(x: &[f64], y: &[f64]) -> f64 {
    // Scale both inputs to at most 1 in magnitude first: proxies such as synflow reach 10⁴⁹
    // and more, whose squares would overflow. Correlation does not change with scale.
    let scaled = |v: &[f64]| -> Vec<f64> {
        let m = v.iter().fold(0.0f64, |m, a| m.max(a.abs()));
        if m > 0.0 && m.is_finite() {
            v.iter().map(|a| a / m).collect()
        } else {
            v.to_vec()
        }
    };
    let (x, y) = (&scaled(x)[..], &scaled(y)[..]);
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0)
}

/// Two-sided p-value of a correlation `r` of `n` pairs under the t-distribution with n − 2
/// degrees of freedom (scipy's test for Pearson's r and Spearman's rho).
fn t_test(r: f64, n: usize) -> f64 {
    if n < 3 || !r.is_finite() {
        return f64::NAN;
    }
    if r.abs() >= 1.0 {
        return 0.0;
    }
    let df = (n - 2) as f64;
    let t = r * (df / ((1.0 - r) * (1.0 + r))).sqrt();
    let dist = StudentsT::new(0.0, 1.0, df).expect("df > 0");
    2.0 * dist.sf(t.abs())
}

/// Pearson's correlation coefficient.
pub fn pearson(x: &[f64], y: &[f64]) -> Correlation {
    if let Some(w) = degenerate(x, y) {
        return Correlation::undefined(w);
    }
    let r = pearson_value(x, y);
    Correlation {
        value: r,
        p_value: t_test(r, x.len()),
        warning: None,
    }
}

/// Spearman's rho: Pearson's correlation of the average ranks.
pub fn spearman(x: &[f64], y: &[f64]) -> Correlation {
    if let Some(w) = degenerate(x, y) {
        return Correlation::undefined(w);
    }
    let rho = pearson_value(&average_ranks(x), &average_ranks(y));
    Correlation {
        value: rho,
        p_value: t_test(rho, x.len()),
        warning: None,
    }
}

/// Sums over groups of equal values in sorted data: Σt(t−1)/2, Σt(t−1)(2t+5) and
/// Σt(t−1)(t−2), the tie terms of tau-b and of its variance.
fn tie_sums(sorted: impl Iterator<Item = f64>) -> (f64, f64, f64) {
    let (mut pairs, mut v, mut v2) = (0.0, 0.0, 0.0);
    let mut run = 0.0;
    let mut last = f64::NAN;
    let mut close = |t: f64| {
        pairs += t * (t - 1.0) / 2.0;
        v += t * (t - 1.0) * (2.0 * t + 5.0);
        v2 += t * (t - 1.0) * (t - 2.0);
    };
    for value in sorted {
        if value == last {
            run += 1.0;
        } else {
            close(run);
            run = 1.0;
            last = value;
        }
    }
    close(run);
    (pairs, v, v2)
}

/// Counts inversions of `values` while merge-sorting it (stable, O(n log n)).
fn merge_sort_inversions(values: &mut [f64], buffer: &mut Vec<f64>) -> u64 {
    let n = values.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let mut swaps = merge_sort_inversions(&mut values[..mid], buffer)
        + merge_sort_inversions(&mut values[mid..], buffer);
    buffer.clear();
    let (mut i, mut j) = (0, mid);
    while i < mid && j < n {
        if values[j] < values[i] {
            buffer.push(values[j]);
            swaps += (mid - i) as u64;
            j += 1;
        } else {
            buffer.push(values[i]);
            i += 1;
        }
    }
    buffer.extend_from_slice(&values[i..mid]);
    buffer.extend_from_slice(&values[j..n]);
    values.copy_from_slice(buffer);
    swaps
}

/// Kendall's tau-b by Knight's O(n log n) algorithm (Knight, JASA 1966), with the
/// asymptotic two-sided p-value of the tie-corrected normal approximation (scipy's
/// `kendalltau(method="asymptotic")`).
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Correlation {
    if let Some(w) = degenerate(x, y) {
        return Correlation::undefined(w);
    }
    let n = x.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]).then(y[a].total_cmp(&y[b])));
    // Ties in x, and joint ties in (x, y), from the (x, y)-sorted order.
    let (x_pairs, x_v, x_v2) = tie_sums(order.iter().map(|&i| x[i]));
    let mut joint_pairs = 0.0;
    let mut run = 1.0;
    for w in order.windows(2) {
        if x[w[0]] == x[w[1]] && y[w[0]] == y[w[1]] {
            run += 1.0;
        } else {
            joint_pairs += run * (run - 1.0) / 2.0;
            run = 1.0;
        }
    }
    joint_pairs += run * (run - 1.0) / 2.0;
    // Discordant pairs are the inversions of y in that order (ties in y are not inversions).
    let mut ys: Vec<f64> = order.iter().map(|&i| y[i]).collect();
    let swaps = merge_sort_inversions(&mut ys, &mut Vec::with_capacity(n)) as f64;
    let (y_pairs, y_v, y_v2) = tie_sums(ys.iter().copied());
    let nf = n as f64;
    let total = nf * (nf - 1.0) / 2.0;
    let con_minus_dis = total - x_pairs - y_pairs + joint_pairs - 2.0 * swaps;
    let tau = (con_minus_dis / ((total - x_pairs) * (total - y_pairs)).sqrt()).clamp(-1.0, 1.0);
    // Tie-corrected variance of (concordant − discordant).
    let (xt2, yt2) = (2.0 * x_pairs, 2.0 * y_pairs); // Σt(t−1)
    let var = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - x_v - y_v) / 18.0
        + xt2 * yt2 / (2.0 * nf * (nf - 1.0))
        + x_v2 * y_v2 / (9.0 * nf * (nf - 1.0) * (nf - 2.0));
    let z = con_minus_dis / var.sqrt();
    let normal = Normal::standard();
    let p_value = if var > 0.0 {
        2.0 * normal.sf(z.abs())
    } else {
        f64::NAN
    };
    Correlation {
        value: tau,
        p_value,
        warning: None,
    }
}

/// How well the predicted order finds the truly best architectures, at one k.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TopK {
    pub k: usize,
    /// |predicted top-k ∩ true top-k| / k ("P@topK").
    pub precision: f64,
    /// The best true rank (1 = the best architecture) among the predicted top k ("N@K").
    pub best_rank: usize,
    /// Normalised discounted cumulative gain of the predicted top k, with each architecture's
    /// gain its true value min-max scaled to [0, 1].
    pub ndcg: f64,
}

/// Top-k measures for each `k` (every k must be ≤ the number of architectures). Higher scores
/// and higher truths are better; ties are broken by position, so results are deterministic.
pub fn top_k(scores: &[f64], truth: &[f64], ks: &[usize]) -> Vec<TopK> {
    let n = scores.len();
    let order_by = |v: &[f64]| {
        let mut o: Vec<usize> = (0..n).collect();
        o.sort_by(|&a, &b| v[b].total_cmp(&v[a]).then(a.cmp(&b)));
        o
    };
    let predicted = order_by(scores);
    let ideal = order_by(truth);
    let mut true_rank = vec![0usize; n];
    for (r, &i) in ideal.iter().enumerate() {
        true_rank[i] = r + 1;
    }
    let (lo, hi) = truth
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let gain = |i: usize| {
        if hi > lo {
            (truth[i] - lo) / (hi - lo)
        } else {
            1.0
        }
    };
    let dcg = |order: &[usize], k: usize| {
        order[..k]
            .iter()
            .enumerate()
            .map(|(pos, &i)| gain(i) / ((pos + 2) as f64).log2())
            .sum::<f64>()
    };
    ks.iter()
        .map(|&k| {
            assert!(k >= 1 && k <= n, "k = {k} with {n} architectures");
            let hits = predicted[..k]
                .iter()
                .filter(|&&i| true_rank[i] <= k)
                .count();
            let ideal_dcg = dcg(&ideal, k);
            TopK {
                k,
                precision: hits as f64 / k as f64,
                best_rank: predicted[..k]
                    .iter()
                    .map(|&i| true_rank[i])
                    .min()
                    .expect("k ≥ 1"),
                ndcg: if ideal_dcg > 0.0 {
                    dcg(&predicted, k) / ideal_dcg
                } else {
                    1.0
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_average_ties() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 10.0, 30.0]),
            vec![1.5, 3.0, 1.5, 4.0]
        );
    }

    /// O(n²) tau-b straight from the definition, for cross-checking Knight's algorithm.
    fn tau_b_naive(x: &[f64], y: &[f64]) -> f64 {
        let (mut s, mut tx, mut ty) = (0.0, 0.0, 0.0);
        for i in 0..x.len() {
            for j in i + 1..x.len() {
                let (dx, dy) = ((x[i] - x[j]).signum(), (y[i] - y[j]).signum());
                let (dx, dy) = (
                    if x[i] == x[j] { 0.0 } else { dx },
                    if y[i] == y[j] { 0.0 } else { dy },
                );
                s += dx * dy;
                tx += dx * dx;
                ty += dy * dy;
            }
        }
        s / (tx * ty).sqrt()
    }

    #[test]
    fn knight_matches_the_definition_with_ties() {
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % 7) as f64
        };
        for n in [2, 3, 10, 57, 200] {
            let x: Vec<f64> = (0..n).map(|_| next()).collect();
            let y: Vec<f64> = (0..n).map(|_| next()).collect();
            let fast = kendall_tau_b(&x, &y).value;
            let slow = tau_b_naive(&x, &y);
            if slow.is_nan() {
                assert!(fast.is_nan());
            } else {
                assert!((fast - slow).abs() < 1e-12, "n={n}: {fast} vs {slow}");
            }
        }
    }

    #[test]
    fn huge_values_correlate_without_overflow() {
        let x = [1e200, 2e200, 3e200, 5e200];
        let y = [1.0, 2.0, 3.0, 5.0];
        let r = pearson(&x, &y);
        assert!(
            (r.value - 1.0).abs() < 1e-12 && r.p_value.is_finite(),
            "{r:?}"
        );
        assert!(spearman(&x, &y).p_value.is_finite());
    }

    #[test]
    fn degenerate_inputs_warn_instead_of_panicking() {
        let c = kendall_tau_b(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]);
        assert!(c.value.is_nan() && c.warning.as_deref() == Some("the scores are constant"));
        assert!(
            spearman(&[1.0], &[2.0])
                .warning
                .unwrap()
                .contains("at least 2")
        );
        assert!(
            pearson(&[1.0, f64::NAN], &[1.0, 2.0])
                .warning
                .unwrap()
                .contains("NaN")
        );
    }

    #[test]
    fn top_k_measures() {
        // Truth ranks: arch 3 best, then 2, 1, 0. Scores put arch 2 first, then 3.
        let truth = [1.0, 2.0, 3.0, 4.0];
        let scores = [0.0, 0.1, 0.9, 0.8];
        let t = top_k(&scores, &truth, &[1, 2]);
        assert_eq!((t[0].precision, t[0].best_rank), (0.0, 2));
        assert_eq!((t[1].precision, t[1].best_rank), (1.0, 1));
        // Gains 2/3 then 1 against the ideal 1 then 2/3.
        let ndcg = (2.0 / 3.0 + 1.0 / 3f64.log2()) / (1.0 + (2.0 / 3.0) / 3f64.log2());
        assert!((t[1].ndcg - ndcg).abs() < 1e-12);
    }
}
