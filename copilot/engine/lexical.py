"""A lexical classifier over memo words plus the line's context tokens, one per entity.

Complement Naive Bayes on TF-IDF: it trains in about a second on 100k lines with hundreds of codings
(a linear SVM takes minutes to hours here) and its scores are a strong candidate source and feature.
Context tokens (vendor, employee, timesheet project, sign) let it learn "this vendor + these words".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import ComplementNB

from copilot.domain.text import normalize, vendor_key


def line_document(memo: str, vendor: str | None = None, employee: str | None = None,
                  project: str | None = None, tr_type: int = 1) -> str:
    parts = [normalize(memo)]
    if vendor:
        parts.append(f"zv{vendor_key(vendor)}")
    if employee:
        parts.append(f"ze{vendor_key(employee)}")
    if project:
        parts.append(f"zp{vendor_key(project)}")
    parts.append("zdebit" if tr_type == 1 else "zcredit")
    return " ".join(p for p in parts if p)


@dataclass
class LexicalModel:
    vectorizer: TfidfVectorizer
    model: ComplementNB
    classes: np.ndarray

    @classmethod
    def fit(cls, documents: list[str], labels: list[str]) -> "LexicalModel | None":
        if len(set(labels)) < 2:
            return None
        vec = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, token_pattern=r"[^ ]+")
        x = vec.fit_transform(documents)
        nb = ComplementNB(alpha=0.3)
        nb.fit(x, labels)
        return cls(vec, nb, nb.classes_)

    def top(self, documents: list[str], k: int = 10) -> list[list[tuple[str, float]]]:
        """Best k labels per document with a softmax-normalized score in [0, 1]."""
        x = self.vectorizer.transform(documents)
        # ComplementNB's joint log-likelihoods are on an arbitrary scale; a tempered softmax turns
        # them into comparable shares. The scorer recalibrates them anyway.
        jll = self.model.predict_joint_log_proba(x) if hasattr(self.model, "predict_joint_log_proba") \
            else self.model._joint_log_likelihood(x)
        jll = np.asarray(jll, dtype=np.float64)
        out = []
        for row in jll:
            idx = np.argpartition(-row, min(k, len(row) - 1))[:k]
            idx = idx[np.argsort(-row[idx])]
            z = (row - row.max()) * 10.0
            p = np.exp(z)
            p /= p.sum()
            out.append([(str(self.classes[i]), float(p[i])) for i in idx])
        return out
