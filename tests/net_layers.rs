//! Layers defined once and instantiated under names (`param l1: Dense<D, H>;`),
//! each instance with params of its own: fields and gradients nest
//! (`net.l1.W`, `grad.l1.W`), files name them `l1.W`. Values against the
//! same net written out by hand in plain loops here, gradients against
//! finite differences and against the flat net.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::prelude::*;

dims! { D = 5; H = 4; C = 3; B = 6; }

net! {
    /// A dense layer: `W x + b`.
    layer Dense<I, O>(x) {
        param W: [O, I];
        param b: [O];
        W @ x + b
    }

    /// A residual block: `x + W₂ relu(W₁ x + b₁)`.
    layer Residual(x) {
        param W1: [H, H];
        param b1: [H];
        param W2: [H, H];
        let h = relu(W1 @ x + b1);
        x + W2 @ h
    }

    /// `x + tanh(W x + b)`.
    layer Res(x) {
        param W: [H, H];
        param b: [H];
        x + tanh(W @ x + b)
    }

    /// Two dense layers around a residual block, one instance used twice.
    pub net Mlp {
        input x: [D];
        label y: C;
        param l1: Dense<D, H>;
        param r: Residual;
        param l2: Dense<H, C>;
        let h = tanh(l1(x));
        let z = l2(r(r(h)));
        output z;
        loss softmax_cross_entropy(z, y);
    }

    /// The residual block as a stack of two members, each its own params.
    pub net Stacked {
        input x: [D];
        label y: C;
        param l1: Dense<D, H>;
        param rs: [Residual; 2];
        param l2: Dense<H, C>;
        let z = l2(rs(tanh(l1(x))));
        output z;
        loss softmax_cross_entropy(z, y);
    }

    /// A stack of 96 residual blocks.
    pub net Deep {
        input x: [H];
        param blocks: [Res; 96];
        loss sum(blocks(x));
    }

    /// A gain in a stacked layer: `init` starts it at one, as outside a stack.
    layer Gained(x) {
        param W: [H, H];
        param g: [H];
        x + tanh(W @ x) * g
    }

    pub net GainStack {
        input x: [H];
        param gs: [Gained; 3];
        loss sum(gs(x));
    }

    /// The same net written out flat.
    pub net Flat {
        input x: [D];
        label y: C;
        param W1: [H, D];
        param b1: [H];
        param R1: [H, H];
        param c1: [H];
        param R2: [H, H];
        param W2: [C, H];
        param b2: [C];
        let h = tanh(W1 @ x + b1);
        let g = h + R2 @ relu(R1 @ h + c1);
        let z = W2 @ (g + R2 @ relu(R1 @ g + c1)) + b2;
        output z;
        loss softmax_cross_entropy(z, y);
    }
}

fn random<R: Dim, K: Dim>(rng: &mut Pcg64Mcg) -> Matrix<R, K, f64> {
    Matrix::from_fn(|_, _| rng.random_range(-1.0..1.0))
}

fn nets(rng: &mut Pcg64Mcg) -> (Mlp<f64>, Flat<f64>) {
    let mut m = Mlp::<f64>::zeros();
    m.l1.W = random(rng);
    m.l1.b = random(rng);
    m.r.W1 = random(rng);
    m.r.b1 = random(rng);
    m.r.W2 = random(rng);
    m.l2.W = random(rng);
    m.l2.b = random(rng);
    let f = Flat::<f64> {
        W1: m.l1.W.clone(),
        b1: m.l1.b.clone(),
        R1: m.r.W1.clone(),
        c1: m.r.b1.clone(),
        R2: m.r.W2.clone(),
        W2: m.l2.W.clone(),
        b2: m.l2.b.clone(),
    };
    (m, f)
}

