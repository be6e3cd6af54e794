//! Published figures nash's reports put beside its own, with their sources.

/// |Spearman rho| of zero-cost proxies against test accuracy over all 15,625 NB201
/// architectures on CIFAR-10 (Abdelfattah, Mehrotra, Dudziak & Lane, "Zero-Cost Proxies for
/// Lightweight NAS", ICLR 2021), and of the parameter count on the same table.
const NB201_CIFAR10_PROXIES: &[(&str, f64)] = &[
    ("synflow", 0.737),
    ("jacob_cov", 0.731),
    ("snip", 0.596),
    ("grad_norm", 0.594),
    ("grasp", 0.514),
    ("fisher", 0.36),
    ("params", 0.71),
];

pub const PROXIES_SOURCE: &str =
    "Abdelfattah et al., ICLR 2021: |Spearman| vs test accuracy, all 15,625 NB201 cells, CIFAR-10";

/// The published |Spearman rho| of `estimator` on `benchmark`/`task`, if nash knows one.
pub fn proxy_spearman(benchmark: &str, task: &str, estimator: &str) -> Option<f64> {
    (benchmark == "nb201" && task == "cifar10")
        .then(|| {
            NB201_CIFAR10_PROXIES
                .iter()
                .find(|(e, _)| *e == estimator)
                .map(|(_, v)| *v)
        })
        .flatten()
}
