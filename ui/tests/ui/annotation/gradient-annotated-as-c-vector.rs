// Homework problem 3(c): ∂L/∂z₁ annotated "∈ ℝ^C" when it is in ℝ^H.
use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; }

fn main() {
    let w2 = Matrix::<C, H>::zeros();
    let dz2 = Vector::<C>::zeros();
    let swish_prime = Vector::<H>::zeros();
    let dz1: Vector<C> = (w2.t() * &dz2).hadamard(&swish_prime);
    let _ = dz1;
}
