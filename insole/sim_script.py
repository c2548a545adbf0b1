"""Scripts for the simulated foot: what the foot does, segment by segment.

A ``Script`` is a sequence of segments played one after the other, plus optional slow
sensor drifts that run through the whole script:

=========================== ==============================================================
segment                     what the foot does
=========================== ==============================================================
``Rest(s)``                 relaxed seated foot: light load, little-toe ball unloaded
``Rest(s, lifted=True)``    foot lifted off the insole: no load at all
``Hold(s, shares, load_n)`` correct arch hold: all three points pressed
``Lift(point, s)``          like a hold, but one point loses (almost) all its load
``Wobble(s, point)``        a brief loss of one point, shorter than the grace time
``Stand(s, load_n)``        standing quietly on the foot with the tripod held (squat/lunge base)
``Band(s, pulls, load_n)``  arch hold against a resistance band: ``pulls`` pulls unload the
                            heel and big-toe ball for a moment (the band's disturbance)
``Cycle(kind, s, ...)``     one rep: ``rise`` (sit-to-stand), ``squat`` or ``lunge``; the
                            load rises from the level before to a peak and falls back;
                            optionally a point lifts in one phase, or the load shifts
                            sideways (``shift``: big-toe minus little-toe share at the top)
``Drift(point, ...)``       not a segment: slow sensor drift (% of reading or N per hour)
=========================== ==============================================================

Text form (for the command line), segments separated by ``;`` or new lines::

    rest SECONDS [lifted | load NEWTONS]
    hold SECONDS [shares HEEL,LITTLE,BIG] [load NEWTONS] [wobble SECONDS@AT [POINT]]...
    lift POINT SECONDS [load NEWTONS]
    wobble SECONDS [POINT]
    stand SECONDS [load NEWTONS]
    band SECONDS [pulls N] [load NEWTONS]
    rise|squat|lunge SECONDS [peak NEWTONS] [lift POINT[@up|top|down]] [shift F]
    drift POINT RATE            RATE is e.g. 5%/h (gain) or 0.5N/h (offset)

e.g. ``rest 3; hold 9; rest 4; hold 5; lift big_toe 2; hold 9 wobble 0.3@4``.
``wobble 0.3@4`` inside a hold is a 0.3 s wobble starting 4 s into it (the wobble is
part of the hold's duration). POINT is ``heel``, ``little_toe`` or ``big_toe``; a wobble
defaults to ``little_toe``, the point a seated foot lets go of first (it is unloaded in
relaxed sitting, see ``docs/simulator.md``). Numbers are plain decimals. A bad script
raises ``ScriptError`` naming the segment and what is allowed; ``Script.to_text()``
gives text that parses back to the same script.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from insole.errors import InsoleError
from insole.frames import SENSORS

MAX_SEGMENT_S = 3600.0
"""Longest single segment."""
MAX_SCRIPT_S = 24 * 3600.0
"""Longest whole script."""
MIN_SEGMENT_S = 0.1
"""Shortest rest, hold or lift (shorter than the load ramps makes no sense)."""
WOBBLE_RANGE_S = (0.05, 1.0)
"""Allowed wobble length; a wobble is meant to be shorter than the grace time (0.5 s)."""
WOBBLE_MARGIN_S = 0.3
"""A wobble inside a hold keeps this far from the hold's start and end."""
MAX_LOAD_N = 2000.0
"""Largest total load a segment may ask for."""
DRIFT_GAIN_RANGE_PCT_H = (-100.0, 1000.0)
DRIFT_OFFSET_RANGE_N_H = (-1000.0, 1000.0)


class ScriptError(InsoleError, ValueError):
    """A simulator script is malformed; the message names the segment and what is allowed."""


