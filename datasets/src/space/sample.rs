//! A published sample of another space's architectures, such as NAS-Bench-Suite-Zero's
//! labelled cells: ids are positions in the published file, each naming an architecture of the
//! base space. NASLib drew its samples without removing isomorphic duplicates (its 500 NB101
//! cells are 292 classes), so an architecture may appear more than once; each appearance keeps
//! its own row, as NASLib scored it.
//!
//! A sample is for estimation: it has no neighbours (a search would leave it), and
//! everything else — description, encodings, graph form, decisions, the networks the
//! zero-cost proxies build — is its base space's.

use std::sync::Arc;

use super::{ArchId, DecisionLabel, Encoding, NetworkOf, OpGraph, SearchSpace};

pub struct SampleSpace {
    name: String,
    base: Arc<dyn SearchSpace>,
    keys: Vec<String>,
    members: Vec<ArchId>,
    /// Each member's network as the file gives its cell, where that differs from the base
    /// class's (nasbench splits channels by vertex order, so isomorphic NB101 cells can build
    /// networks of different sizes).
    networks: Option<Vec<NetworkOf>>,
}

impl SampleSpace {
    /// The sample `name` of `base` whose `keys` (the file's, in its order) name the base
    /// architectures `members`.
    pub fn new(
        name: &str,
        base: Arc<dyn SearchSpace>,
        keys: Vec<String>,
        members: Vec<ArchId>,
    ) -> SampleSpace {
        assert_eq!(keys.len(), members.len(), "one member per key");
        SampleSpace {
            name: name.to_string(),
            base,
            keys,
            members,
            networks: None,
        }
    }

    /// The same sample with each member's network given (one per member).
    pub fn with_networks(self, networks: Vec<NetworkOf>) -> SampleSpace {
        assert_eq!(networks.len(), self.members.len(), "one network per member");
        SampleSpace {
            networks: Some(networks),
            ..self
        }
    }

    /// The base space's architecture at position `arch` of the sample.
    pub fn member(&self, arch: ArchId) -> ArchId {
        self.members[arch as usize]
    }

    pub fn base(&self) -> &dyn SearchSpace {
        self.base.as_ref()
    }
}

impl SearchSpace for SampleSpace {
    fn name(&self) -> &str {
        &self.name
    }

    fn size(&self) -> usize {
        self.members.len()
    }

    fn key(&self, arch: ArchId) -> String {
        self.keys[arch as usize].clone()
    }

    fn id_of_key(&self, key: &str) -> Option<ArchId> {
        self.keys.iter().position(|k| k == key).map(|i| i as ArchId)
    }

    fn describe(&self, arch: ArchId) -> String {
        self.base.describe(self.member(arch))
    }

    fn network(&self, arch: ArchId) -> Option<NetworkOf> {
        match &self.networks {
            Some(networks) => Some(networks[arch as usize]),
            None => self.base.network(self.member(arch)),
        }
    }

    fn neighbours(&self, _arch: ArchId, out: &mut Vec<ArchId>) {
        out.clear();
    }

    /// The first position of the same base class.
    fn canonical(&self, arch: ArchId) -> ArchId {
        let class = self.base.canonical(self.member(arch));
        let first = self
            .members
            .iter()
            .position(|&m| self.base.canonical(m) == class);
        first.map_or(arch, |i| i as ArchId)
    }

    fn encode(&self, arch: ArchId, encoding: Encoding) -> Option<Vec<f64>> {
        self.base.encode(self.member(arch), encoding)
    }

    fn op_graph(&self, arch: ArchId) -> Option<OpGraph> {
        self.base.op_graph(self.member(arch))
    }

    fn decisions(&self) -> Vec<usize> {
        self.base.decisions()
    }

    fn decision_labels(&self) -> Vec<DecisionLabel> {
        self.base.decision_labels()
    }

    fn choices(&self, arch: ArchId) -> Vec<usize> {
        self.base.choices(self.member(arch))
    }

    fn arch_of_choices(&self, choices: &[usize]) -> Option<ArchId> {
        let member = self.base.arch_of_choices(choices)?;
        let position = self.members.iter().position(|&m| m == member)?;
        Some(position as ArchId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::Nb201Space;

    #[test]
    fn a_sample_reads_its_base_through_its_positions() {
        let base: Arc<dyn SearchSpace> = Arc::new(Nb201Space::new());
        let sample = SampleSpace::new(
            "s",
            Arc::clone(&base),
            vec!["a".into(), "b".into(), "c".into()],
            vec![7, 3, 7],
        );
        assert_eq!(sample.size(), 3);
        assert_eq!(sample.id_of_key("b"), Some(1));
        assert_eq!(sample.describe(1), base.describe(3));
        assert_eq!(
            sample.encode(2, Encoding::Onehot),
            base.encode(7, Encoding::Onehot)
        );
        assert_eq!(sample.canonical(2), 0, "the duplicate's first position");
        assert_eq!(sample.arch_of_choices(&base.choices(3)), Some(1));
        let mut out = vec![9];
        sample.neighbours(0, &mut out);
        assert!(out.is_empty());
    }
}
