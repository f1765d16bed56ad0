//! A model's initializers replaced by those of a patch file, in the model
//! file's bytes, before ONNX Runtime reads it (in the same pass that makes
//! its weights unsigned: `unsigned::rewrite`).
//!
//! `train/train_top.py` retrains the stance model's top layers and writes
//! only their tensors (an ONNX file whose graph holds nothing but
//! initializers, under the served graph's names): a clone then carries a few
//! MB per retraining, not another copy of the model. The graph is not
//! touched, so a patch changes weights and never what is computed.

use std::collections::HashMap;

use super::unsigned::{Field, GRAPH_INITIALIZER, Graph, TENSOR_DIMS, data_type, fields, tensor_name};

/// The tensors of a patch file, by name, each taken by the model's
/// initializer of that name (`unsigned::rewrite`). A patch tensor that the
/// model has no initializer for, or one of another type or shape, is an
/// error: the patch was made for another model (the graph would read it
/// wrongly, or ONNX Runtime would refuse it).
pub struct Patch<'a> {
    /// Name → (dims, data type, the tensor message).
    tensors: HashMap<&'a str, (Vec<&'a [u8]>, Option<u64>, &'a [u8])>,
}

impl<'a> Patch<'a> {
    pub fn read(patch: &'a [u8]) -> Result<Patch<'a>, String> {
        let mut tensors = HashMap::new();
        for t in Graph::read(patch)?.ok_or("not an ONNX model: no graph")?.fields.iter().filter(|f| f.number == GRAPH_INITIALIZER) {
            let tensor = fields(patch, t.value.clone())?;
            let name = tensor_name(patch, &tensor);
            if tensors.insert(name, (dims(patch, &tensor), data_type(&tensor), &patch[t.value.clone()])).is_some() {
                return Err(format!("the patch has two tensors named {name}"));
            }
        }
        Ok(Patch { tensors })
    }

    /// The patch's tensor for the model's initializer `name` (its fields
    /// `tensor` in `model`, of type `data_type` as the model is read), if any.
    pub fn take(&mut self, name: &str, model: &[u8], tensor: &[Field], data_type: Option<u64>) -> Result<Option<&'a [u8]>, String> {
        let Some((new_dims, new_type, new)) = self.tensors.remove(name) else { return Ok(None) };
        if dims(model, tensor) != new_dims || data_type != new_type {
            return Err(format!("the patch's tensor {name} has another type or shape than the model's: made for another model"));
        }
        Ok(Some(new))
    }

    /// An error if a tensor was left untaken.
    pub fn all_taken(&self) -> Result<(), String> {
        match self.tensors.keys().min() {
            Some(name) => Err(format!("the patch's tensor {name} is not in the model ({} such tensors): made for another model", self.tensors.len())),
            None => Ok(()),
        }
    }
}

/// A tensor's dims, as encoded (one exporter writes both files alike).
fn dims<'a>(bytes: &'a [u8], tensor: &[Field]) -> Vec<&'a [u8]> {
    tensor.iter().filter(|t| t.number == TENSOR_DIMS).map(|t| &bytes[t.whole.clone()]).collect()
}

#[cfg(test)]
mod tests {
    use super::super::unsigned::tests::{model, tensor};
    use super::super::unsigned::{INT8, Rewritten, UINT8, rewrite};
    use super::*;

    /// `model` with `patch` swapped in, and how many tensors it replaced.
    fn patched(model: &[u8], patch: &[u8]) -> Result<(Vec<u8>, usize), String> {
        let mut patch = Patch::read(patch)?;
        let (out, changed) = rewrite(model, Some(&mut patch))?.unwrap_or_else(|| (model.to_vec(), Rewritten::default()));
        Ok((out, changed.patched))
    }

    #[test]
    fn a_signed_model_is_made_unsigned_and_patched_in_one_pass() {
        // `w` and `wz` are MatMulInteger weights (`unsigned::tests::model`): read as uint8.
        let base = model(&[tensor("w", INT8, &[0xFF, 0x00]), tensor("wz", INT8, &[0x00])]);
        let patch = model(&[tensor("w", UINT8, &[9, 9])]);
        let mut patch_file = Patch::read(&patch).unwrap();
        let (out, changed) = rewrite(&base, Some(&mut patch_file)).unwrap().unwrap();
        assert_eq!(changed, Rewritten { unsigned: 1, patched: 1 });
        assert_eq!(out, model(&[tensor("w", UINT8, &[9, 9]), tensor("wz", UINT8, &[128])]));
        let err = patched(&base, &model(&[tensor("w", INT8, &[9, 9])])).unwrap_err();
        assert!(err.contains("another type or shape"), "a signed patch for a weight read unsigned: {err}");
    }

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
