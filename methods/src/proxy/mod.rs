//! Zero-cost proxies: scores of an architecture computed from its network at initialisation
//! and one batch, without training (Abdelfattah, Mehrotra, Dudziak & Lane, "Zero-Cost Proxies
//! for Lightweight NAS", ICLR 2021, and the proxies collected in NAS-Bench-Suite-Zero).
//!
//! One file per proxy with its paper and formula. Proxies that need the same pass share it:
//! `score` builds the network once and runs each pass at most once for all requested proxies.
//! Every sum "over layers" runs over the convolutions and the classifier, as the reference
//! implementation (zero-cost-nas `get_layer_metric_array`) does.

mod epe_nas;
mod fisher;
mod grad_norm;
mod gradsign;
mod grasp;
mod jacob_cov;
mod l2_norm;
pub mod network;
mod nwot;
mod plain;
mod snip;
mod synflow;
mod zen;

use crate::registry::{Capabilities, Card};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Gradients, Int, Tensor, TensorData};
use datasets::ArchId;
pub use datasets::images::Images;
use datasets::rng::TrialRng;
use datasets::space::{Nb101Cell, Nb101Macro, Nb201Macro, NetworkOf};

use network::{Init, Network, Pass};

/// The proxies nash computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proxy {
    Synflow,
    Snip,
    GradNorm,
    Fisher,
    Grasp,
    JacobCov,
    Nwot,
    EpeNas,
    Zen,
    L2Norm,
    Plain,
    Gradsign,
}

/// Each proxy's name in protocols, its paper in one line, and the input its network sees:
/// the only place the names are spelled.
const PROXIES: [(Proxy, &str, &str, &str); 12] = [
    (
        Proxy::Synflow,
        "synflow",
        "SynFlow (Tanaka et al., NeurIPS 2020): Σ |θ ⊙ ∂R/∂θ| with |θ| weights",
        "all-ones (data-free)",
    ),
    (
        Proxy::Snip,
        "snip",
        "SNIP (Lee et al., ICLR 2019): Σ |θ ⊙ ∂L/∂θ|",
        "the protocol's images",
    ),
    (
        Proxy::GradNorm,
        "grad_norm",
        "grad_norm (Abdelfattah et al., ICLR 2021): Σ of each layer's gradient norm",
        "the protocol's images",
    ),
    (
        Proxy::Fisher,
        "fisher",
        "Fisher (Theis et al. 2018; Turner et al., ICLR 2020) on layer outputs",
        "the protocol's images",
    ),
    (
        Proxy::Grasp,
        "grasp",
        "GraSP (Wang et al., ICLR 2020): −θ ⊙ Hg, by a finite-difference Hessian product",
        "the protocol's images",
    ),
    (
        Proxy::JacobCov,
        "jacob_cov",
        "jacob_cov (Mellor et al. 2020, first version): Jacobian covariance",
        "the protocol's images",
    ),
    (
        Proxy::Nwot,
        "nwot",
        "NASWOT (Mellor et al., ICML 2021): log-determinant of ReLU-pattern kernels",
        "the protocol's images",
    ),
    (
        Proxy::EpeNas,
        "epe_nas",
        "EPE-NAS (Lopes et al., ICANN 2021): per-class Jacobian correlations",
        "the protocol's images",
    ),
    (
        Proxy::Zen,
        "zen",
        "Zen-Score (Lin et al., ICCV 2021) as NASLib computes it",
        "Gaussian noise (data-free)",
    ),
    (
        Proxy::L2Norm,
        "l2_norm",
        "l2_norm (NAS-Bench-Suite-Zero): Σ of the weights' Euclidean norms",
        "none (weights only)",
    ),
    (
        Proxy::Plain,
        "plain",
        "plain (Mozer & Smolensky 1989 via Abdelfattah et al.): Σ θ ⊙ ∂L/∂θ",
        "the protocol's images",
    ),
    (
        Proxy::Gradsign,
        "gradsign",
        "GradSign (Zhang & Jia, ICLR 2022): per-sample gradient sign agreement",
        "the protocol's images",
    ),
];

