// swish(z) written as z * σ(z): `*` is the matrix product, the elementwise one is `hadamard`.
use shapegrad::prelude::*;

dims! { pub H = 16; }

fn swish(z: &Vector<H>) -> Vector<H> {
    z * z.sigmoid()
}

fn main() {
    let _ = swish(&Vector::zeros());
}
