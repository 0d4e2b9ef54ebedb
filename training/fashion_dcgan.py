"""Train a DCGAN on Fashion-MNIST and export the generator to ONNX.

    /usr/bin/python3 training/fashion_dcgan.py [--epochs N] [--seed S] [--scratch]

Generator: `z` [batch,100] ~ N(0, I)  ->  `image` [batch,1,28,28] in [-1,1] (tanh)

Sample quality is measured with the trained classifier from fashion_cnn.py
(checkpoint training/.data/fashion-cnn.pt, written by `npm run train -- fashion-cnn`):
  * classifier FID: Fréchet distance between the CNN's 128-d penultimate features of
    10,000 generated images and of the 10,000 test images;
  * classifier Inception-style score: exp(E_x KL(p(y|x) || p(y))) from the CNN softmax
    (1 = useless, 10 = confident and perfectly balanced over the 10 classes).
The same figures for the real test set against the real train set are the reference.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import fashion_cnn  # noqa: E402

Z = 100


class Generator(nn.Module):
    def __init__(self, z=Z, c=160):
        super().__init__()
        self.c = c
        self.fc = nn.Sequential(nn.Linear(z, c * 4 * 4, bias=False), nn.BatchNorm1d(c * 4 * 4), nn.ReLU(inplace=True))
        self.body = nn.Sequential(
            nn.ConvTranspose2d(c, c // 2, 3, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(inplace=True),       # 4 -> 7
            nn.ConvTranspose2d(c // 2, c // 4, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 4), nn.ReLU(inplace=True),  # 7 -> 14
            nn.ConvTranspose2d(c // 4, 1, 4, 2, 1), nn.Tanh(),                                                      # 14 -> 28
        )

    def forward(self, z):
        return self.body(self.fc(z).view(-1, self.c, 4, 4))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),                                # 28 -> 14
            nn.Conv2d(32, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2, inplace=True),  # 14 -> 7
            nn.Conv2d(64, 128, 3, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, inplace=True),  # 7 -> 4
            nn.Flatten(), nn.Linear(128 * 4 * 4, 1),
        )

    def forward(self, x):
        return self.body(x).squeeze(1)


def init_weights(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


@torch.no_grad()
def cnn_stats(cnn, unit, bs=1000):
    """CNN penultimate features and softmax probabilities for images in [0,1]."""
    feats, probs = [], []
    for i in range(0, unit.shape[0], bs):
        x = common.normalise(unit[i:i + bs])
        f = cnn.features(x)
        feats.append(f.double())
        probs.append(F.softmax(cnn.head(f), dim=1).double())
    return torch.cat(feats).numpy(), torch.cat(probs).numpy()


def _sqrtm_psd(a):
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(f1, f2):
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2) for two feature sets."""
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    r1 = _sqrtm_psd(s1)
    m = r1 @ s2 @ r1
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt)


def inception_score(p, eps=1e-12):
    py = p.mean(0, keepdims=True)
    kl = (p * (np.log(p + eps) - np.log(py + eps))).sum(1)
    return float(np.exp(kl.mean()))


