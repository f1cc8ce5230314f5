#!/usr/bin/python3
# SPDX-License-Identifier: MIT OR Unlicense
"""Counts the floating-point pipe operations in the innermost vector loops of one function of
a compiled benchmark, from `objdump -d`: how bench/gp.c turns the exp's time into a port-
throughput bound.

    gp_count_ops.py BINARY FUNCTION [zmm]

prints one line, "MUL ADD OTHER", the operations per value summed over the function's
innermost loops that use 32-byte (ymm) registers (with zmm: 64-byte, the AVX-512 copies): multiplies (the pipes that also do FMA),
adds and subtracts, and the other vector ALU operations (logic, integer compares and shifts,
blends), each loop's counts divided by the values one iteration handles (its pointer step
in bytes / 8); then one line per loop for a reader to check. Loads, stores and broadcasts
from memory use the load/store units and are not counted; an ALU operation with a memory
operand counts once."""
import re
import subprocess
import sys

MUL = re.compile(r"^v(mul|fn?m(add|sub)\d+)[ps]d$")
ADD = re.compile(r"^v(add|sub|min|max|cmp)[ps]d$")
MOVE = re.compile(r"^v(mov|broadcast|pbroadcast|extract|insert|maskmov)")


def instructions(binary, function):
    text = subprocess.run(["objdump", "-d", "--no-show-raw-insn", binary], check=True,
                          capture_output=True, text=True).stdout
    rows, inside = [], False
    for line in text.splitlines():
        if re.match(r"^[0-9a-f]+ <%s>:$" % re.escape(function), line):
            inside = True
            continue
        if inside and not line.strip():
            break
        if inside:
            m = re.match(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
            if m:
                rows.append((int(m.group(1), 16), m.group(2), m.group(3)))
    if not rows:
        sys.exit("gp_count_ops.py: no function %s in %s" % (function, binary))
    return rows


def innermost_loops(rows):
    """(first, last) indices of backward jumps' bodies that hold no other backward jump."""
    index = {address: i for i, (address, _, _) in enumerate(rows)}
    loops = []
    for i, (address, op, args) in enumerate(rows):
        m = re.match(r"^([0-9a-f]+)\b", args)
        if op.startswith("j") and m and int(m.group(1), 16) < address and int(m.group(1), 16) in index:
            loops.append((index[int(m.group(1), 16)], i))
    return [(a, b) for a, b in loops if not any(a <= c and d <= b and (c, d) != (a, b) for c, d in loops)]


def main():
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and sys.argv[3] not in ("ymm", "zmm")):
        sys.exit("usage: gp_count_ops.py BINARY FUNCTION [zmm]")
    register = "%" + (sys.argv[3] if len(sys.argv) == 4 else "ymm")
    rows = instructions(sys.argv[1], sys.argv[2])
    if len(rows) == 1 and rows[0][1] == "jmp":  # a tail call (a build that did not inline the body)
        m = re.search(r"<([^>+]+)>", rows[0][2])
        if m:
            rows = instructions(sys.argv[1], m.group(1))
    # a loop around one call and no vector code (the AVX2 copy's exp row, not inlined): the
    # callee's loops
    callees = {m.group(1) for _, op, args in rows if op == "call" for m in [re.search(r"<([^>+]+)>", args)] if m}
    if len(callees) == 1 and not any(register in args for _, _, args in rows):
        rows = instructions(sys.argv[1], callees.pop())
    total = [0.0, 0.0, 0.0]
    notes = []
    for first, last in innermost_loops(rows):
        body = rows[first:last + 1]
        if not any(register in args for _, _, args in body):
            continue
        steps = [int(m.group(1), 16) for _, op, args in body
                 for m in [re.match(r"^\$0x([0-9a-f]+),%r", args)] if op == "add" and m]
        values = steps[0] // 8 if steps and steps[0] >= 8 else 4
        counts = [0, 0, 0]
        for _, op, args in body:
            if not op.startswith("v") or MOVE.match(op):
                continue
            counts[0 if MUL.match(op) else 1 if ADD.match(op) else 2] += 1
        for k in range(3):
            total[k] += counts[k] / values
        notes.append("loop at %x: %d mul, %d add, %d other for %d values" % (body[0][0], *counts, values))
    if not notes:
        sys.exit("gp_count_ops.py: no innermost loop on %s registers in %s (a gcc build is expected)"
                 % (register[1:], sys.argv[2]))
    print("%.4g %.4g %.4g" % tuple(total))
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
