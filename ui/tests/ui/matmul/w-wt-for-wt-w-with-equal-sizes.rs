// Homework problem 1: L = ½‖WᵀWx − x‖² with W ∈ ℝ^{M×N}. Writing W Wᵀ for
// Wᵀ W is caught even though M and N have the same size.
use shapegrad::prelude::*;

dims! { pub M = 4; pub N = 4; }

fn main() {
    let w = Matrix::<M, N>::zeros();
    let x = Vector::<N>::zeros();
    let _v = &(&w * &w.t()) * &x - &x;
}
