//! A graph convolutional network predictor over the architecture's operation-on-node DAG, as
//! the neural predictor of Wen, Liu, Chen, Li, Bender & Kindermans, "Neural Predictor for
//! Neural Architecture Search" (ECCV 2020).
//!
//! Variant: node features are one-hot operation types; `layers` (3) graph convolutions of
//! `width` (64) units, each `ReLU(½ (Â_f H W_f + Â_b H W_b))` with Â_f the row-normalised
//! adjacency plus self-loops along the edges and Â_b the same against them (the paper's
//! bidirectional propagation); the mean of the node embeddings feeds a linear output.
//! Trained on standardized labels by Adam (learning rate 10⁻³, batches of 32) on the mean
//! squared error for `epochs` (200) epochs. Every graph of a space has the same number of
//! nodes (NB201: 8, NAS-Bench-Graph: 6), so batches are dense tensors.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor, TensorData};
use datasets::rng::TrialRng;
use datasets::space::OpGraph;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::LearnedEstimator;
use super::neural::{self, Training};
use super::{Estimator, MethodContext, standardize};
use crate::limits;
use crate::registry::{Capabilities, Card};
use datasets::space::Encoding;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GcnParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_layers")]
    pub layers: usize,
    #[serde(default = "default_width")]
    pub width: usize,
    #[serde(default = "default_epochs")]
    pub epochs: usize,
}

fn default_layers() -> usize {
    3
}

fn default_width() -> usize {
    64
}

fn default_epochs() -> usize {
    200
}

impl LearnedEstimator for GcnParams {
    const CARD: Card = Card {
        name: "gcn",
        summary: "Wen et al. 2020's bidirectional GCN over the operation-on-node DAG (burn)",
        capabilities: Capabilities {
            learns: true,
            networks: true,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn encoding(&self) -> Option<Encoding> {
        None
    }

    fn validate(&self, space: &dyn SearchSpace) -> Result<(), String> {
        limits::count("layers", self.layers, 1, limits::MAX_LAYERS)?;
        limits::count("width", self.width, 1, limits::MAX_WIDTH)?;
        limits::count("epochs", self.epochs, 1, limits::MAX_EPOCHS)?;
        if space.op_graph(0).is_none() {
            return Err(format!(
                "the {} space has no graph form for a GCN",
                space.name()
            ));
        }
        Ok(())
    }

    fn estimator<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Estimator + 'a> {
        Box::new(self.build(ctx))
    }
}

impl GcnParams {
    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> Gcn<'a> {
        Gcn {
            space: ctx.space,
            params: self.clone(),
            device: neural::device(),
            net: None,
        }
    }
}

#[derive(Module, Debug)]
struct Net {
    forward_layers: Vec<Linear>,
    backward_layers: Vec<Linear>,
    output: Linear,
}

/// A batch of graphs as dense tensors: one-hot node types `[b, n, types]`, and the two
/// normalised adjacencies `[b, n, n]`.
struct Graphs {
    nodes: Tensor<3>,
    along: Tensor<3>,
    against: Tensor<3>,
}

impl Graphs {
    fn new(graphs: &[OpGraph], device: &Device) -> Graphs {
        let n = graphs[0].ops.len();
        let types = graphs[0].op_types;
        let b = graphs.len();
        let mut nodes = vec![0f32; b * n * types];
        let mut along = vec![0f32; b * n * n];
        let mut against = vec![0f32; b * n * n];
        for (g, graph) in graphs.iter().enumerate() {
            for (i, &op) in graph.ops.iter().enumerate() {
                nodes[(g * n + i) * types + op] = 1.0;
                along[(g * n + i) * n + i] = 1.0;
                against[(g * n + i) * n + i] = 1.0;
            }
            for &(from, to) in &graph.edges {
                along[(g * n + to) * n + from] = 1.0;
                against[(g * n + from) * n + to] = 1.0;
            }
            for adjacency in [&mut along, &mut against] {
                for row in adjacency[g * n * n..(g + 1) * n * n].chunks_mut(n) {
                    let degree: f32 = row.iter().sum();
                    row.iter_mut().for_each(|v| *v /= degree);
                }
            }
        }
        Graphs {
            nodes: Tensor::from_data(TensorData::new(nodes, [b, n, types]), device),
            along: Tensor::from_data(TensorData::new(along, [b, n, n]), device),
            against: Tensor::from_data(TensorData::new(against, [b, n, n]), device),
        }
    }

