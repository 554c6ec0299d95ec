//! Loops over time: `for t in T { init h = …; let h[t] = f(h[t - 1], x[t]); }`.
//! CS231n's vanilla RNN (the contract's), an LSTM with packed gates and a
//! GRU, each against PyTorch's own `nn.RNN`, `nn.LSTM` and `nn.GRU` in
//! float64 (the numbers below, printed by `tests/pytorch/recurrent.py`),
//! against finite differences, and batched (the mean of the examples).

#![allow(non_snake_case, clippy::excessive_precision, clippy::unreadable_literal)]

use shapegrad::prelude::*;

dims! { V = 5; D = 3; H = 4; T = 6; B = 3; }

net! {
    /// CS231n's vanilla RNN with a temporal softmax loss, as the contract writes it.
    pub net Rnn {
        param Wx: [H, D];
        param Wh: [H, H];
        param b: [H];
        param Wy: [V, H];
        param by: [V];
        input x: [T, D];
        input h0: [H];
        label y: [T] of V;
        grad x;
        grad h0;
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
    /// An LSTM with its four gates packed in one product (PyTorch's order: i, f, g, o).
    pub net Lstm {
        param Wx: [4 * H, D];
        param Wh: [4 * H, H];
        param b: [4 * H];
        param Wy: [V, H];
        param by: [V];
        input x: [T, D];
        input h0: [H];
        input c0: [H];
        label y: [T] of V;
        grad x;
        grad h0;
        grad c0;
        for t in T {
            init h = h0;
            init c = c0;
            let a = Wx @ x[t] + Wh @ h[t - 1] + b;
            let i = sigmoid(a[0..H]);
            let f = sigmoid(a[H..2 * H]);
            let g = tanh(a[2 * H..3 * H]);
            let o = sigmoid(a[3 * H..4 * H]);
            let c[t] = f * c[t - 1] + i * g;
            let h[t] = o * tanh(c[t]);
            let l[t] = softmax_cross_entropy(Wy @ h[t] + by, y[t]);
        }
        loss sum(l);
    }
}

net! {
    /// A GRU as PyTorch computes it: the reset gate inside the candidate's
    /// hidden product, `h[t] = (1 − u) ⊙ n + u ⊙ h[t − 1]`.
    pub net Gru {
        param Wx: [3 * H, D];
        param Wh: [3 * H, H];
        param bx: [3 * H];
        param bh: [3 * H];
        param Wy: [V, H];
        param by: [V];
        input x: [T, D];
        input h0: [H];
        label y: [T] of V;
        grad x;
        grad h0;
        for t in T {
            init h = h0;
            let ax = Wx @ x[t] + bx;
            let ah = Wh @ h[t - 1] + bh;
            let r = sigmoid(ax[0..H] + ah[0..H]);
            let u = sigmoid(ax[H..2 * H] + ah[H..2 * H]);
            let n = tanh(ax[2 * H..3 * H] + r * ah[2 * H..3 * H]);
            let h[t] = (1.0 - u) * n + u * h[t - 1];
            let l[t] = softmax_cross_entropy(Wy @ h[t] + by, y[t]);
        }
        loss sum(l);
    }
}

net! {
    /// A classifier of the last step, its initial state learned (a shared
    /// `init`, the same for every example of a batch).
    pub net LastStep {
        param Wx: [H, D];
        param Wh: [H, H];
        param h0: [H];
        param Wy: [V, H];
        input x: [T, D];
        label y: V;
        for t in T {
            init h = h0;
            let h[t] = tanh(Wx @ x[t] + Wh @ h[t - 1]);
        }
        loss softmax_cross_entropy(Wy @ h[T - 1], y);
    }
}

net! {
    /// Two loops, the second over the first's states, then attention over
    /// the second's: every step of a sequence usable after its loop.
    pub net Stacked {
        param Wx: [H, D];
        param Wh: [H, H];
        param Uh: [H, H];
        param Wy: [V, H];
        input x: [T, D];
        input h0: [H];
        label y: V;
        for t in T {
            init h = h0;
            let h[t] = tanh(Wx @ x[t] + Wh @ h[t - 1]);
        }
        for s in T {
            init g = h[T - 1];
            let g[s] = tanh(Uh @ g[s - 1] + h[s]);
        }
        let a = softmax(g @ g.T);
        loss softmax_cross_entropy(Wy @ sum_rows((a @ g).T), y);
    }
}

dims! { L = 4096; }

net! {
    /// The contract's RNN over 4096 steps: the same code as over 6.
    pub net LongRnn {
        param Wx: [H, D];
        param Wh: [H, H];
        param b: [H];
        param Wy: [V, H];
        param by: [V];
        input x: [L, D];
        input h0: [H];
        label y: [L] of V;
        for t in L {
            init h = h0;
            let h[t] = tanh(Wx @ x[t] + Wh @ h[t - 1] + b);
            let l[t] = softmax_cross_entropy(Wy @ h[t] + by, y[t]);
        }
        loss mean(l);
    }
}

fn mat<R: Dim, C: Dim>(f: impl Fn(f64, f64) -> f64) -> Matrix<R, C, f64> {
    Matrix::from_fn(|i, j| f(i as f64, j as f64))
}

fn Wx<R: Dim>() -> Matrix<R, D, f64> {
    mat(|i, j| (0.37 * i + 0.11 * j).sin())
}

fn Wh<R: Dim>() -> Matrix<R, H, f64> {
    mat(|i, j| (0.23 * i - 0.19 * j).cos())
}

fn b<R: Dim>() -> Matrix<R, One, f64> {
    mat(|i, _| 0.05 * i - 0.3)
}

fn Wy() -> Matrix<V, H, f64> {
    mat(|i, j| 0.4 * (0.3 * i + 0.7 * j + 0.2).sin())
}

fn by() -> Matrix<V, One, f64> {
    mat(|i, _| 0.1 * i)
}

fn x() -> Matrix<T, D, f64> {
    mat(|t, d| (0.7 * t - 0.4 * d + 0.3).sin())
}

fn h0() -> Matrix<H, One, f64> {
    mat(|i, _| 0.1 * i - 0.15)
}

fn c0() -> Matrix<H, One, f64> {
    mat(|i, _| 0.2 - 0.05 * i)
}

fn y() -> Classes<V, T> {
    Classes::from_slice(&[0, 4, 2, 2, 1, 3]).unwrap()
}

fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-12 * (1.0 + w.abs()), "{what}[{i}]: {g} against PyTorch's {w}");
    }
}

