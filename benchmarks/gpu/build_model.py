"""A randomly initialised Whisper of an exact published shape, converted for faster-whisper.

python benchmarks/gpu/build_model.py OUT_DIR [--shape large-v3] [--quantization float16]

No hub is reachable on the GPU machine, so the real large-v3 weights cannot be had there; random
weights of the same shape take the same memory (not the same speed: random weights decode until the
token limit, so speed figures are a lower bound). Needs transformers (in the GPU machine's image)
and ctranslate2. The tokenizer is the bundled tiny.en's, so the vocabulary is the English one
(51864 rows instead of 51866: 6.6 KB of fp16 less).
"""

import argparse
import json
import tempfile
from pathlib import Path

import ctranslate2
import torch
from transformers import GenerationConfig, WhisperConfig, WhisperForConditionalGeneration, WhisperTokenizerFast

# d_model, layers (encoder = decoder), heads, mel bins: openai/whisper's published dimensions
SHAPES = {
    "tiny": (384, 4, 6, 80),
    "small": (768, 12, 12, 80),
    "medium": (1024, 24, 16, 80),
    "large-v3": (1280, 32, 20, 128),
}


def bundled_tokenizer() -> Path:
    from vramscribe.models import bundled_model_dir

    return bundled_model_dir() / "tokenizer.json"


def build(out: Path, shape: str, quantization: str) -> Path:
    d_model, layers, heads, mels = SHAPES[shape]
    tokenizer = WhisperTokenizerFast(tokenizer_file=str(bundled_tokenizer()))
    eot, sot = tokenizer.convert_tokens_to_ids(["<|endoftext|>", "<|startoftranscript|>"])
    config = WhisperConfig(
        vocab_size=len(tokenizer) + 1501, num_mel_bins=mels, d_model=d_model,
        encoder_layers=layers, decoder_layers=layers, encoder_attention_heads=heads, decoder_attention_heads=heads,
        encoder_ffn_dim=4 * d_model, decoder_ffn_dim=4 * d_model,
        bos_token_id=eot, eos_token_id=eot, pad_token_id=eot, decoder_start_token_id=sot,
    )
    torch.manual_seed(0)
    model = WhisperForConditionalGeneration(config).to(torch.float16)
    model.generation_config = GenerationConfig(suppress_tokens=[], begin_suppress_tokens=[eot])
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        del model
        ctranslate2.converters.TransformersConverter(tmp, copy_files=["tokenizer.json"], load_as_float16=True).convert(
            str(out), quantization=quantization, force=True)
    (out / "preprocessor_config.json").write_text(json.dumps({"feature_size": mels, "n_fft": 400, "hop_length": 160,
                                                               "sampling_rate": 16000, "chunk_length": 30}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--shape", choices=list(SHAPES), default="large-v3")
    parser.add_argument("--quantization", default="float16")
    args = parser.parse_args()
    out = build(args.out, args.shape, args.quantization)
    size = (out / "model.bin").stat().st_size
    print(f"{args.shape} ({args.quantization}): {out}/model.bin {size / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()
