"""Rule evaluate: the run's accuracy against the reference folder (logic: vramscribe.evaluate)."""

import sys
from contextlib import redirect_stderr, redirect_stdout

from vramscribe.atomic import write_json
from vramscribe.errors import VramscribeError
from vramscribe.evaluate import evaluate, format_table

with open(snakemake.log[0], "w", encoding="utf-8") as log, redirect_stdout(log), redirect_stderr(log):  # noqa: F821
    try:
        doc = evaluate(snakemake.params.references, "results", snakemake.params.samples)  # noqa: F821
    except VramscribeError as error:
        print(error, flush=True)
        print(error, file=sys.__stderr__, flush=True)
        sys.exit(1)
    write_json(snakemake.output[0], doc)  # noqa: F821
    print(format_table(doc))
