//! Training a supernet: SGD on the weights (`WeightTrainer`), Adam on α, the cosine
//! schedule, the epochs' batches, and the bi-level alternation DARTS-style methods run.

use datasets::ArchId;
use datasets::images::Images;
use datasets::rng::{self, TrialRng};

use crate::snapshots::{Bytes, Reader, Snapshot, Snapshots};

use super::{EDGES, Mix, OPS, SearchData, Supernet, SupernetSettings, Want};

/// Adam on the host (Kingma & Ba 2015, with L2 weight decay added to the gradient as
/// PyTorch's `Adam(weight_decay=...)` does), for architecture parameters.
pub struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
    lr: f64,
    beta1: f64,
    beta2: f64,
    decay: f64,
}

impl Adam {
    /// NB201's and DARTS' architecture optimizer: β = (0.5, 0.999).
    pub fn for_architecture(n: usize, settings: &SupernetSettings) -> Adam {
        Adam {
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
            lr: settings.arch_learning_rate,
            beta1: 0.5,
            beta2: 0.999,
            decay: settings.arch_weight_decay,
        }
    }

    pub fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        self.t += 1;
        let (c1, c2) = (
            1.0 - libm::pow(self.beta1, f64::from(self.t)),
            1.0 - libm::pow(self.beta2, f64::from(self.t)),
        );
        for (i, (p, &g)) in params.iter_mut().zip(grads).enumerate() {
            let g = f64::from(g) + self.decay * f64::from(*p);
            self.m[i] = self.beta1 * self.m[i] + (1.0 - self.beta1) * g;
            self.v[i] = self.beta2 * self.v[i] + (1.0 - self.beta2) * g * g;
            let step = self.lr * (self.m[i] / c1) / (libm::sqrt(self.v[i] / c2) + 1e-8);
            *p = (f64::from(*p) - step) as f32;
        }
    }
}

impl Snapshot for Adam {
    fn save(&self, out: &mut Bytes) {
        out.f64s(&self.m);
        out.f64s(&self.v);
        out.u64(self.t as u64);
    }

    fn restore(&mut self, input: &mut Reader<'_>) -> Result<(), String> {
        input.f64s(&mut self.m)?;
        input.f64s(&mut self.v)?;
        self.t = i32::try_from(input.u64()?).map_err(|_| "bad Adam step count")?;
        Ok(())
    }
}

/// A supernet and the state of its weights' training: momentum buffers and the step count
/// that sets the cosine learning rate over `settings.epochs` epochs of the training half.
#[derive(Clone)]
pub struct WeightTrainer {
    pub net: Supernet,
    momentum: Vec<Vec<f32>>,
    settings: SupernetSettings,
    step: usize,
    total: usize,
}

impl WeightTrainer {
    /// A fresh supernet (weights drawn from `rng`) for `data`.
    pub fn new(settings: &SupernetSettings, data: &SearchData, rng: &mut TrialRng) -> Self {
        let net = Supernet::new(
            settings,
            data.classes,
            rng,
            &crate::estimate::neural::device(),
        );
        WeightTrainer {
            momentum: net.momentum_buffers(),
            net,
            settings: settings.clone(),
            step: 0,
            total: settings.epochs * batches_per_epoch(data.train.len(), settings.batch),
        }
    }

    /// The learning rate of the next step.
    pub fn learning_rate(&self) -> f64 {
        cosine_rate(&self.settings, self.step, self.total)
    }

    /// One SGD step of the weights on `images[batch]` through the network `mix` selects.
    pub fn step(&mut self, mix: &Mix, images: &Images, batch: &[usize]) {
        let lr = self.learning_rate();
        let r = self
            .net
            .pass(&self.net.weights, mix, images, batch, Want::Weights);
        let grads = r.weight_grads.expect("asked for");
        self.net
            .sgd_step(&grads, &mut self.momentum, &self.settings, lr);
        self.step += 1;
    }

    /// `epochs` epochs of weight training along paths drawn by `draw`, one per training
    /// batch (RSPS's and SETN's uniform sampling, ENAS's controller, a few-shot
    /// sub-supernet's part of the space).
    pub fn train_paths(
        &mut self,
        epochs: usize,
        (data, snapshots): (&SearchData, &mut Snapshots),
        rng: &mut TrialRng,
        mut draw: impl FnMut(&mut TrialRng) -> ArchId,
    ) {
        snapshots.rounds(epochs, self, rng, |trainer, _, rng| {
            let (train, _) = trainer.epoch(data, rng);
            for t in &train {
                let mix = Mix::path(draw(rng), trainer.net.device());
                trainer.step(&mix, &data.train, t);
            }
        });
    }

    /// The momentum buffers (DARTS' unrolled step reads them).
    pub fn momentum(&self) -> &[Vec<f32>] {
        &self.momentum
    }

