//! Estimation methods: anything that ranks architectures without training them fully.
//! One file per estimator, each citing its paper and the variant implemented.
//!
//! An estimator may be fitted on labelled architectures (learned predictors) or not
//! (tabulated and zero-cost estimators), then scores architectures: higher means predicted
//! better. Labels are given "higher is better" (the runner negates minimized metrics).

mod dense;
pub(crate) mod neural;
mod regression_tree;
mod tabulated;

pub use gaussian_process::GpModel;
pub use tabulated::{RecordedParams, TabulatedParams};

use std::fmt;

use datasets::rng::TrialRng;
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use crate::MethodContext;
use crate::proxy::Proxy;
use crate::registry::{Capabilities, Card};

pub trait Estimator {
    /// Learns from labelled architectures (`labels[i]` belongs to `archs[i]`). Estimators
    /// that do not learn ignore them.
    fn fit(&mut self, archs: &[ArchId], labels: &[f64], rng: &mut TrialRng) -> Result<(), String>;

    /// Scores architectures; higher means predicted better.
    fn score(&mut self, archs: &[ArchId]) -> Result<Vec<f64>, String>;
}

/// A learned estimator's parameters, as a protocol gives them, and what it is.
pub trait LearnedEstimator {
    /// Its name in protocols, its paper and variant, its capabilities.
    const CARD: Card;

    /// The `id` parameter: the name results are recorded under, when not the estimator's.
    fn id(&self) -> Option<&str>;

    /// The architecture encoding it reads, if any (the space must define it).
    fn encoding(&self) -> Option<Encoding>;

    /// Checks parameter values against `space`; the message names the offending parameter.
    fn validate(&self, space: &dyn SearchSpace) -> Result<(), String>;

    /// The k of a nearest-neighbour estimator, which no training set may be smaller than.
    fn neighbours(&self) -> Option<usize> {
        None
    }

    fn estimator<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Estimator + 'a>;
}

/// Declares the learned estimators: for each line `module::Params => Variant`, the module, an
/// `EstimatorSpec` variant holding its parameters, and its card in `LEARNED`.
macro_rules! learned_estimators {
    ($($module:ident :: $params:ident => $variant:ident,)*) => {
        $(mod $module; pub use $module::$params;)*

        /// An estimator and its parameters as a protocol names them, e.g.
        /// `ridge: { alpha: 1.0 }` or `synflow: {}`.
        #[derive(Debug, Clone, PartialEq)]
        pub enum EstimatorSpec {
            /// A property the table holds for every architecture.
            Tabulated {
                card: &'static Card,
                params: TabulatedParams,
            },
            /// A zero-cost proxy, computed on the architecture's network.
            Proxy { proxy: Proxy, params: TabulatedParams },
            /// A score a published file records for each architecture.
            Recorded(RecordedParams),
            $($variant($params),)*
        }

        /// Every learned estimator's card, in registry order.
        pub const LEARNED: &[Card] = &[$(<$params as LearnedEstimator>::CARD,)*];

        impl EstimatorSpec {
            /// The learned estimator's parameters, if it is one.
            fn learned(&self) -> Option<&dyn LearnedParams> {
                match self {
                    EstimatorSpec::Tabulated { .. }
                    | EstimatorSpec::Proxy { .. }
                    | EstimatorSpec::Recorded(_) => None,
                    $(EstimatorSpec::$variant(p) => Some(p),)*
                }
            }

            /// Reads the parameters of the learned estimator named `name`, if there is one.
            fn read_learned<'de, A: MapAccess<'de>>(
                name: &str,
                map: &mut A,
            ) -> Result<Option<Self>, A::Error> {
                $(if name == <$params as LearnedEstimator>::CARD.name {
                    return Ok(Some(EstimatorSpec::$variant(map.next_value()?)));
                })*
                Ok(None)
            }

            fn write<S: SerializeMap>(&self, map: &mut S) -> Result<(), S::Error> {
                match self {
                    EstimatorSpec::Tabulated { params, .. } | EstimatorSpec::Proxy { params, .. } => {
                        map.serialize_entry(self.name(), params)
                    }
                    EstimatorSpec::Recorded(p) => map.serialize_entry(self.name(), p),
                    $(EstimatorSpec::$variant(p) => map.serialize_entry(self.name(), p),)*
                }
            }
        }
    };
}

