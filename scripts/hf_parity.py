#!/usr/bin/env python3
"""Logits parity of claw's decoder with HF transformers, on random tiny Qwen2 and Llama models.

For each model (Qwen2 with q/k/v biases, tied and untied; Llama-3 style: GQA, rope_theta 500000,
untied; Llama-3.2 style: llama3 RoPE scaling, tied) it builds a random `transformers` model,
saves it with save_pretrained (safetensors), runs HF's forward and build/claw_logits on the
same token ids, and compares the logits:

  plain    a [3, 16] batch of random ids, no padding;
  padded   the same batch with rows 1 and 2 left-padded (HF gets attention_mask and the
           position ids generate() would give it; claw gets the mask as `valid`).

Only real (unpadded) positions are compared. Each device and dtype is checked against HF on
the same device and dtype, and both against HF in float64 on the CPU (for the padded batch, each
row run alone without its padding), so a bf16 difference can be read against HF's own bf16
error. Pass (exit 0): f32 |claw - HF| <= --tol-f32 on every case;
bf16 |claw - f64| <= 2 |HF - f64| + --tol-bf16.

  python3 scripts/hf_parity.py [--claw-logits build/claw_logits] [--devices cpu,cuda]
                               [--dtypes f32,bf16] [--work DIR] [--json FILE]

Needs python3 with torch, transformers and safetensors; CUDA is skipped where torch has none.
"""
import argparse
import copy
import inspect
import json
import os
import subprocess
import sys
import tempfile

import torch
import transformers
from safetensors.torch import load_file, save_file

VOCAB = 300
COMMON = dict(
    vocab_size=VOCAB,
    hidden_size=64,
    intermediate_size=172,
    num_hidden_layers=3,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=512,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=0,
    use_cache=False,
)
LLAMA3_SCALING = dict(
    rope_type="llama3",
    factor=32.0,
    low_freq_factor=1.0,
    high_freq_factor=4.0,
    original_max_position_embeddings=64,
)
# name: (config class, extra config, RoPE theta, RoPE scaling or None)
MODELS = {
    "qwen2-untied": ("Qwen2Config", dict(tie_word_embeddings=False, rms_norm_eps=1e-6), 1e6, None),
    "qwen2-tied": ("Qwen2Config", dict(tie_word_embeddings=True, rms_norm_eps=1e-6), 1e6, None),
    "llama3-untied": (
        "LlamaConfig",
        dict(tie_word_embeddings=False, rms_norm_eps=1e-5, attention_bias=False, mlp_bias=False),
        500000.0,
        None,
    ),
    "llama3.2-scaled-tied": (
        "LlamaConfig",
        dict(tie_word_embeddings=True, rms_norm_eps=1e-5, attention_bias=False, mlp_bias=False),
        500000.0,
        LLAMA3_SCALING,
    ),
}
DTYPES = {"f32": torch.float32, "bf16": torch.bfloat16}


def make_config(class_name, extra, theta, scaling):
    cls = getattr(transformers, class_name)
    kwargs = dict(COMMON, **extra)
    if "rope_parameters" in inspect.signature(cls.__init__).parameters:  # transformers >= 5
        kwargs["rope_parameters"] = dict(scaling or {"rope_type": "default"}, rope_theta=theta)
    else:
        kwargs["rope_theta"] = theta
        kwargs["rope_scaling"] = dict(scaling) if scaling else None
    return cls(**kwargs)


