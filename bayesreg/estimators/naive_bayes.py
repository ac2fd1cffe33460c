"""Bernoulli naive Bayes, and why it is a linear classifier.

Binary features x_i in {0, 1}, classes c with prior theta_c = P(y = c) and
theta_ic = P(x_i = 1 | y = c), estimated by counting with additive smoothing ``alpha``:
theta_ic = (count of x_i = 1 in class c + alpha) / (n_c + 2 alpha).

For two classes the log posterior odds are linear in x:

    log P(y=1|x) / P(y=0|x) = b + w'x,
    b   = log(theta_1 / theta_0) + sum_i log((1 - theta_i1) / (1 - theta_i0)),
    w_i = log(theta_i1 (1 - theta_i0) / (theta_i0 (1 - theta_i1))).

Because the model treats features as independent given the class, a feature copied k
times is counted k times: its evidence enters the log odds k times although no
information was added (see :func:`duplicated_feature_confidence`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin

from .._validation import check_1d, check_2d, check_int
from ..exceptions import NotFittedError


def check_binary(X: ArrayLike, name: str = "X") -> NDArray[np.float64]:
    X = check_2d(X, name)
    bad = (X != 0) & (X != 1)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"{name} must be binary (0 or 1); found {float(X[i, j])!r} at row {i}, column {j}. "
            "Binarise first, e.g. X = (X > threshold).astype(int)."
        )
    return X


class BernoulliNaiveBayes(ClassifierMixin, BaseEstimator):
    """Naive Bayes for binary features, fitted by counting.

    Parameters
    ----------
    alpha : float, default=1.0
        Additive (Laplace) smoothing; alpha = 1 is a uniform Beta(1, 1) prior on each
        theta_ic and gives the posterior mean. Must be > 0 here so no log is of 0.
    class_prior : array-like of shape (n_classes,) or "uniform" or None, default=None
        None: the class frequencies in the training data (as scikit-learn's BernoulliNB).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_log_prior_ : ndarray of shape (n_classes,)
    feature_prob_ : ndarray of shape (n_classes, n_features), theta_ic
    """

    def __init__(self, alpha: float = 1.0, class_prior=None):
        self.alpha = alpha
        self.class_prior = class_prior

    def fit(self, X: ArrayLike, y: ArrayLike):
        X = check_binary(X)
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"X and y have different numbers of samples: X has {X.shape[0]} rows, "
                             f"y has shape {y.shape}.")
        alpha = float(self.alpha)
        if not np.isfinite(alpha) or alpha <= 0:
            raise ValueError(f"alpha must be a finite number > 0; got {self.alpha!r}.")
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError(f"y has a single class ({self.classes_[0]!r}); naive Bayes needs at least two.")
        n_classes = self.classes_.size
        onehot = np.eye(n_classes)[y_index]
        self.class_count_ = onehot.sum(axis=0)
        self.feature_count_ = onehot.T @ X
        self.feature_prob_ = (self.feature_count_ + alpha) / (self.class_count_[:, None] + 2 * alpha)
        self.class_log_prior_ = self._class_log_prior(n_classes)
        self.n_features_in_ = X.shape[1]
        return self

    def _class_log_prior(self, n_classes: int) -> NDArray[np.float64]:
        if self.class_prior is None:
            return np.log(self.class_count_ / self.class_count_.sum())
        if isinstance(self.class_prior, str):
            if self.class_prior != "uniform":
                raise ValueError(f"class_prior must be None, 'uniform' or probabilities; got {self.class_prior!r}.")
            return np.full(n_classes, -np.log(n_classes))
        prior = check_1d(self.class_prior, "class_prior")
        if prior.size != n_classes or np.any(prior <= 0) or abs(prior.sum() - 1) > 1e-9:
            raise ValueError(f"class_prior must have {n_classes} positive entries summing to 1; got {prior}.")
        return np.log(prior)

    def _check_X(self, X) -> NDArray[np.float64]:
        if not hasattr(self, "feature_prob_"):
            raise NotFittedError("This BernoulliNaiveBayes instance is not fitted yet. Call 'fit' first.")
        X = check_binary(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but BernoulliNaiveBayes is expecting "
                             f"{self.n_features_in_} features as input.")
        return X

    def joint_log_likelihood(self, X: ArrayLike) -> NDArray[np.float64]:
        """log P(y = c) + log P(x | y = c), shape (n_samples, n_classes)."""
        X = self._check_X(X)
        log_p, log_q = np.log(self.feature_prob_), np.log1p(-self.feature_prob_)
        return self.class_log_prior_ + X @ (log_p - log_q).T + log_q.sum(axis=1)

    def predict_log_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        jll = self.joint_log_likelihood(X)
        return jll - logsumexp(jll, axis=1, keepdims=True)

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        return np.exp(self.predict_log_proba(X))

    def predict(self, X: ArrayLike) -> NDArray:
        jll = self.joint_log_likelihood(X)
        return self.classes_[np.argmax(jll, axis=1)]

    def linear_coefficients(self) -> tuple[float, NDArray[np.float64]]:
        """(b, w) with log P(y=classes_[1] | x) - log P(y=classes_[0] | x) = b + w'x."""
        if not hasattr(self, "feature_prob_"):
            raise NotFittedError("This BernoulliNaiveBayes instance is not fitted yet. Call 'fit' first.")
        if self.classes_.size != 2:
            raise ValueError(f"linear_coefficients needs exactly two classes; this model has {self.classes_.size}.")
        t0, t1 = self.feature_prob_
        b = self.class_log_prior_[1] - self.class_log_prior_[0] + np.sum(np.log1p(-t1) - np.log1p(-t0))
        w = np.log(t1) + np.log1p(-t0) - np.log(t0) - np.log1p(-t1)
        return float(b), w

    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        """Two classes: the log posterior odds b + Xw. More classes: the log posteriors."""
        X = self._check_X(X)
        if self.classes_.size == 2:
            b, w = self.linear_coefficients()
            return b + X @ w
        return self.predict_log_proba(X)


def duplicate_feature(X: ArrayLike, feature: int, copies: int) -> NDArray[np.float64]:
    """X with column ``feature`` present ``copies`` times in all (copies - 1 appended)."""
    X = np.asarray(X)
    copies = check_int(copies, "copies", minimum=1)
    return np.hstack([X] + [X[:, [feature]]] * (copies - 1))


def duplicated_feature_confidence(
    X: ArrayLike, y: ArrayLike, x: ArrayLike, *, feature: int, copies: Sequence[int],
    alpha: float = 1.0, class_prior="uniform",
) -> pd.DataFrame:
    """P(y = classes_[1] | x) as feature ``feature`` is duplicated 1, 2, ... times.

    Fits a two-class model on X with the feature copied k times for each k in ``copies``
    and scores the query ``x`` (copied alike). Each copy adds the same evidence
    e = log P(x_j | y=1) - log P(x_j | y=0) to the log odds, so log odds(k) =
    log odds(1) + (k - 1) e: the confidence grows (e > 0) or falls (e < 0) with k
    although the copies carry no new information.
    """
    X = check_binary(X)
    x = check_binary(np.atleast_2d(x), "x")
    if x.shape != (1, X.shape[1]):
        raise ValueError(f"x must be one example with {X.shape[1]} features; got shape {x.shape}.")
    feature = check_int(feature, "feature", minimum=0)
    if feature >= X.shape[1]:
        raise ValueError(f"feature must be a column index below {X.shape[1]}; got {feature}.")
    copies = sorted({check_int(k, "copies", minimum=1) for k in copies})
    if not copies:
        raise ValueError("copies must list at least one count, e.g. [1, 2, 4, 8].")
    rows = []
    for k in copies:
        model = BernoulliNaiveBayes(alpha=alpha, class_prior=class_prior).fit(duplicate_feature(X, feature, k), y)
        if model.classes_.size != 2:
            raise ValueError(f"duplicated_feature_confidence needs two classes; y has {model.classes_.size}.")
        log_odds = float(model.decision_function(duplicate_feature(x, feature, k))[0])
        rows.append({"copies": k, "log_odds": log_odds, "p_class1": float(1 / (1 + np.exp(-log_odds)))})
    return pd.DataFrame(rows).set_index("copies")


def binarize(X: ArrayLike, threshold: float = 127.5) -> NDArray[np.int64]:
    """1 where X > threshold (MNIST pixels 0-255: ink), else 0."""
    return (np.asarray(X) > threshold).astype(np.int64)


__all__ = ["BernoulliNaiveBayes", "binarize", "duplicate_feature", "duplicated_feature_confidence",
           "feature_evidence", "least_certain_example"]


def feature_evidence(model: BernoulliNaiveBayes, x: ArrayLike) -> NDArray[np.float64]:
    """Per-feature evidence for class 1 at x: log P(x_i | y=1) - log P(x_i | y=0)."""
    x = model._check_X(np.atleast_2d(x))[0]
    t0, t1 = model.feature_prob_
    return np.where(x == 1, np.log(t1) - np.log(t0), np.log1p(-t1) - np.log1p(-t0))


def least_certain_example(model: BernoulliNaiveBayes, X: ArrayLike) -> int:
    """Index of the example predicted as class 1 with the smallest log odds (most doubtful)."""
    odds = model.decision_function(X)
    candidates = np.flatnonzero(odds > 0)
    if candidates.size == 0:
        raise ValueError("no example is predicted as the second class; nothing to duplicate for.")
    return int(candidates[np.argmin(odds[candidates])])