def _check_number(what: str, value: float, low: float, high: float, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScriptError(f"{what} must be a number, got {value!r}")
    if not (math.isfinite(value) and low <= value <= high):
        raise ScriptError(f"{what} must be from {low:g} to {high:g} {unit}, got {value!r}")
    return float(value)


def _check_point(what: str, point: str) -> str:
    if point not in SENSORS:
        raise ScriptError(f"{what} must be one of {', '.join(SENSORS)}, got {point!r}")
    return point


def _check_load(what: str, load_n: float | None) -> float | None:
    if load_n is None:
        return None
    return _check_number(f"{what} load", load_n, 1.0, MAX_LOAD_N, "N")


def _num(value: float) -> str:
    """Shortest text for a number in the script language."""
    return repr(float(value)).removesuffix(".0")


@dataclass(frozen=True)
class Rest:
    """A relaxed seated foot (light load, little-toe ball free) or, if ``lifted``, no load."""

    duration_s: float
    lifted: bool = False
    load_n: float | None = None

    def __post_init__(self) -> None:
        _check_number("rest duration", self.duration_s, MIN_SEGMENT_S, MAX_SEGMENT_S, "s")
        _check_load("rest", self.load_n)
        if self.lifted and self.load_n is not None:
            raise ScriptError("a lifted rest has no load; give either 'lifted' or 'load'")

    def to_text(self) -> str:
        """The segment in the text form."""
        text = f"rest {_num(self.duration_s)}"
        if self.lifted:
            text += " lifted"
        if self.load_n is not None:
            text += f" load {_num(self.load_n)}"
        return text


@dataclass(frozen=True)
class Wobble:
    """A brief loss of load on ``point``; inside a hold ``at_s`` is where it starts."""

    duration_s: float
    point: str = "little_toe"
    at_s: float | None = None

    def __post_init__(self) -> None:
        _check_number("wobble duration", self.duration_s, *WOBBLE_RANGE_S, "s")
        _check_point("wobble point", self.point)
        if self.at_s is not None:
            _check_number("wobble start", self.at_s, 0.0, MAX_SEGMENT_S, "s")

    def to_text(self) -> str:
        """The wobble in the text form (as a hold option when ``at_s`` is set)."""
        point = "" if self.point == "little_toe" else f" {self.point}"
        if self.at_s is None:
            return f"wobble {_num(self.duration_s)}{point}"
        return f"wobble {_num(self.duration_s)}@{_num(self.at_s)}{point}"


@dataclass(frozen=True)
class Hold:
    """A correct arch hold: all three points pressed.

    ``shares`` (heel, little_toe, big_toe; adding up to 1) and ``load_n`` (total on the
    three points) default to the simulator's data-derived hold, varied a little per hold.
    ``wobbles`` are brief losses inside the hold (``at_s`` from the hold's start).
    """

    duration_s: float
    shares: tuple[float, float, float] | None = None
    load_n: float | None = None
    wobbles: tuple[Wobble, ...] = ()

    def __post_init__(self) -> None:
        _check_number("hold duration", self.duration_s, MIN_SEGMENT_S, MAX_SEGMENT_S, "s")
        _check_load("hold", self.load_n)
        if self.shares is not None:
            object.__setattr__(self, "shares", check_shares(self.shares))
        object.__setattr__(self, "wobbles", tuple(self.wobbles))
        for wobble in self.wobbles:
            if not isinstance(wobble, Wobble) or wobble.at_s is None:
                raise ScriptError("a wobble inside a hold needs its start: wobble SECONDS@AT")
        end_of_last = 0.0
        for wobble in sorted(self.wobbles, key=lambda w: w.at_s or 0.0):
            at_s = wobble.at_s or 0.0
            latest = self.duration_s - WOBBLE_MARGIN_S - wobble.duration_s
            if not max(WOBBLE_MARGIN_S, end_of_last + WOBBLE_MARGIN_S) <= at_s <= latest:
                raise ScriptError(
                    f"wobble {wobble.duration_s:g}@{at_s:g} does not fit in a "
                    f"{self.duration_s:g} s hold: it must start at least {WOBBLE_MARGIN_S:g} s "
                    "after the hold's start and the previous wobble, and end at least "
                    f"{WOBBLE_MARGIN_S:g} s before the hold's end"
                )
            end_of_last = at_s + wobble.duration_s

    def to_text(self) -> str:
        """The segment in the text form."""
        text = f"hold {_num(self.duration_s)}"
        if self.shares is not None:
            text += " shares " + ",".join(_num(s) for s in self.shares)
        if self.load_n is not None:
            text += f" load {_num(self.load_n)}"
        for wobble in self.wobbles:
            text += " " + wobble.to_text()
        return text


@dataclass(frozen=True)
class Lift:
    """A hold in which ``point`` is lifted (keeps almost no load)."""

    point: str
    duration_s: float
    load_n: float | None = None

    def __post_init__(self) -> None:
        _check_point("lift point", self.point)
        _check_number("lift duration", self.duration_s, MIN_SEGMENT_S, MAX_SEGMENT_S, "s")
        _check_load("lift", self.load_n)

    def to_text(self) -> str:
        """The segment in the text form."""
        text = f"lift {self.point} {_num(self.duration_s)}"
        if self.load_n is not None:
            text += f" load {_num(self.load_n)}"
        return text


@dataclass(frozen=True)
class Drift:
    """Slow drift of one sensor's reading: a gain change and/or an offset, per hour."""

    point: str
    gain_pct_per_h: float = 0.0
    offset_n_per_h: float = 0.0

    def __post_init__(self) -> None:
        _check_point("drift point", self.point)
        _check_number("drift gain", self.gain_pct_per_h, *DRIFT_GAIN_RANGE_PCT_H, "%/h")
        _check_number("drift offset", self.offset_n_per_h, *DRIFT_OFFSET_RANGE_N_H, "N/h")

    def to_text(self) -> str:
        """The drift in the text form (one item per non-zero rate)."""
        items = []
        if self.gain_pct_per_h:
            items.append(f"drift {self.point} {_num(self.gain_pct_per_h)}%/h")
        if self.offset_n_per_h:
            items.append(f"drift {self.point} {_num(self.offset_n_per_h)}N/h")
        return "; ".join(items)


@dataclass(frozen=True)
class Stand:
    """Standing on the foot with the tripod held (the base of squats and lunges)."""

    duration_s: float
    load_n: float | None = None

    def __post_init__(self) -> None:
        _check_number("stand duration", self.duration_s, MIN_SEGMENT_S, MAX_SEGMENT_S, "s")
        _check_load("stand", self.load_n)

    def to_text(self) -> str:
        """The segment in the text form."""
        text = f"stand {_num(self.duration_s)}"
        if self.load_n is not None:
            text += f" load {_num(self.load_n)}"
        return text


BAND_PULL_S = 0.8
"""Length of one band pull (the heel and big-toe ball are pulled up, then pressed back)."""
BAND_PULL_GAP_S = 0.4
"""Least time between pulls and between a pull and the band hold's ends."""
MAX_PULLS = 100


@dataclass(frozen=True)
class Band:
    """An arch hold against a resistance band with ``pulls`` evenly spread pulls."""

    duration_s: float
    pulls: int = 0
    load_n: float | None = None

    def __post_init__(self) -> None:
        _check_number("band duration", self.duration_s, MIN_SEGMENT_S, MAX_SEGMENT_S, "s")
        _check_load("band", self.load_n)
        if isinstance(self.pulls, bool) or not isinstance(self.pulls, int):
            raise ScriptError(f"band pulls must be a whole number, got {self.pulls!r}")
        if not 0 <= self.pulls <= MAX_PULLS:
            raise ScriptError(f"band pulls must be from 0 to {MAX_PULLS}, got {self.pulls}")
        if self.pulls and self.duration_s / self.pulls < BAND_PULL_S + BAND_PULL_GAP_S:
            raise ScriptError(
                f"{self.pulls} pulls do not fit in {self.duration_s:g} s: each needs "
                f"{BAND_PULL_S + BAND_PULL_GAP_S:g} s"
            )

    def to_text(self) -> str:
        """The segment in the text form."""
        text = f"band {_num(self.duration_s)}"
        if self.pulls:
            text += f" pulls {self.pulls}"
        if self.load_n is not None:
            text += f" load {_num(self.load_n)}"
        return text


CYCLE_KINDS = ("rise", "squat", "lunge")
"""Rep segments: a sit-to-stand, a slow squat, one lunge with a band pull."""
CYCLE_PHASES = ("up", "top", "down")
"""Phases of a rep segment: load rising, at its peak, falling."""
MIN_CYCLE_S = 1.0
MAX_SHIFT = 0.5


@dataclass(frozen=True)
class Cycle:
    """One rep: the load rises from the level before to ``peak_n`` and falls back.

    ``lift`` makes that point lose its load in ``lift_phase``; ``shift`` moves load
    sideways towards the top (big-toe share up and little-toe share down by half of it
    each; negative: towards the little toe), as a knee drifting in (or out) does.
    """

    kind: str
    duration_s: float
    peak_n: float | None = None
    lift: str | None = None
    lift_phase: str = "top"
    shift: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in CYCLE_KINDS:
            raise ScriptError(
                f"rep kind must be one of {', '.join(CYCLE_KINDS)}, got {self.kind!r}"
            )
        _check_number(f"{self.kind} duration", self.duration_s, MIN_CYCLE_S, MAX_SEGMENT_S, "s")
        _check_load(self.kind, self.peak_n)
        if self.lift is not None:
            _check_point(f"{self.kind} lift point", self.lift)
        if self.lift_phase not in CYCLE_PHASES:
            raise ScriptError(
                f"lift phase must be one of {', '.join(CYCLE_PHASES)}, got {self.lift_phase!r}"
            )
        _check_number(f"{self.kind} shift", self.shift, -MAX_SHIFT, MAX_SHIFT, "")

    def to_text(self) -> str:
        """The segment in the text form."""
        text = f"{self.kind} {_num(self.duration_s)}"
        if self.peak_n is not None:
            text += f" peak {_num(self.peak_n)}"
        if self.lift is not None:
            text += f" lift {self.lift}@{self.lift_phase}"
        if self.shift:
            text += f" shift {_num(self.shift)}"
        return text


Segment = Rest | Hold | Lift | Wobble | Stand | Band | Cycle


def check_shares(shares: Iterable[float]) -> tuple[float, float, float]:
    """Three shares from 0 to 1 adding up to 1 (within 0.02), normalised exactly."""
    values = list(shares)
    if len(values) != 3:
        raise ScriptError(f"shares must be three numbers (heel, little_toe, big_toe), got {values}")
    for value in values:
        _check_number("each share", value, 0.0, 1.0, "")
    total = sum(values)
    if abs(total - 1.0) > 0.02:
        raise ScriptError(f"shares must add up to 1, got {total:.3f}")
    if abs(total - 1.0) > 1e-9:  # normalise once; leave already-normal shares untouched
        values = [v / total for v in values]
    return (float(values[0]), float(values[1]), float(values[2]))


@dataclass(frozen=True)
class Script:
    """Segments played in order, plus sensor drifts running through the whole script."""

    segments: tuple[Segment, ...]
    drifts: tuple[Drift, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.segments))
        object.__setattr__(self, "drifts", tuple(self.drifts))
        if not self.segments:
            raise ScriptError("a script needs at least one segment (rest, hold, lift or wobble)")
        for segment in self.segments:
            if not isinstance(segment, Rest | Hold | Lift | Wobble | Stand | Band | Cycle):
                raise ScriptError(f"not a segment: {segment!r}")
            if isinstance(segment, Wobble) and segment.at_s is not None:
                raise ScriptError("a wobble between segments has no start time (@)")
        for drift in self.drifts:
            if not isinstance(drift, Drift):
                raise ScriptError(f"not a drift: {drift!r}")
        if self.duration_s > MAX_SCRIPT_S:
            raise ScriptError(
                f"script lasts {self.duration_s:g} s; at most {MAX_SCRIPT_S:g} s is allowed"
            )

    @property
    def duration_s(self) -> float:
        """Total length of the script in seconds."""
        return float(sum(segment.duration_s for segment in self.segments))

    def to_text(self) -> str:
        """The script in the text form (``Script.parse`` reads it back)."""
        items = [d.to_text() for d in self.drifts if d.to_text()]
        items += [segment.to_text() for segment in self.segments]
        return "; ".join(items)

    @classmethod
    def parse(cls, text: str) -> Script:
        """Read the text form; raises ``ScriptError`` naming the bad segment."""
        if not isinstance(text, str):
            raise ScriptError(f"a script is text, got {type(text).__name__}")
        segments: list[Segment] = []
        drifts: list[Drift] = []
        items = [item.strip() for item in re.split(r"[;\n]", text)]
        for number, item in enumerate(items, 1):
            if not item:
                continue
            try:
                parsed = _parse_item(item.split())
            except ScriptError as err:
                raise ScriptError(f"segment {number} ({item!r}): {err}") from None
            if isinstance(parsed, Drift):
                drifts.append(parsed)
            else:
                segments.append(parsed)
        try:
            return cls(tuple(segments), tuple(drifts))
        except ScriptError as err:
            raise ScriptError(f"script {text.strip()[:60]!r}: {err}") from None


