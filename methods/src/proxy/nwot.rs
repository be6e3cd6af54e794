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
        let codes: Vec<Vec<bool>> = v
            .chunks(per)
            .map(|s| s.iter().map(|&a| a > 0.0).collect())
            .collect();
        for i in 0..n {
            for j in 0..=i {
                let agree = codes[i]
                    .iter()
                    .zip(&codes[j])
                    .filter(|(a, b)| a == b)
                    .count() as f64;
                k[i * n + j] += agree;
                if i != j {
                    k[j * n + i] += agree;
                }
            }
        }
    }
    log_abs_det(&k, n)
}
