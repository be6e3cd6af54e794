//! A weight-sharing method as the runner sees it: its capabilities, the trait it
//! implements, and the `Searcher` that runs its whole search on the first ask.

use datasets::ArchId;
use datasets::rng::TrialRng;

use crate::MethodContext;
use crate::registry::Capabilities;
use crate::search::Searcher;
use crate::snapshots::{Snapshots, thread_cpu_seconds};

use super::{SearchData, SupernetImages, SupernetSettings};

/// What every weight-sharing method's card declares.
pub const WEIGHT_SHARING: Capabilities = Capabilities {
    only_space: Some("nb201"),
    networks: true,
    weight_sharing: true,
    ..Capabilities::PLAIN
};

/// A weight-sharing search method: its supernet settings and its whole search, from the split
/// images, the trial's snapshots (every training loop runs through them) and the trial's
/// generator to the one architecture it derives.
pub trait SupernetMethod: Clone {
    fn settings(&self) -> &SupernetSettings;
    fn search(&self, data: &SearchData, snapshots: &mut Snapshots, rng: &mut TrialRng) -> ArchId;
}

/// The searcher of `method` for the trial `ctx` describes.
pub fn searcher<'a, M: SupernetMethod + 'a>(
    method: &M,
    ctx: &'a MethodContext<'a>,
) -> Box<dyn Searcher + 'a> {
    let input_size = method.settings().input_size;
    let method = method.clone();
    Box::new(SupernetSearcher {
        images: ctx.images,
        snapshot: ctx.trial.and_then(|t| t.snapshot),
        input_size,
        search: Box::new(move |data, snapshots, rng| method.search(data, snapshots, rng)),
        derived: None,
    })
}

/// A weight-sharing method's whole search: the split images, the trial's snapshots and its
/// generator in, the architecture it derives out.
pub type SupernetSearch<'a> =
    Box<dyn Fn(&SearchData, &mut Snapshots, &mut TrialRng) -> ArchId + 'a>;

/// The searcher of a weight-sharing method. Its first ask runs the whole supernet search
/// (`search`, given the split images, the trial's snapshots and its generator) and returns
/// the architecture it derives, whose measured CPU time, over every attempt of the search,
/// is the evaluation's cost; a protocol with such methods has a budget of one query (checked
/// with the protocol), so there is no second ask.
pub struct SupernetSearcher<'a> {
    images: Option<&'a SupernetImages>,
    /// Where the trial keeps its snapshots (None: nowhere).
    snapshot: Option<&'a std::path::Path>,
    input_size: usize,
    search: SupernetSearch<'a>,
    derived: Option<(ArchId, f64)>,
}

impl Searcher for SupernetSearcher<'_> {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        if let Some((arch, _)) = self.derived {
            return arch;
        }
        let mut snapshots = match self.snapshot {
            Some(file) => Snapshots::open(file, rng),
            None => Snapshots::none(rng),
        };
        let arch = match snapshots.found(rng) {
            Some(arch) => arch,
            None => {
                let images = self
                    .images
                    .expect("the runner gives weight-sharing methods the protocol's images");
                // The first trial to need a size prepares it for the whole run; its cost is
                // not this search's.
                let before = thread_cpu_seconds();
                let data = images
                    .at_size(self.input_size)
                    .unwrap_or_else(|e| panic!("{e}"));
                snapshots.set_aside(thread_cpu_seconds() - before);
                let arch = (self.search)(&data, &mut snapshots, rng);
                snapshots.finish(arch, rng);
                arch
            }
        };
        self.derived = Some((arch, snapshots.seconds()));
        arch
    }

    fn tell(&mut self, _arch: ArchId, _fitness: f64) {}

    fn measured_cost(&self) -> Option<f64> {
        self.derived.map(|(_, seconds)| seconds)
    }
}
