//! Runs an ONNX model with rten, except its depthwise convolutions, which run on our own kernel
//! ([`depthwise`]).
//!
//! rten (0.27) computes depthwise convolutions one multiply at a time; in the mobile networks we
//! use they are about half of all the time (PP-OCRv5 recognition, 48×1280 strip, one core:
//! 147 of 256 ms of convolutions; CenterFace at 1920×1088: ~370 of 760 ms). rten has no way to
//! register an operator from outside the crate, so [`Network::load`] cuts the model's graph at
//! each depthwise convolution: the runs of other nodes between them become small models that
//! rten loads from bytes written here ([`onnx_wire`]), and the convolutions become steps that
//! call the kernel. A step's inputs are looked up by name among the values computed so far,
//! and each value is dropped after its last use.
//!
//! The elementwise layers next to each depthwise convolution that nothing else reads (bias,
//! scale and shift, hard swish, batch norm, ReLU) are computed in its step too
//! ([`depthwise::Elementwise`]), instead of as a pass of their own over the whole tensor.
//!
//! Used cut: the text detector, the text recogniser and the face model ([`Network::whole`]
//! runs a model as rten loads it, for tests to compare).

pub mod depthwise;
pub mod head;
pub mod onnx_wire;
pub mod pointwise;

use std::collections::{HashMap, HashSet};

use rten::{Model, NodeId, Value, ValueOrView};
use rten_tensor::prelude::*;
use rten_tensor::Tensor;

use depthwise::{DepthwiseConv, Elementwise};
use head::Head;
use pointwise::PointwiseConv;

/// Where a model's pointwise (and 3×3) convolutions are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pointwise {
    /// rten's kernel (natively its AVX2/FMA one is faster than ours).
    Rten,
    /// Ours ([`pointwise`]), in floats.
    Floats,
    /// Ours, with the layers of at least 120 input and output channels in integers
    /// ([`PointwiseConv::quantised`]: weights in 12 bits, each pixel's input in as many bits as
    /// keep the sums inside 32, 11 at 480 input rows); the others in floats (see [`pointwise`]).
    Integers,
}

/// Layers with at least this many input and output channels run in integers
/// ([`Pointwise::Integers`]).
const WIDE_CHANNELS: usize = 120;

impl Pointwise {
    /// What [`Network::load`] uses: integers in WebAssembly, rten natively, unless
    /// `KURONURI_POINTWISE` says `integers` (as in the page), `floats` or `rten`.
    pub fn by_default() -> Pointwise {
        match std::env::var("KURONURI_POINTWISE").as_deref() {
            Ok("integers") => Pointwise::Integers,
            Ok("floats") => Pointwise::Floats,
            Ok("rten") => Pointwise::Rten,
            _ if cfg!(target_arch = "wasm32") => Pointwise::Integers,
            _ => Pointwise::Rten,
        }
    }
}

enum Step {
    /// A piece of the graph run by rten.
    Piece {
        model: Model,
        inputs: Vec<(String, NodeId)>,
        outputs: Vec<(String, NodeId)>,
    },
    /// A convolution on our own kernels.
    Conv {
        input: String,
        output: String,
        conv: Conv,
    },
}

impl Step {
    /// What the step computed, for KURONURI_PROFILE: its kind and its outputs' shapes.
    fn describe(&self, values: &HashMap<String, Value>) -> String {
        let shape = |name: &String| {
            values
                .get(name)
                .and_then(|v| {
                    v.as_tensor_view::<f32>()
                        .map(|t| format!("{:?}", t.shape()))
                })
                .unwrap_or_default()
        };
        match self {
            Step::Piece { outputs, .. } => {
                let shapes: Vec<String> = outputs.iter().map(|(n, _)| shape(n)).collect();
                format!("rten piece -> {}", shapes.join(", "))
            }
            Step::Conv { output, conv, .. } => {
                let kind = match conv {
                    Conv::Depthwise(_) => "depthwise",
                    Conv::Pointwise(c) if c.kernel == 3 => "3x3 convolution",
                    Conv::Pointwise(_) => "pointwise",
                    Conv::Head(_) => "head",
                };
                format!("{kind} -> {}", shape(output))
            }
        }
    }
}

/// The convolutions our kernels compute.
enum Conv {
    Depthwise(DepthwiseConv),
    Pointwise(PointwiseConv),
    /// Not a convolution: the recogniser's output layer ([`head`]), which reads and writes one
    /// value as the convolutions do.
    Head(Head),
}

impl Conv {
    /// The convolution of `value` (`n × c × h × w` floats), written into `out`'s memory.
    fn run(&self, value: &Value, mut out: Vec<f32>) -> Result<Value, String> {
        let (what, channels) = match self {
            Conv::Depthwise(c) => ("depthwise", c.channels),
            Conv::Pointwise(c) => ("pointwise", c.in_channels),
            Conv::Head(head) => {
                let view = value
                    .as_tensor_view::<f32>()
                    .ok_or("output layer: the input is not a float tensor")?;
                let &[n, t, k] = view.shape() else {
                    return Err(format!("output layer: input of shape {:?}", view.shape()));
                };
                if k != head.inputs {
                    return Err(format!(
                        "output layer: {k} features given to weights for {}",
                        head.inputs
                    ));
                }
                head.run_into(view.to_contiguous().data(), n * t, &mut out)?;
                return Ok(Tensor::from_data(&[n, t, head.outputs], out).into());
            }
        };
        let view = value
            .as_tensor_view::<f32>()
            .ok_or_else(|| format!("{what} convolution: the input is not a float tensor"))?;
        let &[n, c, h, w] = view.shape() else {
            return Err(format!(
                "{what} convolution: input of shape {:?}",
                view.shape()
            ));
        };
        if c != channels {
            return Err(format!(
                "{what} convolution: {c} channels given to a filter for {channels}"
            ));
        }
        let contiguous = view.to_contiguous();
        let data = contiguous.data();
        match self {
            Conv::Depthwise(conv) => {
                conv.run_into(data, n, h, w, &mut out)?;
                let (oh, ow) = conv.output_size(h, w).expect("checked by run");
                Ok(Tensor::from_data(&[n, c, oh, ow], out).into())
            }
            Conv::Pointwise(conv) => {
                conv.run_image_into(data, n, h, w, &mut out)?;
                Ok(Tensor::from_data(&[n, conv.out_channels, h, w], out).into())
            }
            Conv::Head(_) => unreachable!("computed above"),
        }
    }
}

