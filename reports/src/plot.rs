//! SVG plots (plotters' SVG backend, no fonts or system libraries needed).

use plotters::prelude::*;

use crate::search::Curve;

/// Tableau 10, the palette most plotting tools default to.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Median lines with shaded interquartile bands, one per named curve.
pub fn curves_svg(title: &str, x_label: &str, y_label: &str, series: &[(&str, &Curve)]) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 460)).into_drawing_area();
        // Drawing into a String cannot fail; plotters' errors only come from I/O backends.
        let _ = draw(&root, title, x_label, y_label, series);
        let _ = root.present();
    }
    svg
}

/// Tick labels with as many decimals as the axis span needs (none for counts and seconds).
fn format_tick(v: f64, span: f64) -> String {
    let decimals = if span >= 20.0 {
        0
    } else {
        (2.0 - span.log10().floor()).clamp(0.0, 6.0) as usize
    };
    format!("{v:.decimals$}")
}

fn y_range(series: &[(&str, &Curve)]) -> (f64, f64) {
    // Skip the first tenth of each curve: the first random draws would squash the rest.
    let lows = series
        .iter()
        .flat_map(|(_, c)| c.q1.iter().skip(c.q1.len() / 10));
    let highs = series.iter().flat_map(|(_, c)| c.q3.iter());
    let lo = lows.copied().fold(f64::INFINITY, f64::min);
    let hi = highs.copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-9);
    (lo - pad, hi + pad)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(&str, &Curve)],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let x_max = series
        .iter()
        .flat_map(|(_, c)| c.x.last())
        .copied()
        .fold(1.0, f64::max);
    let x_min = series
        .iter()
        .flat_map(|(_, c)| c.x.first())
        .copied()
        .fold(x_max, f64::min)
        .min(x_max - 1e-9);
    let (y_min, y_max) = y_range(series);
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(x_min..x_max, y_min..y_max)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&|x| format_tick(*x, x_max - x_min))
        .y_label_formatter(&|y| format_tick(*y, y_max - y_min))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (i, (name, curve)) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let clamp = |y: f64| y.clamp(y_min, y_max);
        let band: Vec<(f64, f64)> = curve
            .x
            .iter()
            .zip(&curve.q3)
            .map(|(&x, &y)| (x, clamp(y)))
            .chain(
                curve
                    .x
                    .iter()
                    .zip(&curve.q1)
                    .rev()
                    .map(|(&x, &y)| (x, clamp(y))),
            )
            .collect();
        chart.draw_series(std::iter::once(Polygon::new(
            band,
            color.mix(0.18).filled(),
        )))?;
        chart
            .draw_series(LineSeries::new(
                curve
                    .x
                    .iter()
                    .zip(&curve.median)
                    .map(|(&x, &y)| (x, clamp(y))),
                color.stroke_width(2),
            ))?
            .label(*name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_an_svg_with_every_series() {
        let c = Curve {
            x: vec![1.0, 2.0, 3.0],
            median: vec![80.0, 85.0, 90.0],
            q1: vec![79.0, 84.0, 89.0],
            q3: vec![81.0, 86.0, 91.0],
        };
        let svg = curves_svg("t", "queries", "val_acc", &[("rs", &c), ("re", &c)]);
        assert!(svg.starts_with("<svg"), "{}", &svg[..50.min(svg.len())]);
        assert!(svg.contains("\nrs\n") && svg.contains("\nre\n"));
        assert!(svg.contains("<polygon"));
    }
}
