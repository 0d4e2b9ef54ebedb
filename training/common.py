"""Shared helpers for the cv-elements training scripts.

Everything runs on CPU with two threads.  Data comes only from Debian's
``dataset-fashion-mnist`` package (idx files under /usr/share/datasets).
"""
import argparse
import gzip
import json
import os
import platform
import random
import subprocess
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAINING = os.path.join(ROOT, "training")
DATA_DIR = os.path.join(TRAINING, ".data")  # git-ignored scratch (checkpoints)
METRICS_DIR = os.path.join(TRAINING, "metrics")
SAMPLES_DIR = os.path.join(TRAINING, "samples")
MODELS_DIR = os.path.join(ROOT, "models")
FASHION_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")

# Normalisation used by the classifier (becomes the catalog's mean/std).
FASHION_MEAN = 0.2860
FASHION_STD = 0.3530

FASHION_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]


def _read_idx(path):
    """Parse an idx file (optionally gzipped) into a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: bad idx magic")
    dtype_code, ndim = data[2], data[3]
    if dtype_code != 0x08:
        raise ValueError(f"{path}: only unsigned byte idx supported, got 0x{dtype_code:02x}")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    arr = np.frombuffer(data, dtype=np.uint8, count=int(np.prod(dims)), offset=offset)
    return arr.reshape(dims)


def load_fashion_mnist(split):
    """Return (images uint8 [N,28,28], labels int64 [N]) for split 'train' or 'test'."""
    prefix = {"train": "train", "test": "t10k"}[split]
    images = _read_idx(os.path.join(FASHION_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    labels = _read_idx(os.path.join(FASHION_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    if images.shape[0] != labels.shape[0]:
        raise ValueError("image/label count mismatch")
    return images.copy(), labels.astype(np.int64)


def to_unit(images_u8):
    """uint8 [N,28,28] -> float32 tensor [N,1,28,28] in [0,1]."""
    return torch.from_numpy(images_u8).float().div_(255.0).unsqueeze(1)


def normalise(unit):
    """[0,1] tensor -> classifier input."""
    return (unit - FASHION_MEAN) / FASHION_STD


def training_args(epochs, batch, lr, limit, limit_help):
    """The options every training script takes, with that script's defaults; add its own to the parser."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=epochs)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--batch", type=int, default=batch)
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--scratch", action="store_true", help="write outputs under training/.data/scratch (reproducibility runs)")
    ap.add_argument("--limit", type=int, default=limit, help=limit_help)
    return ap


def seed_everything(seed):
    """Seed every RNG and ask for deterministic kernels; returns the flags that stuck."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set in this process
    deterministic = True
    try:
        torch.use_deterministic_algorithms(True)
    except Exception:  # pragma: no cover - old torch builds
        deterministic = False
    return {"seed": seed, "deterministic_algorithms": deterministic, "num_threads": torch.get_num_threads()}


def export_onnx(model, example_inputs, path, input_names, output_names, opset=17):
    """Export ``model`` (eval mode) to ONNX with a dynamic ``batch`` axis and run onnx.checker."""
    import onnx

    model.eval()
    if not isinstance(example_inputs, tuple):
        example_inputs = (example_inputs,)
    dynamic_axes = {name: {0: "batch"} for name in list(input_names) + list(output_names)}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            model,
            example_inputs,
            path,
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_axes=dynamic_axes,
            opset_version=opset,
            do_constant_folding=True,
        )
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    return {"path": os.path.relpath(path, ROOT), "bytes": os.path.getsize(path), "opset": opset}


def check_onnx_against_torch(path, inputs, outputs):
    """Run the ONNX file with onnxruntime (Python if present, else onnxruntime-node)
    on ``inputs`` (dict name -> np.float32 array) and return the max abs diff for each
    output against ``outputs`` (dict name -> np array from PyTorch)."""
    try:
        import onnxruntime as ort  # noqa: F401
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        got = sess.run(list(outputs), {k: v.astype(np.float32) for k, v in inputs.items()})
        runtime = "onnxruntime-python " + ort.__version__
        got = dict(zip(outputs, got))
    except ImportError:
        req = {
            "model": path,
            "inputs": {k: {"dims": list(v.shape), "data": v.astype(np.float32).ravel().tolist()} for k, v in inputs.items()},
            "outputs": list(outputs),
        }
        proc = subprocess.run(
            ["node", os.path.join(TRAINING, "check_onnx.mjs")],
            input=json.dumps(req), capture_output=True, text=True, cwd=ROOT, check=True,
        )
        res = json.loads(proc.stdout)
        runtime = res["runtime"]
        got = {k: np.asarray(v["data"], dtype=np.float32).reshape(v["dims"]) for k, v in res["outputs"].items()}
    diffs = {k: float(np.max(np.abs(got[k] - np.asarray(outputs[k], dtype=np.float32)))) for k in outputs}
    return {"runtime": runtime, "n_inputs": int(next(iter(inputs.values())).shape[0]), "max_abs_diff": diffs}


def save_grid(images, path, nrow, pad=2, scale=2):
    """images: float array [N,1,28,28] in [0,1]; writes a grayscale PNG grid."""
    from PIL import Image

    images = np.clip(np.asarray(images, dtype=np.float32), 0.0, 1.0)
    n, _, h, w = images.shape
    ncol = nrow
    rows = (n + ncol - 1) // ncol
    canvas = np.ones((rows * (h + pad) + pad, ncol * (w + pad) + pad), dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, ncol)
        canvas[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = images[i, 0]
    img = Image.fromarray((canvas * 255.0 + 0.5).astype(np.uint8), mode="L")
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    img.save(path, optimize=True)
    return os.path.relpath(path, ROOT)


class Timer:
    def __init__(self):
        self.start = time.time()

    def seconds(self):
        return round(time.time() - self.start, 1)


def write_metrics(name, metrics, seed, epochs, seconds, extra_env=None):
    """Write training/metrics/<name>.json and return the dict written."""
    out = {
        "name": name,
        "seed": seed,
        "epochs": epochs,
        "seconds": seconds,
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "num_threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
    }
    if extra_env:
        out.update(extra_env)
    out.update(metrics)
    os.makedirs(METRICS_DIR, exist_ok=True)
    path = os.path.join(METRICS_DIR, f"{name}.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=2, sort_keys=False)
        f.write("\n")
    return out


def log(*args):
    print(*args, flush=True, file=sys.stderr)
