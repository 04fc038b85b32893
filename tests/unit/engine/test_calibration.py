"""The confidence shown for a line's best coding is calibrated for best codings, not for all candidates."""

import numpy as np

from copilot.engine.scorer import Scorer


def _lines(n_lines: int, seed: int, n_cands: int = 10):
    """Lines of candidates with one feature; the right one (if any) is likelier the higher it scores."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for _ in range(n_lines):
        # Hard lines score every candidate low, yet their best one is still often right: what makes
        # a candidate right is how it compares with the line's others.
        scale = rng.uniform(0.1, 1.0)
        u = rng.uniform(size=n_cands)
        f = u * scale
        y = np.zeros(n_cands, dtype=np.int8)
        if rng.uniform() < 0.8:  # 20 % of lines: the right coding is not among the candidates
            w = np.exp(6 * u)
            y[rng.choice(n_cands, p=w / w.sum())] = 1
        xs.append(f[:, None])
        ys.append(y)
    return xs, ys


def _fit(lines: bool) -> Scorer:
    xf, yf = _lines(1500, seed=1)
    xc, yc = _lines(1500, seed=2)
    return Scorer.fit(np.vstack(xf), np.concatenate(yf), np.vstack(xc), np.concatenate(yc),
                      cal_lines=np.array([len(y) for y in yc]) if lines else None)


def test_the_best_coding_of_a_line_is_calibrated_apart_from_the_runners_up():
    scorer = _fit(lines=True)
    assert scorer.calibrator_top is not None and scorer.calibrator_rest is not None
    xt, yt = _lines(3000, seed=3)
    shown, single, right = [], [], []
    for x, y in zip(xt, yt):
        raw = scorer.raw(x)
        conf = scorer.calibrate_line(raw)
        best = int(np.argmax(raw))
        assert conf[best] == conf.max() and np.all((conf >= 0.01) & (conf <= 0.99))
        shown.append(conf[best])
        single.append(scorer.calibrate(raw)[best])
        right.append(y[best])
    shown, single, right = map(np.asarray, (shown, single, right))
    # Calibrated for what is shown: the top coding's mean confidence matches how often it was right,
    # overall and in the lower half, where one map for every candidate understates it.
    assert abs(shown.mean() - right.mean()) < 0.03
    low = shown < np.median(shown)
    assert abs(shown[low].mean() - right[low].mean()) < 0.04
    assert right[low].mean() - single[low].mean() > 0.05


def test_without_line_groups_or_an_old_model_one_map_serves_every_candidate():
    scorer = _fit(lines=False)
    assert scorer.calibrator_top is None
    raw = np.array([0.1, 0.5, 0.3])
    np.testing.assert_array_equal(scorer.calibrate_line(raw), scorer.calibrate(raw))
    old = _fit(lines=True)
    del old.__dict__["calibrator_top"]  # a model pickled before the field existed
    np.testing.assert_array_equal(old.calibrate_line(raw), old.calibrate(raw))


def test_many_lines_at_once_are_calibrated_exactly_as_line_by_line():
    scorer = _fit(lines=True)
    rng = np.random.default_rng(4)
    sizes = [int(n) for n in rng.integers(1, 12, size=300)]
    sizes[5] = sizes[17] = 0  # lines without candidates take no rows
    raws = [np.round(rng.uniform(size=n), 1) for n in sizes]  # rounded: ties for the best one too
    together = scorer.calibrate_lines(np.concatenate(raws), sizes)
    np.testing.assert_array_equal(together, np.concatenate([scorer.calibrate_line(r) for r in raws]))
    flat = _fit(lines=False)
    np.testing.assert_array_equal(flat.calibrate_lines(np.concatenate(raws), sizes),
                                  np.concatenate([flat.calibrate_line(r) for r in raws]))
