//! Elementwise functions and their derivatives: `d f(A) = dY ⊙ f′(A)`.

use crate::{Dim, Matrix, Scalar};

/// An elementwise function with its derivative.
pub trait Unary {
    /// The name used in the DSL and in derivations (`"sigmoid"`).
    const NAME: &'static str;
    /// `f(x)`.
    fn f<T: Scalar>(x: T) -> T;
    /// `f′(x)`, given `x` and `y = f(x)` (whichever is cheaper to use).
    fn df<T: Scalar>(x: T, y: T) -> T;

    /// `f′(X)`, elementwise.
    fn derivative<R: Dim, C: Dim, T: Scalar>(x: &Matrix<R, C, T>) -> Matrix<R, C, T> {
        x.map(|x| Self::df(x, Self::f(x)))
    }

    /// The adjoint of `Y = f(X)` given `X`, `Y` and `dY`: `dY ⊙ f′(X)`.
    fn vjp<R: Dim, C: Dim, T: Scalar>(
        x: &Matrix<R, C, T>,
        y: &Matrix<R, C, T>,
        dy: &Matrix<R, C, T>,
    ) -> Matrix<R, C, T> {
        let mut dx = Matrix::zeros();
        Self::vjp_into(x, y, dy, &mut dx);
        dx
    }

    /// `out ← f(X)`, in place.
    #[inline]
    fn map_into<R: Dim, C: Dim, T: Scalar>(x: &Matrix<R, C, T>, out: &mut Matrix<R, C, T>) {
        out.set_map_of(x, Self::f);
    }

    /// `out ← f′(X)`, in place.
    #[inline]
    fn derivative_into<R: Dim, C: Dim, T: Scalar>(x: &Matrix<R, C, T>, out: &mut Matrix<R, C, T>) {
        out.set_map_of(x, |x| Self::df(x, Self::f(x)));
    }

    /// `out ← dY ⊙ f′(X)`, in place, reusing `Y = f(X)`.
    #[inline]
    fn vjp_into<R: Dim, C: Dim, T: Scalar>(
        x: &Matrix<R, C, T>,
        y: &Matrix<R, C, T>,
        dy: &Matrix<R, C, T>,
        out: &mut Matrix<R, C, T>,
    ) {
        for (((o, &x), &y), &dy) in
            out.as_mut_slice().iter_mut().zip(x.as_slice()).zip(y.as_slice()).zip(dy.as_slice())
        {
            *o = dy * Self::df(x, y);
        }
    }
}

/// σ(x) = 1 / (1 + e⁻ˣ), without branches (so loops over it vectorize) and
/// without overflow: `exp_fast` clamps its argument, so e⁻ˣ stays finite.
#[inline(always)]
fn sigmoid<T: Scalar>(x: T) -> T {
    T::ONE / (T::ONE + (-x).exp_fast())
}

/// gelu in its tanh form and its derivative: `(gelu x, gelu′ x)`.
#[inline(always)]
fn gelu<T: Scalar>(x: T) -> (T, T) {
    let (c, a, half) = (T::from_f64(0.797_884_560_802_865_4), T::from_f64(0.044_715), T::from_f64(0.5));
    let t = (c * (x + a * x * x * x)).tanh();
    let du = c * (T::ONE + T::from_f64(3.0) * a * x * x);
    (half * x * (T::ONE + t), half * (T::ONE + t) + half * x * (T::ONE - t * t) * du)
}

