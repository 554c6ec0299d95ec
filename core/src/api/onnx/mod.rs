//! ONNX export of a net's forward pass: `net!` generates
//! `to_onnx()` and `export_onnx(path)`, which build the graph of
//! `forward_batch` with the [`Graph`] builder here, node by node, each op
//! writing its own nodes (its entry in `net!`'s registry says how).
//!
//! The exported model takes and returns batches the way PyTorch does, the
//! example index first: an input `x: [D]` is an ONNX input `x` of shape
//! `[N, D]` (`N` free), an image input `[C, H, W]` is `[N, C, H, W]`, and
//! each output is `[N, …]` under its name in the net. Inside, values keep the
//! batched methods' layout, one example per column. A net whose batched
//! methods loop over its examples (per-example matrices, sequences of
//! tokens) is exported as a `Scan` over the batch ([`Graph::scan`]) whose
//! body is its per-example graph: a per-example matrix input `[T, D]` is an
//! input `[N, T, D]`, a sequence of tokens an `int64` `[N, T]`. Params are initializers
//! named as in the net and in its safetensors file (`W1`, `b1`; a vector
//! param as an `[N, 1]` column; batchnorm statistics as `a1.running_mean`);
//! opset 13.
//!
//! The protobuf encoding is prost's, over the messages of ONNX's
//! `onnx.proto` that an exported model uses ([`proto`]).

pub mod proto;

use prost::Message;

use crate::Scalar;
use crate::optim::{ParamRef, Params};

use proto::{
    AttributeProto, Dimension, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, TypeTensor, ValueInfoProto, dimension,
};

/// ONNX's element type `FLOAT`.
const FLOAT: i32 = 1;
/// ONNX's element type `INT64`.
const INT64: i32 = 7;

/// An attribute of a node.
#[derive(Clone, Debug)]
pub enum Attr {
    /// An integer.
    Int(&'static str, i64),
    /// A list of integers.
    Ints(&'static str, Vec<i64>),
    /// A number.
    Float(&'static str, f32),
}

impl Attr {
    fn proto(self) -> AttributeProto {
        match self {
            Attr::Int(name, i) => AttributeProto { name: name.into(), r#type: 2, i, ..Default::default() },
            Attr::Ints(name, ints) => {
                AttributeProto { name: name.into(), r#type: 7, ints, ..Default::default() }
            }
            Attr::Float(name, f) => AttributeProto { name: name.into(), r#type: 1, f, ..Default::default() },
        }
    }
}

/// An ONNX graph being built: each method adds nodes and returns the name
/// of the value it produced.
pub struct Graph {
    name: String,
    graph: GraphProto,
    next: usize,
    /// Prefixed to every generated name: a body's names never meet its
    /// outer graph's (ONNX wants them unique across both).
    prefix: &'static str,
}

fn value_info(name: &str, dims: &[Option<usize>]) -> ValueInfoProto {
    typed_value_info(name, dims, FLOAT)
}

fn typed_value_info(name: &str, dims: &[Option<usize>], elem_type: i32) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Some(n) => dimension::Value::DimValue(*n as i64),
                None => dimension::Value::DimParam("N".into()),
            }),
        })
        .collect();
    let tensor = TypeTensor { elem_type, shape: Some(TensorShapeProto { dim }) };
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto { value: Some(proto::type_proto::Value::TensorType(tensor)) }),
    }
}

impl Graph {
    /// An empty graph for net `name`.
    pub fn new(name: &str) -> Self {
        Graph {
            name: name.into(),
            graph: GraphProto { name: name.into(), ..Default::default() },
            next: 0,
            prefix: "",
        }
    }

    fn fresh(&mut self, op: &str) -> String {
        self.next += 1;
        format!("{}{}_{}", self.prefix, op.to_lowercase(), self.next)
    }

