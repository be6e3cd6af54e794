//! Descriptive statistics and seeded bootstrap confidence intervals.
//!
//! Statistics live apart from measurement (as in criterion.rs): everything here is a pure
//! function of the numbers it is given, and every bootstrap takes its seed explicitly, so a
//! report is byte-identical when recomputed.

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

/// Bootstrap resamples used for every confidence interval.
pub const BOOTSTRAP_RESAMPLES: usize = 2_000;

/// A set of observations with at least two points and no NaN, checked at construction.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample(Vec<f64>);

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SampleError {
    #[error("a sample needs at least 2 values, got {0}")]
    TooSmall(usize),
    #[error("a sample cannot contain NaN (value {0})")]
    NaN(usize),
}

impl Sample {
    pub fn new(values: Vec<f64>) -> Result<Sample, SampleError> {
        if values.len() < 2 {
            return Err(SampleError::TooSmall(values.len()));
        }
        if let Some(i) = values.iter().position(|v| v.is_nan()) {
            return Err(SampleError::NaN(i));
        }
        Ok(Sample(values))
    }

    pub fn values(&self) -> &[f64] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn mean(&self) -> f64 {
        mean(&self.0)
    }

    /// Sample standard deviation (n − 1 denominator).
    pub fn std(&self) -> f64 {
        let m = self.mean();
        let ss: f64 = self.0.iter().map(|v| (v - m).powi(2)).sum();
        (ss / (self.0.len() - 1) as f64).sqrt()
    }

    /// The `q` quantile with linear interpolation between order statistics (numpy's default,
    /// type 7 of Hyndman & Fan).
    pub fn quantile(&self, q: f64) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort_by(f64::total_cmp);
        quantile_sorted(&sorted, q)
    }

    pub fn median(&self) -> f64 {
        self.quantile(0.5)
    }
}

/// The values that are not NaN (a failed trial's, or an undefined statistic's, are).
pub fn defined(values: impl IntoIterator<Item = f64>) -> Vec<f64> {
    values.into_iter().filter(|v| !v.is_nan()).collect()
}

pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Type-7 quantile of already sorted values.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    if sorted[lo] == sorted[hi] {
        // Also two infinite neighbours, whose difference would make NaN.
        return sorted[lo];
    }
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// A two-sided interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// A generator for one bootstrap, seeded with sha256 of a label (run sha256, task, method).
pub fn bootstrap_rng(label: &str) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(Sha256::digest(label.as_bytes()).into())
}

fn below(rng: &mut ChaCha20Rng, n: usize) -> usize {
    // Lemire's multiply-shift; the tiny bias of skipping rejection is irrelevant for n ≤ 2³².
    ((rng.next_u64() as u128 * n as u128) >> 64) as usize
}

/// Percentile bootstrap CI at `level` (e.g. 0.95) for a statistic of one or more samples
/// resampled independently with replacement (each keeps its size).
pub fn bootstrap_ci(
    samples: &[&[f64]],
    statistic: impl Fn(&[Vec<f64>]) -> f64,
    level: f64,
    rng: &mut ChaCha20Rng,
) -> Interval {
    let mut buffers: Vec<Vec<f64>> = samples
        .iter()
        .map(|s| Vec::with_capacity(s.len()))
        .collect();
    let mut stats = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    for _ in 0..BOOTSTRAP_RESAMPLES {
        for (buf, s) in buffers.iter_mut().zip(samples) {
            buf.clear();
            buf.extend((0..s.len()).map(|_| s[below(rng, s.len())]));
        }
        stats.push(statistic(&buffers));
    }
    // Values equal under total_cmp have equal bits: an unstable sort gives the same order.
    stats.sort_unstable_by(f64::total_cmp);
    let alpha = (1.0 - level) / 2.0;
    Interval {
        low: quantile_sorted(&stats, alpha),
        high: quantile_sorted(&stats, 1.0 - alpha),
    }
}