_GRAMMAR = (
    "rest SECONDS [lifted | load N]; hold SECONDS [shares H,L,B] [load N] "
    "[wobble SECONDS@AT [POINT]]; lift POINT SECONDS [load N]; wobble SECONDS [POINT]; "
    "stand SECONDS [load N]; band SECONDS [pulls N] [load N]; "
    "rise|squat|lunge SECONDS [peak N] [lift POINT[@up|top|down]] [shift F]; "
    "drift POINT RATE%/h | RATEN/h"
)


def _number(what: str, token: str | None) -> float:
    if token is None:
        raise ScriptError(f"{what} is missing")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", token):
        raise ScriptError(f"{what} must be a plain number, got {token!r}")
    return float(token)


def _parse_item(tokens: list[str]) -> Segment | Drift:
    kind, args = tokens[0].lower(), tokens[1:]
    parse = _PARSERS.get(kind)
    if parse is not None:
        return parse(args)
    if kind in CYCLE_KINDS:
        return _parse_cycle(kind, args)
    raise ScriptError(f"unknown segment {tokens[0]!r}; segments are: {_GRAMMAR}")


def _parse_lift(args: list[str]) -> Lift:
    if len(args) not in (2, 4):
        raise ScriptError("expected: lift POINT SECONDS [load N]")
    load = _parse_load_option(args[2:])
    return Lift(_check_point("lift point", args[0]), _number("lift duration", args[1]), load)


