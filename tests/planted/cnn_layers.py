"""Planted wrong answers for 03-cnn-layers."""
from . import Plant

ASSIGNMENT = "03-cnn-layers"

_CORR2D_HEAD = '''
def corr2d(X, K):
    X = np.asarray(X)
    K = np.asarray(K)
    kh, kw = K.shape
'''

_LAYER_HEAD = '''
def conv2d_layer(X, W, b, stride=1, padding=0, activation=None):
    if activation not in (None, "relu"):
        raise ValueError("activation must be None or 'relu'")
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    b = np.asarray(b, dtype=float)
    sh, sw = (stride, stride) if np.isscalar(stride) else stride
    ph, pw = (padding, padding) if np.isscalar(padding) else padding
    c_out, c_in, kh, kw = W.shape
'''

_POOL_HEAD = '''
def pool2d(X, pool_size, stride=1, mode="max"):
    if mode not in ("max", "avg"):
        raise ValueError("mode must be 'max' or 'avg'")
    X = np.asarray(X)
    ph, pw = (pool_size, pool_size) if np.isscalar(pool_size) else pool_size
    sh, sw = (stride, stride) if np.isscalar(stride) else stride
'''


_BACKWARD_HEAD = '''
def conv2d_layer_backward(dout, X, W, b, stride=1, padding=0):
    dout = np.asarray(dout, dtype=float)
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    sh, sw = (stride, stride) if np.isscalar(stride) else stride
    ph, pw = (padding, padding) if np.isscalar(padding) else padding
    c_out, c_in, kh, kw = W.shape
    Xp = np.pad(X, ((0, 0), (ph, ph), (pw, pw)))
    oh = (Xp.shape[1] - kh) // sh + 1
    ow = (Xp.shape[2] - kw) // sw + 1
    if dout.shape != (c_out, oh, ow):
        raise ValueError("dout must have the shape of the layer's output")
'''

# Each dout value sent back to its window (dX) and its window's inputs collected (dW).
_BACKWARD_LOOP = '''
    dXp = np.zeros(Xp.shape)
    dW = np.zeros(W.shape)
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                dXp[:, i * sh:i * sh + kh, j * sw:j * sw + kw] += dout[o, i, j] * W[o]
                dW[o] += dout[o, i, j] * Xp[:, i * sh:i * sh + kh, j * sw:j * sw + kw]
'''

_POOL_BACKWARD = '''
def pool2d_backward(dout, X, pool_size, stride=1, mode="max"):
    if mode not in ("max", "avg"):
        raise ValueError("mode must be 'max' or 'avg'")
    X = np.asarray(X)
    dout = np.asarray(dout, dtype=float)
    ph, pw = (pool_size, pool_size) if np.isscalar(pool_size) else pool_size
    sh, sw = (stride, stride) if np.isscalar(stride) else stride
    oh = (X.shape[0] - ph) // sh + 1
    ow = (X.shape[1] - pw) // sw + 1
    if dout.shape != (oh, ow):
        raise ValueError("dout must have the shape of the pooled output")
    dX = np.zeros(X.shape)
    for i in range(oh):
        for j in range(ow):
            r, c = i * sh, j * sw
            window = X[r:r + ph, c:c + pw]
            if mode == "max":
                n = np.argmax(window)
                dX[r + n // pw, c + n % pw] += dout[i, j]
            else:
                dX[r:r + ph, c:c + pw] += dout[i, j] / (ph * pw)
    return dX
'''

