// The contract's transformer block (DESIGN.md, "Contract, third part"),
// written once for the tests and benchmarks that need it: `include!`d where
// dims `V`, `D`, `F` and `T` are in scope (and shapegrad's prelude).
net! {
    /// A pre-LN transformer block, causal single-head attention, next-token loss.
    pub net ContractBlock {
        param E: [V, D];
        param P: [T, D];
        param g1: [D];
        param s1: [D];
        param Wq: [D, D];
        param Wk: [D, D];
        param Wv: [D, D];
        param Wo: [D, D];
        param g2: [D];
        param s2: [D];
        param W1: [F, D];
        param b1: [F];
        param W2: [D, F];
        param b2: [D];
        param Wy: [V, D];
        input ws: [T] of V;
        input mask: [T, T];
        label ys: [T] of V;
        let x = E[ws] + P;
        let h = layernorm(x, g1, s1);
        let q = h @ Wq.T;
        let k = h @ Wk.T;
        let v = h @ Wv.T;
        let a = softmax(0.125 * (k @ q.T) + mask);
        let r = x + a.T @ v @ Wo.T;
        let f = relu(layernorm(r, g2, s2) @ W1.T + b1) @ W2.T + b2;
        let z = (r + f) @ Wy.T;
        for t in T {
            let l[t] = softmax_cross_entropy(z[t], ys[t]);
        }
        output z;
        loss mean(l);
    }
}
