#!/usr/bin/python3
"""Generate float64 PyTorch reference fixtures for Recurrent4j (nn.RNN / nn.LSTM / nn.GRU).

What it generates
-----------------
48 files ``engine/src/test/resources/fixtures/<case-name>.safetensors``:
  * ``<mode>_l<1|2>_<uni|bi>``        variable lengths (unsorted, e.g. [5, 2, 4]), I=3 H=4 B=3 T=5
  * ``<mode>_l<1|2>_<uni|bi>_full``   same, all sequences full length
  * ``<mode>_t1``      T=1, B=3, 1 layer, bidirectional, full length
  * ``<mode>_b1``      B=1, T=6, 2 layers, unidirectional, full length
  * ``<mode>_nobias``  bias=False, 1 layer, bidirectional, variable lengths
  * ``<mode>_long``    T=220, B=2, I=3, H=5, 1 layer, unidirectional, full length
for mode in {rnn_tanh, rnn_relu, lstm, gru}. Deterministic (per-case seed = crc32(case name)).

How to run
----------
From the repository root:  ``/usr/bin/python3 scripts/generate_fixtures.py``
(needs PyTorch; safetensors is written/read by hand, no safetensors package needed).
Existing outputs are overwritten. After writing, every file is re-read and checked.

File layout (safetensors: u64-LE header length N, N bytes JSON header padded with
spaces so that 8+N is a multiple of 8, then raw little-endian data)
--------------------------------------------------------------------------------
``__metadata__`` (all strings): mode (RNN_TANH|RNN_RELU|LSTM|GRU), input_size,
hidden_size, num_layers, bidirectional ("true"/"false"), bias ("true"/"false"),
seq_len (T), batch (B), variable_lengths ("true"/"false").
Tensors (all F64 except ``lengths``); L = num_layers, D = 2 if bidirectional else 1:
  * PyTorch state_dict names: weight_ih_l{k}[_reverse] [G*H, in], weight_hh_l{k}[_reverse] [G*H, H],
    bias_ih_l{k}[_reverse] [G*H], bias_hh_l{k}[_reverse] [G*H] (biases only if bias=true);
    G = 1 (RNN), 4 (LSTM, gates i,f,g,o), 3 (GRU, gates r,z,n). Init uniform(-0.6, 0.6).
  * input [T, B, I] (time-major, batch_first=False), standard normal
  * lengths I64 [B]  (only if variable_lengths == "true"; unsorted, values in 1..T)
  * h0 [L*D, B, H], and for LSTM c0 [L*D, B, H]      (0.5 * standard normal)
  * output [T, B, D*H]  (with variable lengths: pack_padded_sequence(enforce_sorted=False)
    -> module -> pad_packed_sequence(total_length=T); padded steps are exactly 0)
  * h_n [L*D, B, H], and for LSTM c_n
  * grad_output [T, B, D*H] (random on every position, padded ones included),
    grad_h_n [L*D, B, H], and for LSTM grad_c_n
  * loss = sum(output*grad_output) + sum(h_n*grad_h_n) [+ sum(c_n*grad_c_n)]; stored gradients:
    grad.input [T, B, I], grad.h0, for LSTM grad.c0, and grad.<param name> for every parameter.
Dropout is 0.
"""
import json
import os
import struct
import sys
import zlib

import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "engine", "src", "test", "resources", "fixtures")

MODES = {
    "rnn_tanh": ("RNN_TANH", lambda **kw: nn.RNN(nonlinearity="tanh", **kw)),
    "rnn_relu": ("RNN_RELU", lambda **kw: nn.RNN(nonlinearity="relu", **kw)),
    "lstm": ("LSTM", lambda **kw: nn.LSTM(**kw)),
    "gru": ("GRU", lambda **kw: nn.GRU(**kw)),
}

DTYPES = {torch.float64: ("F64", "<f8"), torch.int64: ("I64", "<i8")}
STRUCT_FMT = {"F64": "d", "I64": "q"}
TORCH_DTYPE = {"F64": torch.float64, "I64": torch.int64}


