use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub B = 32; }

fn main() {
    let w1 = Matrix::<H, D>::zeros();
    let xs = Matrix::<D, B>::zeros();
    let b1 = Vector::<D>::zeros();
    let _z1 = (&w1 * &xs).add_bias(&b1);
}