#[test]
fn the_contracts_rnn_matches_pytorch() {
    let net = Rnn { Wx: Wx(), Wh: Wh(), b: b(), Wy: Wy(), by: by() };
    let (loss, g, inputs) = net.grad_inputs(&x(), &h0(), &y());
    assert_close("loss", &[loss], &RNN_LOSS);
    assert_close("∂Wx", g.Wx.as_slice(), &RNN_DWX);
    assert_close("∂Wh", g.Wh.as_slice(), &RNN_DWH);
    assert_close("∂b", g.b.as_slice(), &RNN_DB);
    assert_close("∂Wy", g.Wy.as_slice(), &RNN_DWY);
    assert_close("∂by", g.by.as_slice(), &RNN_DBY);
    assert_close("∂x", inputs.x.as_slice(), &RNN_DX);
    assert_close("∂h0", inputs.h0.as_slice(), &RNN_DH0);
    assert!(net.gradcheck(&x(), &h0(), &y()).is_ok(1e-7));
}

#[test]
fn an_lstm_with_packed_gates_matches_pytorch() {
    let net = Lstm { Wx: Wx(), Wh: Wh(), b: b(), Wy: Wy(), by: by() };
    let (loss, g, inputs) = net.grad_inputs(&x(), &h0(), &c0(), &y());
    assert_close("loss", &[loss], &LSTM_LOSS);
    assert_close("∂Wx", g.Wx.as_slice(), &LSTM_DWX);
    assert_close("∂Wh", g.Wh.as_slice(), &LSTM_DWH);
    assert_close("∂b", g.b.as_slice(), &LSTM_DB);
    assert_close("∂Wy", g.Wy.as_slice(), &LSTM_DWY);
    assert_close("∂by", g.by.as_slice(), &LSTM_DBY);
    assert_close("∂x", inputs.x.as_slice(), &LSTM_DX);
    assert_close("∂h0", inputs.h0.as_slice(), &LSTM_DH0);
    assert_close("∂c0", inputs.c0.as_slice(), &LSTM_DC0);
    assert!(net.gradcheck(&x(), &h0(), &c0(), &y()).is_ok(1e-7));
}