/// A model ready to run.
pub struct Network {
    steps: Vec<Step>,
    /// Per step, the values no later step (nor the caller) needs.
    drop_after: Vec<Vec<String>>,
    inputs: Vec<String>,
    outputs: Vec<String>,
    /// The model's nodes computed inside depthwise steps besides the convolutions themselves.
    folded: usize,
}

/// A `Conv` node's constant weight and bias (one per output channel, if it has one), when the
/// node is one our kernels may take: a value convolved by constants, no attribute besides
/// group, dilations, kernel_shape, strides and pads (auto_pad, a string, means "not ours").
fn conv_node(
    node: &onnx_wire::Node,
    initializers: &HashMap<&str, &onnx_wire::Initializer>,
) -> Option<(onnx_wire::FloatTensor, Option<Vec<f32>>)> {
    let known = ["group", "dilations", "kernel_shape", "strides", "pads"];
    if node.op_type != "Conv"
        || !(node.domain.is_empty() || node.domain == "ai.onnx")
        || !node.other_attrs.is_empty()
        || !node.float_attrs.is_empty()
        || !(2..=3).contains(&node.inputs.len())
        || node.outputs.len() != 1
        || initializers.contains_key(node.inputs[0].as_str())
        || node
            .int_attrs
            .iter()
            .any(|(n, _)| !known.contains(&n.as_str()))
    {
        return None;
    }
    let weight = initializers.get(node.inputs[1].as_str())?.floats()?;
    let bias = match node.inputs.get(2) {
        Some(name) if !name.is_empty() => {
            let b = initializers.get(name.as_str())?.floats()?;
            (b.dims[..] == weight.dims[..1]).then_some(b.data)?.into()
        }
        _ => None,
    };
    Some((weight, bias))
}

/// The depthwise convolution a node is, if it is one the kernel computes.
fn as_depthwise(
    node: &onnx_wire::Node,
    initializers: &HashMap<&str, &onnx_wire::Initializer>,
) -> Option<DepthwiseConv> {
    let (weight, bias) = conv_node(node, initializers)?;
    let &[channels, 1, kernel, kernel_w] = &weight.dims[..] else {
        return None;
    };
    let ints = |name: &str, default: &[i64]| node.ints(name).unwrap_or(default).to_vec();
    let square = kernel as i64;
    let geometry_ok = kernel == kernel_w
        && ints("group", &[1]) == [channels as i64]
        && ints("dilations", &[1, 1]) == [1, 1]
        && ints("kernel_shape", &[square, square]) == [square, square];
    let strides = ints("strides", &[1, 1]);
    let pads = ints("pads", &[0, 0, 0, 0]);
    if !geometry_ok || strides.len() != 2 || pads.len() != 4 {
        return None;
    }
    let pads: Vec<usize> = pads
        .iter()
        .map(|&p| usize::try_from(p).ok())
        .collect::<Option<_>>()?;
    // ONNX pads are [top, left, bottom, right] for 2-D (begin of each axis, then end).
    DepthwiseConv::new(
        channels,
        kernel,
        [
            usize::try_from(strides[0]).ok()?,
            usize::try_from(strides[1]).ok()?,
        ],
        [pads[0], pads[1], pads[2], pads[3]],
        weight.data,
        bias,
    )
}

/// The convolution a node is, if it is one [`pointwise`] computes: one group, stride 1, and a
/// 1×1 filter without padding or a 3×3 filter padded by one pixel (the text detector's neck
/// and head: in WebAssembly rten computed its five 3×3 convolutions of 96 → 24 channels at
/// a quarter of the image's size in about a third of the detector's time).
fn as_pointwise(
    node: &onnx_wire::Node,
    initializers: &HashMap<&str, &onnx_wire::Initializer>,
) -> Option<PointwiseConv> {
    let (weight, bias) = conv_node(node, initializers)?;
    let &[out_channels, in_channels, kernel, kernel_w] = &weight.dims[..] else {
        return None;
    };
    let ints = |name: &str, default: &[i64]| node.ints(name).unwrap_or(default).to_vec();
    let (k, pad) = (kernel as i64, (kernel / 2) as i64);
    if !(kernel == 1 || kernel == 3)
        || kernel_w != kernel
        || ints("group", &[1]) != [1]
        || ints("dilations", &[1, 1]) != [1, 1]
        || ints("kernel_shape", &[k, k]) != [k, k]
        || ints("strides", &[1, 1]) != [1, 1]
        || ints("pads", &[0, 0, 0, 0]) != [pad, pad, pad, pad]
    {
        return None;
    }
    if kernel == 1 {
        PointwiseConv::new(out_channels, in_channels, &weight.data, bias)
    } else {
        PointwiseConv::new_3x3(out_channels, in_channels, &weight.data, bias)
    }
}