impl Proxy {
    /// Every proxy, in the order of `PROXIES`.
    pub const ALL: [Proxy; PROXIES.len()] = {
        let mut all = [Proxy::Synflow; PROXIES.len()];
        let mut i = 0;
        while i < all.len() {
            all[i] = PROXIES[i].0;
            i += 1;
        }
        all
    };

    fn entry(self) -> &'static (Proxy, &'static str, &'static str, &'static str) {
        PROXIES
            .iter()
            .find(|e| e.0 == self)
            .expect("every proxy has an entry")
    }

    /// The proxy named `name` in protocols.
    pub fn named(name: &str) -> Option<Proxy> {
        PROXIES.iter().find(|e| e.1 == name).map(|e| e.0)
    }

    pub fn name(self) -> &'static str {
        self.entry().1
    }

    /// The name NAS-Bench-Suite-Zero's files record the same proxy under (NASLib's), where
    /// they have it.
    pub fn naslib_name(self) -> Option<&'static str> {
        match self {
            Proxy::JacobCov => Some("jacov"),
            Proxy::Zen | Proxy::Gradsign => None,
            other => Some(other.name()),
        }
    }

    /// What `nash list` says of it: it builds networks (of the spaces that define one:
    /// `SearchSpace::network`).
    pub fn card(self) -> Card {
        Card {
            name: self.entry().1,
            summary: self.entry().2,
            capabilities: Capabilities {
                networks: true,
                ..Capabilities::PLAIN
            },
        }
    }

    /// What the proxy feeds the network: its own data-free input, or the protocol's images.
    pub fn input(self) -> &'static str {
        self.entry().3
    }
}

/// The batch as one tensor `[n, 3, size, size]`.
fn tensor(batch: &Images, device: &Device) -> Tensor<4> {
    let n = batch.len();
    Tensor::from_data(
        TensorData::new(batch.pixels.clone(), [n, 3, batch.size, batch.size]),
        device,
    )
}

/// Sample `i` of the batch alone, `[1, 3, size, size]`.
fn sample(batch: &Images, i: usize, device: &Device) -> Tensor<4> {
    let per = 3 * batch.size * batch.size;
    let data = batch.pixels[i * per..(i + 1) * per].to_vec();
    Tensor::from_data(
        TensorData::new(data, [1, 3, batch.size, batch.size]),
        device,
    )
}

/// Mean cross-entropy of `logits` against `labels`.
pub(crate) fn cross_entropy(logits: Tensor<2>, labels: &[usize], device: &Device) -> Tensor<1> {
    let n = labels.len();
    let idx: Vec<i32> = labels.iter().map(|&l| l as i32).collect();
    let idx = Tensor::<1, Int>::from_data(TensorData::new(idx, [n]), device).reshape([n, 1]);
    let picked: Tensor<2> = log_softmax(logits, 1).gather(1, idx);
    picked.mean().neg()
}

/// A backward pass of the cross-entropy loss on the whole batch, with what the proxies that
/// share it need.
struct LossPass {
    grads: Gradients,
    relu_inputs: Vec<Tensor<4>>,
    probed: Vec<(Tensor<4>, Tensor<4>)>,
}

fn loss_pass(net: &Network, batch: &Images, keep: Pass) -> LossPass {
    let device = net.device().clone();
    let out = net.forward(tensor(batch, &device), keep);
    let loss = cross_entropy(out.logits, &batch.labels, &device);
    LossPass {
        grads: loss.backward(),
        relu_inputs: out.relu_inputs,
        probed: out.probed,
    }
}

