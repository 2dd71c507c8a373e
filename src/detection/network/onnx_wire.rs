//! Just enough of the ONNX file format, read and written at the protobuf wire level, to cut a
//! model's graph into pieces: the nodes (with their inputs, outputs, type and attributes), the
//! initializers (weights) by name, and the graph's inputs and outputs. Everything not needed for
//! that (value_info, doc strings, the model's other fields) is either dropped or copied as bytes.
//!
//! Field numbers are those of `onnx.proto` (ModelProto.graph = 7; GraphProto.node = 1,
//! .initializer = 5, .input = 11, .output = 12; NodeProto.input = 1, .output = 2, .op_type = 4,
//! .attribute = 5, .domain = 7; AttributeProto.name = 1, .f = 2, .i = 3, .ints = 8;
//! TensorProto.dims = 1, .data_type = 2, .float_data = 4, .name = 8, .raw_data = 9;
//! ValueInfoProto.name = 1).

use std::collections::{HashMap, HashSet};

/// One field of a protobuf message: its number and its payload.
#[derive(Clone, Copy, Debug)]
pub enum Field<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Bytes(&'a [u8]),
}

fn read_varint(buf: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos).ok_or("protobuf: varint runs past the end")?;
        *pos += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Ok(value);
        }
    }
    Err("protobuf: varint longer than 10 bytes".into())
}

/// The fields of one message in file order, each with the bytes it spans (tag included), so that
/// a field can be copied into a new message unchanged.
pub fn fields(buf: &[u8]) -> Result<Vec<(u32, Field<'_>, &[u8])>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let start = pos;
        let tag = read_varint(buf, &mut pos)?;
        let number = u32::try_from(tag >> 3).map_err(|_| "protobuf: field number too large")?;
        let take = |pos: &mut usize, n: usize| -> Result<&[u8], String> {
            let end = pos.checked_add(n).filter(|&e| e <= buf.len());
            let end = end.ok_or("protobuf: field runs past the end")?;
            let bytes = &buf[*pos..end];
            *pos = end;
            Ok(bytes)
        };
        let field = match tag & 7 {
            0 => Field::Varint(read_varint(buf, &mut pos)?),
            1 => Field::Fixed64(u64::from_le_bytes(take(&mut pos, 8)?.try_into().unwrap())),
            2 => {
                let n = read_varint(buf, &mut pos)?;
                let n = usize::try_from(n).map_err(|_| "protobuf: length too large")?;
                Field::Bytes(take(&mut pos, n)?)
            }
            5 => Field::Fixed32(u32::from_le_bytes(take(&mut pos, 4)?.try_into().unwrap())),
            w => return Err(format!("protobuf: unsupported wire type {w}")),
        };
        out.push((number, field, &buf[start..pos]));
    }
    Ok(out)
}

fn text(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| "protobuf: a name is not UTF-8".to_string())
}

/// Repeated integers, packed (one length-delimited field) or not (one varint per field).
fn push_ints(field: Field<'_>, into: &mut Vec<i64>) -> Result<(), String> {
    match field {
        Field::Varint(v) => into.push(v as i64),
        Field::Bytes(b) => {
            let mut pos = 0;
            while pos < b.len() {
                into.push(read_varint(b, &mut pos)? as i64);
            }
        }
        _ => return Err("protobuf: integers of an unexpected wire type".into()),
    }
    Ok(())
}

/// One node of the graph.
#[derive(Debug)]
pub struct Node<'a> {
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub op_type: String,
    pub domain: String,
    /// The node's attributes: name → integers (`i` or `ints`).
    pub int_attrs: Vec<(String, Vec<i64>)>,
    /// The node's attributes that are one float (`f`): name → value.
    pub float_attrs: Vec<(String, f32)>,
    /// Attribute names of other kinds (strings, tensors, lists of floats…: not read).
    pub other_attrs: Vec<String>,
    /// The whole encoded NodeProto, to copy into a piece unchanged.
    pub bytes: &'a [u8],
}

impl Node<'_> {
    pub fn ints(&self, name: &str) -> Option<&[i64]> {
        self.int_attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| &v[..])
    }

    pub fn float(&self, name: &str) -> Option<f32> {
        self.float_attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
    }
}

