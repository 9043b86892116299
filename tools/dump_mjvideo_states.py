#!/usr/bin/env python3
"""Dump MJ-VIDEO-2B's two hidden states per video for the workbook's precomputed backbone.

Runs on a GPU machine with the MJ-VIDEO-2B snapshot and the official MJ-Video repository (aiming-lab/MJ-Video). NOT RUN in
this project: no GPU, model or official code is reachable from its machines. Every video is checked against the official
forward pass (see check_against_official), so a wrong assumption stops the run on the first video.

What it does (tools/dump-mjvideo-states.md explains each step):
  1. 8 frames per video by the paper's rule: np.linspace(0, n - 1, 8, endpoint=False).astype(int), each squashed to
     448 x 448 (bicubic), ImageNet mean/std;
  2. the official prompt, built with the model's own internlm2-chat template and system message: "Frame1: <image>\\n ...
     Frame8: <image>\\n{caption}", each <image> expanded to <img><IMG_CONTEXT> x 256</img>;
  3. the language model's final-layer hidden states h [T, 2048];
  4. h_gate = h at the first token of the last occurrence of <|im_end|><|im_start|>assistant\\n; h_last = h at the last
     token (no padding);
  5. safetensors shards, one float32 [2, 2048] entry per video (row 0 h_gate, row 1 h_last), keyed by the video path as
     the release JSON writes it (video_0_path / video_1_path).

Usage:
  python tools/dump_mjvideo_states.py --model /path/to/MJ-VIDEO-2B --code /path/to/MJ-Video \\
      --data /path/to/test.json --videos /path/to/videos --out states/test [--shard-size 2000] [--no-check]

Requirements: torch (CUDA), transformers (the version the official repository pins), decord, torchvision, pillow,
numpy, safetensors, and flash-attn if the model config asks for it.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torchvision.transforms as T
from decord import VideoReader, cpu
from PIL import Image
from safetensors.torch import save_file
from torchvision.transforms.functional import InterpolationMode

NUM_FRAMES = 8
IMAGE_SIZE = 448
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMG_START, IMG_END, IMG_CONTEXT = "<img>", "</img>", "<IMG_CONTEXT>"
# <|im_end|><|im_start|>assistant\n in the InternLM2 tokenizer (the official gate position); checked against the tokenizer below.
GATE_PATTERN = [92542, 92543, 525, 11353, 364]


def frame_indices(n_frames):
    """The paper's rule: 8 indices from linspace(0, n - 1, 8, endpoint=False), truncated to int."""
    return np.linspace(0, n_frames - 1, NUM_FRAMES, endpoint=False).astype(int)


def load_pixels(path):
    """[8, 3, 448, 448] float: squash-resized (no aspect preservation), bicubic, ImageNet-normalised; one tile per frame."""
    reader = VideoReader(path, ctx=cpu(0), num_threads=1)
    transform = T.Compose([
        T.Resize((IMAGE_SIZE, IMAGE_SIZE), interpolation=InterpolationMode.BICUBIC),
        T.ToTensor(),
        T.Normalize(mean=IMAGENET_MEAN, std=IMAGENET_STD),
    ])
    frames = [transform(Image.fromarray(reader[int(i)].asnumpy()).convert("RGB")) for i in frame_indices(len(reader))]
    return torch.stack(frames)


def build_query(internvl, caption):
    """The official prompt through the model's own conversation template (system message included)."""
    from conversation import get_conv_template  # vendored in scripts/model/internvl2

    template = get_conv_template(internvl.template)
    template.system_message = internvl.system_message
    question = "".join(f"Frame{i + 1}: <image>\n" for i in range(NUM_FRAMES)) + caption
    template.append_message(template.roles[0], question)
    template.append_message(template.roles[1], None)
    query = template.get_prompt()
    image_tokens = IMG_START + IMG_CONTEXT * internvl.num_image_token + IMG_END
    for _ in range(NUM_FRAMES):
        query = query.replace("<image>", image_tokens, 1)
    return query


def last_occurrence(ids, pattern):
    for start in range(len(ids) - len(pattern), -1, -1):
        if ids[start:start + len(pattern)] == pattern:
            return start
    raise ValueError("the gate pattern <|im_end|><|im_start|>assistant\\n is not in the prompt")


@torch.no_grad()
def hidden_states(internvl, pixel_values, input_ids):
    """The language model's final-layer hidden states [T, H], with the vision features in place of <IMG_CONTEXT>."""
    vit_embeds = internvl.extract_feature(pixel_values)
    embeds = internvl.language_model.get_input_embeddings()(input_ids)
    batch, length, width = embeds.shape
    embeds = embeds.reshape(batch * length, width)
    selected = input_ids.reshape(-1) == internvl.img_context_token_id
    embeds[selected] = vit_embeds.reshape(-1, width).to(embeds.dtype)
    out = internvl.language_model(inputs_embeds=embeds.reshape(batch, length, width),
                                  attention_mask=torch.ones_like(input_ids), output_hidden_states=True)
    return out.hidden_states[-1][0]


def gate_logits(gate, x):
    """A GatingNetwork's raw logits: ReLU after every layer but the last."""
    for layer in gate.layers[:-1]:
        x = torch.relu(layer(x))
    return gate.layers[-1](x)


