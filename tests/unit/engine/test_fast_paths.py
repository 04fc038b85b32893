import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from copilot.engine.fast_trees import PackedTrees


def test_packed_trees_equal_sklearn():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 6))
    y = ((x[:, 0] * x[:, 1] > 0.2) | (x[:, 2] > 1.0)).astype(int)
    model = HistGradientBoostingClassifier(max_iter=60, random_state=0).fit(x, y)
    probe = rng.normal(size=(500, 6))
    probe[::7, 3] = np.nan  # missing values follow the learned side
    # Bit-identical, not merely close: Scorer.raw picks the path by row count, and a confidence or a
    # tie-break must not depend on which path scored the row.
    np.testing.assert_array_equal(PackedTrees(model).predict_proba1(probe), model.predict_proba(probe)[:, 1])


def test_scorer_paths_agree_across_the_row_threshold():
    from copilot.engine.scorer import PACKED_MAX_ROWS, Scorer

    rng = np.random.default_rng(1)
    x = rng.normal(size=(2000, 6))
    y = (x[:, 0] + x[:, 1] ** 2 > 0.5).astype(int)
    scorer = Scorer(model=HistGradientBoostingClassifier(max_iter=40, random_state=0).fit(x, y))
    probe = rng.normal(size=(PACKED_MAX_ROWS * 3, 6))
    probe[::5, 1] = np.nan
    whole = scorer.raw(probe)  # sklearn's path
    pieces = np.concatenate([scorer.raw(probe[a:a + 7]) for a in range(0, len(probe), 7)])  # PackedTrees
    np.testing.assert_array_equal(whole, pieces)


def test_lexical_fast_path_equals_sklearn():
    from copilot.engine.lexical import LexicalModel, line_document

    docs = [line_document(m, v) for m, v in [("airfare boston client", "Delta"), ("hotel two nights", "Marriott"),
                                             ("airfare airfare nyc", "Delta"), ("printer toner", "Staples"),
                                             ("hotel conference", "Hilton")]]
    model = LexicalModel.fit(docs, ["a", "b", "a", "c", "b"])
    probe = [line_document("airfare hotel boston", "Delta"), line_document("unknown words only", None)]
    expected = model.model.predict_joint_log_proba(model.vectorizer.transform(probe))
    got = np.vstack([model.joint_log_likelihood(d) for d in probe])
    # An all-unknown document has an all-zero row in sklearn too (no class prior in ComplementNB).
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_centred_calibration_is_monotone_and_separates_scores_inside_a_step():
    import numpy as np
    from sklearn.isotonic import IsotonicRegression

    from copilot.engine.scorer import Scorer, centred_steps

    rng = np.random.default_rng(0)
    raw = rng.uniform(size=4000)
    y = (rng.uniform(size=4000) < raw ** 2).astype(int)
    iso = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(raw, y)
    scorer = Scorer(calibrator=iso)
    grid = np.linspace(0, 1, 2001)
    cal = scorer.calibrate(grid)
    assert np.all(np.diff(cal) >= -1e-12) and cal.min() >= 0.01 and cal.max() <= 0.99
    # isotonic alone puts many grid points on flat steps; centred, almost all of them differ
    flat = np.mean(np.diff(np.clip(iso.predict(grid), 0.01, 0.99)) == 0)
    assert flat > 0.5 and np.mean(np.diff(cal) == 0) < flat / 4
    # calibration is kept: the mean confidence matches the observed rate on the held-out data
    assert abs(scorer.calibrate(raw).mean() - y.mean()) < 0.02
    kx, ky = centred_steps(iso.X_thresholds_, iso.y_thresholds_)
    assert kx[0] == iso.X_thresholds_[0] and kx[-1] == iso.X_thresholds_[-1] and np.all(np.diff(ky) > 0)
