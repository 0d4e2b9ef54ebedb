"""Train the Fashion-MNIST classifier used by <cv-classify> and export it to ONNX.

    /usr/bin/python3 training/fashion_cnn.py [--epochs N] [--seed S] [--scratch]

Input  `image`  [batch,1,28,28] float32, (x/255 - 0.2860) / 0.3530
Output `logits` [batch,10]
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def conv_bn_relu(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class FashionCNN(nn.Module):
    """Three conv-bn-relu blocks (32/64/128 channels, 2x2 max-pool after each), then a
    128-unit hidden layer (the "penultimate features") and a 10-way linear head."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            *conv_bn_relu(1, 32), nn.MaxPool2d(2),            # 28 -> 14
            *conv_bn_relu(32, 64), nn.MaxPool2d(2),           # 14 -> 7
            *conv_bn_relu(64, 128), nn.MaxPool2d(2, ceil_mode=True),  # 7 -> 4
            nn.Flatten(),
        )
        self.hidden = nn.Linear(128 * 4 * 4, 128)
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(128, 10)

    def features(self, x):
        """Penultimate (128-d, post-ReLU) features, used for the classifier-based FID."""
        return F.relu(self.hidden(self.body(x)))

    def forward(self, x):
        return self.head(self.dropout(self.features(x)))


def augment(unit, gen, pad=2):
    """Random crop with zero padding (in [0,1] space) + random horizontal flip."""
    b = unit.shape[0]
    if pad == 0:
        flip = torch.rand(b, generator=gen) < 0.5
        out = unit.clone()
        out[flip] = out[flip].flip(-1)
        return out
    padded = F.pad(unit, (pad, pad, pad, pad))
    oy = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    ox = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    ar = torch.arange(28)
    rows = (oy[:, None] + ar[None, :])[:, :, None]
    cols = (ox[:, None] + ar[None, :])[:, None, :]
    out = padded[torch.arange(b)[:, None, None], 0, rows, cols].unsqueeze(1)
    flip = torch.rand(b, generator=gen) < 0.5
    out[flip] = out[flip].flip(-1)
    return out


@torch.no_grad()
def evaluate(model, x_norm, y, bs=1000):
    model.eval()
    correct = 0
    for i in range(0, x_norm.shape[0], bs):
        correct += (model(x_norm[i:i + bs]).argmax(1) == y[i:i + bs]).sum().item()
    return correct / x_norm.shape[0]


def load_checkpoint(path=None):
    path = path or os.path.join(common.DATA_DIR, "fashion-cnn.pt")
    model = FashionCNN()
    model.load_state_dict(torch.load(path, map_location="cpu"))
    model.eval()
    return model


def main():
    ap = common.training_args(epochs=6, batch=128, lr=3e-3, limit=0, limit_help="train on the first N images only (smoke tests)")
    ap.add_argument("--pad", type=int, default=0, help="random-crop padding in pixels (0 = horizontal flip only)")
    args = ap.parse_args()

    env = common.seed_everything(args.seed)
    timer = common.Timer()
    out_models = os.path.join(common.DATA_DIR, "scratch") if args.scratch else common.MODELS_DIR
    os.makedirs(out_models, exist_ok=True)
    os.makedirs(common.DATA_DIR, exist_ok=True)
    name = "fashion-cnn"

    xtr_u8, ytr = common.load_fashion_mnist("train")
    xte_u8, yte = common.load_fashion_mnist("test")
    if args.limit:
        xtr_u8, ytr = xtr_u8[:args.limit], ytr[:args.limit]
    xtr = common.to_unit(xtr_u8)
    ytr = torch.from_numpy(ytr)
    xte = common.normalise(common.to_unit(xte_u8))
    yte = torch.from_numpy(yte)

    model = FashionCNN()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-4)
    steps_per_epoch = (xtr.shape[0] + args.batch - 1) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=steps_per_epoch)
    gen = torch.Generator().manual_seed(args.seed)

    history = []
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(xtr.shape[0], generator=gen)
        total, n = 0.0, 0
        for i in range(0, xtr.shape[0], args.batch):
            idx = perm[i:i + args.batch]
            xb = common.normalise(augment(xtr[idx], gen, args.pad))
            loss = F.cross_entropy(model(xb), ytr[idx], label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * idx.shape[0]
            n += idx.shape[0]
        acc = evaluate(model, xte, yte)
        history.append({"epoch": epoch + 1, "train_loss": round(total / n, 4), "test_accuracy": round(acc, 4), "seconds": timer.seconds()})
        common.log(f"[{name}] epoch {epoch + 1}/{args.epochs} loss {total / n:.4f} test acc {acc:.4f} ({timer.seconds()} s)")

    train_seconds = timer.seconds()
    model.eval()
    test_acc = evaluate(model, xte, yte)
    # Per-class accuracy on the full test set.
    with torch.no_grad():
        pred = torch.cat([model(xte[i:i + 1000]).argmax(1) for i in range(0, 10000, 1000)])
    per_class = {common.FASHION_CLASSES[c]: round((pred[yte == c] == c).float().mean().item(), 4) for c in range(10)}

    os.makedirs(common.DATA_DIR, exist_ok=True)
    ckpt = os.path.join(out_models if args.scratch else common.DATA_DIR, "fashion-cnn.pt")
    os.makedirs(os.path.dirname(ckpt), exist_ok=True)
    torch.save(model.state_dict(), ckpt)

    onnx_path = os.path.join(out_models, "fashion-cnn.fp32.onnx")
    export = common.export_onnx(model, torch.zeros(1, 1, 28, 28), onnx_path, ["image"], ["logits"])
    sample = xte[:16]
    with torch.no_grad():
        ref = model(sample).numpy()
    check = common.check_onnx_against_torch(onnx_path, {"image": sample.numpy()}, {"logits": ref})

    metrics = {
        "test_accuracy": round(test_acc, 4),
        "test_images": int(xte.shape[0]),
        "per_class_accuracy": per_class,
        "params": sum(p.numel() for p in model.parameters()),
        "train_seconds": train_seconds,
        "normalisation": {"mean": common.FASHION_MEAN, "std": common.FASHION_STD},
        "hyperparameters": {"batch": args.batch, "max_lr": args.lr, "optimizer": "AdamW wd=5e-4, OneCycle", "label_smoothing": 0.05,
                            "augmentation": (f"random crop pad {args.pad} + " if args.pad else "") + "horizontal flip"},
        "history": history,
        "onnx": export,
        "onnx_check": check,
        "final_test_logits_checksum": float(np.round(ref.astype(np.float64).sum(), 6)),
    }
    name_out = name + ("-scratch" if args.scratch else "")
    if args.scratch:
        common.METRICS_DIR = out_models
    out = common.write_metrics(name_out, metrics, args.seed, args.epochs, timer.seconds(), env)
    print(f"{name}: test accuracy {out['test_accuracy']:.4f}, onnx max|diff| {check['max_abs_diff']['logits']:.2e}, {out['seconds']} s")


if __name__ == "__main__":
    main()
