//! `Display` and `Debug` of matrices: the shape in the dims' names, then the values.

use core::fmt;

use crate::{Dim, Matrix, Scalar};

/// Rows and columns shown before eliding the middle of a large matrix.
const EDGE: usize = 4;

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// The shape in the dims' names: `[H×D]`, or `[H]` for a column vector.
    pub fn shape_name() -> String {
        if C::NAME == "1" && C::SIZE == 1 {
            format!("[{}]", R::NAME)
        } else {
            format!("[{}×{}]", R::NAME, C::NAME)
        }
    }
}

/// The indices to show out of `n`: all of them, or the first and last `EDGE`
/// with `None` marking the elided middle.
fn shown(n: usize) -> Vec<Option<usize>> {
    if n <= 2 * EDGE + 1 {
        (0..n).map(Some).collect()
    } else {
        (0..EDGE).map(Some).chain([None]).chain((n - EDGE..n).map(Some)).collect()
    }
}

/// Prints the shape line, then one line per row, columns aligned; the
/// formatter's precision (`{:.3}`) applies to every element.
///
/// ```
/// use shapegrad::prelude::*;
/// let m = Matrix::<U2, U3>::from_fn(|i, j| (i * 3 + j) as f32);
/// assert_eq!(
///     format!("{m:.1}"),
///     "[2×3] f32\n[ 0.0 1.0 2.0 ]\n[ 3.0 4.0 5.0 ]"
/// );
/// ```
impl<R: Dim, C: Dim, T: Scalar> fmt::Display for Matrix<R, C, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cell = |x: T| match f.precision() {
            Some(p) => format!("{x:.p$}"),
            None => format!("{x}"),
        };
        let rows = shown(R::SIZE);
        let cols = shown(C::SIZE);
        let table: Vec<Vec<String>> = rows
            .iter()
            .map(|i| {
                cols.iter()
                    .map(|j| match (i, j) {
                        (Some(i), Some(j)) => cell(self[(*i, *j)]),
                        (None, Some(_)) => "⋮".to_string(),
                        (Some(_), None) => "…".to_string(),
                        (None, None) => "⋱".to_string(),
                    })
                    .collect()
            })
            .collect();
        let width = table.iter().flatten().map(|s| s.chars().count()).max().unwrap_or(0);
        write!(f, "{} {}", Self::shape_name(), T::NAME)?;
        for row in &table {
            write!(f, "\n[")?;
            for s in row {
                write!(f, " {s:>width$}")?;
            }
            write!(f, " ]")?;
        }
        Ok(())
    }
}

impl<R: Dim, C: Dim, T: Scalar> fmt::Debug for Matrix<R, C, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Matrix, Vector};

    crate::test_dims! { H = 12; D = 2; }

    #[test]
    fn vectors_show_one_dim_and_large_matrices_elide() {
        let v = Vector::<D, f64>::from_slice(&[1.5, -2.0]).unwrap();
        assert_eq!(format!("{v}"), "[D] f64\n[ 1.5 ]\n[  -2 ]");
        let m = Matrix::<H, H>::from_fn(|i, j| (i + j) as f32);
        let s = format!("{m}");
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "[H×H] f32");
        assert_eq!(lines.len(), 1 + 9);
        assert!(lines[1].contains('…'));
        assert!(lines[5].contains('⋮') && lines[5].contains('⋱'));
        assert!(lines[9].trim_end().ends_with("22 ]"));
    }
}
