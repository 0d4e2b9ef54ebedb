"""Train a convolutional VAE (latent 16) on Fashion-MNIST and export encoder/decoder to ONNX.

    /usr/bin/python3 training/fashion_vae.py [--epochs N] [--seed S] [--scratch]

Encoder: `image` [batch,1,28,28] in [0,1]  ->  `mu` [batch,16], `logvar` [batch,16]
Decoder: `z` [batch,16]                    ->  `image` [batch,1,28,28] in [0,1] (sigmoid)
Likelihood: Bernoulli (binary cross-entropy against the grey levels in [0,1]).
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

LATENT = 16


class Encoder(nn.Module):
    def __init__(self, latent=LATENT):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),   # 28 -> 14
            nn.Conv2d(32, 64, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),  # 14 -> 7
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 256), nn.LeakyReLU(0.2, inplace=True),
        )
        self.mu = nn.Linear(256, latent)
        self.logvar = nn.Linear(256, latent)

    def forward(self, image):
        h = self.body(image)
        return self.mu(h), self.logvar(h)


class Decoder(nn.Module):
    def __init__(self, latent=LATENT):
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(latent, 256), nn.ReLU(inplace=True),
            nn.Linear(256, 64 * 7 * 7), nn.ReLU(inplace=True),
        )
        self.body = nn.Sequential(
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(inplace=True),  # 7 -> 14
            nn.ConvTranspose2d(32, 1, 4, 2, 1),                          # 14 -> 28
        )

    def logits(self, z):
        return self.body(self.fc(z).view(-1, 64, 7, 7))

    def forward(self, z):
        return torch.sigmoid(self.logits(z))


def neg_elbo_terms(enc, dec, x, gen=None, sample=True):
    """Per-image reconstruction NLL (Bernoulli, nats) and KL(q(z|x) || N(0, I))."""
    mu, logvar = enc(x)
    if sample:
        eps = torch.randn(mu.shape, generator=gen)
        z = mu + torch.exp(0.5 * logvar) * eps
    else:
        z = mu
    logits = dec.logits(z)
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)
    return rec, kl, logits


@torch.no_grad()
def evaluate(enc, dec, x, seed, bs=1000):
    """Test ELBO with one posterior sample per image (fixed seed), plus the
    reconstruction MSE per pixel of the decoder's mean output at z = mu."""
    enc.eval(), dec.eval()
    gen = torch.Generator().manual_seed(seed)
    rec_sum = kl_sum = mse_sum = 0.0
    for i in range(0, x.shape[0], bs):
        xb = x[i:i + bs]
        rec, kl, _ = neg_elbo_terms(enc, dec, xb, gen, sample=True)
        rec_sum += rec.sum().item()
        kl_sum += kl.sum().item()
        mu, _ = enc(xb)
        mse_sum += F.mse_loss(dec(mu), xb, reduction="sum").item()
    n = x.shape[0]
    return {
        "neg_elbo_nats": rec_sum / n + kl_sum / n,
        "reconstruction_nll_nats": rec_sum / n,
        "kl_nats": kl_sum / n,
        "reconstruction_mse_per_pixel": mse_sum / (n * 28 * 28),
    }


