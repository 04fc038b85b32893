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
    np.testing.assert_allclose(PackedTrees(model).predict_proba1(probe), model.predict_proba(probe)[:, 1], rtol=1e-9)


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