    /// A param (or other constant tensor) named `name`, of shape `dims`.
    pub fn initializer(
        &mut self,
        name: &str,
        dims: &[usize],
        values: impl IntoIterator<Item = f32>,
    ) -> String {
        self.graph.initializer.push(TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: FLOAT,
            float_data: values.into_iter().collect(),
            name: name.into(),
            ..Default::default()
        });
        name.into()
    }

    /// An unnamed constant.
    pub fn constant(&mut self, dims: &[usize], values: impl IntoIterator<Item = f32>) -> String {
        let name = self.fresh("const");
        self.initializer(&name, dims, values)
    }

    fn ints(&mut self, values: &[i64]) -> String {
        let name = self.fresh("shape");
        self.graph.initializer.push(TensorProto {
            dims: vec![values.len() as i64],
            data_type: INT64,
            int64_data: values.to_vec(),
            name: name.clone(),
            ..Default::default()
        });
        name
    }

    /// A node `op` on `inputs` with `attrs`; its output's name.
    pub fn op(&mut self, op: &str, inputs: &[&str], attrs: Vec<Attr>) -> String {
        let out = self.fresh(op);
        self.graph.node.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![out.clone()],
            name: out.clone(),
            op_type: op.into(),
            attribute: attrs.into_iter().map(Attr::proto).collect(),
            ..Default::default()
        });
        out
    }

    /// `x` reshaped to `shape` (`-1`: what is left, the batch).
    pub fn reshape(&mut self, x: &str, shape: &[i64]) -> String {
        let shape = self.ints(shape);
        self.op("Reshape", &[x, &shape], vec![])
    }

    /// A matrix's transpose.
    pub fn transpose(&mut self, x: &str) -> String {
        self.op("Transpose", &[x], vec![Attr::Ints("perm", vec![1, 0])])
    }

    /// The graph input `name` of shape `[N, dims…]` (a vector per example:
    /// one dim; an image: three), as the batched layout `[∏dims, N]`.
    pub fn input(&mut self, name: &str, dims: &[usize]) -> String {
        let mut shape = vec![None];
        shape.extend(dims.iter().map(|&d| Some(d)));
        self.graph.input.push(value_info(name, &shape));
        let rows: usize = dims.iter().product();
        let flat = if dims.len() == 1 { name.to_string() } else { self.reshape(name, &[-1, rows as i64]) };
        self.transpose(&flat)
    }

    /// The graph input `name` of index inputs (`input w: V;`), `int64` of
    /// shape `[N]`, one index per example.
    pub fn index_input(&mut self, name: &str) -> String {
        self.graph.input.push(typed_value_info(name, &[None], INT64));
        name.into()
    }

    /// Rows `indices` (`[N]`, `int64`) of `table` (`[V, M]`), in the batched
    /// layout `[M, N]`: `E[w]` for each example.
    pub fn gather_rows(&mut self, table: &str, indices: &str) -> String {
        let rows = self.op("Gather", &[table, indices], vec![Attr::Int("axis", 0)]);
        self.transpose(&rows)
    }

    /// Rows `start..end` of `x` (the batched layout `[R, N]`): a slice.
    pub fn slice_rows(&mut self, x: &str, start: usize, end: usize) -> String {
        let (starts, ends, axes) = (self.ints(&[start as i64]), self.ints(&[end as i64]), self.ints(&[0]));
        self.op("Slice", &[x, &starts, &ends, &axes], vec![])
    }

    /// Step `t` of a batch of sequences of indices (`int64` `[N, T]`): `[N]`.
    pub fn step_indices(&mut self, seq: &str, t: usize) -> String {
        let at = self.ints(&[t as i64]);
        let column = self.op("Gather", &[seq, &at], vec![Attr::Int("axis", 1)]);
        self.reshape(&column, &[-1])
    }

    /// The values of every step, `[R, N]` each, stacked as `T` blocks of
    /// rows: a batch of sequences in the batched layout `[T·R, N]`.
    pub fn stack_rows(&mut self, steps: &[String]) -> String {
        let parts: Vec<&str> = steps.iter().map(String::as_str).collect();
        self.op("Concat", &parts, vec![Attr::Int("axis", 0)])
    }

    /// The graph output `name` of shape `[N, dims…]`, from `value` in the
    /// batched layout `[∏dims, N]`.
    pub fn output(&mut self, name: &str, value: &str, dims: &[usize]) {
        let rows = self.transpose(value);
        let mut shape: Vec<i64> = vec![-1];
        shape.extend(dims.iter().map(|&d| d as i64));
        let shape = self.ints(&shape);
        self.graph.node.push(NodeProto {
            input: vec![rows, shape],
            output: vec![name.into()],
            name: format!("output_{name}"),
            op_type: "Reshape".into(),
            ..Default::default()
        });
        let mut info = vec![None];
        info.extend(dims.iter().map(|&d| Some(d)));
        self.graph.output.push(value_info(name, &info));
    }

    /// `op` (`Conv`, `MaxPool`, `AveragePool`) on a batch of images `x`
    /// (`[C·H·W, N]`) of `[c, h, w]` per example, with `more` inputs (a
    /// kernel, a bias) and `attrs`; the result in the batched layout.
    pub fn on_images(
        &mut self,
        op: &str,
        x: &str,
        [c, h, w]: [usize; 3],
        more: &[&str],
        attrs: Vec<Attr>,
    ) -> String {
        let rows = self.transpose(x);
        let images = self.reshape(&rows, &[-1, c as i64, h as i64, w as i64]);
        let mut inputs = vec![images.as_str()];
        inputs.extend(more);
        let out = self.op(op, &inputs, attrs);
        let flat = self.reshape(&out, &[0, -1]);
        self.transpose(&flat)
    }

    /// An empty graph for the body of a [`Graph::scan`] over the examples:
    /// per-example values, in the per-example layout (a vector a column
    /// `[R, 1]`, a per-example matrix `[R, C]`).
    pub fn body(name: &str) -> Self {
        Graph { prefix: "step_", ..Graph::new(name) }
    }

    /// The graph input `name` of shape `[N, dims…]`, batch-first, as is
    /// (`int64` for indices): what a `Scan` reads one example of at a time.
    pub fn batch_input(&mut self, name: &str, dims: &[usize], int64: bool) -> String {
        let mut shape = vec![None];
        shape.extend(dims.iter().map(|&d| Some(d)));
        self.graph.input.push(typed_value_info(name, &shape, if int64 { INT64 } else { FLOAT }));
        name.into()
    }

    /// A body's input `name`: one example, of shape `dims`.
    pub fn example_input(&mut self, name: &str, dims: &[usize], int64: bool) -> String {
        let shape: Vec<Option<usize>> = dims.iter().map(|&d| Some(d)).collect();
        self.graph.input.push(typed_value_info(name, &shape, if int64 { INT64 } else { FLOAT }));
        name.into()
    }

    /// A body's output `name`: `value` reshaped to `dims`, one example.
    pub fn example_output(&mut self, name: &str, value: &str, dims: &[usize]) {
        let shape: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
        let shape = self.ints(&shape);
        self.graph.node.push(NodeProto {
            input: vec![value.into(), shape],
            output: vec![name.into()],
            name: format!("{}output_{name}", self.prefix),
            op_type: "Reshape".into(),
            ..Default::default()
        });
        let info: Vec<Option<usize>> = dims.iter().map(|&d| Some(d)).collect();
        self.graph.output.push(value_info(name, &info));
    }

    /// A `Scan` of `body` over the first axis of `inputs` (each `[N, …]`),
    /// its outputs stacked into the graph outputs `outputs` (`[N, dims…]`).
    /// The body's constants move to this graph (a body may read the outer
    /// graph's values, the params among them, by name).
    pub fn scan(&mut self, mut body: Graph, inputs: &[&str], outputs: &[(&str, &[usize])]) {
        self.graph.initializer.append(&mut body.graph.initializer);
        let body =
            AttributeProto { name: "body".into(), r#type: 5, g: Some(body.graph), ..Default::default() };
        let count = Attr::Int("num_scan_inputs", inputs.len() as i64).proto();
        self.graph.node.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.iter().map(|(n, _)| n.to_string()).collect(),
            name: "scan".into(),
            op_type: "Scan".into(),
            attribute: vec![body, count],
            ..Default::default()
        });
        for (name, dims) in outputs {
            let mut shape = vec![None];
            shape.extend(dims.iter().map(|&d| Some(d)));
            self.graph.output.push(value_info(name, &shape));
        }
    }

    /// The model's bytes: ONNX IR 8, opset 13.
    pub fn to_bytes(self) -> Vec<u8> {
        let model = ModelProto {
            ir_version: 8,
            opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 13 }],
            producer_name: "shapegrad".into(),
            producer_version: env!("CARGO_PKG_VERSION").into(),
            doc_string: format!("the forward pass of the net `{}`", self.name),
            graph: Some(self.graph),
            ..Default::default()
        };
        model.encode_to_vec()
    }
}

