use shapegrad::prelude::*;

dims! { C = 1; H = 8; W = 6; F = 4; }

net! {
    net Residual {
        param K1: [F, C, 3, 3];
        param b1: [F];
        param r: [F, W, H];
        input x: [C, H, W];
        let z1 = conv2d(x, K1, b1, pad = 1);
        loss sum(z1 + r);
    }
}

net! {
    net Cnn {
        param K1: [F, C, 3, 3];
        param b1: [F];
        input x: [C, H, W];
        let z1 = conv2d(x, K1, b1, pad = 1);
        output z1;
        loss sum(z1);
    }
}

fn main() {
    let net = Cnn::init(0);
    let image = Tensor3::<C, W, H>::zeros();
    let _ = net.forward(&image);
}
