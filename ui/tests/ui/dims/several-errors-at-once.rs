use shapegrad::prelude::*;

dims! {
    pub H = 0;
    pub D = 4u8;
    pub C = 10;
    pub C = 12;
}

fn main() {
    // C is still declared, so this line adds no follow-on error.
    let _ = Vector::<C>::zeros();
}
