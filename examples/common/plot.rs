//! The training plot `train_digits` and `train_digits_cnn` write.

use std::error::Error;
use std::path::Path;

use plotters::prelude::*;

/// Loss and accuracy per epoch: one chart above the other.
pub fn plot(path: &Path, losses: &[f64], train_acc: &[f64], test_acc: &[f64]) -> Result<(), Box<dyn Error>> {
    let root = BitMapBackend::new(path, (900, 700)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(340);
    let text = fonts_available();
    let epochs = losses.len() as f64;
    let max_loss = losses.iter().copied().fold(0.0, f64::max) * 1.05;
    let mut chart = ChartBuilder::on(&top);
    chart.margin(15).x_label_area_size(if text { 35 } else { 0 }).y_label_area_size(if text {
        55
    } else {
        0
    });
    if text {
        chart.caption("training loss (mean cross-entropy per epoch)", ("sans-serif", 20));
    }
    let mut loss_chart = chart.build_cartesian_2d(1.0..epochs, 0.0..max_loss)?;
    if text {
        loss_chart.configure_mesh().x_desc("epoch").draw()?;
    }
    loss_chart.draw_series(LineSeries::new(
        losses.iter().enumerate().map(|(e, &l)| (e as f64 + 1.0, l)),
        RED.stroke_width(2),
    ))?;

    let low = test_acc.iter().chain(train_acc).copied().fold(1.0, f64::min).min(0.9);
    let mut chart = ChartBuilder::on(&bottom);
    chart.margin(15).x_label_area_size(if text { 35 } else { 0 }).y_label_area_size(if text {
        55
    } else {
        0
    });
    if text {
        chart.caption("accuracy: train (blue), test (green)", ("sans-serif", 20));
    }
    let mut acc_chart = chart.build_cartesian_2d(1.0..epochs, low..1.0)?;
    if text {
        acc_chart.configure_mesh().x_desc("epoch").draw()?;
    }
    for (series, color) in [(train_acc, BLUE), (test_acc, GREEN)] {
        acc_chart.draw_series(LineSeries::new(
            series.iter().enumerate().map(|(e, &a)| (e as f64 + 1.0, a)),
            color.stroke_width(2),
        ))?;
    }
    root.present()?;
    Ok(())
}

/// Registers DejaVu Sans for the plot's text, if the system has it; without
/// it the plot is drawn without captions and axis labels.
pub fn fonts_available() -> bool {
    let path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    let Ok(bytes) = std::fs::read(path) else { return false };
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
}
