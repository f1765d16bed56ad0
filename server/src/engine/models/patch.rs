//! A model's initializers replaced by those of a patch file, in the model
//! file's bytes, before ONNX Runtime reads it.
//!
//! `train/train_top.py` retrains the stance model's top layers and writes
//! only their tensors (an ONNX file whose graph holds nothing but
//! initializers, under the served graph's names): a clone then carries a few
//! MB per retraining, not another copy of the model. The graph is not
//! touched, so a patch changes weights and never what is computed.

use std::collections::HashMap;

use super::unsigned::{Field, GRAPH_INITIALIZER, Graph, TENSOR_DATA_TYPE, TENSOR_DIMS, fields, tensor_name};

/// `model` with each initializer that `patch` has a tensor of the same name
/// for replaced by it, and how many were. A patch tensor that the model has
/// no initializer for, or one of another type or shape, is an error: the
/// patch was made for another model (the graph would read it wrongly, or
/// ONNX Runtime would refuse it). `model` has its weights unsigned already
/// (`unsigned.rs`), as a patch's are.
pub fn patched(model: &[u8], patch: &[u8]) -> Result<(Vec<u8>, usize), String> {
    let no_graph = || "not an ONNX model: no graph".to_string();
    let mut replacements = HashMap::new();
    for t in Graph::read(patch)?.ok_or_else(no_graph)?.fields.iter().filter(|f| f.number == GRAPH_INITIALIZER) {
        let tensor = fields(patch, t.value.clone())?;
        let name = tensor_name(patch, &tensor);
        if replacements.insert(name, (shape(patch, &tensor), &patch[t.value.clone()])).is_some() {
            return Err(format!("the patch has two tensors named {name}"));
        }
    }
    let graph = Graph::read(model)?.ok_or_else(no_graph)?;
    let out = graph.replace_initializers(model, |tensor| {
        let name = tensor_name(model, tensor);
        let Some((new_shape, new)) = replacements.remove(name) else { return Ok(None) };
        if shape(model, tensor) != new_shape {
            return Err(format!("the patch's tensor {name} has another type or shape than the model's: made for another model"));
        }
        Ok(Some(new.to_vec()))
    })?;
    if let Some(name) = replacements.keys().min() {
        return Err(format!("the patch's tensor {name} is not in the model ({} such tensors): made for another model", replacements.len()));
    }
    Ok(out.unwrap_or_else(|| (model.to_vec(), 0)))
}

/// A tensor's type and dims, as encoded (one exporter writes both files alike).
fn shape<'a>(bytes: &'a [u8], tensor: &[Field]) -> Vec<&'a [u8]> {
    tensor.iter().filter(|t| t.number == TENSOR_DIMS || t.number == TENSOR_DATA_TYPE).map(|t| &bytes[t.whole.clone()]).collect()
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
