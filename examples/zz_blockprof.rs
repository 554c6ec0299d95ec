use shapegrad::prelude::*;
dims! { V = 64; D = 64; F = 256; T = 64; Batch = 32; }
net! {
    pub net Block {
        param E: [V, D]; param P: [T, D]; param g1: [D]; param s1: [D];
        param Wq: [D, D]; param Wk: [D, D]; param Wv: [D, D]; param Wo: [D, D];
        param g2: [D]; param s2: [D]; param W1: [F, D]; param b1: [F]; param W2: [D, F]; param b2: [D]; param Wy: [V, D];
        input ws: [T] of V; input mask: [T, T]; label ys: [T] of V;
        let x = E[ws] + P;
        let h = layernorm(x, g1, s1);
        let q = h @ Wq.T; let k = h @ Wk.T; let v = h @ Wv.T;
        let a = softmax(0.125 * (k @ q.T) + mask);
        let r = x + a.T @ v @ Wo.T;
        let f = relu(layernorm(r, g2, s2) @ W1.T + b1) @ W2.T + b2;
        let z = (r + f) @ Wy.T;
        for t in T { let l[t] = softmax_cross_entropy(z[t], ys[t]); }
        output z;
        loss mean(l);
    }
}
fn main() {
    let net = Block::<f32>::init(3);
    let ws = Sequences::<V, T, Batch>::from_fn(|t, b| (7 * t + 3 * b) % 64).unwrap();
    let ys = Sequences::<V, T, Batch>::from_fn(|t, b| (7 * t + 3 * b + 7) % 64).unwrap();
    let mask = Tensor3::<T, T, Batch>::from_fn(|key, query, _| if key <= query { 0.0 } else { -1e9 });
    let mut buffers = BlockBatchWorkspace::<Batch, f32>::new();
    let mut g = BlockGrad::<f32>::zeros();
    let t0 = std::time::Instant::now();
    let mut s = 0.0;
    for _ in 0..200 {
        s += net.grad_batch_into(&mut buffers, &ws, &mask, &ys, &mut g);
    }
    println!("{} ms/step {s}", t0.elapsed().as_secs_f64() * 1e3 / 200.0);
}