PLANTS = [
    # corr2d
    Plant("corr2d", "flipped", _CORR2D_HEAD + '''
    K = K[::-1, ::-1]  # turn the kernel around, as in a convolution
    Y = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = np.sum(X[i:i + kh, j:j + kw] * K)
    return Y
'''),
    Plant("corr2d", "length-off-by-one", _CORR2D_HEAD + '''
    Y = np.zeros((X.shape[0] - kh, X.shape[1] - kw))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = np.sum(X[i:i + kh, j:j + kw] * K)
    return Y
'''),
    Plant("corr2d", "uint8-wraparound", _CORR2D_HEAD + '''
    Y = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1), dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = np.sum(X[i:i + kh, j:j + kw] * K)
    return Y
'''),
    Plant("corr2d", "forbidden-call", '''
from scipy import signal

def corr2d(X, K):
    return signal.correlate2d(np.asarray(X), np.asarray(K), mode="valid")
''', status="forbidden"),
    # corr2d_multi_in
    Plant("corr2d_multi_in", "channels-not-summed", '''
def corr2d_multi_in(X, K):
    X = np.asarray(X)
    K = np.asarray(K)
    if X.shape[0] != K.shape[0]:
        raise ValueError("X and K need the same number of channels")
    # one map per channel
    return np.stack([corr2d(x, k) for x, k in zip(X, K)])
'''),
    Plant("corr2d_multi_in", "channel-axis", '''
def corr2d_multi_in(X, K):
    X = np.asarray(X)
    K = np.asarray(K)
    if X.shape[0] != K.shape[0]:
        raise ValueError("X and K need the same number of channels")
    # channels are the last axis of an image
    return sum(corr2d(X[:, :, c], K[:, :, c]) for c in range(K.shape[-1]))
'''),
    Plant("corr2d_multi_in", "first-channel-only", '''
def corr2d_multi_in(X, K):
    X = np.asarray(X)
    K = np.asarray(K)
    if X.shape[0] != K.shape[0]:
        raise ValueError("X and K need the same number of channels")
    return corr2d(X[0], K[0])
'''),
    # corr2d_multi_in_out
    Plant("corr2d_multi_in_out", "first-channel-only", '''
def corr2d_multi_in_out(X, K):
    K = np.asarray(K)
    if K.ndim != 4:
        raise ValueError("K must be (C_out, C_in, kh, kw)")
    return corr2d_multi_in(X, K[0])  # the bank of kernels
'''),
    Plant("corr2d_multi_in_out", "channel-axis", '''
def corr2d_multi_in_out(X, K):
    return np.stack([corr2d_multi_in(X, k) for k in K], axis=-1)
'''),
    Plant("corr2d_multi_in_out", "channels-not-summed", '''
def corr2d_multi_in_out(X, K):
    X = np.asarray(X)
    K = np.asarray(K)
    if K.shape[1] != X.shape[0]:
        raise ValueError("K must have one slice per input channel")
    return np.array([[corr2d(x, k) for x, k in zip(X, bank)] for bank in K])
'''),
    # conv2d_layer
    Plant("conv2d_layer", "flipped", _LAYER_HEAD + '''
    padded = np.pad(X, ((0, 0), (ph, ph), (pw, pw)))
    oh = (padded.shape[1] - kh) // sh + 1
    ow = (padded.shape[2] - kw) // sw + 1
    flipped = W[:, :, ::-1, ::-1]  # convolution flips the kernel
    out = np.zeros((c_out, oh, ow))
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                out[o, i, j] = np.sum(padded[:, i * sh:i * sh + kh, j * sw:j * sw + kw] * flipped[o]) + b[o]
    return np.maximum(out, 0) if activation == "relu" else out
'''),
    Plant("conv2d_layer", "no-bias", _LAYER_HEAD + '''
    padded = np.pad(X, ((0, 0), (ph, ph), (pw, pw)))
    oh = (padded.shape[1] - kh) // sh + 1
    ow = (padded.shape[2] - kw) // sw + 1
    out = np.zeros((c_out, oh, ow))
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                out[o, i, j] = np.sum(padded[:, i * sh:i * sh + kh, j * sw:j * sw + kw] * W[o])
    return np.maximum(out, 0) if activation == "relu" else out
'''),
    Plant("conv2d_layer", "stride-ignored", _LAYER_HEAD + '''
    padded = np.pad(X, ((0, 0), (ph, ph), (pw, pw)))
    oh = padded.shape[1] - kh + 1
    ow = padded.shape[2] - kw + 1
    out = np.zeros((c_out, oh, ow))
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                out[o, i, j] = np.sum(padded[:, i:i + kh, j:j + kw] * W[o]) + b[o]
    return np.maximum(out, 0) if activation == "relu" else out
'''),
    Plant("conv2d_layer", "padding-one-side", _LAYER_HEAD + '''
    # p extra rows and columns, the image in the bottom-right corner
    padded = np.zeros((c_in, X.shape[1] + ph, X.shape[2] + pw))
    padded[:, ph:, pw:] = X
    oh = (padded.shape[1] - kh) // sh + 1
    ow = (padded.shape[2] - kw) // sw + 1
    out = np.zeros((c_out, oh, ow))
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                out[o, i, j] = np.sum(padded[:, i * sh:i * sh + kh, j * sw:j * sw + kw] * W[o]) + b[o]
    return np.maximum(out, 0) if activation == "relu" else out
'''),
    Plant("conv2d_layer", "uint8-wraparound", '''
def conv2d_layer(X, W, b, stride=1, padding=0, activation=None):
    if activation not in (None, "relu"):
        raise ValueError("activation must be None or 'relu'")
    X, W, b = np.asarray(X), np.asarray(W), np.asarray(b)
    sh, sw = (stride, stride) if np.isscalar(stride) else stride
    ph, pw = (padding, padding) if np.isscalar(padding) else padding
    c_out, c_in, kh, kw = W.shape
    padded = np.zeros((c_in, X.shape[1] + 2 * ph, X.shape[2] + 2 * pw), dtype=X.dtype)
    padded[:, ph:ph + X.shape[1], pw:pw + X.shape[2]] = X
    oh = (padded.shape[1] - kh) // sh + 1
    ow = (padded.shape[2] - kw) // sw + 1
    out = np.zeros((c_out, oh, ow), dtype=np.result_type(padded, W, b))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = np.tensordot(W, padded[:, i * sh:i * sh + kh, j * sw:j * sw + kw], axes=3) + b
    return np.maximum(out, 0) if activation == "relu" else out
'''),
    Plant("conv2d_layer", "bias-per-element", _LAYER_HEAD + '''
    padded = np.pad(X, ((0, 0), (ph, ph), (pw, pw)))
    oh = (padded.shape[1] - kh) // sh + 1
    ow = (padded.shape[2] - kw) // sw + 1
    out = np.zeros((c_out, oh, ow))
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                window = padded[:, i * sh:i * sh + kh, j * sw:j * sw + kw]
                out[o, i, j] = np.sum(window * W[o] + b[o])  # weights times inputs plus bias, summed
    return np.maximum(out, 0) if activation == "relu" else out
'''),
    Plant("conv2d_layer", "stride-not-in-window", _LAYER_HEAD + '''
    padded = np.pad(X, ((0, 0), (ph, ph), (pw, pw)))
    oh = (padded.shape[1] - kh) // sh + 1
    ow = (padded.shape[2] - kw) // sw + 1
    out = np.zeros((c_out, oh, ow))
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                out[o, i, j] = np.sum(padded[:, i:i + kh, j:j + kw] * W[o]) + b[o]
    return np.maximum(out, 0) if activation == "relu" else out
'''),
    Plant("conv2d_layer", "height-width-swapped", _LAYER_HEAD.replace(
        "sh, sw = (stride, stride) if np.isscalar(stride) else stride",
        "sw, sh = (stride, stride) if np.isscalar(stride) else stride  # (x, y), as image sizes go").replace(
        "ph, pw = (padding, padding) if np.isscalar(padding) else padding",
        "pw, ph = (padding, padding) if np.isscalar(padding) else padding") + '''
    padded = np.pad(X, ((0, 0), (ph, ph), (pw, pw)))
    oh = (padded.shape[1] - kh) // sh + 1
    ow = (padded.shape[2] - kw) // sw + 1
    out = np.zeros((c_out, oh, ow))
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                out[o, i, j] = np.sum(padded[:, i * sh:i * sh + kh, j * sw:j * sw + kw] * W[o]) + b[o]
    return np.maximum(out, 0) if activation == "relu" else out
'''),
    Plant("conv2d_layer", "first-channel-only", _LAYER_HEAD + '''
    padded = np.pad(X, ((0, 0), (ph, ph), (pw, pw)))
    oh = (padded.shape[1] - kh) // sh + 1
    ow = (padded.shape[2] - kw) // sw + 1
    out = np.zeros((c_out, oh, ow))
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                # the image and the first slice of the filter
                out[o, i, j] = np.sum(padded[0, i * sh:i * sh + kh, j * sw:j * sw + kw] * W[o, 0]) + b[o]
    return np.maximum(out, 0) if activation == "relu" else out
'''),
    Plant("conv2d_layer", "relu-before-bias", _LAYER_HEAD + '''
    padded = np.pad(X, ((0, 0), (ph, ph), (pw, pw)))
    oh = (padded.shape[1] - kh) // sh + 1
    ow = (padded.shape[2] - kw) // sw + 1
    out = np.zeros((c_out, oh, ow))
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                total = np.sum(padded[:, i * sh:i * sh + kh, j * sw:j * sw + kw] * W[o])
                if activation == "relu":
                    total = max(total, 0)
                out[o, i, j] = total + b[o]
    return out
'''),
    Plant("conv2d_layer", "relu-always", _LAYER_HEAD + '''
    padded = np.pad(X, ((0, 0), (ph, ph), (pw, pw)))
    oh = (padded.shape[1] - kh) // sh + 1
    ow = (padded.shape[2] - kw) // sw + 1
    out = np.zeros((c_out, oh, ow))
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                out[o, i, j] = np.sum(padded[:, i * sh:i * sh + kh, j * sw:j * sw + kw] * W[o]) + b[o]
    return np.maximum(out, 0)  # a convolutional layer ends with its ReLU
'''),
    # pool2d
    Plant("pool2d", "stride-ignored", _POOL_HEAD + '''
    Y = np.zeros((X.shape[0] - ph + 1, X.shape[1] - pw + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i:i + ph, j:j + pw]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y
'''),
    Plant("pool2d", "avg-max-swapped", _POOL_HEAD + '''
    oh = (X.shape[0] - ph) // sh + 1
    ow = (X.shape[1] - pw) // sw + 1
    Y = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = X[i * sh:i * sh + ph, j * sw:j * sw + pw]
            Y[i, j] = window.mean() if mode == "max" else window.max()
    return Y
'''),
    Plant("pool2d", "mode-ignored", _POOL_HEAD + '''
    # max pooling, as in the notes
    oh = (X.shape[0] - ph) // sh + 1
    ow = (X.shape[1] - pw) // sw + 1
    Y = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            Y[i, j] = np.max(X[i * sh:i * sh + ph, j * sw:j * sw + pw])
    return Y
'''),
    Plant("pool2d", "ceil-not-floor", _POOL_HEAD + '''
    import math
    # one more window when the input does not divide evenly
    oh = math.ceil((X.shape[0] - ph) / sh) + 1
    ow = math.ceil((X.shape[1] - pw) / sw) + 1
    Y = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = X[i * sh:i * sh + ph, j * sw:j * sw + pw]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y
'''),
    Plant("pool2d", "returns-none", _POOL_HEAD + '''
    oh = (X.shape[0] - ph) // sh + 1
    ow = (X.shape[1] - pw) // sw + 1
    Y = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = X[i * sh:i * sh + ph, j * sw:j * sw + pw]
            Y[i, j] = window.max() if mode == "max" else window.mean()
'''),
    Plant("pool2d", "stride-not-in-window", _POOL_HEAD + '''
    oh = (X.shape[0] - ph) // sh + 1
    ow = (X.shape[1] - pw) // sw + 1
    Y = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = X[i:i + ph, j:j + pw]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y
'''),
    Plant("pool2d", "size-ignores-pool", _POOL_HEAD + '''
    oh = X.shape[0] // sh  # one window every sh rows
    ow = X.shape[1] // sw
    Y = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = X[i * sh:i * sh + ph, j * sw:j * sw + pw]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y
'''),
    Plant("pool2d", "height-width-swapped", _POOL_HEAD.replace(
        "ph, pw = (pool_size, pool_size) if np.isscalar(pool_size) else pool_size",
        "pw, ph = (pool_size, pool_size) if np.isscalar(pool_size) else pool_size  # (width, height)").replace(
        "sh, sw = (stride, stride) if np.isscalar(stride) else stride",
        "sw, sh = (stride, stride) if np.isscalar(stride) else stride") + '''
    oh = (X.shape[0] - ph) // sh + 1
    ow = (X.shape[1] - pw) // sw + 1
    Y = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = X[i * sh:i * sh + ph, j * sw:j * sw + pw]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y
'''),
    # conv2d_layer_backward
    Plant("conv2d_layer_backward", "dx-not-flipped", _BACKWARD_HEAD + '''
    dXp = np.zeros(Xp.shape)
    dW = np.zeros(W.shape)
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                dW[o] += dout[o, i, j] * Xp[:, i * sh:i * sh + kh, j * sw:j * sw + kw]
    # dX: the 'full' correlation of dout (spread out by the stride) with the kernel
    up = np.zeros((c_out, (oh - 1) * sh + 1, (ow - 1) * sw + 1))
    up[:, ::sh, ::sw] = dout
    full = np.pad(up, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    for c in range(c_in):
        for r in range(up.shape[1] + kh - 1):
            for q in range(up.shape[2] + kw - 1):
                dXp[c, r, q] = np.sum(full[:, r:r + kh, q:q + kw] * W[:, c])
    return dXp[:, ph:ph + X.shape[1], pw:pw + X.shape[2]], dW, dout.sum(axis=(1, 2))
'''),
    Plant("conv2d_layer_backward", "dx-flipped-twice", _BACKWARD_HEAD + '''
    K = W[:, :, ::-1, ::-1]  # the backward pass turns the kernel round
    dXp = np.zeros(Xp.shape)
    dW = np.zeros(W.shape)
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                dXp[:, i * sh:i * sh + kh, j * sw:j * sw + kw] += dout[o, i, j] * K[o]
                dW[o] += dout[o, i, j] * Xp[:, i * sh:i * sh + kh, j * sw:j * sw + kw]
    return dXp[:, ph:ph + X.shape[1], pw:pw + X.shape[2]], dW, dout.sum(axis=(1, 2))
'''),
    Plant("conv2d_layer_backward", "dx-valid-not-full", _BACKWARD_HEAD + '''
    dW = np.zeros(W.shape)
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                dW[o] += dout[o, i, j] * Xp[:, i * sh:i * sh + kh, j * sw:j * sw + kw]
    # dX: slide the kernel over dout, as the forward pass slid it over X
    dX = np.zeros((c_in, abs(oh - kh) + 1, abs(ow - kw) + 1))
    for c in range(c_in):
        for o in range(c_out):
            big, small = (dout[o], W[o, c]) if oh >= kh else (W[o, c], dout[o])
            for r in range(dX.shape[1]):
                for q in range(min(dX.shape[2], big.shape[1] - small.shape[1] + 1)):
                    dX[c, r, q] += np.sum(big[r:r + small.shape[0], q:q + small.shape[1]] * small)
    return dX, dW, dout.sum(axis=(1, 2))
'''),
    Plant("conv2d_layer_backward", "db-not-summed", _BACKWARD_HEAD + _BACKWARD_LOOP + '''
    db = np.ones(c_out)  # d(out)/d(b) = 1
    return dXp[:, ph:ph + X.shape[1], pw:pw + X.shape[2]], dW, db
'''),
    Plant("conv2d_layer_backward", "stride-ignored", _BACKWARD_HEAD + _BACKWARD_LOOP.replace(
        "i * sh:i * sh + kh, j * sw:j * sw + kw", "i:i + kh, j:j + kw") + '''
    return dXp[:, ph:ph + X.shape[1], pw:pw + X.shape[2]], dW, dout.sum(axis=(1, 2))
'''),
    Plant("conv2d_layer_backward", "padding-not-cropped", _BACKWARD_HEAD + _BACKWARD_LOOP + '''
    return dXp, dW, dout.sum(axis=(1, 2))
'''),
    # pool2d_backward
    Plant("pool2d_backward", "max-grad-everywhere", _POOL_BACKWARD.replace(
        "n = np.argmax(window)\n                dX[r + n // pw, c + n % pw] += dout[i, j]",
        "dX[r:r + ph, c:c + pw] += dout[i, j]  # the window's gradient")),
    Plant("pool2d_backward", "max-grad-all-ties", _POOL_BACKWARD.replace(
        "n = np.argmax(window)\n                dX[r + n // pw, c + n % pw] += dout[i, j]",
        "dX[r:r + ph, c:c + pw] += (window == window.max()) * dout[i, j]  # every position holding the maximum")),
    Plant("pool2d_backward", "avg-not-divided", _POOL_BACKWARD.replace(
        "dX[r:r + ph, c:c + pw] += dout[i, j] / (ph * pw)", "dX[r:r + ph, c:c + pw] += dout[i, j]")),
    Plant("pool2d_backward", "overlap-overwritten", _POOL_BACKWARD.replace("+= dout", "= dout")),
    Plant("pool2d_backward", "mode-ignored", _POOL_BACKWARD.replace(
        'if mode == "max":', "if True:  # the gradient goes to each window's maximum")),
    # learn_kernel
    Plant("learn_kernel", "forbidden-call", '''
def learn_kernel(X, Y, kernel_shape, lr=3e-2, epochs=10, seed=0):
    import torch
    X = torch.tensor(np.asarray(X, dtype=float))
    Y = torch.tensor(np.asarray(Y, dtype=float))
    K = torch.tensor(np.random.default_rng(seed).normal(0, 0.01, kernel_shape), requires_grad=True)
    kh, kw = kernel_shape
    for _ in range(epochs):
        out = sum(K[a, b] * X[a:a + Y.shape[0], b:b + Y.shape[1]] for a in range(kh) for b in range(kw))
        loss = ((out - Y) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            K -= lr * K.grad
            K.grad.zero_()
    return K.detach().numpy()
''', status="forbidden"),
]