    /// The batches of the next epoch of the training half, and of the validation half.
    pub fn epoch(
        &self,
        data: &SearchData,
        rng: &mut TrialRng,
    ) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
        let train = epoch_batches(rng, data.train.len(), self.settings.batch);
        let valid = epoch_batches(rng, data.valid.len(), self.settings.batch);
        (train, valid)
    }
}

impl Snapshot for WeightTrainer {
    fn save(&self, out: &mut Bytes) {
        for w in self.net.weights.iter().chain(&self.momentum) {
            out.f32s(w);
        }
        out.u64(self.step as u64);
    }

    fn restore(&mut self, input: &mut Reader<'_>) -> Result<(), String> {
        for w in self.net.weights.iter_mut().chain(&mut self.momentum) {
            input.f32s(w)?;
        }
        self.step = usize::try_from(input.u64()?).map_err(|_| "bad step count")?;
        Ok(())
    }
}

/// The cosine learning rate at `step` of `steps`, from `settings.learning_rate` down to
/// `settings.min_learning_rate` (SGDR without restarts, as DARTS and NB201 schedule it per
/// epoch; nash per step), and the minimum after the last step.
pub fn cosine_rate(settings: &SupernetSettings, step: usize, steps: usize) -> f64 {
    let progress = (step as f64 / steps.max(1) as f64).min(1.0);
    settings.min_learning_rate
        + 0.5
            * (settings.learning_rate - settings.min_learning_rate)
            * (1.0 + libm::cos(std::f64::consts::PI * progress))
}

/// The batches of one epoch over `n` images: a seeded shuffle, cut into `batch`-sized runs
/// (the last one dropped when shorter than 2, which BN cannot normalise).
pub fn epoch_batches(rng: &mut TrialRng, n: usize, batch: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    rng::shuffle(rng, &mut order);
    order
        .chunks(batch)
        .filter(|b| b.len() >= 2)
        .map(<[usize]>::to_vec)
        .collect()
}

/// How many architectures the methods that select by one-shot accuracy score (NB201's
/// `select_num`).
pub fn default_candidates() -> usize {
    100
}

/// How many batches `epoch_batches` cuts `n` images into.
pub fn batches_per_epoch(n: usize, batch: usize) -> usize {
    n / batch + usize::from(n % batch >= 2)
}

/// The state of a bi-level search (DARTS' alternation of weight and architecture steps):
/// the supernet and its training state, α and α's Adam.
pub struct BiLevel {
    pub trainer: WeightTrainer,
    pub alphas: Vec<f32>,
    adam: Adam,
}

/// One step of a bi-level search: its epoch, its training batch and the validation batch
/// paired with it.
pub struct Step<'a> {
    pub epoch: usize,
    pub train: &'a [usize],
    pub valid: &'a [usize],
}

impl BiLevel {
    /// A fresh supernet, α as DARTS initialises it and α's Adam.
    pub fn new(settings: &SupernetSettings, data: &SearchData, rng: &mut TrialRng) -> BiLevel {
        let trainer = WeightTrainer::new(settings, data, rng);
        let alphas = initial_alphas(rng);
        let adam = Adam::for_architecture(alphas.len(), settings);
        BiLevel {
            trainer,
            alphas,
            adam,
        }
    }

    /// The settings' epochs, each a seeded shuffle of both halves; every training batch, with
    /// the validation batch paired with it, is one call of `step`.
    pub fn train(
        &mut self,
        (data, snapshots): (&SearchData, &mut Snapshots),
        rng: &mut TrialRng,
        mut step: impl FnMut(&mut BiLevel, Step<'_>, &mut TrialRng),
    ) {
        let epochs = self.trainer.settings.epochs;
        snapshots.rounds(epochs, self, rng, |search, epoch, rng| {
            let (train, valid) = search.trainer.epoch(data, rng);
            for (t, v) in train.iter().zip(valid.iter().cycle()) {
                let batches = Step {
                    epoch,
                    train: t,
                    valid: v,
                };
                step(search, batches, rng);
            }
        });
    }

    /// One Adam step of α along `grad`.
    pub fn update_alphas(&mut self, grad: &[f32]) {
        self.adam.step(&mut self.alphas, grad);
    }
}

impl Snapshot for BiLevel {
    fn save(&self, out: &mut Bytes) {
        self.trainer.save(out);
        out.f32s(&self.alphas);
        self.adam.save(out);
    }

    fn restore(&mut self, input: &mut Reader<'_>) -> Result<(), String> {
        self.trainer.restore(input)?;
        input.f32s(&mut self.alphas)?;
        self.adam.restore(input)
    }
}

/// Architecture parameters as DARTS initialises them: 10⁻³·N(0, 1) each.
fn initial_alphas(rng: &mut TrialRng) -> Vec<f32> {
    (0..EDGES * OPS)
        .map(|_| (1e-3 * rng::gaussian(rng)) as f32)
        .collect()
}