/// The gradient of the summed logits with respect to each input image, `[n][3·size·size]`.
fn input_jacobian(net: &Network, batch: &Images) -> Vec<Vec<f64>> {
    let device = net.device();
    let x = tensor(batch, device).require_grad();
    let out = net.forward(x.clone(), Pass::default());
    let grads = out.logits.sum().backward();
    // A network whose output ignores its input (every path through a cell is `none`) has a
    // zero Jacobian.
    let flat = x
        .grad(&grads)
        .map(crate::estimate::neural::values)
        .unwrap_or_else(|| vec![0.0; batch.pixels.len()]);
    let per = flat.len() / batch.len();
    flat.chunks(per).map(<[f64]>::to_vec).collect()
}

/// The network a proxy scores: an NB201 cell in the task's macro network, or an NB101 cell in
/// NAS-Bench-101's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arch {
    Nb201(ArchId, Nb201Macro),
    Nb101(Nb101Cell, Nb101Macro),
}

impl Arch {
    /// The network of `network` for a task whose NB201 networks have `shape`.
    pub fn of(network: NetworkOf, shape: Nb201Macro) -> Arch {
        match network {
            NetworkOf::Nb201(arch) => Arch::Nb201(arch, shape),
            NetworkOf::Nb101(cell) => Arch::Nb101(cell, Nb101Macro::CIFAR10),
        }
    }

    pub(crate) fn network(&self, init: Init, rng: &mut TrialRng, device: &Device) -> Network {
        match self {
            Arch::Nb201(arch, shape) => Network::new(*arch, *shape, init, rng, device),
            Arch::Nb101(cell, shape) => Network::nb101(cell, *shape, init, rng, device),
        }
    }

    pub fn classes(&self) -> usize {
        match self {
            Arch::Nb201(_, shape) => shape.classes,
            Arch::Nb101(_, shape) => shape.classes,
        }
    }

    pub fn input_size(&self) -> usize {
        match self {
            Arch::Nb201(_, shape) => shape.input_size,
            Arch::Nb101(_, shape) => shape.input_size,
        }
    }
}

/// Scores `arch` with every proxy in `proxies` (in that order), on its network initialised
/// from `rng`, using `batch` where a proxy needs data.
pub fn score(arch: Arch, proxies: &[Proxy], batch: &Images, rng: &mut TrialRng) -> Vec<f64> {
    let device = crate::estimate::neural::device();
    let net = arch.network(Init::PyTorch, rng, &device);
    let needs = |ps: &[Proxy]| proxies.iter().any(|p| ps.contains(p));
    let loss = needs(&[
        Proxy::Snip,
        Proxy::GradNorm,
        Proxy::Plain,
        Proxy::Fisher,
        Proxy::Nwot,
        Proxy::Grasp,
    ])
    .then(|| {
        let keep = Pass {
            keep_relu_inputs: needs(&[Proxy::Nwot, Proxy::Grasp]),
            probes: proxies.contains(&Proxy::Fisher),
            ..Pass::default()
        };
        loss_pass(&net, batch, keep)
    });
    let jacobian = needs(&[Proxy::JacobCov, Proxy::EpeNas]).then(|| input_jacobian(&net, batch));
    proxies
        .iter()
        .map(|&p| {
            let loss = || loss.as_ref().expect("computed for these proxies");
            let jacobian = || jacobian.as_ref().expect("computed for these proxies");
            match p {
                Proxy::Synflow => synflow::score(&net),
                Proxy::Snip => snip::score(&net, &loss().grads),
                Proxy::GradNorm => grad_norm::score(&net, &loss().grads),
                Proxy::Plain => plain::score(&net, &loss().grads),
                Proxy::Fisher => fisher::score(&loss().probed, &net, &loss().grads),
                Proxy::Nwot => nwot::score(&loss().relu_inputs, batch.len()),
                Proxy::JacobCov => jacob_cov::score(jacobian()),
                Proxy::EpeNas => epe_nas::score(jacobian(), &batch.labels, arch.classes()),
                Proxy::Grasp => grasp::score(&net, batch, &loss().grads, &loss().relu_inputs),
                Proxy::Zen => zen::score(arch, batch.len(), rng),
                Proxy::L2Norm => l2_norm::score(&net),
                Proxy::Gradsign => gradsign::score(&net, batch),
            }
        })
        .collect()
}

