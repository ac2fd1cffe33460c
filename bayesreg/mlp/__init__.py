"""A multilayer perceptron written from scratch in numpy, to read top to bottom.

``layers`` (Linear and activations: forward, backward, step), ``losses``, ``network``
(FeedForwardNetwork), ``training`` (minibatch SGD and its history), ``gradcheck``
(backprop against finite differences and jax.grad), ``data`` (digit images and
scaling), ``experiments`` (sweeps of one setting), ``persistence`` (.npz save/load).
"""

from .data import Scaler, load_split, read_digits_csv
from .gradcheck import gradient_check
from .layers import Dropout, Identity, Linear, ReLU, Residual, ScaledReLU, Sigmoid, Tanh
from .losses import BinaryCrossEntropy, SoftmaxCrossEntropy, SquaredError
from .network import FeedForwardNetwork
from .persistence import load_network, save_network
from .training import History, evaluate, train

__all__ = [
    "BinaryCrossEntropy", "Dropout", "FeedForwardNetwork", "History", "Identity", "Linear", "ReLU",
    "Residual", "Scaler", "ScaledReLU", "Sigmoid", "SoftmaxCrossEntropy", "SquaredError", "Tanh",
    "evaluate", "gradient_check", "load_network", "load_split", "read_digits_csv", "save_network", "train",
]
