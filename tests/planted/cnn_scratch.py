"""Planted wrong answers for 06-cnn-from-scratch: each answer cell as a learner holding one
misconception would write it (the rest of the cell right, so that the exercises after it still pass)."""
from . import Plant

ASSIGNMENT = "06-cnn-from-scratch"

# ---------------------------------------------------------------------------- im2col

_IM2COL_HEAD = '''
def im2col(X, kh, kw, stride=1, padding=0):
    X = np.asarray(X)
    if X.ndim != 4:
        raise ValueError("X must be (N, C, H, W)")
    if kh > X.shape[2] + 2 * padding or kw > X.shape[3] + 2 * padding:
        raise ValueError("the window does not fit")
    if X.dtype.kind in "biu":
        X = X.astype(np.int64)
    n, c, h, w = X.shape
'''

_IM2COL_BODY = '''
    Xp = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.empty((n, oh, ow, c, kh, kw), dtype=Xp.dtype)
    for a in range(kh):
        for e in range(kw):
            windows[:, :, :, :, a, e] = Xp[:, :, a:a + stride * (oh - 1) + 1:stride, e:e + stride * (ow - 1) + 1:stride].transpose(0, 2, 3, 1)
    return windows.reshape(n * oh * ow, c * kh * kw)
'''

_SIZES = '''
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (w + 2 * padding - kw) // stride + 1
'''

# ---------------------------------------------------------------------------- conv_forward

_CONV_HEAD = '''
def conv_forward(X, W, b, stride=1, padding=0):
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    b = np.asarray(b, dtype=float)
    n, c, h, w = X.shape
    f, c_w, kh, kw = W.shape
    if c_w != c:
        raise ValueError("X and W have different numbers of channels")
    if b.shape != (f,):
        raise ValueError("one bias per filter")
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (w + 2 * padding - kw) // stride + 1
'''

_CONV_RIGHT = '''
    rows = im2col(X, kh, kw, stride, padding) @ W.reshape(f, -1).T + b
    return rows.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)
'''

# ---------------------------------------------------------------------------- conv_backward (col2im kept right)

_COL2IM = '''
def col2im(cols, shape, kh, kw, stride=1, padding=0):
    n, c, h, w = shape
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (w + 2 * padding - kw) // stride + 1
    windows = np.asarray(cols, dtype=float).reshape(n, oh, ow, c, kh, kw)
    padded = np.zeros((n, c, h + 2 * padding, w + 2 * padding))
    for a in range(kh):
        for e in range(kw):
            padded[:, :, a:a + stride * (oh - 1) + 1:stride, e:e + stride * (ow - 1) + 1:stride] += windows[:, :, :, :, a, e].transpose(0, 3, 1, 2)
    return padded[:, :, padding:padding + h, padding:padding + w]

'''

_BACK_HEAD = _COL2IM + '''
def conv_backward(dout, X, W, b, stride=1, padding=0):
    dout = np.asarray(dout, dtype=float)
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    n, c, h, w = X.shape
    f, _, kh, kw = W.shape
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (w + 2 * padding - kw) // stride + 1
    if dout.shape != (n, f, oh, ow):
        raise ValueError("dout must have the shape of the output")
    D = dout.transpose(0, 2, 3, 1).reshape(-1, f)
    dW = (D.T @ im2col(X, kh, kw, stride, padding)).reshape(W.shape)
    db = D.sum(axis=0)
'''

_BACK_RIGHT_DX = '''
    dX = col2im(D @ W.reshape(f, -1), X.shape, kh, kw, stride, padding)
'''

# Each dout value sent back through the filter onto its window, one window at a time (the notebook's scatter).
_BACK_SCATTER = '''
    Xp = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dXp = np.zeros(Xp.shape)
    for i in range(oh):
        for j in range(ow):
            for k in range(f):
                dXp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw] += dout[:, k, i, j][:, None, None, None] * K[k]
    dX = dXp[:, :, padding:padding + h, padding:padding + w]
'''

# ---------------------------------------------------------------------------- maxpool (forward kept right)

_POOL_FORWARD = '''
def maxpool_forward(X, size=2, stride=2):
    X = np.asarray(X, dtype=float)
    n, c, h, w = X.shape
    oh = (h - size) // stride + 1
    ow = (w - size) // stride + 1
    out = np.full((n, c, oh, ow), -np.inf)
    for a in range(size):
        for e in range(size):
            out = np.maximum(out, X[:, :, a:a + stride * (oh - 1) + 1:stride, e:e + stride * (ow - 1) + 1:stride])
    return out

'''