fn parse_node(bytes: &[u8]) -> Result<Node<'_>, String> {
    let mut node = Node {
        inputs: Vec::new(),
        outputs: Vec::new(),
        op_type: String::new(),
        domain: String::new(),
        int_attrs: Vec::new(),
        float_attrs: Vec::new(),
        other_attrs: Vec::new(),
        bytes,
    };
    for (number, field, _) in fields(bytes)? {
        match (number, field) {
            (1, Field::Bytes(b)) => node.inputs.push(text(b)?),
            (2, Field::Bytes(b)) => node.outputs.push(text(b)?),
            (4, Field::Bytes(b)) => node.op_type = text(b)?,
            (7, Field::Bytes(b)) => node.domain = text(b)?,
            (5, Field::Bytes(b)) => {
                let mut name = String::new();
                let mut ints = Vec::new();
                let mut float = None;
                let mut other = false;
                for (n, f, _) in fields(b)? {
                    match (n, f) {
                        (1, f) => name = text(if let Field::Bytes(b) = f { b } else { &[] })?,
                        (3 | 8, f) => push_ints(f, &mut ints)?,
                        (2, Field::Fixed32(v)) => float = Some(f32::from_bits(v)),
                        (20, _) => {}
                        _ => other = true,
                    }
                }
                match (other, float) {
                    (false, Some(v)) if ints.is_empty() => node.float_attrs.push((name, v)),
                    (false, None) => node.int_attrs.push((name, ints)),
                    _ => node.other_attrs.push(name),
                }
            }
            _ => {}
        }
    }
    Ok(node)
}

/// A float tensor stored in the file (a weight).
#[derive(Debug, Clone, PartialEq)]
pub struct FloatTensor {
    pub dims: Vec<usize>,
    pub data: Vec<f32>,
}

/// One initializer: its name, its encoded TensorProto, and the field bytes to copy.
pub struct Initializer<'a> {
    pub name: String,
    pub tensor: &'a [u8],
    pub field: &'a [u8],
}

impl Initializer<'_> {
    /// The tensor's values if it is a float32 tensor held in the file itself.
    pub fn floats(&self) -> Option<FloatTensor> {
        let mut dims = Vec::new();
        let mut data_type = 0;
        let mut data = None;
        for (number, field, _) in fields(self.tensor).ok()? {
            match (number, field) {
                (1, f) => {
                    let mut d = Vec::new();
                    push_ints(f, &mut d).ok()?;
                    dims.extend(d.into_iter().map(|v| usize::try_from(v).ok()));
                }
                (2, Field::Varint(v)) => data_type = v,
                (9, Field::Bytes(b)) => {
                    data = Some(
                        b.chunks_exact(4)
                            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                            .collect::<Vec<_>>(),
                    )
                }
                (4, Field::Bytes(b)) => {
                    let v: Vec<f32> = b
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                        .collect();
                    data.get_or_insert_with(Vec::new).extend(v);
                }
                (4, Field::Fixed32(v)) => data.get_or_insert_with(Vec::new).push(f32::from_bits(v)),
                // External data (field 13/14) is not supported: the tensor is then not read.
                (13 | 14, _) => return None,
                _ => {}
            }
        }
        let dims: Vec<usize> = dims.into_iter().collect::<Option<_>>()?;
        let data = data?;
        (data_type == 1 && dims.iter().product::<usize>() == data.len())
            .then_some(FloatTensor { dims, data })
    }
}

/// A model file taken apart.
pub struct Graph<'a> {
    /// The ModelProto's fields other than the graph, to copy into every piece.
    pub model_fields: Vec<&'a [u8]>,
    pub nodes: Vec<Node<'a>>,
    pub initializers: Vec<Initializer<'a>>,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
}

impl<'a> Graph<'a> {
    /// The initializers by name.
    pub fn initializer_map(&self) -> HashMap<&str, &Initializer<'a>> {
        self.initializers
            .iter()
            .map(|i| (i.name.as_str(), i))
            .collect()
    }

    /// The graph's inputs that are values given at run time: older files list their
    /// initializers among the graph's inputs too.
    pub fn value_inputs(&self) -> Vec<String> {
        let constant: HashSet<&str> = self.initializers.iter().map(|i| i.name.as_str()).collect();
        self.inputs
            .iter()
            .filter(|n| !constant.contains(n.as_str()))
            .cloned()
            .collect()
    }
}

fn value_info_name(bytes: &[u8]) -> Result<String, String> {
    for (number, field, _) in fields(bytes)? {
        if let (1, Field::Bytes(b)) = (number, field) {
            return text(b);
        }
    }
    Err("protobuf: a graph input or output has no name".into())
}

pub fn parse(model: &[u8]) -> Result<Graph<'_>, String> {
    let mut model_fields = Vec::new();
    let mut graph = None;
    for (number, field, bytes) in fields(model)? {
        match (number, field) {
            (7, Field::Bytes(b)) => graph = Some(b),
            _ => model_fields.push(bytes),
        }
    }
    let graph = graph.ok_or("the model file has no graph")?;
    let mut out = Graph {
        model_fields,
        nodes: Vec::new(),
        initializers: Vec::new(),
        inputs: Vec::new(),
        outputs: Vec::new(),
    };
    for (number, field, bytes) in fields(graph)? {
        let Field::Bytes(b) = field else { continue };
        match number {
            1 => out.nodes.push(parse_node(b)?),
            5 => {
                let mut name = String::new();
                for (n, f, _) in fields(b)? {
                    if let (8, Field::Bytes(s)) = (n, f) {
                        name = text(s)?;
                    }
                }
                out.initializers.push(Initializer {
                    name,
                    tensor: b,
                    field: bytes,
                });
            }
            11 => out.inputs.push(value_info_name(b)?),
            12 => out.outputs.push(value_info_name(b)?),
            // Sparse initializers would need handling as weights too.
            15 => return Err("sparse initializers are not supported".into()),
            _ => {}
        }
    }
    Ok(out)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a length-delimited field.