#[test]
fn a_gru_matches_pytorch() {
    let bh = mat(|i, _| 0.02 * i);
    let net = Gru { Wx: Wx(), Wh: Wh(), bx: b(), bh, Wy: Wy(), by: by() };
    let (loss, g, inputs) = net.grad_inputs(&x(), &h0(), &y());
    assert_close("loss", &[loss], &GRU_LOSS);
    assert_close("∂Wx", g.Wx.as_slice(), &GRU_DWX);
    assert_close("∂Wh", g.Wh.as_slice(), &GRU_DWH);
    // PyTorch's two biases of the reset and update gates add up, so each
    // has the same gradient; ∂bx of the candidate is its own.
    assert_close("∂bx", g.bx.as_slice(), &GRU_DB);
    assert_close("∂Wy", g.Wy.as_slice(), &GRU_DWY);
    assert_close("∂by", g.by.as_slice(), &GRU_DBY);
    assert_close("∂x", inputs.x.as_slice(), &GRU_DX);
    assert_close("∂h0", inputs.h0.as_slice(), &GRU_DH0);
    assert!(net.gradcheck(&x(), &h0(), &y()).is_ok(1e-7));
}

#[test]
fn a_loop_over_4096_steps_builds_runs_and_gradchecks() {
    let net =
        LongRnn { Wx: Wx(), Wh: mat(|i, j| 0.5 * (0.23 * i - 0.19 * j).cos()), b: b(), Wy: Wy(), by: by() };
    let x = Matrix::<L, D, f64>::from_fn(|t, d| (0.7 * t as f64 - 0.4 * d as f64 + 0.3).sin());
    let labels: Vec<usize> = (0..4096).map(|t| (t * 7 + t / 5) % 5).collect();
    let y = Classes::<V, L>::from_slice(&labels).unwrap();
    let (loss, _) = net.grad(&x, &h0(), &y);
    // The mean of 4096 cross-entropies over 5 classes of a small net: near ln 5.
    assert!(loss.is_finite() && (loss - 5f64.ln()).abs() < 0.5, "loss {loss}");
    assert!(net.gradcheck(&x, &h0(), &y).is_ok(1e-7));
}

