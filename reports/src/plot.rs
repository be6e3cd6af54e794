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

/// Titles and axes of a chart.
pub struct Chart<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    /// Plot x on a log₁₀ scale (training-set sizes).
    pub log_x: bool,
    /// Leave the first tenth of each curve out of the y range (incumbent curves start with a
    /// few random draws that would squash the rest).
    pub skip_start: bool,
}

/// A line per named curve (its `median`) with a shaded band from `q1` to `q3`.
pub fn curves_svg(chart: &Chart, series: &[(&str, &Curve)]) -> String {
    let transformed: Vec<(&str, Curve)> = series
        .iter()
        .map(|(name, c)| {
            let mut c = (*c).clone();
            if chart.log_x {
                c.x = c.x.iter().map(|x| x.max(1e-9).log10()).collect();
            }
            (*name, c)
        })
        .collect();
    let refs: Vec<(&str, &Curve)> = transformed.iter().map(|(n, c)| (*n, c)).collect();
    render(|root| draw(root, chart, &refs))
}

/// Points of (x, y), with the title and axes of `chart` (log_x and skip_start ignored).
pub fn scatter_svg(chart: &Chart, points: &[(f64, f64)]) -> String {
    render(|root| draw_scatter(root, chart, points))
}

fn render(
    draw: impl FnOnce(
        &DrawingArea<SVGBackend, plotters::coord::Shift>,
    ) -> Result<(), DrawingAreaErrorKind<std::io::Error>>,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 460)).into_drawing_area();
        // Drawing into a String cannot fail; plotters' errors only come from I/O backends.
        let _ = draw(&root);
        let _ = root.present();
    }
    svg
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-9);
    (lo - pad, hi + pad)
}

fn draw_scatter<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    chart: &Chart,
    points: &[(f64, f64)],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let (x_min, x_max) = bounds(points.iter().map(|p| p.0));
    let (y_min, y_max) = bounds(points.iter().map(|p| p.1));
    let mut c = ChartBuilder::on(root)
        .caption(chart.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(x_min..x_max, y_min..y_max)?;
    c.configure_mesh()
        .x_desc(chart.x_label)
        .y_desc(chart.y_label)
        .x_label_formatter(&|x| format_tick(*x, x_max - x_min))
        .y_label_formatter(&|y| format_tick(*y, y_max - y_min))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    c.draw_series(
        points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|&p| Circle::new(p, 2, PALETTE[0].mix(0.5).filled())),
    )?;
    Ok(())
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

fn y_range(series: &[(&str, &Curve)], skip_start: bool) -> (f64, f64) {
    let lows = series.iter().flat_map(|(_, c)| {
        c.q1.iter()
            .skip(if skip_start { c.q1.len() / 10 } else { 0 })
    });
    let highs = series.iter().flat_map(|(_, c)| c.q3.iter());
    let lo = lows
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    let hi = highs
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-9);
    (lo - pad, hi + pad)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    chart: &Chart,
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
    let (y_min, y_max) = y_range(series, chart.skip_start);
    let log_x = chart.log_x;
    let x_tick = move |x: &f64| {
        if log_x {
            format!("{:.0}", 10f64.powf(*x))
        } else {
            format_tick(*x, x_max - x_min)
        }
    };
    let mut plot = ChartBuilder::on(root)
        .caption(chart.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(x_min..x_max, y_min..y_max)?;
    plot.configure_mesh()
        .x_desc(chart.x_label)
        .y_desc(chart.y_label)
        .x_label_formatter(&x_tick)
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
        plot.draw_series(std::iter::once(Polygon::new(
            band,
            color.mix(0.18).filled(),
        )))?;
        plot.draw_series(LineSeries::new(
            curve
                .x
                .iter()
                .zip(&curve.median)
                .map(|(&x, &y)| (x, clamp(y))),
            color.stroke_width(2),
        ))?
        .label(*name)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    plot.configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    Ok(())
}

