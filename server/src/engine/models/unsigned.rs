//! Signed int8 weights made unsigned in a model file's bytes, before ONNX
//! Runtime reads it.
//!
//! ONNX Runtime multiplies dynamically quantised activations (uint8) by int8
//! weights with `vpmaddubsw` on x86 CPUs without VNNI (AVX2 only), which adds
//! pairs of products in saturating 16-bit lanes. The overflow is silent: there
//! the shipped stance model gave nearly the same probabilities for every
//! input (0.47 accuracy on 150 FEVER-lite test pairs with their gold
//! evidence; 0.83 with the weights unsigned, as on a VNNI CPU). Its
//! uint8 × uint8 kernels widen before they add and are exact everywhere.
//!
//! The change is exact as well: a weight `q` with zero point `z` becomes
//! `q + 128` with `z + 128`, so `q − z`, all the product uses, is unchanged.
//! The protobuf is rewritten with no schema: only the few onnx.proto fields
//! below are read, every other byte is copied as it is.

use std::collections::HashSet;

use prost::encoding::{WireType, decode_key, decode_varint, encode_key, encode_varint};

/// onnx.proto field numbers.
const MODEL_GRAPH: u32 = 7;
const GRAPH_NODE: u32 = 1;
pub(super) const GRAPH_INITIALIZER: u32 = 5;
const NODE_INPUT: u32 = 1;
const NODE_OP_TYPE: u32 = 4;
pub(super) const TENSOR_DIMS: u32 = 1;
pub(super) const TENSOR_DATA_TYPE: u32 = 2;
const TENSOR_INT32_DATA: u32 = 5;
const TENSOR_NAME: u32 = 8;
const TENSOR_RAW_DATA: u32 = 9;
/// onnx.proto `TensorProto.DataType`.
pub(super) const UINT8: u64 = 2;
pub(super) const INT8: u64 = 3;

/// One field of a message: its number, where it lies in the file (`whole`,
/// from its key) and where its value does (a varint's bytes, or a
/// length-delimited payload).
pub(super) struct Field {
    pub(super) number: u32,
    pub(super) whole: std::ops::Range<usize>,
    pub(super) value: std::ops::Range<usize>,
    /// A varint's value (0 for other wire types).
    varint: u64,
    delimited: bool,
}

/// The fields of the message at `range` of `bytes`.
pub(super) fn fields(bytes: &[u8], range: std::ops::Range<usize>) -> Result<Vec<Field>, String> {
    let bad = |e: prost::DecodeError| format!("not an ONNX model: {e}");
    let mut rest = &bytes[range.clone()];
    let mut out = Vec::new();
    while !rest.is_empty() {
        let key = range.end - rest.len();
        let (number, wire) = decode_key(&mut rest).map_err(bad)?;
        let at = range.end - rest.len();
        let len = match wire {
            WireType::Varint => {
                let v = decode_varint(&mut rest).map_err(bad)?;
                out.push(Field { number, whole: key..range.end - rest.len(), value: at..range.end - rest.len(), varint: v, delimited: false });
                continue;
            }
            WireType::LengthDelimited => decode_varint(&mut rest).map_err(bad)?,
            WireType::SixtyFourBit => 8,
            WireType::ThirtyTwoBit => 4,
            WireType::StartGroup | WireType::EndGroup => return Err("not an ONNX model: a group field".into()),
        };
        let start = range.end - rest.len();
        let len = usize::try_from(len).ok().filter(|&l| l <= rest.len()).ok_or("not an ONNX model: a field runs past its message")?;
        let delimited = wire == WireType::LengthDelimited;
        out.push(Field { number, whole: key..start + len, value: start..start + len, varint: 0, delimited });
        rest = &rest[len..];
    }
    Ok(out)
}

fn text<'a>(bytes: &'a [u8], field: &Field) -> &'a str {
    std::str::from_utf8(&bytes[field.value.clone()]).unwrap_or("")
}

/// The model with the int8 weights and weight zero points of every
/// `MatMulInteger` unsigned, and how many tensors changed (`None`: none did).
/// A tensor that other nodes read too stays as it is.
pub fn unsigned_weights(model: &[u8]) -> Result<Option<(Vec<u8>, usize)>, String> {
    let Some(graph) = Graph::read(model)? else { return Ok(None) };
    // Weight names (MatMulInteger inputs 1 and 3), and every other input, which must stay signed.
    let (mut weights, mut elsewhere) = (HashSet::new(), HashSet::new());
    for node in graph.fields.iter().filter(|f| f.number == GRAPH_NODE) {
        let node = fields(model, node.value.clone())?;
        let is_matmul = node.iter().any(|f| f.number == NODE_OP_TYPE && text(model, f) == "MatMulInteger");
        for (i, input) in node.iter().filter(|f| f.number == NODE_INPUT).enumerate() {
            let name = text(model, input);
            if is_matmul && (i == 1 || i == 3) { weights.insert(name) } else { elsewhere.insert(name) };
        }
    }
    graph.replace_initializers(model, |tensor| {
        let name = tensor_name(model, tensor);
        let signed = tensor.iter().any(|t| t.number == TENSOR_DATA_TYPE && t.varint == INT8);
        if signed && weights.contains(name) && !elsewhere.contains(name) { unsigned_tensor(model, tensor).map(Some) } else { Ok(None) }
    })
}

