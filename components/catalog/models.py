"""Architectures of the open models this project knows how to size, keyed by Hugging Face id.

Data, not logic. Each row is the model's `config.json` on the Hugging Face Hub (for multimodal models its
`text_config`): num_hidden_layers, hidden_size, intermediate_size (moe_intermediate_size for experts),
num_attention_heads, num_key_value_heads, head_dim (or hidden_size / num_attention_heads), vocab_size,
tie_word_embeddings, num_experts / num_local_experts and num_experts_per_tok, sliding_window and the layers that
use it (layer_types, or Gemma's sliding_window_pattern), max_position_embeddings; and the model card's stated
parameter count and gating, plus its `model_type` and `torch_dtype` (what vLLM's dtype resolution reads).
`recomputed_parameters` rebuilds the count from those numbers (tests hold it to the card's within 3%), so a
mistyped row shows.

Where each row was checked (2026-12-07, the search index's copies of config.json, by file id; the Hub itself is
not reachable from this workplace). Copies of the Hub's own file (an `_name_or_path`, a `cat` of the cached
snapshot, or the full file quoted in an issue):
- Qwen2.5-7B-Instruct (25096887737: 28 layers, 3584, 18944, 28/4 heads, vocab 152064, 32768 positions, untied,
  bfloat16); Qwen2.5-32B-Instruct (56909969442, quoted in a vLLM issue: 64 layers, 5120, 27648, 40/8, 32768);
  gemma-2-9b-it (56964966687, `cat models--google--gemma-2-9b-it/config.json`: 42 layers, 3584, 14336, 16/8,
  head_dim 256, sliding_window 4096, 8192 positions, bfloat16); gemma-3-12b-it (53842405528: text_config 48
  layers, 3840, 15360, 16/8, head_dim 256, sliding 1024 with pattern 6, vocab 262208, 131072 positions);
  Mixtral-8x7B-Instruct-v0.1 (22133831111: 32 layers, 4096, 14336, 32/8, 8 experts, 2 per token, vocab 32000,
  32768 positions, bfloat16); Llama-3.1-8B-Instruct (46065411686: 32 layers, 4096, 14336, 32/8, vocab 128256,
  131072 positions); Meta-Llama-3.1-70B (59764473163: 80 layers, 8192, 28672, 64/8, 128256, 131072); Qwen3-32B
  (52352825654, layers edited by its poster, the rest as published: 5120, 25600, 64/8, head_dim 128, 151936,
  40960, untied, bfloat16); gpt-oss-20b (10475698787), gpt-oss-120b (61893628936, quantization_config
  71200188145); gemma-3-27b-it text_config (9101267843).
- Agreeing secondary copies only (test fixtures and tables typed from the file): Qwen2.5-0.5B-Instruct
  (69037762342, 3034731578: 24 layers, 896, 4864, 14/2, 151936, tied, 32768); Qwen2.5-72B-Instruct (67101837756,
  53461855267: 80 layers, 8192, 29568, 64/8, 152064, untied); gemma-2-27b-it (52328577661, 62716467186: 46
  layers, 4608, 36864, 32/16, head_dim 128, sliding 4096, 8192 positions); Mistral-7B-Instruct-v0.3
  (65914544774: 32 layers, 4096, 14336, 32/8, vocab 32768, 32768 positions); Mistral-Small-24B-Instruct-2501
  (52694973519, 70936423264: 40 layers, 5120, 32768, 32/8, head_dim 128, vocab 131072); Qwen3-8B (65731783159:
  36 layers, 4096, 12288, 32/8, 151936); Qwen3-30B-A3B (68980208961: 48 layers, 2048, moe 768, 32/4, 128 experts,
  8 per token, 151936, 40960).
- Past one node: DeepSeek-V3 (55875602218, the full file quoted in an issue: 61 layers, 7168, 18432 dense and
  2048 per expert, first_k_dense_replace 3, 256 routed and 1 shared expert, 8 per token, 128/128 heads,
  q_lora_rank 1536, kv_lora_rank 512, qk_nope 128, qk_rope 64, v_head 128, 163840 positions; 129280 vocab and
  untied in 66032461660 and 67338768736); V3.1 and R1-0528 are taken with V3's shapes (their own files not read
  here). Llama-3.1-405B (24602417807, 66032461660, 9355144404, all typed from the file: 126 layers, 16384, 53248,
  128/8, 128256, 131072, untied).
- Embedding models: Qwen3-Embedding-0.6B (52745721823, the whole file: Qwen3ForCausalLM, 28 layers, 1024, 3072,
  16/8, head_dim 128, vocab 151669, 32768 positions, tied, bfloat16; 70255335171, a test fixture of "its published
  config", agrees); bge-m3 (64108299073: bge-reranker-v2-m3's config.json, fine-tuned from and naming BAAI/bge-m3,
  the same XLM-RoBERTa backbone: 24 layers, 1024, 4096, 16 heads, vocab 250002, 8194 positions, float32; its
  sentence-transformers max_seq_length 8192 is the card's, not read here); e5-large-v2 (xorbits/inference
  doc/source/models/builtin/embedding/e5-large-v2.rst: 1024 dimensions, 512 tokens; 32619314321: 24 layers; the
  16 heads, 4096 MLP and 30522 vocabulary are bert-large-uncased's, its base, and its float32 dtype is not read
  here). The parameter counts are the cards' (568M, 335M, 0.6B); recomputed within 2%.
- Unverified here: the Red Hat FP8 and the Qwen2.5-72B AWQ checkpoints (same shapes as their base models; the
  AWQ `torch_dtype` float16 is AutoAWQ's default, not read), Llama-3.3-70B (taken as Llama-3.1-70B's shapes),
  the Mistral 7B v0.3 and Small 24B context lengths and dtypes.

A model missing here can still be served: its stack config then gives the numbers under
`models.<name>.architecture`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

WeightFormat = Literal["bf16", "fp8", "int4", "mxfp4"]
Attention = Literal["gqa", "mla", "mamba", "linear"]
Task = Literal["generate", "embed"]


@dataclass(frozen=True, kw_only=True)
class ModelArchitecture:
    parameters_billion: float
    """Total parameter count in billions, as the model card states it (every expert of a mixture of experts)."""
    layers: int
    """`num_hidden_layers`."""
    kv_heads: int
    """`num_key_value_heads` (grouped-query attention); equals the attention heads without GQA."""
    head_dim: int
    """`head_dim`, or `hidden_size / num_attention_heads` where the config has no head_dim."""
    default_context: int
    """`max_position_embeddings`: the longest context the model was trained for."""
    gated: bool
    """Whether the Hub asks users to accept a licence before download (a token is then required)."""
    attention_heads: int | None = None
    """`num_attention_heads`: tensor parallelism must divide it; None: not checked."""
    hidden_size: int | None = None
    """None (a model given in the stack config without it): attention_heads x head_dim."""
    intermediate_size: int | None = None
    """Dense MLP width; for a mixture of experts, one expert's (`moe_intermediate_size`). None: 4 x hidden."""
    vocab_size: int | None = None
    """None: 152,064 (Qwen2.5's, among the largest of common models: the activation estimate stays safe)."""
    tied_embeddings: bool = False
    experts: int = 0
    """Routed experts per MoE layer; 0: a dense model."""
    experts_per_token: int = 0
    sliding_window: int | None = None
    """Tokens a sliding-window layer attends to; None: every layer is full attention."""
    sliding_layers: int = 0
    """How many of `layers` use the sliding window (their KV cache holds only the window)."""
    weights: WeightFormat = "bf16"
    """The checkpoint's weight format: vLLM reads it from the checkpoint's `quantization_config`."""
    extra_parameters_billion: float = 0.0
    """Parameters outside the language model that vLLM also loads (a vision encoder), kept in bf16."""
    model_type: str = ""
    """config.json `model_type` (the top level, not text_config's): vLLM refuses float16 for some (Gemma 2/3)."""
    config_dtype: str = "bfloat16"
    """config.json `torch_dtype`: what `--dtype auto` keeps where the GPU supports it."""
    attention: Attention = "gqa"
    """How the KV cache is kept: "gqa" (K and V per KV head, sliding window included) and "mla" (latent attention:
    DeepSeek-V3, Kimi K2; needs `kv_lora_rank` and `qk_rope_head_dim`) are sized; "mamba" and "linear" (hybrid
    state layers: Nemotron-H, Qwen3-Next) are refused."""
    kv_lora_rank: int = 0
    """MLA: the latent's width (config.json `kv_lora_rank`); the cache keeps it plus `qk_rope_head_dim` per token."""
    qk_rope_head_dim: int = 0
    q_lora_rank: int = 0
    """MLA: the query's low-rank width (0: a full query projection); only the parameter recount reads it."""
    qk_nope_head_dim: int = 0
    v_head_dim: int = 0
    dense_layers: int = 0
    """Leading layers with a dense MLP in a mixture of experts (DeepSeek's `first_k_dense_replace`)."""
    dense_intermediate_size: int = 0
    """Their MLP width (DeepSeek's `intermediate_size`; `intermediate_size` here is one expert's)."""
    shared_experts: int = 0
    """Experts every token goes through besides the routed ones (`n_shared_experts`)."""
    task: Task = "generate"
    """What vLLM serves it for: "generate" (chat and completions) or "embed" (its pooling runner, /v1/embeddings)."""
    encoder_only: bool = False
    """Bidirectional attention (BERT, XLM-RoBERTa): vLLM keeps no KV cache for it and cannot chunk its prefill;
    its MLP has two matrices (up, down), not a gated three."""

    @property
    def mla_latent(self) -> int:
        """Elements MLA caches per token and layer: the latent and the rotary key (0 for other attention)."""
        return self.kv_lora_rank + self.qk_rope_head_dim if self.attention == "mla" else 0

    @property
    def hidden(self) -> int:
        return self.hidden_size or (self.attention_heads or self.kv_heads) * self.head_dim

    @property
    def vocab(self) -> int:
        return self.vocab_size or 152064

    @property
    def mlp_width(self) -> int:
        """Columns of the MLP each token goes through: one dense MLP, or its experts' (shared ones too) together."""
        width = self.intermediate_size or 4 * self.hidden
        return width * (self.experts_per_token + self.shared_experts) if self.experts else width

    def embedding_parameters(self) -> int:
        return self.vocab * self.hidden * (1 if self.tied_embeddings else 2)

    def expert_parameters(self) -> int:
        """The routed experts' weights (what an MoE kernel pads), over the layers that have experts."""
        if not self.experts or self.intermediate_size is None:
            return 0
        return (self.layers - self.dense_layers) * self.experts * 3 * self.hidden * self.intermediate_size

    def attention_parameters(self) -> int:
        """One layer's q, k, v and o projections; for MLA its low-rank ones (vllm/model_executor/models/
        deepseek_v2.py `DeepseekV2MLAAttention`: q_a/q_b or q_proj, kv_a_proj_with_mqa, kv_b_proj, o_proj)."""
        hidden, heads = self.hidden, self.attention_heads or self.kv_heads
        if self.attention != "mla":
            return 2 * hidden * heads * self.head_dim + 2 * hidden * self.kv_heads * self.head_dim
        query_width = heads * (self.qk_nope_head_dim + self.qk_rope_head_dim)
        query = hidden * self.q_lora_rank + self.q_lora_rank * query_width if self.q_lora_rank else hidden * query_width
        latent = hidden * self.mla_latent + self.kv_lora_rank * heads * (self.qk_nope_head_dim + self.v_head_dim)
        return query + latent + heads * self.v_head_dim * hidden

    def recomputed_parameters(self) -> int | None:
        """Embeddings, attention, MLP or experts (routed, shared) and router, per layer; None without the shapes
        (for MLA, without `qk_nope_head_dim`)."""
        if self.hidden_size is None or self.intermediate_size is None or self.attention_heads is None:
            return None
        if self.attention == "mla" and not self.qk_nope_head_dim:
            return None
        hidden = self.hidden_size
        expert = 3 * hidden * self.intermediate_size
        # An encoder's MLP is up and down only; a gated one has three matrices.
        dense_mlp = (2 if self.encoder_only else 3) * hidden * self.intermediate_size
        if self.experts:
            moe = self.experts * (expert + hidden) + self.shared_experts * expert
            dense = 3 * hidden * (self.dense_intermediate_size or self.intermediate_size)
            mlp = (self.layers - self.dense_layers) * moe + self.dense_layers * dense
        else:
            mlp = self.layers * dense_mlp
        return (
            self.embedding_parameters()
            + self.layers * self.attention_parameters()
            + mlp
            + round(self.extra_parameters_billion * 1e9)
        )


