//! The training program of the convolutional digit examples, for any net
//! `train_digits_cnn` and `train_digits_cnn_bn` declare: Adam with a cosine
//! schedule, progress bar, test accuracy, plot, weights saved and reloaded.

use shapegrad::dims;

dims! {
    /// Kernels of the first convolution.
    pub F1 = 32;
    /// Kernels of the second.
    pub F2 = 64;
}

/// Defines `main` for a convolutional net `$Net` on the digits as images
/// `[One, Rows, Cols]`, writing into `$out_dir`.
#[macro_export]
macro_rules! train_cnn {
    ($Net:ident, $out_dir:expr) => {
        const EPOCHS: usize = 30;
        const LR: f32 = 3e-3;
        const SEED: u64 = 7;

        /// Example `i` of `data` as an image.
        fn image(data: &Digits, i: usize) -> Tensor3<One, Rows, Cols> {
            Tensor3::from_slice(data.features(i)).unwrap_or_else(|_| unreachable!("64 pixels are 1×8×8"))
        }

        /// The fraction of `data` whose largest logit is at the label.
        fn accuracy(net: &$Net, data: &Digits) -> f64 {
            let correct = (0..data.len())
                .filter(|&i| argmax(net.forward(&image(data, i)).as_slice()) == data.label(i).index())
                .count();
            correct as f64 / data.len() as f64
        }

        fn main() -> Result<(), Box<dyn Error>> {
            let out = &common::out_dir($out_dir);
            std::fs::create_dir_all(out)?;
            // Pixels as the set gives them, in [0, 1]: a kernel slides over every
            // position, so every position is scaled alike (standardizing each pixel
            // apart would blow up the nearly constant border pixels).
            let (train, test) = digits::train_test()?;
            println!(
                "{} training and {} test images of 1×8×8 pixels, {} classes",
                train.len(),
                test.len(),
                Digit::SIZE
            );
            println!("{}", $Net::derivation());

            let mut net = $Net::<f32>::init(SEED);
            let mut adam = Adam::new(LR).with_weight_decay(1e-4);
            let batches = train.num_batches::<Batch>();
            let mut run = Training::new(EPOCHS, batches)?;
            // A cosine schedule: the rate falls from LR to 0 over the epochs.
            let schedule = Cosine::new(f64::from(LR), EPOCHS).per_epoch(batches);
            let fit = Fit::<Batch>::new(EPOCHS).seed(SEED).schedule(&schedule);
            // The images as `[1, 8, 8]`, a batch as `Tensor4<One, Rows, Cols, Batch>`.
            fit.run::<f32, _, _, Tensor4<One, Rows, Cols, Batch>, _>(
                &mut net,
                &mut adam,
                &train,
                |event, net| match event {
                    Event::Batch { .. } => run.batch(),
                    Event::Epoch { loss, .. } => run.epoch(loss, accuracy(net, &train), accuracy(net, &test)),
                },
            );
            let final_acc = run.finish(Batch::SIZE, test.len(), out)?;
            let weights = out.join("weights.safetensors");
            net.save(&weights)?;
            let reloaded = $Net::<f32>::load(&weights)?;
            if accuracy(&reloaded, &test) != final_acc {
                return Err("the reloaded weights classify differently".into());
            }
            println!("weights saved to {}", weights.display());
            if final_acc < 0.985 {
                return Err(format!("test accuracy {:.1}% is below 98.5%", 100.0 * final_acc).into());
            }
            Ok(())
        }
    };
}
