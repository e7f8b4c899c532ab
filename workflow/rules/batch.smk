rule batch:
    output:
        status="results/batches/{batch}.json",
    log:
        "logs/batch/{batch}.log",
    benchmark:
        "benchmarks/batch/{batch}.tsv"
    conda:
        "../../envs/batch.yaml"
    threads: rule_threads("batch", batch_sources)
    resources:
        gpu=1,
        mem_mb=rule_mem_mb("batch", batch_sources),
        runtime=rule_runtime("batch", batch_sources),
    params:
        version=__version__,
        sources=batch_paths,
        source_states=batch_states,
        whisper=config["whisper"],
        diarization=config["diarization"],
        device=config["device"],
        channels=config["channels"],
    script:
        "../../scripts/batch.py"