/// An output layer as [`head`] computes it: its nodes, the names of its constant matrix and
/// bias, the constants themselves, and the value read and the value written.
struct HeadNodes {
    nodes: Vec<usize>,
    weights_name: String,
    bias_name: String,
    weights: onnx_wire::FloatTensor,
    bias: onnx_wire::FloatTensor,
    input: String,
    output: String,
}

/// The output layer that starts at node `i`, if it is one [`head`] computes: a `MatMul` by a
/// constant `K × C` matrix whose result only an `Add` of a constant of `C` values reads, and
/// that only a `Softmax` over the last axis (of three), with `Identity` nodes between.
fn head_nodes(wiring: &Wiring, i: usize) -> Option<HeadNodes> {
    let node = wiring.node(i);
    if node.op_type != "MatMul" || !node.domain.is_empty() || node.inputs.len() != 2 {
        return None;
    }
    let weights = wiring.initializers.get(node.inputs[1].as_str())?.floats()?;
    let &[_, c] = &weights.dims[..] else {
        return None;
    };
    let mut nodes = vec![i];
    // The one node after `value`, past any Identity.
    let next = |value: &str, nodes: &mut Vec<usize>| -> Option<usize> {
        let mut value = value.to_string();
        loop {
            let &[j] = wiring.readers(&value) else {
                return None;
            };
            if wiring.outputs.contains(value.as_str()) {
                return None;
            }
            let n = wiring.node(j);
            if n.op_type != "Identity" {
                return Some(j);
            }
            nodes.push(j);
            value = n.outputs.first()?.clone();
        }
    };
    let add = next(&node.outputs[0], &mut nodes)?;
    let add_node = wiring.node(add);
    let (value, bias) = (add_node.op_type == "Add")
        .then(|| wiring.value_and_constant(add_node))
        .flatten()?;
    if bias.data.len() != c || bias.dims.iter().product::<usize>() != c {
        return None;
    }
    let bias_name = add_node
        .inputs
        .iter()
        .find(|n| n.as_str() != value)?
        .clone();
    nodes.push(add);
    let softmax = next(&add_node.outputs[0], &mut nodes)?;
    let softmax_node = wiring.node(softmax);
    let axis = softmax_node.ints("axis").unwrap_or(&[-1]);
    if softmax_node.op_type != "Softmax" || !(axis == [-1] || axis == [2]) {
        return None;
    }
    nodes.push(softmax);
    Some(HeadNodes {
        nodes,
        weights_name: node.inputs[1].clone(),
        bias_name,
        weights,
        bias,
        input: node.inputs[0].clone(),
        output: softmax_node.outputs[0].clone(),
    })
}

/// [`head_nodes`], as the step that computes it: its nodes, the layer, the value read and the
/// value written.
fn as_head(wiring: &Wiring, i: usize) -> Option<(Vec<usize>, Head, String, String)> {
    let found = head_nodes(wiring, i)?;
    let &[k, c] = &found.weights.dims[..] else {
        return None;
    };
    let head = Head::new(k, c, found.weights.data, found.bias.data)?;
    Some((found.nodes, head, found.input, found.output))
}

/// The model `bytes` with its one output layer (as [`head`] computes it: `softmax(x · W + b)`)
/// cut down to the output columns `keep`, in that order: the softmax is then taken over those
/// columns alone, which gives each kept column its probability divided by the kept columns'
/// total. The product costs as many fewer multiply-adds as columns are dropped. An error if
/// the model has no such layer, or more than one, or `keep` names a column it does not have.
pub fn keep_output_columns(bytes: &[u8], keep: &[usize]) -> Result<Vec<u8>, String> {
    let graph = onnx_wire::parse(bytes)?;
    let initializers = graph.initializer_map();
    let wiring = Wiring::new(&graph, &initializers);
    let mut heads = (0..graph.nodes.len()).filter_map(|i| head_nodes(&wiring, i));
    let (Some(head), None) = (heads.next(), heads.next()) else {
        return Err("the model has not one output layer of a product, a bias and a softmax".into());
    };
    let &[k, c] = &head.weights.dims[..] else {
        unreachable!("head_nodes takes a matrix");
    };
    if keep.is_empty() || keep.iter().any(|&j| j >= c) {
        return Err(format!("columns to keep must be some of the layer's {c}"));
    }
    let weights: Vec<f32> = (0..k)
        .flat_map(|row| keep.iter().map(move |&j| (row, j)))
        .map(|(row, j)| head.weights.data[row * c + j])
        .collect();
    let bias: Vec<f32> = keep.iter().map(|&j| head.bias.data[j]).collect();
    // The bias keeps its rank (`[C]` or `[1, 1, C]`…), with the kept count as its last size.
    let mut bias_dims = head.bias.dims.clone();
    *bias_dims.last_mut().expect("a bias of C values") = keep.len();
    let replaced = [
        onnx_wire::float_initializer(&head.weights_name, &[k, keep.len()], &weights),
        onnx_wire::float_initializer(&head.bias_name, &bias_dims, &bias),
    ];
    let initializer_fields: Vec<&[u8]> = graph
        .initializers
        .iter()
        .map(|i| {
            if i.name == head.weights_name {
                &replaced[0][..]
            } else if i.name == head.bias_name {
                &replaced[1][..]
            } else {
                i.field
            }
        })
        .collect();
    let nodes: Vec<&[u8]> = graph.nodes.iter().map(|n| n.bytes).collect();
    Ok(onnx_wire::encode_model(
        &graph.model_fields,
        &nodes,
        &initializer_fields,
        &graph.value_inputs(),
        &graph.outputs,
    ))
}

