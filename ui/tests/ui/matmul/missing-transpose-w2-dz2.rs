// Homework problem 3(c): ∂L/∂h₁ written as W₂ · ∂L/∂z₂, where W₂ᵀ is needed.
use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; }

fn dh1(w2: &Matrix<C, H>, dz2: &Vector<C>) -> Vector<H> {
    w2 * dz2
}

fn main() {
    let _ = dh1(&Matrix::zeros(), &Vector::zeros());
}