learned_estimators! {
    ridge::RidgeParams => Ridge,
    knn::KnnParams => Knn,
    random_forest::RandomForestParams => RandomForest,
    gbdt::GbdtParams => Gbdt,
    gaussian_process::GaussianProcessParams => GaussianProcess,
    mlp::MlpParams => Mlp,
    gcn::GcnParams => Gcn,
    bananas::BananasParams => Bananas,
    one_shot::OneShotParams => OneShot,
    external::ExternalEstimatorParams => External,
}

/// [`LearnedEstimator`] without its card, so that `EstimatorSpec` can hand any learned
/// estimator's parameters out as one type.
trait LearnedParams {
    fn card(&self) -> &'static Card;
    fn id(&self) -> Option<&str>;
    fn encoding(&self) -> Option<Encoding>;
    fn validate(&self, space: &dyn SearchSpace) -> Result<(), String>;
    fn neighbours(&self) -> Option<usize>;
    fn estimator<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Estimator + 'a>;
}

impl<T: LearnedEstimator> LearnedParams for T {
    fn card(&self) -> &'static Card {
        &T::CARD
    }

    fn id(&self) -> Option<&str> {
        LearnedEstimator::id(self)
    }

    fn encoding(&self) -> Option<Encoding> {
        LearnedEstimator::encoding(self)
    }

    fn validate(&self, space: &dyn SearchSpace) -> Result<(), String> {
        LearnedEstimator::validate(self, space)
    }

    fn neighbours(&self) -> Option<usize> {
        LearnedEstimator::neighbours(self)
    }

    fn estimator<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Estimator + 'a> {
        LearnedEstimator::estimator(self, ctx)
    }
}

/// Every estimator's card: the tabulated ones, the zero-cost proxies, the learned ones.
pub fn estimators() -> Vec<Card> {
    let mut cards = tabulated::TABULATED.to_vec();
    cards.push(tabulated::RECORDED);
    cards.extend(Proxy::ALL.map(Proxy::card));
    cards.extend_from_slice(LEARNED);
    cards
}

impl EstimatorSpec {
    pub fn card(&self) -> Card {
        match self {
            EstimatorSpec::Tabulated { card, .. } => **card,
            EstimatorSpec::Proxy { proxy, .. } => proxy.card(),
            EstimatorSpec::Recorded(_) => tabulated::RECORDED,
            _ => *self.learned().expect("the other kinds").card(),
        }
    }

