//! Deriving architectures from a trained supernet: argmax of α (NB201's `genotype()`),
//! drawing from a policy, and selecting by one-shot accuracy.

use datasets::ArchId;
use datasets::rng::{self, TrialRng};
use datasets::space::Nb201Space;

use super::{EDGES, Mix, OPS, SearchData, Supernet, Want, epoch_batches};

/// The architecture of NB201 whose edge `e` holds the operation with the largest entry of
/// row `e` of `alphas` (`[6 × 5]`, row-major; ties to the lower operation), as NB201's
/// `genotype()` derives it (`none` included).
pub fn argmax_architecture(alphas: &[f32]) -> ArchId {
    let ops: [u8; EDGES] = std::array::from_fn(|e| argmax(&alphas[e * OPS..(e + 1) * OPS]) as u8);
    Nb201Space::id(ops)
}

/// The index of the largest value (the lowest index among ties).
pub fn argmax(values: &[f32]) -> usize {
    (0..values.len()).fold(0, |best, i| if values[i] > values[best] { i } else { best })
}

/// The `[6 × 5]` one-hot table of an architecture's operations.
pub fn one_hot(ops: &[u8; EDGES]) -> Vec<f32> {
    let mut table = vec![0.0f32; EDGES * OPS];
    for (e, &op) in ops.iter().enumerate() {
        table[e * OPS + op as usize] = 1.0;
    }
    table
}

/// An NB201 architecture with every edge's operation drawn uniformly.
pub fn uniform_architecture(rng: &mut TrialRng) -> ArchId {
    Nb201Space::id(std::array::from_fn(|_| rng::below(rng, OPS) as u8))
}

/// An NB201 architecture with edge `e`'s operation drawn from `policy[e]`.
pub fn drawn_architecture(policy: &[Vec<f64>], rng: &mut TrialRng) -> ArchId {
    Nb201Space::id(std::array::from_fn(|e| {
        rng::weighted(rng, &policy[e]) as u8
    }))
}

/// Row-wise softmax of `alphas` (`[6 × 5]`, row-major) on the host.
pub fn softmax_policy(alphas: &[f32]) -> Vec<Vec<f64>> {
    alphas
        .chunks(OPS)
        .map(|row| {
            let top = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            let exps: Vec<f64> = row.iter().map(|&v| libm::exp(f64::from(v - top))).collect();
            let sum: f64 = exps.iter().sum();
            exps.into_iter().map(|e| e / sum).collect()
        })
        .collect()
}

/// The best of `count` architectures drawn by `draw`, by one-shot accuracy, each on the next
/// batch of a seeded shuffle of the validation half (NB201's `search_find_best`: one batch
/// per candidate), with that accuracy; the first among ties.
pub fn best_by_one_shot(
    net: &Supernet,
    data: &SearchData,
    batch: usize,
    count: usize,
    mut draw: impl FnMut(&mut TrialRng) -> ArchId,
    rng: &mut TrialRng,
) -> (ArchId, f64) {
    let valid = epoch_batches(rng, data.valid.len(), batch);
    let mut best: Option<(ArchId, usize, usize)> = None;
    for b in valid.iter().cycle().take(count) {
        let arch = draw(rng);
        let mix = Mix::path(arch, net.device());
        let r = net.pass(&net.weights, &mix, &data.valid, b, Want::Nothing);
        // Accuracies compared as fractions without division: c/n > c'/n' ⇔ c·n' > c'·n.
        if best.is_none_or(|(_, c, n)| r.correct * n > c * b.len()) {
            best = Some((arch, r.correct, b.len()));
        }
    }
    let (arch, correct, n) = best.expect("at least one candidate and one validation batch");
    (arch, correct as f64 / n as f64)
}