#[test]
fn a_batch_of_sequences_is_the_mean_of_its_examples() {
    let net = Lstm::<f64>::init(7);
    let xs =
        Tensor3::<T, D, B, f64>::from_fn(|t, d, e| (0.7 * t as f64 - 0.4 * d as f64 + 0.9 * e as f64).sin());
    let hs = Matrix::<H, B, f64>::from_fn(|i, e| 0.1 * i as f64 - 0.2 * e as f64);
    let cs = Matrix::<H, B, f64>::from_fn(|i, e| 0.05 * i as f64 * e as f64);
    let labels = [0, 4, 2, 2, 1, 3, 1, 1, 0, 2, 3, 4, 4, 3, 2, 1, 0, 0];
    let ys = Sequences::<V, T, B>::from_slice(&labels).unwrap();
    let (loss, g) = net.grad_batch(&xs, &hs, &cs, &ys);
    let (mut want, mut gw) = (0.0, vec![0.0; g.Wh.as_slice().len()]);
    for e in 0..3 {
        let x = Matrix::<T, D, f64>::from_fn(|t, d| xs[(t, d, e)]);
        let h = Matrix::<H, One, f64>::from_fn(|i, _| hs[(i, e)]);
        let c = Matrix::<H, One, f64>::from_fn(|i, _| cs[(i, e)]);
        // Step `t` of example `e` is at `t·B + e`.
        let steps: Vec<usize> = (0..6).map(|t| labels[3 * t + e]).collect();
        let y = Classes::<V, T>::from_slice(&steps).unwrap();
        let (l, ge) = net.grad(&x, &h, &c, &y);
        want += l / 3.0;
        for (w, v) in gw.iter_mut().zip(ge.Wh.as_slice()) {
            *w += v / 3.0;
        }
    }
    assert!((loss - want).abs() < 1e-12, "{loss} against {want}");
    assert_close("∂Wh", g.Wh.as_slice(), &gw);
}
const RNN_LOSS: [f64; 1] = [9.835704746634445];
const RNN_DWX: [f64; 12] = [
    -0.3496248296209456,
    0.013897265725157051,
    0.37522528838641644,
    -0.6425764399579832,
    -0.18009787070551192,
    0.31081419233833935,
    -1.2445854759288761,
    -0.6878508543779719,
    -0.022519707389341014,
    -1.44899579481172,
    -0.8034147748359517,
    -0.03099222740229151,
];
const RNN_DWH: [f64; 16] = [
    0.1797185673771879,
    0.09572493198675439,
    0.00856574513822643,
    -0.0855727385616959,
    0.409983277022969,
    0.2935171846879448,
    0.13338335452927935,
    -0.06918063722666516,
    0.9699740719526109,
    0.7874023308578552,
    0.4456203756857039,
    -0.030830566927074476,
    1.1308062043950178,
    0.9225158625862692,
    0.5290559265100719,
    -0.0038473917417352343,
];
const RNN_DB: [f64; 4] = [-0.9575418191066825, -1.4415594698221004, -2.3213772045795142, -2.703256990367327];
const RNN_DWY: [f64; 20] = [
    -0.5496428161262874,
    -0.44381671771210995,
    -0.1417856433588577,
    0.2744854686805277,
    -0.0016785931146088284,
    -0.029807667803112503,
    0.007591747728550535,
    0.05318865300331091,
    0.9903518252792219,
    0.829554915392188,
    0.1139624515879363,
    -0.8971217138737841,
    -0.08452981311350005,
    0.007633192464481686,
    0.30950328428187995,
    0.7559756599782338,
    -0.35450060292482577,
    -0.3635637223414472,
    -0.289271840239509,
    -0.18652806778828826,
];
const RNN_DBY: [f64; 5] =
    [0.09042874093963232, 0.06367927545917562, -0.891833998850666, 0.24160379547175947, 0.4961221869800989];