/// Percentile bootstrap CIs at `level` of `count` statistics of one set of `n` runs, all
/// computed on the same resamples: each resample draws `n` run indices with replacement
/// once, and `statistics` turns them into every statistic (into its second argument). One
/// draw serves them all, where `bootstrap_ci` per statistic would draw `count` times.
pub fn bootstrap_cis_of_runs(
    (n, count): (usize, usize),
    statistics: impl Fn(&[usize], &mut [f64]),
    level: f64,
    rng: &mut ChaCha20Rng,
) -> Vec<Interval> {
    let mut indices = vec![0usize; n];
    let mut values = vec![0.0; count];
    let mut stats: Vec<Vec<f64>> = vec![Vec::with_capacity(BOOTSTRAP_RESAMPLES); count];
    for _ in 0..BOOTSTRAP_RESAMPLES {
        for i in indices.iter_mut() {
            *i = below(rng, n);
        }
        statistics(&indices, &mut values);
        for (s, &v) in stats.iter_mut().zip(&values) {
            s.push(v);
        }
    }
    let alpha = (1.0 - level) / 2.0;
    stats
        .into_iter()
        .map(|mut s| {
            s.sort_unstable_by(f64::total_cmp);
            Interval {
                low: quantile_sorted(&s, alpha),
                high: quantile_sorted(&s, 1.0 - alpha),
            }
        })
        .collect()
}

/// Summary of one sample, as the reports print it.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub std: f64,
    pub median: f64,
    pub q1: f64,
    pub q3: f64,
    /// Bootstrap 95% CI of the mean.
    pub ci: Interval,
}

impl Summary {
    pub fn of(sample: &Sample, rng: &mut ChaCha20Rng) -> Summary {
        Summary {
            n: sample.len(),
            mean: sample.mean(),
            std: sample.std(),
            median: sample.median(),
            q1: sample.quantile(0.25),
            q3: sample.quantile(0.75),
            ci: bootstrap_ci(&[sample.values()], |s| mean(&s[0]), 0.95, rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_invariants() {
        assert_eq!(Sample::new(vec![1.0]), Err(SampleError::TooSmall(1)));
        assert_eq!(Sample::new(vec![1.0, f64::NAN]), Err(SampleError::NaN(1)));
    }

    #[test]
    fn descriptive_statistics_match_numpy() {
        // numpy: mean 3.0, std(ddof=1) 1.5811388300841898, percentile 25/50/75 = 2, 3, 4
        let s = Sample::new(vec![5.0, 1.0, 4.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.mean(), 3.0);
        assert!((s.std() - 1.581_138_830_084_189_8).abs() < 1e-15);
        assert_eq!(
            (s.quantile(0.25), s.median(), s.quantile(0.75)),
            (2.0, 3.0, 4.0)
        );
        // numpy.percentile([1, 2, 3, 4], 30) = 1.9
        let s = Sample::new(vec![4.0, 3.0, 2.0, 1.0]).unwrap();
        assert!((s.quantile(0.3) - 1.9).abs() < 1e-12);
    }

    #[test]
    fn bootstrap_is_seeded_and_covers_the_mean() {
        let values: Vec<f64> = (0..200).map(|i| (i % 17) as f64).collect();
        let s = Sample::new(values).unwrap();
        let a = Summary::of(&s, &mut bootstrap_rng("x"));
        let b = Summary::of(&s, &mut bootstrap_rng("x"));
        assert_eq!(a, b);
        assert!(a.ci.low < a.mean && a.mean < a.ci.high);
        // The CI half-width is close to 1.96 standard errors.
        let se = s.std() / (s.len() as f64).sqrt();
        let half = (a.ci.high - a.ci.low) / 2.0;
        assert!(
            (half / (1.96 * se) - 1.0).abs() < 0.15,
            "{half} vs {}",
            1.96 * se
        );
    }
}
