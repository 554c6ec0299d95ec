// A [M×N] weight passed where a [N×M] one is expected: M and N have the same
// size, so only their names tell them apart.
use shapegrad::prelude::*;

dims! { pub M = 4; pub N = 4; }

fn encode(w: &Matrix<M, N>, x: &Vector<N>) -> Vector<M> {
    w * x
}

fn main() {
    let w = Matrix::<N, M>::zeros();
    let _ = encode(&w, &Vector::zeros());
}