/// Σ over layers of `f(weights, gradient)`.
fn layer_sum(net: &Network, grads: &Gradients, f: impl Fn(&[f64], &[f64]) -> f64) -> f64 {
    net.weights()
        .iter()
        .map(|w| f(&w.values(), &w.grad(grads)))
        .sum()
}

/// A batch of `n` Gaussian-noise images for `shape`, labels cycling through the classes, for
/// tests.
#[cfg(test)]
pub(crate) fn noise_batch(shape: Nb201Macro, n: usize, seed: u8) -> Images {
    let mut rng = datasets::rng::from_seed([seed; 32]);
    let size = shape.input_size;
    Images {
        pixels: (0..n * 3 * size * size)
            .map(|_| datasets::rng::gaussian(&mut rng) as f32)
            .collect(),
        labels: (0..n).map(|i| (i * 7) % shape.classes).collect(),
        size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datasets::space::Nb201Space;

    fn tiny() -> (Nb201Macro, Images) {
        let shape = Nb201Macro {
            channels: 4,
            cells_per_stage: 1,
            input_size: 8,
            classes: 5,
        };
        (shape, noise_batch(shape, 8, 9))
    }

    /// A benchmark property named like a proxy would shadow the scores nash computes, which
    /// estimators read as properties of the same name.
    #[test]
    fn no_benchmark_property_is_named_like_a_proxy() {
        for b in datasets::BENCHMARKS {
            for name in b.property_names() {
                assert!(Proxy::named(name).is_none(), "{}: {name}", b.name);
            }
        }
    }

    #[test]
    fn every_proxy_is_finite_and_seeded() {
        let (shape, batch) = tiny();
        let arch = Nb201Space::id([3, 2, 1, 3, 4, 3]);
        let run = || {
            score(
                Arch::Nb201(arch, shape),
                &Proxy::ALL,
                &batch,
                &mut datasets::rng::from_seed([1; 32]),
            )
        };
        let (a, b) = (run(), run());
        assert_eq!(a, b, "same generator, same scores");
        for (p, v) in Proxy::ALL.iter().zip(&a) {
            assert!(v.is_finite(), "{}: {v}", p.name());
        }
        let other = score(
            Arch::Nb201(arch, shape),
            &Proxy::ALL,
            &batch,
            &mut datasets::rng::from_seed([2; 32]),
        );
        assert_ne!(a, other, "another initialisation changes the scores");
    }

    /// Writes networks, a batch and nash's scores to `$NASH_PROXY_DUMP` (JSON) for
    /// `harness/bench/pytorch_proxies.py`, which recomputes the proxies in PyTorch on the same
    /// weights. Run by hand: `NASH_PROXY_DUMP=/tmp/d.json cargo test --workspace -p methods
    /// --lib proxy_dump -- --ignored`.
    #[test]
    #[ignore]
    fn proxy_dump() {
        use std::cell::RefCell;
        let path =
            std::env::var("NASH_PROXY_DUMP").expect("NASH_PROXY_DUMP names the JSON file to write");
        let shape = Nb201Macro {
            channels: 16,
            cells_per_stage: 2,
            input_size: 32,
            classes: 10,
        };
        let batch = noise_batch(shape, 16, 5);
        let (images, labels) = (&batch.pixels, &batch.labels);
        let list = |v: &[f64]| {
            let items: Vec<String> = v.iter().map(|x| format!("{x:e}")).collect();
            format!("[{}]", items.join(","))
        };
        let device = crate::estimate::neural::device();
        let proxies = Proxy::ALL;
        let mut nets = Vec::new();
        for (i, ops) in [
            [3, 3, 3, 3, 3, 3],
            [1, 2, 3, 4, 2, 3],
            [3, 1, 2, 0, 3, 4],
            [2, 4, 3, 1, 1, 2],
            // Node 2 reaches nothing: its two convolutions take no part.
            [3, 3, 3, 3, 3, 0],
        ]
        .into_iter()
        .enumerate()
        {
            let arch = Nb201Space::id(ops);
            let seed = [10 + i as u8; 32];
            let net = Network::new(
                arch,
                shape,
                Init::PyTorch,
                &mut datasets::rng::from_seed(seed),
                &device,
            );
            let bias = RefCell::new(Vec::new());
            net.clone().replace_weights(
                |_, v| v,
                |b| {
                    *bias.borrow_mut() = b.clone();
                    b
                },
            );
            let weights: Vec<String> = net.weights().iter().map(|w| list(&w.values())).collect();
            // Zen draws its own Gaussian network and inputs from the generator after the
            // network above: this repeats `zen::score`'s draws in its order (network, x, noise),
            // and only the PyTorch agreement shows the two still match.
            let mut r = datasets::rng::from_seed(seed);
            let _ = Network::new(arch, shape, Init::PyTorch, &mut r, &device);
            let zen_net = Network::new(arch, shape, Init::Gaussian, &mut r, &device);
            let zen_bias = RefCell::new(Vec::new());
            zen_net.clone().replace_weights(
                |_, v| v,
                |b| {
                    *zen_bias.borrow_mut() = b.clone();
                    b
                },
            );
            let mut gaussian = || -> Vec<f64> {
                (0..images.len())
                    .map(|_| datasets::rng::gaussian(&mut r) as f32 as f64)
                    .collect()
            };
            let (zen_x, zen_noise) = (gaussian(), gaussian());
            let zen_weights: Vec<String> = zen_net
                .weights()
                .iter()
                .map(|w| list(&w.values()))
                .collect();
            let scores = score(
                Arch::Nb201(arch, shape),
                &proxies,
                &batch,
                &mut datasets::rng::from_seed(seed),
            );
            let scores: Vec<String> = proxies
                .iter()
                .zip(&scores)
                .map(|(p, v)| format!("\"{}\":{v:e}", p.name()))
                .collect();
            nets.push(format!(
                "{{\"ops\":{ops:?},\"weights\":[{}],\"fc_bias\":{},\"zen_weights\":[{}],\"zen_fc_bias\":{},\"zen_x\":{},\"zen_noise\":{},\"scores\":{{{}}}}}",
                weights.join(","),
                list(&bias.borrow()),
                zen_weights.join(","),
                list(&zen_bias.borrow()),
                list(&zen_x),
                list(&zen_noise),
                scores.join(",")
            ));
        }
        let images: Vec<f64> = images.iter().map(|&v| v as f64).collect();
        let json = format!(
            "{{\"channels\":{},\"cells_per_stage\":{},\"size\":{},\"classes\":{},\"images\":{},\"labels\":{labels:?},\"networks\":[{}]}}",
            shape.channels,
            shape.cells_per_stage,
            shape.input_size,
            shape.classes,
            list(&images),
            nets.join(",")
        );
        std::fs::write(path, json).unwrap();
    }

    #[test]
    fn proxies_see_the_architecture() {
        // A cell with only `none` edges passes nothing: its gradients vanish for the layers
        // before it, so snip and grad_norm are far smaller than for a convolutional cell.
        let (shape, batch) = tiny();
        let scores = |ops| {
            score(
                Arch::Nb201(Nb201Space::id(ops), shape),
                &[Proxy::Snip, Proxy::Synflow, Proxy::L2Norm],
                &batch,
                &mut datasets::rng::from_seed([1; 32]),
            )
        };
        let dead = scores([0, 0, 0, 0, 0, 0]);
        let conv = scores([3, 3, 3, 3, 3, 3]);
        for i in 0..3 {
            assert!(conv[i] > dead[i], "{i}: {conv:?} vs {dead:?}");
        }
    }
}
