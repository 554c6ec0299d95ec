//! The training plot the digits examples write: the loss per epoch on a
//! log scale above, train and test accuracy below, integer epochs, labelled
//! axes and a legend.

use std::error::Error;
use std::path::Path;

use plotters::prelude::*;

/// Loss and accuracy per epoch: one chart above the other.
pub fn plot(path: &Path, losses: &[f64], train_acc: &[f64], test_acc: &[f64]) -> Result<(), Box<dyn Error>> {
    let root = BitMapBackend::new(path, (900, 700)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(340);
    let text = fonts_available();
    let epochs = losses.len().max(2) as u32;
    let positive = losses.iter().copied().filter(|l| *l > 0.0);
    let (low_loss, high_loss) = positive.fold((f64::MAX, f64::MIN), |(lo, hi), l| (lo.min(l), hi.max(l)));
    let (low_loss, high_loss) =
        if low_loss <= high_loss { (low_loss / 1.5, high_loss * 1.5) } else { (1e-3, 1.0) };
    let areas = |chart: &mut ChartBuilder<'_, '_, _>| {
        let size = if text { 55 } else { 0 };
        chart.margin(15).x_label_area_size(size).y_label_area_size(size);
    };
    let mut chart = ChartBuilder::on(&top);
    areas(&mut chart);
    if text {
        chart.caption("training loss per epoch (log scale)", ("sans-serif", 20));
    }
    let mut loss_chart = chart.build_cartesian_2d(1u32..epochs, (low_loss..high_loss).log_scale())?;
    if text {
        loss_chart.configure_mesh().x_desc("epoch").y_desc("mean cross-entropy").draw()?;
    }
    loss_chart
        .draw_series(LineSeries::new(
            losses.iter().enumerate().filter(|(_, l)| **l > 0.0).map(|(e, &l)| (e as u32 + 1, l)),
            RED.stroke_width(2),
        ))?
        .label("training loss")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
    if text {
        loss_chart.configure_series_labels().border_style(BLACK).background_style(WHITE.mix(0.8)).draw()?;
    }

    let low = test_acc.iter().chain(train_acc).copied().fold(1.0, f64::min).min(0.9);
    let mut chart = ChartBuilder::on(&bottom);
    areas(&mut chart);
    if text {
        chart.caption("accuracy per epoch", ("sans-serif", 20));
    }
    let mut acc_chart = chart.build_cartesian_2d(1u32..epochs, low..1.0)?;
    if text {
        acc_chart.configure_mesh().x_desc("epoch").y_desc("accuracy").draw()?;
    }
    for (series, color, name) in [(train_acc, BLUE, "train"), (test_acc, GREEN, "test")] {
        acc_chart
            .draw_series(LineSeries::new(
                series.iter().enumerate().map(|(e, &a)| (e as u32 + 1, a)),
                color.stroke_width(2),
            ))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    if text {
        acc_chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .border_style(BLACK)
            .background_style(WHITE.mix(0.8))
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// Registers DejaVu Sans for the plot's text, if the system has it; without
/// it the plot is drawn without captions, axis labels and legends.
pub fn fonts_available() -> bool {
    let path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    let Ok(bytes) = std::fs::read(path) else { return false };
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
}