def _model(
    params: float,
    layers: int,
    heads: int,
    kv_heads: int,
    head_dim: int,
    context: int,
    *,
    gated: bool,
    hidden: int,
    intermediate: int,
    vocab: int,
    tied: bool = False,
    experts: tuple[int, int] = (0, 0),
    sliding: tuple[int, int] | None = None,
    weights: WeightFormat = "bf16",
    extra: float = 0.0,
    model_type: str,
    dtype: str = "bfloat16",
    task: Task = "generate",
    encoder_only: bool = False,
) -> ModelArchitecture:
    return ModelArchitecture(
        parameters_billion=params,
        layers=layers,
        attention_heads=heads,
        kv_heads=kv_heads,
        head_dim=head_dim,
        default_context=context,
        gated=gated,
        hidden_size=hidden,
        intermediate_size=intermediate,
        vocab_size=vocab,
        tied_embeddings=tied,
        experts=experts[0],
        experts_per_token=experts[1],
        sliding_window=sliding[0] if sliding else None,
        sliding_layers=sliding[1] if sliding else 0,
        weights=weights,
        extra_parameters_billion=extra,
        model_type=model_type,
        config_dtype=dtype,
        task=task,
        encoder_only=encoder_only,
    )


def _deepseek_v3(*, weights: WeightFormat) -> ModelArchitecture:
    """DeepSeek-V3's shapes (V3.1 and R1-0528 keep them): 61 layers, the first 3 dense, 256 routed experts and 1
    shared, MLA with a 512-wide latent and a 64-wide rotary key. The multi-token-prediction layer
    (num_nextn_predict_layers) is loaded only for speculative decoding, which the stack does not turn on."""
    return ModelArchitecture(
        parameters_billion=671,
        layers=61,
        attention_heads=128,
        kv_heads=128,
        head_dim=192,
        default_context=163840,
        gated=False,
        hidden_size=7168,
        intermediate_size=2048,
        vocab_size=129280,
        experts=256,
        experts_per_token=8,
        weights=weights,
        model_type="deepseek_v3",
        attention="mla",
        kv_lora_rank=512,
        qk_rope_head_dim=64,
        q_lora_rank=1536,
        qk_nope_head_dim=128,
        v_head_dim=128,
        dense_layers=3,
        dense_intermediate_size=18432,
        shared_experts=1,
    )


