//! # shapegrad
//!
//! Neural networks written with shape-typed matrices. Every dimension is a
//! type with a name, so the compiler rejects every dimension error — even a
//! swap of two dimensions of equal size — in the names you chose.
//!
//! ```
//! use shapegrad::prelude::*;
//!
//! dims! {
//!     /// Hidden units.
//!     pub H = 4;
//!     /// Classes.
//!     pub C = 3;
//! }
//!
//! let w2 = Matrix::<C, H>::from_fn(|i, j| (i + j) as f32);
//! let dz2 = Vector::<C>::from_slice(&[0.2, -0.5, 0.3]).unwrap();
//! let dh1: Vector<H> = w2.t() * &dz2; // ∂L/∂h₁ = W₂ᵀ ∂L/∂z₂
//! assert_eq!(dh1.as_slice().len(), H::SIZE);
//! ```
//!
//! Forgetting the transpose — the slip of the homework sheets — does not compile:
//!
//! ```compile_fail
//! use shapegrad::prelude::*;
//! dims! { pub H = 4; pub C = 3; }
//! let w2 = Matrix::<C, H>::zeros();
//! let dz2 = Vector::<C>::zeros();
//! let dh1 = &w2 * &dz2;
//! // error: cannot multiply a [C×H] matrix by a [C×One] matrix: inner dimensions H and C differ
//! ```
//!
//! Even when `M` and `N` have the same size, `W Wᵀ` is not `Wᵀ W`:
//!
//! ```compile_fail
//! use shapegrad::prelude::*;
//! dims! { pub M = 4; pub N = 4; }
//! let w = Matrix::<M, N>::zeros();
//! let x = Vector::<N>::zeros();
//! let v = &(&w * &w.t()) * &x; // [M×M]·[N]: inner dimensions M and N differ
//! ```

pub use shapegrad_core::*;

/// Declares dimensions: one zero-sized type per name, implementing [`Dim`].
///
/// ```
/// use shapegrad::prelude::*;
/// dims! {
///     /// Input features.
///     pub D = 784;
///     pub H = 128;
///     C = 10; // private to the module
/// }
/// assert_eq!((D::SIZE, D::NAME), (784, "D"));
/// let w1 = Matrix::<H, D>::zeros(); // inline when small, on the heap when large
/// assert_eq!(w1.as_slice().len(), 128 * 784);
/// ```
///
/// Each type keeps the doc comments written above it. A size of 0, a size
/// that is not an integer literal, or a name declared twice is a compile
/// error under the offending token; every error is reported at once.
/// The generated code names the crate `::shapegrad`, so the dependency must
/// keep that name.
pub use shapegrad_macros::dims;