/// The initializers of every param and state tensor of `net`, named as in
/// its safetensors file; a vector as a column `[N, 1]`, which broadcasts
/// over the batch's columns.
pub fn params<T: Scalar, P: Params<T>>(g: &mut Graph, net: &P) {
    let mut add = |p: ParamRef<'_, T>| {
        let dims = match p.shape.dims() {
            [] => vec![1, 1],
            [n] => vec![*n, 1],
            dims => dims.to_vec(),
        };
        g.initializer(p.name, &dims, p.values.iter().map(|v| v.to_f64() as f32));
    };
    net.visit(&mut add);
    net.visit_state(&mut add);
}

/// `(x − mean)/√(var + eps)` of each column of `x` (biased variance).
pub fn normalize_columns(g: &mut Graph, x: &str, eps: f32) -> String {
    let mean_attrs = || vec![Attr::Ints("axes", vec![0]), Attr::Int("keepdims", 1)];
    let mean = g.op("ReduceMean", &[x], mean_attrs());
    let d = g.op("Sub", &[x, &mean], vec![]);
    let sq = g.op("Mul", &[&d, &d], vec![]);
    let var = g.op("ReduceMean", &[&sq], mean_attrs());
    let eps = g.constant(&[1, 1], [eps]);
    let shifted = g.op("Add", &[&var, &eps], vec![]);
    let sd = g.op("Sqrt", &[&shifted], vec![]);
    g.op("Div", &[&d, &sd], vec![])
}

