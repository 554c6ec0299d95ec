use shapegrad::prelude::*;

dims! { pub H = 16; pub C = 4; }

fn main() {
    let dh = Vector::<H>::zeros();
    let z = Vector::<C>::zeros();
    let _ = dh.hadamard(&z);
}
