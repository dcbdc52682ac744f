"""Regenerates the NumPy-written .npy fixtures and fixtures.json.

Run from this directory with a python3 that has numpy:  python3 gen.py
fixtures.json records, for every file, the dtype, shape and the values in C
order exactly as NumPy sees them, so the Go tests compare against NumPy's
reading rather than against numbers copied by hand.
"""
import json

import numpy as np

rng = np.random.default_rng(7)


def vals(a):
    # JSON has no NaN/Inf literal; the fixtures avoid them.
    return np.ascontiguousarray(a).ravel().tolist()


arrays = {
    "f4_2x3": rng.standard_normal((2, 3)).astype("<f4"),
    "f8_5": rng.standard_normal(5).astype("<f8"),
    "i8_2x2x2": rng.integers(-2**40, 2**40, (2, 2, 2)).astype("<i8"),
    "i4_4": rng.integers(-2**31, 2**31 - 1, 4).astype("<i4"),
    "b1_2x3": rng.random((2, 3)) < 0.5,
    "f8_scalar": np.array(3.25, dtype="<f8"),
    "f4_0x3": np.zeros((0, 3), dtype="<f4"),
    "f8_fortran_3x4": np.asfortranarray(rng.standard_normal((3, 4))),
    "f4_fortran_2x3x4": np.asfortranarray(rng.standard_normal((2, 3, 4)).astype("<f4")),
    "i8_fortran_3x2": np.asfortranarray(np.arange(6, dtype="<i8").reshape(3, 2)),
    "f4_big_3x2": rng.standard_normal((3, 2)).astype(">f4"),
    "f8_big_4": rng.standard_normal(4).astype(">f8"),
    "i8_big_3": np.array([1, -2, 2**40], dtype=">i8"),
    "f8_big_fortran_2x3": np.asfortranarray(rng.standard_normal((2, 3)).astype(">f8")),
}

meta = {}
for name, a in arrays.items():
    np.save(name + ".npy", a)
    with open(name + ".npy", "rb") as f:
        np.lib.format.read_magic(f)
        _, fortran, _ = np.lib.format.read_array_header_1_0(f)
    kind = a.dtype.kind + str(a.dtype.itemsize)
    meta[name] = {"dtype": kind, "shape": list(a.shape), "fortran": fortran, "values": vals(a)}

# Format version 2.0 (4-byte header length), written explicitly.
v2 = rng.standard_normal((2, 2))
with open("f8_v2_2x2.npy", "wb") as f:
    np.lib.format.write_array(f, v2, version=(2, 0))
meta["f8_v2_2x2"] = {"dtype": "f8", "shape": [2, 2], "fortran": False, "values": vals(v2)}

with open("fixtures.json", "w") as f:
    f.write("{\n")
    f.write(",\n".join(json.dumps(k) + ": " + json.dumps(meta[k]) for k in sorted(meta)))
    f.write("\n}\n")