_POOL_BACK_HEAD = _POOL_FORWARD + '''
def maxpool_backward(dout, X, size=2, stride=2):
    dout = np.asarray(dout, dtype=float)
    X = np.asarray(X, dtype=float)
    n, c, h, w = X.shape
    oh = (h - size) // stride + 1
    ow = (w - size) // stride + 1
    if dout.shape != (n, c, oh, ow):
        raise ValueError("dout must have the pooled shape")
    dX = np.zeros(X.shape)
    for i in range(oh):
        for j in range(ow):
            window = X[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
'''

# ---------------------------------------------------------------------------- softmax_loss

_SOFTMAX_HEAD = '''
def softmax_loss(scores, y):
    scores = np.asarray(scores, dtype=float)
    y = np.asarray(y)
    if scores.ndim != 2 or y.shape != (scores.shape[0],):
        raise ValueError("one label per row of scores")
    if np.any(y < 0) or np.any(y >= scores.shape[1]):
        raise ValueError("labels out of range")
    n = scores.shape[0]
    rows = np.arange(n)
'''

_STABLE = '''
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    p = np.exp(log_p)
'''

# ---------------------------------------------------------------------------- train (forward and predict kept right)

_FORWARD = '''
def forward(params, X):
    conv = conv_forward(X, params["W1"], params["b1"], padding=1)
    active = relu_forward(conv)
    pooled = maxpool_forward(active)
    flat = pooled.reshape(len(pooled), -1)
    return flat @ params["W2"] + params["b2"], (conv, active, pooled, flat)


def predict(params, X):
    scores, _ = forward(params, np.asarray(X, dtype=float))
    return scores.argmax(axis=1)

'''

_TRAIN_HEAD = _FORWARD + '''
def train(X_train, y_train, epochs, lr, seed):
    X_train = np.asarray(X_train, dtype=float)
    y_train = np.asarray(y_train)
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(0.0, np.sqrt(2 / 9), (8, 1, 3, 3)), "b1": np.zeros(8),
              "W2": rng.normal(0.0, np.sqrt(2 / 128), (128, 10)), "b2": np.zeros(10)}
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X_train))
        for start in range(0, len(X_train), 32):
            batch = order[start:start + 32]
            xb, yb = X_train[batch], y_train[batch]
            scores, (conv, active, pooled, flat) = forward(params, xb)
            loss, dscores = softmax_loss(scores, yb)
            losses.append(loss)
            grads = {"W2": flat.T @ dscores, "b2": dscores.sum(axis=0)}
            dpooled = (dscores @ params["W2"].T).reshape(pooled.shape)
            dconv = relu_backward(maxpool_backward(dpooled, active), conv)
            _, grads["W1"], grads["b1"] = conv_backward(dconv, xb, params["W1"], params["b1"], padding=1)
'''

