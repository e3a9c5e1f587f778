"""The training loop: any registered model on one or more clip data sets.

What it guarantees (and the anchors do not, SDR_SPEC section 5):

- model selection and the decision threshold use the validation split only;
- the LR schedule is stepped after every optimizer step (and logged);
- video-level metrics average clip probabilities per unique ``video_id``;
- an interrupted run resumed with ``resume=True`` reaches the same weights as an uninterrupted
  one on the CPU (data order, TPA draws and dropout are all functions of the saved state);
- a non-finite loss or gradient never reaches the weights: the update of that step is skipped on
  the device (no host sync per step) and the run stops with ``FloatingPointError`` at the next
  log or validation step;
- ``last.json`` describes the weights beside it: the metrics and threshold of the validation at
  its own step (``metrics["val_step"]`` says which validation the threshold comes from);
- under DDP each rank draws its own random streams and the critic of a critic-based MI loss
  (outside the DDP wrapper) has its gradients averaged like the model's.

GPU paths: bf16 autocast, channels_last_3d, optional ``torch.compile``, DDP under torchrun.
Explained in the book chapter 'training end to end'.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import yaml
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from sdrlib.config import ConfigError
from sdrlib.data.normalize import clips_to_input
from sdrlib.engine.checkpoint import (
    CheckpointMeta,
    load_resume_state,
    save_checkpoint,
    save_resume_state,
    unwrap_model,
)
from sdrlib.engine.config import RunConfig
from sdrlib.engine.data import (
    check_prepared_sizes,
    eval_workers,
    open_split,
    resolve_roots,
    training_preparation,
)
from sdrlib.engine.distributed import DistContext, average_gradients, init_distributed, rank_seed
from sdrlib.engine.inference import clip_bce, predict_clips
from sdrlib.engine.metrics import choose_threshold, detection_metrics, video_scores
from sdrlib.engine.published import create_start_model
from sdrlib.engine.run_state import (
    LOG_FILE,
    VAL_FILE,
    RunLogger,
    TrainResult,
    is_finished,
    rank_rng_state,
    rng_state,
    set_rng_state,
)
from sdrlib.engine.sampler import BalancedBatchSampler
from sdrlib.engine.schedule import build_optimizer
from sdrlib.losses import SDRLoss
from sdrlib.utils import (
    atomic_write_json,
    atomic_write_text,
    autocast_context,
    resolve_device,
    seed_everything,
)

log = logging.getLogger(__name__)


def validate(
    model: torch.nn.Module,
    dataset,
    device: torch.device,
    batch_size: int,
    precision: str,
    progress: bool,
    channels_last: bool = True,
    num_workers: int = 0,
) -> tuple[dict[str, float], float, pd.DataFrame]:
    """Validation metrics, the threshold chosen on them, and the clip table."""
    clips = predict_clips(
        model,
        dataset,
        device,
        batch_size,
        precision,
        num_workers=num_workers,
        progress=progress,
        desc="val",
        channels_last=channels_last,
    )
    videos = video_scores(clips)
    threshold = choose_threshold(videos["label"].to_numpy(), videos["prob"].to_numpy())
    metrics = detection_metrics(clips, threshold).as_dict()
    metrics["bce"] = clip_bce(clips)
    return metrics, threshold, clips


def _better(candidate: dict[str, float], best: dict[str, float] | None) -> bool:
    """Higher validation video AUC wins; ties (common on small sets) go to the lower val BCE."""
    if best is None:
        return True
    auc_c, auc_b = candidate["video_auc"], best["video_auc"]
    auc_c = -1.0 if np.isnan(auc_c) else auc_c
    auc_b = -1.0 if np.isnan(auc_b) else auc_b
    if auc_c != auc_b:
        return auc_c > auc_b
    return candidate["bce"] < best["bce"]


def train(
    config: RunConfig,
    run_dir: str | Path,
    resume: bool = False,
    progress: bool = True,
    stop_after: int | None = None,
    force_ddp: bool = False,
) -> TrainResult:
    """Train ``config`` into ``run_dir``.

    Args:
        config: the full run configuration.
        run_dir: output folder (checkpoints, logs, ``summary.json``).
        resume: continue from ``run_dir/checkpoints/last.resume.pt`` if present.
        progress: show tqdm bars.
        stop_after: stop (as if interrupted) once this many steps are done; used to test resume.
        force_ddp: take the DDP code path even in a single process (world size 1, gloo).

    Raises:
        ConfigError: ``run_dir`` already holds a run and ``resume`` is False.
    """
    config.validate()
    run_dir = Path(run_dir)
    ckpt_dir = run_dir / "checkpoints"
    resume_file = ckpt_dir / "last.resume.pt"
    if not resume and (is_finished(run_dir) or resume_file.exists()):
        raise ConfigError(
            f"{run_dir} already holds a run; pass --resume to continue it or choose another --out"
        )
    t_start = time.perf_counter()
    tcfg = config.train
    # prepared data is checked before anything is written: a missing or mismatched dataset leaves
    # no run folder (SynthDF is generated below, by rank 0 alone under DDP)
    if config.data.roots:
        check_prepared_sizes(config.data, config.model.options, resolve_roots(config.data))
    device = resolve_device(tcfg.device)
    ctx: DistContext = init_distributed(device.type, force=force_ddp)
    if device.type == "cuda" and ctx.enabled:
        device = torch.device("cuda", ctx.local_rank)
    channels_last = tcfg.channels_last

    seed_everything(tcfg.seed)  # the same on every rank: same data, same initial weights
    if not ctx.is_main:
        ctx.barrier()  # rank 0 generates a missing SynthDF set alone (ranks would race to write it)
    roots = resolve_roots(config.data)
    if ctx.is_main:
        ctx.barrier()
    train_set = open_split(config.data, "train", "train", config.data.train_domains, tcfg.seed, roots)
    val_set = open_split(config.data, "val", "eval", config.data.train_domains, tcfg.seed, roots)
    if len(train_set) == 0 or len(val_set) == 0:
        raise ConfigError(
            f"empty split: {len(train_set)} train and {len(val_set)} val clips in {[str(r) for r in roots]} "
            f"for domains {config.data.train_domains}"
        )
    preparation = training_preparation(roots, train_set.videos["path"])
    sampler = BalancedBatchSampler(
        train_set.labels, config.data.batch_size, tcfg.seed, tcfg.balanced, ctx.rank, ctx.world_size
    )

    model = create_start_model(config.model.name, config.model.weights, **config.model.options).to(device)
    if getattr(model, "num_frames", config.data.clip_len) != config.data.clip_len:
        raise ConfigError(
            f"the model is built for clips of {model.num_frames} frames (model.options.num_frames) but "
            f"data.clip_len={config.data.clip_len}; leave model.options.num_frames out to follow data.clip_len"
        )
    if ctx.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(run_dir / "config.yaml", yaml.safe_dump(config.to_dict(), sort_keys=False))
    if channels_last:
        model = model.to_channels_last()
    # critic-based MI losses own trainable parameters: they train with the model, on its device
    criterion = SDRLoss(config.loss, latent_dim=model_latent_dim(model)).to(device)
    optimizer, scheduler = build_optimizer(torch.nn.ModuleList([model, criterion]), config.optim, tcfg.steps)
    # from here on each rank draws its own TPA parameters, posterior noise and dropout masks
    seed_everything(rank_seed(tcfg.seed, ctx.rank))

    step, epoch, pos = 0, 0, 0
    best_metrics: dict[str, float] | None = None
    best_step, best_threshold = 0, 0.5
    # the latest validation: (step, metrics, threshold), what last.json describes
    last_val: tuple[int, dict[str, float], float] = (0, {}, 0.5)
    if resume and resume_file.exists():
        state = load_resume_state(resume_file)
        model.load_state_dict(state["model"])
        criterion.load_state_dict(state["criterion"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step, epoch, pos = state["step"], state["epoch"], state["pos"]
        best_metrics, best_step, best_threshold = (
            state["best_metrics"],
            state["best_step"],
            state["best_threshold"],
        )
        last_val = tuple(state.get("last_val", last_val))
        set_rng_state(rank_rng_state(state["rng"], ctx.rank, rank_seed(tcfg.seed, ctx.rank) + step))

    train_model = model
    if tcfg.compile is True and device.type != "cuda":
        log.warning(
            "train.compile=true on %s: compiling takes minutes before the first step on a CPU (90 s for "
            "a 2-step run); train.compile=auto compiles on CUDA only",
            device,
        )
    if tcfg.compile is True or (tcfg.compile == "auto" and device.type == "cuda"):
        train_model = torch.compile(model)
    if ctx.enabled:
        train_model = DistributedDataParallel(
            train_model, device_ids=[device.index] if device.type == "cuda" else None
        )

    logger = RunLogger(run_dir, step, ctx.is_main)
    eval_every = tcfg.eval_every if tcfg.eval_every > 0 else tcfg.steps
    bar = tqdm(
        total=tcfg.steps,
        initial=step,
        desc=f"train {config.model.name}",
        disable=not (progress and ctx.is_main),
    )

    def save_state() -> None:
        rngs = ctx.all_gather(rng_state())  # a collective: every rank takes part
        if not ctx.is_main:
            return
        val_step, val_metrics, val_threshold = last_val
        metrics = {**(val_metrics if val_step == step else {}), "val_step": val_step}
        save_checkpoint(ckpt_dir / "last", model, _meta(config, step, metrics, val_threshold, preparation))
        save_resume_state(
            resume_file,
            {
                "model": {k: v.detach().cpu() for k, v in unwrap_model(model).state_dict().items()},
                "criterion": {k: v.detach().cpu() for k, v in criterion.state_dict().items()},
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "step": step,
                "epoch": epoch,
                "pos": pos,
                "best_metrics": best_metrics,
                "best_step": best_step,
                "best_threshold": best_threshold,
                "last_val": list(last_val),
                "rng": rngs,
            },
        )

    def run_validation() -> None:
        nonlocal best_metrics, best_step, best_threshold, last_val
        if ctx.is_main:
            metrics, threshold, _ = validate(
                model,
                val_set,
                device,
                config.data.eval_batch_size,
                tcfg.precision,
                progress,
                channels_last,
                num_workers=eval_workers(config.data),
            )
            logger.write(
                VAL_FILE,
                {
                    "step": step,
                    **{k: metrics[k] for k in ("video_auc", "clip_auc", "video_acc", "bce")},
                    "threshold": threshold,
                },
            )
            last_val = (step, metrics, threshold)
            if _better(metrics, best_metrics):
                best_metrics, best_step, best_threshold = metrics, step, threshold
                save_checkpoint(ckpt_dir / "best", model, _meta(config, step, metrics, threshold, preparation))
        ctx.barrier()
        model.train()

    # step at which the loss or a gradient first became non-finite (-1: never), kept on the device
    first_bad = torch.full((), -1, dtype=torch.long, device=device)

    def check_finite() -> None:
        bad = int(first_bad)  # the host sync, only where the loop syncs anyway
        if bad >= 0:
            raise FloatingPointError(
                f"the loss or its gradients became non-finite at step {bad} (that update was skipped, "
                "the weights are intact); lower optim.lr"
            )

    model.train()
    interrupted = False
    while step < tcfg.steps and not interrupted:
        train_set.set_epoch(epoch)
        sampler.set_epoch(epoch, start=pos)
        loader = DataLoader(
            train_set,
            batch_sampler=sampler,
            num_workers=config.data.num_workers,
            pin_memory=device.type == "cuda",
            generator=torch.Generator().manual_seed(tcfg.seed * 100003 + epoch),
        )
        for batch in loader:
            x = clips_to_input(batch["clip"], device, channels_last=channels_last)
            labels = batch["label"].to(device, dtype=torch.float32)
            with autocast_context(device, tcfg.precision):
                output = train_model(x)
            losses = criterion(output, labels, progress=step / tcfg.steps)
            optimizer.zero_grad(set_to_none=True)
            losses["loss"].backward()
            average_gradients(criterion.parameters())
            grad_norm = torch.nn.utils.clip_grad_norm_(
                [p for group in optimizer.param_groups for p in group["params"]], config.optim.grad_clip
            )
            bad = ~(torch.isfinite(grad_norm) & torch.isfinite(losses["loss"].detach()))
            first_bad = torch.where(bad & (first_bad < 0), step + 1, first_bad)
            optimizer.found_inf = bad.float()  # the fused AdamW skips the update on the device
            optimizer.step()
            lr = optimizer.param_groups[0]["lr"]
            scheduler.step()
            step += 1
            pos += 1
            bar.update(1)
            stopping = stop_after is not None and step >= stop_after
            if step % tcfg.log_every == 0 or step % eval_every == 0 or step == tcfg.steps or stopping:
                check_finite()
            if step % tcfg.log_every == 0 or step == tcfg.steps:
                row = {"step": step, "epoch": epoch, "lr": lr, "grad_norm": float(grad_norm)}
                row.update(
                    {k: float(v.detach()) for k, v in losses.items() if torch.is_tensor(v) and v.numel() == 1}
                )
                logger.write(LOG_FILE, row)
                bar.set_postfix(loss=f"{row['loss']:.3f}")
            if step % eval_every == 0 or step == tcfg.steps:
                run_validation()
                save_state()
            if stop_after is not None and step >= stop_after and step < tcfg.steps:
                save_state()
                interrupted = True
                break
            if step >= tcfg.steps:
                break
        else:
            epoch += 1
            pos = 0
    bar.close()
    logger.close()
    wall = time.perf_counter() - t_start
    finished = step >= tcfg.steps
    if finished and ctx.is_main:
        atomic_write_json(
            run_dir / "summary.json",
            {
                "model": config.model.name,
                "fingerprint": config.fingerprint(),
                "steps": step,
                "best_step": best_step,
                "threshold": best_threshold,
                "val_metrics": best_metrics,
                "wall_s": wall,
                "device": str(device),
                "world_size": ctx.world_size,
            },
        )
    ctx.barrier()
    ctx.close()
    return TrainResult(
        run_dir=run_dir,
        best_checkpoint=ckpt_dir / "best.json",
        best_step=best_step,
        threshold=best_threshold,
        val_metrics=best_metrics or {},
        steps_done=step,
        finished=finished,
        wall_s=wall,
    )


def model_latent_dim(model: torch.nn.Module) -> int | None:
    """D of the model's branch latents (``model.cfg.latent_dim``), ``None`` for models without."""
    return getattr(getattr(unwrap_model(model), "cfg", None), "latent_dim", None)


def _meta(
    config: RunConfig, step: int, metrics: dict[str, float], threshold: float, preparation: dict[str, Any]
) -> CheckpointMeta:
    return CheckpointMeta(
        model_name=config.model.name,
        model_options=dict(config.model.options),
        threshold=threshold,
        clip_len=config.data.clip_len,
        input_size=config.data.size,
        step=step,
        metrics={k: v for k, v in metrics.items() if isinstance(v, (int, float))},
        config=config.to_dict(),
        preparation=preparation,
    )
