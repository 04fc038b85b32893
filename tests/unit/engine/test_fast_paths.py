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
