//! The errors of the data layer. Each names the file (and, where there is one, the key) it is
//! about, so that a user can tell what to fix from one line.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: pickle {source}")]
    Pickle {
        file: String,
        source: crate::pickle::PickleError,
    },
    #[error("{wheel}: not a readable wheel: {message}")]
    Wheel { wheel: PathBuf, message: String },
    #[error("{file}: key '{key}': {message}")]
    Shape {
        file: String,
        key: String,
        message: String,
    },
    #[error("{path}: checksum mismatch: expected sha256 {expected}, found {actual}")]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{what} is not in the data cache ({dir}); {hint}")]
    Missing {
        what: String,
        dir: PathBuf,
        /// What to run (or get) to bring it in.
        hint: String,
    },
    #[error(
        "{path}: not a published file nash knows (sha256 {sha256}); expected one of: {expected}"
    )]
    Unrecognised {
        path: PathBuf,
        sha256: String,
        expected: String,
    },
    #[error("{0}")]
    Fetch(String),
    #[error("{path}: {message}")]
    Table { path: PathBuf, message: String },
    #[error("unknown {kind} '{}'; valid: {valid}", shown(name))]
    Unknown {
        kind: &'static str,
        name: String,
        valid: String,
    },
}

impl DataError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> DataError {
        DataError::Io {
            path: path.into(),
            source,
        }
    }

    pub fn shape(file: &str, key: impl Into<String>, message: impl Into<String>) -> DataError {
        DataError::Shape {
            file: file.to_string(),
            key: key.into(),
            message: message.into(),
        }
    }
}

/// The most characters of a user's input an error message echoes.
const SHOWN: usize = 60;

/// A user's input as an error message echoes it: whole when short, else its first
/// characters and its length, so that a pasted blob does not fill the terminal.
pub fn shown(input: &str) -> String {
    match input.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}… ({} characters)", &input[..cut], input.chars().count()),
        None => input.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn long_inputs_are_cut_with_their_length() {
        assert_eq!(shown("cifar10"), "cifar10");
        let long = "é".repeat(500);
        assert_eq!(
            shown(&long),
            format!("{}… (500 characters)", "é".repeat(60))
        );
    }
}
