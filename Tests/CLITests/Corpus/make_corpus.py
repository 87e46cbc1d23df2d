#!/usr/bin/env python3
"""Writes the bad-input corpus from the clean files in good/ (run from anywhere).

The outputs are committed; rerun only to change a case. good/ itself was made
by the tools (see README.md), so the corpus stays byte-stable without them.
"""
import copy
import json
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def path(*parts):
    return os.path.join(HERE, *parts)


def write(name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(path(name), "wb") as f:
        f.write(data)


train = open(path("good", "train.ndjson"), "rb").read()
train_lines = train.split(b"\n")[:-1]
first, second = train_lines[0], train_lines[1]
rest = b"\n".join(train_lines[2:]) + b"\n"

# --- NDJSON examples ---------------------------------------------------------
nd = {
    "empty.ndjson": b"",
    "blank-line.ndjson": first + b"\n\n" + second + b"\n",
    "whitespace-line.ndjson": first + b"\n \t \n" + second + b"\n",
    "bom.ndjson": b"\xef\xbb\xbf" + train,
    "crlf.ndjson": train.replace(b"\n", b"\r\n"),
    "bom-crlf.ndjson": b"\xef\xbb\xbf" + train.replace(b"\n", b"\r\n"),
    "bom-middle.ndjson": first + b"\n\xef\xbb\xbf" + second + b"\n",
    "non-utf8-task.ndjson": first + b"\n" + second.replace(b'"task":"t01"', b'"task":"t\xff1"') + b"\n",
    "non-utf8-extra.ndjson": first + b"\n" + second[:-1] + b',"note":"caf\xe9"}\n',
    "nul-byte.ndjson": first + b"\n" + second.replace(b'"task":"t01"', b'"task":"t\x001"') + b"\n",
    "huge-number.ndjson": first + b"\n" + b'{"id":"h","task":"t01","x":[1e400,0,0],"y":0}\n',
    "nan.ndjson": first + b"\n" + b'{"id":"h","task":"t01","x":[0,NaN,0],"y":0}\n',
    "infinity.ndjson": first + b"\n" + b'{"id":"h","task":"t01","x":[0,0,-Infinity],"y":0}\n',
    "nan-label.ndjson": first + b"\n" + b'{"id":"h","task":"t01","x":[0,0,0],"y":NaN}\n',
    "huge-label.ndjson": first + b"\n" + b'{"id":"h","task":"t01","x":[0,0,0],"y":-1e999}\n',
    "duplicate-id.ndjson": first + b"\n" + second + b"\n" + first + b"\n",
    "ragged-x.ndjson": first + b"\n" + b'{"id":"r","task":"t01","x":[1,2],"y":0}\n',
    "empty-x.ndjson": b'{"id":"e","task":"t01","x":[],"y":0}\n',
    "string-in-x.ndjson": b'{"id":"s","task":"t01","x":[1,"2",3],"y":0}\n',
    "x-not-array.ndjson": b'{"id":"s","task":"t01","x":1.5,"y":0}\n',
    "missing-y.ndjson": b'{"id":"m","task":"t01","x":[1,2,3]}\n',
    "missing-task.ndjson": b'{"id":"m","x":[1,2,3],"y":0}\n',
    "duplicate-key.ndjson": b'{"id":"d","task":"t01","x":[1,2,3],"x":[1,2,3],"y":0}\n',
    "not-object.ndjson": b"[1,2,3]\n",
    "unclosed.ndjson": first + b"\n" + b'{"id":"u","task":"t01","x":[1,2,\n',
    "trailing-text.ndjson": first + b" x\n",
    "bad-escape.ndjson": b'{"id":"b\\q","task":"t01","x":[1,2,3],"y":0}\n',
    "lone-surrogate.ndjson": b'{"id":"b\\ud800","task":"t01","x":[1,2,3],"y":0}\n',
    "control-char.ndjson": b'{"id":"a\tb","task":"t01","x":[1,2,3],"y":0}\n',
    "deep-nesting.ndjson": b'{"id":"n","task":"t01","x":[1,2,3],"y":0,"e":' + b"[" * 5000 + b"]" * 5000 + b"}\n",
    "negative-class.ndjson": first + b"\n" + b'{"id":"n","task":"t01","x":[1,2,3],"y":-1}\n',
    "class-too-large.ndjson": first + b"\n" + b'{"id":"n","task":"t01","x":[1,2,3],"y":1000000000000}\n',
    "mixed-labels.ndjson": first + b"\n" + b'{"id":"n","task":"t01","x":[1,2,3],"y":"WALKING"}\n',
    "empty-task.ndjson": b'{"id":"n","task":"","x":[1,2,3],"y":0}\n',
    "empty-id.ndjson": b'{"id":"","task":"t01","x":[1,2,3],"y":0}\n',
    # validation/test data against the model trained on good/train.ndjson
    "val-unknown-task.ndjson": b'{"id":"v","task":"t99","x":[1,2,3],"y":0}\n',
    "val-unseen-class.ndjson": b'{"id":"v","task":"t01","x":[1,2,3],"y":2}\n',
    "val-class-name.ndjson": b'{"id":"v","task":"t01","x":[1,2,3],"y":"WALKING"}\n',
    "val-regression-label.ndjson": b'{"id":"v","task":"t01","x":[1,2,3],"y":0.5}\n',
    "val-wrong-width.ndjson": b'{"id":"v","task":"t01","x":[1,2],"y":0}\n',
}
for name, data in nd.items():
    write(os.path.join("ndjson", name), data)

# --- NDJSON records (scores for mtif-select, effects for compare) -------------
scores = open(path("good", "scores.ndjson"), "rb").read()
score_lines = scores.split(b"\n")[:-1]
meta, s0, s1 = score_lines[0], score_lines[1], score_lines[2]
recs = {
    "scores-crlf.ndjson": scores.replace(b"\n", b"\r\n"),
    "scores-bom.ndjson": b"\xef\xbb\xbf" + scores,
    "scores-nan.ndjson": scores.replace(s0, s0.replace(b'"t01":', b'"t01":NaN,"x":', 1)),
    "scores-huge.ndjson": scores.replace(s0, s0.replace(b'"t02":', b'"t02":1e400,"x":', 1)),
    "scores-not-object.ndjson": meta + b"\n[1,2]\n",
    "scores-truncated.ndjson": scores[: len(meta) + 1 + len(s0) // 2],
    "scores-duplicate-id.ndjson": scores + s0 + b"\n",
    "scores-missing-target.ndjson": scores.replace(s1, s1.replace(b'"t01":', b'"t09":', 1)),
    "scores-string-score.ndjson": scores.replace(s1, re.sub(rb'"t01":[^,}]+', b'"t01":"0.1"', s1, count=1)),
    "scores-wrong-task.ndjson": scores.replace(s1, s1.replace(b'"task":"t01"', b'"task":"t02"', 1)),
    "scores-non-utf8.ndjson": scores.replace(s1, s1.replace(b'"task":"t01"', b'"task":"t0\xc1"', 1)),
    "scores-blank-lines.ndjson": scores.replace(b"\n", b"\n\n"),
    "scores-empty.ndjson": b"",
    "scores-duplicate-key.ndjson": scores.replace(s1, s1.replace(b'"t01":', b'"t01":0,"t01":', 1)),
}
# task matrices for mtif-eval plot heatmap: extreme but finite values
recs["matrix-extreme.ndjson"] = b"".join(
    b'{"type":"relatedness","source":"%s","target":"%s","value":%s}\n' % (a, b, v)
    for (a, b, v) in [(b"t01", b"t01", b"1e308"), (b"t01", b"t02", b"-1.7976931348623157e308"),
                      (b"t02", b"t01", b"5e-324"), (b"t02", b"t02", b"-1e-320")])
recs["matrix-tiny.ndjson"] = b"".join(
    b'{"type":"relatedness","source":"%s","target":"%s","value":%s}\n' % (a, b, v)
    for (a, b, v) in [(b"t01", b"t01", b"1e-320"), (b"t01", b"t02", b"-2e-320"),
                      (b"t02", b"t01", b"5e-324"), (b"t02", b"t02", b"0")])
# pairs for mtif-eval plot scatter: extreme but finite values
recs["pairs-extreme.ndjson"] = (
    b'{"type":"pair","experiment":"loo","scope":"within_task","target":"t01","predicted":1e308,"actual":-1.7976931348623157e308}\n'
    b'{"type":"pair","experiment":"loto","target":"t01","predicted":5e-324,"actual":1e-320}\n'
    b'{"type":"pair","experiment":"lds","target":"t02","predicted":0,"actual":0}\n')
for name, data in recs.items():
    write(os.path.join("records", name), data)

# --- CSV ---------------------------------------------------------------------
good_csv = open(path("good", "good.csv"), "rb").read()
header, row1, row2 = good_csv.split(b"\n")[:3]
csv = {
    "empty.csv": b"",
    "header-only.csv": header + b"\n",
    "blank-line.csv": header + b"\n" + row1 + b"\n\n" + row2 + b"\n",
    "bom.csv": b"\xef\xbb\xbf" + good_csv,
    "crlf.csv": good_csv.replace(b"\n", b"\r\n"),
    "non-utf8-label.csv": header + b"\n" + row1.replace(b"t01,0", b"t01,caf\xe9") + b"\n",
    "non-utf8-header.csv": header.replace(b"f1", b"f\xff") + b"\n" + row1 + b"\n",
    "huge-number.csv": header + b"\n" + row1.replace(b"0.5", b"1e400") + b"\n",
    "nan.csv": header + b"\n" + row1.replace(b"0.5", b"NaN") + b"\n",
    "infinity.csv": header + b"\n" + row1.replace(b"0.5", b"-inf") + b"\n",
    "empty-value.csv": header + b"\n" + row1.replace(b"0.5", b"") + b"\n",
    "ragged.csv": header + b"\n" + row1 + b",9\n",
    "unterminated-quote.csv": header + b"\n" + row1.replace(b"a1", b'"a1') + b"\n" + row2 + b"\n",
    "quote-in-field.csv": header + b"\n" + row1.replace(b"a1", b'a"1') + b"\n",
    "stray-cr.csv": header + b"\n" + row1.replace(b"a1", b"a\r1") + b"\n",
    "duplicate-column.csv": header.replace(b"f2", b"f1") + b"\n" + row1 + b"\n",
    "duplicate-id.csv": header + b"\n" + row1 + b"\n" + row1 + b"\n",
    "empty-task.csv": header + b"\n" + row1.replace(b"t01", b"") + b"\n",
    "nul-byte.csv": header + b"\n" + row1.replace(b"0.5", b"0\x005") + b"\n",
}
for name, data in csv.items():
    write(os.path.join("csv", name), data)

# --- safetensors ---------------------------------------------------------------
def load(name):
    b = open(path("good", name), "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    return json.loads(b[8 : 8 + n]), b[8 + n :], b


def pack(header, data, length=None):
    hb = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    while len(hb) % 8:
        hb += b" "
    return struct.pack("<Q", len(hb) if length is None else length) + hb + data


h, data, raw = load("params.safetensors")
n = struct.unpack("<Q", raw[:8])[0]
names = sorted((k for k in h if k != "__metadata__"), key=lambda k: h[k]["data_offsets"][0])


def edited(edit):
    e = copy.deepcopy(h)
    edit(e)
    return e


def meta_json(key, change):
    def edit(e):
        value = json.loads(e["__metadata__"][key])
        change(value)
        e["__metadata__"][key] = json.dumps(value)
    return edit


def set_meta(key, value):
    def edit(e):
        if value is None:
            del e["__metadata__"][key]
        else:
            e["__metadata__"][key] = value
    return edit


def tensor(name, **fields):
    def edit(e):
        e[name].update(fields)
    return edit


t0, t1 = names[0], names[1]
b0, e0 = h[t0]["data_offsets"]
st = {
    "short.safetensors": raw[:7],
    "empty.safetensors": b"",
    "header-length-max.safetensors": b"\xff" * 8 + raw[8:],
    "header-length-int64.safetensors": struct.pack("<Q", 2**63 - 1) + raw[8:],
    "header-length-past-end.safetensors": pack(h, data, length=n + len(data) + 8),
    "header-cut.safetensors": raw[: 8 + n // 2],
    "header-not-json.safetensors": struct.pack("<Q", 8) + b"{not js}" + data,
    "header-not-object.safetensors": struct.pack("<Q", 8) + b"[1,2]   " + data,
    "header-non-utf8.safetensors": raw[:8] + raw[8 : 8 + n].replace(b'"tool":"m', b'"tool":"\xff', 1) + data,
    "offsets-overlap.safetensors": pack(edited(tensor(t1, data_offsets=[0, h[t1]["data_offsets"][1] - h[t1]["data_offsets"][0]])), data),
    "offsets-gap.safetensors": pack(edited(tensor(t0, data_offsets=[b0 + 8, e0 + 8])), data),
    "offsets-huge.safetensors": pack(edited(tensor(t0, data_offsets=[2**62, 2**62 + e0 - b0])), data),
    "offsets-2p64.safetensors": pack(edited(tensor(t0, data_offsets=[0, 18446744073709551616])), data),
    "offsets-reversed.safetensors": pack(edited(tensor(t0, data_offsets=[e0, b0])), data),
    "shape-overflow.safetensors": pack(edited(tensor(t0, shape=[2**40, 2**40])), data),
    "shape-negative.safetensors": pack(edited(tensor(t0, shape=[-3])), data),
    "shape-fraction.safetensors": pack(edited(tensor(t0, shape=[1.5])), data),
    "truncated-data.safetensors": raw[:-5],
    "trailing-bytes.safetensors": raw + b"\x00\x00",
    "dtype-f16.safetensors": pack(edited(tensor(t0, dtype="F16")), data),
    "dtype-unknown.safetensors": pack(edited(tensor(t0, dtype="Q8")), data),
    "dtype-f32-sized-f64.safetensors": pack(edited(tensor(t0, dtype="F32")), data),
    "dtype-not-string.safetensors": pack(edited(tensor(t0, dtype=64)), data),
    "unexpected-key.safetensors": pack(edited(tensor(t0, strides=[1])), data),
    "metadata-not-string.safetensors": pack(edited(set_meta("seed", 7)), data),
    "schema-v2.safetensors": pack(edited(set_meta("schema", "mtif/2")), data),
    "schema-missing.safetensors": pack(edited(set_meta("schema", None)), data),
    "kind-wrong.safetensors": pack(edited(set_meta("kind", "gradients")), data),
    "architecture-missing.safetensors": pack(edited(set_meta("architecture", None)), data),
    "architecture-not-json.safetensors": pack(edited(set_meta("architecture", "{hidden")), data),
    "architecture-wrong-type.safetensors": pack(edited(meta_json("architecture", lambda a: a.update(hidden="wide"))), data),
    "architecture-other.safetensors": pack(edited(meta_json("architecture", lambda a: a.update(hidden=[4]))), data),
    "architecture-huge.safetensors": pack(edited(meta_json("architecture", lambda a: a.update(hidden=[10**12]))), data),
    "architecture-negative-outputs.safetensors": pack(edited(meta_json("architecture", lambda a: a.update(outputs=[-1] + a["outputs"][1:]))), data),
    "architecture-no-inputs.safetensors": pack(edited(meta_json("architecture", lambda a: a.update(inputs=0))), data),
    "architecture-duplicate-task.safetensors": pack(edited(meta_json("architecture", lambda a: a.update(tasks=[a["tasks"][0]] * len(a["tasks"])))), data),
    "tasks-mismatch.safetensors": pack(edited(meta_json("tasks", lambda t: t["tasks"][0].update(outputs=10**15))), data),
    "values-modified.safetensors": raw[:-8] + struct.pack("<d", 0.125),
    "values-nan.safetensors": raw[:-8] + struct.pack("<d", float("nan")),
}
# a tensor dropped: shift the others so the layout stays contiguous
dropped = {"__metadata__": h["__metadata__"]}
shift = e0 - b0
for k in names[1:]:
    b, e = h[k]["data_offsets"]
    dropped[k] = dict(h[k], data_offsets=[b - shift, e - shift])
st["tensor-missing.safetensors"] = pack(dropped, data[shift:])
for name, blob in st.items():
    write(os.path.join("safetensors", name), blob)

# vector files (gradients, right-hand sides)
gh, gdata, graw = load("grads.safetensors")
gn = struct.unpack("<Q", graw[:8])[0]
rows_shape = gh["rows"]["shape"]
vec = {
    "grads-truncated.safetensors": graw[: len(graw) - len(gdata) // 2],
    "grads-schema-v0.safetensors": pack(dict(gh, __metadata__=dict(gh["__metadata__"], schema="mtif/0")), gdata),
    "grads-rows-mismatch.safetensors": pack(dict(gh, __metadata__=dict(gh["__metadata__"], rows=json.dumps(json.loads(gh["__metadata__"]["rows"])[:-1]))), gdata),
    "grads-rows-malformed.safetensors": pack(dict(gh, __metadata__=dict(gh["__metadata__"], rows="[[1,2]]")), gdata),
    "grads-kind-unknown.safetensors": pack(dict(gh, __metadata__=dict(gh["__metadata__"], kind="hessians")), gdata),
    # a forged header claiming a terabyte-wide row: read from a pipe it must end as truncated
    "grads-forged-wide.safetensors": pack(dict(gh, rows=dict(gh["rows"], shape=[1, 2**37], data_offsets=[0, 2**40])), gdata),
}
for name, blob in vec.items():
    write(os.path.join("safetensors", name), blob)