# ----------------------------------------------------------------------------- safetensors I/O
def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, tensor) in the desired order."""
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for name, t in tensors:
        t = t.detach().contiguous().cpu()
        code, _ = DTYPES[t.dtype]
        vals = t.reshape(-1).tolist()
        blob = struct.pack("<%d%s" % (len(vals), STRUCT_FMT[code]), *vals)
        header[name] = {"dtype": code, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((8 - (8 + len(hbytes)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    assert (8 + n) % 8 == 0, "header not 8-byte aligned"
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    expected = 0
    for name, info in header.items():
        b, e = info["data_offsets"]
        assert b == expected, "gap/overlap before %s" % name
        expected = e
        code = info["dtype"]
        count = (e - b) // 8
        numel = 1
        for s in info["shape"]:
            numel *= s
        assert count == numel, "size mismatch for %s" % name
        vals = struct.unpack("<%d%s" % (count, STRUCT_FMT[code]), body[b:e])
        tensors[name] = torch.tensor(vals, dtype=TORCH_DTYPE[code]).reshape(info["shape"])
    assert expected == len(body), "trailing bytes in data section"
    return metadata, tensors, list(header.keys())


# ----------------------------------------------------------------------------- case generation
def make_case(name, mode, num_layers, bidirectional, bias, T, B, I, H, lengths):
    mode_name, ctor = MODES[mode]
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode("utf-8")))
    D = 2 if bidirectional else 1
    L = num_layers
    is_lstm = mode == "lstm"
    variable = lengths is not None

    m = ctor(input_size=I, hidden_size=H, num_layers=L, bias=bias,
             batch_first=False, dropout=0.0, bidirectional=bidirectional)
    with torch.no_grad():
        for pname, p in m.named_parameters():
            while True:
                p.copy_(torch.rand(p.shape, generator=gen) * 1.2 - 0.6)
                if (p != 0).all():
                    break

    x = torch.randn(T, B, I, generator=gen).requires_grad_(True)
    h0 = (0.5 * torch.randn(L * D, B, H, generator=gen)).requires_grad_(True)
    c0 = (0.5 * torch.randn(L * D, B, H, generator=gen)).requires_grad_(True) if is_lstm else None
    hx = (h0, c0) if is_lstm else h0

    if variable:
        lens = torch.tensor(lengths, dtype=torch.int64)
        packed = nn.utils.rnn.pack_padded_sequence(x, lens, enforce_sorted=False)
        out_p, hn = m(packed, hx)
        out, _ = nn.utils.rnn.pad_packed_sequence(out_p, total_length=T)
    else:
        out, hn = m(x, hx)
    if is_lstm:
        h_n, c_n = hn
    else:
        h_n, c_n = hn, None

    g_out = torch.randn(T, B, D * H, generator=gen)
    g_hn = torch.randn(L * D, B, H, generator=gen)
    g_cn = torch.randn(L * D, B, H, generator=gen) if is_lstm else None
    loss = (out * g_out).sum() + (h_n * g_hn).sum()
    if is_lstm:
        loss = loss + (c_n * g_cn).sum()
    m.zero_grad()
    loss.backward()

    tensors = [(pname, p.detach().clone()) for pname, p in m.state_dict().items()]
    tensors.append(("input", x.detach()))
    if variable:
        tensors.append(("lengths", lens))
    tensors.append(("h0", h0.detach()))
    if is_lstm:
        tensors.append(("c0", c0.detach()))
    tensors.append(("output", out.detach()))
    tensors.append(("h_n", h_n.detach()))
    if is_lstm:
        tensors.append(("c_n", c_n.detach()))
    tensors.append(("grad_output", g_out))
    tensors.append(("grad_h_n", g_hn))
    if is_lstm:
        tensors.append(("grad_c_n", g_cn))
    tensors.append(("grad.input", x.grad.detach()))
    tensors.append(("grad.h0", h0.grad.detach()))
    if is_lstm:
        tensors.append(("grad.c0", c0.grad.detach()))
    for pname, p in m.named_parameters():
        tensors.append(("grad." + pname, p.grad.detach().clone()))

    for tn, t in tensors:
        if t.dtype != torch.int64:
            assert t.dtype == torch.float64, (name, tn, t.dtype)

    metadata = {
        "mode": mode_name, "input_size": I, "hidden_size": H, "num_layers": L,
        "bidirectional": "true" if bidirectional else "false",
        "bias": "true" if bias else "false",
        "seq_len": T, "batch": B,
        "variable_lengths": "true" if variable else "false",
    }
    return tensors, metadata


def case_list():
    cases = []
    I, H, B, T = 3, 4, 3, 5
    var_lengths = [5, 2, 4]  # unsorted, max == T, min < T
    for mode in MODES:
        for L in (1, 2):
            for bi in (False, True):
                base = "%s_l%d_%s" % (mode, L, "bi" if bi else "uni")
                cases.append((base, dict(mode=mode, num_layers=L, bidirectional=bi, bias=True,
                                         T=T, B=B, I=I, H=H, lengths=var_lengths)))
                cases.append((base + "_full", dict(mode=mode, num_layers=L, bidirectional=bi,
                                                   bias=True, T=T, B=B, I=I, H=H, lengths=None)))
    for mode in MODES:
        cases.append((mode + "_t1", dict(mode=mode, num_layers=1, bidirectional=True, bias=True,
                                         T=1, B=3, I=I, H=H, lengths=None)))
        cases.append((mode + "_b1", dict(mode=mode, num_layers=2, bidirectional=False, bias=True,
                                         T=6, B=1, I=I, H=H, lengths=None)))
        cases.append((mode + "_nobias", dict(mode=mode, num_layers=1, bidirectional=True,
                                             bias=False, T=T, B=B, I=I, H=H,
                                             lengths=var_lengths)))
        cases.append((mode + "_long", dict(mode=mode, num_layers=1, bidirectional=False,
                                           bias=True, T=220, B=2, I=3, H=5, lengths=None)))
        # Wide enough for the engine's parallel step in float32 (H a multiple of 32, 4 to 8 rows).
        cases.append((mode + "_wide", dict(mode=mode, num_layers=1, bidirectional=True,
                                           bias=True, T=6, B=6, I=5, H=32,
                                           lengths=[6, 3, 5, 1, 6, 2])))
    return cases


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    cases = case_list()
    written = {}
    for name, kw in cases:
        tensors, metadata = make_case(name, **kw)
        path = os.path.join(OUT_DIR, name + ".safetensors")
        write_safetensors(path, tensors, metadata)
        written[name] = (path, tensors, metadata)

    # ---- self-check: round trip every file
    total = 0
    for name, (path, tensors, metadata) in written.items():
        md, rt, order = read_safetensors(path)
        assert md == {k: str(v) for k, v in metadata.items()}, name
        assert order == [n for n, _ in tensors], name
        for tn, t in tensors:
            r = rt[tn]
            assert r.dtype == t.dtype and r.shape == t.shape and torch.equal(r, t), (name, tn)
        total += os.path.getsize(path)

    # ---- sanity: padded positions are exactly zero in output and grad.input
    for check in ("lstm_l2_bi", "gru_l1_uni"):
        _, rt, _ = read_safetensors(written[check][0])
        lens = rt["lengths"].tolist()
        T = rt["input"].shape[0]
        ok = True
        for b, l in enumerate(lens):
            if l < T:
                ok &= bool((rt["output"][l:, b] == 0).all())
                ok &= bool((rt["grad.input"][l:, b] == 0).all())
                ok &= bool((rt["output"][:l, b] != 0).any())
        assert ok, check
        print("sanity %s: lengths=%s, output and grad.input exactly 0 at padded steps: %s"
              % (check, lens, ok))

    print("wrote %d files, %d bytes total, to %s; round trip OK" % (len(written), total, OUT_DIR))
    if total > 2 * 1024 * 1024:
        print("WARNING: total size exceeds 2 MiB", file=sys.stderr)


if __name__ == "__main__":
    main()