pub fn put_bytes(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    put_varint(out, (u64::from(number) << 3) | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A graph's initializer field (number 5) holding a float32 tensor: its dimensions, its data
/// type (1, float), its name and its values as raw little-endian bytes.
pub fn float_initializer(name: &str, dims: &[usize], data: &[f32]) -> Vec<u8> {
    let mut tensor = Vec::new();
    for &d in dims {
        put_varint(&mut tensor, 1 << 3);
        put_varint(&mut tensor, d as u64);
    }
    put_varint(&mut tensor, 2 << 3);
    put_varint(&mut tensor, 1);
    put_bytes(&mut tensor, 8, name.as_bytes());
    let raw: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    put_bytes(&mut tensor, 9, &raw);
    let mut field = Vec::new();
    put_bytes(&mut field, 5, &tensor);
    field
}

/// A ValueInfoProto holding only a name (rten reads types and shapes from the data it is given).
fn value_info(name: &str) -> Vec<u8> {
    let mut v = Vec::new();
    put_bytes(&mut v, 1, name.as_bytes());
    v
}

/// Encodes a model made of the given model fields and a graph of these nodes, initializers,
/// inputs and outputs.
pub fn encode_model(
    model_fields: &[&[u8]],
    nodes: &[&[u8]],
    initializer_fields: &[&[u8]],
    inputs: &[String],
    outputs: &[String],
) -> Vec<u8> {
    let mut graph = Vec::new();
    for node in nodes {
        put_bytes(&mut graph, 1, node);
    }
    put_bytes(&mut graph, 2, b"piece");
    for field in initializer_fields {
        graph.extend_from_slice(field);
    }
    for name in inputs {
        put_bytes(&mut graph, 11, &value_info(name));
    }
    for name in outputs {
        put_bytes(&mut graph, 12, &value_info(name));
    }
    let mut model = Vec::new();
    for field in model_fields {
        model.extend_from_slice(field);
    }
    put_bytes(&mut model, 7, &graph);
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_fields_read_back_what_was_written() {
        let mut msg = Vec::new();
        put_varint(&mut msg, 3 << 3); // field 3, varint
        put_varint(&mut msg, 300);
        put_bytes(&mut msg, 8, b"weight");
        let f = fields(&msg).unwrap();
        assert_eq!(f.len(), 2);
        assert!(matches!(f[0].1, Field::Varint(300)));
        assert!(matches!(f[1].1, Field::Bytes(b"weight")));
        assert_eq!(f[0].2.len() + f[1].2.len(), msg.len());
    }

    #[test]
    fn a_cut_short_message_is_an_error_not_a_panic() {
        let mut msg = Vec::new();
        put_bytes(&mut msg, 1, b"a long name");
        for end in 0..msg.len() {
            let r = fields(&msg[..end]);
            assert!(end == 0 || r.is_err(), "{end}");
        }
        assert!(fields(&[0xff; 11]).is_err());
    }

    #[test]
    fn a_float_initializer_is_read_from_raw_data() {
        let mut t = Vec::new();
        put_varint(&mut t, 1 << 3);
        put_varint(&mut t, 2);
        put_varint(&mut t, 1 << 3);
        put_varint(&mut t, 3);
        put_varint(&mut t, 2 << 3);
        put_varint(&mut t, 1);
        put_bytes(&mut t, 8, b"w");
        let raw: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
        put_bytes(&mut t, 9, &raw);
        let init = Initializer {
            name: "w".into(),
            tensor: &t,
            field: &[],
        };
        let f = init.floats().unwrap();
        assert_eq!(f.dims, vec![2, 3]);
        assert_eq!(f.data, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    }

    #[test]
    fn a_written_float_initializer_reads_back() {
        let data = [1.5f32, -2.0, 0.25, 7.0];
        let field = float_initializer("bias", &[1, 4], &data);
        let parsed = fields(&field).unwrap();
        let [(5, Field::Bytes(tensor), whole)] = parsed[..] else {
            panic!("one graph field 5 expected: {parsed:?}");
        };
        assert_eq!(whole, &field[..]);
        let init = Initializer {
            name: "bias".into(),
            tensor,
            field: whole,
        };
        let f = init.floats().unwrap();
        assert_eq!(f.dims, vec![1, 4]);
        assert_eq!(f.data, data.to_vec());
        let name = fields(tensor)
            .unwrap()
            .into_iter()
            .find_map(|(n, f, _)| match (n, f) {
                (8, Field::Bytes(b)) => Some(b.to_vec()),
                _ => None,
            });
        assert_eq!(name.as_deref(), Some(&b"bias"[..]));
    }
}
