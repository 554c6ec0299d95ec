//! Conversions to and from nalgebra's matrices (feature `nalgebra`).
//!
//! nalgebra stores column-major, shapegrad row-major; the conversions copy.

use nalgebra::{DMatrix, SMatrix};

use crate::{Dim, Matrix, Scalar, ShapeError};

impl<R: Dim, C: Dim, T: Scalar + nalgebra::Scalar> Matrix<R, C, T> {
    /// The same matrix as a nalgebra `SMatrix<T, RN, CN>`.
    ///
    /// `RN` and `CN` must be the sizes of `R` and `C`; this is checked when the
    /// program is compiled (a mismatch fails the build, not the run).
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let m = Matrix::<U2, U3>::from_fn(|i, j| (3 * i + j) as f32);
    /// let n = m.to_smatrix::<2, 3>();
    /// assert_eq!(n[(1, 2)], 5.0);
    /// assert_eq!(Matrix::<U2, U3>::from_smatrix(&n), m);
    /// ```
    pub fn to_smatrix<const RN: usize, const CN: usize>(&self) -> SMatrix<T, RN, CN> {
        const {
            assert!(R::SIZE == RN && C::SIZE == CN, "to_smatrix: the const sizes differ from the dims' sizes")
        };
        SMatrix::from_fn(|i, j| self[(i, j)])
    }

    /// The matrix from a nalgebra `SMatrix<T, RN, CN>` of the same sizes
    /// (checked when the program is compiled).
    pub fn from_smatrix<const RN: usize, const CN: usize>(m: &SMatrix<T, RN, CN>) -> Self {
        const {
            assert!(
                R::SIZE == RN && C::SIZE == CN,
                "from_smatrix: the const sizes differ from the dims' sizes"
            )
        };
        Self::from_fn(|i, j| m[(i, j)])
    }

    /// The same matrix as a nalgebra `DMatrix<T>`.
    pub fn to_dmatrix(&self) -> DMatrix<T> {
        DMatrix::from_row_slice(R::SIZE, C::SIZE, self.as_slice())
    }

    /// The matrix from a nalgebra `DMatrix<T>`.
    ///
    /// # Errors
    /// [`ShapeError::Length`] when `m` is not `R`×`C` (its element count is
    /// reported when the element counts differ, else its row count).
    pub fn from_dmatrix(m: &DMatrix<T>) -> Result<Self, ShapeError> {
        if m.shape() != (R::SIZE, C::SIZE) {
            return Err(ShapeError::Length {
                rows: R::NAME,
                cols: C::NAME,
                expected: Self::LEN,
                found: m.len(),
            });
        }
        Ok(Self::from_fn(|i, j| m[(i, j)]))
    }
}

#[cfg(test)]
mod tests {
    use crate::Matrix;
    use typenum::{U2, U3};

    #[test]
    fn round_trips_keep_every_element_in_place() {
        let m = Matrix::<U2, U3, f64>::from_fn(|i, j| (10 * i + j) as f64);
        let d = m.to_dmatrix();
        assert_eq!(d[(1, 2)], 12.0);
        assert_eq!(Matrix::<U2, U3, f64>::from_dmatrix(&d).unwrap(), m);
        assert!(Matrix::<U3, U2, f64>::from_dmatrix(&d).is_err());
        let s = m.to_smatrix::<2, 3>();
        assert_eq!(s * nalgebra::Vector3::new(1.0, 0.0, 0.0), nalgebra::Vector2::new(0.0, 10.0));
    }
}