PLANTS = [
    # im2col
    Plant("im2col", "im2col-order", _IM2COL_HEAD + _SIZES + '''
    Xp = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.empty((n, oh, ow, kh, kw, c), dtype=Xp.dtype)  # row, column, then channel
    for a in range(kh):
        for e in range(kw):
            windows[:, :, :, a, e, :] = Xp[:, :, a:a + stride * (oh - 1) + 1:stride, e:e + stride * (ow - 1) + 1:stride].transpose(0, 2, 3, 1)
    return windows.reshape(n * oh * ow, c * kh * kw)
'''),
    Plant("im2col", "stride-ignored", _IM2COL_HEAD + '''
    oh = h + 2 * padding - kh + 1
    ow = w + 2 * padding - kw + 1
    stride = 1
''' + _IM2COL_BODY),
    Plant("im2col", "padding-ignored", _IM2COL_HEAD + '''
    padding = 0  # the zeros add nothing to a sum
''' + _SIZES + _IM2COL_BODY),
    # conv_forward
    Plant("conv_forward", "flipped", _CONV_HEAD + '''
    W = W[:, :, ::-1, ::-1]  # a convolution turns the kernel round
''' + _CONV_RIGHT),
    Plant("conv_forward", "no-bias", _CONV_HEAD + '''
    rows = im2col(X, kh, kw, stride, padding) @ W.reshape(f, -1).T
    return rows.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)
'''),
    Plant("conv_forward", "bias-per-element", _CONV_HEAD + '''
    rows = (im2col(X, kh, kw, stride, padding)[:, None, :] * W.reshape(1, f, -1) + b[None, :, None]).sum(axis=2)
    return rows.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)
'''),
    Plant("conv_forward", "stride-ignored", _CONV_HEAD + '''
    oh, ow = h + 2 * padding - kh + 1, w + 2 * padding - kw + 1
    rows = im2col(X, kh, kw, 1, padding) @ W.reshape(f, -1).T + b
    return rows.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)
'''),
    Plant("conv_forward", "stride-not-in-window", _CONV_HEAD + '''
    full_h, full_w = h + 2 * padding - kh + 1, w + 2 * padding - kw + 1
    rows = im2col(X, kh, kw, 1, padding) @ W.reshape(f, -1).T + b
    return rows.reshape(n, full_h, full_w, f).transpose(0, 3, 1, 2)[:, :, :oh, :ow]
'''),
    Plant("conv_forward", "padding-one-side", _CONV_HEAD + '''
    X = np.pad(X, ((0, 0), (0, 0), (padding, 0), (padding, 0)))  # zeros above and on the left
    oh, ow = (X.shape[2] - kh) // stride + 1, (X.shape[3] - kw) // stride + 1
    rows = im2col(X, kh, kw, stride, 0) @ W.reshape(f, -1).T + b
    return rows.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)
'''),
    Plant("conv_forward", "first-channel-only", _CONV_HEAD + '''
    rows = im2col(X[:, :1], kh, kw, stride, padding) @ W[:, :1].reshape(f, -1).T + b
    return rows.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)
'''),
    Plant("conv_forward", "batch-mixed", _CONV_HEAD + '''
    out = W.reshape(f, -1) @ im2col(X, kh, kw, stride, padding).T + b[:, None]  # filters x windows
    return out.reshape(n, f, oh, ow)
'''),
    # conv_backward
    Plant("conv_backward", "dx-not-flipped", _BACK_HEAD + '''
    # dX: a 'full' correlation of dout with each kernel, as stored
    pad_h, pad_w = kh - 1, kw - 1
    dXp = np.zeros((n, c, h + 2 * padding, w + 2 * padding))
    if stride == 1:
        full = np.pad(dout, ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)))
        for a in range(kh):
            for e in range(kw):
                dXp += np.einsum("nfij,fc->ncij", full[:, :, a:a + dXp.shape[2], e:e + dXp.shape[3]], W[:, :, a, e])
    dX = dXp[:, :, padding:padding + h, padding:padding + w]
    return dX, dW, db
'''),
    Plant("conv_backward", "dx-flipped-twice", _BACK_HEAD + '''
    K = W[:, :, ::-1, ::-1]  # the backward pass turns the kernel round
''' + _BACK_SCATTER + '''
    return dX, dW, db
'''),
    Plant("conv_backward", "dx-valid-not-full", _BACK_HEAD + '''
    dX = np.zeros((n, c, abs(oh - kh) + 1, abs(ow - kw) + 1))
    for i in range(dX.shape[2]):
        for j in range(dX.shape[3]):
            dX[:, :, i, j] = np.einsum("nfab,fcab->nc", dout[:, :, i:i + kh, j:j + kw], W) if oh >= kh and ow >= kw else 0
    return dX, dW, db
'''),
    Plant("conv_backward", "db-not-summed", _BACK_HEAD + _BACK_RIGHT_DX + '''
    return dX, dW, D.mean(axis=0)
'''),
    Plant("conv_backward", "stride-ignored", _BACK_HEAD.replace("    dW = (D.T @ im2col(X, kh, kw, stride, padding)).reshape(W.shape)\n", '''    Xp = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dW = np.zeros(W.shape)
    dXp = np.zeros(Xp.shape)
    for i in range(oh):
        for j in range(ow):
            window = Xp[:, :, i:i + kh, j:j + kw]  # the window of output (i, j)
            dW += np.einsum("nf,ncab->fcab", dout[:, :, i, j], window)
            dXp[:, :, i:i + kh, j:j + kw] += np.einsum("nf,fcab->ncab", dout[:, :, i, j], W)
''') + '''
    dX = dXp[:, :, padding:padding + h, padding:padding + w]
    return dX, dW, db
'''),
    Plant("conv_backward", "padding-not-cropped", _BACK_HEAD + '''
    dX = col2im(D @ W.reshape(f, -1), (n, c, h + 2 * padding, w + 2 * padding), kh, kw, stride, 0)
    return dX, dW, db
'''),
    Plant("conv_backward", "forbidden-call", _BACK_HEAD.replace("    dW = (D.T @ im2col(X, kh, kw, stride, padding)).reshape(W.shape)\n", '''    from scipy import signal
    Xp = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dW = np.zeros(W.shape)
    for k in range(f):
        for ch in range(c):
            dW[k, ch] = sum(signal.correlate2d(Xp[i, ch], dout[i, k], mode="valid")[:kh, :kw] for i in range(n))
''') + _BACK_RIGHT_DX + '''
    return dX, dW, db
''', status="forbidden"),
    Plant("conv_backward", "db-per-image", _BACK_HEAD + _BACK_RIGHT_DX + '''
    return dX, dW, dout.sum(axis=(2, 3))
'''),
    # relu
    Plant("relu", "relu-grad-is-output", '''
def relu_forward(X):
    return np.maximum(np.asarray(X, dtype=float), 0.0)


def relu_backward(dout, X):
    dout = np.asarray(dout, dtype=float)
    X = np.asarray(X, dtype=float)
    if dout.shape != X.shape:
        raise ValueError("dout and X must have the same shape")
    return dout * relu_forward(X)
'''),
    Plant("relu", "relu-grad-at-zero", '''
def relu_forward(X):
    return np.maximum(np.asarray(X, dtype=float), 0.0)


def relu_backward(dout, X):
    dout = np.asarray(dout, dtype=float)
    X = np.asarray(X)
    if dout.shape != X.shape:
        raise ValueError("dout and X must have the same shape")
    return dout * (X >= 0)
'''),
    # maxpool
    Plant("maxpool", "max-grad-all-ties", _POOL_BACK_HEAD + '''
            mask = window == window.max(axis=(2, 3), keepdims=True)
            dX[:, :, i * stride:i * stride + size, j * stride:j * stride + size] += mask * dout[:, :, i:i + 1, j:j + 1]
    return dX
'''),
    Plant("maxpool", "max-grad-everywhere", _POOL_BACK_HEAD + '''
            dX[:, :, i * stride:i * stride + size, j * stride:j * stride + size] += dout[:, :, i:i + 1, j:j + 1]
    return dX
'''),
    Plant("maxpool", "overlap-overwritten", _POOL_BACK_HEAD + '''
            flat = window.reshape(n, c, -1)
            first = flat.argmax(axis=2)
            mask = np.zeros(flat.shape)
            np.put_along_axis(mask, first[:, :, None], 1.0, axis=2)
            mask = mask.reshape(window.shape)
            region = dX[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
            region[mask == 1] = (mask * dout[:, :, i:i + 1, j:j + 1])[mask == 1]  # written, not added
    return dX
'''),
    # softmax_loss
    Plant("softmax_loss", "softmax-unstable", _SOFTMAX_HEAD + '''
    e = np.exp(scores)
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(p[rows, y]).mean()
    d = p.copy()
    d[rows, y] -= 1
    return loss, d / n
'''),
    Plant("softmax_loss", "loss-not-averaged", _SOFTMAX_HEAD + _STABLE + '''
    loss = -log_p[rows, y].sum()
    p[rows, y] -= 1
    return loss, p / n
'''),
    Plant("softmax_loss", "grad-not-averaged", _SOFTMAX_HEAD + _STABLE + '''
    loss = -log_p[rows, y].mean()
    p[rows, y] -= 1
    return loss, p
'''),
    Plant("softmax_loss", "onehot-not-subtracted", _SOFTMAX_HEAD + _STABLE + '''
    loss = -log_p[rows, y].mean()
    return loss, p / n
'''),
    # grad_check
    Plant("grad_check", "forward-difference", '''
def grad_check(f, x, h=1e-5):
    point = np.array(x, dtype=float)
    base = f(point)
    grad = np.zeros(point.shape)
    for index in np.ndindex(point.shape):
        saved = point[index]
        point[index] = saved + h
        grad[index] = (f(point) - base) / h
        point[index] = saved
    return grad
'''),
    Plant("grad_check", "x-not-restored", '''
def grad_check(f, x, h=1e-5):
    point = np.array(x, dtype=float)
    grad = np.zeros(point.shape)
    for index in np.ndindex(point.shape):
        point[index] += h
        up = f(point)
        point[index] -= 2 * h
        down = f(point)
        grad[index] = (up - down) / (2 * h)
    return grad
'''),
    # train
    Plant("train", "loss-diverges", _TRAIN_HEAD + '''
            for name in params:
                params[name] = params[name] + lr * grads[name]  # a step along the gradient
    return params, losses
'''),
    Plant("train", "forbidden-call", _FORWARD + '''
def train(X_train, y_train, epochs, lr, seed):
    import torch  # let autograd find the gradients
    raise NotImplementedError("a library would do it")
''', status="forbidden"),
    Plant("train", "loss-flat", _TRAIN_HEAD + '''
            for name, value in params.items():
                value = value - lr * grads[name]  # the step lands in a copy, never in params
    return params, losses
'''),
]
