"""Export a full (non-adapter) Llama checkpoint, e.g. checkpoints/tiny-sft, to one GGUF file for llama.cpp.

    python -m trainer.generation.gguf_export checkpoints/tiny-sft runs/tiny-sft.gguf
    python -m llama_cpp.server --model runs/tiny-sft.gguf --model_alias tiny-sft --port 8000
    diagramlab app --generator-url http://127.0.0.1:8000/v1

llama.cpp's own converter (convert_hf_to_gguf.py, not shipped in any pip package) refuses the
tiny preset's tokenizer: it recognises a BPE pre-tokenizer only by the hash of known models'
outputs. This writer uses the `gguf` package directly: F32 weights (the tiny model is 9 MB), q/k
rows permuted to GGML's rotary layout (as convert_hf_to_gguf's LlamaModel.permute does), the BPE
vocabulary and merges, the fixed prompt pieces as user-defined tokens (llama.cpp matches them in
the prompt text verbatim, as the HF tokenizer does) and BOS/EOS/pad. The pre-tokenizer is declared
as "gpt-2": llama.cpp cannot run the tiny tokenizer's own split regex, so request text may split
into different (still valid) tokens than in training; the fixed pieces, which are most of every
prompt, match exactly. Needs `pip install gguf` (the `server` extra).

Known limit of llama-cpp-python 0.3.x (not of the GGUF): its detokenizer copies each token into a
32-byte buffer and silently drops the text of longer tokens. The tiny tokenizer has 4 such answer
tokens (colour pairs like `, (193, 246, 246), (29, 114, 114)`, 34 bytes); `long_tokens(checkpoint)`
lists them, and `HttpCandidateSource` bans them (`logit_bias`) when it talks to llama-cpp-python
with the checkpoint's tokenizer at hand (llama.cpp's own llama-server, not tried here, sizes its
buffer per token).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

# HF Llama tensor name suffix -> GGUF name (per layer: blk.N.<name>)
LAYER_TENSORS = {
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
    "input_layernorm.weight": "attn_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
}
GLOBAL_TENSORS = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
                  "lm_head.weight": "output.weight"}
TOKEN_NORMAL, TOKEN_CONTROL, TOKEN_USER_DEFINED = 1, 3, 4


def permute(weights: np.ndarray, n_head: int) -> np.ndarray:
    """HF's rotate-half q/k rows -> GGML's interleaved pairs (llama.cpp's convert_hf_to_gguf)."""
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def gguf_name(hf_name: str) -> str | None:
    if hf_name in GLOBAL_TENSORS:
        return GLOBAL_TENSORS[hf_name]
    parts = hf_name.split(".")
    if parts[:2] == ["model", "layers"] and len(parts) > 3:
        suffix = ".".join(parts[3:])
        if suffix in LAYER_TENSORS:
            return f"blk.{parts[2]}.{LAYER_TENSORS[suffix]}"
    return None


def _vocab(tokenizer_json: dict) -> tuple[list[str], list[int], list[str]]:
    """(tokens by id, token types, merges "a b") from a byte-level BPE tokenizer.json."""
    model = tokenizer_json["model"]
    if model.get("type") != "BPE":
        raise ValueError(f"only byte-level BPE tokenizers are supported, not {model.get('type')}")
    by_id = {i: tok for tok, i in model["vocab"].items()}
    types = {i: TOKEN_NORMAL for i in by_id}
    for added in tokenizer_json.get("added_tokens", []):
        by_id[added["id"]] = added["content"]  # raw text: llama.cpp matches it verbatim
        types[added["id"]] = TOKEN_CONTROL if added.get("special") else TOKEN_USER_DEFINED
    size = max(by_id) + 1
    tokens = [by_id.get(i, f"[PAD{i}]") for i in range(size)]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    return tokens, [types.get(i, TOKEN_CONTROL) for i in range(size)], merges


def long_tokens(checkpoint: str | Path, limit: int = 32) -> dict[int, str]:
    """{id: text} of the tokenizer's tokens whose text is over `limit` bytes (see above)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(checkpoint) / "tokenizer.json"))
    found = {}
    for token_id in range(tokenizer.get_vocab_size()):
        text = tokenizer.decode([token_id], skip_special_tokens=False)
        if len(text.encode("utf-8")) > limit:
            found[token_id] = text
    return found


def export_gguf(checkpoint: str | Path, out: str | Path) -> Path:
    """Write `out` (.gguf) from the HF Llama checkpoint dir; returns its path."""
    import gguf
    from safetensors.numpy import load_file

    src, out = Path(checkpoint), Path(out)
    config = json.loads((src / "config.json").read_text())
    if config.get("model_type") != "llama":
        raise ValueError(f"{src}: only Llama checkpoints are supported, not {config.get('model_type')}")
    if (src / "adapter_config.json").is_file():
        raise ValueError(f"{src} is a LoRA adapter: serve it as an adapter (vLLM) or merge it first")
    tokenizer_json = json.loads((src / "tokenizer.json").read_text())
    tokens, types, merges = _vocab(tokenizer_json)
    n_head = config["num_attention_heads"]
    n_kv = config.get("num_key_value_heads") or n_head
    hidden = config["hidden_size"]
    head_dim = config.get("head_dim") or hidden // n_head
    rope = (config.get("rope_parameters") or {}).get("rope_theta") or config.get("rope_theta", 10000.0)

    writer = gguf.GGUFWriter(str(out), "llama")
    writer.add_name(src.name)
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(hidden)
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    writer.add_rope_dimension_count(head_dim)
    writer.add_rope_freq_base(float(rope))
    writer.add_layer_norm_rms_eps(config.get("rms_norm_eps", 1e-5))
    writer.add_vocab_size(config["vocab_size"])
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")
    # The embedding may have more rows than the tokenizer has tokens (padding): name them.
    tokens += [f"[PAD{i}]" for i in range(len(tokens), config["vocab_size"])]
    types += [TOKEN_CONTROL] * (config["vocab_size"] - len(types))
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(config["bos_token_id"])
    writer.add_eos_token_id(config["eos_token_id"])
    if config.get("pad_token_id") is not None:
        writer.add_pad_token_id(config["pad_token_id"])
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)

    weights = {}
    for path in sorted(src.glob("*.safetensors")):
        weights.update(load_file(str(path)))
    for hf_name, tensor in weights.items():
        name = gguf_name(hf_name)
        if name is None:
            raise ValueError(f"{src}: unexpected tensor {hf_name}")
        data = tensor.astype(np.float32)
        if hf_name.endswith("q_proj.weight"):
            data = permute(data, n_head)
        elif hf_name.endswith("k_proj.weight"):
            data = permute(data, n_kv)
        writer.add_tensor(name, data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trainer.generation.gguf_export", description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="full-model checkpoint dir (e.g. checkpoints/tiny-sft)")
    parser.add_argument("out", help="the .gguf file to write")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    print(f"wrote {export_gguf(args.checkpoint, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