/// The graph around the nodes: who reads each value, who writes it, which values the caller
/// gets, and the constants.
struct Wiring<'g, 'a> {
    nodes: &'g [onnx_wire::Node<'a>],
    consumers: HashMap<&'g str, Vec<usize>>,
    producer: HashMap<&'g str, usize>,
    outputs: HashSet<&'g str>,
    initializers: &'g HashMap<&'g str, &'g onnx_wire::Initializer<'a>>,
}

impl<'g, 'a> Wiring<'g, 'a> {
    fn new(
        graph: &'g onnx_wire::Graph<'a>,
        initializers: &'g HashMap<&'g str, &'g onnx_wire::Initializer<'a>>,
    ) -> Self {
        let mut consumers: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut producer = HashMap::new();
        for (i, node) in graph.nodes.iter().enumerate() {
            for name in &node.inputs {
                consumers.entry(name.as_str()).or_default().push(i);
            }
            for name in &node.outputs {
                producer.insert(name.as_str(), i);
            }
        }
        Wiring {
            nodes: &graph.nodes,
            consumers,
            producer,
            outputs: graph.outputs.iter().map(String::as_str).collect(),
            initializers,
        }
    }

    /// The nodes that read `value` (none for a value nobody reads).
    fn readers(&self, value: &str) -> &[usize] {
        self.consumers.get(value).map_or(&[], Vec::as_slice)
    }

    /// Whether `value` is read only by node `by`, once, and is not a model output: then it can
    /// live inside a fused step.
    fn only_for(&self, value: &str, by: usize) -> bool {
        self.readers(value) == [by] && !self.outputs.contains(value)
    }

