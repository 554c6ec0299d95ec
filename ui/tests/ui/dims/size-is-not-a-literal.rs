use shapegrad::prelude::*;

const SIZE: usize = 3;

dims! { pub H = SIZE; }

fn main() {}
