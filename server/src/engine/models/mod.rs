//! The optional models, run by ONNX Runtime (loaded from `models/` at start):
//! - a sentence embedder (all-MiniLM-L6-v2, int8) for dense retrieval;
//! - the stance cross-encoder this project trains (`train/train_stance.py`),
//!   which reads "[CLS] claim [SEP] title | sentence [SEP]" and says
//!   SUPPORTS / REFUTES / NEI. A stance model of another family (MPNet) comes
//!   with its own `stance/tokenizer.json` and takes no token types.
//!
//! Without the files the engine runs lexically; `Models::load` says why.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams, TruncationStrategy};

use super::domain::{StanceProbs, file_id};
use crate::error::{Error, Result};

/// Embedding width of MiniLM-L6.
pub const DIM: usize = 384;
/// Word pieces per input; longer inputs are truncated (the model saw 128 in training).
const MAX_TOKENS: usize = 128;
/// Inputs per ONNX Runtime call: bounds memory at ingest.
const BATCH: usize = 32;
/// Sentences per embedder call at ingest: on these cores larger batches
/// are slower per sentence (13 ms at 1 or 8, 23 ms at 32: BENCHMARKS.md).
const EMBED_BATCH: usize = 8;

/// Files under the models directory.
pub const EMBEDDER: &str = "base/embed.onnx";
pub const TOKENIZER: &str = "base/tokenizer.json";
pub const RUNTIME: &str = "base/libonnxruntime.so";
pub const STANCE: &str = "stance/model.onnx";
/// Optional: the stance model's tokenizer, where it is not the embedder's.
pub const STANCE_TOKENIZER: &str = "stance/tokenizer.json";

/// ONNX Runtime sessions are `&mut` to run: a few, taken in turn, let
/// concurrent verifications proceed without one global lock.
struct Pool {
    /// Up to the pool's size: the first made at load, the others by
    /// [`Pool::open_rest`] (each is ~0.4 s of a core that a restart need not wait for).
    sessions: Arc<[OnceLock<Mutex<Session>>]>,
    /// The model's bytes, until the other sessions are made.
    pending: Mutex<Option<Vec<u8>>>,
    name: String,
    /// The model file's [`file_id`].
    id: String,
    next: AtomicUsize,
    /// BERT takes token types; MPNet does not.
    takes_types: bool,
}

/// A session of `model`, on one thread: concurrency comes from the pool.
fn open_session(model: &[u8]) -> Result<Session> {
    let env = environment()?;
    let open = || -> ort::Result<Session> { Session::builder(env)?.with_optimization_level(GraphOptimizationLevel::Level3)?.with_intra_threads(1)?.commit_from_memory(model) };
    open().map_err(model_error)
}

impl Pool {
    /// The model at `path`, as the file is (weights uint8: ONNX Runtime's
    /// uint8 × uint8 kernels are exact on every x86 CPU, where int8 weights
    /// overflow silently without VNNI), with one session of `size`.
    fn load(path: &Path, size: usize) -> Result<Pool> {
        let fail = |e: String| Error::Model(format!("{}: {e}", path.display()));
        let started = std::time::Instant::now();
        let model = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
        let id = file_id(&model);
        let read = started.elapsed();
        let first = open_session(&model).map_err(|e| fail(e.to_string()))?;
        let (read_ms, session_ms) = (read.as_millis() as u64, (started.elapsed() - read).as_millis() as u64);
        tracing::info!(model = %path.display(), id = %id, read_ms, session_ms, "model loaded");
        let takes_types = first.inputs().iter().any(|i| i.name() == "token_type_ids");
        let sessions: Arc<[OnceLock<Mutex<Session>>]> = (0..size.max(1)).map(|_| OnceLock::new()).collect();
        let _ = sessions[0].set(Mutex::new(first));
        let pending = Mutex::new((size > 1).then_some(model));
        Ok(Pool { sessions, pending, name: path.display().to_string(), id, next: AtomicUsize::new(0), takes_types })
    }