def randomise(model, seed):
    """Weights of unit scale (HF's 0.02 init gives near-zero logits that hide errors)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            elif "embed_tokens" in name:
                p.copy_(torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / p.shape[1] ** 0.5)


def batches(seed):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(3, VOCAB, (3, 16), generator=g)
    valid = torch.ones_like(tokens, dtype=torch.bool)
    padded, pvalid = tokens.clone(), valid.clone()
    for row, pad in ((1, 5), (2, 11)):
        padded[row] = torch.cat([torch.zeros(pad, dtype=tokens.dtype), tokens[row, : 16 - pad]])
        pvalid[row, :pad] = False
    return {"plain": (tokens, valid, False), "padded": (padded, pvalid, True)}


def hf_logits(model, tokens, valid, masked, device, dtype):
    m = copy.deepcopy(model).to(device=device, dtype=dtype)
    with torch.no_grad():
        if masked:
            mask = valid.long().to(device)
            positions = (mask.cumsum(-1) - 1).clamp(min=0)
            out = m(input_ids=tokens.to(device), attention_mask=mask, position_ids=positions)
        else:
            out = m(input_ids=tokens.to(device))
    return out.logits.double().cpu()


def reference_logits(model, tokens, valid, masked):
    """HF in float64 on the CPU; a padded batch row by row, without its padding (the positions
    claw must give it, and no padding for HF's float64 masking to turn into NaN)."""
    if not masked:
        return hf_logits(model, tokens, valid, False, "cpu", torch.float64)
    out = torch.zeros(*tokens.shape, VOCAB, dtype=torch.float64)
    for row in range(tokens.shape[0]):
        alone = tokens[row][valid[row]].unsqueeze(0)
        out[row, valid[row]] = hf_logits(model, alone, None, False, "cpu", torch.float64)[0]
    return out


def claw_logits(binary, model_dir, tokens, valid, device, dtype, work):
    inp, out = os.path.join(work, "tokens.safetensors"), os.path.join(work, "logits.safetensors")
    save_file({"tokens": tokens.long().contiguous(), "valid": valid.contiguous()}, inp)
    cmd = [binary, "--model", model_dir, "--tokens", inp, "--out", out,
           "--device", device, "--dtype", dtype]
    subprocess.run(cmd, check=True)
    return load_file(out)["logits"].double()


def max_abs(a, b, valid):
    return (a - b).abs()[valid].max().item()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--claw-logits", default=os.path.join(here, "..", "build", "claw_logits"))
    ap.add_argument("--devices", default="cpu,cuda")
    ap.add_argument("--dtypes", default="f32,bf16")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol-f32", type=float, default=1e-4)
    ap.add_argument("--tol-bf16", type=float, default=1e-2)
    ap.add_argument("--work", help="keep the models here (default: a temporary directory)")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()

    devices = [d for d in args.devices.split(",") if d == "cpu" or torch.cuda.is_available()]
    transformers.utils.logging.disable_progress_bar()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"devices {devices}", flush=True)
    work = args.work or tempfile.mkdtemp(prefix="hf_parity.")
    results, failures = [], []
    for index, name in enumerate(args.models.split(",")):
        class_name, extra, theta, scaling = MODELS[name]
        torch.manual_seed(args.seed + index)
        config = make_config(class_name, extra, theta, scaling)
        model = transformers.AutoModelForCausalLM.from_config(config, attn_implementation="eager")
        model = model.float().eval()
        randomise(model, args.seed + index)
        model_dir = os.path.join(work, name)
        model.save_pretrained(model_dir)
        with open(os.path.join(model_dir, "config.json")) as f:
            saved = json.load(f)
        rope = {k: saved[k] for k in ("rope_theta", "rope_scaling", "rope_parameters") if k in saved}
        print(f"\n{name}: {class_name}, files {sorted(os.listdir(model_dir))}, {rope}", flush=True)
        for case, (tokens, valid, masked) in batches(args.seed + index).items():
            reference = reference_logits(model, tokens, valid, masked)
            scale = reference[valid].abs().max().item()
            for device in devices:
                for dtype in args.dtypes.split(","):
                    hf = hf_logits(model, tokens, valid, masked, device, DTYPES[dtype])
                    claw = claw_logits(args.claw_logits, model_dir, tokens, valid, device, dtype,
                                       work)
                    r = dict(model=name, case=case, device=device, dtype=dtype,
                             claw_vs_hf=max_abs(claw, hf, valid),
                             claw_vs_f64=max_abs(claw, reference, valid),
                             hf_vs_f64=max_abs(hf, reference, valid), max_logit=scale)
                    if dtype == "f32":
                        ok = r["claw_vs_hf"] <= args.tol_f32
                    else:
                        ok = r["claw_vs_f64"] <= 2 * r["hf_vs_f64"] + args.tol_bf16
                    r["ok"] = ok
                    results.append(r)
                    if not ok:
                        failures.append(r)
                    print(f"  {case:6s} {device:4s} {dtype:4s} max|claw-HF| {r['claw_vs_hf']:.3e}"
                          f"  max|claw-f64| {r['claw_vs_f64']:.3e}  max|HF-f64| "
                          f"{r['hf_vs_f64']:.3e}  (max|logit| {scale:.2f}) "
                          f"{'ok' if ok else 'FAIL'}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    print(f"\n{len(results) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
