//! Fault injection for tests, in the manner of the `fail` crate's failpoints: the environment
//! variable `NASH_FAULTS` makes chosen trials or proxy networks panic, so that the tests can
//! check what a real failure looks like in the result files, the report and the exit code.
//!
//! `NASH_FAULTS=trial:<method or estimator id>/<replicate>,proxy-network:<arch id>,…`
//!
//! - `trial:regularized_evolution/3`: replicate 3 of that method panics after its first
//!   evaluation (every task; for an estimator, when it fits).
//! - `proxy-network:1234`: the zero-cost proxies' network of architecture 1234 panics.
//!
//! Unset, nothing is injected. A malformed value is an input error.

use anyhow::{Result, bail};

/// Where `NASH_FAULTS` asks for a panic.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Faults {
    trials: Vec<(String, u32)>,
    networks: Vec<u32>,
}

pub const VARIABLE: &str = "NASH_FAULTS";

impl Faults {
    pub fn from_env() -> Result<Faults> {
        match std::env::var(VARIABLE) {
            Ok(text) => Faults::parse(&text),
            Err(std::env::VarError::NotPresent) => Ok(Faults::default()),
            Err(e) => bail!("{VARIABLE}: {e}"),
        }
    }

    fn parse(text: &str) -> Result<Faults> {
        let mut faults = Faults::default();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let malformed = || {
                anyhow::anyhow!(
                    "{VARIABLE}: cannot read `{item}`; write trial:<id>/<replicate> or \
                     proxy-network:<arch id>"
                )
            };
            match item.split_once(':') {
                Some(("trial", rest)) => {
                    let (id, replicate) = rest.rsplit_once('/').ok_or_else(malformed)?;
                    let replicate = replicate.parse().map_err(|_| malformed())?;
                    faults.trials.push((id.to_string(), replicate));
                }
                Some(("proxy-network", arch)) => {
                    faults.networks.push(arch.parse().map_err(|_| malformed())?);
                }
                _ => return Err(malformed()),
            }
        }
        Ok(faults)
    }

    /// Panics if `NASH_FAULTS` names this trial.
    pub fn check_trial(&self, id: &str, replicate: u32) {
        if self.trials.iter().any(|(i, r)| i == id && *r == replicate) {
            panic!("injected fault ({VARIABLE}): {id} replicate {replicate}");
        }
    }

    /// Panics if `NASH_FAULTS` names this architecture's proxy network.
    pub fn check_network(&self, arch: u32) {
        if self.networks.contains(&arch) {
            panic!("injected fault ({VARIABLE}): proxy network of architecture {arch}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_trials_and_networks() {
        let f = Faults::parse("trial:my/re/2, proxy-network:17").unwrap();
        assert_eq!(f.trials, vec![("my/re".to_string(), 2)]);
        assert_eq!(f.networks, vec![17]);
        assert!(Faults::parse("trial:re").is_err());
        assert!(Faults::parse("network:3").is_err());
        assert_eq!(Faults::parse("").unwrap(), Faults::default());
    }
}
