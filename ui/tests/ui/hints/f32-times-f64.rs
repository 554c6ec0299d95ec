// An f32 weight matrix times an f64 input.
use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; }

fn main() {
    let w = Matrix::<H, D, f32>::zeros();
    let x = Vector::<D, f64>::zeros();
    let _z = &w * &x;
}