#[test]
fn instances_compute_the_net_written_out() {
    let mut rng = Pcg64Mcg::seed_from_u64(1);
    let (m, _) = nets(&mut rng);
    let x: Vector<D, f64> = random(&mut rng);
    // By hand: h = tanh(W x + b), g = h + R₂ relu(R₁ h + c), twice, z = W₂ g + b₂.
    let dense = |w: &[f64], b: &[f64], v: &[f64], rows: usize| -> Vec<f64> {
        (0..rows).map(|i| b[i] + (0..v.len()).map(|j| w[i * v.len() + j] * v[j]).sum::<f64>()).collect()
    };
    let row_major = |a: &dyn Fn(usize, usize) -> f64, r: usize, c: usize| -> Vec<f64> {
        (0..r * c).map(|k| a(k / c, k % c)).collect()
    };
    let w1 = row_major(&|i, j| m.l1.W[(i, j)], 4, 5);
    let r1 = row_major(&|i, j| m.r.W1[(i, j)], 4, 4);
    let r2 = row_major(&|i, j| m.r.W2[(i, j)], 4, 4);
    let w2 = row_major(&|i, j| m.l2.W[(i, j)], 3, 4);
    let col = |v: &dyn Fn(usize) -> f64, n: usize| -> Vec<f64> { (0..n).map(v).collect() };
    let xs = col(&|i| x[(i, 0)], 5);
    let h: Vec<f64> = dense(&w1, &col(&|i| m.l1.b[(i, 0)], 4), &xs, 4).iter().map(|v| v.tanh()).collect();
    let block = |v: &[f64]| -> Vec<f64> {
        let a: Vec<f64> = dense(&r1, &col(&|i| m.r.b1[(i, 0)], 4), v, 4).iter().map(|a| a.max(0.0)).collect();
        let w = dense(&r2, &[0.0; 4], &a, 4);
        v.iter().zip(&w).map(|(p, q)| p + q).collect()
    };
    let z = dense(&w2, &col(&|i| m.l2.b[(i, 0)], 3), &block(&block(&h)), 3);
    let got = m.forward(&x);
    for (i, want) in z.iter().enumerate() {
        assert!((got[(i, 0)] - want).abs() < 1e-12, "z[{i}] = {} ≠ {want}", got[(i, 0)]);
    }
}

#[test]
fn gradients_nest_and_match_finite_differences_and_the_flat_net() {
    for seed in 0..10 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let (m, f) = nets(&mut rng);
        let x: Vector<D, f64> = random(&mut rng);
        let y = Class::<C>::new(rng.random_range(0..3)).unwrap();
        let report = m.gradcheck(&x, y);
        assert!(report.is_ok(1e-7), "seed {seed}:\n{report}");
        assert_eq!(report.entries().len(), 7);
        let ((l, g), (lf, gf)) = (m.grad(&x, y), f.grad(&x, y));
        assert!((l - lf).abs() < 1e-12);
        for (a, b) in [
            (&g.l1.W.as_slice(), gf.W1.as_slice()),
            (&g.l1.b.as_slice(), gf.b1.as_slice()),
            (&g.r.W1.as_slice(), gf.R1.as_slice()),
            (&g.r.b1.as_slice(), gf.c1.as_slice()),
            (&g.r.W2.as_slice(), gf.R2.as_slice()),
            (&g.l2.W.as_slice(), gf.W2.as_slice()),
            (&g.l2.b.as_slice(), gf.b2.as_slice()),
        ] {
            for (p, q) in a.iter().zip(b) {
                assert!((p - q).abs() < 1e-12, "{p} ≠ {q}");
            }
        }
    }
}

#[test]
fn a_batch_is_the_mean_of_its_examples() {
    let mut rng = Pcg64Mcg::seed_from_u64(7);
    let (m, _) = nets(&mut rng);
    let xs: Matrix<D, B, f64> = random(&mut rng);
    let labels: Vec<usize> = (0..6).map(|b| (b * 2) % 3).collect();
    let ys = Classes::<C, B>::from_slice(&labels).unwrap();
    let (loss, g) = m.grad_batch(&xs, &ys);
    let (mut mean_loss, mut mean) = (0.0, MlpGrad::<f64>::zeros());
    for b in 0..6 {
        let x = Vector::<D, f64>::from_fn(|i, _| xs[(i, b)]);
        let (l, gb) = m.grad(&x, ys.get(b));
        mean_loss += l / 6.0;
        for (o, v) in [
            (mean.l1.W.as_mut_slice(), gb.l1.W.as_slice()),
            (mean.r.W2.as_mut_slice(), gb.r.W2.as_slice()),
            (mean.l2.b.as_mut_slice(), gb.l2.b.as_slice()),
        ] {
            o.iter_mut().zip(v).for_each(|(o, v)| *o += v / 6.0);
        }
    }
    assert!((loss - mean_loss).abs() < 1e-12);
    for (a, b) in [
        (g.l1.W.as_slice(), mean.l1.W.as_slice()),
        (g.r.W2.as_slice(), mean.r.W2.as_slice()),
        (g.l2.b.as_slice(), mean.l2.b.as_slice()),
    ] {
        a.iter().zip(b).for_each(|(p, q)| assert!((p - q).abs() < 1e-12, "{p} ≠ {q}"));
    }
}

