"""The six SynthDF domains: what each one looks like and how its fakes betray themselves.

A domain stands in for one real benchmark (or one manipulation of FaceForensics++). Its
:class:`DomainSpec` holds three groups of knobs, each a dataclass that YAML/``--set`` can reach:

- :class:`SceneStyle`, the *dataset* look shared by its real and fake videos (identity pool,
  poses, lighting, sensor noise, compression, native resolution);
- :class:`Fingerprint` (one or several), the *spatial* artifacts of the manipulation method, found
  only in fakes and different in every domain: the shortcut a per-frame 2D CNN can learn in-domain
  but that does not transfer;
- :class:`TemporalArtifacts`, the *temporal* inconsistencies of a face rendered independently per
  frame, the cue SDR's temporal model is meant to rely on. They differ between domains **in kind**,
  not only in strength: each FF++ manipulation leaves its own subset (alignment jitter, flicker,
  expression mismatch, a breathing mask boundary), and the unseen domains mix them differently and
  with another temporal spectrum (Celeb-DF's errors drift slowly instead of jumping every frame),
  so a temporal model's transfer to them is earned, not built in (docs/benchmark.md, table
  "what each domain shares with the training domains").

``spatial_strength`` and ``temporal_strength`` multiply every amplitude of their group, so
``temporal_strength=0`` gives fakes with no temporal artifact at all (a control experiment) and
``spatial_strength=0`` fakes with no fingerprint. The book chapter 'SynthDF' shows each knob.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SceneStyle:
    """How the videos of one source dataset look, real and fake alike.

    Attributes:
        identity_pool: identities are drawn from this pool; domains sharing a pool (the four
            FF++ manipulations) share identities, as FF++ does.
        skin_tone: range of the skin-tone mix, 0 = lightest palette colour, 1 = darkest.
        head_scale: range of the face half-height, as a fraction of the half-size of the frame.
        head_rotation_deg: standard deviation of the initial in-plane head rotation.
        head_speed: typical head translation per frame, fraction of the half-size of the frame.
        rotation_speed_deg: typical head rotation per frame, in degrees.
        motion_smoothness: time scale (frames) of the head's velocity changes.
        blink_rate: expected blinks per frame.
        talk_probability: probability that the person talks (moves the mouth) in a video.
        light_level: overall exposure (below 1 = low light).
        light_drift: amplitude of the slow exposure drift over a video.
        noise_std: sensor noise standard deviation, in 0..255 grey levels.
        jpeg_quality: per-frame 8x8-DCT compression quality (1..100); 0 = no compression.
        render_scale: frames are rendered at this fraction of the output size and upsampled
            (a different native resolution, softer images).
    """

    identity_pool: str = "ffpp"
    skin_tone: tuple[float, float] = (0.0, 1.0)
    head_scale: tuple[float, float] = (0.58, 0.68)
    head_rotation_deg: float = 5.0
    head_speed: float = 0.006
    rotation_speed_deg: float = 0.5
    motion_smoothness: float = 4.0
    blink_rate: float = 0.04
    talk_probability: float = 0.7
    light_level: float = 1.0
    light_drift: float = 0.04
    noise_std: float = 2.0
    jpeg_quality: int = 0
    render_scale: float = 1.0


@dataclass(frozen=True)
class Fingerprint:
    """The spatial artifacts of one manipulation method, at ``spatial_strength`` 1.

    Every amplitude is zero by default; a method sets the few that describe it. Lengths in pixels
    are for 64-pixel frames and scale with the frame size; the checkerboard's period (2 pixels)
    does not, because it is tied to the pixel grid.

    Attributes:
        name: short method name, written to the manifest's ``method`` column.
        description: one line for the documentation.
        blur_px: Gaussian blur of the swapped face (sigma, pixels): a low-resolution generator.
        color_cast: RGB offset (0..1 units) added to the swapped face: imperfect colour transfer.
        sharpen: unsharp-mask amount on the swapped face: halos around its edges.
        texture_amplitude: relative amplitude of a high-frequency texture on the lower face,
            attached to the face (it moves with it): neural-rendering texture.
        texture_frequency: that texture's frequency, cycles per pixel.
        posterize: 0..1 mix towards a colour-banded (16-level) swapped face.
        seam: 0..1 hardening of the blend mask's edge (1 = a one-pixel edge).
        seam_step: brightness step (relative) across the seam, random sign per video.
        checkerboard: amplitude (0..255 grey levels) of a period-2 upsampling pattern in the
            blended region, aligned with the pixel grid.
        noise_removal: fraction of the sensor noise missing inside the blended region (a
            generator's output is cleaner than the camera's).
    """

    name: str
    description: str = ""
    blur_px: float = 0.0
    color_cast: tuple[float, float, float] = (0.0, 0.0, 0.0)
    sharpen: float = 0.0
    texture_amplitude: float = 0.0
    texture_frequency: float = 0.3
    posterize: float = 0.0
    seam: float = 0.0
    seam_step: float = 0.0
    checkerboard: float = 0.0
    noise_removal: float = 0.0


@dataclass(frozen=True)
class TemporalArtifacts:
    """Per-frame inconsistencies of a face swapped in frame by frame, at ``temporal_strength`` 1.

    Each is the standard deviation of an independent per-frame draw, so the swapped face wobbles,
    flickers and blinks out of step with the head, while a real face moves smoothly.

    Attributes:
        jitter: alignment offset of the swapped face, fraction of the face half-height.
        rotation_jitter_deg: alignment rotation, degrees.
        scale_jitter: relative alignment scale.
        flicker: brightness gain of the swapped face.
        color_flicker: per-channel colour gain of the swapped face.
        expression_mismatch: 0..1 weight of an independent per-frame expression (eye openness,
            mouth opening) in place of the head's own.
        boundary_flicker: relative size and position of the blend mask.
        smoothness: time scale (frames) of every error above: 0 draws a new independent error in
            every frame (white in time); above 0 the errors are low-pass filtered in time (a
            Gaussian of this sigma, renormalised to the same variance), so the face drifts instead
            of jumping: the same amplitude, another spectrum.
    """

    jitter: float = 0.04
    rotation_jitter_deg: float = 2.4
    scale_jitter: float = 0.024
    flicker: float = 0.06
    color_flicker: float = 0.024
    expression_mismatch: float = 0.5
    boundary_flicker: float = 0.08
    smoothness: float = 0.0

    def __post_init__(self) -> None:
        if self.smoothness < 0:
            raise ValueError(f"temporal smoothness must be >= 0, got {self.smoothness}")


@dataclass(frozen=True)
class DomainSpec:
    """One SynthDF domain: its look, its manipulation fingerprints and its artifact strengths.

    Attributes:
        name: the domain name (``ffpp-df`` ...), written to the manifest's ``domain`` column.
        description: one line for the documentation.
        style: the look of the domain's videos, real and fake.
        methods: the manipulation methods; each fake uses one, drawn uniformly (several =
            mixed methods, as in DFDC).
        blend_feather: width of the blend mask's soft edge, fraction of the face half-height
            (wider = better blending).
        spatial_strength: multiplies every fingerprint amplitude (0 = no spatial artifact).
        temporal_strength: multiplies every temporal artifact (0 = no temporal artifact).
        temporal: the temporal artifacts of this domain's fakes (each domain has its own, see ``_TEMPORAL``).
    """

    name: str
    description: str
    style: SceneStyle
    methods: tuple[Fingerprint, ...]
    blend_feather: float = 0.12
    spatial_strength: float = 1.0
    temporal_strength: float = 1.0
    temporal: TemporalArtifacts = field(default_factory=TemporalArtifacts)

    def __post_init__(self) -> None:
        if not self.methods:
            raise ValueError(f"domain {self.name!r} needs at least one manipulation method")
        if self.spatial_strength < 0 or self.temporal_strength < 0:
            raise ValueError(f"domain {self.name!r}: artifact strengths must be >= 0")
        if not 0 < self.style.render_scale <= 1:
            raise ValueError(f"domain {self.name!r}: style.render_scale must be in (0, 1]")
        if not 0 <= self.style.jpeg_quality <= 100:
            raise ValueError(f"domain {self.name!r}: style.jpeg_quality must be in 0..100")


_FFPP = SceneStyle()
_NONE = dict(
    jitter=0.0,
    rotation_jitter_deg=0.0,
    scale_jitter=0.0,
    flicker=0.0,
    color_flicker=0.0,
    expression_mismatch=0.0,
    boundary_flicker=0.0,
)
#: What each method's frame-by-frame synthesis gets wrong in time (a subset of the kinds each).
_TEMPORAL = {
    # an autoencoder's face, aligned anew in every frame: the face wobbles and its brightness flickers
    "ffpp-df": TemporalArtifacts(
        **{**_NONE, "jitter": 0.08, "rotation_jitter_deg": 4.8, "scale_jitter": 0.05, "flicker": 0.13}
    ),
    # expression re-enactment: the mouth and eyes move out of step, the colour shimmers
    "ffpp-f2f": TemporalArtifacts(**{**_NONE, "expression_mismatch": 1.0, "color_flicker": 0.07}),
    # a fitted 3D face pasted with a landmark mask: the mask boundary breathes, the fit jitters
    "ffpp-fs": TemporalArtifacts(**{**_NONE, "boundary_flicker": 0.22, "jitter": 0.05, "scale_jitter": 0.03}),
    # a neural texture re-rendered per frame: colour and brightness flicker, a slight expression lag
    "ffpp-nt": TemporalArtifacts(
        **{**_NONE, "flicker": 0.08, "color_flicker": 0.07, "expression_mismatch": 0.5}
    ),
    # a later, smoother synthesis: every kind, weaker, drifting over several frames instead of jumping
    "celebdf": TemporalArtifacts(
        jitter=0.04,
        rotation_jitter_deg=2.0,
        scale_jitter=0.02,
        flicker=0.05,
        color_flicker=0.03,
        expression_mismatch=0.4,
        boundary_flicker=0.08,
        smoothness=1.5,
    ),
    # many methods and crowd-sourced actors: every kind, frame by frame
    "dfdc": TemporalArtifacts(
        jitter=0.04,
        rotation_jitter_deg=2.0,
        scale_jitter=0.02,
        flicker=0.06,
        color_flicker=0.03,
        expression_mismatch=0.5,
        boundary_flicker=0.1,
    ),
}

_DOMAINS: tuple[DomainSpec, ...] = (
    DomainSpec(
        name="ffpp-df",
        description="FF++ DeepFakes: a blurry, colour-cast face from a low-resolution autoencoder.",
        style=_FFPP,
        methods=(
            Fingerprint(
                "deepfakes",
                "blur plus a warm colour cast",
                blur_px=1.5,
                color_cast=(0.06, 0.015, -0.045),
            ),
        ),
        temporal=_TEMPORAL["ffpp-df"],
    ),
    DomainSpec(
        name="ffpp-f2f",
        description="FF++ Face2Face: an upsampling checkerboard over the re-rendered face.",
        style=_FFPP,
        methods=(Fingerprint("face2face", "period-2 upsampling checkerboard", checkerboard=6.0),),
        temporal=_TEMPORAL["ffpp-f2f"],
    ),
    DomainSpec(
        name="ffpp-fs",
        description="FF++ FaceSwap: a hard blending seam with a brightness step across it.",
        style=_FFPP,
        methods=(Fingerprint("faceswap", "hard blend edge and brightness step", seam=1.0, seam_step=0.22),),
        temporal=_TEMPORAL["ffpp-fs"],
    ),
    DomainSpec(
        name="ffpp-nt",
        description="FF++ NeuralTextures: a high-frequency texture on the lower face.",
        style=_FFPP,
        methods=(
            Fingerprint(
                "neuraltextures",
                "high-frequency texture on the mouth region",
                texture_amplitude=0.22,
                texture_frequency=0.3,
            ),
        ),
        temporal=_TEMPORAL["ffpp-nt"],
    ),
    DomainSpec(
        name="celebdf",
        description="Celeb-DF-v2: other identities and poses, better blending, weak spatial artifacts.",
        style=SceneStyle(
            identity_pool="celebdf",
            skin_tone=(0.0, 0.65),
            head_scale=(0.64, 0.74),
            head_rotation_deg=9.0,
            head_speed=0.008,
            rotation_speed_deg=0.7,
            noise_std=2.5,
            jpeg_quality=85,
        ),
        methods=(Fingerprint("celebdf", "slight smoothing, cleaner skin", blur_px=0.5, noise_removal=0.5),),
        blend_feather=0.25,
        # Celeb-DF's synthesis was built to reduce the temporal flickering of earlier swaps
        # (Li et al., CVPR 2020): its errors drift slowly (smoothness) instead of jumping. Their
        # amplitude is calibrated so that FTCN lands near its published Celeb-DF-v2 AUC, 86.9
        # (scripts/calibrate_synthdf.py, FTCN only; docs/benchmark.md).
        temporal_strength=2.5,
        temporal=_TEMPORAL["celebdf"],
    ),
    DomainSpec(
        name="dfdc",
        description="DFDC: low light, heavy compression, noise, lower native resolution, mixed methods.",
        style=SceneStyle(
            identity_pool="dfdc",
            head_scale=(0.50, 0.66),
            head_rotation_deg=7.0,
            light_level=0.6,
            light_drift=0.08,
            noise_std=5.0,
            jpeg_quality=40,
            render_scale=0.625,
        ),
        methods=(
            Fingerprint("dfdc-denoise", "the swapped face lacks sensor noise", noise_removal=1.0),
            Fingerprint("dfdc-sharpen", "over-sharpened face with halos", sharpen=1.2),
            Fingerprint("dfdc-banding", "colour banding in the face", posterize=0.8),
        ),
        blend_feather=0.15,
        # calibrated like celebdf's, to FTCN's published DFDC AUC, 74.0
        temporal_strength=1.0,
        temporal=_TEMPORAL["dfdc"],
    ),
)

DOMAINS: dict[str, DomainSpec] = {spec.name: spec for spec in _DOMAINS}
SYNTHDF_DOMAINS: tuple[str, ...] = tuple(DOMAINS)


def get_domain(name: str) -> DomainSpec:
    """The default :class:`DomainSpec` of a SynthDF domain, by name.

    Raises:
        ValueError: ``name`` is not one of :data:`SYNTHDF_DOMAINS`.
    """
    if name not in DOMAINS:
        raise ValueError(f"unknown SynthDF domain {name!r}; choose from {', '.join(SYNTHDF_DOMAINS)}")
    return DOMAINS[name]


def resolve_domains(domains: str | DomainSpec | list | tuple) -> list[DomainSpec]:
    """Turn names (a list or a comma-separated string) and specs into a list of unique specs.

    Raises:
        ValueError: an unknown name, an empty list or the same domain name twice.
    """
    if isinstance(domains, (str, DomainSpec)):
        domains = [domains] if isinstance(domains, DomainSpec) else domains.split(",")
    specs = []
    for item in domains:
        if isinstance(item, DomainSpec):
            specs.append(item)
        elif isinstance(item, str) and item.strip():
            specs.append(get_domain(item.strip()))
        else:
            raise ValueError(f"a domain must be a name or a DomainSpec, got {item!r}")
    if not specs:
        raise ValueError("no domain given; choose from " + ", ".join(SYNTHDF_DOMAINS))
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"domain names must be unique, got {names}")
    return specs