_LLAMA_405B = {"hidden": 16384, "intermediate": 53248, "vocab": 128256, "model_type": "llama"}
_LLAMA_8B = {"hidden": 4096, "intermediate": 14336, "vocab": 128256, "model_type": "llama"}
_LLAMA_70B = {"hidden": 8192, "intermediate": 28672, "vocab": 128256, "model_type": "llama"}
_QWEN25_VOCAB = 152064

MODELS: dict[str, ModelArchitecture] = {
    # Small enough for the CPU build on a laptop (dev stack).
    "Qwen/Qwen2.5-0.5B-Instruct": _model(
        0.49,
        24,
        14,
        2,
        64,
        32768,
        gated=False,
        hidden=896,
        intermediate=4864,
        vocab=151936,
        tied=True,
        model_type="qwen2",
    ),
    "Qwen/Qwen2.5-7B-Instruct": _model(
        7.62,
        28,
        28,
        4,
        128,
        32768,
        gated=False,
        hidden=3584,
        intermediate=18944,
        vocab=_QWEN25_VOCAB,
        model_type="qwen2",
    ),
    "Qwen/Qwen2.5-32B-Instruct": _model(
        32.8,
        64,
        40,
        8,
        128,
        32768,
        gated=False,
        hidden=5120,
        intermediate=27648,
        vocab=_QWEN25_VOCAB,
        model_type="qwen2",
    ),
    "Qwen/Qwen2.5-72B-Instruct": _model(
        72.7,
        80,
        64,
        8,
        128,
        32768,
        gated=False,
        hidden=8192,
        intermediate=29568,
        vocab=_QWEN25_VOCAB,
        model_type="qwen2",
    ),
    # Qwen3 (config.json of each, 2025-04): 40,960 positions natively (131,072 only with YaRN rope scaling).
    "Qwen/Qwen3-8B": _model(
        8.19, 36, 32, 8, 128, 40960, gated=False, hidden=4096, intermediate=12288, vocab=151936, model_type="qwen3"
    ),
    "Qwen/Qwen3-32B": _model(
        32.8, 64, 64, 8, 128, 40960, gated=False, hidden=5120, intermediate=25600, vocab=151936, model_type="qwen3"
    ),
    # Mixture of experts: every expert's weights are loaded, so memory follows the total, not the active, count.
    "Qwen/Qwen3-30B-A3B": _model(
        30.5,
        48,
        32,
        4,
        128,
        40960,
        gated=False,
        hidden=2048,
        intermediate=768,
        vocab=151936,
        experts=(128, 8),
        model_type="qwen3_moe",
    ),
    # gpt-oss: experts in MXFP4, the rest bf16; layer_types alternate sliding (128 tokens) and full attention.
    "openai/gpt-oss-20b": _model(
        20.9,
        24,
        64,
        8,
        64,
        131072,
        gated=False,
        hidden=2880,
        intermediate=2880,
        vocab=201088,
        experts=(32, 4),
        sliding=(128, 12),
        weights="mxfp4",
        model_type="gpt_oss",
    ),
    "openai/gpt-oss-120b": _model(
        116.8,
        36,
        64,
        8,
        64,
        131072,
        gated=False,
        hidden=2880,
        intermediate=2880,
        vocab=201088,
        experts=(128, 4),
        sliding=(128, 18),
        weights="mxfp4",
        model_type="gpt_oss",
    ),
    "meta-llama/Llama-3.1-8B-Instruct": _model(8.03, 32, 32, 8, 128, 131072, gated=True, **_LLAMA_8B),
    "meta-llama/Llama-3.1-70B-Instruct": _model(70.6, 80, 64, 8, 128, 131072, gated=True, **_LLAMA_70B),
    "meta-llama/Llama-3.3-70B-Instruct": _model(70.6, 80, 64, 8, 128, 131072, gated=True, **_LLAMA_70B),
    # FP8 checkpoints (Red Hat AI, formerly Neural Magic; not gated): per-channel FP8 weights, lm_head in bf16.
    "RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8": _model(
        8.03, 32, 32, 8, 128, 131072, gated=False, weights="fp8", **_LLAMA_8B
    ),
    "RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic": _model(
        70.6, 80, 64, 8, 128, 131072, gated=False, weights="fp8", **_LLAMA_70B
    ),
    # Past one node on 80 GB cards (docs/manual.md "Models past one node"): 405B in bf16 needs two nodes of 8 x H100, in
    # FP8 one; DeepSeek's FP8 checkpoint (128 x 128 block scales, about 0.02% more, left out) needs two.
    "meta-llama/Llama-3.1-405B-Instruct": _model(405, 126, 128, 8, 128, 131072, gated=True, **_LLAMA_405B),
    "RedHatAI/Meta-Llama-3.1-405B-Instruct-FP8": _model(
        405, 126, 128, 8, 128, 131072, gated=False, weights="fp8", **_LLAMA_405B
    ),
    "deepseek-ai/DeepSeek-V3.1": _deepseek_v3(weights="fp8"),
    "deepseek-ai/DeepSeek-R1-0528": _deepseek_v3(weights="fp8"),
    # INT4 (AWQ) of a catalogue model: the same shapes.
    "Qwen/Qwen2.5-72B-Instruct-AWQ": _model(
        72.7,
        80,
        64,
        8,
        128,
        32768,
        gated=False,
        hidden=8192,
        intermediate=29568,
        vocab=_QWEN25_VOCAB,
        weights="int4",
        model_type="qwen2",
        dtype="float16",
    ),
    "mistralai/Mistral-7B-Instruct-v0.3": _model(
        7.25, 32, 32, 8, 128, 32768, gated=True, hidden=4096, intermediate=14336, vocab=32768, model_type="mistral"
    ),
    # Mistral Small 3 (text only, Apache 2.0).
    "mistralai/Mistral-Small-24B-Instruct-2501": _model(
        23.6, 40, 32, 8, 128, 32768, gated=False, hidden=5120, intermediate=32768, vocab=131072, model_type="mistral"
    ),
    "mistralai/Mixtral-8x7B-Instruct-v0.1": _model(
        46.7,
        32,
        32,
        8,
        128,
        32768,
        gated=True,
        hidden=4096,
        intermediate=14336,
        vocab=32000,
        experts=(8, 2),
        model_type="mixtral",
    ),
    # Gemma 2: every other layer slides over 4,096 tokens (as long as its whole context: no saving).
    "google/gemma-2-9b-it": _model(
        9.24,
        42,
        16,
        8,
        256,
        8192,
        gated=True,
        hidden=3584,
        intermediate=14336,
        vocab=256000,
        tied=True,
        sliding=(4096, 21),
        model_type="gemma2",
    ),
    "google/gemma-2-27b-it": _model(
        27.2,
        46,
        32,
        16,
        128,
        8192,
        gated=True,
        hidden=4608,
        intermediate=36864,
        vocab=256000,
        tied=True,
        sliding=(4096, 23),
        model_type="gemma2",
    ),
    # Gemma 3 (text_config): five sliding (1,024 tokens) layers to one global; a 0.42B SigLIP vision encoder.
    "google/gemma-3-12b-it": _model(
        12.2,
        48,
        16,
        8,
        256,
        131072,
        gated=True,
        hidden=3840,
        intermediate=15360,
        vocab=262208,
        tied=True,
        sliding=(1024, 40),
        extra=0.42,
        model_type="gemma3",
    ),
    "google/gemma-3-27b-it": _model(
        27.4,
        62,
        32,
        16,
        128,
        131072,
        gated=True,
        hidden=5376,
        intermediate=21504,
        vocab=262208,
        tied=True,
        sliding=(1024, 52),
        extra=0.42,
        model_type="gemma3",
    ),
    # Embedding models (`task: embed`): vLLM's pooling runner. BERT and XLM-RoBERTa keep no KV cache; their config
    # says float32, which vLLM's pooling runner loads as float16 (components/vllm_support.py). `context` is the
    # sentence-transformers `max_seq_length`, which vLLM takes over max_position_embeddings (8194 for bge-m3).
    "BAAI/bge-m3": _model(
        0.568,
        24,
        16,
        16,
        64,
        8192,
        gated=False,
        hidden=1024,
        intermediate=4096,
        vocab=250002,
        tied=True,
        model_type="xlm-roberta",
        dtype="float32",
        task="embed",
        encoder_only=True,
    ),
    "intfloat/e5-large-v2": _model(
        0.335,
        24,
        16,
        16,
        64,
        512,
        gated=False,
        hidden=1024,
        intermediate=4096,
        vocab=30522,
        tied=True,
        model_type="bert",
        dtype="float32",
        task="embed",
        encoder_only=True,
    ),
    # Qwen3ForCausalLM in config.json: a decoder with a KV cache, last-token pooling (1_Pooling/config.json).
    "Qwen/Qwen3-Embedding-0.6B": _model(
        0.596,
        28,
        16,
        8,
        128,
        32768,
        gated=False,
        hidden=1024,
        intermediate=3072,
        vocab=151669,
        tied=True,
        model_type="qwen3",
        task="embed",
    ),
}