    /// Makes the pool's other sessions on a thread of their own; the pool
    /// runs on those it has meanwhile. Once only.
    fn open_rest(&self) -> Option<std::thread::JoinHandle<()>> {
        let model = self.pending.lock().unwrap_or_else(|e| e.into_inner()).take()?;
        let (sessions, name) = (self.sessions.clone(), self.name.clone());
        let opening = move || {
            let started = std::time::Instant::now();
            // Side by side, a thread each, as a start made them before.
            let made: Vec<Result<Session>> = std::thread::scope(|scope| {
                let opening: Vec<_> = sessions.iter().skip(1).map(|_| scope.spawn(|| open_session(&model))).collect();
                opening.into_iter().map(|o| o.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
            });
            for (slot, session) in sessions.iter().skip(1).zip(made) {
                match session {
                    Ok(session) => drop(slot.set(Mutex::new(session))),
                    Err(e) => {
                        tracing::warn!(model = %name, error = %e, "a further model session failed; running on fewer");
                        return;
                    }
                }
            }
            tracing::info!(model = %name, sessions = sessions.len(), elapsed_ms = started.elapsed().as_millis() as u64, "model sessions opened");
        };
        std::thread::Builder::new().name("model-sessions".into()).spawn(opening).inspect_err(|e| tracing::warn!(error = %e, "no thread for further model sessions")).ok()
    }

    /// The sessions made so far.
    fn ready(&self) -> Vec<&Mutex<Session>> {
        self.sessions.iter().map_while(OnceLock::get).collect()
    }

    /// Runs the model on a batch; token types go in only where the model takes them.
    fn run(&self, Tokens { shape, ids, mask, types }: Tokens) -> Result<(Vec<usize>, Vec<f32>)> {
        let tensor = |data: Vec<i64>| Tensor::from_array((shape, data)).map_err(model_error);
        let (ids, mask) = (tensor(ids)?, tensor(mask)?);
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let sessions = self.ready();
        let n = sessions.len();
        // A free session if there is one, else wait for the next in turn.
        let mut guard = (0..n)
            .find_map(|i| sessions[(start + i) % n].try_lock().ok())
            .unwrap_or_else(|| sessions[start % n].lock().unwrap_or_else(|e| e.into_inner()));
        let outputs = if self.takes_types {
            guard.run(ort::inputs!["input_ids" => ids, "attention_mask" => mask, "token_type_ids" => tensor(types)?])
        } else {
            guard.run(ort::inputs!["input_ids" => ids, "attention_mask" => mask])
        }
        .map_err(model_error)?;
        let (shape, data) = outputs[0].try_extract_tensor::<f32>().map_err(model_error)?;
        Ok((shape.iter().map(|&d| d as usize).collect(), data.to_vec()))
    }
}

/// A batch as the model reads it: `[batch, seq]` row-major ids, mask and token types.
struct Tokens {
    shape: [usize; 2],
    ids: Vec<i64>,
    mask: Vec<i64>,
    types: Vec<i64>,
}

/// Tokenises a batch, padded to its longest input.
fn tokenize(tokenizer: &Tokenizer, inputs: Vec<tokenizers::EncodeInput<'_>>) -> Result<Tokens> {
    let encodings = tokenizer.encode_batch(inputs, true).map_err(|e| Error::Model(format!("tokenizer: {e}")))?;
    let seq = encodings.first().map_or(0, |e| e.get_ids().len());
    let flat = |f: &dyn Fn(&tokenizers::Encoding) -> &[u32]| encodings.iter().flat_map(|e| f(e).iter().map(|&x| i64::from(x))).collect::<Vec<i64>>();
    Ok(Tokens { shape: [encodings.len(), seq], ids: flat(&|e| e.get_ids()), mask: flat(&|e| e.get_attention_mask()), types: flat(&|e| e.get_type_ids()) })
}

/// A tokenizer padding to the batch's longest input (the packaged one pads
/// every input to 128), with the file's pad token, and cutting at [`MAX_TOKENS`].
fn load_tokenizer(path: &Path) -> Result<Tokenizer> {
    let fail = |e| Error::Model(format!("{}: {e}", path.display()));
    let mut tokenizer = Tokenizer::from_file(path).map_err(fail)?;
    let pad = tokenizer.get_padding().cloned().unwrap_or_default();
    tokenizer.with_padding(Some(PaddingParams { strategy: PaddingStrategy::BatchLongest, ..pad }));
    tokenizer.with_truncation(Some(TruncationParams { max_length: MAX_TOKENS, strategy: TruncationStrategy::LongestFirst, ..TruncationParams::default() })).map_err(fail)?;
    Ok(tokenizer)
}

fn model_error(e: ort::Error) -> Error {
    Error::Model(e.to_string())
}

/// ONNX Runtime is one library and one environment per process.
static RUNTIME_PATH: OnceLock<PathBuf> = OnceLock::new();
static ENVIRONMENT: OnceLock<std::result::Result<ort::environment::Environment, String>> = OnceLock::new();

fn environment() -> Result<&'static ort::environment::Environment> {
    ENVIRONMENT
        .get_or_init(|| {
            let path = RUNTIME_PATH.get().ok_or("no ONNX Runtime library given")?;
            ort::init_from(path).map_err(|e| format!("{}: {e}", path.display()))?.with_name("factcheck").build().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::Model(e.clone()))
}

pub struct Models {
    tokenizer: Tokenizer,
    /// The embedder's, unless the stance model brings its own.
    stance_tokenizer: Tokenizer,
    embedder: Pool,
    stance: Pool,
    /// Identifies the embedder, stored beside vectors so a new model re-embeds.
    pub embedder_id: String,
    /// Where the models were loaded from (the judge's aggregator sits beside the stance model).
    pub dir: PathBuf,
}

/// Identifies the embedder in `dir` by its bytes' hash (stored beside
/// vectors: another embedder's vectors are made again), without loading it.
pub fn embedder_id(dir: &Path) -> Result<String> {
    Ok(format!("minilm-l6-int8:{}", file_id(&std::fs::read(dir.join(EMBEDDER))?)))
}

impl Models {
    /// Loads the models from `dir`, each with one ONNX Runtime session of
    /// `sessions`: [`Models::open_sessions`] makes the others.
    pub fn load(dir: &Path, sessions: usize) -> Result<Models> {
        for file in [RUNTIME, TOKENIZER, EMBEDDER, STANCE] {
            if !dir.join(file).is_file() {
                return Err(Error::Model(format!("{} is missing (run scripts/setup-models.sh)", dir.join(file).display())));
            }
        }
        let runtime = std::fs::canonicalize(dir.join(RUNTIME))?;
        if RUNTIME_PATH.get_or_init(|| runtime.clone()) != &runtime {
            return Err(Error::Model("a different ONNX Runtime library is already loaded".into()));
        }
        let tokenizer = load_tokenizer(&dir.join(TOKENIZER))?;
        let stance_tokenizer = match dir.join(STANCE_TOKENIZER) {
            own if own.is_file() => load_tokenizer(&own)?,
            _ => tokenizer.clone(),
        };
        let embedder_id = embedder_id(dir)?;
        // The two models load side by side (a restart waits for the slower).
        let (embedder, stance) = std::thread::scope(|scope| {
            let embedder = scope.spawn(|| Pool::load(&dir.join(EMBEDDER), sessions));
            let stance = Pool::load(&dir.join(STANCE), sessions);
            (embedder.join().unwrap_or_else(|p| std::panic::resume_unwind(p)), stance)
        });
        Ok(Models {
            tokenizer,
            stance_tokenizer,
            embedder: embedder?,
            stance: stance?,
            embedder_id,
            dir: dir.to_path_buf(),
        })
    }