const RNN_DX: [f64; 18] = [
    -2.453735808683143,
    -2.806672296726152,
    -3.1256822799110298,
    -0.9586448090482294,
    -1.0562198616108893,
    -1.1410275354140147,
    -0.6354789627504637,
    -0.6901357386130633,
    -0.7364502888741429,
    -0.2963982024454995,
    -0.3267435335051267,
    -0.35313925274517843,
    -0.16429599774119194,
    -0.1742403511632867,
    -0.18207852135653818,
    0.0006833095811096445,
    0.0005802179090681996,
    0.0004701126766143978,
];
const RNN_DH0: [f64; 4] = [-4.041222422316486, -4.283879840396468, -4.37235386968917, -4.303460194535832];
const LSTM_LOSS: [f64; 1] = [9.791906986567533];
const LSTM_DWX: [f64; 48] = [
    0.0010584228002995968,
    -0.0009086124016839921,
    -0.0027321976840164095,
    0.004720937460231101,
    0.003130775483781538,
    0.0010463328979522734,
    -0.0024150815194425206,
    0.0016291360975309419,
    0.005416148946158181,
    -0.009549816406596922,
    -0.0006677364397953936,
    0.008319764428657136,
    0.0037414590354374368,
    0.001690681790350458,
    -0.000627016934711897,
    -0.0005872405551815662,
    -3.101807209281409e-05,
    0.0005301014825538456,
    0.005613970501640695,
    0.004875019405196169,
    0.0033664099366259785,
    0.013966640346209423,
    0.008350063469208554,
    0.001415195171663398,
    0.025646707090166893,
    0.008358297973514731,
    -0.010249702610851334,
    -0.00945146072557856,
    -0.01504978509229638,
    -0.018272079307702048,
    -0.005123577816715878,
    -0.0012472364712479587,
    0.0028260160887872876,
    -0.006775054603493044,
    0.00366464062624612,
    0.013525769679240254,
    -0.004485766884230904,
    -0.004350003893499512,
    -0.003527470935895262,
    0.00797866332484466,
    0.008142754922286142,
    0.007021284560440861,
    0.011396337355208971,
    0.027506140610285043,
    0.03927332906817557,
    0.007841685145927146,
    0.034529566106346825,
    0.05576598781487313,
];
const LSTM_DWH: [f64; 64] = [
    -0.0009760655579392058,
    -0.0010863001723512317,
    -0.0008295481778847428,
    -0.00036817732347263596,
    -0.00038672116892312963,
    5.6148151584744734e-05,
    0.00036642548435175063,
    0.0005307913955663651,
    0.0011004014231940694,
    -0.0006485041358166217,
    -0.0019564799855550773,
    -0.003096084760269088,
    0.0024556492244363543,
    -0.0012989066931171377,
    -0.0040510512319704055,
    -0.006250577833765668,
    -0.0010391159766912762,
    -0.00012137377119741515,
    0.0005981422803529921,
    0.0009920426629954262,
    -4.773921243744311e-06,
    -0.0006143106129413332,
    -0.0009242362338160516,
    -0.0011183970558377122,
    -0.0002626762681306169,
    0.0013748683583216098,
    0.0021358705873947797,
    0.0021426077116965684,
    -0.0013445389680137047,
    0.004241629558460335,
    0.007228398180979166,
    0.008526337051139931,
    -0.008311305634636475,
    -0.0012877941701261958,
    0.004309456775725486,
    0.00819548005676595,
    -0.003631270240645762,
    -0.0004953751658178687,
    0.0021715177205621043,
    0.00485731889987246,
    0.00258398710384661,
    0.001090784299911926,
    -0.0002256555205272842,
    -0.0011765083877995854,
    0.00512463468010861,
    0.001813228049908462,
    -0.0012910418843216582,
    -0.004174498046246571,
    -0.0017678940676098295,
    -0.001706673677885345,
    -0.0012947238014881228,
    -0.0010287915504741927,
    -0.0001679911368868683,
    -0.0005440708533998786,
    -0.0008837395285636191,
    -0.0014740897285003694,
    0.0018381536831920558,
    -0.00339110683329973,
    -0.007694083308338882,
    -0.0135582194669603,
    0.002241641905241999,
    -0.005447073157348186,
    -0.011872991316357964,
    -0.020582401380967195,
];
const LSTM_DB: [f64; 16] = [
    0.010728316221583952,
    0.0064366962520810474,
    -0.0008915027221970619,
    -0.008281256511069129,
    0.007586854011969974,
    0.004196484573458528,
    -0.0032084679471887324,
    -0.014804025100896522,
    0.04900022801001854,
    -0.010184511959118767,
    -0.01428623556533502,
    -0.02475151777375041,
    0.007196541610322105,
    0.013086961481283577,
    0.03291198097960962,
    0.03284763094712595,
];
const LSTM_DWY: [f64; 20] = [
    -0.06671345039656554,
    -0.17464961428501363,
    -0.2598763235230109,
    -0.33579830042913655,
    -0.0415673865350612,
    0.18403513183213663,
    0.2816517296743636,
    0.29524221500065784,
    -0.017782004541032053,
    0.07823211067118704,
    0.1503256721686332,
    0.3039148893210958,
    0.0868736864960525,
    -0.01617369496940861,
    -0.021886677266151025,
    -0.03987627951527109,
    0.03918915497660632,
    -0.07144393324890147,
    -0.15021440105383485,
    -0.2234825243773462,
];
const LSTM_DBY: [f64; 5] =
    [-0.0982272255238664, 0.022605737776258378, -0.830057628247472, 0.3475011129296935, 0.5581780030653868];
