use shapegrad::prelude::*;

dims! { pub H = 16; pub C = 4; pub K = 16; }

fn main() {
    let h = Vector::<H>::zeros();
    let _ok: Vector<K> = h.clone().rename_rows::<K>();
    let _bad: Vector<C> = h.rename_rows::<C>();
}
