//! Files written whole or not at all, and their checksums: the data cache, the run directory
//! and the reports all write and check files through here.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

/// Writes `path` through a temporary sibling and a rename, so that a reader never sees half of
/// it and an interrupted write never damages the file that was there; creates the parent
/// directory if needed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("partial");
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, path)
}

/// Copies `from` to `to` the same way.
pub fn copy_atomic(from: &Path, to: &Path) -> io::Result<()> {
    if from == to {
        return Ok(());
    }
    let tmp = to.with_extension("partial");
    fs::copy(from, &tmp)?;
    fs::rename(&tmp, to)
}

/// The lowercase hex sha256 of a byte slice.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The size and lowercase hex sha256 of a file's content, read in blocks.
pub fn sha256_file(path: &Path) -> io::Result<(u64, String)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((size, hex(&hasher.finalize())))
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
