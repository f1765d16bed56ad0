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

use prost::encoding::{WireType, decode_key, decode_varint, encode_key, encode_varint, encoded_len_varint, key_len};

use super::patch::Patch;

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

/// What a rewrite changed: tensors made unsigned, tensors swapped for a patch's.
#[derive(Debug, Default, PartialEq)]
pub struct Rewritten {
    pub unsigned: usize,
    pub patched: usize,
}

/// The model with the int8 weights and weight zero points of every
/// `MatMulInteger` unsigned (a tensor that other nodes read too stays as it
/// is) and, with a patch, each initializer it has a tensor for swapped in,
/// in one pass into one buffer: at 111 MB, writing fresh memory is most of
/// a model's load. `None`: nothing changed.
pub fn rewrite(model: &[u8], mut patch: Option<&mut Patch<'_>>) -> Result<Option<(Vec<u8>, Rewritten)>, String> {
    let Some(graph) = Graph::read(model)? else {
        return match patch {
            Some(_) => Err("not an ONNX model: no graph".into()),
            None => Ok(None),
        };
    };
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
    let mut changed = Rewritten::default();
    let out = graph.replace_initializers(model, |tensor| {
        let name = tensor_name(model, tensor);
        let unsigned = data_type(tensor) == Some(INT8) && weights.contains(name) && !elsewhere.contains(name);
        // A patch's weights are unsigned already, and each must match the type the tensor it replaces gets.
        let as_read = if unsigned { Some(UINT8) } else { data_type(tensor) };
        if let Some(new) = patch.as_deref_mut().map(|p| p.take(name, model, tensor, as_read)).transpose()?.flatten() {
            changed.patched += 1;
            return Ok(Some(NewTensor::Message(new)));
        }
        if !unsigned {
            return Ok(None);
        }
        changed.unsigned += 1;
        unsigned_tensor(model, tensor).map(Some)
    })?;
    if let Some(patch) = patch {
        patch.all_taken()?;
    }
    Ok(out.map(|bytes| (bytes, changed)))
}

/// A tensor's data type, if it says (the last one given, as protobuf reads it).
pub(super) fn data_type(tensor: &[Field]) -> Option<u64> {
    tensor.iter().rfind(|t| t.number == TENSOR_DATA_TYPE).map(|t| t.varint)
}

/// A model's top-level fields, where its (last) graph is among them, and the
/// graph's fields: what a rewrite of its initializers works on.
pub(super) struct Graph {
    top: Vec<Field>,
    at: usize,
    pub(super) fields: Vec<Field>,
}

/// An initializer written in place of the model's.
pub(super) enum NewTensor<'a> {
    /// A tensor message as it is (a patch's).
    Message(&'a [u8]),
    /// The model's tensor with its int8 values made uint8: its other fields
    /// (`head`, the type changed), then the values as raw bytes.
    Unsigned { head: Vec<u8>, values: Vec<Values<'a>> },
}

/// Values of a tensor made unsigned.
pub(super) enum Values<'a> {
    /// Raw int8 bytes, shifted as they are written.
    Signed(&'a [u8]),
    /// Shifted already (read from `int32_data`).
    Shifted(Vec<u8>),
}

impl NewTensor<'_> {
    /// The tensor message's length.
    fn len(&self) -> usize {
        match self {
            NewTensor::Message(m) => m.len(),
            NewTensor::Unsigned { head, values } => {
                let n = values.iter().map(Values::len).sum::<usize>();
                head.len() + key_len(TENSOR_RAW_DATA) + encoded_len_varint(n as u64) + n
            }
        }
    }

    /// Appends it as an initializer of a graph.
    fn write_initializer(&self, out: &mut Vec<u8>) {
        encode_key(GRAPH_INITIALIZER, WireType::LengthDelimited, out);
        encode_varint(self.len() as u64, out);
        match self {
            NewTensor::Message(m) => out.extend_from_slice(m),
            NewTensor::Unsigned { head, values } => {
                out.extend_from_slice(head);
                encode_key(TENSOR_RAW_DATA, WireType::LengthDelimited, out);
                encode_varint(values.iter().map(Values::len).sum::<usize>() as u64, out);
                for v in values {
                    match v {
                        Values::Signed(raw) => out.extend(raw.iter().map(|b| b ^ 0x80)), // two's complement q → q + 128
                        Values::Shifted(shifted) => out.extend_from_slice(shifted),
                    }
                }
            }
        }
    }
}

impl Values<'_> {
    fn len(&self) -> usize {
        match self {
            Values::Signed(v) => v.len(),
            Values::Shifted(v) => v.len(),
        }
    }
}

