//! Loads the weights `train_digits` saved and classifies a few test images,
//! drawing each in the terminal beside its prediction.
//!
//! Run: `cargo run --release --example train_digits` first, then
//! `cargo run --release --example classify_digits`.

use std::error::Error;

use shapegrad::data::digits;

mod common;
use common::{DigitNet, OUT_DIR, argmax, prepared_digits};

/// Ink from light to dark, two characters per pixel.
const SHADES: [&str; 5] = ["  ", "░░", "▒▒", "▓▓", "██"];
const SHOWN: usize = 6;

fn main() -> Result<(), Box<dyn Error>> {
    let path = common::out_dir(OUT_DIR).join("weights.safetensors");
    let net = DigitNet::<f32>::load(&path).map_err(|e| {
        format!("{e}\nrun `cargo run --release --example train_digits` first to train and save the weights")
    })?;
    let (_, test) = prepared_digits()?;
    // The same images, unstandardized, to draw them as they were scanned.
    let (_, raw) = digits::train_test()?;

    let mut rows = vec![String::new(); 8 + 3];
    let mut correct = 0;
    for i in 0..SHOWN {
        let (x, y) = test.example::<f32>(i);
        let p = net.forward(&x).softmax();
        let guess = argmax(p.as_slice());
        correct += usize::from(guess == y.index());
        for (r, row) in rows.iter_mut().take(8).enumerate() {
            for &ink in &raw.features(i)[r * 8..r * 8 + 8] {
                row.push_str(SHADES[((ink * 4.0).round() as usize).min(4)]);
            }
            row.push_str("   ");
        }
        let mark = if guess == y.index() { "✓" } else { "✗" };
        rows[8] += &format!("{:<19}", format!("predicted {guess} {mark}"));
        rows[9] += &format!("{:<19}", format!("p = {:.3}", p[guess]));
        rows[10] += &format!("{:<19}", format!("label {}", y.index()));
    }
    println!("{}", rows.join("\n"));
    println!("\n{correct} of {SHOWN} shown correct; weights from {}", path.display());
    Ok(())
}
