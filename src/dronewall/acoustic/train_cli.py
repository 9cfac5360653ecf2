"""``dronewall acoustic train``: train the node classifier and write the model file.

Synthetic frames of every acoustic label (``dronewall.acoustic.synthesis``) plus the real
dev clips (grouped by recording) train a logistic regression (or a small MLP); ``--cv``
first reports the grouped (recordings held out) AUC on the real clips (drone vs. the
rest) of the same recipe.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import click

from dronewall.acoustic.classifier import MODEL_PATH
from dronewall.errors import BadInput

_REPO_SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "audio-dev"


def default_real_dir() -> Path | None:
    """The project's dev clips next to the repository, if present."""
    return _REPO_SHARED if (_REPO_SHARED / "labels.csv").exists() else None


@click.command("train")
@click.option("--real", "real_dir", type=click.Path(file_okay=False), default=None,
              help="Directory of real labelled clips (labels.csv: file,label); default "
                   "../shared/data/audio-dev next to the repository when present.")
@click.option("--no-real", is_flag=True, help="Train on synthetic frames only.")
@click.option("--clips", type=click.IntRange(1, 2000), default=30, show_default=True,
              help="Synthetic clips (3 s each) per label.")
@click.option("--snr-min", type=float, default=-5.0, show_default=True,
              help="Lowest SNR (dB, 50-4000 Hz) of the synthetic mixes.")
@click.option("--snr-max", type=float, default=25.0, show_default=True)
@click.option("--real-weight", type=click.IntRange(1, 50), default=1, show_default=True,
              help="Times each real frame is repeated in the training set.")
@click.option("--kind", type=click.Choice(["logreg", "mlp"]), default="logreg",
              show_default=True, help="Logistic regression or a one-hidden-layer MLP.")
@click.option("-C", "c", type=click.FloatRange(0, None, min_open=True), default=0.03,
              show_default=True, help="Inverse L2 strength of the logistic regression.")
@click.option("--hidden", type=click.IntRange(2, 512), default=32, show_default=True,
              help="Hidden units of the MLP.")
@click.option("--alpha", type=click.FloatRange(0, None), default=1e-2, show_default=True,
              help="L2 penalty of the MLP.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--cv", "cv_folds", type=click.IntRange(0, 100), default=0, show_default=True,
              help="Before training, grouped K-fold CV on the real clips (0: skip).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=str(MODEL_PATH),
              show_default=True, help="Model file to write.")
def train(real_dir: str | None, no_real: bool, clips: int, snr_min: float, snr_max: float,
          real_weight: int, kind: str, c: float, hidden: int, alpha: float, seed: int,
          cv_folds: int, out_path: str) -> None:
    """Train the acoustic node classifier (synthetic + real clips) and save it."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise BadInput("training needs scikit-learn (pip install scikit-learn)") from None
    from dronewall.acoustic.evaluate import grouped_cv
    from dronewall.acoustic.train import fit, real_frames, synthetic_frames

    if snr_min >= snr_max:
        raise BadInput(f"--snr-min ({snr_min}) must be below --snr-max ({snr_max})")
    rdir = None if no_real else (Path(real_dir) if real_dir else default_real_dir())
    if rdir is not None and not (rdir / "labels.csv").exists():
        raise BadInput(f"{rdir}: no labels.csv (file,label) in the real-clip directory")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        syn = synthetic_frames(clips, seed, snr_range=(snr_min, snr_max))
        real = real_frames(rdir) if rdir is not None else None
        meta = {"synthetic_clips_per_label": clips, "snr_range_db": [snr_min, snr_max],
                "seed": seed, "real_dir": str(rdir) if rdir else None,
                "real_weight": real_weight}
        if cv_folds and real is not None:
            res = grouped_cv(real, syn, folds=cv_folds, real_weight=real_weight,
                             kind=kind, c=c, hidden=hidden, alpha=alpha, seed=seed)
            meta["cv"] = {k: res[k] for k in ("folds", "frame_auc", "clip_auc",
                                              "helicopter_fa", "background_fa")}
            click.echo(json.dumps({"cv": meta["cv"]}), err=True)
        data = syn
        if real is not None:
            for _ in range(real_weight):
                data = data + real
        model = fit(data, kind=kind, c=c, hidden=hidden, alpha=alpha, seed=seed, meta=meta)
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    model.save(out_path)
    click.echo(f"wrote {out_path} ({Path(out_path).stat().st_size} bytes; "
               f"{len(data.y)} frames; classes {', '.join(model.classes)})")


@click.command("evaluate")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              default="dronewall-out/acoustic-node", show_default=True,
              help="Directory for acoustic_node.json and the PNGs.")
@click.option("--quick", is_flag=True, help="Small samples (a smoke run, not the figures).")
@click.option("--only", default="threshold,range,bearing,synthetic,real,cpu", show_default=True,
              help="Comma-separated parts to run.")
@click.option("--noise-stats", type=click.Path(dir_okay=False), default=None,
              help="Reuse (or store) the noise-only detector statistics (.npy).")
@click.option("--threshold", type=float, default=None,
              help="Detector threshold for the range part (default: from the noise part).")
@click.option("--real", "real_dir", type=click.Path(file_okay=False), default=None,
              help="Real labelled clips (default ../shared/data/audio-dev when present).")
def evaluate(out_dir: str, quick: bool, only: str, noise_stats: str | None,
             threshold: float | None, real_dir: str | None) -> None:
    """Evaluate the node: threshold, range, bearings vs CRB, ROC, CPU (JSON + PNGs)."""
    from dronewall.acoustic.evaluate import PARTS, evaluate_all

    parts = tuple(p.strip() for p in only.split(",") if p.strip())
    bad = sorted(set(parts) - set(PARTS))
    if bad:
        raise BadInput(f"--only: unknown part(s) {', '.join(bad)}; choose from {', '.join(PARTS)}")
    rdir = Path(real_dir) if real_dir else default_real_dir()
    res = evaluate_all(out_dir, quick=quick, real_dir=rdir, parts=parts,
                       noise_stats_file=noise_stats, threshold=threshold)
    click.echo(json.dumps(res, indent=1, default=float))
