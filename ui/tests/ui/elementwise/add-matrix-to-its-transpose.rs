use shapegrad::prelude::*;

dims! { pub M = 3; pub N = 5; }

fn main() {
    let w = Matrix::<M, N>::zeros();
    let _ = &w + &w.t();
}
