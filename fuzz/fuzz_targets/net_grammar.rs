//! `net!` on nets a small grammar builds from the fuzzer's bytes: random
//! dims (names, literals and their sums of multiples), shapes of one to four
//! dims, params, inputs, index inputs, labels, lets over every function and
//! operator with deep nesting, row lookups and slices, dims as numbers,
//! named arguments, maps over steps (`for t in T { let l[t] = …; }`, with
//! `z[t]`, `z[t - 1]` and temporaries), loops over time (`init h = …;`,
//! `h[t - k]`, `h[t + 1]`), outputs, losses, `grad` lines and
//! `grad x;`, valid and invalid. Analysis and expansion must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

struct Bytes<'a>(&'a [u8], usize);

impl Bytes<'_> {
    fn next(&mut self) -> u8 {
        let b = self.0.get(self.1).copied().unwrap_or(0);
        self.1 += 1;
        b
    }
    fn pick<'s>(&mut self, options: &[&'s str]) -> &'s str {
        options[usize::from(self.next()) % options.len()]
    }
    fn done(&self) -> bool {
        self.1 >= self.0.len()
    }
}

const DIMS: &[&str] = &["H", "W", "C", "D", "K", "F", "1", "2", "3", "8", "_", "4 * H", "H + D", "2 * H - 1", "0"];
const NAMES: &[&str] = &["x", "y", "W1", "b1", "K1", "g", "s", "a", "h", "z", "t"];
const FUNCS: &[&str] = &[
    "sigmoid",
    "tanh",
    "relu",
    "swish",
    "exp",
    "log",
    "sqrt",
    "square",
    "abs",
    "sum",
    "mean",
    "softmax",
    "log_softmax",
    "logsumexp",
    "norm",
    "trace",
    "sum_rows",
    "sum_cols",
    "onehot",
    "flatten",
    "elu",
    "softplus",
    "gelu",
    "log_sigmoid",
    "hardswish",
    "hardtanh",
    "relu6",
    "silu",
    "mish",
    "softsign",
    "hardsigmoid",
    "gate",
];
const BINARY: &[&str] = &[
    "max",
    "min",
    "dot",
    "mse",
    "softmax_cross_entropy",
    "svm",
    "maxpool2d",
    "avgpool2d",
    "dropout",
    "leaky_relu",
    "pow",
];
const TERNARY: &[&str] = &["conv2d", "batchnorm", "layernorm"];
const OPS: &[&str] = &[" @ ", " * ", " + ", " - ", " / "];

fn shape(b: &mut Bytes) -> String {
    let n = usize::from(b.next()) % 5;
    let dims: Vec<&str> = (0..n).map(|_| b.pick(DIMS)).collect();
    format!("[{}]", dims.join(", "))
}

