"""The profiler of the benchmark (`benchmarks/profile.py`): py-spy's raw stacks read into tables, and both runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from benchmarks import stacks

ROOT = Path(__file__).resolve().parents[1]
SO = "pyoxigraph/pyoxigraph.cpython-311-x86_64-linux-gnu.so"
GET_STR = (
    "_RNvXs0_NtNtCs8f8IyuaoJgX_8oxigraph7storage6memoryNtB5_19MemoryStorageReaderNtNtB7_15numeric_encoder"
    "9StrLookup7get_str"
)
NEXT = (
    "_RNvXs3_NtNtCs8f8IyuaoJgX_8oxigraph7storage6memoryNtB5_12QuadIteratorNtNtNtNtCskADBYZwJmSU_4core4iter6traits"
    "8iterator8Iterator4next"
)
RAW = f"""\
process 12:"python build";main (x/anakinra_kg/build.py:60);infer (x/anakinra_kg/rules.py:220);{GET_STR} ({SO}) 6
main (x/anakinra_kg/build.py:60);infer (x/anakinra_kg/rules.py:220);{NEXT} ({SO});0x7f00 (libc.so.6) 3
main (x/anakinra_kg/build.py:60);load_into (x/anakinra_kg/sources.py:99);parse (x/anakinra_kg/sources.py:70) 2
_bootstrap (threading.py:1002);_worker (concurrent/futures/thread.py:83);syscall (libc.so.6) 9
_bootstrap (threading.py:1002);_run (site-packages/werkzeug/serving.py:10) 1
"""


def test_stacks_are_read_into_steps_layers_and_functions_with_waiting_left_out(tmp_path: Path) -> None:
    raw = tmp_path / "raw.txt"
    raw.write_text(RAW)
    read = stacks.read(raw)
    assert [s.samples for s in read] == [6, 3, 2, 9, 1]
    assert not any(f.startswith("process ") for s in read for f in s.frames)
    text = "\n".join(stacks.summarise(read, rate=10))
    assert "12 samples at 10 Hz: 1.2 thread-seconds of work; 0.9 more of" in text  # the futex wait is left apart
    assert "| rules.infer | 75.0% | 0.9 |" in text  # the innermost of our frames names the step
    assert "| sources.parse | 16.7% | 0.2 |" in text
    assert "| (outside our code) _run (site-packages/werkzeug/serving.py:10) | 8.3% | 0.1 |" in text
    assert "| pyoxigraph (Rust) | 75.0% | 0.9 |" in text
    assert "| Python code | 25.0% | 0.3 |" in text
    assert "| Python: werkzeug | 8.3% | 0.1 |" in text
    # Rust symbols demangled (c++filt, binutils), hashes and the <Type as Trait> wrapper left out; a bare
    # libc address goes to the named frame that called it
    assert "| pyoxigraph (Rust): oxigraph::storage::memory | 75.0% | 0.9 |" in text
    assert "| oxigraph::storage::memory::MemoryStorageReader::get_str (pyoxigraph) | 50.0% | 0.6 |" in text
    assert "| oxigraph::storage::memory::QuadIterator::next (pyoxigraph) | 25.0% | 0.3 |" in text
    assert "syscall (libc)" not in text


def _profile(tmp_path: Path, *args: str) -> str:
    """Run `benchmarks/profile.py` as the README says; return the table it wrote."""
    out = tmp_path / "out"
    argv = [sys.executable, str(ROOT / "benchmarks" / "profile.py"), *args, "--out", str(out)]
    done = subprocess.run(argv + ["--workdir", str(tmp_path / "work")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    name = "build-2k" if args[0] == "build" else "serve-article"
    assert (out / f"{name}.txt").stat().st_size > 0  # py-spy's raw stacks, beside the table
    return (out / f"{name}.md").read_text()


def test_the_build_is_profiled_as_documented(tmp_path: Path) -> None:
    text = _profile(tmp_path, "build", "--size", "2k", "--rate", "200")
    assert re.search(r"--no-validate` under py-spy: 2,\d{3} data triples", text)  # the generated graph's
    assert "\n- parse the sources: " in text and "\n- compaction and swap: " in text  # the build's own step times
    assert "| step | share | thread-s |" in text and "| layer | share | thread-s |" in text
    # The build's own work was sampled. (At 2k the imports outweigh it, so which of its steps reach the table's
    # top rows varies from run to run; the raw stacks always hold it.)
    raw = (tmp_path / "out" / "build-2k.txt").read_text()
    assert re.search(r";build \(anakinra_kg/build\.py:\d+\)", raw)


def test_the_endpoint_is_profiled_under_one_client(tmp_path: Path) -> None:
    text = _profile(tmp_path, "serve", "--seconds", "3")
    answered = int(text.split(" requests answered")[0].rsplit(" ", 1)[-1].replace(",", ""))
    assert answered > 10
    assert "| Python code |" in text  # the endpoint's Python, sampled in its worker processes
