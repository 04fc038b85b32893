"""Learned candidate scorer and its calibration.

A gradient-boosted classifier estimates P(candidate is the coding a human chose) from the features in
candidates.FEATURES; isotonic regression, fitted on a later, held-out slice of history, maps that score
to a calibrated confidence (of lines shown 0.8, about 8 in 10 were right in held-out history).
Until a company has enough history to fit one, a transparent prior scorer is used and every confidence
is marked uncalibrated.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression

from copilot.engine.candidates import FEATURES
from copilot.engine.fast_trees import PackedTrees

_PRIOR_WEIGHTS = {"knn_share": 0.35, "vendor_share": 0.3, "lex_p": 0.2, "acct_sim": 0.1, "ts_match": 0.05}
# From this many rows up sklearn's compiled predictor beats PackedTrees (measured: equal at ~50 rows,
# 4x faster at 500, 13x at 8,192). Both give bit-identical probabilities.
PACKED_MAX_ROWS = 64


@dataclass
class Scorer:
    model: HistGradientBoostingClassifier | None = None
    calibrator: IsotonicRegression | None = None
    # The line's best candidate has its own map: at an equal score, the top candidate of a line is right
    # far more often than a runner-up (the demo's test lines at 5 % shown were right 25 % of the time
    # with one map for all ranks).
    calibrator_top: IsotonicRegression | None = None
    calibrator_rest: IsotonicRegression | None = None  # the other candidates of a line
    feature_names: tuple[str, ...] = FEATURES
    report: dict = field(default_factory=dict)
    packed: PackedTrees | None = None

    def __post_init__(self) -> None:
        if self.model is not None and self.packed is None:
            self.packed = PackedTrees(self.model)

    @property
    def calibrated(self) -> bool:
        return self.model is not None and self.calibrator is not None

    def raw(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros(0)
        if self.model is None:
            idx = [self.feature_names.index(n) for n in _PRIOR_WEIGHTS]
            w = np.array(list(_PRIOR_WEIGHTS.values()))
            return np.clip(x[:, idx] @ w, 0.0, 1.0)
        x = np.asarray(x, dtype=np.float64)
        if len(x) < PACKED_MAX_ROWS:
            return self.packed.predict_proba1(x)
        return self.model.predict_proba(x)[:, 1]

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        if self.calibrator is None:
            return raw
        return _centred(self.calibrator, raw)

    def calibrate_line(self, raw: np.ndarray) -> np.ndarray:
        """Confidences of one line's candidates: the best-scored one through the top map, the others
        through the runners-up map, never above the best one's (the order of ``raw`` is kept)."""
        top = getattr(self, "calibrator_top", None)  # models saved before it existed have none
        if top is None or len(raw) == 0:
            return self.calibrate(raw)
        rest = getattr(self, "calibrator_rest", None) or self.calibrator
        best = int(np.argmax(raw))
        conf = _centred(rest, raw)
        conf[best] = _centred(top, raw[best:best + 1])[0]
        return np.minimum(conf, conf[best])

    def calibrate_lines(self, raw: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
        """calibrate_line for many lines at once: ``raw`` holds each line's candidates in turn, ``sizes``
        how many each has (identical results, one pass instead of one call per line)."""
        top = getattr(self, "calibrator_top", None)
        if top is None or len(raw) == 0:
            return self.calibrate(raw)
        sizes = np.asarray(sizes, dtype=np.int64)
        if int(sizes.sum()) != len(raw):
            raise ValueError("sizes must add up to the number of scores")
        rest = getattr(self, "calibrator_rest", None) or self.calibrator
        conf = _centred(rest, raw)
        sizes = sizes[sizes > 0]
        line_of = np.repeat(np.arange(len(sizes)), sizes)  # row -> its line (lines with candidates)
        is_max = raw == np.maximum.reduceat(raw, np.cumsum(sizes) - sizes)[line_of]
        rows = np.flatnonzero(is_max)
        best = rows[np.unique(line_of[rows], return_index=True)[1]]  # each line's first maximum, as argmax
        conf[best] = _centred(top, raw[best])
        return np.minimum(conf, conf[best][line_of])

    def confidence(self, x: np.ndarray) -> np.ndarray:
        return self.calibrate(self.raw(x))

    @classmethod
    def fit(cls, x_fit: np.ndarray, y_fit: np.ndarray, x_cal: np.ndarray, y_cal: np.ndarray,
            *, seed: int = 0, cal_lines: np.ndarray | None = None) -> "Scorer":
        """Fit on the earlier slice, calibrate on the later one (time order avoids leakage).

        ``cal_lines``: how many candidate rows each calibration line has, in order; with it, the best
        candidate of each line and the others are calibrated separately (calibrate_line)."""
        if len(np.unique(y_fit)) < 2:
            return cls(report={"status": "not enough labelled variety to fit"})
        model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.08, max_leaf_nodes=31,
                                               l2_regularization=1.0, random_state=seed)
        model.fit(x_fit, y_fit)
        scorer = cls(model=model, packed=PackedTrees(model))
        if len(np.unique(y_cal)) >= 2:
            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            raw_cal = scorer.raw(x_cal)
            iso.fit(raw_cal, y_cal)
            scorer.calibrator = iso
            if cal_lines is not None and len(cal_lines) and int(np.sum(cal_lines)) == len(y_cal):
                starts = np.r_[0, np.cumsum(cal_lines)[:-1]].astype(int)
                best = np.array([a + int(np.argmax(raw_cal[a:a + n])) for a, n in zip(starts, cal_lines)])
                is_top = np.zeros(len(y_cal), dtype=bool)
                is_top[best] = True
                if len(np.unique(y_cal[is_top])) >= 2 and len(np.unique(y_cal[~is_top])) >= 2:
                    scorer.calibrator_top = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(
                        raw_cal[is_top], y_cal[is_top])
                    scorer.calibrator_rest = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(
                        raw_cal[~is_top], y_cal[~is_top])
        scorer.report = {"fit_rows": int(len(y_fit)), "cal_rows": int(len(y_cal)),
                         "fit_positive_rate": float(y_fit.mean()), "cal_positive_rate": float(y_cal.mean() if len(y_cal) else 0)}
        return scorer


_knots: "weakref.WeakKeyDictionary[IsotonicRegression, tuple[np.ndarray, np.ndarray]]" = weakref.WeakKeyDictionary()


def _centred(iso: IsotonicRegression, raw: np.ndarray) -> np.ndarray:
    # Centred isotonic: linear between the centres of the isotonic steps, so that two codings with
    # different scores never show the same confidence (a flat step would show #1 and #2 at an equal
    # percentage). Finite held-out data lets isotonic reach exactly 0 or 1; no coding is certain.
    knots = _knots.get(iso)
    if knots is None:  # a fitted map never changes: its knots are worked out once, not once per line
        knots = _knots[iso] = centred_steps(iso.X_thresholds_, iso.y_thresholds_)
    return np.clip(np.interp(raw, *knots), 0.01, 0.99)


def centred_steps(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The knots of centred isotonic regression (Oron & Flournoy 2017) from isotonic's step function.

    Each run of equal ``y`` becomes one knot at the middle of its ``x`` range; the two ends keep their
    outermost ``x`` so that the fitted range is unchanged. Monotone, and strictly increasing between knots.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 2:
        return x, y
    starts = np.flatnonzero(np.r_[True, np.diff(y) != 0])
    ends = np.r_[starts[1:], len(y)] - 1
    kx, ky = (x[starts] + x[ends]) / 2.0, y[starts]
    kx[0], kx[-1] = x[0], x[-1]
    return kx, ky