    pub fn name(&self) -> &'static str {
        self.card().name
    }

    /// The id results are recorded under: the `id` parameter, else the estimator's name.
    pub fn id(&self) -> &str {
        let id = match self {
            EstimatorSpec::Tabulated { params, .. } | EstimatorSpec::Proxy { params, .. } => {
                params.id.as_deref()
            }
            EstimatorSpec::Recorded(p) => Some(p.id.as_str()),
            _ => self.learned().and_then(|l| l.id()),
        };
        id.unwrap_or(self.name())
    }

    /// The recorded score this estimator reads (`naslib: { score }`), if it is one.
    pub fn recorded(&self) -> Option<&str> {
        match self {
            EstimatorSpec::Recorded(p) => Some(&p.score),
            _ => None,
        }
    }

    /// The zero-cost proxy this estimator reads, if it is one.
    pub fn proxy(&self) -> Option<Proxy> {
        match self {
            EstimatorSpec::Proxy { proxy, .. } => Some(*proxy),
            _ => None,
        }
    }

    pub fn capabilities(&self) -> Capabilities {
        self.card().capabilities
    }

    /// The k of a nearest-neighbour estimator, which no training set may be smaller than.
    pub fn neighbours(&self) -> Option<usize> {
        self.learned().and_then(|l| l.neighbours())
    }

    /// Whether the estimator is fitted on labelled architectures (and so runs once per
    /// training-set size).
    pub fn learns(&self) -> bool {
        self.card().capabilities.learns
    }

    /// Checks parameter values and that the space and benchmark provide what the estimator
    /// reads (`properties`: the property names available).
    pub fn validate(&self, space: &dyn SearchSpace, properties: &[&str]) -> Result<(), String> {
        if let Some(only) = self.card().capabilities.only_space
            && space.name() != only
        {
            return Err(format!(
                "it trains an {only} supernet; the {} space has none",
                space.name()
            ));
        }
        match self {
            EstimatorSpec::Tabulated { .. } => check_property(self.name(), properties),
            EstimatorSpec::Recorded(p) => check_property(&p.property(), properties),
            EstimatorSpec::Proxy { .. } if space.network(0).is_none() => Err(format!(
                "zero-cost proxies build NB201 and NB101 networks; the {} space has none",
                space.name()
            )),
            EstimatorSpec::Proxy { .. } => Ok(()),
            _ => {
                let learned = self.learned().expect("the other kinds");
                if let Some(encoding) = learned.encoding()
                    && space.encode(0, encoding).is_none()
                {
                    return Err(format!(
                        "encoding '{}' is not defined for the {} space; use onehot",
                        encoding.name(),
                        space.name()
                    ));
                }
                learned.validate(space)
            }
        }
    }

    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Estimator + 'a> {
        match self {
            EstimatorSpec::Tabulated { .. } | EstimatorSpec::Proxy { .. } => {
                Box::new(tabulated::Tabulated::new(ctx, self.name()))
            }
            EstimatorSpec::Recorded(p) => Box::new(tabulated::Tabulated::new(ctx, &p.property())),
            _ => self.learned().expect("the other kinds").estimator(ctx),
        }
    }
}

impl Serialize for EstimatorSpec {
    /// As `{name: parameters}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        self.write(&mut map)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for EstimatorSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<EstimatorSpec, D::Error> {
        struct Entry;
        impl<'de> Visitor<'de> for Entry {
            type Value = EstimatorSpec;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an estimator as `name: { parameters }`")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EstimatorSpec, A::Error> {
                let Some(name) = map.next_key::<String>()? else {
                    return Err(de::Error::custom("an estimator needs a name"));
                };
                let spec = if let Some(proxy) = Proxy::named(&name) {
                    EstimatorSpec::Proxy {
                        proxy,
                        params: map.next_value()?,
                    }
                } else if name == tabulated::RECORDED.name {
                    EstimatorSpec::Recorded(map.next_value()?)
                } else if let Some(card) = tabulated::TABULATED.iter().find(|c| c.name == name) {
                    EstimatorSpec::Tabulated {
                        card,
                        params: map.next_value()?,
                    }
                } else if let Some(learned) = EstimatorSpec::read_learned(&name, &mut map)? {
                    learned
                } else {
                    let names: Vec<&str> = estimators().iter().map(|c| c.name).collect();
                    return Err(de::Error::custom(format!(
                        "unknown variant `{}`, expected one of {}",
                        datasets::error::shown(&name),
                        names.join(", ")
                    )));
                };
                if let Some(other) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!(
                        "one estimator per list item: `{name}` and `{other}` are in one"
                    )));
                }
                Ok(spec)
            }
        }
        d.deserialize_map(Entry)
    }
}

/// Whether the benchmark records `name` for its architectures.
fn check_property(name: &str, properties: &[&str]) -> Result<(), String> {
    if properties.is_empty() {
        return Err(format!(
            "this benchmark tabulates no architecture properties, so no '{name}'"
        ));
    }
    if !properties.contains(&name) {
        return Err(format!(
            "this benchmark has no '{name}' for its architectures; available: {}",
            properties.join(", ")
        ));
    }
    Ok(())
}

