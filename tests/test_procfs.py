"""The /proc readers against the kernel's own figures for this process."""

import os

from memtop.engine.probes.procfs import (
    StatmReader,
    descendants,
    parse_psi,
    parse_status,
    read_status,
    read_system,
    reset_hwm,
)


def test_statm_reader_agrees_with_status():
    reader = StatmReader(os.getpid())
    try:
        rss = reader.rss_bytes()
        status = read_status(os.getpid())
    finally:
        reader.close()
    assert abs(rss - status.rss) < 8 * 1024 * 1024


def test_statm_reader_sees_an_allocation():
    reader = StatmReader(os.getpid())
    before = reader.rss_bytes()
    block = bytearray(64 * 1024 * 1024)  # zero-filled by calloc: touched pages count
    block[:: 4096] = b"x" * len(block[:: 4096])
    after = reader.rss_bytes()
    del block
    reader.close()
    assert after - before > 60 * 1024 * 1024


def test_parse_status_reads_memory_lines():
    raw = (b"Name:\tpython\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nRssAnon:\t   512 kB\n"
           b"RssFile:\t   500 kB\nVmSwap:\t     7 kB\n")
    status = parse_status(raw)
    assert (status.hwm, status.rss, status.anon, status.file, status.swap) == (
        2048 * 1024, 1024 * 1024, 512 * 1024, 500 * 1024, 7 * 1024)


def test_hwm_reset_lowers_the_peak_after_a_freed_spike():
    block = bytearray(128 * 1024 * 1024)
    block[:: 4096] = b"x" * len(block[:: 4096])
    del block
    high = read_status("self").hwm
    assert reset_hwm()  # root or not, a process may reset its own
    low = read_status("self").hwm
    assert high - low > 100 * 1024 * 1024


def test_parse_psi():
    some, full = parse_psi("some avg10=1.50 avg60=0.00 avg300=0.00 total=10\n"
                           "full avg10=0.25 avg60=0.00 avg300=0.00 total=5\n")
    assert (some, full) == (1.5, 0.25)


def test_system_memory_is_plausible():
    system = read_system()
    assert 0 < system.mem_available <= system.mem_total


def test_descendants_finds_a_grandchild():
    import subprocess
    import sys
    import time

    child = subprocess.Popen([sys.executable, "-c",
                              "import subprocess,sys; subprocess.run(['sleep','5'])"],
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 5
        found: list[int] = []
        while time.monotonic() < deadline and len(found) < 2:
            found = descendants(os.getpid())
            time.sleep(0.05)
        assert child.pid in found and len(found) >= 2
    finally:
        os.killpg(child.pid, 9)
        child.wait()