macro_rules! unary {
    ($(#[$doc:meta])* $Name:ident, $name:literal, $method:ident, |$x:ident| $f:expr, |$dx:ident, $dy:ident| $df:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $Name;

        impl Unary for $Name {
            const NAME: &'static str = $name;
            #[inline(always)]
            fn f<T: Scalar>($x: T) -> T {
                $f
            }
            #[inline(always)]
            #[allow(unused_variables)]
            fn df<T: Scalar>($dx: T, $dy: T) -> T {
                $df
            }
        }

        impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
            $(#[$doc])*
            pub fn $method(&self) -> Self {
                let mut out = Self::zeros();
                $Name::map_into(self, &mut out);
                out
            }
        }
    };
}

unary!(
    /// The logistic sigmoid σ(x) = 1/(1 + e⁻ˣ); σ′ = σ(1 − σ).
    Sigmoid, "sigmoid", sigmoid, |x| sigmoid(x), |x, y| y * (T::ONE - y)
);
unary!(
    /// tanh x; tanh′ = 1 − tanh².
    Tanh, "tanh", tanh, |x| x.tanh(), |x, y| T::ONE - y * y
);
unary!(
    /// max(0, x); its derivative is taken as 0 at 0.
    Relu, "relu", relu, |x| x.max(T::ZERO), |x, y| if x > T::ZERO { T::ONE } else { T::ZERO }
);
unary!(
    /// swish x = x·σ(x); swish′ = σ(x)(1 + x(1 − σ(x))), with σ(x) read
    /// off the forward value as swish(x)/x (no second exponential: one
    /// division, vectorized, costs less than storing σ and reading it back).
    /// Near 0, where x·σ(x) may be rounded to nothing (subnormal x), σ(x) is
    /// ½ + x/4, exact to the last bit for |x| below the type's epsilon.
    Swish, "swish", swish, |x| x * sigmoid(x), |x, y| {
        let tiny = x.abs() < T::EPSILON;
        let s = if tiny { T::from_f64(0.5) + x * T::from_f64(0.25) } else { y / x };
        s * (T::ONE + x * (T::ONE - s))
    }
);
unary!(
    /// eˣ; its derivative is itself.
    Exp, "exp", exp, |x| x.exp(), |x, y| y
);
unary!(
    /// The natural logarithm; log′ x = 1/x.
    Log, "log", log, |x| x.ln(), |x, y| T::ONE / x
);
unary!(
    /// √x; √′ = 1/(2√x).
    Sqrt, "sqrt", sqrt, |x| x.sqrt(), |x, y| T::ONE / (y + y)
);
unary!(
    /// x²; its derivative is 2x.
    Square, "square", square, |x| x * x, |x, y| x + x
);
unary!(
    /// |x|; its derivative is the sign of x, taken as 0 at 0.
    Abs, "abs", abs, |x| x.abs(), |x, y| if x > T::ZERO { T::ONE } else if x < T::ZERO { -T::ONE } else { T::ZERO }
);
unary!(
    /// elu x = x for x > 0, eˣ − 1 otherwise (α = 1); elu′ = 1 for x > 0,
    /// eˣ = elu x + 1 otherwise.
    Elu, "elu", elu, |x| if x > T::ZERO { x } else { x.exp() - T::ONE }, |x, y| if x > T::ZERO { T::ONE } else { y + T::ONE }
);
unary!(
    /// softplus x = log(1 + eˣ), computed as max(x, 0) + log(1 + e^(−|x|)) so
    /// it never overflows; softplus′ = σ(x).
    Softplus, "softplus", softplus, |x| x.max(T::ZERO) + (T::ONE + (-x.abs()).exp()).ln(), |x, y| sigmoid(x)
);
unary!(
    /// log σ(x) = −softplus(−x), computed as min(x, 0) − log(1 + e^(−|x|)) so
    /// it never overflows; its derivative is 1 − σ(x) = σ(−x).
    LogSigmoid, "log_sigmoid", log_sigmoid, |x| x.min(T::ZERO) - (T::ONE + (-x.abs()).exp()).ln(), |x, y| sigmoid(-x)
);
unary!(
    /// gelu x in its tanh form, ½x(1 + tanh u) with u = √(2/π)(x + 0.044715x³)
    /// (Hendrycks and Gimpel's approximation, PyTorch's `approximate="tanh"`);
    /// gelu′ = ½(1 + tanh u) + ½x(1 − tanh² u)·√(2/π)(1 + 3·0.044715x²).
    Gelu, "gelu", gelu, |x| gelu(x).0, |x, y| gelu(x).1
);
unary!(
    /// −x; its derivative is −1.
    Neg, "neg", negated, |x| -x, |x, y| -T::ONE
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_gradient, random, rng, weighted_sum};

    crate::test_dims! { R = 4; C = 3; }

    /// Checks `F::vjp` against finite differences on inputs drawn from [lo, hi).
    fn check<F: Unary>(lo: f64, hi: f64) {
        for seed in 0..5 {
            let mut g = rng(seed);
            let x = random::<R, C>(&mut g, lo, hi);
            let dy = random::<R, C>(&mut g, -1.0, 1.0);
            let y = x.map(F::f);
            let dx = F::vjp(&x, &y, &dy);
            assert_gradient(&x, |x| weighted_sum(&dy, &x.map(F::f)), &dx, 1e-7);
        }
    }

    #[test]
    fn every_rule_matches_finite_differences() {
        check::<Sigmoid>(-6.0, 6.0);
        check::<Tanh>(-3.0, 3.0);
        check::<Relu>(-2.0, 2.0);
        check::<Swish>(-6.0, 6.0);
        check::<Exp>(-3.0, 3.0);
        check::<Log>(0.1, 5.0);
        check::<Sqrt>(0.1, 5.0);
        check::<Square>(-3.0, 3.0);
        check::<Abs>(-2.0, 2.0);
        check::<Neg>(-2.0, 2.0);
        check::<Gelu>(-4.0, 4.0);
        check::<LogSigmoid>(-6.0, 6.0);
        check::<Softplus>(-6.0, 6.0);
        check::<Elu>(-3.0, 3.0);
    }

    #[test]
    fn values_match_closed_forms() {
        let x = Matrix::<R, C, f64>::from_fn(|i, j| i as f64 - j as f64 * 0.5);
        for (&x, &s) in x.as_slice().iter().zip(x.sigmoid().as_slice()) {
            assert!((s - 1.0 / (1.0 + (-x).exp())).abs() < 1e-15);
        }
        for (&x, &s) in x.as_slice().iter().zip(x.swish().as_slice()) {
            assert!((s - x / (1.0 + (-x).exp())).abs() < 1e-15);
        }
        assert_eq!(x.relu()[(0, 2)], 0.0);
        assert_eq!(x.abs()[(0, 2)], 1.0);
        assert_eq!(x.square()[(3, 0)], 9.0);
        assert_eq!(x.elu()[(2, 0)], 2.0);
        assert!((x.elu()[(0, 2)] - ((-1.0f64).exp() - 1.0)).abs() < 1e-15);
    }

    #[test]
    fn swish_derivative_near_zero_is_a_half() {
        // x·σ(x) of a subnormal x rounds to 0 or to x itself: σ read off it
        // by division would be 0 or 1; the derivative is ½ there.
        for x in [f32::from_bits(1), -f32::from_bits(1), 1e-40, -3e-39, 1e-30, 0.0, -0.0] {
            let y = Swish::f(x);
            assert_eq!(Swish::df(x, y), 0.5, "swish′({x:e})");
        }
        for x in [f64::from_bits(1), 1e-310, -1e-200, 0.0] {
            assert_eq!(Swish::df(x, Swish::f(x)), 0.5, "swish′({x:e})");
        }
        // Just above epsilon the division is used, and agrees with the closed form.
        for x in [1e-6f64, -3e-9, 0.1, -2.5] {
            let s = 1.0 / (1.0 + (-x).exp());
            let want = s * (1.0 + x * (1.0 - s));
            assert!((Swish::df(x, Swish::f(x)) - want).abs() < 1e-15, "swish′({x})");
        }
    }

    #[test]
    fn sigmoid_is_finite_at_extremes() {
        let x = Matrix::<R, C, f32>::from_fn(|i, _| if i % 2 == 0 { 1e4 } else { -1e4 });
        let y = x.sigmoid();
        assert!(y.as_slice().iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)));
        assert!(x.swish().as_slice().iter().all(|v| v.is_finite()));
    }
}