const LSTM_DX: [f64; 18] = [
    0.028845804762616906,
    0.024301424689225918,
    0.01946329375516613,
    0.016243719391814,
    0.014640392637125254,
    0.012860095684487972,
    -0.009651126859828265,
    -0.007493564408655335,
    -0.0052454212190002234,
    -0.02322525954570705,
    -0.020534206051184542,
    -0.017594939096841327,
    -0.03891564084517349,
    -0.035581239382646464,
    -0.03181673886930341,
    -0.010886448843534497,
    -0.006787964236138212,
    -0.00260742804690857,
];
const LSTM_DH0: [f64; 4] =
    [0.019008758758988734, 0.024563938316735732, 0.02923502415739905, 0.0328538967559074];
const LSTM_DC0: [f64; 4] =
    [0.05524559351752501, 0.017099982382870475, -0.023322666569944604, -0.05502157820463522];
const GRU_LOSS: [f64; 1] = [9.799199282538567];
const GRU_DWX: [f64; 36] = [
    0.0011817257851451737,
    -0.0004213042958300751,
    -0.001957819692135043,
    0.00020455951153287069,
    -6.129897208662796e-05,
    -0.00031747969585579997,
    -0.0015820163206813247,
    -0.00043641340850544,
    0.0007780895850129091,
    -0.0024435042536059062,
    -0.0009630567191050655,
    0.0006694362956457681,
    -0.0030227595814509194,
    0.0014007198170551509,
    0.005603056355483632,
    -0.005829427353899966,
    -0.005249761452949619,
    -0.0038412736503636484,
    -0.013243495779948575,
    -0.02708747032711531,
    -0.036654928909084394,
    -0.004589158173267983,
    -0.032338759738792903,
    -0.05498278220639817,
    0.06784985787228691,
    0.023867074865902876,
    -0.023883794472427347,
    0.0030857805840695486,
    -0.005565191509963632,
    -0.013337542232036587,
    -0.03346028313162155,
    -0.019633178561574694,
    -0.0027064267910986996,
    -0.03487099662265268,
    -0.02005037963714796,
    -0.0020642485748007394,
];
const GRU_DWH: [f64; 48] = [
    -0.0006344310977643206,
    -0.00024387925072112435,
    0.0001263586658485849,
    0.0004603827913480748,
    -0.00011260878260628818,
    -2.919661594350667e-05,
    7.698630072714835e-05,
    0.0002196044960069256,
    0.00044113583406799365,
    5.8019083001168385e-05,
    -0.0002951553395494725,
    -0.0005797478430279612,
    0.0005581381748647166,
    1.309231326459466e-05,
    -0.0004790286560359375,
    -0.0008511219178804084,
    0.0018127258551551007,
    0.0008377705101338868,
    -1.9330248457033396e-05,
    -0.0006832123256077876,
    -0.00040315302859607614,
    -0.0008736246915222737,
    -0.0010753743450773324,
    -0.0008826191759128483,
    -0.007235255450851902,
    -0.004488227512164698,
    0.00041299363481571086,
    0.008734022823517835,
    -0.011451845476108308,
    -0.00422348187991761,
    0.006363840195055515,
    0.022345105013057726,
    -0.005722829095473535,
    -0.0003222417090687306,
    0.004937972995963814,
    0.009727804547696051,
    -0.0019357313174461475,
    -0.0013492324114935219,
    -0.000166166287602353,
    0.0019248712838392508,
    0.0001880425339321687,
    -0.0011597783923205265,
    -0.0012805287230007985,
    0.0008658293966352119,
    0.0003408595122122624,
    -0.0005670861713192683,
    4.303918729674813e-05,
    0.0036120854633237857,
];
const GRU_DB: [f64; 12] = [
    0.004992358262836689,
    -0.00040538301554255107,
    -0.00278462953750061,
    -0.0034672704626352866,
    -0.017258722132486307,
    -0.006076052882070093,
    -0.03010366927696155,
    -0.04890441415510054,
    0.03398243502996656,
    -0.028433473399809516,
    -0.053271472939381316,
    -0.059083209794101456,
];
const GRU_DWY: [f64; 20] = [
    0.008196495233140188,
    -0.06634464467037761,
    -0.17283792536931222,
    -0.3417338324720783,
    -0.029511326422158146,
    0.15384987686267548,
    0.3049515245740632,
    0.40933456256449885,
    -0.14278645419069289,
    -0.029746877830218017,
    0.13580921536265433,
    0.41824996451472934,
    0.1303385016944613,
    -0.07179338581661744,
    -0.23213407231572453,
    -0.339775612816559,
    0.03376278368524961,
    0.014035031454537605,
    -0.03578874225168081,
    -0.14607508179059098,
];
const GRU_DBY: [f64; 5] =
    [-0.04629535752914657, 0.07132225403791018, -0.8053795302149581, 0.3231990097451988, 0.45715362396099635];
