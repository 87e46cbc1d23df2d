"""Writes the safetensors fixtures of SharedTests with Python's reference library.

    python3 make_safetensors_fixture.py   # safetensors 0.8.0, numpy 2.4.6 when made

fixture.safetensors: F64 "weights" (2, 3), F64 "scalar" (0-d), F32 "bias" (4,),
metadata {"producer": ..., "schema": ...}.
fixture_plain.safetensors: F32 "one" (1,), F64 "empty" (0, 3), no metadata.

safetensors writes __metadata__ in Rust HashMap order, which changes from run
to run; the Swift writer sorts metadata keys. So that the Swift test can
compare bytes, this script saves until Python's order happens to be the sorted
one (with two keys, about every other run). Tensor order (dtype F64 before F32,
then name) and the space padding of the header are deterministic.
"""
import json
import numpy as np
from safetensors.numpy import save, load_file

tensors = {
    "weights": np.array([[0.1, -0.0, 5e-324], [1.7976931348623157e308, 1e-300, 3.0]], dtype=np.float64),
    "scalar": np.array(2.5, dtype=np.float64),
    "bias": np.array([0.5, -1.25, 3.4028234663852886e38, 1e-45], dtype=np.float32),
}
metadata = {"schema": "mtif-test/1", "producer": "make_safetensors_fixture.py"}

for _ in range(200):
    data = save(tensors, metadata=metadata)
    n = int.from_bytes(data[:8], "little")
    keys = list(json.loads(data[8:8 + n])["__metadata__"].keys())
    if keys == sorted(keys):
        break
else:
    raise SystemExit("metadata never came out sorted")
with open("fixture.safetensors", "wb") as f:
    f.write(data)

plain = {"one": np.array([-7.0], dtype=np.float32), "empty": np.zeros((0, 3), dtype=np.float64)}
with open("fixture_plain.safetensors", "wb") as f:
    f.write(save(plain))

for name in ["fixture.safetensors", "fixture_plain.safetensors"]:
    back = load_file(name)
    print(name, {k: (v.dtype.name, v.shape) for k, v in back.items()})
