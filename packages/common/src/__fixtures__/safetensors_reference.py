"""Independent safetensors reader/writer for the codec's tests (struct + json + torch, no
`safetensors` package). It follows the format description, not our TypeScript code.

  write DIR  -> DIR/reference.safetensors and DIR/reference.json (values as float64/int lists)
  read FILE  -> prints JSON {metadata, tensors: {name: {dtype, shape, values}}} of any file
"""
import json
import struct
import sys

import torch

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}


def sample():
    g = torch.Generator().manual_seed(1234)
    out = {}
    out["weights.f64"] = ("F64", torch.randn(3, 4, generator=g, dtype=torch.float64))
    out["weights.f32"] = ("F32", torch.randn(2, 3, 5, generator=g))
    out["weights.f16"] = ("F16", (torch.randn(7, generator=g) * 100).to(torch.float16))
    out["weights.bf16"] = ("BF16", torch.randn(4, 2, generator=g).to(torch.bfloat16))
    out["special.f32"] = ("F32", torch.tensor([0.0, -0.0, float("inf"), float("-inf"), 1e-45, 3.4e38]))
    out["ids.i64"] = ("I64", torch.tensor([0, -1, 2**40 + 3, -(2**52)], dtype=torch.int64))
    out["ids.i32"] = ("I32", torch.tensor([[1, -2], [2**31 - 1, -(2**31)]], dtype=torch.int32))
    out["ids.i16"] = ("I16", torch.tensor([-32768, 32767, 5], dtype=torch.int16))
    out["ids.i8"] = ("I8", torch.tensor([-128, 127, 0], dtype=torch.int8))
    out["bytes.u8"] = ("U8", torch.tensor([0, 255, 17], dtype=torch.uint8))
    out["mask.bool"] = ("BOOL", torch.tensor([True, False, True, True]))
    out["empty.f32"] = ("F32", torch.zeros(0, 3))
    out["scalar.f32"] = ("F32", torch.tensor(2.5))
    return out


def raw_bytes(t):
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.contiguous().numpy().tobytes()


def values(t):
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.to(torch.float32)
    flat = t.reshape(-1).tolist()
    return [v if not isinstance(v, float) or v == v and abs(v) != float("inf") else str(v) for v in flat]


def write(directory):
    tensors = sample()
    # The reference library orders data by dtype size (largest first), then name, and puts
    # __metadata__ last in the JSON: deliberately unlike our writer.
    order = sorted(tensors, key=lambda n: (-tensors[n][1].element_size(), n))
    header, data, offset = {}, b"", 0
    for name in order:
        dtype, t = tensors[name]
        b = raw_bytes(t)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        data += b
        offset += len(b)
    header["__metadata__"] = {"format": "pt", "source": "python"}
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(f"{directory}/reference.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)
    expected = {n: {"dtype": d, "shape": list(t.shape), "values": values(t)} for n, (d, t) in tensors.items()}
    with open(f"{directory}/reference.json", "w") as f:
        json.dump(expected, f)


def read(path):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    spans = sorted((info["data_offsets"], name) for name, info in header.items())
    end = 0
    for (b, e), name in spans:
        assert b == end, f"{name}: offsets not contiguous"
        end = e
    assert base + end == len(blob), "data does not end at the end of the file"
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        chunk = bytearray(blob[base + b : base + e])
        if dtype == torch.bfloat16:
            t = torch.frombuffer(chunk, dtype=torch.int16).view(torch.bfloat16) if chunk else torch.zeros(0, dtype=dtype)
        else:
            t = torch.frombuffer(chunk, dtype=dtype) if chunk else torch.zeros(0, dtype=dtype)
        t = t.reshape(info["shape"])
        out[name] = {"dtype": info["dtype"], "shape": info["shape"], "values": values(t)}
    print(json.dumps({"metadata": metadata, "tensors": out}))


if __name__ == "__main__":
    {"write": write, "read": read}[sys.argv[1]](sys.argv[2])