fn expr(b: &mut Bytes, depth: u32) -> String {
    if depth > 6 || b.done() {
        return b.pick(NAMES).to_string();
    }
    match b.next() % 8 {
        0 => b.pick(NAMES).to_string(),
        1 => format!("{}.{}", b.next() % 10, b.next() % 10),
        2 => format!("{}({})", b.pick(FUNCS), expr(b, depth + 1)),
        3 => format!("{}({}, {})", b.pick(BINARY), expr(b, depth + 1), expr(b, depth + 1)),
        4 => {
            let named = match b.next() % 4 {
                0 => ", stride = 2",
                1 => ", pad = 1",
                2 => ", stride = 0, pad = 3",
                _ => "",
            };
            format!(
                "{}({}, {}, {}{named})",
                b.pick(TERNARY),
                expr(b, depth + 1),
                expr(b, depth + 1),
                expr(b, depth + 1)
            )
        }
        5 => match b.next() % 4 {
            0 if b.next() % 2 == 0 => format!("{}[{}]", expr(b, depth + 1), b.pick(DIMS)),
            0 if b.next() % 2 == 0 => format!("{}[{}]", expr(b, depth + 1), b.pick(NAMES)),
            0 if b.next() % 2 == 0 => format!("{}[t - 1]", expr(b, depth + 1)),
            0 => format!("{}[t {} {}]", b.pick(NAMES), b.pick(&["-", "+"]), b.pick(&["1", "2", "0", "T"])),
            1 => format!("{}[{}..{}]", expr(b, depth + 1), b.pick(DIMS), b.pick(DIMS)),
            2 => b.pick(DIMS).to_string(),
            _ => format!("({})", expr(b, depth + 1)),
        },
        6 => format!("-{}.T", expr(b, depth + 1)),
        _ => format!("{}{}{}", expr(b, depth + 1), b.pick(OPS), expr(b, depth + 1)),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data, 0);
    let mut body = String::new();
    let statements = 1 + usize::from(b.next()) % 12;
    for _ in 0..statements {
        let name = b.pick(NAMES);
        body += &match b.next() % 8 {
            0 | 1 => format!("param {name}: {};\n", shape(&mut b)),
            2 if b.next() % 3 == 0 => format!("input {name}: {};\n", b.pick(DIMS)),
            2 if b.next() % 3 == 0 => format!("input {name}: [{}] of {};\n", b.pick(DIMS), b.pick(DIMS)),
            2 => format!("input {name}: {};\n", shape(&mut b)),
            3 if b.next() % 2 == 0 => format!("label {name}: [{}] of {};\n", b.pick(DIMS), b.pick(DIMS)),
            3 => format!("label {name}: {};\n", b.pick(DIMS)),
            4 | 5 => format!("let {name} = {};\n", expr(&mut b, 0)),
            6 if b.next() % 4 == 0 => format!("fn gate({name}) = {};\n", expr(&mut b, 0)),
            // A layer, valid or not, and instances of it (called as `L(x)` by `expr`'s names).
            6 if b.next() % 4 == 0 => {
                let dims = if b.next() % 2 == 0 { "<I, O>" } else { "" };
                let (p, v) = (shape(&mut b), expr(&mut b, 1));
                // One argument, or two (a stack gives its second to every member).
                let args = if b.next() % 3 == 0 {
                    format!("{}, {}", b.pick(NAMES), b.pick(NAMES))
                } else {
                    b.pick(NAMES).to_string()
                };
                format!("layer {name}{dims}({args}) {{\n    param {}: {p};\n    {v}\n}}\n", b.pick(NAMES))
            }
            6 if b.next() % 3 == 0 => {
                let dims = if b.next() % 2 == 0 { format!("<{}, {}>", b.pick(DIMS), b.pick(DIMS)) } else { String::new() };
                // An instance, or a stack of them (`[L; n]`, `n` possibly 0).
                let layer = format!("{}{dims}", b.pick(NAMES));
                let ty = if b.next() % 2 == 0 { format!("[{layer}; {}]", b.next() % 4) } else { layer };
                format!("param {name}: {ty};\nlet {} = {name}({});\n", b.pick(NAMES), expr(&mut b, 1))
            }
            6 => format!("loss {};\n", expr(&mut b, 0)),
            7 if b.next() % 2 == 0 => {
                let mut lets = String::new();
                // States of a loop over time, valid or not.
                for _ in 0..b.next() % 3 {
                    lets += &format!("    init {} = {};\n", b.pick(NAMES), expr(&mut b, 0));
                }
                for _ in 0..1 + b.next() % 3 {
                    let (name, step) = (b.pick(NAMES), if b.next() % 3 == 0 { "" } else { "[t]" });
                    lets += &format!("    let {name}{step} = {};\n", expr(&mut b, 0));
                }
                format!("for {} in {} {{\n{lets}}}\n", b.pick(NAMES), b.pick(DIMS))
            }
            _ if b.next() % 4 == 0 => format!("grad {name};\n"),
            _ => format!("grad {name} = {};\n", expr(&mut b, 0)),
        };
    }
    if b.next() % 2 == 0 {
        body += &format!("output {};\n", b.pick(NAMES));
    }
    let source = format!("net N {{\n{body}}}");
    let _ = shapegrad_dsl::analyze_source(&source);
    if let Ok(tokens) = source.parse::<proc_macro2::TokenStream>() {
        let _ = shapegrad_dsl::expand_net(tokens);
    }
});