/// Batchnorm in evaluation: `(x − μ)/√(σ² + eps)·γ + β` with the running
/// statistics `μ`, `σ²` (named), per row of `x`, or, with `channels =
/// Some((C, H·W))`, per channel of images (rows `c·H·W ..`).
pub fn batchnorm(
    g: &mut Graph,
    [x, gamma, beta, mean, var]: [&str; 5],
    channels: Option<(usize, usize)>,
    eps: f32,
) -> String {
    let eps = g.constant(&[1, 1], [eps]);
    let shifted = g.op("Add", &[var, &eps], vec![]);
    let sd = g.op("Sqrt", &[&shifted], vec![]);
    let scale = g.op("Div", &[gamma, &sd], vec![]);
    let times_mean = g.op("Mul", &[mean, &scale], vec![]);
    let shift = g.op("Sub", &[beta, &times_mean], vec![]);
    match channels {
        None => {
            let scaled = g.op("Mul", &[x, &scale], vec![]);
            g.op("Add", &[&scaled, &shift], vec![])
        }
        Some((c, hw)) => {
            let (c, hw) = (c as i64, hw as i64);
            let x3 = g.reshape(x, &[c, hw, -1]);
            let scale3 = g.reshape(&scale, &[c, 1, 1]);
            let shift3 = g.reshape(&shift, &[c, 1, 1]);
            let scaled = g.op("Mul", &[&x3, &scale3], vec![]);
            let y = g.op("Add", &[&scaled, &shift3], vec![]);
            g.reshape(&y, &[c * hw, -1])
        }
    }
}

/// GELU in its tanh form, `x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))/2`.
pub fn gelu_tanh(g: &mut Graph, x: &str) -> String {
    let (k, a, half) = (
        g.constant(&[1, 1], [(2.0 / core::f32::consts::PI).sqrt()]),
        g.constant(&[1, 1], [0.044_715]),
        g.constant(&[1, 1], [0.5]),
    );
    let x2 = g.op("Mul", &[x, x], vec![]);
    let x3 = g.op("Mul", &[&x2, x], vec![]);
    let ax3 = g.op("Mul", &[&a, &x3], vec![]);
    let inner = g.op("Add", &[x, &ax3], vec![]);
    let scaled = g.op("Mul", &[&k, &inner], vec![]);
    let t = g.op("Tanh", &[&scaled], vec![]);
    let one = g.constant(&[1, 1], [1.0]);
    let onep = g.op("Add", &[&one, &t], vec![]);
    let xo = g.op("Mul", &[x, &onep], vec![]);
    g.op("Mul", &[&xo, &half], vec![])
}