    /// Node `i`, borrowed for as long as the graph (so that its names outlive `self`).
    fn node(&self, i: usize) -> &'g onnx_wire::Node<'a> {
        let nodes: &'g [onnx_wire::Node<'a>] = self.nodes;
        &nodes[i]
    }

    /// `node`'s one value input besides one constant (a float initializer), if that is its
    /// shape.
    fn value_and_constant(
        &self,
        node: &'g onnx_wire::Node<'a>,
    ) -> Option<(&'g str, onnx_wire::FloatTensor)> {
        if node.inputs.len() != 2 || node.outputs.len() != 1 || !node.domain.is_empty() {
            return None;
        }
        let constant = |n: &str| self.initializers.get(n).and_then(|i| i.floats());
        match (constant(&node.inputs[0]), constant(&node.inputs[1])) {
            (None, Some(c)) => Some((node.inputs[0].as_str(), c)),
            (Some(c), None) => Some((node.inputs[1].as_str(), c)),
            _ => None,
        }
    }

    /// What node `i` does to the value `input` as one elementwise layer over `channels`
    /// channels, if it is one: an `Add`/`Mul` of a constant per channel or for all, `Relu`,
    /// `Identity` (nothing: `Some(None)`), or `BatchNormalization` with constant statistics.
    fn elementwise(&self, i: usize, input: &str, channels: usize) -> Option<Option<Elementwise>> {
        let node = &self.nodes[i];
        if !node.domain.is_empty() || node.outputs.len() != 1 || !node.other_attrs.is_empty() {
            return None;
        }
        let one_input = node.inputs.len() == 1 && node.inputs[0] == input;
        match node.op_type.as_str() {
            "Identity" if one_input => Some(None),
            "Relu" if one_input => Some(Some(Elementwise::Relu)),
            "Add" | "Mul" => {
                let (value, constant) = self.value_and_constant(node)?;
                if value != input {
                    return None;
                }
                let values = per_channel(&constant, channels)?;
                Some(Some(Elementwise::Affine(if node.op_type == "Add" {
                    values.into_iter().map(|k| (1.0, k)).collect()
                } else {
                    values.into_iter().map(|k| (k, 0.0)).collect()
                })))
            }
            "BatchNormalization" => {
                if node.inputs.len() != 5 || node.inputs[0] != input {
                    return None;
                }
                let epsilon = node.float("epsilon").unwrap_or(1e-5);
                let stats: Vec<Vec<f32>> = node.inputs[1..]
                    .iter()
                    .map(|n| {
                        let t = self.initializers.get(n.as_str())?.floats()?;
                        (t.dims == [channels]).then_some(t.data)
                    })
                    .collect::<Option<_>>()?;
                let (gamma, beta, mean, var) = (&stats[0], &stats[1], &stats[2], &stats[3]);
                Some(Some(Elementwise::Affine(
                    (0..channels)
                        .map(|c| {
                            let s = gamma[c] / (var[c] + epsilon).sqrt();
                            (s, beta[c] - mean[c] * s)
                        })
                        .collect(),
                )))
            }
            _ => None,
        }
    }

    /// Hard swish as the models write it, `Mul(HardSigmoid(x), x)`, for the `HardSigmoid` node
    /// `h`: the `Mul` node and the layer, when `x` is read by those two only.
    fn hard_swish(&self, x: &str, h: usize) -> Option<(usize, Elementwise)> {
        let sigmoid = &self.nodes[h];
        if sigmoid.op_type != "HardSigmoid"
            || sigmoid.inputs != [x]
            || sigmoid.outputs.len() != 1
            || !sigmoid.domain.is_empty()
            || !sigmoid.other_attrs.is_empty()
        {
            return None;
        }
        let gate = sigmoid.outputs[0].as_str();
        let &[m] = self.readers(gate) else {
            return None;
        };
        let mul = &self.nodes[m];
        let mut ins: Vec<&str> = mul.inputs.iter().map(String::as_str).collect();
        ins.sort_unstable();
        let mut want = [x, gate];
        want.sort_unstable();
        let readers_of_x: HashSet<usize> = self.readers(x).iter().copied().collect();
        (mul.op_type == "Mul"
            && mul.domain.is_empty()
            && mul.outputs.len() == 1
            && ins == want
            && !self.outputs.contains(gate)
            && !self.outputs.contains(x)
            && self.readers(x).len() == 2
            && readers_of_x == HashSet::from([h, m]))
        .then_some((
            m,
            Elementwise::HardSwish {
                alpha: sigmoid.float("alpha").unwrap_or(0.2),
                beta: sigmoid.float("beta").unwrap_or(0.5),
            },
        ))
    }

    /// The elementwise layers that follow `value` (over `channels` channels), each reading only
    /// what the one before wrote: their nodes, the layers, and the last value (`value` itself
    /// when none follows). Nodes in `taken` are left alone.
    fn chain_after(
        &self,
        mut value: &'g str,
        channels: usize,
        taken: &HashSet<usize>,
    ) -> (Vec<usize>, Vec<Elementwise>, &'g str) {
        let (mut nodes, mut ops) = (Vec::new(), Vec::new());
        let free = |i: &usize| !taken.contains(i);
        while !self.outputs.contains(value) {
            let step = match *self.readers(value) {
                [j] if free(&j) => self
                    .elementwise(j, value, channels)
                    .map(|op| (vec![j], op, self.nodes[j].outputs[0].as_str())),
                [a, b] if free(&a) && free(&b) => [a, b].into_iter().find_map(|h| {
                    let (m, op) = self.hard_swish(value, h)?;
                    Some((vec![h, m], Some(op), self.nodes[m].outputs[0].as_str()))
                }),
                _ => None,
            };
            let Some((used, op, next)) = step else { break };
            nodes.extend(used);
            ops.extend(op);
            value = next;
        }
        (nodes, ops, value)
    }

    /// The elementwise layers that lead to `value`, which only node `reader` reads (over
    /// `channels` channels), each written only for the next: their nodes, the layers in order,
    /// and the value they start from. Nodes in `taken` are left alone.
    fn chain_before(
        &self,
        mut value: &'g str,
        reader: usize,
        channels: usize,
        taken: &HashSet<usize>,
    ) -> (Vec<usize>, Vec<Elementwise>, &'g str) {
        let (mut nodes, mut ops) = (Vec::new(), Vec::new());
        if !self.only_for(value, reader) {
            return (nodes, ops, value);
        }
        while let Some(&p) = self.producer.get(value) {
            if taken.contains(&p) {
                break;
            }
            let node = self.node(p);
            // A layer whose one input (a constant aside) is read only by it …
            let input = match node.op_type.as_str() {
                "Identity" | "Relu" | "BatchNormalization" => {
                    node.inputs.first().map(String::as_str)
                }
                "Add" | "Mul" => self.value_and_constant(node).map(|(v, _)| v),
                _ => None,
            };
            let simple = input
                .filter(|input| self.only_for(input, p))
                .and_then(|input| Some((input, self.elementwise(p, input, channels)?)));
            if let Some((input, op)) = simple {
                nodes.push(p);
                ops.extend(op);
                value = input;
                continue;
            }
            // … or hard swish, Mul(HardSigmoid(x), x).
            let swish = (node.op_type == "Mul" && node.inputs.len() == 2)
                .then(|| {
                    node.inputs.iter().find_map(|gate| {
                        let &h = self.producer.get(gate.as_str())?;
                        let x = self.node(h).inputs.first()?.as_str();
                        if taken.contains(&h) {
                            return None;
                        }
                        let (m, op) = self.hard_swish(x, h)?;
                        (m == p).then_some((h, op, x))
                    })
                })
                .flatten();
            let Some((h, op, x)) = swish else { break };
            nodes.extend([p, h]);
            ops.push(op);
            value = x;
        }
        ops.reverse();
        nodes.reverse();
        (nodes, ops, value)
    }
}

/// A constant as one value per channel (`[1, C, 1, 1]` or `[C, 1, 1]`) or one for all (every
/// dimension 1); other shapes broadcast along other axes, not per channel.
fn per_channel(t: &onnx_wire::FloatTensor, channels: usize) -> Option<Vec<f32>> {
    if t.data.len() == 1 && t.dims.iter().all(|&d| d == 1) {
        return Some(t.data.clone());
    }
    (t.dims == [1, channels, 1, 1] || t.dims == [channels, 1, 1]).then(|| t.data.clone())
}

fn load_error(e: impl std::fmt::Display) -> String {
    format!("cannot load a piece of the model: {e}")
}

impl Network {
    /// Loads an ONNX model, cut at its depthwise convolutions. A model that has none, or that
    /// cannot be taken apart, is loaded whole.
    pub fn load(bytes: Vec<u8>) -> Result<Network, String> {
        Network::load_with(bytes, Pointwise::by_default())
    }

    /// [`Network::load`], with the pointwise convolutions on [`pointwise`] or not (tests run
    /// both natively).
    pub fn load_with(bytes: Vec<u8>, pointwise: Pointwise) -> Result<Network, String> {
        match Network::split(&bytes, pointwise) {
            Ok(Some(network)) => Ok(network),
            Ok(None) | Err(_) => Network::whole(bytes),
        }
    }

