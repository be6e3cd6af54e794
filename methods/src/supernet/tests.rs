//! What every weight-sharing method's tests share: a tiny search, and the check that a
//! search is reproducible and resumes after a kill.

use super::*;
use datasets::images::Images;
use datasets::rng;
use datasets::space::Nb201Space;
use std::sync::Arc;

use crate::estimate::neural;
use crate::snapshots::Snapshots;

/// Checks that `method`'s search on `data` is reproducible and resumable: run whole, it
/// finds the same architecture twice; stopped after each of its snapshots (as a kill
/// would stop it) and run again on the same file, it runs only the rounds not saved and
/// ends with the same architecture, the same final state of every loop (weights, momentum,
/// α, optimizers, controller) and the generator at the same position; a search that had
/// ended is not run again.
pub(crate) fn assert_reproducible_and_resumable(method: &impl SupernetMethod, seed: u8) {
    let (_, data) = tiny();
    let search = |snapshots: &mut Snapshots| {
        let mut rng = rng::from_seed([seed; 32]);
        if let Some(arch) = snapshots.found(&mut rng) {
            return (arch, rng.get_word_pos());
        }
        let arch = method.search(&data, snapshots, &mut rng);
        snapshots.finish(arch, &rng);
        (arch, rng.get_word_pos())
    };
    let fresh = || Snapshots::none(&rng::from_seed([seed; 32]));
    let whole = search(&mut fresh());
    assert_eq!(search(&mut fresh()), whole, "not reproducible");
    let dir = std::env::temp_dir().join(format!(
        "nash-snapshots-{}-{seed}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("trial.snap");
    let open = || Snapshots::open(&file, &rng::from_seed([seed; 32]));
    let _ = std::fs::remove_file(&file);
    let mut saved = open();
    assert_eq!(search(&mut saved), whole, "saving changed the search");
    let (rounds, states) = (saved.saves, saved.last_states.clone());
    assert!(rounds >= 2, "only {rounds} snapshots");
    for stop in 1..rounds {
        std::fs::remove_file(&file).unwrap();
        let mut killed = open();
        killed.stop_after = Some(stop);
        let stopped =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| search(&mut killed)));
        assert!(stopped.is_err(), "not stopped after save {stop}");
        let mut resumed = open();
        assert_eq!(search(&mut resumed), whole, "resumed after save {stop}");
        assert_eq!(
            resumed.saves,
            rounds - stop,
            "rounds run again after save {stop}"
        );
        assert!(
            resumed.last_states == states,
            "other states after save {stop}"
        );
    }
    let mut ended = open();
    assert_eq!(search(&mut ended), whole);
    assert_eq!(ended.saves, 0, "an ended search ran again");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A tiny setting and noise images with labels cycling through 3 classes.
pub(crate) fn tiny() -> (SupernetSettings, SearchData) {
    let settings = SupernetSettings {
        channels: 2,
        input_size: 8,
        epochs: 1,
        batch: 4,
        ..SupernetSettings::default()
    };
    let mut r = rng::from_seed([9; 32]);
    let n = 16;
    let images = Images {
        pixels: (0..n * 3 * 8 * 8)
            .map(|_| rng::gaussian(&mut r) as f32)
            .collect(),
        labels: (0..n).map(|i| i % 3).collect(),
        size: 8,
    };
    (settings, SearchData::new(&images, 8).unwrap())
}

#[test]
fn a_one_hot_weighting_is_the_single_path() {
    let device = neural::device();
    let (settings, data) = tiny();
    let mut rng = rng::from_seed([2; 32]);
    let net = Supernet::new(&settings, data.classes, &mut rng, &device);
    let batch: Vec<usize> = (0..4).collect();
    let arch = Nb201Space::id([3, 2, 4, 1, 3, 2]);
    let path = net.pass(
        &net.weights,
        &Mix::path(arch, &device),
        &data.train,
        &batch,
        Want::Nothing,
    );
    let mut one_hot = vec![0.0f32; EDGES * OPS];
    for (e, &op) in Nb201Space::ops(arch).iter().enumerate() {
        one_hot[e * OPS + op as usize] = 1.0;
    }
    let mix = Mix::weighted(edge_leaf(&one_hot, &device));
    let mixed = net.pass(&net.weights, &mix, &data.train, &batch, Want::Nothing);
    assert!(
        (path.loss - mixed.loss).abs() < 1e-6,
        "{} vs {}",
        path.loss,
        mixed.loss
    );
}

#[test]
fn the_architecture_gradient_matches_finite_differences() {
    let device = neural::device();
    let (settings, data) = tiny();
    let mut rng = rng::from_seed([3; 32]);
    let net = Supernet::new(&settings, data.classes, &mut rng, &device);
    let batch: Vec<usize> = (0..8).collect();
    let alphas: Vec<f32> = (0..EDGES * OPS)
        .map(|_| (rng::gaussian(&mut rng) * 0.5) as f32)
        .collect();
    let loss_at = |alphas: &[f32], want: Want| {
        let a = edge_leaf(alphas, &device);
        let soft = burn::tensor::activation::softmax(a.clone(), 1);
        let r = net.pass(
            &net.weights,
            &Mix::weighted(soft),
            &data.train,
            &batch,
            want,
        );
        let grad = r.grads.as_ref().and_then(|g| a.grad(g)).map(floats);
        (r.loss, grad)
    };
    let (_, grad) = loss_at(&alphas, Want::Architecture);
    let grad = grad.expect("alphas take part");
    let h = 1e-3f32;
    for i in [0, 7, 13, 19, 29] {
        let (mut up, mut down) = (alphas.clone(), alphas.clone());
        up[i] += h;
        down[i] -= h;
        let numeric = (loss_at(&up, Want::Nothing).0 - loss_at(&down, Want::Nothing).0)
            / (2.0 * f64::from(h));
        let analytic = f64::from(grad[i]);
        assert!(
            (numeric - analytic).abs() <= 2e-3 + 0.05 * analytic.abs(),
            "alpha {i}: finite difference {numeric}, gradient {analytic}"
        );
    }
}

/// Both halves of `data` as one set of images again.
pub(crate) fn rejoined(data: &SearchData) -> SupernetImages {
    SupernetImages::new(Images {
        pixels: [data.train.pixels.clone(), data.valid.pixels.clone()].concat(),
        labels: [data.train.labels.clone(), data.valid.labels.clone()].concat(),
        size: data.train.size,
    })
}

#[test]
fn a_runs_images_are_split_once_per_input_size() {
    let (_, data) = tiny();
    let images = rejoined(&data);
    let full = images.at_size(8).unwrap();
    assert!(Arc::ptr_eq(&full, &images.at_size(8).unwrap()));
    assert_eq!(full.train.pixels, data.train.pixels);
    let small = images.at_size(4).unwrap();
    assert_eq!((small.train.size, small.valid.len()), (4, 8));
    assert!(Arc::ptr_eq(&small, &images.at_size(4).unwrap()));
    let Err(e) = images.at_size(6) else {
        panic!("size 6 accepted")
    };
    assert!(e.contains("input_size 6"), "{e}");
}

#[test]
fn argmax_architecture_reads_each_edge_row() {
    let mut alphas = vec![0.0f32; EDGES * OPS];
    let ops = [3u8, 0, 2, 4, 1, 3];
    for (e, &op) in ops.iter().enumerate() {
        alphas[e * OPS + op as usize] = 1.0;
    }
    assert_eq!(Nb201Space::ops(argmax_architecture(&alphas)), ops);
}

#[test]
fn sgd_lowers_the_training_loss() {
    let device = neural::device();
    let (settings, data) = tiny();
    let mut rng = rng::from_seed([4; 32]);
    let mut net = Supernet::new(&settings, data.classes, &mut rng, &device);
    let mut momentum = net.momentum_buffers();
    let batch: Vec<usize> = (0..8).collect();
    let mix = Mix::path(Nb201Space::id([3, 3, 3, 3, 3, 3]), &device);
    let first = net
        .pass(&net.weights, &mix, &data.train, &batch, Want::Nothing)
        .loss;
    for _ in 0..30 {
        let r = net.pass(&net.weights, &mix, &data.train, &batch, Want::Weights);
        let grads = r.weight_grads.expect("asked for");
        net.sgd_step(&grads, &mut momentum, &settings, 0.05);
    }
    let last = net
        .pass(&net.weights, &mix, &data.train, &batch, Want::Nothing)
        .loss;
    assert!(last < 0.5 * first, "loss {first} -> {last}");
}
