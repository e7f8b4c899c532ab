rule batch:
    input:
        batch_sources,
    output:
        status="results/batches/{batch}.json",
    log:
        "logs/batch/{batch}.log",
    benchmark:
        "benchmarks/batch/{batch}.tsv"
    conda:
        "../../envs/batch.yaml"
    threads: rule_threads("batch")
    resources:
        gpu=1,
        mem_mb=rule_mem_mb("batch"),
        runtime=rule_runtime("batch"),
    params:
        version=__version__,
        samples=batch_samples,
        whisper=config["whisper"],
        diarization=config["diarization"],
        device=config["device"],
        channels=config["channels"],
    script:
        "../../scripts/batch.py"
