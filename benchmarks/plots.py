"""PNG plots of the benchmark's costs against graph size (log axes), drawn with matplotlib when it is installed."""

from __future__ import annotations

from pathlib import Path

TITLES = {"load": "load time (s)", "validate": "validation time (s)", "latency": "query p50, geometric mean (s)"}


def draw(series: dict[str, dict[str, list[tuple[int, float]]]], out: Path) -> list[Path]:
    """Draw one plot per cost ({cost: {engine: [(triples, seconds)]}}) into ``out``; return the files written."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    files = []
    for key, lines in series.items():
        if not lines:
            continue
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for label, points in sorted(lines.items()):
            xs, ys = zip(*sorted(points), strict=True)
            ax.plot(xs, ys, marker="o", label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("triples")
        ax.set_ylabel(TITLES[key])
        ax.set_title(f"{TITLES[key]} against graph size")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        path = out / f"{key}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        files.append(path)
    return files
