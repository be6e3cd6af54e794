//! Power analysis: how small a difference a comparison against the baseline could detect, and
//! how many replicates a difference of a given size needs.
//!
//! nash tests a method's final values against the baseline's with Mann-Whitney U at
//! α = 0.05 (two-sided). With n_m and n_b runs of spreads s_m and s_b, the two-sample test's
//! normal approximation detects, with power 1 − β = 0.8, a mean difference of
//!
//! ```text
//! δ = (z₀.₉₇₅ + z₀.₈) · √(s_m²/n_m + s_b²/n_b) · √(π/3)
//! ```
//!
//! where √(π/3) is Mann-Whitney's price against the t-test under normality (asymptotic
//! relative efficiency 3/π; Lehmann, "Nonparametrics", 1975, ch. 2). Solving the same
//! equation for equal group sizes gives the replicates an effect δ needs per method:
//! n = ⌈(z₀.₉₇₅ + z₀.₈)² (s_m² + s_b²) / δ² · π/3⌉. Both are planning figures: the spreads are
//! the run's own estimates, and the normal approximation is optimistic below about 10 runs.
//! The report omits the Holm correction over a task's methods, which makes each comparison
//! stricter.

/// z₀.₉₇₅: the two-sided 5% level.
pub const Z_ALPHA: f64 = 1.959_963_984_540_054;
/// z₀.₈: 80% power.
pub const Z_POWER: f64 = 0.841_621_233_572_914_3;

/// Mann-Whitney's variance inflation against the t-test under normality: π/3.
fn rank_test_inflation() -> f64 {
    std::f64::consts::PI / 3.0
}

/// The smallest mean difference the Mann-Whitney test at α = 0.05 detects with 80% power
/// between samples of spreads `sd_a`, `sd_b` and sizes `n_a`, `n_b`.
pub fn detectable_difference((sd_a, n_a): (f64, usize), (sd_b, n_b): (f64, usize)) -> f64 {
    let variance = sd_a * sd_a / n_a as f64 + sd_b * sd_b / n_b as f64;
    (Z_ALPHA + Z_POWER) * (variance * rank_test_inflation()).sqrt()
}

/// Replicates per method for the Mann-Whitney test at α = 0.05 to detect a mean difference
/// of `effect` with 80% power, given the spreads of the two methods (at least 2).
pub fn replicates_needed(sd_a: f64, sd_b: f64, effect: f64) -> u64 {
    let z = Z_ALPHA + Z_POWER;
    let n = z * z * (sd_a * sd_a + sd_b * sd_b) / (effect * effect) * rank_test_inflation();
    (n.ceil() as u64).max(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_approximation_gives_the_textbook_figures() {
        // Cohen's d = 0.5 with a t-test needs 63 per group (normal approximation; 64 exact):
        // the rank test needs π/3 times as many.
        let t_test = (Z_ALPHA + Z_POWER).powi(2) * 2.0 / 0.25;
        assert!((t_test - 62.79).abs() < 0.01, "{t_test}");
        assert_eq!(replicates_needed(1.0, 1.0, 0.5), 66);
        // Ten runs per side detect d ≈ 1.253 with a t-test, 1.312 with the rank test.
        let d = detectable_difference((1.0, 10), (1.0, 10));
        assert!(
            (d - 1.2530 * (std::f64::consts::PI / 3.0).sqrt()).abs() < 1e-3,
            "{d}"
        );
        // Planning for the effect a run can detect asks for about the run's own size.
        let n = replicates_needed(0.3, 0.2, detectable_difference((0.3, 40), (0.2, 40)));
        assert!((40..=41).contains(&n), "{n}");
    }
}
