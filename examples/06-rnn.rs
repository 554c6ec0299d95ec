//! CS231n's recurrent nets, written once: the vanilla RNN with a temporal
//! softmax loss (`rnn_step_forward/backward`, `temporal_softmax_loss`) and
//! an LSTM with its four gates in one packed product
//! (`lstm_step_forward/backward`). `net!` derives the backward pass through
//! time; each is checked against central finite differences in f64, and its
//! derivation printed: the forward recurrence, then the adjoint recurrence
//! that runs from the last step back, with every shape.
//!
//! Run: `cargo run --release --example 06-rnn`

use shapegrad::prelude::*;

dims! {
    /// Input features per step.
    pub D = 5;
    /// Hidden units.
    pub H = 6;
    /// Classes per step (a vocabulary).
    pub V = 7;
    /// Steps.
    pub T = 8;
}

net! {
    /// CS231n's vanilla RNN: h[t] = tanh(Wx x[t] + Wh h[t − 1] + b), a
    /// softmax over the vocabulary at every step.
    pub net Rnn {
        param Wx: [H, D];
        param Wh: [H, H];
        param b: [H];
        param Wy: [V, H];
        param by: [V];
        input x: [T, D];
        input h0: [H];
        label y: [T] of V;
        for t in T {
            init h = h0;
            let h[t] = tanh(Wx @ x[t] + Wh @ h[t - 1] + b);
            let z[t] = Wy @ h[t] + by;
            let l[t] = softmax_cross_entropy(z[t], y[t]);
        }
        output z;
        loss sum(l);
    }
}

net! {
    /// CS231n's LSTM: the gates i, f, o and the candidate g from one packed
    /// product `a` of `[4·H]`, the cell c and the hidden state h carried.
    pub net Lstm {
        param Wx: [4 * H, D];
        param Wh: [4 * H, H];
        param b: [4 * H];
        param Wy: [V, H];
        param by: [V];
        input x: [T, D];
        input h0: [H];
        label y: [T] of V;
        for t in T {
            init h = h0;
            init c = 0.0 * h0;
            let a = Wx @ x[t] + Wh @ h[t - 1] + b;
            let i = sigmoid(a[0..H]);
            let f = sigmoid(a[H..2 * H]);
            let o = sigmoid(a[2 * H..3 * H]);
            let g = tanh(a[3 * H..4 * H]);
            let c[t] = f * c[t - 1] + i * g;
            let h[t] = o * tanh(c[t]);
            let l[t] = softmax_cross_entropy(Wy @ h[t] + by, y[t]);
        }
        loss sum(l);
    }
}

fn main() {
    let x = Matrix::<T, D, f64>::from_fn(|t, d| (0.9 * t as f64 - 0.7 * d as f64 + 0.2).sin());
    let h0 = Matrix::<H, One, f64>::from_fn(|i, _| 0.1 * i as f64 - 0.2);
    let y = Classes::<V, T>::from_slice(&[0, 3, 6, 2, 2, 5, 1, 4]).unwrap_or_else(|e| panic!("{e}"));

    let rnn = Rnn::<f64>::init(1);
    let (loss, _) = rnn.grad(&x, &h0, &y);
    println!("vanilla RNN over {} steps: loss {loss:.6}", T::SIZE);
    let check = rnn.gradcheck(&x, &h0, &y);
    println!("gradient against central differences (f64):\n{check}");
    assert!(check.is_ok(1e-7), "the RNN's gradient disagrees with finite differences");
    println!("{}", Rnn::<f64>::derivation());

    let lstm = Lstm::<f64>::init(2);
    let (loss, _) = lstm.grad(&x, &h0, &y);
    println!("LSTM over {} steps: loss {loss:.6}", T::SIZE);
    let check = lstm.gradcheck(&x, &h0, &y);
    println!("gradient against central differences (f64):\n{check}");
    assert!(check.is_ok(1e-7), "the LSTM's gradient disagrees with finite differences");
    println!("{}", Lstm::<f64>::derivation());
}
