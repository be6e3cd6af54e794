//! The seeding rule. Every trial's generator is ChaCha20 keyed by
//!
//! ```text
//! sha256( "nash-trial-v1" ‖ u64le(base_seed) ‖ str(protocol) ‖ str(task) ‖ str(method id)
//!         ‖ u64le(replicate) )        where str(s) = u64le(len(s)) ‖ utf8(s)
//! ```
//!
//! Stream 0 of that key drives the method; stream 1 draws the benchmark's training seeds when
//! the protocol's seed policy is `sample`, so changing the policy never changes which
//! architectures a method visits. External methods are given the key's first eight bytes as
//! a little-endian u64 (`seed_of`). Nothing reads the clock or thread ids.

use datasets::rng::{self, TrialRng};
use sha2::{Digest, Sha256};

pub fn trial_key(
    base_seed: u64,
    protocol: &str,
    task: &str,
    method: &str,
    replicate: u64,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"nash-trial-v1");
    h.update(base_seed.to_le_bytes());
    for s in [protocol, task, method] {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    }
    h.update(replicate.to_le_bytes());
    h.finalize().into()
}

/// The 64-bit seed an external method is given for a trial: the key's first eight bytes,
/// little-endian.
pub fn seed_of(key: &[u8; 32]) -> u64 {
    u64::from_le_bytes(key[..8].try_into().expect("eight bytes"))
}

/// The method's generator and the benchmark-noise generator of one trial.
pub fn trial_rngs(key: [u8; 32]) -> (TrialRng, TrialRng) {
    let method = rng::from_seed(key);
    let mut noise = rng::from_seed(key);
    noise.set_stream(1);
    (method, noise)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng;

    #[test]
    fn keys_separate_every_field() {
        let k = trial_key(0, "p", "t", "m", 0);
        assert_eq!(k, trial_key(0, "p", "t", "m", 0));
        assert_ne!(k, trial_key(1, "p", "t", "m", 0));
        assert_ne!(k, trial_key(0, "p", "t", "m", 1));
        // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
        assert_ne!(
            trial_key(0, "ab", "c", "m", 0),
            trial_key(0, "a", "bc", "m", 0)
        );
    }

    #[test]
    fn streams_differ() {
        let (mut a, mut b) = trial_rngs([9; 32]);
        assert_ne!(a.next_u64(), b.next_u64());
    }
}
