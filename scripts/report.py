"""Rule report: the run's cleanup-verification report (logic: vramscribe.report.write_report)."""

import sys
from contextlib import redirect_stderr, redirect_stdout

from vramscribe.errors import VramscribeError
from vramscribe.report import write_report

with open(snakemake.log[0], "w", encoding="utf-8") as log, redirect_stdout(log), redirect_stderr(log):  # noqa: F821
    try:
        write_report(snakemake.params.samples, "results", "results/report", fail_on_leak=snakemake.params.fail_on_leak, partial=snakemake.params.partial)  # noqa: F821
    except VramscribeError as error:
        print(error, flush=True)
        print(error, file=sys.__stderr__, flush=True)
        sys.exit(1)