def _parse_wobble(args: list[str]) -> Wobble:
    if len(args) not in (1, 2) or "@" in args[0]:
        raise ScriptError("expected: wobble SECONDS [POINT] (wobble SECONDS@AT goes inside a hold)")
    point = args[1] if len(args) == 2 else "little_toe"
    return Wobble(_number("wobble duration", args[0]), _check_point("wobble point", point))


def _parse_stand(args: list[str]) -> Stand:
    if not args:
        raise ScriptError("expected: stand SECONDS [load N]")
    return Stand(_number("stand duration", args[0]), _parse_load_option(args[1:]))


def _parse_load_option(args: list[str]) -> float | None:
    if not args:
        return None
    if len(args) != 2 or args[0] != "load":
        raise ScriptError(f"unexpected {' '.join(args)!r}; the only option here is 'load N'")
    return _number("load", args[1])


def _parse_rest(args: list[str]) -> Rest:
    if not args:
        raise ScriptError("expected: rest SECONDS [lifted | load N]")
    duration = _number("rest duration", args[0])
    if args[1:] == ["lifted"]:
        return Rest(duration, lifted=True)
    return Rest(duration, load_n=_parse_load_option(args[1:]))


def _parse_hold(args: list[str]) -> Hold:
    if not args:
        raise ScriptError("expected: hold SECONDS [shares H,L,B] [load N] [wobble S@AT [POINT]]")
    duration = _number("hold duration", args[0])
    shares: tuple[float, float, float] | None = None
    load: float | None = None
    wobbles: list[Wobble] = []
    rest = args[1:]
    while rest:
        option = rest.pop(0)
        if option == "shares" and rest:
            parts = rest.pop(0).split(",")
            shares = check_shares(_number("share", p) for p in parts)
        elif option == "load" and rest:
            load = _number("load", rest.pop(0))
        elif option == "wobble" and rest:
            spec = rest.pop(0)
            length, at_sign, start = spec.partition("@")
            if not at_sign:
                raise ScriptError(f"a wobble in a hold is SECONDS@AT, got {spec!r}")
            point = rest.pop(0) if rest and rest[0] in SENSORS else "little_toe"
            wobbles.append(
                Wobble(_number("wobble duration", length), point, _number("wobble start", start))
            )
        else:
            raise ScriptError(
                f"unexpected {option!r}; hold options are 'shares H,L,B', 'load N' "
                "and 'wobble SECONDS@AT [POINT]'"
            )
    return Hold(duration, shares, load, tuple(wobbles))


