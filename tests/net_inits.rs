//! Where params start: a gain (`x * g`) at one rather than zero, a declared
//! value (`param g: [D] = 0.5;`), and `gradcheck` flagging the params whose
//! gradients vanish at the point it probes.

use shapegrad::prelude::*;

dims! { D = 5; H = 4; }

net! {
    /// A hand-written gain after a dense layer: `g` starts at one.
    net Gain { param W: [H, D]; param g: [H]; param b: [H]; input x: [D];
               let h = tanh(W @ x) * g + b; loss 0.5 * sum(h * h); }
}

net! {
    /// The same gain declared to start at zero, and a scalar at −0.5.
    net ZeroGain { param W: [H, D]; param g: [H] = 0.0; param s: [] = -0.5; input x: [D];
                   let h = tanh(W @ x) * g; loss 0.5 * sum(h * h) + s * s; }
}

fn input() -> Vector<D, f64> {
    Vector::from_fn(|i, _| 0.3 * i as f64 - 0.5)
}

#[test]
fn a_gain_starts_at_one_and_a_bias_at_zero() {
    let n = Gain::<f64>::init(1);
    assert!(n.g.as_slice().iter().all(|&v| v == 1.0), "{}", n.g);
    assert!(n.b.as_slice().iter().all(|&v| v == 0.0), "{}", n.b);
    assert!(n.W.as_slice().iter().any(|&v| v != 0.0));
    // At init every param's gradient is checked by something: none vanishes.
    let report = n.gradcheck(&input());
    assert!(report.is_ok(1e-6) && report.all_zero().is_empty(), "{report}");
}

#[test]
fn a_declared_value_is_where_a_param_starts() {
    let n = ZeroGain::<f64>::init(1);
    assert!(n.g.as_slice().iter().all(|&v| v == 0.0));
    assert_eq!(n.s[(0, 0)], -0.5);
    // `zeros` still means zeros.
    assert_eq!(ZeroGain::<f64>::zeros().s[(0, 0)], 0.0);
}

#[test]
fn gradcheck_flags_gradients_that_vanish_everywhere() {
    let n = ZeroGain::<f64>::init(1);
    let report = n.gradcheck(&input());
    // With g = 0 the output is 0, and so is every gradient upstream of it:
    // ∂W and ∂g agree with their finite differences only trivially.
    assert!(report.is_ok(1e-6), "{report}");
    assert_eq!(report.all_zero(), ["W", "g"], "{report}");
    let table = report.to_string();
    assert!(table.contains("warning: the gradients of `W`, `g`"), "{table}");
    assert!(!table.lines().any(|l| l.starts_with('s') && l.contains("all zero")), "{table}");
    // Away from zero the same check has something to compare.
    let mut moved = n.clone();
    moved.g = Vector::from_fn(|i, _| 0.5 + 0.1 * i as f64);
    let report = moved.gradcheck(&input());
    assert!(report.is_ok(1e-6) && report.all_zero().is_empty(), "{report}");
}