#[test]
fn files_and_the_summary_name_params_by_instance() {
    let m = Mlp::<f32>::init(3);
    let mut names = Vec::new();
    shapegrad::optim::Params::visit(&m, &mut |p| names.push(p.name));
    assert_eq!(names, ["l1.W", "l1.b", "r.W1", "r.b1", "r.W2", "l2.W", "l2.b"]);
    // Two instances of one layer start apart (each seeded on its own).
    assert_ne!(m.l1.W.as_slice()[..4], m.r.W1.as_slice()[..4]);
    let path = std::env::temp_dir().join(format!("shapegrad-layers-{}.safetensors", std::process::id()));
    m.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + header_len]).unwrap();
    for name in names {
        assert!(header.contains(&format!("\"{name}\"")), "{name} not in {header}");
    }
    let back = Mlp::<f32>::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(back, m);
    let summary = Mlp::summary();
    assert!(summary.starts_with("Mlp: 7 params, 75 values\n"), "{summary}");
    assert!(
        summary.contains("r              36\n  r.W1  [H×H]  16\n  r.b1  [H]     4\n  r.W2  [H×H]  16\n"),
        "{summary}"
    );
}

#[test]
fn the_derivation_prints_a_layers_backward_pass_once_and_each_call_by_name() {
    let d = Mlp::derivation();
    // The layer's backward pass, once, in its own names, given `∂y`: the
    // rules worked out by hand for `y = x + W2 h`, `h = relu(W1 x + b1)`.
    let layer = "layer Residual(x) → y, backward once, given ∂y (∂x|c below: ∂x at call c; shapes of r):\n  \
                 ∂h  = W2ᵀ ∂y                            [H]\n  \
                 ∂W1 = (∂h ⊙ [W1 x + b1 > 0]) xᵀ         [H×H]\n  \
                 ∂b1 = ∂h ⊙ [W1 x + b1 > 0]              [H]\n  \
                 ∂W2 = ∂y hᵀ                             [H×H]\n  \
                 ∂x  = W1ᵀ (∂h ⊙ [W1 x + b1 > 0]) + ∂y   [H]\n";
    assert!(d.contains(layer), "{d}");
    assert!(d.contains("  ∂x = Wᵀ ∂y   [H]\n"), "Dense's, once: {d}");
    // Each call by its value's name: `r` then `r₂` for the second call of
    // `r`; the instance called twice sums both calls' parts.
    let net = &d[d.find("backward pass of `Mlp`").unwrap()..];
    for line in [
        "∂r₂   = ∂x|l2 ",
        "∂r    = ∂x|r₂ ",
        "∂h    = ∂x|r ",
        "∂l1   = ∂h ⊙ (1 − tanh²(l1)) ",
        "∂r.W2 = ∂W2|r + ∂W2|r₂ ",
        "∂r.W1 = ∂W1|r + ∂W1|r₂ ",
        "∂l1.W = ∂W|l1 ",
    ] {
        assert!(net.contains(line), "{line} not in {net}");
    }
    // The values inside a call have their lines in the layer's, not the net's.
    assert!(!net.contains("∂r.h"), "{net}");
    assert_eq!(d.matches("∂W1 =").count(), 1, "{d}");
    let tex = Mlp::derivation_latex();
    assert!(tex.contains("\\partial r &= \\left.\\partial x\\right|_{{{r}_{2}}} && [H]"), "{tex}");
}

