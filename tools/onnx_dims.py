#!/usr/bin/env python3
"""Makes chosen dimensions of an ONNX model's inputs and outputs symbolic.

usage: onnx_dims.py IN OUT NAME=d0,d1,... [NAME=...]

Each NAME=... lists a graph input or output and, per dimension, either a number (kept fixed)
or a name (made symbolic). The graph's `value_info` (intermediate shapes recorded for the
fixed sizes) is dropped so that nothing still pins the old sizes. Only the standard library:
the ONNX file is rewritten at the protobuf wire level.

Used by build.sh for CenterFace, whose file declares a fixed batch of 10 and a fixed image
size, while the face detector runs one image of any size.
"""
import sys

# ONNX protobuf field numbers (onnx.proto): ModelProto.graph = 7; GraphProto.input = 11,
# .output = 12, .value_info = 13; ValueInfoProto.name = 1, .type = 2; TypeProto.tensor_type = 1;
# TypeProto.Tensor.shape = 2; TensorShapeProto.dim = 1; Dimension.dim_value = 1, .dim_param = 2.


def read_varint(buf, pos):
    value = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def varint(value):
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def fields(buf):
    """The message's fields in order: (number, wire type, raw value)."""
    pos, out = 0, []
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            start = pos
            _, pos = read_varint(buf, pos)
            out.append((number, wire, buf[start:pos]))
        elif wire == 1:
            out.append((number, wire, buf[pos:pos + 8]))
            pos += 8
        elif wire == 2:
            length, pos = read_varint(buf, pos)
            out.append((number, wire, buf[pos:pos + length]))
            pos += length
        elif wire == 5:
            out.append((number, wire, buf[pos:pos + 4]))
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return out


def message(parts):
    out = bytearray()
    for number, wire, raw in parts:
        out += varint(number << 3 | wire)
        if wire == 2:
            out += varint(len(raw))
        out += raw
    return bytes(out)


def field(parts, number):
    return next((raw for n, _, raw in parts if n == number), None)


def replace(parts, number, raw):
    return [(n, w, raw if n == number else r) for n, w, r in parts]


def new_dims(value_info, wanted):
    """The ValueInfoProto with its tensor shape's dimensions set from `wanted`."""
    info = fields(value_info)
    type_ = fields(field(info, 2))
    tensor = fields(field(type_, 1))
    shape = fields(field(tensor, 2))
    dims = [raw for n, _, raw in shape if n == 1]
    if len(dims) != len(wanted):
        raise ValueError(f"{len(dims)} dimensions, {len(wanted)} given")
    new = []
    for dim in wanted:
        if dim.isdigit():
            new.append((1, 2, message([(1, 0, varint(int(dim)))])))
        else:
            new.append((1, 2, message([(2, 2, dim.encode())])))
    shape = [p for p in shape if p[0] != 1] + new
    tensor = replace(tensor, 2, message(shape))
    type_ = replace(type_, 1, message(tensor))
    return message(replace(info, 2, message(type_)))


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    src, dst, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    wanted = {}
    for spec in specs:
        name, dims = spec.split("=", 1)
        wanted[name] = dims.split(",")
    model = fields(open(src, "rb").read())
    graph = fields(field(model, 7))
    out, done = [], set()
    for number, wire, raw in graph:
        if number == 13:
            continue
        if number in (11, 12):
            name = field(fields(raw), 1).decode()
            if name in wanted:
                raw = new_dims(raw, wanted[name])
                done.add(name)
        out.append((number, wire, raw))
    missing = set(wanted) - done
    if missing:
        sys.exit(f"onnx_dims.py: no input or output named {', '.join(sorted(missing))}")
    open(dst, "wb").write(message(replace(model, 7, message(out))))


if __name__ == "__main__":
    main()