/// A model's top-level fields, where its (last) graph is among them, and the
/// graph's fields: what a rewrite of its initializers works on.
pub(super) struct Graph {
    top: Vec<Field>,
    at: usize,
    pub(super) fields: Vec<Field>,
}

impl Graph {
    /// `None` for a model without a graph.
    pub(super) fn read(model: &[u8]) -> Result<Option<Graph>, String> {
        let top = fields(model, 0..model.len())?;
        let Some(at) = top.iter().rposition(|f| f.number == MODEL_GRAPH) else { return Ok(None) };
        let fields = fields(model, top[at].value.clone())?;
        Ok(Some(Graph { top, at, fields }))
    }

    /// `model` with each initializer for whose tensor's fields `replace`
    /// returns a new tensor replaced by it, the rest copied, and how many
    /// were replaced (`None`: none were).
    pub(super) fn replace_initializers(
        &self,
        model: &[u8],
        mut replace: impl FnMut(&[Field]) -> Result<Option<Vec<u8>>, String>,
    ) -> Result<Option<(Vec<u8>, usize)>, String> {
        let mut new_graph = Vec::with_capacity(self.top[self.at].value.len());
        let mut replaced = 0;
        for f in &self.fields {
            let new = if f.number == GRAPH_INITIALIZER { replace(&fields(model, f.value.clone())?)? } else { None };
            match new {
                Some(tensor) => {
                    bytes_field(&mut new_graph, GRAPH_INITIALIZER, &tensor);
                    replaced += 1;
                }
                None => new_graph.extend_from_slice(&model[f.whole.clone()]),
            }
        }
        if replaced == 0 {
            return Ok(None);
        }
        let mut out = Vec::with_capacity(model.len() + 4096);
        for (i, f) in self.top.iter().enumerate() {
            if i == self.at { bytes_field(&mut out, MODEL_GRAPH, &new_graph) } else { out.extend_from_slice(&model[f.whole.clone()]) }
        }
        Ok(Some((out, replaced)))
    }
}

/// The name of a tensor, from its fields ("" if it has none).
pub(super) fn tensor_name<'a>(bytes: &'a [u8], tensor: &[Field]) -> &'a str {
    tensor.iter().find(|t| t.number == TENSOR_NAME).map_or("", |t| text(bytes, t))
}

/// An int8 tensor re-encoded as uint8 (each value + 128, as raw bytes),
/// from its raw bytes or its `int32_data` (packed or not).
fn unsigned_tensor(model: &[u8], tensor: &[Field]) -> Result<Vec<u8>, String> {
    let mut values = Vec::new();
    let mut out = Vec::new();
    for f in tensor {
        match f.number {
            TENSOR_DATA_TYPE => {
                encode_key(TENSOR_DATA_TYPE, WireType::Varint, &mut out);
                encode_varint(UINT8, &mut out);
            }
            TENSOR_RAW_DATA => values.extend(model[f.value.clone()].iter().map(|b| b ^ 0x80)), // two's complement q → q + 128
            TENSOR_INT32_DATA if f.delimited => {
                let mut packed = &model[f.value.clone()];
                while !packed.is_empty() {
                    values.push(shifted(decode_varint(&mut packed).map_err(|e| e.to_string())?)?);
                }
            }
            TENSOR_INT32_DATA => values.push(shifted(f.varint)?),
            _ => out.extend_from_slice(&model[f.whole.clone()]),
        }
    }
    if !tensor.iter().any(|f| matches!(f.number, TENSOR_RAW_DATA | TENSOR_INT32_DATA)) {
        return Err("an int8 weight stored outside the model file (one file is read)".into());
    }
    bytes_field(&mut out, TENSOR_RAW_DATA, &values);
    Ok(out)
}

/// An int8 value as `int32_data` stores it (a sign-extended varint), plus 128.
fn shifted(varint: u64) -> Result<u8, String> {
    let v = varint as i64;
    v.checked_add(128).and_then(|x| u8::try_from(x).ok()).ok_or_else(|| format!("not an ONNX model: int8 value {v}"))
}

