//! Checks of method and estimator parameters, shared by every `validate`: each message names
//! the parameter and its allowed range. Upper bounds lie far above any published setting;
//! they keep a mistyped number from exhausting memory or running without end.

/// The most architectures, candidates or samples a count may ask for.
pub(crate) const MAX_ARCHS: usize = 100_000;
/// The most training epochs of a network.
pub(crate) const MAX_EPOCHS: usize = 10_000;
/// The widest hidden layer and the deepest network.
pub(crate) const MAX_WIDTH: usize = 4_096;
pub(crate) const MAX_LAYERS: usize = 64;
/// The most trees of a forest or a boosted ensemble, and networks of an ensemble.
pub(crate) const MAX_TREES: usize = 10_000;
pub(crate) const MAX_ENSEMBLE: usize = 100;

/// A whole number in `min..=max`.
pub(crate) fn count(name: &str, value: usize, min: usize, max: usize) -> Result<(), String> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{name} must be between {min} and {max}, got {value}"
        ))
    }
}

/// Where a real parameter may lie.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Interval {
    /// `[low, high]`
    Closed(f64, f64),
    /// `(low, high]`
    AboveUpTo(f64, f64),
    /// `[low, high)`
    FromBelow(f64, f64),
    /// `(low, high)`
    Open(f64, f64),
}

/// A finite number in `interval` (NaN and infinities never are).
pub(crate) fn real(name: &str, value: f64, interval: Interval) -> Result<(), String> {
    let (inside, shown) = match interval {
        Interval::Closed(a, b) => (value >= a && value <= b, format!("[{a}, {b}]")),
        Interval::AboveUpTo(a, b) => (value > a && value <= b, format!("({a}, {b}]")),
        Interval::FromBelow(a, b) => (value >= a && value < b, format!("[{a}, {b})")),
        Interval::Open(a, b) => (value > a && value < b, format!("({a}, {b})")),
    };
    if inside {
        Ok(())
    } else {
        Err(format!("{name} must be a number in {shown}, got {value}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_parameter_and_the_range() {
        assert_eq!(
            count("population", 0, 1, 10).unwrap_err(),
            "population must be between 1 and 10, got 0"
        );
        assert!(count("population", 10, 1, 10).is_ok());
        let e = real("learning_rate", f64::NAN, Interval::AboveUpTo(0.0, 10.0)).unwrap_err();
        assert_eq!(e, "learning_rate must be a number in (0, 10], got NaN");
        assert!(real("eps", 1.0, Interval::Closed(0.0, 1.0)).is_ok());
        assert!(real("gamma", 1.0, Interval::Open(0.0, 1.0)).is_err());
        assert!(real("m", f64::INFINITY, Interval::FromBelow(0.0, f64::MAX)).is_err());
    }
}