#[test]
fn a_stack_applies_its_members_in_turn_each_with_its_own_params() {
    let mut rng = Pcg64Mcg::seed_from_u64(5);
    let (m, f) = nets(&mut rng);
    // Both members with the weights of `r`: the net `Mlp` computes, which applies `r` twice.
    // (Each net has its instances' structs: the fields are copied one by one.)
    let mut s = Stacked::<f64>::zeros();
    (s.l1.W, s.l1.b, s.l2.W, s.l2.b) = (m.l1.W.clone(), m.l1.b.clone(), m.l2.W.clone(), m.l2.b.clone());
    for member in &mut s.rs {
        (member.W1, member.b1, member.W2) = (m.r.W1.clone(), m.r.b1.clone(), m.r.W2.clone());
    }
    let x: Vector<D, f64> = random(&mut rng);
    let y = Class::<C>::new(2).unwrap();
    let ((ls, gs), (lf, gf)) = (s.grad(&x, y), f.grad(&x, y));
    assert!((ls - lf).abs() < 1e-12);
    // The shared block's gradient is the sum of the two members'.
    for (a, b, shared) in [
        (gs.rs[0].W1.as_slice(), gs.rs[1].W1.as_slice(), gf.R1.as_slice()),
        (gs.rs[0].b1.as_slice(), gs.rs[1].b1.as_slice(), gf.c1.as_slice()),
        (gs.rs[0].W2.as_slice(), gs.rs[1].W2.as_slice(), gf.R2.as_slice()),
    ] {
        for ((p, q), r) in a.iter().zip(b).zip(shared) {
            assert!((p + q - r).abs() < 1e-12, "{p} + {q} ≠ {r}");
        }
    }
    // Members apart: every gradient against finite differences.
    s.rs[1].W1 = random(&mut rng);
    let report = s.gradcheck(&x, y);
    assert!(report.is_ok(1e-7), "{report}");
    let mut names = Vec::new();
    shapegrad::optim::Params::visit(&s, &mut |p| names.push(p.name));
    assert_eq!(
        names,
        ["l1.W", "l1.b", "rs.0.W1", "rs.0.b1", "rs.0.W2", "rs.1.W1", "rs.1.b1", "rs.1.W2", "l2.W", "l2.b"]
    );
    let summary = Stacked::summary();
    assert!(summary.contains("rs.1               36\n  rs.1.W1  [H×H]   16\n"), "{summary}");
    // The stack is a loop over its members: the block's body once, reading
    // member `m`'s params; each member's gradient its block of the stack's.
    let d = Stacked::derivation();
    for line in [
        "forward, for m = 0, …, 2 − 1, with rs[−1] = tanh(l1):\n",
        "  rs.h[m] = relu(rs.W1[m] rs[m − 1] + rs.b1[m])   [H]\n",
        "  rs[m]   = rs[m − 1] + rs.W2[m] rs.h[m]          [H]\n",
        "  ∂rs.h[m] = rs.W2[m]ᵀ ∂rs[m] ",
        "∂rs.W1   = [((∂rs.h[m] ⊙ [rs.W1[m] rs[m − 1] + rs.b1[m] > 0]) rs[m − 1]ᵀ)]_m ",
        "∂rs.1.W1 = (∂rs.W1)[1] ",
        "∂l1      = ∂rs[−1] ⊙ (1 − tanh²(l1)) ",
    ] {
        assert!(d.contains(line), "{line} not in {d}");
    }
    assert_eq!(d.matches("= relu(rs.W1[m]").count(), 1, "{d}");
}

/// A stack as long as a deep net's: its code is one member's body in a
/// loop, so it builds as fast as a short one (the timings are in the
/// README); its value against the members applied in turn by hand.
#[test]
fn a_long_stack_is_a_loop_over_its_members() {
    let mut rng = Pcg64Mcg::seed_from_u64(11);
    let mut net = Deep::<f64>::zeros();
    for member in &mut net.blocks {
        member.W = random::<H, H>(&mut rng) * 0.3;
        member.b = random(&mut rng);
    }
    let x: Vector<H, f64> = random(&mut rng);
    let mut h = x.clone();
    for member in &net.blocks {
        let a = &(&member.W * &h) + &member.b;
        h = &h + &a.map(f64::tanh);
    }
    assert!((net.loss(&x) - h.sum()).abs() < 1e-9 * h.sum().abs().max(1.0));
    let report = net.gradcheck(&x);
    assert!(report.is_ok(1e-6), "{report}");
    // In batches: the mean of the examples, the gradient too.
    let xs = Matrix::<H, B, f64>::from_fn(|i, b| ((i * 7 + b * 3) as f64 * 0.37).sin());
    let (loss, grad) = net.grad_batch(&xs);
    let mut mean = 0.0;
    let mut w0 = Matrix::<H, H, f64>::zeros();
    for b in 0..B::SIZE {
        let (l, g) = net.grad(&xs.column(b));
        mean += l / B::SIZE as f64;
        w0 += &(&g.blocks[0].W * (1.0 / B::SIZE as f64));
    }
    assert!((loss - mean).abs() < 1e-9, "{loss} vs {mean}");
    assert!(grad.blocks[0].W.approx_eq(&w0, 1e-9));
    // Each member initialized as a layer of its own, its gain at one.
    let gained = GainStack::<f64>::init(3);
    for member in &gained.gs {
        assert!(member.g.as_slice().iter().all(|&v| v == 1.0));
        assert!(member.W.as_slice().iter().any(|&v| v != 0.0));
    }
    assert_ne!(gained.gs[0].W, gained.gs[1].W, "each member draws its own weights");
    let back = gained.cast::<f32>().cast::<f64>();
    assert!(back.gs[2].W.approx_eq(&gained.gs[2].W, 1e-6));
}