/// Declares a network: its params, inputs, labels, forward computation and
/// loss, from which the backward pass is derived at compile time.
///
/// ```
/// use shapegrad::prelude::*;
///
/// dims! { pub D = 8; pub H = 16; pub C = 4; }
///
/// net! {
///     /// Problem 3: a two-layer swish network with softmax cross-entropy.
///     pub net TwoLayer {
///         param W1: [H, D];
///         param b1: [H];
///         param W2: [C, H];
///         param b2: [C];
///         input x: [D];
///         label y: C;                  // a class index in 0..C
///
///         let z1 = W1 @ x + b1;
///         let h1 = z1 * sigmoid(z1);   // `*` is elementwise; `@` is matrix product
///         let z2 = W2 @ h1 + b2;
///         output z2;
///         loss softmax_cross_entropy(z2, y);
///
///         // optional: hand-derived gradients, checked against the derived ones
///         grad b2 = softmax(z2) - onehot(y);
///         grad W2 = (softmax(z2) - onehot(y)) @ h1.T;
///     }
/// }
///
/// let net = TwoLayer::<f64>::init(7);
/// let x = Vector::<D, f64>::from_fn(|i, _| i as f64 / 8.0);
/// let y = Class::<C>::new(2).unwrap();
/// let (loss, grads) = net.grad(&x, y);
/// assert!((loss - net.loss(&x, y)).abs() < 1e-12);
/// assert_eq!(grads.W1.as_slice().len(), 16 * 8);
/// assert!(net.gradcheck(&x, y).is_ok(1e-6));
/// assert!(net.check_hand_grads(&x, y).is_ok(1e-12));
/// print!("{}", TwoLayer::derivation());
/// ```
///
/// # Statements
///
/// - `param NAME: [R, C];` or `[N]` (a column vector), or `[]` or `[1]` (a
///   scalar: it broadcasts in `+ - * /` like a number; its field is a 1×1
///   `Matrix<One, One, T>`, read as `net.s[(0, 0)]`, and it starts at zero
///   as biases do): a trained value. Every
///   param must affect the loss: one that does not would always get a zero
///   gradient, which is a slip, so it is a compile error.
///
///   Where `init(seed)` starts it: a matrix or kernel Glorot-uniform; a
///   vector or scalar at zero (a bias), except a *gain* — a vector whose every
///   use is a factor of an elementwise product of its shape (`h * g`) — and
///   the scale of a `batchnorm` or `layernorm`, which start at one (a gain at
///   zero would zero every gradient upstream of it). `param g: [D] = 0.5;`
///   starts every element at the number given, whatever the param.
/// - `input w: V;` (no brackets) declares an *index input*: a [`Class<V>`]
///   (an index in `0..V`) that the methods take by value, `forward` too,
///   and that picks rows (`E[w]`); the batched methods take `&Classes<V, B>`,
///   and the ONNX export an `int64` input `[N]`.
/// - `input ws: [T] of V;` and `label ys: [T] of C;` declare sequences: a
///   [`Classes<V, T>`] each (`Classes::from_slice`, an error value for an
///   index ≥ V), taken by reference. `E[ws]` is `[T, M]`, row `t` being
///   `E[ws[t]]`; `onehot(ys)` is `[C, T]`, one column per step, so a loss
///   per step is `-sum(log_softmax(Z) * onehot(ys)) / T` for logits
///   `Z: [C, T]`. A batch of them is a [`Sequences<V, T, B>`]
///   (`Sequences::from_slice`, `from_fn`, `from_examples`; step `t` of
///   example `b` at `t·B + b`), taken by reference.
/// - `fn NAME(a, b) = EXPR;` defines a function of values, in a net's body
///   or beside the nets of one `net!` invocation (then every net of it has
///   it): `fn gate(a, b) = sigmoid(a) * tanh(b);` … `let h = gate(W @ x, U @ x);`.
///   A call is expanded where it is written (its arguments checked as
///   values, the body with its parameters bound to them), so it has every
///   rule of the ops in its body: shapes, gradient, batched form, ONNX
///   export. A function of one value whose body is elementwise in it
///   (every composite, `fn hs(v) = v * min(max(v + 3.0, 0.0), 6.0) / 6.0;`)
///   has its derivative built once, where it is called: the derivation
///   prints it by name, `∂z = ∂y ⊙ hardswish′(z)`, and the function's
///   definition and that derivative once, after the backward pass (`where
///   hardswish(x) = …, so hardswish′(z) = …`), in a recurrence's backward
///   loop too (`hs′(Wx xs[t] + Wh h[t − 1])`); other functions, and those
///   in a map over steps (lifted over the steps at once), show their
///   expanded form. A function that calls
///   itself, one defined twice or named like a function of `net!`, and a
///   call with the wrong number of arguments are errors.
/// - `layer NAME<I, O>(x) { param …; let …; VALUE }` defines a layer, a piece
///   of net with params of its own, beside the nets of one `net!` (every net
///   of it may use it) or in a net's body; its dims `<I, O>` stand for those
///   each instance gives, its body holds `param`s and `let`s and ends with
///   its value, an expression without `;`. `param l1: Dense<D, H>;` declares
///   an instance with its own params, named `l1.W`, `l1.b`: fields
///   `net.l1.W` (of a struct `{Net}{Layer}{dims}`, e.g. `MlpDenseDH`, which
///   every instance of that layer with those dims shares, and the gradient
///   struct too: `grad.l1.W`), tensors `l1.W` in safetensors and ONNX files
///   (as PyTorch's `state_dict` names a submodule's params), grouped by
///   instance in `summary()`. `l1(h)` applies it: the body is expanded
///   where it is called, seeing its arguments, its params and its `let`s
///   only; an instance called twice shares its params. `param blocks:
///   [Block; 4];` declares a stack of four instances, each with its own
///   params (`net.blocks[0].W`, files' `blocks.0.W` as a PyTorch
///   `ModuleList`'s), and `blocks(h)` applies them in turn (its layer
///   returns its first argument's shape; `blocks(h, mask)` gives the
///   arguments after the first to every member alike), as a run-time loop
///   over the members, whose step is the layer's body once reading member
///   `m`'s params (`blocks.W[m]` in the derivation), so the code does not
///   grow with the stack's length; the state is a vector or a per-example
///   matrix (`[T, D]`: a transformer's blocks). The derivation prints each layer's backward
///   pass once, in the layer's names, given the adjoint `∂y` of its value
///   (`∂W = ∂y xᵀ`, `∂x = Wᵀ ∂y`), and names each call by its value, named
///   by its instance (`r1`; `r1₂` its second call; `blocks.2` a member
///   of a stack expanded member by member): a call's part of an adjoint is `∂x|r1` (the layer's `∂x` at
///   that call), so `∂h = ∂x|l2` and `∂l1.W = ∂W|l1`, and an instance
///   called twice sums its calls' (`∂r.W = ∂W|r + ∂W|r₂`).
///   ```
///   # use shapegrad::prelude::*;
///   dims! { D = 4; H = 3; C = 2; }
///   net! {
///       layer Dense<I, O>(x) {
///           param W: [O, I];
///           param b: [O];
///           W @ x + b
///       }
///       pub net Mlp {
///           input x: [D];
///           label y: C;
///           param l1: Dense<D, H>;
///           param l2: Dense<H, C>;
///           loss softmax_cross_entropy(l2(relu(l1(x))), y);
///       }
///   }
///   let net = Mlp::<f64>::init(0);
///   let (_, grad) = net.grad(&Vector::from_fn(|i, _| i as f64), Class::new(1).unwrap());
///   assert_eq!(grad.l1.W.as_slice().len(), 12);
///   assert!(Mlp::summary().contains("  l2.W  [C×H]"));
///   assert!(Mlp::derivation().contains("  ∂x = Wᵀ ∂y   [H]\n"));
///   assert!(Mlp::derivation().contains("∂l1.W = ∂W|l1 "));
///   ```
/// - `for t in T { let l[t] = …; }` is a map over the steps of `T`: inside
///   it, `z[t]` is row `t` of a value `z: [T, R]` (an `[R]`), entry `t` of a
///   `[T]` vector, or label `t` of a sequence `ys: [T] of V`; every other
///   name is the value outside, the same at every step; a plain `let` is a
///   temporary of one step. After the loop, `l` is `[T, R]` (row `t` is
///   step `t`) or `[T]` for a scalar per step:
///   `for t in T { let l[t] = softmax_cross_entropy(z[t], ys[t]); } loss mean(l);`.
///   The map is computed for all steps at once (step `t` a column, by the
///   rules that batch a net), so its code does not grow with `T`; the
///   derivation shows it that way (`softmax(W xᵀ) − onehot(ys)`).
/// - `for t in T { init h = h0; let h[t] = tanh(Wx @ x[t] + Wh @ h[t - 1] + b); }`
///   is a recurrence, a loop over time: `init NAME = EXPR;` gives state
///   `NAME` its value before step 0, and `NAME[t - k]` (`k ≥ 1` a literal)
///   reads an earlier step of it; several states (an LSTM's `h` and `c`),
///   per-step temporaries, steps of sequences (`x[t]`, `ys[t]`, `E[ws[t]]`)
///   and values outside the loop mix freely in its body. After the loop each
///   sequence is `[T, R]` (`[T]` for a scalar per step) like a map's, so
///   `h[T - 1]`, `sum(l)` or a second loop read it. The loop runs at run time:
///   its code and compile time do not grow with `T`. The backward pass runs
///   it in reverse (backpropagation through time): each state's adjoint
///   collects its uses at step `t` and what step `t + k` sent back through
///   its read `h[t + k − k]`; the forward loop keeps each step value the
///   backward loop reads (no forward product is computed twice; a
///   `layernorm` inside a loop, whose statistics live in a buffer of its
///   own, is computed again), and a param's gradient is a sum over the steps
///   (`∂Wh = Σ_t ∂a[t] h[t − 1]ᵀ`), each step's product accumulated in
///   place. In the per-example methods an input product `Wx @ x[t]` is one
///   product over all steps before the loop (`∂Wx` one after it), and a sum
///   of outer products (`∂Wh`) one product after the backward loop. The derivation prints the
///   loop as a loop: the forward recurrence, then the adjoint recurrence
///   (`∂h[t]⁺ = Whᵀ ∂a[t + 1]`, `∂h[t] = Wyᵀ ∂z[t] + ∂h[t]⁺`). Batched, a
///   batch of sequences (a `Tensor3<T, D, B>`, a `Sequences<V, T, B>`) runs
///   one loop whose steps are `[H×B]`: each step's products are matrix
///   products over the batch. `to_onnx` unrolls the loop (the model holds
///   `T` copies of a step; the generated exporter one). A state is a vector
///   `[N]`. A later step read (`h[t + 1]`), a state read without `init`, an
///   `init` or a step of another shape than the state's, and the loop's
///   variable used outside it are errors in your names.
/// - `input NAME: [..];`, `target NAME: [N];` (real values to regress on,
///   passed like an input: `&Vector<N, T>`, `&Matrix<N, B, T>` in the
///   batched methods) and `label NAME: DIM;` (a class index in `0..DIM`):
///   the arguments of `loss`, `grad`, `gradcheck` and `check_hand_grads`, in
///   the order declared; `forward` takes the inputs only, so an `output` may
///   depend on neither a target nor a label.
///
///   ```
///   use shapegrad::prelude::*;
///   dims! { In = 3; Out = 2; }
///   net! {
///       net Linear {
///           param W: [Out, In];
///           input x: [In];
///           target t: [Out];
///           let y = W @ x;
///           output y;
///           loss mse(y, t);
///       }
///   }
///   let net = Linear::<f64>::zeros();
///   let (x, t) = (Vector::<In, f64>::zeros(), Vector::<Out, f64>::from_slice(&[1., 3.]).unwrap());
///   assert_eq!(net.loss(&x, &t), 5.0); // (1² + 3²) / 2
///   let _y: Vector<Out, f64> = net.forward(&x); // no target here
///   ```
/// - `let NAME = EXPR;`, `output NAME;` (zero or more), `loss EXPR;` (exactly
///   one; a scalar or a 1×1 matrix), `grad PARAM = EXPR;` (a hand-derived
///   gradient, shape-checked and compared by `check_hand_grads`), `grad x;`
///   (the net asks for the gradient of input `x`: CS231n's `dx`, a saliency
///   map; see `grad_inputs` below, and the derivation prints `∂x`).
///
/// Dims are `dims!` names, the net's generic parameters, integer literals,
/// or sums of their multiples (`param Wx: [4 * H, D];`, `[H + D]`, as
/// CS231n packs an LSTM's four gates); two dims are the same when their
/// simplified sums are (`2 * H + 2 * H` is `4 * H`).
///
/// A shape has up to four dims: `input x: [C, H, W];` is one example of a
/// convolutional layer (a [`Tensor3`] to the caller, a `Tensor4<C, H, W, B>`
/// with the example index last in the batched methods), and
/// `param K: [F, C, KH, KW];` convolution kernels (a [`Tensor4`] field). A
/// param may leave a size to be inferred from its uses with `_`
/// (`param W3: [K, _];` before `W3 @ flatten(p2)`): its field's type then
/// spells the derived size (`DimProd<F, DimProd<DimQuot<H, U4>, …>>`) and
/// its docs give it in your dims (`[K×F·(H/4)·(W/4)]`).
///
/// # Expressions and their shape rules
///
/// | expression | shapes |
/// |---|---|
/// | `a @ b` | `[R, K] @ [K, C] → [R, C]` (a vector is `[N, 1]`) |
/// | `a.T` | `[R, C] → [C, R]` |
/// | `a + b`, `a - b`, `a * b` | equal shapes, elementwise; a scalar side is broadcast |
/// | `a + b` | `[R, B] + [R] → [R, B]`: the column added to every column |
/// | `A + v`, `A - v`, `A * v`, `A / v` (either side) | axes named by their dims: `A: [R, C]`, `v: [R]` goes down each column, `v: [C]` along each row (`A ⊙ 𝟙 vᵀ` in the derivation), a row `v.T` (`[1, C]`) along each row; with `R = C` an error naming both explicit forms, `A + v.T` (each row) and `(A.T + v.T).T` (each column) |
/// | `a / b` | equal shapes, elementwise; a scalar side is broadcast (`x / 2.0`, `1.0 / x`) |
/// | `-a`, `(a)`, numbers | as expected; numbers are scalars |
/// | `D` (a dim of the net's declarations) | its size, a scalar: `sum(x) / D` |
/// | `a[lo..hi]` | `a: [N]` (or a batch's columns), `lo`, `hi` dim expressions (`a[H..2 * H]` of `[4 * H]`, `a[0..H]`) → `[hi − lo]`; its gradient lands in those rows; a bound past the end or an empty range does not compile |
/// | `x[k]` | `k` a dim expression (`x[0]`, `x[T - 1]`): element `k` of a vector (a scalar; batched, a per-example scalar) or row `k` of a matrix (`[C]`; of a shared matrix only, for now); a step past the end does not compile |
/// | `E[ws]` | `E: [V, M]`, `ws: [T] of V` → `[T, M]`, row `t` the lookup of step `t`; its gradient adds each row into its token's |
/// | `E[w]` | `E: [V, M]`, `w` an index input (`input w: V;`) → `[M]`, row `w` (an embedding lookup); its gradient is added into row `w` only (`∂E = onehot(w) ∂zᵀ`); an index of another dim than `E`'s rows does not compile |
/// | `sigmoid(x)`, `tanh(x)`, `relu(x)`, `swish(x)`, `exp(x)`, `log(x)`, `sqrt(x)`, `square(x)`, `abs(x)` | elementwise, shape kept |
/// | `softplus(x)` | elementwise: `log(1 + eˣ)`, without overflow; its derivative is `σ(x)` |
/// | `hardswish(x)`, `hardtanh(x)`, `relu6(x)`, `silu(x)`, `mish(x)`, `softsign(x)`, `hardsigmoid(x)` | composites, each one line of the registry from the functions above (`x * min(max(x + 3.0, 0.0), 6.0) / 6.0`, `max(min(x, 1.0), -1.0)`, `min(relu(x), 6.0)`, `x * sigmoid(x)`, `x * tanh(softplus(x))`, `x / (1.0 + abs(x))`, `relu6(x + 3.0) / 6.0`), expanded where called |
/// | `log_sigmoid(x)` | elementwise: `log σ(x)`, without overflow; its derivative is `1 − σ(x)` |
/// | `gelu(x)` | elementwise, tanh form: `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`, as PyTorch's `gelu(x, approximate="tanh")`; its derivation line writes `gelu′(x)` |
/// | `leaky_relu(x, a)` | elementwise: `x` for `x > 0`, `a·x` otherwise; `a` a number |
/// | `pow(x, p)` | elementwise `xᵖ`, `p` a number (`pow(x, -0.5)`); its derivative `p xᵖ⁻¹` |
/// | `max(a, b)`, `min(a, b)` | equal shapes, elementwise, or a scalar side; at a tie the gradient goes to `a` |
/// | `elu(x)` | elementwise: `x` for `x > 0`, `eˣ − 1` otherwise (α = 1) |
/// | `sum(a)`, `mean(a)` | any → scalar |
/// | `softmax(a)`, `log_softmax(a)` | per column, shape kept |
/// | `logsumexp(a)` | per column, stable: `[N]` → scalar, `[R, C]` → `[1, C]`; its gradient is `softmax(a)` |
/// | `norm(a)` | Euclidean, per column: `[N]` → scalar, `[R, C]` → `[1, C]`; its gradient `a/‖a‖` is taken as 0 at `a = 0` |
/// | `sum_rows(A)`, `sum_cols(A)` | `[R, C]` → `[R]` (the sum of each row), `[R, C]` → `[C]` (the sum of each column) |
/// | `trace(A)` | `[N, N]` → scalar |
/// | `onehot(y)` | label in `0..C` → `[C]` |
/// | `dot(a, b)` | `[N], [N]` → scalar |
/// | `softmax_cross_entropy(z, y)`, `svm(z, y)` | `[C]` and a label in `0..C` → scalar |
/// | `mse(a, b)` | equal shapes → scalar (the mean of the squared differences) |
/// | `conv2d(x, K, b)`, `conv2d(x, K, b, stride = s, pad = p)` | `[C, H, W]`, `[F, C, KH, KW]`, `[F]` → `[F, (H + 2p − KH)/s + 1, (W + 2p − KW)/s + 1]`: cross-correlation as in PyTorch and CS231n; `s` (default 1) and `p` (default 0) integer literals |
/// | `maxpool2d(x, k)`, `avgpool2d(x, k)` | `[C, H, W]` → `[C, H/k, W/k]`: k×k windows, stride k; the gradient of a max goes to the first maximum of its window |
/// | `flatten(x)` | `[C, H, W]` → `[C·H·W]`, row-major, no copy |
/// | `layernorm(x, gamma, beta)` | `[D]`, `[D]`, `[D]` → `[D]`: `gamma ⊙ normalize(x) + beta`, each example over its features, biased variance, ε = 1e-5; a matrix `X: [T, D]` is normalized along the axis the scale's dim names (`gamma: [D]`: each row, as a transformer's; `[T]`: each column; the first axis when both are one dim) |
/// | `dropout(x, p)` | shape kept; `p` a literal in [0, 1): inverted dropout in training, the identity in evaluation |
/// | `batchnorm(x, gamma, beta)` | `[D]`, `[D]`, `[D]` → `[D]`; `[C, H, W]`, `[C]`, `[C]` → `[C, H, W]` (per channel); in training the batch's mean and biased variance (over the batch, and H, W), in evaluation the running ones; ε = 1e-5; one per `let`, whose name its running statistics take |
///
/// # Training and evaluation
///
/// A net with `dropout` or `batchnorm` has two modes. Evaluation —
/// `forward`, `forward_batch`, and the per-example `loss`, `grad` and
/// `gradcheck` — uses no dropout and normalizes with the running
/// statistics (constants of the gradient). Training — `loss_batch`,
/// `grad_batch`, `grad_batch_into` — keeps each element with probability
/// `1 − p` and scales it by `1/(1 − p)`, and normalizes with the batch's
/// statistics, differentiating through them.
///
/// - Dropout masks come from a generator the caller passes as the last
///   argument before the output, `rng: &mut shapegrad::random::Rng`, so a
///   run is reproducible; calling the training methods of a net with
///   `dropout` without one does not compile. Nets without `dropout` keep
///   the signatures above.
/// - The running mean and variance of the batchnorm in `let h` are the
///   net's field `h` (a [`running::RunningStats`]: `net.h.mean` and
///   `net.h.var`, mean 0 and variance 1 at first), saved and loaded with the
///   weights as the tensors named `h.running_mean` and `h.running_var` (as
///   PyTorch names them), never an optimizer's param. A training gradient
///   carries the batch's mean and unbiased variance (its field `h`), and an
///   optimizer's `step` with it moves the running ones by momentum 0.1, as
///   PyTorch does; a per-example gradient carries none and moves nothing.
/// - The derivation is the evaluation one, then each batchnorm's training
///   form: `∂x = (γ/σ_B) ⊙ (∂y − mean_B(∂y) − x̂ ⊙ mean_B(∂y ⊙ x̂))`.
///
/// ```
/// use shapegrad::prelude::*;
/// use shapegrad::random::Rng;
///
/// dims! { pub D = 6; pub H = 5; pub C = 3; pub B = 4; }
///
/// net! {
///     pub net Regularized {
///         param W1: [H, D];
///         param g1: [H];
///         param s1: [H];
///         param W2: [C, H];
///         input x: [D];
///         label y: C;
///         let h1 = dropout(relu(layernorm(W1 @ x, g1, s1)), 0.5);
///         output h1;
///         loss softmax_cross_entropy(W2 @ h1, y);
///     }
/// }
///
/// let net = Regularized::<f64>::init(3);
/// let xs = Matrix::<D, B, f64>::from_fn(|i, j| ((i + 2 * j) as f64).sin());
/// let ys = Classes::<C, B>::from_slice(&[0, 1, 2, 0]).unwrap();
/// let (loss, grads) = net.grad_batch(&xs, &ys, &mut Rng::seed(1)); // training
/// assert_eq!(loss, net.loss_batch(&xs, &ys, &mut Rng::seed(1)));   // same seed, same masks
/// let h = net.forward_batch(&xs);                                   // evaluation: no dropout
/// assert!(h.column(0).approx_eq(&net.forward(&xs.column(0)), 1e-12));
/// # let _ = grads;
/// ```
///
/// Sizes a convolution, a pool or a flatten derives are kept as simplified
/// expressions of your dims, and shown so in errors, derivations and docs: a
/// 3×3 kernel with pad 1 keeps `H`, a 2-pool gives `H/2`, two give `H/4`,
/// flattening gives `F·(H/4)·(W/4)`. What only the numbers decide is checked
/// by the compiler, under the call, in your dims: a window must divide the
/// side it pools, and a kernel must fit in the padded input. With a stride
/// `s`, an output side is `⌊(H + 2p − K)/s⌋ + 1`, floored as PyTorch does
/// (a 3×3, stride-2, pad-1 conv on 8×8 gives 4×4; the last padded row and
/// column are then never read), shown as `(H−1)/2 + 1` where `/` is the
/// floored quotient. The kernels' channels must be the input's.
/// Convolutional nets are not generic over their dims.
///
/// In the derivation, `⋆` is the cross-correlation of `conv2d`, with its
/// stride and padding when not the defaults (`⋆[s=2,p=1]`):
/// `∂K = x ⋆ ∂z` is `∂K[f,c,u,v] = Σᵢⱼ ∂z[f,i,j]·x[c, s·i+u−p, s·j+v−p]`;
/// `∂x = ∂z ⋆ᵀ K` is its transpose (each `∂z[f,i,j]·K[f,c,u,v]` added where
/// `x[c, s·i+u−p, s·j+v−p]` was read); `∂b = Σ_hw ∂z` sums over positions.
/// `up₂(v)` repeats each value over its 2×2 window, so a max pool's adjoint
/// is `[a = up₂(p)] ⊙ up₂(∂p)` (to the first maximum only) and a mean's
/// `up₂(∂p)/4`.
///
/// ```
/// use shapegrad::prelude::*;
///
/// dims! { pub C = 2; pub H = 8; pub W = 12; pub F = 4; pub K = 3; }
///
/// net! {
///     pub net Cnn {
///         param K1: [F, C, 3, 3];
///         param b1: [F];
///         param W2: [K, _];
///         param b2: [K];
///         input x: [C, H, W];
///         label y: K;
///         let z1 = conv2d(x, K1, b1, pad = 1);
///         let p1 = maxpool2d(relu(z1), 2);
///         let z2 = W2 @ flatten(p1) + b2;
///         output z2;
///         loss softmax_cross_entropy(z2, y);
///     }
/// }
///
/// let net = Cnn::<f64>::init(1);
/// let x = Tensor3::<C, H, W, f64>::from_fn(|c, h, w| ((c + h * w) as f64).sin());
/// let y = Class::<K>::new(1).unwrap();
/// assert!(net.gradcheck(&x, y).is_ok(1e-6));
/// assert!(Cnn::derivation().contains("∂K1 = x ⋆[p=1] ∂z1"));
/// assert!(Cnn::derivation().contains("[K×F·(H/2)·(W/2)]"));
/// ```
///
/// `@` and `*` share one precedence level and associate to the left, as in
/// Python; `+ -` bind looser. `x * sigmoid(x)` is recognised as `swish(x)`.
///
/// # Generated items
///
/// For `pub net TwoLayer` with an input `x: [D]`, a label `y: C` and one
/// `output z` of shape `[C]` (arguments are always in declaration order):
///
/// | item | what it is, what it returns |
/// |---|---|
/// | `struct TwoLayer<T = f32>` | the params, as public fields (`W1: Matrix<H, D, T>`, `b1: Vector<H, T>`, kernels `Tensor4`), and a batchnorm's running statistics |
/// | `struct TwoLayerGrad<T = f32>` | one gradient per param, same field names and types; implements [`grads::Gradients`] (norm, clipping, scaling) |
/// | `zeros()`, `init(seed)`, `cast::<U>()` | a net: all zero; Glorot-uniform weights, zero biases, gains and scales at one, declared values (`= 0.5`) as declared; in another element type |
/// | `loss(&x, y) -> T` | the loss of one example |
/// | `grad(&x, y) -> (T, TwoLayerGrad<T>)` | the loss and every param's gradient |
/// | `forward(&x) -> Vector<C, T>` | the output; with several outputs a tuple in declaration order, `(Vector<C, T>, Matrix<H, D, T>)`; not generated without outputs; takes the inputs only |
/// | `loss_with(&mut ws, &x, y) -> T`, `grad_into(&mut ws, &x, y, &mut out) -> T`, `forward_with(&mut ws, &x)` | the same into a reused `TwoLayerWorkspace<T>` (`::new()`) and gradient (`TwoLayerGrad::zeros()`): no allocation (`TwoLayerWorkspace::INLINE`: a small net's is all inline, and the documented methods make one on the stack) |
/// | `loss_batch(&xs, &ys) -> T`, `grad_batch(&xs, &ys) -> (T, TwoLayerGrad<T>)` | the mean over a batch of `B` examples, one per column: `xs: &Matrix<D, B, T>` (`&Tensor4<C, H, W, B, T>` for images), `ys: &Classes<C, B>` (a target: `&Matrix<N, B, T>`) |
/// | `forward_batch(&xs) -> Matrix<C, B, T>` | the outputs, one column per example (a tuple for several) |
/// | `loss_batch_with`, `grad_batch_into`, `forward_batch_with` | the batched forms into a reused `TwoLayerBatchWorkspace<B, T>` and gradient |
/// | `gradcheck(&x, y) -> GradCheck<T>`, `check_hand_grads(&x, y)` | the derived (or hand-written) gradients against finite differences in `f64`; print the report with `{}` for a table of one line per param (see [`check::GradCheck`]) |
/// | `derivation()`, `derivation_latex()` | the derived backward pass as text and as LaTeX |
/// | `grad_inputs(&x, y) -> (T, TwoLayerGrad<T>, TwoLayerInputGrad<T>)` | with `grad x;` in the net: the loss, every param's gradient, and `∂L/∂x` (a field per input asked for) |
/// | `grad_inputs_batch(&xs, &ys) -> (T, TwoLayerGrad<T>, TwoLayerInputGradBatch<B, T>)` | the same over a batch: the params' gradients the mean, the inputs' one column per example, each that example's own `∂Lᵦ/∂xᵦ` (fields named as the batched arguments, `xs`) |
/// | `TwoLayer::explain_html() -> &'static str` | an associated function: a self-contained HTML page that shows the net (its source with each value's shape, the graph of its values as SVG, its derivation as MathML, its params), as `shapegrad-explain` writes for a file |
/// | `TwoLayer::summary() -> String` | an associated function (no `self`): each param with its shape in the dims' names and its size, and the total |
/// | `to_onnx() -> Vec<u8>`, `export_onnx(path)` | the forward pass as an ONNX model (opset 13, batch-first), to bytes or to a file; for a net with per-example matrices or sequences, a `Scan` over the batch whose body is the per-example graph (`int64 [N, T]` tokens, `[N, T, D]` matrices); not for a net without inputs or outputs |
/// | `save(path)`, `load(path)` | the weights as safetensors, recording the net's identity ([`io`]) |
///
/// and the traits [`optim::Params`] (for the optimizers and [`io`]) and,
/// for a net with at least one input, [`model::Net`], [`model::Predict`],
/// [`model::BatchNet`] and [`model::PredictBatch`] (for [`fit::Fit`] and
/// other generic code; several inputs are one tuple in declaration order,
/// as are several labels or targets).
/// On x86-64 the computing methods exist twice, compiled for the baseline
/// instruction set and for AVX2 with FMA, and choose at run time
/// (`SHAPEGRAD_KERNEL=portable` keeps the baseline copy); both compute the
/// same bits.
/// Nets with `dropout` take `rng: &mut random::Rng` last in their training
/// methods; nets with `dropout` or `batchnorm` evaluate in `forward`,
/// `forward_batch` and the per-example `loss`, and train in the batched
/// `loss_batch`/`grad_batch`.
///
/// The batched methods are derived from the per-example net by lifting it
/// to matrices: products with a param become products over the batch,
/// biases are broadcast, losses are taken per column. A net whose graph has
/// no such lift — a per-example matrix `input x: [T, D]` (a batch of them is
/// a `Tensor3<T, D, B>`, the example index last), a sequence of tokens, an
/// outer product of per-example values — gets batched methods of the same
/// names and meaning that run the per-example program once per example in
/// one reused workspace (allocating nothing in `grad_batch_into`), the
/// gradient the mean of the examples'. A net with `dropout` or `batchnorm`
/// and no lift has no batched methods (its training mode works on the whole
/// batch); its documentation then says why.
///
/// A net of params alone — a pure objective such as
/// `param X: [M, N]; loss trace(X.T @ X);` — is a net too: `loss()`,
/// `grad()`, `gradcheck()` and `check_hand_grads()` take no arguments, and it
/// has no batched methods (there is no batch of examples to average over)
/// and no ONNX export (no input to feed it).
///
/// A generic net (`net Autoencoder<M, N>`) takes its dims as type parameters
/// before `T`.
///
/// Every mistake is a compile error under the offending tokens, in the
/// net's own names, all of an invocation's errors at once; see `ui/tests/ui/net/` in the repository.
pub use shapegrad_macros::net;

/// Everything needed to write and train a model: the matrix types, the
/// dimension trait and macros, class labels, the [`optim::Optimizer`] trait
/// (for `adam.step(&mut net, &grads)`), and typenum's numbers as anonymous dims.
///
/// `U1` here is [`One`], the width of a column vector, so `Matrix<N, U1>` is
/// `Vector<N>`.
///
/// It also brings typenum's numbers `U0`, `U2`, `U3`, … as anonymous dims
/// (`Matrix<U3, U4>`); they are left out of this page's list.
pub mod prelude {
    pub use shapegrad_core::optim::Optimizer;
    #[doc(hidden)]
    pub use shapegrad_core::typenum::consts::*;
    pub use shapegrad_core::{
        Class, Classes, Derivation, Dim, Matrix, One, One as U1, Scalar, Sequences, ShapeError, Tensor3,
        Tensor4, Vector,
    };
    pub use shapegrad_macros::{dims, net};
}
