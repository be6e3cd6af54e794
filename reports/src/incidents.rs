//! What went wrong in a cell's trials, read from the result files' status columns: failures
//! (a trial with no result) and fallbacks (departures from the published method, which the
//! method counted). Search and estimation reports both count them here and render them with
//! the same words.

/// A trial that failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub replicate: u32,
    /// The first line of its error.
    pub error: String,
    /// Evaluations it completed before failing (search trials).
    pub evaluations: Option<u32>,
}

/// The failures and fallbacks of one cell (a search method on a task, or an estimator at a
/// training size on a task).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Incidents {
    /// Trials run, failed or not.
    pub trials: usize,
    pub failed: Vec<Failure>,
    /// Trials that fell back at least once, fallbacks in all, and the first trial's reason.
    pub trials_with_fallbacks: usize,
    pub fallbacks: u64,
    pub fallback_reason: Option<String>,
}

impl Incidents {
    /// Counts one trial: its failure, if it failed, and its fallbacks.
    pub fn add(&mut self, failure: Option<Failure>, fallbacks: u32, reason: Option<&str>) {
        self.trials += 1;
        self.failed.extend(failure);
        if fallbacks > 0 {
            self.trials_with_fallbacks += 1;
            self.fallbacks += u64::from(fallbacks);
            if self.fallback_reason.is_none() {
                self.fallback_reason = reason.map(str::to_string);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.failed.is_empty() && self.trials_with_fallbacks == 0
    }
}
