//! `shapegrad::model`'s traits and `Fit` for a net of several inputs: the
//! inputs are one tuple `X` (and several labels or targets one tuple `Y`),
//! in declaration order.

use shapegrad::fit::{Batches, Fit};
use shapegrad::model::{BatchNet, Net, Predict, PredictBatch};
use shapegrad::optim::Adam;
use shapegrad::prelude::*;
use shapegrad::random::Rng;

dims! { D = 3; H = 4; O = 2; Batch = 8; }

net! {
    /// One step of a recurrent cell with its state as a second input.
    net Cell {
        param Wx: [H, D];
        param Wh: [H, H];
        param Wy: [O, H];
        input x: [D];
        input h0: [H];
        target t: [O];
        let h = tanh(Wx @ x + Wh @ h0);
        let y = Wy @ h;
        output y;
        loss mse(y, t);
    }
}

fn column<N: Dim, const K: usize>(v: [f64; K]) -> Vector<N, f64> {
    Vector::from_slice(&v).unwrap()
}

#[test]
fn the_traits_take_the_inputs_as_a_tuple_and_call_the_inherent_methods() {
    let net = Cell::<f64>::init(2);
    let (x, h0, t) = (
        column::<D, 3>([0.5, -1.0, 2.0]),
        column::<H, 4>([0.1, 0.2, -0.3, 0.4]),
        column::<O, 2>([1.0, -1.0]),
    );
    let inputs = (x.clone(), h0.clone());
    assert_eq!(Net::loss(&net, &inputs, &t), net.loss(&x, &h0, &t));
    let (l, g) = Net::grad(&net, &inputs, &t);
    let (l2, g2) = net.grad(&x, &h0, &t);
    assert_eq!((l, &g), (l2, &g2));
    assert_eq!(Predict::forward(&net, &inputs), net.forward(&x, &h0));
    // The loss by hand: ½ Σ (Wy tanh(Wx x + Wh h0) − t)² / O, mse's mean.
    let h = (&net.Wx * &x + &net.Wh * &h0).map(f64::tanh);
    let y = &net.Wy * &h;
    let want = (0..2).map(|i| (y[i] - t[i]).powi(2)).sum::<f64>() / 2.0;
    assert!((l - want).abs() < 1e-12, "{l} vs {want}");
    let xs = Matrix::<D, Batch, f64>::from_fn(|i, j| (i as f64 - j as f64) * 0.3);
    let hs = Matrix::<H, Batch, f64>::from_fn(|i, j| ((i * j) as f64 * 0.7).sin());
    let ts = Matrix::<O, Batch, f64>::from_fn(|i, j| (i + j) as f64 * 0.1);
    let batch = (xs.clone(), hs.clone());
    let (lb, gb) = BatchNet::grad_batch(&net, &batch, &ts, &mut Rng::seed(0));
    assert_eq!((lb, gb), net.grad_batch(&xs, &hs, &ts));
    assert_eq!(PredictBatch::forward_batch(&net, &batch), net.forward_batch(&xs, &hs));
}

/// Examples of `y = A x + B h0` for fixed A, B: a dataset of two inputs.
struct Pairs {
    order: Vec<usize>,
}

fn example(k: usize) -> ([f32; 3], [f32; 4], [f32; 2]) {
    let x = [(k % 5) as f32 * 0.2 - 0.4, (k % 3) as f32 * 0.3 - 0.3, (k % 7) as f32 * 0.1 - 0.3];
    let h = [(k % 2) as f32 * 0.2, (k % 4) as f32 * 0.1 - 0.15, 0.1, -0.1 * (k % 3) as f32];
    let y = [0.3 * x[0] - 0.2 * x[1] + 0.4 * h[1], 0.1 * x[2] + 0.2 * h[0] - 0.3 * h[3]];
    (x, h, y)
}

impl Batches<(Matrix<D, Batch>, Matrix<H, Batch>), Matrix<O, Batch>> for Pairs {
    fn new_batch(&self) -> ((Matrix<D, Batch>, Matrix<H, Batch>), Matrix<O, Batch>) {
        ((Matrix::zeros(), Matrix::zeros()), Matrix::zeros())
    }
    fn batch_count(&self) -> usize {
        self.order.len() / Batch::SIZE
    }
    fn fill(&self, k: usize, xs: &mut (Matrix<D, Batch>, Matrix<H, Batch>), ys: &mut Matrix<O, Batch>) {
        for b in 0..Batch::SIZE {
            let (x, h, y) = example(self.order[k * Batch::SIZE + b]);
            (0..3).for_each(|i| xs.0[(i, b)] = x[i]);
            (0..4).for_each(|i| xs.1[(i, b)] = h[i]);
            (0..2).for_each(|i| ys[(i, b)] = y[i]);
        }
    }
    fn reshuffled(&self, seed: u64) -> Self {
        let mut order = self.order.clone();
        let n = order.len();
        order.rotate_left(seed as usize % n);
        Pairs { order }
    }
}

#[test]
fn fit_trains_a_net_of_two_inputs() {
    let mut net = Cell::<f32>::init(1);
    let data = Pairs { order: (0..64).collect() };
    let losses = Fit::<Batch>::new(200).run(&mut net, &mut Adam::new(0.01), &data, |_, _| {});
    assert!(losses[199] < 0.05 * losses[0], "{} from {}", losses[199], losses[0]);
}
