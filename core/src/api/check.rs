//! Numerical gradients: the reference every derived gradient is tested against.

use core::fmt;

use crate::Scalar;
use crate::values::Values;

/// The gradient of `f` at `x` by central differences,
/// `(f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h` for every element `i`, in `f64`.
///
/// The error is O(h²); `h = 1e-5` suits functions of order one.
///
/// ```
/// use shapegrad::check::numeric_gradient; use shapegrad::prelude::*;
/// let x = Vector::<U2, f64>::from_slice(&[1.0, -3.0]).unwrap();
/// // f(x) = x₀² + 5x₁, so ∇f = (2x₀, 5).
/// let g = numeric_gradient(&x, |x| x[0] * x[0] + 5.0 * x[1], 1e-5);
/// assert!((g[0] - 2.0).abs() < 1e-8 && (g[1] - 5.0).abs() < 1e-8);
/// ```
pub fn numeric_gradient<V: Values<f64>>(x: &V, mut f: impl FnMut(&V) -> f64, h: f64) -> V {
    let mut probe = x.clone();
    let mut grad = V::zeros();
    for i in 0..x.as_slice().len() {
        let x_i = x.as_slice()[i];
        probe.as_mut_slice()[i] = x_i + h;
        let up = f(&probe);
        probe.as_mut_slice()[i] = x_i - h;
        let down = f(&probe);
        probe.as_mut_slice()[i] = x_i;
        grad.as_mut_slice()[i] = (up - down) / (2.0 * h);
    }
    grad
}

/// How far gradients are from their references, param by param: what
/// `gradcheck` (derived vs finite differences) and `check_hand_grads`
/// (hand-written vs derived) of a `net!` return. Print it with `{}` for a
/// table of one line per param (`{:?}` shows every field).
///
/// A param whose gradient and reference are both zero in every element
/// agrees trivially: the point checked nothing about it (a gain or scale
/// at 0 silences every gradient upstream; a ReLU dead at this input). Such
/// a param is listed by [`GradCheck::all_zero`] and flagged under the table;
/// [`GradCheck::is_ok`] still counts it as agreeing, so check
/// `all_zero().is_empty()` too, or probe other points.
///
/// ```
/// use shapegrad::check::GradCheck; use shapegrad::prelude::*;
/// let a = Vector::<U2, f64>::from_slice(&[1.0, 2.0]).unwrap();
/// let b = Vector::<U2, f64>::from_slice(&[1.0, 2.002]).unwrap();
/// let mut report = GradCheck::<f32>::new();
/// report.compare("b", &a, &b);
/// assert!(report.is_ok(1e-2) && !report.is_ok(1e-4));
/// assert!((report.entries()[0].max_abs - 0.002).abs() < 1e-6);
/// // Two zero vectors agree, and the report says they checked nothing.
/// let zero = Vector::<U2, f64>::zeros();
/// report.compare("g", &zero, &zero);
/// assert!(report.is_ok(1e-2) && report.all_zero() == ["g"]);
/// assert!(report.to_string().contains("warning: the gradients of `g`"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheck<T = f64> {
    entries: Vec<GradCheckEntry<T>>,
}

/// One param's line of a [`GradCheck`].
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheckEntry<T> {
    /// The param's name.
    pub name: &'static str,
    /// Its shape in the dims' names (`[H×D]`).
    pub shape: String,
    /// max |a − r| over the elements.
    pub max_abs: T,
    /// max |a − r| / max(|a|, |r|) over the elements (0 where both are 0).
    pub max_rel: T,
    /// max |a − r| / max(1, |a|, |r|): what [`GradCheck::is_ok`] compares with the tolerance.
    pub max_mixed: T,
    /// Both the gradient and its reference are zero in every element: the
    /// check says nothing about this param at this point.
    pub all_zero: bool,
}

impl<T: Scalar> Default for GradCheck<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> GradCheck<T> {
    /// An empty report.
    pub fn new() -> Self {
        GradCheck { entries: Vec::new() }
    }

    /// Adds the line for param `name`: `value` compared with `reference`.
    pub fn compare<V: Values<f64>>(&mut self, name: &'static str, value: &V, reference: &V) {
        let (mut max_abs, mut max_rel, mut max_mixed) = (0.0f64, 0.0f64, 0.0f64);
        let mut all_zero = true;
        for (&a, &r) in value.as_slice().iter().zip(reference.as_slice()) {
            all_zero &= a == 0.0 && r == 0.0;
            let d = if a == r { 0.0 } else { (a - r).abs() };
            let d = if d.is_nan() { f64::INFINITY } else { d };
            let scale = a.abs().max(r.abs());
            max_abs = max_abs.max(d);
            if scale > 0.0 {
                max_rel = max_rel.max(d / scale);
            }
            max_mixed = max_mixed.max(d / scale.max(1.0));
        }
        self.entries.push(GradCheckEntry {
            name,
            shape: V::shape_name(),
            max_abs: T::from_f64(max_abs),
            max_rel: T::from_f64(max_rel),
            max_mixed: T::from_f64(max_mixed),
            all_zero,
        });
    }

    /// The lines, in the order the params were declared.
    pub fn entries(&self) -> &[GradCheckEntry<T>] {
        &self.entries
    }

    /// The line of param `name`, if it was checked.
    pub fn get(&self, name: &str) -> Option<&GradCheckEntry<T>> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Whether every element of every param agrees within `tol`, relative to
    /// the magnitude where that exceeds 1: |a − r| ≤ tol · max(1, |a|, |r|).
    /// A param whose gradient and reference are both zero agrees; see
    /// [`GradCheck::all_zero`].
    pub fn is_ok(&self, tol: T) -> bool {
        self.entries.iter().all(|e| e.max_mixed <= tol)
    }

    /// The params whose gradient and reference were both zero in every
    /// element: agreeing trivially, checked by nothing at this point.
    pub fn all_zero(&self) -> Vec<&'static str> {
        self.entries.iter().filter(|e| e.all_zero).map(|e| e.name).collect()
    }
}

/// A table: one line per param with its shape and errors.
impl<T: Scalar> fmt::Display for GradCheck<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name_w = self.entries.iter().map(|e| e.name.chars().count()).max().unwrap_or(0).max(5);
        let shape_w = self.entries.iter().map(|e| e.shape.chars().count()).max().unwrap_or(0).max(5);
        write!(f, "{:<name_w$}  {:<shape_w$}  {:>10}  {:>10}", "param", "shape", "max abs", "max rel")?;
        for e in &self.entries {
            write!(
                f,
                "\n{:<name_w$}  {:<shape_w$}  {:>10.3e}  {:>10.3e}",
                e.name,
                e.shape,
                e.max_abs.to_f64(),
                e.max_rel.to_f64()
            )?;
            if e.all_zero {
                write!(f, "  (all zero)")?;
            }
        }
        let zero = self.all_zero();
        if !zero.is_empty() {
            let names: Vec<String> = zero.iter().map(|n| format!("`{n}`")).collect();
            write!(
                f,
                "\nwarning: the gradients of {} and their references are zero in every element, so this point checks nothing about them (a gain or scale at 0? a dead ReLU?): set the params to random values, or probe other inputs",
                names.join(", ")
            )?;
        }
        Ok(())
    }
}