    /// The model as one rten model (used for models without depthwise convolutions, and by
    /// tests to compare).
    pub fn whole(bytes: Vec<u8>) -> Result<Network, String> {
        let model = Model::load(bytes).map_err(|e| e.to_string())?;
        let name = |id: NodeId| {
            model
                .node_info(id)
                .and_then(|n| n.name().map(str::to_string))
        };
        let names = |ids: &[NodeId]| -> Result<Vec<(String, NodeId)>, String> {
            ids.iter()
                .map(|&id| Ok((name(id).ok_or("a graph input or output has no name")?, id)))
                .collect()
        };
        let inputs = names(model.input_ids())?;
        let outputs = names(model.output_ids())?;
        Ok(Network {
            inputs: inputs.iter().map(|(n, _)| n.clone()).collect(),
            outputs: outputs.iter().map(|(n, _)| n.clone()).collect(),
            steps: vec![Step::Piece {
                model,
                inputs,
                outputs,
            }],
            drop_after: vec![Vec::new()],
            folded: 0,
        })
    }

    fn split(bytes: &[u8], pointwise: Pointwise) -> Result<Option<Network>, String> {
        let graph = onnx_wire::parse(bytes)?;
        let initializers = graph.initializer_map();
        // Steps as lists of node indices: a piece for rten, or a depthwise convolution (with the
        // `Add` of a per-channel constant after it, which becomes its bias, when there is one).
        enum Plan {
            Piece(Vec<usize>),
            /// Nodes, the convolution with its layers, the value read and the value written.
            Depthwise(Vec<usize>, DepthwiseConv, String, String),
            /// A pointwise convolution's node, the convolution, the values read and written.
            Pointwise(Vec<usize>, PointwiseConv, String, String),
            /// The output layer's nodes, the layer, the values read and written.
            Head(Vec<usize>, Head, String, String),
        }
        // Each depthwise convolution with the elementwise layers before and after it that
        // nothing else reads (see `Elementwise`): one step. A layer between two convolutions
        // goes with the first.
        let wiring = Wiring::new(&graph, &initializers);
        let mut taken: HashSet<usize> = HashSet::new();
        let mut fused: HashMap<usize, (Vec<usize>, DepthwiseConv, String, String)> = HashMap::new();
        for (i, node) in graph.nodes.iter().enumerate() {
            let Some(conv) = as_depthwise(node, &initializers) else {
                continue;
            };
            let (before_nodes, before, input) =
                wiring.chain_before(&node.inputs[0], i, conv.channels, &taken);
            let mut chain: HashSet<usize> = before_nodes.iter().copied().collect();
            chain.insert(i);
            let (after_nodes, after, output) = wiring.chain_after(
                &node.outputs[0],
                conv.channels,
                &taken.union(&chain).copied().collect(),
            );
            let mut nodes = before_nodes;
            nodes.push(i);
            nodes.extend(after_nodes);
            taken.extend(nodes.iter().copied());
            let conv = conv.after_input(before).then(after);
            fused.insert(i, (nodes, conv, input.to_string(), output.to_string()));
        }
        // Pointwise convolutions alone (their layers after stay where they are: most go into
        // the next depthwise step's input).
        let mut pointwise_at: HashMap<usize, PointwiseConv> = HashMap::new();
        // The output layer on the pointwise kernel too (see `head`), where that kernel is used.
        let mut head_at: HashMap<usize, (Vec<usize>, Head, String, String)> = HashMap::new();
        if pointwise != Pointwise::Rten {
            for (i, node) in graph.nodes.iter().enumerate() {
                if taken.contains(&i) {
                    continue;
                }
                if let Some(conv) = as_pointwise(node, &initializers) {
                    pointwise_at.insert(i, conv);
                } else if let Some(head) = as_head(&wiring, i) {
                    if head.0.iter().all(|n| !taken.contains(n)) {
                        taken.extend(head.0.iter().copied());
                        head_at.insert(i, head);
                    }
                }
            }
        }
        if pointwise == Pointwise::Integers {
            pointwise_at = pointwise_at
                .into_iter()
                .map(|(i, conv)| {
                    let wide = conv.kernel == 1
                        && conv.in_channels >= WIDE_CHANNELS
                        && conv.out_channels >= WIDE_CHANNELS;
                    (i, if wide { conv.quantised() } else { conv })
                })
                .collect();
        }
        let mut plan = Vec::new();
        let mut piece = Vec::new();
        let mut folded = 0;
        for i in 0..graph.nodes.len() {
            if let Some((nodes, conv, input, output)) = fused.remove(&i) {
                if !piece.is_empty() {
                    plan.push(Plan::Piece(std::mem::take(&mut piece)));
                }
                folded += nodes.len() - 1;
                plan.push(Plan::Depthwise(nodes, conv, input, output));
            } else if let Some(conv) = pointwise_at.remove(&i) {
                if !piece.is_empty() {
                    plan.push(Plan::Piece(std::mem::take(&mut piece)));
                }
                let node = &graph.nodes[i];
                plan.push(Plan::Pointwise(
                    vec![i],
                    conv,
                    node.inputs[0].clone(),
                    node.outputs[0].clone(),
                ));
            } else if let Some((nodes, head, input, output)) = head_at.remove(&i) {
                if !piece.is_empty() {
                    plan.push(Plan::Piece(std::mem::take(&mut piece)));
                }
                plan.push(Plan::Head(nodes, head, input, output));
            } else if !taken.contains(&i) {
                piece.push(i);
            }
        }
        if !plan.iter().any(|p| matches!(p, Plan::Depthwise(..))) {
            return Ok(None);
        }
        if !piece.is_empty() {
            plan.push(Plan::Piece(piece));
        }
        let nodes_of = |p: &Plan| -> Vec<usize> {
            match p {
                Plan::Piece(n)
                | Plan::Depthwise(n, ..)
                | Plan::Pointwise(n, ..)
                | Plan::Head(n, ..) => n.clone(),
            }
        };
        // What each step reads from earlier steps (or the caller), and what it produces.
        let reads: Vec<Vec<String>> = plan
            .iter()
            .map(|p| {
                let indices = nodes_of(p);
                let produced: HashSet<&str> = indices
                    .iter()
                    .flat_map(|&i| graph.nodes[i].outputs.iter().map(String::as_str))
                    .collect();
                let mut seen = HashSet::new();
                indices
                    .iter()
                    .flat_map(|&i| graph.nodes[i].inputs.iter())
                    .filter(|name| {
                        !name.is_empty()
                            && !produced.contains(name.as_str())
                            && !initializers.contains_key(name.as_str())
                            && seen.insert(name.as_str())
                    })
                    .cloned()
                    .collect()
            })
            .collect();
        // Walking back: what is still needed after each step.
        let mut needed: HashSet<String> = graph.outputs.iter().cloned().collect();
        let mut needed_after = vec![HashSet::new(); plan.len()];
        for i in (0..plan.len()).rev() {
            needed_after[i] = needed.clone();
            needed.extend(reads[i].iter().cloned());
        }
        let mut steps = Vec::with_capacity(plan.len());
        let mut drop_after = Vec::with_capacity(plan.len());
        let graph_inputs = graph.value_inputs();
        let mut live: HashSet<String> = graph_inputs.iter().cloned().collect();
        for (i, p) in plan.into_iter().enumerate() {
            let nodes: Vec<&onnx_wire::Node> =
                nodes_of(&p).into_iter().map(|i| &graph.nodes[i]).collect();
            let outputs: Vec<String> = nodes
                .iter()
                .flat_map(|n| n.outputs.iter())
                .filter(|n| needed_after[i].contains(n.as_str()))
                .cloned()
                .collect();
            for name in &reads[i] {
                if !live.contains(name) {
                    return Err(format!("the model reads {name} before it is computed"));
                }
            }
            steps.push(match p {
                Plan::Depthwise(_, conv, input, output) => Step::Conv {
                    input,
                    output,
                    conv: Conv::Depthwise(conv),
                },
                Plan::Pointwise(_, conv, input, output) => Step::Conv {
                    input,
                    output,
                    conv: Conv::Pointwise(conv),
                },
                Plan::Head(_, head, input, output) => Step::Conv {
                    input,
                    output,
                    conv: Conv::Head(head),
                },
                Plan::Piece(_) => {
                    let used: HashSet<&str> = nodes
                        .iter()
                        .flat_map(|n| n.inputs.iter().map(String::as_str))
                        .collect();
                    let weights: Vec<&[u8]> = graph
                        .initializers
                        .iter()
                        .filter(|init| used.contains(init.name.as_str()))
                        .map(|init| init.field)
                        .collect();
                    let node_bytes: Vec<&[u8]> = nodes.iter().map(|n| n.bytes).collect();
                    let piece = onnx_wire::encode_model(
                        &graph.model_fields,
                        &node_bytes,
                        &weights,
                        &reads[i],
                        &outputs,
                    );
                    let model = Model::load(piece).map_err(load_error)?;
                    let id = |name: &String| {
                        model
                            .find_node(name)
                            .map(|id| (name.clone(), id))
                            .ok_or_else(|| load_error(format!("no value named {name}")))
                    };
                    Step::Piece {
                        inputs: reads[i].iter().map(id).collect::<Result<_, _>>()?,
                        outputs: outputs.iter().map(id).collect::<Result<_, _>>()?,
                        model,
                    }
                }
            });
            live.extend(outputs.iter().cloned());
            let dropped: Vec<String> = live
                .iter()
                .filter(|n| !needed_after[i].contains(n.as_str()))
                .cloned()
                .collect();
            for name in &dropped {
                live.remove(name);
            }
            drop_after.push(dropped);
        }
        Ok(Some(Network {
            steps,
            drop_after,
            inputs: graph_inputs,
            outputs: graph.outputs.clone(),
            folded,
        }))
    }