pub(super) fn bytes_field(out: &mut Vec<u8>, number: u32, value: &[u8]) {
    encode_key(number, WireType::LengthDelimited, out);
    encode_varint(value.len() as u64, out);
    out.extend_from_slice(value);
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A tensor as the quantiser writes weights: dims, type, name, raw bytes.
    pub(in crate::engine::models) fn tensor(name: &str, data_type: u64, raw: &[u8]) -> Vec<u8> {
        let mut t = Vec::new();
        encode_key(TENSOR_DIMS, WireType::Varint, &mut t);
        encode_varint(raw.len() as u64, &mut t);
        encode_key(TENSOR_DATA_TYPE, WireType::Varint, &mut t);
        encode_varint(data_type, &mut t);
        bytes_field(&mut t, TENSOR_NAME, name.as_bytes());
        bytes_field(&mut t, TENSOR_RAW_DATA, raw);
        t
    }

    /// ... and zero points: in `int32_data`, packed (a negative one sign-extended).
    fn int32_tensor(name: &str, values: &[i32]) -> Vec<u8> {
        let mut t = Vec::new();
        encode_key(TENSOR_DATA_TYPE, WireType::Varint, &mut t);
        encode_varint(INT8, &mut t);
        let mut packed = Vec::new();
        values.iter().for_each(|&v| encode_varint(i64::from(v) as u64, &mut packed));
        bytes_field(&mut t, TENSOR_INT32_DATA, &packed);
        bytes_field(&mut t, TENSOR_NAME, name.as_bytes());
        t
    }

    fn node(op: &str, inputs: &[&str]) -> Vec<u8> {
        let mut n = Vec::new();
        inputs.iter().for_each(|i| bytes_field(&mut n, NODE_INPUT, i.as_bytes()));
        bytes_field(&mut n, NODE_OP_TYPE, op.as_bytes());
        n
    }

    pub(in crate::engine::models) fn model(initializers: &[Vec<u8>]) -> Vec<u8> {
        let mut graph = Vec::new();
        bytes_field(&mut graph, GRAPH_NODE, &node("MatMulInteger", &["x", "w", "xz", "wz"]));
        bytes_field(&mut graph, GRAPH_NODE, &node("MatMulInteger", &["x", "shared"]));
        bytes_field(&mut graph, GRAPH_NODE, &node("Add", &["shared", "x"]));
        initializers.iter().for_each(|t| bytes_field(&mut graph, GRAPH_INITIALIZER, t));
        let mut model = Vec::new();
        encode_key(1, WireType::Varint, &mut model); // ir_version
        encode_varint(8, &mut model);
        bytes_field(&mut model, MODEL_GRAPH, &graph);
        bytes_field(&mut model, 2, b"producer"); // a field after the graph, copied as it is
        model
    }

    #[test]
    fn matmul_weights_become_unsigned_with_the_same_differences() {
        // MatMulInteger(x, w, xz, wz); `shared` is a weight an Add reads too.
        let shared = tensor("shared", INT8, &[0x05]);
        let signed = model(&[tensor("w", INT8, &[0xFF, 0x00, 0x7F, 0x80]), int32_tensor("wz", &[0, -3]), shared.clone()]);
        let (unsigned, changed) = unsigned_weights(&signed).unwrap().unwrap();
        assert_eq!(changed, 2);
        let w = tensor("w", UINT8, &[127, 128, 255, 0]); // -1, 0, 127, -128, each + 128
        let mut wz = Vec::new();
        encode_key(TENSOR_DATA_TYPE, WireType::Varint, &mut wz);
        encode_varint(UINT8, &mut wz);
        bytes_field(&mut wz, TENSOR_NAME, b"wz");
        bytes_field(&mut wz, TENSOR_RAW_DATA, &[128, 125]);
        assert_eq!(unsigned, model(&[w, wz, shared]));
        assert_eq!(unsigned_weights(&unsigned), Ok(None), "nothing signed is left");
    }

    #[test]
    fn bytes_that_are_not_a_model_are_refused_without_a_panic() {
        let m = model(&[tensor("w", INT8, &[1, 2, 3])]);
        for cut in [3, m.len() / 2, m.len() - 1] {
            assert!(unsigned_weights(&m[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(unsigned_weights(&[]), Ok(None));
        assert!(unsigned_weights(&model(&[int32_tensor("w", &[300])])).unwrap_err().contains("int8 value 300"));
        let mut external = Vec::new();
        encode_key(TENSOR_DATA_TYPE, WireType::Varint, &mut external);
        encode_varint(INT8, &mut external);
        bytes_field(&mut external, TENSOR_NAME, b"w");
        assert!(unsigned_weights(&model(&[external])).unwrap_err().contains("outside the model file"));
    }
}
