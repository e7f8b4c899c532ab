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
    threads: 2
    resources:
        gpu=1,
    params:
        version=__version__,
        samples=batch_samples,
        whisper=config["whisper"],
        diarization=config["diarization"],
        device=config["device"],
    script:
        "../../scripts/batch.py"
