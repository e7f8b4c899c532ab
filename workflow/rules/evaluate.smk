# Accuracy against reference files (config `references`): WER, DER, SA-WER per sample. Defined only
# when `references` is set; its folder is checked before any job.
if config.get("references"):
    from vramscribe.evaluate import check_references

    try:
        check_references(config["references"])
    except VramscribeError as error:
        fail(error)

    rule evaluate:
        input:
            # every sample's transcript, diarization and aligned words (in batch mode, every batch)
            report_inputs() if BATCH_SIZE > 1 else expand(
                "results/{sample}/{name}",
                sample=SAMPLES,
                name=["transcript.json", "diarization.rttm", "aligned.json"],
            ),
        output:
            "results/evaluation.json",
        log:
            "logs/evaluate/evaluate.log",
        benchmark:
            "benchmarks/evaluate.tsv"
        conda:
            "../../envs/evaluate.yaml"
        params:
            references=config["references"],
            samples=list(SAMPLES),
        script:
            "../../scripts/evaluate.py"