/// A critical-difference diagram (Demšar, JMLR 2006): methods placed on an axis of average
/// rank (1 = best, on the left), the critical difference drawn as a bar, and methods whose
/// ranks differ by less than it joined by a thick line.
pub fn critical_difference_svg(title: &str, names: &[&str], ranks: &[f64], cd: f64) -> String {
    let k = names.len();
    let (w, left, right) = (860.0, 60.0, 560.0);
    let x = |r: f64| left + (r - 1.0) / ((k.max(2) - 1) as f64) * (right - left);
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| ranks[a].total_cmp(&ranks[b]));
    let h = 140.0 + 22.0 * k as f64;
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;");
    let mut svg = format!(
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{}</text>\n",
        w / 2.0,
        esc(title)
    );
    let axis_y = 70.0;
    svg.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{axis_y}\" x2=\"{right}\" y2=\"{axis_y}\" stroke=\"black\"/>\n"
    ));
    for r in 1..=k {
        let xr = x(r as f64);
        svg.push_str(&format!(
            "<line x1=\"{xr}\" y1=\"{axis_y}\" x2=\"{xr}\" y2=\"{}\" stroke=\"black\"/><text x=\"{xr}\" y=\"{}\" text-anchor=\"middle\">{r}</text>\n",
            axis_y - 6.0,
            axis_y - 10.0
        ));
    }
    // The critical difference bar, from rank 1.
    let cd_y = 40.0;
    svg.push_str(&format!(
        "<line x1=\"{}\" y1=\"{cd_y}\" x2=\"{}\" y2=\"{cd_y}\" stroke=\"#d62728\" stroke-width=\"3\"/><text x=\"{}\" y=\"{}\" fill=\"#d62728\">CD = {cd:.3}</text>\n",
        x(1.0),
        x((1.0 + cd).min(k as f64)),
        x((1.0 + cd).min(k as f64)) + 6.0,
        cd_y + 4.0
    ));
    for (row, &i) in order.iter().enumerate() {
        let y = axis_y + 30.0 + 22.0 * row as f64;
        let xr = x(ranks[i]);
        svg.push_str(&format!(
            "<line x1=\"{xr}\" y1=\"{axis_y}\" x2=\"{xr}\" y2=\"{y}\" stroke=\"#555\"/><line x1=\"{xr}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#555\"/><text x=\"{}\" y=\"{}\">{} ({:.2})</text>\n",
            right + 10.0,
            right + 14.0,
            y + 4.0,
            esc(names[i]),
            ranks[i]
        ));
    }
    // Cliques: maximal runs of rank-ordered methods spanning less than the CD.
    let mut bar = 0;
    for start in 0..k {
        let mut end = start;
        while end + 1 < k && ranks[order[end + 1]] - ranks[order[start]] < cd {
            end += 1;
        }
        let contained = start > 0 && {
            let prev_end = (start - 1..k)
                .take_while(|&e| ranks[order[e]] - ranks[order[start - 1]] < cd)
                .last()
                .unwrap_or(start - 1);
            prev_end >= end
        };
        if end > start && !contained {
            let y = axis_y + 12.0 + 6.0 * bar as f64;
            svg.push_str(&format!(
                "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"black\" stroke-width=\"4\"/>\n",
                x(ranks[order[start]]) - 3.0,
                x(ranks[order[end]]) + 3.0
            ));
            bar += 1;
        }
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_difference_diagram_joins_close_ranks() {
        let svg = critical_difference_svg("cd", &["a", "b", "c"], &[1.2, 1.5, 2.9], 0.8);
        assert!(svg.contains(">a (1.20)<") && svg.contains(">c (2.90)<"));
        // One clique (a, b): a single thick bar.
        assert_eq!(svg.matches("stroke-width=\"4\"").count(), 1);
    }

    #[test]
    fn renders_an_svg_with_every_series() {
        let c = Curve {
            x: vec![1.0, 2.0, 3.0],
            median: vec![80.0, 85.0, 90.0],
            q1: vec![79.0, 84.0, 89.0],
            q3: vec![81.0, 86.0, 91.0],
        };
        let chart = Chart {
            title: "t",
            x_label: "queries",
            y_label: "val_acc",
            log_x: false,
            skip_start: true,
        };
        let svg = curves_svg(&chart, &[("rs", &c), ("re", &c)]);
        assert!(svg.starts_with("<svg"), "{}", &svg[..50.min(svg.len())]);
        assert!(svg.contains("\nrs\n") && svg.contains("\nre\n"));
        assert!(svg.contains("<polygon"));
    }
}
