//! The MNIST IDX reader on arbitrary bytes, plain or gzip: the first four
//! bytes (little-endian) say where the images file ends and the labels file
//! begins.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (head, rest) = data.split_at(4);
    let cut = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize % (rest.len() + 1);
    let (images, labels) = rest.split_at(cut);
    let _ = shapegrad::data::mnist::from_bytes(images, labels);
});
