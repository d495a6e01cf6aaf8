"""Readers of a process's and the machine's memory from outside: /proc, the memory cgroup, NVML,
the process list, and whether a process can be attached to.

Standard library only (NVML's module is imported where it is asked for), so that the session's
stage markers, the engine's sampler and the TUI's process list can all use them. They read and
return data; they start no threads and keep no state beyond an open descriptor.
"""