const GRU_DX: [f64; 18] = [
    0.07582245814237916,
    0.07144753316878052,
    0.0662089644117663,
    0.0033545212310556187,
    0.0030138760242723836,
    0.0026367996745664253,
    -0.022685853607705583,
    -0.019005213226101422,
    -0.015094841550395954,
    -0.0163189885045985,
    -0.013549141805734508,
    -0.010615515735181144,
    0.03356191608297908,
    0.03817209358386044,
    0.042320854295924484,
    -0.06450627864244177,
    -0.05597069697776082,
    -0.046758552493421826,
];
const GRU_DH0: [f64; 4] =
    [0.07583737380707391, 0.01933266881440477, -0.041385223841817434, -0.07558023987147987];

#[test]
fn the_derivation_prints_the_loop_and_its_adjoint_recurrence() {
    let text = Rnn::<f64>::derivation();
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let has = |want: &str| {
        lines.iter().any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ").starts_with(want))
    };
    for want in [
        "forward, for t = 0, …, T − 1, with h[−1] = h0:",
        "h[t] = tanh(Wx x[t] + Wh h[t − 1] + b) [H]",
        "backward through time, for t = T − 1, …, 0",
        // What step t + 1 sends back to h[t]: through its read h[t + 1 − 1].
        "∂h[t]⁺ = Whᵀ (∂h[t + 1] ⊙ (1 − tanh²(Wx x[t + 1] + Wh h[t] + b))) [H]",
        "∂h[t] = Wyᵀ ∂z[t] + ∂h[t]⁺ [H]",
        "∂h[−1] = Whᵀ (∂h[0] ⊙ (1 − tanh²(Wx x[0] + Wh h[−1] + b))) [H]",
        "∂Wh = Σ_t (∂h[t] ⊙ (1 − tanh²(Wx x[t] + Wh h[t − 1] + b))) h[t − 1]ᵀ [H×H]",
    ] {
        assert!(has(want), "no line `{want}` in\n{text}");
    }
    let tex = Rnn::<f64>::derivation_latex();
    assert!(tex.contains("\\partial h[t]^{+} &= W_{h}^\\top (\\partial h[t + 1]"), "{tex}");
}