    /// How many of the model's depthwise convolutions run on our kernel.
    pub fn depthwise_count(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| {
                matches!(
                    s,
                    Step::Conv {
                        conv: Conv::Depthwise(_),
                        ..
                    }
                )
            })
            .count()
    }

    /// How many of the model's pointwise convolutions run on [`pointwise`].
    pub fn pointwise_count(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| {
                matches!(
                    s,
                    Step::Conv {
                        conv: Conv::Pointwise(_),
                        ..
                    }
                )
            })
            .count()
    }

    /// Output layers computed by [`head`] (one in the recogniser where pointwise convolutions
    /// run on our kernel).
    pub fn head_count(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| {
                matches!(
                    s,
                    Step::Conv {
                        conv: Conv::Head(_),
                        ..
                    }
                )
            })
            .count()
    }

    /// How many of the model's nodes (elementwise layers, `Identity`) are computed inside the
    /// depthwise steps rather than as passes of their own.
    pub fn folded_count(&self) -> usize {
        self.folded
    }

    /// Runs the model on named inputs and returns the named outputs, in that order.
    pub fn run(&self, inputs: Vec<(&str, Value)>, outputs: &[&str]) -> Result<Vec<Value>, String> {
        let mut values: HashMap<String, Value> = inputs
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect();
        for name in &self.inputs {
            if !values.contains_key(name) {
                return Err(format!("the model's input {name} was not given"));
            }
        }
        // Natively, the buffer of the largest value no longer needed, for the next convolution's
        // output: a fresh allocation of tens of megabytes is returned to the system when freed
        // and page-faulted in again when allocated, which costs more than the convolution. In
        // WebAssembly freed memory stays in the module's heap, and a kept buffer would only
        // raise the peak memory.
        let mut spare: Option<Vec<f32>> = None;
        // KURONURI_PROFILE=1 (native) prints each step's time and output shapes after a run;
        // [`profile::start`] (the page's `networkProfile`) sums them until [`profile::take`].
        let printed =
            cfg!(not(target_arch = "wasm32")) && std::env::var("KURONURI_PROFILE").is_ok();
        let profile = printed || profile::on();
        let mut prof: Vec<(String, f64)> = Vec::new();
        for (step, dropped) in self.steps.iter().zip(&self.drop_after) {
            let t0 = profile.then(crate::clock::now_ms);
            match step {
                Step::Piece {
                    model,
                    inputs,
                    outputs,
                } => {
                    let given: Vec<(NodeId, ValueOrView)> = inputs
                        .iter()
                        .map(|(name, id)| {
                            let v = values.get(name).ok_or_else(|| format!("no value {name}"))?;
                            Ok((*id, ValueOrView::from(v)))
                        })
                        .collect::<Result<_, String>>()?;
                    let ids: Vec<NodeId> = outputs.iter().map(|(_, id)| *id).collect();
                    let results = model.run(given, &ids, None).map_err(|e| e.to_string())?;
                    for ((name, _), v) in outputs.iter().zip(results) {
                        values.insert(name.clone(), v);
                    }
                }
                Step::Conv {
                    input,
                    output,
                    conv,
                } => {
                    let v = values
                        .get(input)
                        .ok_or_else(|| format!("no value {input}"))?;
                    let result = conv.run(v, spare.take().unwrap_or_default())?;
                    values.insert(output.clone(), result);
                }
            }
            if let Some(t0) = t0 {
                prof.push((step.describe(&values), crate::clock::now_ms() - t0));
            }
            for name in dropped {
                if outputs.contains(&name.as_str()) {
                    continue;
                }
                let value = values.remove(name);
                if cfg!(not(target_arch = "wasm32")) {
                    if let Some(t) = value.and_then(|v| v.into_tensor::<f32>()) {
                        let buffer = t.into_non_contiguous_data();
                        if spare
                            .as_ref()
                            .is_none_or(|s| s.capacity() < buffer.capacity())
                        {
                            spare = Some(buffer);
                        }
                    }
                }
            }
        }
        if profile::on() {
            profile::add(&prof);
        }
        if printed {
            let total: f64 = prof.iter().map(|p| p.1).sum();
            eprintln!("network run: {} steps, {:.0} ms", prof.len(), total);
            for (k, t) in &prof {
                eprintln!("  {t:8.1} {k}");
            }
        }
        outputs
            .iter()
            .map(|name| {
                values
                    .remove(*name)
                    .ok_or_else(|| format!("the model has no output named {name}"))
            })
            .collect()
    }

    /// Runs a model with one input and one output.
    pub fn run_one(&self, input: Value) -> Result<Value, String> {
        let (Some(i), Some(o)) = (self.inputs.first(), self.outputs.first()) else {
            return Err("the model has no input or no output".into());
        };
        let mut out = self.run(vec![(i.as_str(), input)], &[o.as_str()])?;
        Ok(out.remove(0))
    }

    pub fn input_names(&self) -> &[String] {
        &self.inputs
    }

    pub fn output_names(&self) -> &[String] {
        &self.outputs
    }
}