    fn select(&self, batch: &[usize], device: &Device) -> Graphs {
        let idx: Vec<i32> = batch.iter().map(|&i| i as i32).collect();
        let idx = Tensor::<1, Int>::from_data(TensorData::new(idx, [batch.len()]), device);
        Graphs {
            nodes: self.nodes.clone().select(0, idx.clone()),
            along: self.along.clone().select(0, idx.clone()),
            against: self.against.clone().select(0, idx),
        }
    }
}

impl Net {
    fn new(types: usize, layers: usize, width: usize, rng: &mut TrialRng, device: &Device) -> Net {
        let mut layer =
            |i: usize| neural::linear(if i == 0 { types } else { width }, width, rng, device);
        let forward_layers = (0..layers).map(&mut layer).collect();
        let backward_layers = (0..layers).map(&mut layer).collect();
        Net {
            forward_layers,
            backward_layers,
            output: neural::linear(width, 1, rng, device),
        }
    }

    fn forward(&self, g: &Graphs) -> Tensor<1> {
        let mut h = g.nodes.clone();
        for (f, b) in self.forward_layers.iter().zip(&self.backward_layers) {
            let along = f.forward(g.along.clone().matmul(h.clone()));
            let against = b.forward(g.against.clone().matmul(h));
            h = relu((along + against) * 0.5);
        }
        let pooled: Tensor<2> = h.mean_dim(1).flatten(1, 2);
        self.output.forward(pooled).flatten(0, 1)
    }
}

pub struct Gcn<'a> {
    space: &'a dyn SearchSpace,
    params: GcnParams,
    device: Device,
    net: Option<Net>,
}

impl Gcn<'_> {
    fn graphs(&self, archs: &[ArchId]) -> Graphs {
        let graphs: Vec<OpGraph> = archs
            .iter()
            .map(|&a| {
                self.space
                    .op_graph(a)
                    .expect("graph form validated with the protocol")
            })
            .collect();
        Graphs::new(&graphs, &self.device)
    }
}

impl Estimator for Gcn<'_> {
    fn fit(&mut self, archs: &[ArchId], labels: &[f64], rng: &mut TrialRng) -> Result<(), String> {
        let all = self.graphs(archs);
        let types = self.space.op_graph(archs[0]).expect("validated").op_types;
        let net = Net::new(
            types,
            self.params.layers,
            self.params.width,
            rng,
            &self.device,
        );
        let training = Training {
            epochs: self.params.epochs,
            batch_size: 32,
            learning_rate: 1e-3,
            l1: false,
        };
        let device = self.device.clone();
        self.net = Some(neural::train(
            net,
            &standardize(labels),
            training,
            rng,
            &device,
            |net, batch| net.forward(&all.select(batch, &device)),
        ));
        Ok(())
    }

    fn score(&mut self, archs: &[ArchId]) -> Result<Vec<f64>, String> {
        let net = self.net.as_ref().ok_or("score called before fit")?;
        Ok(neural::values(net.forward(&self.graphs(archs))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::EstimatorSpec;
    use crate::estimate::testing::rank_quality;

    #[test]
    fn learns_an_additive_objective() {
        let spec = EstimatorSpec::Gcn(GcnParams {
            id: None,
            layers: 2,
            width: 32,
            epochs: 80,
        });
        assert!(rank_quality(&spec, 200) > 0.8);
    }
}
