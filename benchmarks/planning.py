"""How long Snakemake plans a large corpus: a dry run over N symbolic links to one clip.

python benchmarks/planning.py [N ...] [--ext wav|mp3] [--config KEY=VALUE ...]   (default: 1000 10000, wav)

The links live in a temporary folder (mp3: the example encoded once by ffmpeg). Each size is one
`snakemake -n` with the default config (batch_files: auto) in a fresh working directory; prints
its wall time, the Snakemake process's peak RSS (the kernel's, from wait4) and the job count.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def corpus(folder: Path, count: int, clip: Path) -> Path:
    """``count`` links to ``clip`` in ``folder``."""
    folder.mkdir()
    for index in range(count):
        os.symlink(clip, folder / f"f{index:06d}{clip.suffix}")
    return folder


def dry_run(workdir: Path, input_dir: Path, config: list[str]) -> tuple[float, float, int]:
    """(wall s, peak RSS MB, jobs) of one dry run."""
    command = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--directory", str(workdir), "-n", "--cores", "2",
               "--config", f"input_dir={input_dir}", *config]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmarks: dry run failed:\n{output[-3000:]}")
    jobs = int(re.search(r"^total\s+(\d+)", output, re.MULTILINE).group(1))
    return wall, usage.ru_maxrss / 1024, jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--ext", default="wav", choices=["wav", "mp3"])
    parser.add_argument("--config", nargs="*", default=[], help="extra --config items, e.g. batch_files=1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clip = REPO / "example" / "dialogue.wav"
        if args.ext == "mp3":
            clip = Path(tmp) / "dialogue.mp3"
            subprocess.run(["ffmpeg", "-v", "error", "-i", str(REPO / "example" / "dialogue.wav"), str(clip)], check=True)
        for count in args.sizes:
            folder = corpus(Path(tmp) / f"corpus{count}", count, clip)
            wall, rss, jobs = dry_run(Path(tmp) / f"work{count}", folder, args.config)
            print(f"{count} files ({args.ext}, {' '.join(args.config) or 'default config'}): {jobs} jobs, "
                  f"dry run {wall:.1f} s, peak RSS {rss:.0f} MB, load {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
