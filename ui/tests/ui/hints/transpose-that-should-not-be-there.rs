// W·x written as Wᵀ·x: the `.t()` is the slip.
use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; }

fn layer(w: &Matrix<H, D>, x: &Vector<D>) -> Vector<H> {
    w.t() * x
}

fn main() {
    let _ = layer(&Matrix::zeros(), &Vector::zeros());
}
