//! What the digits training examples report while and after they train: a
//! progress bar over every batch, the loss and accuracies per epoch, the
//! final figures, and the plot.

use std::error::Error;
use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

/// The record of one training run.
pub struct Training {
    bar: ProgressBar,
    start: Instant,
    epochs: usize,
    batches: usize,
    losses: Vec<f64>,
    train_acc: Vec<f64>,
    test_acc: Vec<f64>,
}

impl Training {
    /// A run of `epochs` epochs of `batches` batches each.
    pub fn new(epochs: usize, batches: usize) -> Result<Self, Box<dyn Error>> {
        let bar = ProgressBar::new((epochs * batches) as u64);
        bar.set_style(ProgressStyle::with_template("{bar:40} epoch {msg} [{elapsed}]")?);
        let (losses, train_acc, test_acc) = (Vec::new(), Vec::new(), Vec::new());
        Ok(Training { bar, start: Instant::now(), epochs, batches, losses, train_acc, test_acc })
    }

    /// One batch done.
    pub fn batch(&self) {
        self.bar.inc(1);
    }

    /// One epoch done, with its mean loss and the accuracies after it.
    pub fn epoch(&mut self, loss: f64, train: f64, test: f64) {
        self.losses.push(loss);
        self.train_acc.push(train);
        self.test_acc.push(test);
        self.bar.set_message(format!(
            "{}/{}: loss {loss:.4}, train {:.1}%, test {:.1}%",
            self.losses.len(),
            self.epochs,
            100.0 * train,
            100.0 * test
        ));
    }

    /// Prints the run's figures for `test_len` test examples in batches of
    /// `batch`, writes the plot into `out`; the final test accuracy.
    pub fn finish(self, batch: usize, test_len: usize, out: &Path) -> Result<f64, Box<dyn Error>> {
        self.bar.finish();
        let elapsed = self.start.elapsed();
        let final_acc = self.test_acc.last().copied().unwrap_or(0.0);
        let correct = (final_acc * test_len as f64).round() as usize;
        println!(
            "trained {} epochs of {} batches of {batch} in {:.2} s",
            self.epochs,
            self.batches,
            elapsed.as_secs_f64()
        );
        println!("final training loss {:.4}", self.losses.last().copied().unwrap_or(f64::NAN));
        println!("test accuracy: {:.1}% ({correct}/{test_len})", 100.0 * final_acc);
        let chart = out.join("training.png");
        crate::plot::plot(&chart, &self.losses, &self.train_acc, &self.test_acc)?;
        println!("plot written to {}", chart.display());
        Ok(final_acc)
    }
}