def main():
    ap = common.training_args(epochs=4, batch=128, lr=1e-3, limit=12000,
                              limit_help="train on the first N training images (0 = all 60,000); 12,000 keeps it short on a shared 2-core box")
    args = ap.parse_args()

    env = common.seed_everything(args.seed)
    timer = common.Timer()
    name = "fashion-vae"
    out_models = os.path.join(common.DATA_DIR, "scratch") if args.scratch else common.MODELS_DIR
    os.makedirs(out_models, exist_ok=True)
    os.makedirs(common.DATA_DIR, exist_ok=True)

    xtr = common.to_unit(common.load_fashion_mnist("train")[0])
    xte = common.to_unit(common.load_fashion_mnist("test")[0])
    if args.limit:
        xtr = xtr[:args.limit]

    enc, dec = Encoder(), Decoder()
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.Adam(params, lr=args.lr)
    steps = args.epochs * ((xtr.shape[0] + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=args.lr * 0.05)
    gen = torch.Generator().manual_seed(args.seed)

    history = []
    for epoch in range(args.epochs):
        enc.train(), dec.train()
        perm = torch.randperm(xtr.shape[0], generator=gen)
        tot, n = 0.0, 0
        for i in range(0, xtr.shape[0], args.batch):
            xb = xtr[perm[i:i + args.batch]]
            rec, kl, _ = neg_elbo_terms(enc, dec, xb, gen)
            loss = (rec + kl).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * xb.shape[0]
            n += xb.shape[0]
        ev = evaluate(enc, dec, xte, args.seed)
        history.append({"epoch": epoch + 1, "train_neg_elbo": round(tot / n, 3), "test_neg_elbo": round(ev["neg_elbo_nats"], 3), "seconds": timer.seconds()})
        common.log(f"[{name}] epoch {epoch + 1}/{args.epochs} train -ELBO {tot / n:.2f} test -ELBO {ev['neg_elbo_nats']:.2f} mse {ev['reconstruction_mse_per_pixel']:.5f} ({timer.seconds()} s)")

    train_seconds = timer.seconds()
    ev = evaluate(enc, dec, xte, args.seed)
    enc.eval(), dec.eval()
    torch.save({"encoder": enc.state_dict(), "decoder": dec.state_dict()}, os.path.join(common.DATA_DIR, "fashion-vae.pt") if not args.scratch else os.path.join(out_models, "fashion-vae.pt"))

    enc_path = os.path.join(out_models, "fashion-vae-encoder.fp32.onnx")
    dec_path = os.path.join(out_models, "fashion-vae-decoder.fp32.onnx")
    exp_enc = common.export_onnx(enc, torch.zeros(1, 1, 28, 28), enc_path, ["image"], ["mu", "logvar"])
    exp_dec = common.export_onnx(dec, torch.zeros(1, LATENT), dec_path, ["z"], ["image"])

    with torch.no_grad():
        sample = xte[:16]
        mu, logvar = enc(sample)
        zs = torch.randn(16, LATENT, generator=torch.Generator().manual_seed(7))
        dimg = dec(zs)
    check_enc = common.check_onnx_against_torch(enc_path, {"image": sample.numpy()}, {"mu": mu.numpy(), "logvar": logvar.numpy()})
    check_dec = common.check_onnx_against_torch(dec_path, {"z": zs.numpy()}, {"image": dimg.numpy()})

    # Sample grid: row 1 test images, row 2 reconstructions (z = mu), rows 3-8 prior samples.
    with torch.no_grad():
        top = xte[:8]
        recon = dec(enc(top)[0])
        prior = dec(torch.randn(48, LATENT, generator=torch.Generator().manual_seed(args.seed)))
    grid = torch.cat([top, recon, prior]).numpy()
    png = common.save_grid(grid, os.path.join(common.SAMPLES_DIR if not args.scratch else out_models, "vae.png"), nrow=8)

    metrics = {
        "test_neg_elbo_nats_per_image": round(ev["neg_elbo_nats"], 3),
        "test_elbo_nats_per_image": round(-ev["neg_elbo_nats"], 3),
        "test_reconstruction_nll_nats": round(ev["reconstruction_nll_nats"], 3),
        "test_kl_nats": round(ev["kl_nats"], 3),
        "test_reconstruction_mse_per_pixel": round(ev["reconstruction_mse_per_pixel"], 6),
        "elbo_note": "Bernoulli likelihood on grey levels in [0,1]; one posterior sample per test image (fixed seed); MSE uses the decoder mean at z = mu",
        "test_images": int(xte.shape[0]),
        "latent": LATENT,
        "params": {"encoder": sum(p.numel() for p in enc.parameters()), "decoder": sum(p.numel() for p in dec.parameters())},
        "train_seconds": train_seconds,
        "hyperparameters": {"train_images": int(xtr.shape[0]), "batch": args.batch, "lr": args.lr, "optimizer": "Adam, cosine decay to 5%"},
        "history": history,
        "onnx": {"encoder": exp_enc, "decoder": exp_dec},
        "onnx_check": {"encoder": check_enc, "decoder": check_dec},
        "samples_png": png,
    }
    if args.scratch:
        common.METRICS_DIR = out_models
    out = common.write_metrics(name + ("-scratch" if args.scratch else ""), metrics, args.seed, args.epochs, timer.seconds(), env)
    print(f"{name}: test -ELBO {out['test_neg_elbo_nats_per_image']:.2f} nats, MSE/pixel {out['test_reconstruction_mse_per_pixel']:.5f}, "
          f"onnx max|diff| enc {max(check_enc['max_abs_diff'].values()):.2e} dec {max(check_dec['max_abs_diff'].values()):.2e}, {out['seconds']} s")


if __name__ == "__main__":
    main()
