use shapegrad::prelude::*;

dims! { pub H = 16; pub C = 4; }

fn main() {
    let h = Vector::<H>::zeros();
    let c = Vector::<C>::zeros();
    let _ = h.dot(&c);
}