def head_outputs(model, h_gate, h_last):
    """The official head on one video's states: criteria rewards and the overall score."""
    dtype = model.regression_layer.weight.dtype
    rewards = model.regression_layer(h_last.to(dtype)) @ model.reward_transform_matrix
    temperature = model.config.gating_temperature
    crit_logits = gate_logits(model.criteria_gating, h_gate.to(dtype))
    aspect_scores = []
    for a in sorted(model.config.aspect2criteria, key=int):
        idx = torch.tensor(model.config.aspect2criteria[a], device=rewards.device)
        w = torch.softmax(crit_logits[..., idx] / temperature, dim=-1) * model.criteria_gating.logit_scale
        aspect_scores.append((w * rewards[..., idx]).sum(-1))
    aspect_scores = torch.stack(aspect_scores, -1)
    g = torch.softmax(gate_logits(model.aspect_gating, h_gate.to(dtype)) / temperature, dim=-1) * model.aspect_gating.logit_scale
    return rewards.float(), (g * aspect_scores).sum(-1).float()


@torch.no_grad()
def check_against_official(model, pixel_values, input_ids, h_gate, h_last, video_id):
    """Stops unless the dumped states reproduce the official forward's rewards and score (bf16 precision)."""
    official = model(pixel_values=pixel_values, input_ids=input_ids, attention_mask=torch.ones_like(input_ids))
    rewards, score = head_outputs(model, h_gate, h_last)
    expected_rewards = official.rewards.float().reshape(-1)
    expected_score = official.score.float().reshape(-1)
    for name, ours, theirs in (("rewards", rewards.reshape(-1), expected_rewards), ("score", score.reshape(-1), expected_score)):
        if not torch.allclose(ours, theirs, rtol=2e-2, atol=2e-2):
            sys.exit(f"{video_id}: the dumped states do not reproduce the official {name}:\n  ours   {ours.tolist()}\n"
                     f"  theirs {theirs.tolist()}\nCheck the hidden layer (pre/post final norm) and the token positions.")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="the MJ-VIDEO-2B snapshot folder")
    parser.add_argument("--code", required=True, help="the aiming-lab/MJ-Video repository (its scripts/model is imported)")
    parser.add_argument("--data", required=True, help="a release JSON file (train.json, test.json, or SynthBench's)")
    parser.add_argument("--videos", required=True, help="the folder the JSON's video paths are relative to")
    parser.add_argument("--out", required=True, help="output prefix: writes <out>-00001.safetensors, ...")
    parser.add_argument("--shard-size", type=int, default=2000, help="videos per safetensors file")
    parser.add_argument("--no-check", action="store_true", help="skip the per-video comparison with the official forward")
    args = parser.parse_args()

    sys.path.insert(0, os.path.join(args.code, "scripts", "model"))
    sys.path.insert(0, os.path.join(args.code, "scripts", "model", "internvl2"))
    from moe_reward import InternVLChatRewardModeling  # noqa: E402  (the official class)
    from transformers import AutoTokenizer

    # The official forward calls torch.distributed.get_rank().
    if not dist.is_initialized():
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29511")
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo", rank=0, world_size=1)

    model = InternVLChatRewardModeling.from_pretrained(args.model, torch_dtype=torch.bfloat16).cuda().eval()
    if not hasattr(model, "regression_layer"):
        sys.exit(f"{args.model} has no reward heads: states must come from MJ-VIDEO-2B itself, not base InternVL2")
    tokenizer = AutoTokenizer.from_pretrained(args.model, trust_remote_code=True, use_fast=False)
    internvl = model.model
    internvl.img_context_token_id = tokenizer.convert_tokens_to_ids(IMG_CONTEXT)
    model.config.pad_token_id = tokenizer.pad_token_id
    pattern = tokenizer.convert_tokens_to_ids(["<|im_end|>", "<|im_start|>"]) + tokenizer.encode("assistant\n", add_special_tokens=False)
    if pattern != GATE_PATTERN:
        sys.exit(f"the tokenizer gives {pattern} for <|im_end|><|im_start|>assistant\\n, the official code expects {GATE_PATTERN}")

    with open(args.data, encoding="utf-8") as f:
        pairs = json.load(f)
    videos = []
    for pair in pairs:
        for key in ("video_0_path", "video_1_path"):
            videos.append((pair[key], pair["caption"]))

    shard, shard_index, seen = {}, 0, set()

    def flush():
        nonlocal shard, shard_index
        if shard:
            shard_index += 1
            save_file(shard, f"{args.out}-{shard_index:05d}.safetensors")
            shard = {}

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    for number, (video_id, caption) in enumerate(videos, 1):
        if video_id in seen:
            continue
        seen.add(video_id)
        pixel_values = load_pixels(os.path.join(args.videos, video_id)).to(torch.bfloat16).cuda()
        input_ids = tokenizer(build_query(internvl, caption), return_tensors="pt").input_ids.cuda()
        h = hidden_states(internvl, pixel_values, input_ids)
        ids = input_ids[0].tolist()
        h_gate, h_last = h[last_occurrence(ids, GATE_PATTERN)], h[len(ids) - 1]
        if not args.no_check:
            check_against_official(model, pixel_values, input_ids, h_gate, h_last, video_id)
        shard[video_id] = torch.stack([h_gate, h_last]).float().cpu().contiguous()
        if len(shard) >= args.shard_size:
            flush()
        if number % 100 == 0:
            print(f"{number} / {len(videos)} videos", flush=True)
    flush()
    print(f"wrote {len(seen)} videos in {shard_index} shard(s) at {args.out}-*.safetensors")


if __name__ == "__main__":
    main()