#[test]
fn a_batch_of_sequences_gives_each_example_its_input_gradients() {
    let net = Rnn { Wx: Wx(), Wh: Wh(), b: b(), Wy: Wy(), by: by() };
    let xs =
        Tensor3::<T, D, B, f64>::from_fn(|t, d, e| (0.3 * t as f64 + 0.5 * d as f64 - 0.7 * e as f64).cos());
    let hs = Matrix::<H, B, f64>::from_fn(|i, e| 0.1 * i as f64 - 0.1 * e as f64);
    let ys = Sequences::<V, T, B>::from_fn(|t, e| (2 * t + e) % 5).unwrap();
    let (loss, _, inputs) = net.grad_inputs_batch(&xs, &hs, &ys);
    let mut want = 0.0;
    for e in 0..3 {
        let x = Matrix::<T, D, f64>::from_fn(|t, d| xs[(t, d, e)]);
        let h = Matrix::<H, One, f64>::from_fn(|i, _| hs[(i, e)]);
        let (l, _, one) = net.grad_inputs(&x, &h, &ys.example(e));
        want += l / 3.0;
        let dx: Vec<f64> = (0..6 * 3).map(|i| inputs.xs[(i / 3, i % 3, e)]).collect();
        assert_close("∂x of an example", &dx, one.x.as_slice());
        let dh: Vec<f64> = (0..4).map(|i| inputs.h0s[(i, e)]).collect();
        assert_close("∂h0 of an example", &dh, one.h0.as_slice());
    }
    assert!((loss - want).abs() < 1e-12);
}

#[test]
fn the_last_step_of_a_batch_and_a_learned_initial_state() {
    let net = LastStep::<f64>::init(4);
    assert!(net.gradcheck(&x(), y().get(2)).is_ok(1e-7));
    let xs =
        Tensor3::<T, D, B, f64>::from_fn(|t, d, e| (0.4 * t as f64 - 0.6 * d as f64 + 1.1 * e as f64).sin());
    let ys = Classes::<V, B>::from_slice(&[1, 4, 0]).unwrap();
    let (loss, g) = net.grad_batch(&xs, &ys);
    let (mut want, mut dh0) = (0.0, [0.0; 4]);
    for e in 0..3 {
        let x = Matrix::<T, D, f64>::from_fn(|t, d| xs[(t, d, e)]);
        let (l, ge) = net.grad(&x, ys.get(e));
        want += l / 3.0;
        for (w, v) in dh0.iter_mut().zip(ge.h0.as_slice()) {
            *w += v / 3.0;
        }
    }
    assert!((loss - want).abs() < 1e-12, "{loss} against {want}");
    assert_close("∂h0", g.h0.as_slice(), &dh0);
}

#[test]
fn loops_after_loops_and_attention_over_a_loops_states() {
    let net = Stacked::<f64>::init(11);
    assert!(net.gradcheck(&x(), &h0(), y().get(3)).is_ok(1e-7));
    let xs =
        Tensor3::<T, D, B, f64>::from_fn(|t, d, e| (0.2 * t as f64 + 0.9 * d as f64 - 0.4 * e as f64).cos());
    let hs = Matrix::<H, B, f64>::from_fn(|i, e| 0.2 * i as f64 - 0.3 * e as f64);
    let ys = Classes::<V, B>::from_slice(&[2, 0, 4]).unwrap();
    let (loss, g) = net.grad_batch(&xs, &hs, &ys);
    let (mut want, mut du) = (0.0, vec![0.0; 16]);
    for e in 0..3 {
        let x = Matrix::<T, D, f64>::from_fn(|t, d| xs[(t, d, e)]);
        let h = Matrix::<H, One, f64>::from_fn(|i, _| hs[(i, e)]);
        let (l, ge) = net.grad(&x, &h, ys.get(e));
        want += l / 3.0;
        for (w, v) in du.iter_mut().zip(ge.Uh.as_slice()) {
            *w += v / 3.0;
        }
    }
    assert!((loss - want).abs() < 1e-12, "{loss} against {want}");
    assert_close("∂Uh", g.Uh.as_slice(), &du);
}
