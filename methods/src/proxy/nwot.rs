//! NASWOT (Mellor, Turner, Storkey & Crowley, "Neural Architecture Search without Training",
//! ICML 2021, second version): the binary code `c_i` of every ReLU's input (1 where positive)
//! for each image of the batch, the kernel `K = Σ_relu c cᵀ + (1 − c)(1 − c)ᵀ` (agreements
//! between codes, N × N) and the score `log |det K|`.

use burn::tensor::Tensor;

use crate::estimate::neural::values;
use crate::linalg::log_abs_det;

pub fn score(relu_inputs: &[Tensor<4>], n: usize) -> f64 {
    let mut k = vec![0.0; n * n];
    for x in relu_inputs {
        let v = values(x.clone());
        let per = v.len() / n;
        // Each image's code packed 64 units to a word: agreements are the units minus the
        // set bits of the codes' XOR (the padding bits of the last word are 0 in both).
        let codes: Vec<Vec<u64>> = v.chunks(per).map(pack).collect();
        for i in 0..n {
            for j in 0..=i {
                let differ: u32 = codes[i]
                    .iter()
                    .zip(&codes[j])
                    .map(|(a, b)| (a ^ b).count_ones())
                    .sum();
                let agree = (per - differ as usize) as f64;
                k[i * n + j] += agree;
                if i != j {
                    k[j * n + i] += agree;
                }
            }
        }
    }
    log_abs_det(&k, n)
}

/// 1 where the ReLU's input is positive, 64 units to a word.
fn pack(units: &[f64]) -> Vec<u64> {
    units
        .chunks(64)
        .map(|word| {
            word.iter()
                .enumerate()
                .fold(0u64, |bits, (b, &a)| bits | (u64::from(a > 0.0) << b))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datasets::rng;

    #[test]
    fn packed_agreements_equal_the_unit_by_unit_count() {
        let mut rng = rng::from_seed([4; 32]);
        // 130 units: two full words and a partial one.
        let images: Vec<Vec<f64>> = (0..5)
            .map(|_| (0..130).map(|_| rng::gaussian(&mut rng)).collect())
            .collect();
        for a in &images {
            for b in &images {
                let naive = a.iter().zip(b).filter(|(x, y)| (**x > 0.0) == (**y > 0.0));
                let differ: u32 = pack(a)
                    .iter()
                    .zip(&pack(b))
                    .map(|(x, y)| (x ^ y).count_ones())
                    .sum();
                assert_eq!(naive.count(), 130 - differ as usize);
            }
        }
    }
}
