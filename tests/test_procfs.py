"""The /proc readers against the kernel's own figures for this process."""

import os

from memtop.engine.probes.process_tree import TreeLister, descendants
from memtop.engine.probes.procfs import (
    _STATUS_KEYS,
    KeptFile,
    StatmReader,
    SystemReader,
    _kb_values,
    parse_psi,
    parse_status,
    read_meminfo,
    read_status,
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
    reader = SystemReader()
    try:
        system = reader.read()
    finally:
        reader.close()
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


def _each_key_found(raw: bytes) -> dict[str, int]:
    """The status's memory lines, each found on its own (the layout-free path)."""
    return _kb_values(raw, _STATUS_KEYS)


def test_parse_status_of_this_kernel_agrees_with_each_key_found_on_its_own():
    block = bytearray(64 * 1024 * 1024)
    block[::4096] = b"x" * len(block[::4096])
    del block  # the peak above the RSS now: the two are told apart
    with open("/proc/self/status", "rb") as f:
        raw = f.read()
    status = parse_status(raw)
    assert status.hwm > status.rss + 32 * 1024 * 1024
    assert status._asdict() == _each_key_found(raw)
    shuffled = b"\n".join(reversed(raw.split(b"\n")))  # another layout: each key on its own
    assert parse_status(b"\n" + shuffled)._asdict() == _each_key_found(b"\n" + shuffled)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_kept_file_reads_the_kernels_figures_anew_each_time():
    kept = KeptFile("/proc/self/statm")
    try:
        before = int(kept.read().split()[1])
        block = bytearray(64 * 1024 * 1024)
        block[::4096] = b"x" * len(block[::4096])
        after = int(kept.read().split()[1])
    finally:
        kept.close()
    assert (after - before) * os.sysconf("SC_PAGE_SIZE") > 60 * 1024 * 1024


def test_the_system_reader_agrees_with_meminfo_read_whole_and_keeps_two_files():
    opened = _open_fds()
    reader = SystemReader()
    try:
        assert _open_fds() - opened <= 2
        for _ in range(2):  # read again through the same descriptors
            kept, whole = reader.read(), read_meminfo()
            assert kept.mem_total == whole["MemTotal"] > 0
            assert abs(kept.mem_available - whole["MemAvailable"]) < 256 * 1024 * 1024
            assert (kept.swap_total, kept.swap_free) == (whole["SwapTotal"], whole["SwapFree"])
    finally:
        reader.close()
    assert _open_fds() == opened


def test_the_tree_lister_follows_children_coming_and_going_and_closes_what_it_kept():
    import subprocess
    import sys
    import time

    opened = _open_fds()
    lister = TreeLister()
    first = subprocess.Popen(["sleep", "30"])
    second = None
    try:
        assert first.pid in lister.descendants(os.getpid())
        second = subprocess.Popen([sys.executable, "-c",
                                   "import subprocess; subprocess.run(['sleep', '30'])"],
                                  start_new_session=True)
        deadline = time.monotonic() + 5
        found: list[int] = []
        while time.monotonic() < deadline and len(found) < 3:
            found = lister.descendants(os.getpid())
            time.sleep(0.05)
        assert {first.pid, second.pid} <= set(found) and len(found) >= 3  # and a grandchild
        first.kill()
        first.wait()
        assert first.pid not in lister.descendants(os.getpid())
        os.killpg(second.pid, 9)  # and its child
        second.wait()
        lister.descendants(os.getpid())
        # Only this process's threads are listed now: their files kept, the children's closed.
        assert _open_fds() - opened <= len(os.listdir("/proc/self/task"))
    finally:
        lister.close()
        for child in (first, second):
            if child is not None and child.poll() is None:
                os.killpg(child.pid, 9) if child is second else child.kill()
                child.wait()
    assert _open_fds() == opened


def test_a_quick_listing_reads_main_threads_and_keeps_what_other_threads_forked():
    """Most listings read each process's main thread alone (ML programs run dozens of threads
    and fork from the main one); a child forked by another thread is found by a full listing
    and kept by the quick ones after it."""
    import subprocess
    import threading

    lister = TreeLister()
    started: list[subprocess.Popen] = []
    forked, done = threading.Event(), threading.Event()

    def fork_from_a_thread() -> None:
        started.append(subprocess.Popen(["sleep", "30"]))
        forked.set()
        done.wait(30)  # alive: a thread's children pass to another thread when it exits

    forker = threading.Thread(target=fork_from_a_thread)
    try:
        forker.start()
        assert forked.wait(10)
        by_thread = started[0].pid
        assert by_thread not in lister.descendants(os.getpid(), every_thread=False)
        assert by_thread in lister.descendants(os.getpid())  # a full listing finds it
        by_main = subprocess.Popen(["sleep", "30"])
        started.append(by_main)
        quick = lister.descendants(os.getpid(), every_thread=False)
        assert {by_thread, by_main.pid} <= set(quick)  # kept, and the new one at once
        started[0].kill()
        started[0].wait()
        assert by_thread not in lister.descendants(os.getpid())  # gone at the next full one
        assert by_thread not in lister.descendants(os.getpid(), every_thread=False)
    finally:
        done.set()
        forker.join()
        lister.close()
        for child in started:
            if child.poll() is None:
                child.kill()
                child.wait()
