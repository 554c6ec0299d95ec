use shapegrad::prelude::*;

dims! { pub M = 3; pub N = 5; }

fn main() {
    let a = Vector::<M>::zeros();
    let x = Vector::<N>::zeros();
    let _ = &a - &x;
}
