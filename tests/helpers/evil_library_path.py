"""Loads a shared library from a folder whose name holds terminal escapes (OSC 0 sets the window
title, OSC 52 writes the clipboard, CSI 2J clears the screen), so that memray's capture of this
program records that path as a segment's: a crafted capture, made for real."""

import ctypes
import ctypes.util
import glob
import os
import shutil
import sys

EVIL = "lib\x1b]0;PWNED\x07\x1b]52;c;eA==\x07\x1b[2J"

folder = os.path.join(sys.argv[1], EVIL)
os.makedirs(folder, exist_ok=True)
name = ctypes.util.find_library("z")  # zlib: on every machine that runs Python
source = next(p for pattern in ("/usr/lib/*/", "/lib/*/", "/usr/lib/", "/lib/")
              for p in glob.glob(pattern + (name or "libz.so*")))
target = os.path.join(folder, "libevil.so")
shutil.copy(source, target)
ctypes.CDLL(target).zlibVersion()
kept = [bytearray(1000) for _ in range(1000)]
shutil.rmtree(folder)  # gone when the capture is read: memray warns, naming the path