/// The length of `field`'s key, value and (if delimited) length prefix.
fn delimited_len(number: u32, len: usize) -> usize {
    key_len(number) + encoded_len_varint(len as u64) + len
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
    /// returns a new tensor replaced by it, the rest copied (`None`: none
    /// was replaced). The new tensors are measured first, so that the model
    /// is written once, into a buffer of its exact size.
    pub(super) fn replace_initializers<'a>(
        &self,
        model: &'a [u8],
        mut replace: impl FnMut(&[Field]) -> Result<Option<NewTensor<'a>>, String>,
    ) -> Result<Option<Vec<u8>>, String> {
        let mut new = Vec::with_capacity(self.fields.len());
        for f in &self.fields {
            new.push(if f.number == GRAPH_INITIALIZER { replace(&fields(model, f.value.clone())?)? } else { None });
        }
        if new.iter().all(Option::is_none) {
            return Ok(None);
        }
        let field_len = |f: &Field, n: &Option<NewTensor>| n.as_ref().map_or(f.whole.len(), |t| delimited_len(GRAPH_INITIALIZER, t.len()));
        let graph_len: usize = self.fields.iter().zip(&new).map(|(f, n)| field_len(f, n)).sum();
        let total: usize = self.top.iter().enumerate().map(|(i, f)| if i == self.at { delimited_len(MODEL_GRAPH, graph_len) } else { f.whole.len() }).sum();
        let mut out = Vec::with_capacity(total);
        for (i, f) in self.top.iter().enumerate() {
            if i != self.at {
                out.extend_from_slice(&model[f.whole.clone()]);
                continue;
            }
            encode_key(MODEL_GRAPH, WireType::LengthDelimited, &mut out);
            encode_varint(graph_len as u64, &mut out);
            for (f, n) in self.fields.iter().zip(&new) {
                match n {
                    Some(tensor) => tensor.write_initializer(&mut out),
                    None => out.extend_from_slice(&model[f.whole.clone()]),
                }
            }
        }
        debug_assert_eq!(out.len(), total);
        Ok(Some(out))
    }
}

/// The name of a tensor, from its fields ("" if it has none).
pub(super) fn tensor_name<'a>(bytes: &'a [u8], tensor: &[Field]) -> &'a str {
    tensor.iter().find(|t| t.number == TENSOR_NAME).map_or("", |t| text(bytes, t))
}

/// An int8 tensor re-encoded as uint8 (each value + 128, as raw bytes),
/// from its raw bytes or its `int32_data` (packed or not).
fn unsigned_tensor<'a>(model: &'a [u8], tensor: &[Field]) -> Result<NewTensor<'a>, String> {
    let mut values = Vec::new();
    let mut head = Vec::new();
    for f in tensor {
        match f.number {
            TENSOR_DATA_TYPE => {
                encode_key(TENSOR_DATA_TYPE, WireType::Varint, &mut head);
                encode_varint(UINT8, &mut head);
            }
            TENSOR_RAW_DATA => values.push(Values::Signed(&model[f.value.clone()])),
            TENSOR_INT32_DATA if f.delimited => {
                let mut packed = &model[f.value.clone()];
                let mut shifted_values = Vec::new();
                while !packed.is_empty() {
                    shifted_values.push(shifted(decode_varint(&mut packed).map_err(|e| e.to_string())?)?);
                }
                values.push(Values::Shifted(shifted_values));
            }
            TENSOR_INT32_DATA => values.push(Values::Shifted(vec![shifted(f.varint)?])),
            _ => head.extend_from_slice(&model[f.whole.clone()]),
        }
    }
    if values.is_empty() {
        return Err("an int8 weight stored outside the model file (one file is read)".into());
    }
    Ok(NewTensor::Unsigned { head, values })
}

/// An int8 value as `int32_data` stores it (a sign-extended varint), plus 128.
fn shifted(varint: u64) -> Result<u8, String> {
    let v = varint as i64;
    v.checked_add(128).and_then(|x| u8::try_from(x).ok()).ok_or_else(|| format!("not an ONNX model: int8 value {v}"))
}


#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn bytes_field(out: &mut Vec<u8>, number: u32, value: &[u8]) {
        encode_key(number, WireType::LengthDelimited, out);
        encode_varint(value.len() as u64, out);
        out.extend_from_slice(value);
    }

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

    fn rewrite_alone(model: &[u8]) -> Result<Option<(Vec<u8>, Rewritten)>, String> {
        rewrite(model, None)
    }

    #[test]
    fn matmul_weights_become_unsigned_with_the_same_differences() {
        // MatMulInteger(x, w, xz, wz); `shared` is a weight an Add reads too.
        let shared = tensor("shared", INT8, &[0x05]);
        let signed = model(&[tensor("w", INT8, &[0xFF, 0x00, 0x7F, 0x80]), int32_tensor("wz", &[0, -3]), shared.clone()]);
        let (unsigned, changed) = rewrite(&signed, None).unwrap().unwrap();
        assert_eq!(changed, Rewritten { unsigned: 2, patched: 0 });
        let w = tensor("w", UINT8, &[127, 128, 255, 0]); // -1, 0, 127, -128, each + 128
        let mut wz = Vec::new();
        encode_key(TENSOR_DATA_TYPE, WireType::Varint, &mut wz);
        encode_varint(UINT8, &mut wz);
        bytes_field(&mut wz, TENSOR_NAME, b"wz");
        bytes_field(&mut wz, TENSOR_RAW_DATA, &[128, 125]);
        assert_eq!(unsigned, model(&[w, wz, shared]));
        assert_eq!(rewrite_alone(&unsigned), Ok(None), "nothing signed is left");
    }

    #[test]
    fn bytes_that_are_not_a_model_are_refused_without_a_panic() {
        let m = model(&[tensor("w", INT8, &[1, 2, 3])]);
        for cut in [3, m.len() / 2, m.len() - 1] {
            assert!(rewrite_alone(&m[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(rewrite_alone(&[]), Ok(None));
        assert!(rewrite_alone(&model(&[int32_tensor("w", &[300])])).unwrap_err().contains("int8 value 300"));
        let mut external = Vec::new();
        encode_key(TENSOR_DATA_TYPE, WireType::Varint, &mut external);
        encode_varint(INT8, &mut external);
        bytes_field(&mut external, TENSOR_NAME, b"w");
        assert!(rewrite_alone(&model(&[external])).unwrap_err().contains("outside the model file"));
    }
}