    /// Makes the models' other sessions in the background (once); until they
    /// are made, the models run on the sessions they have.
    pub fn open_sessions(&self) -> Vec<std::thread::JoinHandle<()>> {
        [&self.embedder, &self.stance].into_iter().filter_map(|pool| pool.open_rest()).collect()
    }

    /// The stance model's file id ([`file_id`]).
    pub fn stance_id(&self) -> &str {
        &self.stance.id
    }

    /// The sessions made so far: the embedder's and the stance model's.
    pub fn sessions(&self) -> (usize, usize) {
        (self.embedder.ready().len(), self.stance.ready().len())
    }

    /// Unit-length embeddings of `texts`, `DIM` floats each, in order. Large
    /// inputs are cut into batches of similar length (little padding), run
    /// on every session of the pool at once (one core each).
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<f32>> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let batches: Vec<&[usize]> = order.chunks(EMBED_BATCH).collect();
        let workers = self.embedder.ready().len().min(batches.len());
        let run = |batch: &[usize]| self.embed_batch(&batch.iter().map(|&i| texts[i]).collect::<Vec<_>>());
        let done: Vec<Result<Vec<f32>>> = if workers <= 1 {
            batches.iter().map(|b| run(b)).collect()
        } else {
            // Worker w takes batches w, w + workers, …: lengths spread evenly.
            let per_worker: Vec<Vec<(usize, Result<Vec<f32>>)>> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..workers)
                    .map(|w| {
                        let (batches, run) = (&batches, &run);
                        scope.spawn(move || (w..batches.len()).step_by(workers).map(|b| (b, run(batches[b]))).collect::<Vec<_>>())
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
            });
            let mut done: Vec<(usize, Result<Vec<f32>>)> = per_worker.into_iter().flatten().collect();
            done.sort_by_key(|(b, _)| *b);
            done.into_iter().map(|(_, r)| r).collect()
        };
        let mut out = vec![0f32; texts.len() * DIM];
        for (batch, vectors) in batches.iter().zip(done) {
            for (&i, v) in batch.iter().zip(vectors?.chunks_exact(DIM)) {
                out[i * DIM..(i + 1) * DIM].copy_from_slice(v);
            }
        }
        Ok(out)
    }

    /// One ONNX Runtime call: mean-pooled, unit-length embeddings.
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(texts.len() * DIM);
        let tokens = tokenize(&self.tokenizer, texts.iter().map(|t| tokenizers::EncodeInput::Single((*t).into())).collect())?;
        let mask = tokens.mask.clone();
        let (shape, hidden) = self.embedder.run(tokens)?;
        let (batch, seq) = (shape[0], shape[1]);
        // Mean over the real word pieces, then L2-normalise (sentence-transformers'
        // pooling); the mean's divisor cancels in the normalisation.
        for b in 0..batch {
            let mut v = [0f32; DIM];
            for s in 0..seq {
                if mask[b * seq + s] == 0 {
                    continue;
                }
                let row = &hidden[(b * seq + s) * DIM..(b * seq + s + 1) * DIM];
                v.iter_mut().zip(row).for_each(|(a, x)| *a += x);
            }
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
            out.extend(v.iter().map(|x| x / norm));
        }
        Ok(out)
    }

    /// The stance of each evidence text towards `claim`.
    pub fn stance(&self, claim: &str, evidence: &[String]) -> Result<Vec<StanceProbs>> {
        if evidence.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(evidence.len());
        for chunk in evidence.chunks(BATCH) {
            let pairs = chunk.iter().map(|e| tokenizers::EncodeInput::Dual(claim.into(), e.as_str().into())).collect();
            let (_, logits) = self.stance.run(tokenize(&self.stance_tokenizer, pairs)?)?;
            out.extend(logits.chunks_exact(3).map(|l| {
                let max = l.iter().copied().fold(f32::MIN, f32::max);
                let e: Vec<f32> = l.iter().map(|x| (x - max).exp()).collect();
                let sum: f32 = e.iter().sum();
                StanceProbs { supports: e[0] / sum, refutes: e[1] / sum, nei: e[2] / sum }
            }));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tokenizers::models::wordlevel::WordLevel;
    use tokenizers::pre_tokenizers::whitespace::Whitespace;

    use super::*;

    #[test]
    fn a_tokenizer_pads_to_the_longest_input_with_its_own_pad_token() {
        let vocab: HashMap<String, u32> = [("<s>", 0), ("<pad>", 1), ("[UNK]", 2), ("word", 3)].into_iter().map(|(w, i)| (w.to_string(), i)).collect();
        let mut tokenizer = Tokenizer::new(WordLevel::builder().vocab(vocab.into_iter().collect()).unk_token("[UNK]".into()).build().unwrap());
        tokenizer.with_pre_tokenizer(Some(Whitespace {}));
        // As MPNet's file says it: pad with id 1 to a fixed 128.
        tokenizer.with_padding(Some(PaddingParams { strategy: PaddingStrategy::Fixed(128), pad_id: 1, pad_token: "<pad>".into(), ..PaddingParams::default() }));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokenizer.json");
        tokenizer.save(&path, false).unwrap();

        let loaded = load_tokenizer(&path).unwrap();
        let tokens = tokenize(&loaded, vec!["word".into(), "word word word".into()]).unwrap();
        assert_eq!(tokens.shape, [2, 3]);
        assert_eq!(tokens.ids, [3, 1, 1, 3, 3, 3]);
        assert_eq!(tokens.mask, [1, 0, 0, 1, 1, 1]);
    }

    /// The served stance tokenizer cuts and frames a pair as training did.
    /// The ids are transformers' (`AutoTokenizer.from_pretrained("models/stance")`,
    /// `truncation="longest_first", max_length=128, padding=True`, as
    /// `train/train_stance.py` calls it) for MPNet's `<s> A </s></s> B </s>`;
    /// a model of another family brings other ids: regenerate them so.
    #[test]
    fn the_stance_tokenizer_frames_pairs_as_training_did() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("models").join(STANCE_TOKENIZER);
        let tokenizer = load_tokenizer(&path).unwrap();
        let claim = "The G7 foreign ministers met in Capri, Greece.";
        let long = format!("Reuters | {}", "The foreign ministers of the Group of Seven met on the Italian island of Capri, ".repeat(12));
        let pairs = vec![tokenizers::EncodeInput::Dual(claim.into(), "Reuters | They met on Capri.".into()), tokenizers::EncodeInput::Dual(claim.into(), long.into())];
        let tokens = tokenize(&tokenizer, pairs).unwrap();
        assert_eq!(tokens.shape, [2, MAX_TOKENS]);
        let short = [0, 2000, 1047, 2585, 3101, 7771, 2781, 2003, 6182, 3093, 1014, 5487, 1016, 2, 2, 26669, 1068, 2031, 2781, 2010, 6182, 3093, 1016, 2];
        assert_eq!(tokens.ids[..short.len()], short);
        assert!(tokens.ids[short.len()..MAX_TOKENS].iter().all(|&id| id == 1), "padded with <pad>");
        assert_eq!(tokens.mask[..MAX_TOKENS].iter().sum::<i64>(), short.len() as i64);
        let cut = &tokens.ids[MAX_TOKENS..];
        assert_eq!((&cut[..16], &cut[MAX_TOKENS - 4..]), (&short[..16], &[2181, 2001, 2702, 2][..]));
        assert_eq!(cut.iter().sum::<i64>(), 379_884);
    }
}
