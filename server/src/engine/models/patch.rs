//! A model's initializers replaced by those of a patch file, in the model
//! file's bytes, before ONNX Runtime reads it.
//!
//! `train/train_top.py` retrains the stance model's top layers and writes
//! only their tensors (an ONNX file whose graph holds nothing but
//! initializers, under the served graph's names): a clone then carries a few
//! MB per retraining, not another copy of the model. The graph is not
//! touched, so a patch changes weights and never what is computed.

use std::collections::HashMap;

use super::unsigned::{Field, GRAPH_INITIALIZER, MODEL_GRAPH, TENSOR_DATA_TYPE, TENSOR_DIMS, TENSOR_NAME, bytes_field, fields, text};

/// `model` with each initializer that `patch` has a tensor of the same name
/// for replaced by it, and how many were. A patch tensor that the model has
/// no initializer for, or one of another type or shape, is an error: the
/// patch was made for another model (the graph would read it wrongly, or
/// ONNX Runtime would refuse it). `model` has its weights unsigned already
/// (`unsigned.rs`), as a patch's are.
pub fn patched(model: &[u8], patch: &[u8]) -> Result<(Vec<u8>, usize), String> {
    let mut replacements = HashMap::new();
    let (_, patch_graph) = graph(patch)?;
    for t in patch_graph.iter().filter(|f| f.number == GRAPH_INITIALIZER) {
        let (name, shape) = name_and_shape(patch, t)?;
        if replacements.insert(name, (shape, &patch[t.value.clone()])).is_some() {
            return Err(format!("the patch has two tensors named {name}"));
        }
    }
    let (top, graph_fields) = graph(model)?;
    let graph_at = top.iter().rposition(|f| f.number == MODEL_GRAPH).expect("graph() found it");
    let mut new_graph = Vec::with_capacity(top[graph_at].value.len());
    let mut replaced = 0;
    for f in &graph_fields {
        let old = if f.number == GRAPH_INITIALIZER { Some(name_and_shape(model, f)?) } else { None };
        match old.and_then(|(name, shape)| replacements.remove(name).map(|new| (name, shape, new))) {
            Some((name, shape, (new_shape, tensor))) => {
                if shape != new_shape {
                    return Err(format!("the patch's tensor {name} has another type or shape than the model's: made for another model"));
                }
                bytes_field(&mut new_graph, GRAPH_INITIALIZER, tensor);
                replaced += 1;
            }
            None => new_graph.extend_from_slice(&model[f.whole.clone()]),
        }
    }
    if let Some(name) = replacements.keys().min() {
        return Err(format!("the patch's tensor {name} is not in the model ({} such tensors): made for another model", replacements.len()));
    }
    let mut out = Vec::with_capacity(model.len());
    for (i, f) in top.iter().enumerate() {
        if i == graph_at { bytes_field(&mut out, MODEL_GRAPH, &new_graph) } else { out.extend_from_slice(&model[f.whole.clone()]) }
    }
    Ok((out, replaced))
}

/// The top-level fields of a model and those of its (last) graph.
fn graph(model: &[u8]) -> Result<(Vec<Field>, Vec<Field>), String> {
    let top = fields(model, 0..model.len())?;
    let at = top.iter().rposition(|f| f.number == MODEL_GRAPH).ok_or("not an ONNX model: no graph")?;
    let graph = fields(model, top[at].value.clone())?;
    Ok((top, graph))
}

/// The name of the tensor in field `f` (an initializer), and its type and
/// dims as encoded (one exporter writes both files alike).
fn name_and_shape<'a>(bytes: &'a [u8], f: &Field) -> Result<(&'a str, Vec<&'a [u8]>), String> {
    let tensor = fields(bytes, f.value.clone())?;
    let name = tensor.iter().find(|t| t.number == TENSOR_NAME).map_or("", |t| text(bytes, t));
    let shape = tensor.iter().filter(|t| t.number == TENSOR_DIMS || t.number == TENSOR_DATA_TYPE).map(|t| &bytes[t.whole.clone()]).collect();
    Ok((name, shape))
}

#[cfg(test)]
mod tests {
    use super::super::unsigned::tests::{model, tensor};
    use super::super::unsigned::{INT8, UINT8};
    use super::*;

    #[test]
    fn named_initializers_are_replaced_and_the_rest_copied() {
        let base = model(&[tensor("w", UINT8, &[1, 2]), tensor("b", INT8, &[3])]);
        let patch = model(&[tensor("w", UINT8, &[9, 9])]);
        let (out, replaced) = patched(&base, &patch).unwrap();
        assert_eq!(replaced, 1);
        assert_eq!(out, model(&[tensor("w", UINT8, &[9, 9]), tensor("b", INT8, &[3])]));
    }

    #[test]
    fn a_patch_for_another_model_is_refused() {
        let base = model(&[tensor("w", UINT8, &[1, 2])]);
        let err = patched(&base, &model(&[tensor("w", UINT8, &[9, 9]), tensor("elsewhere", UINT8, &[1])])).unwrap_err();
        assert!(err.contains("elsewhere") && err.contains("another model"), "{err}");
        let twice = model(&[tensor("w", UINT8, &[9, 9]), tensor("w", UINT8, &[8, 8])]);
        assert!(patched(&base, &twice).unwrap_err().contains("two tensors named w"));
        for other in [tensor("w", INT8, &[9, 9]), tensor("w", UINT8, &[9, 9, 9])] {
            let err = patched(&base, &model(&[other])).unwrap_err();
            assert!(err.contains("another type or shape"), "{err}");
        }
        assert!(patched(&base, &[0xFF]).is_err(), "bytes that are not a model, without a panic");
        assert!(patched(&base[..base.len() / 2], &base).is_err());
    }
}
