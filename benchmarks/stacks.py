"""Read py-spy's raw stacks (``--format raw``, native frames too) and say where the time goes, as tables.

A raw file has one line per distinct stack: frames from the root to the innermost, joined by ``;``, then the
number of samples. A Python frame reads ``function (path/file.py:line)``, a native one ``symbol (library)``;
Rust symbols (pyoxigraph, granian) are demangled with ``c++filt`` where the machine has it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

OURS = "anakinra_kg/"
PYTHON_FRAME = re.compile(r"^(?P<function>.+) \((?P<file>[^()]+(?:\.py|>)):\d+\)$")
NATIVE_FRAME = re.compile(r"^(?P<symbol>.+?) \((?P<library>[^()]+)\)$")
RUST_HASH = re.compile(r"\[[0-9a-f]{16}\]")
RUST_PATH = re.compile(r"[a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)+")
RUST_LIBRARIES = {"pyoxigraph": "pyoxigraph", "_granian": "granian"}
PROCESS = re.compile(r"^process \d+:")
GENERICS = re.compile(r"<[^<>]*>")
# Innermost functions of a thread that waits (a futex, a lock or the GIL, a sleep, a poll, yielding the CPU):
# py-spy's own idle detection lets these through, so they are counted apart from the work. (Rust's locks wait
# on a futex through libc's generic ``syscall``.)
WAITING = {
    "syscall",
    "PyThread_acquire_lock_timed",
    "pthread_cond_wait",
    "pthread_cond_timedwait",
    "clock_nanosleep",
    "nanosleep",
    "epoll_wait",
    "poll",
    "select",
    "sched_yield",
}


@dataclass(frozen=True)
class Stack:
    """One sampled stack: its frames, root first, and how many samples it got."""

    frames: tuple[str, ...]
    samples: int


def read(path: Path) -> list[Stack]:
    """Parse a py-spy raw file (process frames of ``--subprocesses`` dropped)."""
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        text, _, count = line.rpartition(" ")
        if text and count.isdigit():
            frames = tuple(f for f in text.split(";") if not PROCESS.match(f))
            stacks.append(Stack(frames, int(count)))
    return stacks


def demangler(symbols: Iterable[str]) -> dict[str, str]:
    """Demangled names of Rust symbols (``_R...``) by one call of ``c++filt``; the names as they are without it."""
    mangled = sorted({s for s in symbols if s.startswith("_R")})
    tool = shutil.which("c++filt")
    if not mangled or tool is None:
        return {}
    done = subprocess.run([tool], input="\n".join(mangled), capture_output=True, text=True, check=False)
    names = done.stdout.splitlines()
    if done.returncode != 0 or len(names) != len(mangled):
        return {}
    return {m: RUST_HASH.sub("", n) for m, n in zip(mangled, names, strict=True)}


def our_step(stack: Stack) -> str:
    """The innermost frame of our package on the stack (``module.function``), else the innermost Python frame."""
    for frame in reversed(stack.frames):
        match = PYTHON_FRAME.match(frame)
        if match and OURS in match["file"]:
            module = match["file"].split(OURS, 1)[1].removesuffix(".py").replace("/", ".")
            return f"{module}.{match['function'].split('.<locals>')[0]}"
    python = [f for f in stack.frames if PYTHON_FRAME.match(f)]
    return "(outside our code) " + (python[-1] if python else _named(stack.frames))


def _named(frames: tuple[str, ...]) -> str:
    """The innermost frame that has a name (libc's unexported functions show as bare addresses)."""
    return next((f for f in reversed(frames) if not f.startswith("0x")), frames[-1] if frames else "?")


def where(frame: str, names: dict[str, str]) -> str:
    """What runs in the innermost frame: Python code (by package), or a native library (Rust by crate::module)."""
    python = PYTHON_FRAME.match(frame)
    if python:
        path = python["file"]
        for marker in ("site-packages/", "lib/python3"):
            if marker in path:
                path = path.split(marker, 1)[1].lstrip("/")
        if path.startswith(OURS):
            return "Python: " + path.removesuffix(".py").replace("/", ".")
        return "Python: " + path.split("/")[0].removesuffix(".py")
    native = NATIVE_FRAME.match(frame)
    if not native:
        return "native: " + frame[:60]
    library = _library(native)
    symbol = names.get(native["symbol"], native["symbol"])
    if library in RUST_LIBRARIES:
        rust = RUST_PATH.search(symbol)
        return f"{RUST_LIBRARIES[library]} (Rust): " + ("::".join(rust.group().split("::")[:3]) if rust else symbol)
    if library.startswith(("libpython", "python")):
        return "Python runtime (C)"
    return f"{library}: {symbol}"[:90]


def _library(native: re.Match) -> str:
    """A native frame's library by its short name (``pyoxigraph``, ``libc``, ``_granian``)."""
    return native["library"].rsplit("/", 1)[-1].split(".")[0]


def layer(running: str) -> str:
    """The layer of a ``where`` answer: Python code, the Python runtime, a Rust library, libc (system calls)."""
    if running.startswith("Python: "):
        return "Python code"
    return running.split(":", 1)[0]


def innermost(frame: str, names: dict[str, str]) -> str:
    """A readable name of the innermost function (Rust generics left out)."""
    native = NATIVE_FRAME.match(frame)
    if PYTHON_FRAME.match(frame) or not native:
        return frame[:100]
    symbol = names.get(native["symbol"], native["symbol"])
    if symbol.startswith("<"):  # <Type as Trait>::method: the type's name
        symbol = _unwrapped(symbol)
    short = ""
    while short != symbol:
        short, symbol = symbol, GENERICS.sub("", symbol)
    short = short.replace("::::", "::").rstrip(":")  # what ::<T> left
    return f"{short[:90]} ({_library(native)})"


def _unwrapped(symbol: str) -> str:
    """``<Type as Trait>::rest`` as ``Type::rest``."""
    depth = 0
    for end, char in enumerate(symbol):
        depth += (char == "<") - (char == ">")
        if depth == 0:
            return symbol[1:end].split(" as ")[0] + symbol[end + 1 :]
    return symbol


def table(counts: Counter[str], total: int, rate: float, top: int, heading: str) -> list[str]:
    """A markdown table of the largest entries: share of the samples and thread-seconds."""
    lines = [f"| {heading} | share | thread-s |", "|---|---:|---:|"]
    for key, samples in counts.most_common(top):
        lines.append(f"| {key.replace('|', '/')} | {samples / total:.1%} | {samples / rate:.1f} |")
    rest = total - sum(n for _, n in counts.most_common(top))
    if rest:
        lines.append(f"| (the rest: {len(counts) - top} more) | {rest / total:.1%} | {rest / rate:.1f} |")
    return lines


def summarise(stacks: list[Stack], rate: float, top: int = 15) -> list[str]:
    """Four tables of the work (waiting threads left out): by our step, by layer, by what runs, by function."""
    names = demangler(_named(s.frames).split(" (")[0] for s in stacks)
    steps, running, layers, functions, waiting = Counter(), Counter(), Counter(), Counter(), 0
    for stack in stacks:
        leaf = _named(stack.frames)
        if leaf.split(" (")[0] in WAITING:
            waiting += stack.samples
            continue
        steps[our_step(stack)] += stack.samples
        runs = where(leaf, names)
        running[runs] += stack.samples
        layers[layer(runs)] += stack.samples
        functions[innermost(leaf, names)] += stack.samples
    total = sum(steps.values()) or 1
    out = [
        f"{total:,} samples at {rate:g} Hz: {total / rate:.1f} thread-seconds of work; {waiting / rate:.1f} more of",
        f"threads waiting (innermost function one of: {', '.join(sorted(WAITING))}) left out.",
        "",
    ]
    out += ["By our code (the innermost function of `anakinra_kg` on the stack: the step that asked for the work):", ""]
    out += table(steps, total, rate, top, "step") + [""]
    out += ["By layer (the innermost frame: Python code, the Python runtime in C, Rust, libc):", ""]
    out += table(layers, total, rate, top, "layer") + [""]
    out += ["By what runs (the innermost frame: Python code by package, native code by library and Rust module):", ""]
    out += table(running, total, rate, top, "running") + [""]
    out += ["By innermost function:", ""]
    return out + table(functions, total, rate, top, "function")