def _parse_band(args: list[str]) -> Band:
    if not args:
        raise ScriptError("expected: band SECONDS [pulls N] [load N]")
    duration = _number("band duration", args[0])
    pulls = 0
    load: float | None = None
    rest = args[1:]
    while rest:
        option = rest.pop(0)
        if option == "pulls" and rest:
            count = _number("pulls", rest.pop(0))
            if not count.is_integer():
                raise ScriptError(f"pulls must be a whole number, got {count:g}")
            pulls = int(count)
        elif option == "load" and rest:
            load = _number("load", rest.pop(0))
        else:
            raise ScriptError(f"unexpected {option!r}; band options are 'pulls N' and 'load N'")
    return Band(duration, pulls, load)


def _parse_cycle(kind: str, args: list[str]) -> Cycle:
    if not args:
        raise ScriptError(f"expected: {kind} SECONDS [peak N] [lift POINT[@PHASE]] [shift F]")
    duration = _number(f"{kind} duration", args[0])
    peak: float | None = None
    lift: str | None = None
    phase = "top"
    shift = 0.0
    rest = args[1:]
    while rest:
        option = rest.pop(0)
        if option == "peak" and rest:
            peak = _number("peak", rest.pop(0))
        elif option == "lift" and rest:
            point, _, at = rest.pop(0).partition("@")
            lift = _check_point("lift point", point)
            phase = at or "top"
        elif option == "shift" and rest:
            shift = _number("shift", rest.pop(0))
        else:
            raise ScriptError(
                f"unexpected {option!r}; {kind} options are 'peak N', "
                "'lift POINT[@up|top|down]' and 'shift F'"
            )
    return Cycle(kind, duration, peak, lift, phase, shift)