/// Time per step summed over many runs, to see where a network's time goes where no profiler
/// can look (in the page's workers): a step is named by its network's step count, its index and
/// what it computed, so the same step of every run of one network adds up.
pub mod profile {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;

    static ON: AtomicBool = AtomicBool::new(false);
    /// (step name, first shapes seen, milliseconds, runs).
    static TOTALS: Mutex<Vec<(String, String, f64, u32)>> = Mutex::new(Vec::new());

    pub fn on() -> bool {
        ON.load(Ordering::Relaxed)
    }

    /// Starts summing (again from zero).
    pub fn start() {
        TOTALS.lock().unwrap().clear();
        ON.store(true, Ordering::Relaxed);
    }

    /// Stops and returns `(step, shapes of its first run, ms, runs)`, in the order first seen.
    pub fn take() -> Vec<(String, String, f64, u32)> {
        ON.store(false, Ordering::Relaxed);
        std::mem::take(&mut *TOTALS.lock().unwrap())
    }

    /// One run's steps: `(description "kind -> shapes", ms)`.
    pub(super) fn add(steps: &[(String, f64)]) {
        let mut totals = TOTALS.lock().unwrap();
        for (i, (described, ms)) in steps.iter().enumerate() {
            let (kind, shapes) = described.split_once(" -> ").unwrap_or((described, ""));
            let name = format!("{}-step network, step {i:2} {kind}", steps.len());
            match totals.iter_mut().find(|t| t.0 == name) {
                Some(t) => {
                    t.2 += ms;
                    t.3 += 1;
                }
                None => totals.push((name, shapes.to_string(), *ms, 1)),
            }
        }
    }
}

/// Deterministic values in -1..1 (xorshift), for the kernels' tests.
#[cfg(test)]
pub(crate) fn test_values(len: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2654435761).wrapping_add(1);
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s % 2001) as f32 / 1000.0 - 1.0
        })
        .collect()
}