fn default_encoding() -> Encoding {
    Encoding::Onehot
}

/// The feature rows of `archs` (validated encodings never fail).
pub(crate) fn features(
    space: &dyn SearchSpace,
    archs: &[ArchId],
    encoding: Encoding,
) -> Vec<Vec<f64>> {
    archs
        .iter()
        .map(|&a| {
            space
                .encode(a, encoding)
                .expect("encoding validated with the protocol")
        })
        .collect()
}

/// Labels shifted and scaled to mean 0 and standard deviation 1 (unchanged scale when they
/// are constant); rank-based scores do not depend on it, learners' defaults do.
pub(crate) fn standardize(labels: &[f64]) -> Vec<f64> {
    let n = labels.len() as f64;
    let mean = labels.iter().sum::<f64>() / n;
    let sd = (labels.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let sd = if sd > 0.0 { sd } else { 1.0 };
    labels.iter().map(|v| (v - mean) / sd).collect()
}

fn check_fitted<T>(model: &Option<T>) -> Result<&T, String> {
    model
        .as_ref()
        .ok_or_else(|| "score called before fit".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_estimator_is_named_by_its_card_once() {
        let cards = estimators();
        let mut names: Vec<&str> = cards.iter().map(|c| c.name).collect();
        for name in &names {
            let params = match *name {
                "external" => r#"{"id": "mine", "command": ["python3", "mine.py"]}"#,
                "naslib" => r#"{"score": "snip"}"#,
                _ => "{}",
            };
            let spec: EstimatorSpec =
                serde_json::from_str(&format!("{{\"{name}\": {params}}}")).unwrap();
            assert_eq!(spec.name(), *name);
            let json = serde_json::to_string(&spec).unwrap();
            assert!(json.starts_with(&format!("{{\"{name}\":{{")), "{json}");
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), cards.len(), "names are unique");
        let recorded: EstimatorSpec =
            serde_json::from_str(r#"{"naslib": {"score": "snip"}}"#).unwrap();
        assert_eq!(recorded.id(), "naslib_snip");
        assert!(
            recorded
                .validate(&datasets::space::Nb201Space::new(), &["params"])
                .is_err()
        );
        assert_eq!(Proxy::named("jacob_cov"), Some(Proxy::JacobCov));
        assert!(
            Proxy::ALL
                .iter()
                .all(|p| Proxy::named(p.name()) == Some(*p))
        );
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A synthetic learning problem on the NB201 space with a known ranking.
    use super::*;
    use datasets::space::Nb201Space;

    /// An additive objective over the one-hot encoding: each edge's op contributes a fixed
    /// amount, so a good learner recovers the ranking almost exactly.
    pub fn additive(arch: ArchId) -> f64 {
        let weights = [0.0, 1.0, 2.0, 3.0, 0.5];
        Nb201Space::ops(arch)
            .iter()
            .enumerate()
            .map(|(e, &op)| weights[op as usize] * (1.0 + e as f64 / 10.0))
            .sum()
    }

    /// Fits on `n_train` random archs and returns Spearman's rho on 500 others.
    pub fn rank_quality(spec: &EstimatorSpec, n_train: usize) -> f64 {
        let space = Nb201Space::new();
        let ctx = MethodContext::of_space(&space);
        let mut rng = datasets::rng::from_seed([4; 32]);
        let mut archs: Vec<ArchId> = (0..15_625).collect();
        datasets::rng::shuffle(&mut rng, &mut archs);
        let (train, test) = (&archs[..n_train], &archs[n_train..n_train + 500]);
        let labels: Vec<f64> = train.iter().map(|&a| additive(a)).collect();
        let mut est = spec.build(&ctx);
        est.fit(train, &labels, &mut rng).unwrap();
        let scores = est.score(test).unwrap();
        let truth: Vec<f64> = test.iter().map(|&a| additive(a)).collect();
        reports::rank::spearman(&scores, &truth).value
    }
}
