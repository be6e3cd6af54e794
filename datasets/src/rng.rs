//! The one random number generator nash uses, and the few draws it needs.
//!
//! Every trial owns a [`TrialRng`] (ChaCha20) seeded from a sha256 digest (see the harness'
//! seeding module). The draws below are written out here rather than taken from `rand` so that
//! a dependency upgrade can never change which architectures a seeded protocol visits.

pub use rand_chacha::ChaCha20Rng as TrialRng;
use rand_core::{Rng, SeedableRng};

/// A generator from a 32-byte seed (normally a sha256 digest).
pub fn from_seed(seed: [u8; 32]) -> TrialRng {
    TrialRng::from_seed(seed)
}

/// A uniform integer in `0..n` (Lemire's nearly-divisionless method, unbiased).
///
/// `n` must be positive; callers pass the size of a non-empty set.
pub fn below(rng: &mut TrialRng, n: usize) -> usize {
    assert!(n > 0, "below(0) has no values to draw from");
    let n = n as u64;
    let mut m = (rng.next_u64() as u128) * (n as u128);
    if (m as u64) < n {
        let threshold = n.wrapping_neg() % n;
        while (m as u64) < threshold {
            m = (rng.next_u64() as u128) * (n as u128);
        }
    }
    (m >> 64) as usize
}

/// A uniform float in `[0, 1)` with 53 random bits.
pub fn unit(rng: &mut TrialRng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal draw (Box–Muller, cosine branch), through `libm` so that it is the same
/// on every machine.
pub fn gaussian(rng: &mut TrialRng) -> f64 {
    let u1 = 1.0 - unit(rng);
    let u2 = unit(rng);
    (-2.0 * libm::log(u1)).sqrt() * libm::cos(std::f64::consts::TAU * u2)
}

/// An index drawn with probability proportional to `weights` (finite, non-negative, with a
/// positive sum); the last positive weight absorbs rounding.
pub fn weighted(rng: &mut TrialRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut target = unit(rng) * total;
    let mut last = 0;
    for (i, &w) in weights.iter().enumerate() {
        if w > 0.0 {
            if target < w {
                return i;
            }
            target -= w;
            last = i;
        }
    }
    last
}

/// Fisher–Yates shuffle in place.
pub fn shuffle<T>(rng: &mut TrialRng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, below(rng, i + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_is_uniform_and_in_range() {
        let mut rng = from_seed([7; 32]);
        let mut counts = [0usize; 5];
        for _ in 0..50_000 {
            counts[below(&mut rng, 5)] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn unit_is_in_half_open_interval() {
        let mut rng = from_seed([1; 32]);
        let mean = (0..10_000).map(|_| unit(&mut rng)).sum::<f64>() / 10_000.0;
        assert!((0.49..0.51).contains(&mean));
    }

    #[test]
    fn weighted_follows_the_weights() {
        let mut rng = from_seed([5; 32]);
        let mut counts = [0usize; 3];
        for _ in 0..40_000 {
            counts[weighted(&mut rng, &[1.0, 0.0, 3.0])] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!((9_500..10_500).contains(&counts[0]), "{counts:?}");
    }

    #[test]
    fn same_seed_same_stream() {
        let a: Vec<usize> = {
            let mut r = from_seed([3; 32]);
            (0..10).map(|_| below(&mut r, 1000)).collect()
        };
        let mut r = from_seed([3; 32]);
        let b: Vec<usize> = (0..10).map(|_| below(&mut r, 1000)).collect();
        assert_eq!(a, b);
    }
}