def _parse_drift(args: list[str]) -> Drift:
    if len(args) != 2:
        raise ScriptError("expected: drift POINT RATE with RATE like 5%/h or 0.5N/h")
    point = _check_point("drift point", args[0])
    rate = args[1]
    if rate.endswith("%/h"):
        return Drift(point, gain_pct_per_h=_number("drift gain", rate[:-3]))
    if rate.endswith("N/h"):
        return Drift(point, offset_n_per_h=_number("drift offset", rate[:-3]))
    raise ScriptError(f"drift rate must end in %/h (gain) or N/h (offset), got {rate!r}")


_PARSERS: dict[str, Callable[[list[str]], Segment | Drift]] = {
    "rest": _parse_rest,
    "hold": _parse_hold,
    "lift": _parse_lift,
    "wobble": _parse_wobble,
    "drift": _parse_drift,
    "stand": _parse_stand,
    "band": _parse_band,
}


def default_session() -> Script:
    """A realistic set: 10 arch holds (eight of 9-10 s, two short ones) with rests.

    Rests are a relaxed seated foot (one lifted), two holds carry a brief wobble, so a
    counter with the default settings (8 s target, 0.5 s grace) should count 8 correct
    and 2 short holds.
    """
    return Script.parse(
        "rest 4; hold 9.5; rest 5; hold 9; rest 5; hold 10 wobble 0.3@4; rest 6; "
        "hold 5; rest 5; hold 9.5; rest 5 lifted; hold 10; rest 5; hold 6; rest 5; "
        "hold 9.5 wobble 0.25@6; rest 6; hold 9; rest 5; hold 10; rest 4"
    )
