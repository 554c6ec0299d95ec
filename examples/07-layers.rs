//! Layers defined once and used several times: a residual MLP of six layers
//! on the handwritten digits — a dense layer into the hidden width, a stack
//! of four residual blocks, a dense head — written with two `layer`s, two
//! instances and a stack, each member with params of its own
//! (`net.blocks[0].W1`, `grad.blocks[0].W1`, the safetensors name
//! `blocks.0.W1`, as PyTorch's `state_dict` names a `ModuleList`'s).
//! Prints the summary (grouped by instance) and the derivation (the stack
//! as a loop over its members, the dense layer's backward pass once, each
//! call by its instance's name), trains with Adam, saves the weights
//! and loads them back; `examples/python/load_layers.py` loads them by name
//! into the same net in PyTorch.
//!
//! Run: `cargo run --release --example 07-layers`
//! Writes `target/07-layers/{weights.safetensors,model.onnx,training.png}`.

use std::error::Error;

use shapegrad::data::Digit;
use shapegrad::data::digits::{Digits, Pixels};
use shapegrad::fit::{Event, Fit};
use shapegrad::optim::Adam;
use shapegrad::prelude::*;

use shapegrad_report::out_dir;
use shapegrad_report::progress::Training;

dims! {
    /// The hidden width.
    pub H = 48;
    /// Examples per batch.
    pub Batch = 32;
}

net! {
    /// A dense layer: `W x + b`.
    layer Dense<I, O>(x) {
        param W: [O, I];
        param b: [O];
        W @ x + b
    }

    /// A residual block: `x + W2 relu(W1 x + b1) + b2`.
    layer Residual(x) {
        param W1: [H, H];
        param b1: [H];
        param W2: [H, H];
        param b2: [H];
        x + W2 @ relu(W1 @ x + b1) + b2
    }

    /// Six layers: into the hidden width, four residual blocks, the head.
    pub net ResMlp {
        input x: [Pixels];
        label y: Digit;
        param embed: Dense<Pixels, H>;
        param blocks: [Residual; 4];
        param head: Dense<H, Digit>;
        let h = relu(embed(x));
        let z = head(blocks(h));
        output z;
        loss softmax_cross_entropy(z, y);
    }
}

const EPOCHS: usize = 60;
const SEED: u64 = 7;

fn accuracy(net: &ResMlp, data: &Digits) -> f64 {
    data.confusion::<Batch, f32>(|xs| net.forward_batch(xs)).accuracy()
}

fn main() -> Result<(), Box<dyn Error>> {
    let out = &out_dir("07-layers");
    std::fs::create_dir_all(out)?;
    let (mut train, mut test) = shapegrad::data::digits::train_test()?;
    let (mean, std) = train.feature_stats();
    train.standardize(&mean, &std);
    test.standardize(&mean, &std);
    println!("{}", ResMlp::summary());
    println!("{}", ResMlp::derivation());

    let mut net = ResMlp::<f32>::init(SEED);
    // The blocks start near the identity: their second product small.
    for r in &mut net.blocks {
        r.W2.as_mut_slice().iter_mut().for_each(|w| *w *= 0.1);
    }
    let mut adam = Adam::new(1e-3).with_weight_decay(1e-2);
    let mut run = Training::new(EPOCHS, train.num_batches::<Batch>())?;
    Fit::<Batch>::new(EPOCHS).seed(SEED).run(&mut net, &mut adam, &train, |event, net| match event {
        Event::Batch { .. } => run.batch(),
        Event::Epoch { loss, .. } => run.epoch(loss, accuracy(net, &train), accuracy(net, &test)),
    });
    let final_acc = run.finish(Batch::SIZE, test.len(), out)?;
    let weights = out.join("weights.safetensors");
    net.save(&weights)?;
    let reloaded = ResMlp::<f32>::load(&weights)?;
    if reloaded != net {
        return Err("the reloaded weights differ".into());
    }
    println!("weights saved to {} (tensors named embed.W, blocks.0.W1, …)", weights.display());
    // The forward pass for other engines: input `x` [N, 64], output `z` [N, 10].
    net.export_onnx(out.join("model.onnx"))?;
    // What PyTorch checks: four standardized test images and their logits here.
    let images = |i: usize| Vector::<Pixels>::from_fn(|p, _| test.features(i)[p]);
    let rows = |f: &dyn Fn(usize) -> Vec<f32>| -> String {
        (0..4).map(|i| f(i).iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" ") + "\n").collect()
    };
    std::fs::write(out.join("probe_x.txt"), rows(&|i| images(i).as_slice().to_vec()))?;
    std::fs::write(out.join("probe_z.txt"), rows(&|i| net.forward(&images(i)).as_slice().to_vec()))?;
    if final_acc < 0.97 {
        return Err(format!("test accuracy {:.1}% is below 97%", 100.0 * final_acc).into());
    }
    Ok(())
}
