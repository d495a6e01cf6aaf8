"""Prints 10,000 numbered lines, asks for one line on stdin, echoes it, and exits 3."""

import sys

for i in range(10_000):
    print(f"line {i}")
print("your name? ", end="", flush=True)
name = sys.stdin.readline().strip()
print(f"got: {name}")
sys.exit(3)