def main():
    ap = common.training_args(epochs=14, batch=64, lr=2e-4, limit=12000,
                              limit_help="train on the first N training images (0 = all 60,000); 12,000 keeps it short on a shared 2-core box")
    ap.add_argument("--cnn", default=os.path.join(common.DATA_DIR, "fashion-cnn.pt"))
    ap.add_argument("--skip-train", action="store_true",
                    help="load the generator checkpoint from an earlier run and only export + evaluate")
    ap.add_argument("--allow-missing-cnn", action="store_true",
                    help="start training even if the CNN checkpoint is not there yet (evaluate later with --skip-train)")
    args = ap.parse_args()

    if not os.path.exists(args.cnn) and not args.allow_missing_cnn:
        sys.exit(f"{args.cnn} missing: train the classifier first (npm run train -- fashion-cnn)")
    env = common.seed_everything(args.seed)
    timer = common.Timer()
    name = "fashion-dcgan"
    out_models = os.path.join(common.DATA_DIR, "scratch") if args.scratch else common.MODELS_DIR
    os.makedirs(out_models, exist_ok=True)
    os.makedirs(common.DATA_DIR, exist_ok=True)

    xtr_unit = common.to_unit(common.load_fashion_mnist("train")[0])
    xte_unit = common.to_unit(common.load_fashion_mnist("test")[0])
    xtr = xtr_unit[:args.limit] if args.limit else xtr_unit
    xtr = xtr * 2 - 1  # tanh range

    G, D = Generator(), Discriminator()
    G.apply(init_weights), D.apply(init_weights)
    opt_g = torch.optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999))
    gen = torch.Generator().manual_seed(args.seed)
    ones = torch.ones(args.batch)
    zeros_ = torch.zeros(args.batch)

    ckpt_dir = out_models if args.scratch else common.DATA_DIR
    ckpt_path = os.path.join(ckpt_dir, "fashion-dcgan.pt")
    history = []
    for epoch in range(0 if args.skip_train else args.epochs):
        G.train(), D.train()
        perm = torch.randperm(xtr.shape[0], generator=gen)
        sd = sg = 0.0
        nb = 0
        for i in range(0, xtr.shape[0] - args.batch + 1, args.batch):  # drop the ragged last batch
            real = xtr[perm[i:i + args.batch]]
            z = torch.randn(args.batch, Z, generator=gen)
            fake = G(z)
            # Discriminator: real -> 0.9 (one-sided label smoothing), fake -> 0.
            loss_d = F.binary_cross_entropy_with_logits(D(real), ones * 0.9) + \
                F.binary_cross_entropy_with_logits(D(fake.detach()), zeros_)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            # Generator: non-saturating loss.
            loss_g = F.binary_cross_entropy_with_logits(D(fake), ones)
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            sd += loss_d.item()
            sg += loss_g.item()
            nb += 1
        history.append({"epoch": epoch + 1, "loss_d": round(sd / nb, 4), "loss_g": round(sg / nb, 4), "seconds": timer.seconds()})
        common.log(f"[{name}] epoch {epoch + 1}/{args.epochs} D {sd / nb:.3f} G {sg / nb:.3f} ({timer.seconds()} s)")

    if args.skip_train:
        state = torch.load(ckpt_path, map_location="cpu")
        G.load_state_dict(state["generator"])
        D.load_state_dict(state["discriminator"])
        history, train_seconds = state["history"], state["train_seconds"]
        if state["seed"] != args.seed or state["epochs"] != args.epochs:
            sys.exit(f"checkpoint was trained with seed {state['seed']} / {state['epochs']} epochs; pass the same --seed/--epochs")
        common.log(f"[{name}] loaded {ckpt_path} ({train_seconds} s of training)")
    else:
        train_seconds = timer.seconds()
        torch.save({"generator": G.state_dict(), "discriminator": D.state_dict(), "history": history,
                    "train_seconds": train_seconds, "seed": args.seed, "epochs": args.epochs}, ckpt_path)
        if not os.path.exists(args.cnn):
            sys.exit(f"trained; {args.cnn} still missing: train the CNN, then rerun with --skip-train to export and evaluate")
    G.eval()
    eval_timer = common.Timer()

    onnx_path = os.path.join(out_models, "fashion-dcgan.fp32.onnx")
    export = common.export_onnx(G, torch.zeros(1, Z), onnx_path, ["z"], ["image"])
    zc = torch.randn(16, Z, generator=torch.Generator().manual_seed(99))
    with torch.no_grad():
        ref = G(zc).numpy()
    check = common.check_onnx_against_torch(onnx_path, {"z": zc.numpy()}, {"image": ref})

    # Sample quality with the trained classifier.
    cnn = fashion_cnn.load_checkpoint(args.cnn)
    zg = torch.Generator().manual_seed(args.seed + 1)
    with torch.no_grad():
        fake_unit = torch.cat([(G(torch.randn(1000, Z, generator=zg)) + 1) / 2 for _ in range(10)])
    f_fake, p_fake = cnn_stats(cnn, fake_unit)
    f_test, p_test = cnn_stats(cnn, xte_unit)
    f_train, p_train = cnn_stats(cnn, xtr_unit)
    fake_classes = np.bincount(p_fake.argmax(1), minlength=10)

    with torch.no_grad():
        grid = (G(torch.randn(64, Z, generator=torch.Generator().manual_seed(2024))) + 1) / 2
    png = common.save_grid(grid.numpy(), os.path.join(common.SAMPLES_DIR if not args.scratch else out_models, "dcgan.png"), nrow=8)

    metrics = {
        "classifier_fid_generated_vs_test": round(frechet_distance(f_fake, f_test), 3),
        "classifier_is_generated": round(inception_score(p_fake), 3),
        "reference": {
            "classifier_fid_test_vs_train": round(frechet_distance(f_test, f_train), 3),
            "classifier_is_test": round(inception_score(p_test), 3),
            "classifier_is_train": round(inception_score(p_train), 3),
        },
        "metric_note": "features = 128-d penultimate layer of training/fashion_cnn.py's classifier (checkpoint), "
                       "10,000 generated (eval-mode G, seed+1) vs 10,000 test images; reference uses the 10,000 test vs all 60,000 train images; "
                       "IS is exp(E KL(p(y|x)||p(y))) over the CNN softmax, max 10",
        "generated_class_histogram": {common.FASHION_CLASSES[c]: int(fake_classes[c]) for c in range(10)},
        "generated_pixel_range": [round(float(fake_unit.min() * 2 - 1), 4), round(float(fake_unit.max() * 2 - 1), 4)],
        "params": {"generator": sum(p.numel() for p in G.parameters()), "discriminator": sum(p.numel() for p in D.parameters())},
        "train_seconds": train_seconds,
        "eval_export_seconds": eval_timer.seconds(),
        "hyperparameters": {"batch": args.batch, "lr": args.lr, "optimizer": "Adam betas (0.5, 0.999)", "loss": "non-saturating BCE, real label 0.9",
                            "train_images": int(xtr.shape[0])},
        "history": history,
        "onnx": export,
        "onnx_check": check,
        "samples_png": png,
    }
    if args.scratch:
        common.METRICS_DIR = out_models
    total = round(train_seconds + eval_timer.seconds(), 1) if args.skip_train else timer.seconds()
    out = common.write_metrics(name + ("-scratch" if args.scratch else ""), metrics, args.seed, args.epochs, total, env)
    print(f"{name}: classifier-FID {out['classifier_fid_generated_vs_test']:.2f} (test vs train {out['reference']['classifier_fid_test_vs_train']:.2f}), "
          f"classifier-IS {out['classifier_is_generated']:.2f} (test {out['reference']['classifier_is_test']:.2f}), "
          f"onnx max|diff| {check['max_abs_diff']['image']:.2e}, {out['seconds']} s")


if __name__ == "__main__":
    main()
