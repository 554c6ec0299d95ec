// z₁ = W₁x + b with a bias of the input's size instead of the hidden size.
use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; }

fn main() {
    let w1 = Matrix::<H, D>::zeros();
    let x = Vector::<D>::zeros();
    let b = Vector::<D>::zeros();
    let _z1 = &w1 * &x + &b;
}
